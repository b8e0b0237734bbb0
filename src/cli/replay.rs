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

/// Replay a recorded gather (--record FILE) under other limits, in virtual time: what would
/// have happened beside what did (wall time, states, the sources lost or saved, p50/p99).
///
/// With a terminal, the dashboard opens on the replayed run and its timeline (r replays it
/// again); with --format or without a terminal, the comparison is printed.
///
/// A source that ended by itself (ok, error) is assumed to take as long again from its new
/// start. A source cut off in the recording (timeout, deadline, cancelled) is cut off again
/// under a limit no longer than it ran; under a longer one its outcome is unknown, and it
/// holds its slot until its limit.
///
/// Exit codes: 0 replayed; 2 usage error, or a recording that is truncated or not scatter's
/// (the message names the line); 1 anything else.
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
