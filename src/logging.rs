//! Logging with tracing to a file through tracing-appender; never to the terminal, which the
//! dashboard owns. Panics off the main thread are logged here too, not printed
//! ([`route_panics`]).

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// scatter's directory for state kept between runs (the log, the editor's history): the
/// platform's state directory (`~/.local/state/scatter` on Linux), else its data directory,
/// else the temporary directory.
#[must_use]
pub fn state_dir() -> PathBuf {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("scatter")
}

/// The log file used when `--log-file` is not given: `scatter.log` in [`state_dir`].
#[must_use]
pub fn default_path() -> PathBuf {
    state_dir().join("scatter.log")
}

/// Starts logging to `path` at a level set by `verbosity` (0 info, 1 debug, 2+ trace);
/// `SCATTER_LOG` (an `EnvFilter` directive) overrides it. Keep the guard alive until exit: dropping it
/// flushes the log.
pub fn init(path: &Path, verbosity: u8) -> std::io::Result<WorkerGuard> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let level = match verbosity {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_env("SCATTER_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("warn,scatter={level}")));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .map_err(std::io::Error::other)?;
    Ok(guard)
}

/// Sends panics off the calling thread to the log, and only there: a source's task, a table
/// rebuild or a parser thread that panics is a bug whose message must not be printed over the
/// dashboard. Its source (or the table) shows the error; the log has the message, the place
/// and a backtrace. A panic on the calling thread (`main`, which owns the terminal) goes to
/// the hook that was installed before, which prints it. Call once, early in `main`.
pub fn route_panics() {
    let owner = std::thread::current().id();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == owner {
            previous(info);
        } else {
            log_panic(info);
        }
    }));
}

/// Writes a panic to the log: the thread, the place, the message and a backtrace.
pub fn log_panic(info: &std::panic::PanicHookInfo<'_>) {
    let thread = std::thread::current();
    let place = info
        .location()
        .map_or_else(|| "an unknown place".to_owned(), ToString::to_string);
    let backtrace = std::backtrace::Backtrace::force_capture();
    tracing::error!(
        thread = thread.name().unwrap_or("unnamed"),
        %place,
        "panic: {}\n{backtrace}",
        panic_message(info.payload())
    );
}

/// The message a panic was raised with (`panic!("...")`, `expect`, an index out of bounds).
#[must_use]
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}
