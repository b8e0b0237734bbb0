//! Logging with tracing to a file through tracing-appender; never to the terminal, which the
//! dashboard owns.

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
