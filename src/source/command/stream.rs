//! NDJSON from a running command, parsed in chunks of whole lines as it arrives, so the row
//! count climbs while a slow command is still printing.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::Instant;

use super::super::{RowSink, SourceError, data};
use crate::config::DataFormat;

/// Longest time complete lines wait before they are parsed: rows show up about this fast.
const FLUSH_EVERY: Duration = Duration::from_millis(100);

/// Buffered bytes that are parsed at once even before [`FLUSH_EVERY`]: big enough that the
/// per-chunk schema inference is noise, small enough to bound what one parse holds.
const FLUSH_BYTES: usize = 4 * 1024 * 1024;

/// Reads NDJSON from `pipe` to its end, pushing rows into `sink` a chunk of whole lines at a
/// time; fails past `cap` bytes.
pub async fn ndjson(
    mut pipe: impl AsyncRead + Unpin,
    cap: usize,
    sink: &mut RowSink,
) -> Result<(), SourceError> {
    let mut pending: Vec<u8> = Vec::new();
    let mut read_buf = vec![0u8; 64 * 1024];
    let mut total = 0usize;
    let mut last_flush = Instant::now();
    loop {
        let has_line = pending.contains(&b'\n');
        tokio::select! {
            // `read` is cancel-safe: when the timer wins, no bytes are lost.
            n = pipe.read(&mut read_buf) => {
                let n = n.map_err(|source| SourceError::Io {
                    context: "reading the command's stdout".into(),
                    source,
                })?;
                if n == 0 {
                    break;
                }
                total += n;
                if total > cap {
                    return Err(super::too_large(cap));
                }
                pending.extend_from_slice(&read_buf[..n]);
                if pending.len() < FLUSH_BYTES {
                    continue;
                }
            }
            () = tokio::time::sleep_until(last_flush + FLUSH_EVERY), if has_line => {}
        }
        if let Some(end) = pending.iter().rposition(|&b| b == b'\n') {
            let rest = pending.split_off(end + 1);
            let lines = std::mem::replace(&mut pending, rest);
            push(lines, sink).await?;
            last_flush = Instant::now();
        }
    }
    push(pending, sink).await
}

async fn push(bytes: Vec<u8>, sink: &mut RowSink) -> Result<(), SourceError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    data::push_parsed(bytes, DataFormat::Ndjson, &data::Nulls::default(), sink).await
}
