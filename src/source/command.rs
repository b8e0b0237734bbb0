//! `command`: a program run without a shell (`argv`, `{query}` substituted in each argument),
//! its stdout parsed as NDJSON, CSV or JSON. NDJSON is parsed as it arrives (whole lines,
//! at least every 100 ms), so the row count of a slow command climbs; CSV and JSON are parsed
//! once the command has finished.
//!
//! The program runs in a process group of its own. When the run ends early (the engine drops
//! the future on timeout or cancel, stdout passes the cap) the whole group gets `SIGKILL`, so
//! `sh -c 'a | b'` or a script's background jobs die with it, and the child is reaped on the
//! gather's cleanup tracker. When the program exits, whatever it left running in its group
//! (a background job) is killed too: a run leaves no process behind. Killing uses `nix`'s
//! safe `killpg` (`unsafe` is forbidden in this crate, and spawning `kill(1)` from a
//! destructor would fork inside a drop).

mod stream;

use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};
use tokio_util::task::TaskTracker;

use super::data::{self, Nulls};
use super::http::bytes_text;
use super::{MAX_OUTPUT_BYTES, Request, RowSink, Source, SourceError, redact};
use crate::config::DataFormat;

/// Bytes of stderr quoted in the error of a failed command: the end of a message or a stack
/// trace, short enough for the dashboard's message column.
const STDERR_TAIL: usize = 300;

/// A command source.
pub struct CommandSource {
    argv: Vec<String>,
    format: DataFormat,
    nulls: Nulls,
    output_cap: usize,
}

/// A running child and its process group. Dropped armed (the run was cut off), it kills the
/// whole group and reaps the child in the background.
struct Group {
    /// The group's id: the child's pid, since it was spawned with `process_group(0)`.
    pgid: Pid,
    /// `None` once waited for.
    child: Option<Child>,
    /// Where the reaping task is tracked, so the process can wait for it before it exits.
    cleanup: TaskTracker,
}

impl Group {
    /// Waits for the child to exit, then kills whatever it left running in its group (a
    /// background job with its output redirected away would otherwise outlive the run).
    async fn wait(&mut self) -> Result<ExitStatus, SourceError> {
        let child = self.child.as_mut().expect("waited for once");
        let status = child.wait().await.map_err(|source| SourceError::Io {
            context: "waiting for the command".into(),
            source,
        })?;
        self.child = None;
        // The leader is reaped, but the group id stays allocated (not reusable as a pid)
        // while any member lives; with none left this finds no group (ESRCH, ignored).
        if killpg(self.pgid, Signal::SIGKILL).is_ok() {
            tracing::debug!(pgid = %self.pgid, "killed what the command left running");
        }
        Ok(status)
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // The leader is not reaped yet, so its pid (the group id) cannot have been reused.
        if let Err(e) = killpg(self.pgid, Signal::SIGKILL) {
            tracing::debug!(pgid = %self.pgid, error = %e, "killpg");
        }
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(self.cleanup.track_future(async move {
                    let _ = child.wait().await;
                }));
            }
            // No runtime (dropped during shutdown): `kill_on_drop` leaves reaping to tokio.
            Err(_) => drop(child),
        }
    }
}

/// Shows what `describe` shows (URL passwords in arguments masked).
impl std::fmt::Debug for CommandSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandSource")
            .field("describe", &self.describe())
            .finish_non_exhaustive()
    }
}

impl CommandSource {
    /// Runs `argv` (`{query}` substituted) and reads `format` from its stdout.
    #[must_use]
    pub fn new(argv: Vec<String>, format: DataFormat) -> Self {
        Self {
            argv,
            format,
            nulls: Nulls::default(),
            output_cap: MAX_OUTPUT_BYTES,
        }
    }

    /// Reads the CSV fields spelled as one of `nulls` as null (default: the empty field).
    #[must_use]
    pub fn with_nulls(mut self, nulls: &[String]) -> Self {
        self.nulls = Nulls::new(nulls);
        self
    }

    /// Sets the most stdout bytes read (default [`MAX_OUTPUT_BYTES`]); more is an error and
    /// the command is killed.
    #[must_use]
    pub fn with_output_cap(mut self, bytes: usize) -> Self {
        self.output_cap = bytes;
        self
    }

