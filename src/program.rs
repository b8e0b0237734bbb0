//! The program behind the `scatter` binary: logging, command line, config, then the dashboard
//! or one headless gather; the exit code says how it went.
//!
//! It lives in the library, not in `main.rs`, so that the generic code it instantiates (the
//! runtime's `block_on` of each run, clap's parser) is compiled once, with the rest of the
//! crate: in the binary it was compiled a second time, some 50 s of a release build.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use crate::cli::{Cli, Command, ReplayArgs, ReplayFormat};
use crate::config::{self, Config};
use crate::record::Recorder;
use crate::{headless, logging, output, tui};
use clap::Parser;

/// Usage or config error.
const EXIT_USAGE: u8 = 2;
/// Anything else that went wrong.
const EXIT_OTHER: u8 = 1;
/// Bytes buffered before a write to stdout: large enough that a million-row result costs a
/// few thousand writes, not a million.
const STDOUT_BUFFER: usize = 256 * 1024;

/// Runs the program as the command line says and returns its exit code: 2 for a usage or
/// config error, 1 for anything else that went wrong before or after the gather, else the
/// gather's own ([`output::exit_code`], [`output::EXIT_SQL_FAILED`]).
#[must_use]
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let log_file = match &cli.command {
        Some(Command::Replay(args)) => args.log_file.clone(),
        None => cli.log_file.clone(),
    };
    let log_path = log_file.unwrap_or_else(logging::default_path);
    let _log_guard = match logging::init(&log_path, cli.verbose) {
        Ok(guard) => Some(guard),
        Err(e) => {
            eprintln!(
                "scatter: warning: cannot log to {}: {e}",
                log_path.display()
            );
            None
        }
    };
    logging::route_panics();
    if let Some(Command::Replay(args)) = &cli.command {
        return replay(args);
    }
    let config = match load(&cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("scatter: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    tracing::info!(config = %config.path.display(), sources = config.sources.len(), "starting");
    let format = cli.format.unwrap_or_default();
    if cli.list_sources {
        let mut stdout = std::io::BufWriter::with_capacity(STDOUT_BUFFER, std::io::stdout().lock());
        return match output::write_sources(&mut stdout, &config, format)
            .and_then(|()| stdout.flush())
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("scatter: {e}");
                ExitCode::from(EXIT_OTHER)
            }
        };
    }
    let recorder = match cli.record.as_deref().map(Recorder::open).transpose() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("scatter: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("scatter: cannot start the runtime: {e}");
            return ExitCode::from(EXIT_OTHER);
        }
    };
    let code = if cli.is_headless(std::io::stdout().is_terminal()) {
        let mut out = match output(&cli, format) {
            Ok(out) => out,
            Err(e) => {
                eprintln!("scatter: {e}");
                return ExitCode::from(EXIT_USAGE);
            }
        };
        let mut recorder = recorder;
        runtime.block_on(headless::run(
            &config,
            format,
            cli.summary,
            recorder.as_mut(),
            &mut out,
        ))
    } else {
        runtime.block_on(tui::run(config, recorder))
    };
    match code {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scatter: {e}");
            ExitCode::from(EXIT_OTHER)
        }
    }
}

/// `scatter replay`: the comparison printed, or the dashboard on the replayed run.
fn replay(args: &ReplayArgs) -> ExitCode {
    let replayed = match crate::replay::replay(&args.file, &args.request()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("scatter: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let result = if args.format.is_none() && std::io::stdout().is_terminal() {
        tokio::runtime::Runtime::new().and_then(|rt| rt.block_on(tui::replay(replayed)))
    } else {
        let mut stdout = std::io::stdout().lock();
        let text = match args.format {
            Some(ReplayFormat::Json) => format!("{}\n", crate::replay::json(&replayed)),
            _ => crate::replay::text(&replayed),
        };
        stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
            .map(|()| 0)
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scatter: {e}");
            ExitCode::from(EXIT_OTHER)
        }
    }
}

/// Why `--once` has nowhere to write.
#[derive(Debug, thiserror::Error)]
enum OutputError {
    /// `--output FILE` could not be created.
    #[error("--output: cannot create {}: {source}", path.display())]
    Create {
        /// The file asked for.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Parquet asked for on a terminal.
    #[error(
        "--format parquet: stdout is a terminal; write to a file with --output FILE or pipe it"
    )]
    ParquetToTerminal,
}

/// Where `--once` writes: `--output FILE`, else stdout, block-buffered (stdout is
/// line-buffered by default: one write per NDJSON row). Parquet is not written to a terminal.
fn output(cli: &Cli, format: output::Format) -> Result<Box<dyn Write>, OutputError> {
    if let Some(path) = &cli.output {
        let file = std::fs::File::create(path).map_err(|source| OutputError::Create {
            path: path.clone(),
            source,
        })?;
        return Ok(Box::new(std::io::BufWriter::with_capacity(
            STDOUT_BUFFER,
            file,
        )));
    }
    if format == output::Format::Parquet && std::io::stdout().is_terminal() {
        return Err(OutputError::ParquetToTerminal);
    }
    Ok(Box::new(std::io::BufWriter::with_capacity(
        STDOUT_BUFFER,
        std::io::stdout().lock(),
    )))
}

fn load(cli: &Cli) -> Result<Config, config::ConfigError> {
    let path = match &cli.config {
        Some(p) => p.clone(),
        None => config::default_path()?,
    };
    let mut config = Config::load(&path)?;
    config.apply(cli.overrides())?;
    if config.sources.is_empty() {
        return Err(config::ConfigError::Invalid {
            path: config.path.clone(),
            line: 1,
            message: "no [[source]] defined".into(),
        });
    }
    Ok(config)
}
