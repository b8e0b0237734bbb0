//! The rows as NDJSON, CSV or a JSON array, encoded on every core.
//!
//! Many rows are cut into chunks of [`CHUNK_ROWS`] rows ([`Chunks`]: zero-copy slices of a
//! batch, or a sorted merge's rows gathered chunk by chunk). With `T` workers, worker `w`
//! takes chunks `w`, `w + T`, `w + 2T`, ... and encodes them into buffers of its own, and
//! the calling thread writes the buffers in chunk order as they come, so encoding runs beside
//! the writing and the bytes are exactly those of one encoder over all the rows. One chunk or
//! less is encoded on the calling thread.

use std::io::{self, Write};
use std::sync::mpsc;

use arrow_array::RecordBatch;
use arrow_schema::ArrowError;

use crate::merge::Ordered;

/// Rows per chunk: enough that encoding a chunk dwarfs handing it over, few enough that the
/// buffers in flight stay a few MiB.
const CHUNK_ROWS: usize = 32 * 1024;

/// A text encoding of rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// One JSON object per line.
    Ndjson,
    /// A header line, then one line per row.
    Csv,
    /// One JSON array of row objects (no newline after it).
    JsonArray,
}

/// Rows that can be handed out a chunk at a time, from any thread.
pub trait Chunks: Sync {
    /// How many rows there are.
    fn num_rows(&self) -> usize;
    /// Rows `start..start + len` as one batch.
    fn chunk(&self, start: usize, len: usize) -> Result<RecordBatch, ArrowError>;
}

impl Chunks for RecordBatch {
    fn num_rows(&self) -> usize {
        RecordBatch::num_rows(self)
    }

    fn chunk(&self, start: usize, len: usize) -> Result<RecordBatch, ArrowError> {
        Ok(self.slice(start, len))
    }
}

impl Chunks for Ordered {
    fn num_rows(&self) -> usize {
        Ordered::num_rows(self)
    }

    fn chunk(&self, start: usize, len: usize) -> Result<RecordBatch, ArrowError> {
        Ordered::chunk(self, start, len)
    }
}

/// Writes every row of `all` to `out` as `rows`, encoding on every core when there are
/// many.
pub fn write(out: &mut dyn Write, all: &dyn Chunks, rows: Rows) -> io::Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    write_chunked(out, all, rows, CHUNK_ROWS, threads)
}

/// [`write`] with the chunk size and the number of workers given.
fn write_chunked(
    out: &mut dyn Write,
    all: &dyn Chunks,
    rows: Rows,
    chunk_rows: usize,
    threads: usize,
) -> io::Result<()> {
    let n = all.num_rows();
    if threads < 2 || n <= chunk_rows {
        let whole = all.chunk(0, n).map_err(io::Error::other)?;
        return encode_whole(out, &whole, rows);
    }
    let chunks = n.div_ceil(chunk_rows);
    let workers = threads.min(chunks);
    if rows == Rows::JsonArray {
        out.write_all(b"[")?;
    }
    std::thread::scope(|scope| {
        let receivers: Vec<mpsc::Receiver<Result<Vec<u8>, ArrowError>>> = (0..workers)
            .map(|w| {
                // Worker `w` -> the writer: the bytes of each of its chunks, in order. Bound 1:
                // a worker is at most one chunk ahead of the writer. The worker hangs up when
                // its chunks are done; the writer hangs up when it stops (a write failed), and
                // the worker's next send fails, which stops it.
                let (tx, rx) = mpsc::sync_channel(1);
                scope.spawn(move || {
                    for i in (w..chunks).step_by(workers) {
                        let start = i * chunk_rows;
                        let bytes = all
                            .chunk(start, chunk_rows.min(n - start))
                            .and_then(|chunk| encode_chunk(&chunk, rows, i == 0));
                        if tx.send(bytes).is_err() {
                            break;
                        }
                    }
                });
                rx
            })
            .collect();
        for i in 0..chunks {
            let bytes = receivers[i % workers]
                .recv()
                .map_err(|_| io::Error::other("a row encoder stopped before its last chunk"))?
                .map_err(io::Error::other)?;
            // A JSON chunk's rows each end in `,`: the last row of all must not.
            let end = if rows == Rows::JsonArray && i + 1 == chunks {
                bytes.len() - 1
            } else {
                bytes.len()
            };
            out.write_all(&bytes[..end])?;
        }
        Ok::<_, io::Error>(())
    })?;
    if rows == Rows::JsonArray {
        out.write_all(b"]")?;
    }
    Ok(())
}