    async fn run_inner(&self, request: &Request, sink: &mut RowSink) -> Result<(), SourceError> {
        let argv: Vec<String> = self
            .argv
            .iter()
            .map(|a| a.replace("{query}", &request.query))
            .collect();
        let program = &argv[0];
        let mut child = Command::new(program)
            .args(&argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| SourceError::Io {
                context: format!("cannot run \"{program}\""),
                source,
            })?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let pid = child.id().expect("a child not yet waited for has an id");
        let mut group = Group {
            pgid: Pid::from_raw(i32::try_from(pid).expect("pids fit in i32")),
            child: Some(child),
            cleanup: request.cleanup.clone(),
        };
        // Both pipes are drained together so a chatty stderr cannot block the program; a
        // stdout past the cap returns early, dropping `group`, which kills the program.
        let read_out = async {
            if self.format == DataFormat::Ndjson {
                stream::ndjson(stdout, self.output_cap, sink).await?;
                Ok(Vec::new())
            } else {
                read_capped(stdout, self.output_cap).await
            }
        };
        let (out, err) = tokio::try_join!(read_out, read_tail(stderr).map(Ok))?;
        let status = group.wait().await?;
        if !status.success() {
            return Err(SourceError::Failed(exit_message(status, &err)));
        }
        if out.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        data::push_parsed(out, self.format, &self.nulls, sink).await
    }
}

/// Reads `pipe` to its end, failing past `cap` bytes.
async fn read_capped(pipe: impl AsyncRead + Unpin, cap: usize) -> Result<Vec<u8>, SourceError> {
    let mut out = Vec::new();
    let read = pipe
        .take(cap as u64 + 1)
        .read_to_end(&mut out)
        .await
        .map_err(|source| SourceError::Io {
            context: "reading the command's stdout".into(),
            source,
        })?;
    if read > cap {
        return Err(too_large(cap));
    }
    Ok(out)
}

fn too_large(cap: usize) -> SourceError {
    SourceError::Failed(format!(
        "stdout larger than {}; the command was killed",
        bytes_text(cap)
    ))
}

/// Reads `pipe` to its end, keeping only its last [`STDERR_TAIL`] bytes (a read error ends
/// it: stderr is only for the message).
async fn read_tail(mut pipe: impl AsyncRead + Unpin) -> Vec<u8> {
    let mut tail = Vec::with_capacity(2 * STDERR_TAIL);
    let mut buf = [0u8; 8192];
    while let Ok(n) = pipe.read(&mut buf).await {
        if n == 0 {
            break;
        }
        tail.extend_from_slice(&buf[..n]);
        if tail.len() > STDERR_TAIL {
            tail.drain(..tail.len() - STDERR_TAIL);
        }
    }
    tail
}

/// `exited with status 2: <stderr tail>` or `killed by signal 9 (SIGKILL): ...`.
fn exit_message(status: ExitStatus, stderr_tail: &[u8]) -> String {
    let mut message = match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(sig)) => match Signal::try_from(sig) {
            Ok(s) => format!("killed by signal {sig} ({})", s.as_str()),
            Err(_) => format!("killed by signal {sig}"),
        },
        (None, None) => format!("ended abnormally ({status})"),
    };
    let text = String::from_utf8_lossy(stderr_tail);
    // The tail may start inside a line or a multi-byte character: show whole words.
    let text = text.trim_start_matches('\u{FFFD}').trim();
    if !text.is_empty() {
        message.push_str(": ");
        message.push_str(&text.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    message
}

impl Source for CommandSource {
    fn run<'a>(
        &'a self,
        request: &'a Request,
        sink: &'a mut RowSink,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        self.run_inner(request, sink).boxed()
    }

    fn describe(&self) -> String {
        let args: Vec<String> = self.argv.iter().map(|a| redact::url(a)).collect();
        format!(
            "command {} (stdout as {})",
            shell_words(&args),
            self.format.as_str()
        )
    }
}

/// Arguments joined for display, quoting those with spaces or quotes.
fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if a.is_empty() || a.contains(|c: char| c.is_whitespace() || "'\"\\$`".contains(c)) {
                format!("'{}'", a.replace('\'', "'\\''"))
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_messages_name_code_or_signal_and_quote_stderr() {
        let code = ExitStatus::from_raw(3 << 8);
        assert_eq!(
            exit_message(code, b"line one\n  boom: bad input\n"),
            "exited with status 3: line one boom: bad input"
        );
        assert_eq!(exit_message(code, b"  \n"), "exited with status 3");
        let killed = ExitStatus::from_raw(9);
        assert_eq!(exit_message(killed, b""), "killed by signal 9 (SIGKILL)");
    }

    #[test]
    fn describe_quotes_args_and_hides_url_passwords() {
        let s = CommandSource::new(
            vec![
                "sh".into(),
                "-c".into(),
                "echo {query}".into(),
                "postgres://u:pw@h/db".into(),
            ],
            DataFormat::Csv,
        );
        assert_eq!(
            s.describe(),
            "command sh -c 'echo {query}' postgres://u:***@h/db (stdout as csv)"
        );
    }
}
