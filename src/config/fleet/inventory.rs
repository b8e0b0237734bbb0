//! `inventory` and `inventory_file`: one JSON object per line, from a program (argv, no shell)
//! or a file. The program runs in the config file's folder, in a process group of its own,
//! under the source's timeout; when it overruns, the whole group is killed.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde_json::{Map, Value};

use super::FleetError;

/// Most bytes read from an inventory program's stdout: a million sources at 256 bytes a line,
/// and a runaway program cannot take the machine's memory.
const MAX_STDOUT: u64 = 256 * 1024 * 1024;
/// Most bytes of its stderr kept for the error message.
const MAX_STDERR: u64 = 64 * 1024;

/// Where the lines come from.
#[derive(Debug, Clone)]
pub enum Origin {
    /// A program and its arguments; a relative program path containing `/` is relative to the
    /// config file's folder, a bare name is looked up in `PATH`.
    Command(Vec<String>),
    /// A file of JSON lines, relative to the config file's folder.
    File(PathBuf),
}

/// One line of the inventory.
#[derive(Debug, Clone)]
pub struct Row {
    /// 1-based line number in the output or file.
    pub line: usize,
    /// The object's keys and values, in the order written.
    pub entries: Map<String, Value>,
}

/// Reads the inventory; `dir` is the config file's folder, `timeout` the source's (the caller
/// adds the file and line of the block to an error).
pub fn read(origin: &Origin, dir: &Path, timeout: Duration) -> Result<Vec<Row>, FleetError> {
    let (text, what) = match origin {
        Origin::Command(argv) => (
            run(argv, dir, timeout)?,
            format!("the output of `{}`", argv.join(" ")),
        ),
        Origin::File(path) => {
            let path = dir.join(path);
            let text = std::fs::read_to_string(&path).map_err(|source| FleetError::ReadFile {
                path: path.clone(),
                source,
            })?;
            (text, path.display().to_string())
        }
    };
    let rows = parse(&text, &what)?;
    if rows.is_empty() {
        return Err(FleetError::NoRows(what));
    }
    Ok(rows)
}

/// One JSON object per non-blank line.
fn parse(text: &str, what: &str) -> Result<Vec<Row>, FleetError> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(entries)) => rows.push(Row {
                line: i + 1,
                entries,
            }),
            _ => {
                return Err(FleetError::NotObject {
                    line: i + 1,
                    what: what.to_owned(),
                    text: shorten(line),
                });
            }
        }
    }
    Ok(rows)
}

fn shorten(s: &str) -> String {
    const MAX: usize = 80;
    match s.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}...", &s[..at]),
        None => s.to_owned(),
    }
}

/// What the reader and waiter threads report.
enum Done {
    Stdout(std::io::Result<Vec<u8>>),
    Stderr(Vec<u8>),
    Exit(std::io::Result<std::process::ExitStatus>),
}

/// Runs `argv` and returns its stdout, or why not.
fn run(argv: &[String], dir: &Path, timeout: Duration) -> Result<String, FleetError> {
    let shown = argv.join(" ");
    // Absolute, so that it does not matter whether the program is looked up before or after
    // the change to `dir` (std leaves that to the platform).
    let program = Path::new(&argv[0]);
    let program = if argv[0].contains('/') && program.is_relative() {
        std::path::absolute(dir.join(program)).map_err(|source| FleetError::Spawn {
            shown: shown.clone(),
            source,
        })?
    } else {
        program.to_path_buf()
    };
    let mut child = std::os::unix::process::CommandExt::process_group(
        Command::new(&program).args(&argv[1..]),
        0,
    )
    .current_dir(dir)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .map_err(|source| FleetError::Spawn {
        shown: shown.clone(),
        source,
    })?;
    let pgid = Pid::from_raw(child.id() as i32);
    let (done_tx, done_rx) = mpsc::channel();
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let tx = done_tx.clone();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let r = stdout
            .expect("stdout is piped")
            .take(MAX_STDOUT)
            .read_to_end(&mut out);
        let _ = tx.send(Done::Stdout(r.map(|_| out)));
    });
    let tx = done_tx.clone();
    std::thread::spawn(move || {
        let mut err = Vec::new();
        let _ = stderr
            .expect("stderr is piped")
            .take(MAX_STDERR)
            .read_to_end(&mut err);
        let _ = tx.send(Done::Stderr(err));
    });
    std::thread::spawn(move || {
        let _ = done_tx.send(Done::Exit(child.wait()));
    });
    collect(&done_rx, pgid, timeout, &shown)
}