/// `batch` encoded by one encoder straight into `out`.
fn encode_whole(out: &mut dyn Write, batch: &RecordBatch, rows: Rows) -> io::Result<()> {
    match rows {
        Rows::Ndjson => {
            let mut w = json_builder().build::<_, arrow_json::writer::LineDelimited>(out);
            w.write(batch).map_err(io::Error::other)?;
            w.finish().map_err(io::Error::other)
        }
        Rows::JsonArray => {
            let mut w = json_builder().build::<_, arrow_json::writer::JsonArray>(out);
            w.write(batch).map_err(io::Error::other)?;
            w.finish().map_err(io::Error::other)
        }
        Rows::Csv => arrow_csv::WriterBuilder::new()
            .with_header(true)
            .build(out)
            .write(batch)
            .map_err(io::Error::other),
    }
}

/// One chunk's bytes: NDJSON lines; CSV lines, the header before the first chunk only; or
/// JSON rows each followed by `,` (a JSON row never holds a raw newline, so the NDJSON line
/// ends are exactly the places between rows).
fn encode_chunk(chunk: &RecordBatch, rows: Rows, is_first: bool) -> Result<Vec<u8>, ArrowError> {
    // A guess at the chunk's size; the memory size of a slice is that of the whole batch.
    let mut buf = Vec::with_capacity(chunk.num_rows() * chunk.num_columns() * 12);
    match rows {
        Rows::Ndjson | Rows::JsonArray => {
            let mut w = json_builder().build::<_, arrow_json::writer::LineDelimited>(&mut buf);
            w.write(chunk)?;
            w.finish()?;
        }
        Rows::Csv => arrow_csv::WriterBuilder::new()
            .with_header(is_first)
            .build(&mut buf)
            .write(chunk)?,
    }
    if rows == Rows::JsonArray {
        for b in &mut buf {
            if *b == b'\n' {
                *b = b',';
            }
        }
    }
    Ok(buf)
}

/// The JSON writers' settings: a null is written as `null`, not left out.
fn json_builder() -> arrow_json::WriterBuilder {
    arrow_json::WriterBuilder::new().with_explicit_nulls(true)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Float64Array, Int64Array, StringArray};

    use super::*;

    fn batch(n: usize) -> RecordBatch {
        let ids: Vec<Option<i64>> = (0..n)
            .map(|i| (i % 4 != 3).then(|| i64::try_from(i).unwrap()))
            .collect();
        let texts: Vec<Option<String>> = (0..n)
            .map(|i| (i % 5 != 2).then(|| format!("line {i}\nwith \"quotes\", commas and ✓")))
            .collect();
        let prices: Vec<f64> = (0..n)
            .map(|i| f64::from(u32::try_from(i).unwrap()) / 3.0)
            .collect();
        RecordBatch::try_from_iter([
            ("id", Arc::new(Int64Array::from(ids)) as ArrayRef),
            ("text", Arc::new(StringArray::from(texts)) as ArrayRef),
            ("price", Arc::new(Float64Array::from(prices)) as ArrayRef),
        ])
        .unwrap()
    }

    fn whole(batch: &RecordBatch, rows: Rows) -> Vec<u8> {
        let mut out = Vec::new();
        encode_whole(&mut out, batch, rows).unwrap();
        out
    }

    #[test]
    fn chunked_bytes_are_those_of_one_encoder() {
        for rows in [Rows::Ndjson, Rows::Csv, Rows::JsonArray] {
            for n in [0, 1, 3, 4, 10, 11] {
                let b = batch(n);
                for (chunk_rows, threads) in [(3, 2), (3, 3), (1, 2), (4, 8)] {
                    let mut out = Vec::new();
                    write_chunked(&mut out, &b, rows, chunk_rows, threads).unwrap();
                    assert_eq!(
                        String::from_utf8(out).unwrap(),
                        String::from_utf8(whole(&b, rows)).unwrap(),
                        "{rows:?}, {n} rows, chunks of {chunk_rows}, {threads} threads"
                    );
                }
            }
        }
    }

    #[test]
    fn the_json_array_parses_back() {
        let mut out = Vec::new();
        write_chunked(&mut out, &batch(10), Rows::JsonArray, 3, 2).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 10);
        assert_eq!(v[9]["id"], 9);
        assert_eq!(v[3]["id"], serde_json::Value::Null);
    }

    /// Accepts `left` bytes, then fails every write.
    struct Full {
        left: usize,
    }

    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.left == 0 {
                return Err(io::Error::new(io::ErrorKind::BrokenPipe, "closed"));
            }
            let n = buf.len().min(self.left);
            self.left -= n;
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failed_write_stops_the_encoders_and_is_returned() {
        let mut out = Full { left: 100 };
        let e = write_chunked(&mut out, &batch(1000), Rows::Ndjson, 7, 2).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
    }
}
