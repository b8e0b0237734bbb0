//! `scatter replay`'s arguments.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::config::Mode;

/// How `scatter replay` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReplayFormat {
    /// The comparison as text.
    Text,
    /// One JSON object: {"recorded": ..., "replayed": ...}, each shaped like --once's JSON.
    Json,
}

/// The arguments of `scatter replay` (its help is on [`super::Command::Replay`]).
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The recording (written by --record).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Which run: its line number in the file [default: the last].
    #[arg(long, value_name = "N")]
    pub run: Option<usize>,

    /// Every source's time limit [default: as recorded].
    #[arg(long, value_name = "DURATION", value_parser = super::duration)]
    pub timeout: Option<Duration>,

    /// The whole gather's time limit [default: as recorded].
    #[arg(long, value_name = "DURATION", value_parser = super::duration)]
    pub deadline: Option<Duration>,

    /// Sources at once; 0 = all [default: as recorded].
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,

    /// partial or fail-fast [default: as recorded].
    #[arg(long, value_enum, value_name = "MODE")]
    pub mode: Option<Mode>,

    /// Send the query to a source's next replica when it has not answered after DURATION,
    /// from the attempts the recording holds on each replica (sources without them are
    /// replayed as recorded, and said so).
    #[arg(long, value_name = "DURATION", value_parser = super::duration)]
    pub hedge_after: Option<Duration>,

    /// Print instead of opening the dashboard.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<ReplayFormat>,

    /// Log file [default: ~/.local/state/scatter/scatter.log].
    #[arg(long, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
}

impl ReplayArgs {
    /// The replay these arguments ask for.
    #[must_use]
    pub fn request(&self) -> crate::replay::Request {
        crate::replay::Request {
            run: self.run,
            timeout: self.timeout,
            deadline: self.deadline,
            concurrency: self.concurrency,
            mode: self.mode,
            hedge_after: self.hedge_after,
        }
    }
}