/// Waits for the three reports, killing the process group if `timeout` passes first.
fn collect(
    done_rx: &mpsc::Receiver<Done>,
    pgid: Pid,
    timeout: Duration,
    shown: &str,
) -> Result<String, FleetError> {
    let deadline = Instant::now() + timeout;
    let (mut stdout, mut stderr, mut status) = (None, None, None);
    while stdout.is_none() || stderr.is_none() || status.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        match done_rx.recv_timeout(left) {
            Ok(Done::Stdout(r)) => stdout = Some(r),
            Ok(Done::Stderr(e)) => stderr = Some(e),
            Ok(Done::Exit(s)) => status = Some(s),
            Err(_) => {
                let _ = killpg(pgid, Signal::SIGKILL);
                return Err(FleetError::Timeout {
                    shown: shown.to_owned(),
                    limit: timeout,
                });
            }
        }
    }
    let spawn = |source| FleetError::Spawn {
        shown: shown.to_owned(),
        source,
    };
    let status = status.expect("loop ends with a status").map_err(spawn)?;
    if !status.success() {
        let stderr = String::from_utf8_lossy(stderr.as_deref().unwrap_or_default()).into_owned();
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        let how = status.code().map_or_else(
            || "was killed by a signal".to_owned(),
            |c| format!("exited with status {c}"),
        );
        return Err(FleetError::Exit {
            shown: shown.to_owned(),
            how,
            said: shorten(last.trim()),
        });
    }
    let bytes = stdout.expect("loop ends with stdout").map_err(spawn)?;
    String::from_utf8(bytes).map_err(|_| FleetError::NotUtf8(shown.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_must_be_objects() {
        let rows = parse("{\"host\": \"a\"}\n\n{\"host\": \"b\", \"port\": 5}\n", "x").unwrap();
        assert_eq!((rows.len(), rows[1].line), (2, 3));
        let cases = [
            ("[1, 2]", "line 1 of x is not a JSON object: `[1, 2]`"),
            ("{}\nhost=a", "line 2 of x is not a JSON object: `host=a`"),
            ("{\"a\": ", "line 1 of x is not a JSON object: `{\"a\":`"),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text, "x").unwrap_err().to_string(), want, "{text}");
        }
    }

    #[test]
    fn a_program_that_fails_hangs_or_prints_nothing_is_an_error() {
        let dir = Path::new("/");
        let sh = |script: &str| Origin::Command(vec!["sh".into(), "-c".into(), script.into()]);
        let t = Duration::from_secs(5);
        let ok = read(&sh("echo '{\"n\": 1}'"), dir, t).unwrap();
        assert_eq!(ok[0].entries["n"], 1);
        let err = read(&sh("echo boom >&2; exit 3"), dir, t)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "`sh -c echo boom >&2; exit 3` exited with status 3: boom"
        );
        let err = read(&sh("true"), dir, t).unwrap_err().to_string();
        assert_eq!(err, "the output of `sh -c true` lists no source (empty)");
        let started = Instant::now();
        let err = read(&sh("sleep 30 & sleep 30"), dir, Duration::from_millis(200))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "`sh -c sleep 30 & sleep 30` did not finish within 200ms (the source's timeout) and was stopped"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        let err = read(&Origin::Command(vec!["./no-such-inventory".into()]), dir, t)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "cannot run `./no-such-inventory`: No such file or directory (os error 2)"
        );
    }
}
