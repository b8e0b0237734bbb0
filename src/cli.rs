//! Command-line definitions (clap). Every option here can also be set in `sources.toml`; the
//! command line wins.
//!
//! The doc comments below are the `--help` text, read by people in a terminal: plain words, no
//! Markdown (product names are valid idents for clippy's `doc_markdown` in `clippy.toml`). Where
//! a help text must name a code identifier, it is given as `help = ...` instead, and a test
//! checks that the rendered help holds no backtick or link syntax.

mod replay;

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Parser, Subcommand};

use crate::config::{Mode, Overrides};
use crate::output::{Format, SummaryMode};

pub use replay::{ReplayArgs, ReplayFormat};

/// One query, many sources, one live table.
///
/// scatter sends a query to many sources at once (PostgreSQL, MySQL/MariaDB, SQLite, MongoDB,
/// Redis, HTTP JSON APIs, commands, CSV/JSON files, simulated sources), shows each source's
/// state, latency and row count live, and merges the rows into one sorted table.
///
/// With a terminal, scatter opens the dashboard. With --once, --format, or when stdout is not a
/// terminal, it runs one gather and prints the result.
///
/// Exit codes: 0 every source ok; 2 usage or config error; 3 partial result (some sources failed
/// or timed out); 4 no result (fail-fast abort, or no source succeeded); 5 the SQL step (--sql)
/// failed when it ran; 1 anything else.
#[derive(Debug, Parser)]
#[command(
    name = "scatter",
    version,
    max_term_width = 100,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Another command than a gather (none: the dashboard, or one gather with --once).
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The query to send (overrides the config's query; sources with a query of their own keep
    /// it).
    pub query: Option<String>,

    /// Config file [default: ./sources.toml, then ~/.config/scatter/sources.toml].
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Run one gather without the dashboard and print the result to stdout.
    #[arg(long)]
    pub once: bool,

    /// Output format of --once (implies --once) and of --list-sources.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// Write the result of --once to FILE instead of stdout (implies --once).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Print the sources the config declares (fleets expanded: name, kind, target with
    /// passwords hidden, tags, enabled) and exit without querying any. Honours --only and
    /// --format.
    #[arg(long)]
    pub list_sources: bool,

    /// The per-source summary on stderr after --once: auto gives one line per source up to 20
    /// sources and a fleet summary above (counts by state, latency percentiles, the failed and
    /// the slowest sources); full always one line per source.
    #[arg(long, value_enum, value_name = "HOW", default_value_t = SummaryMode::Auto)]
    pub summary: SummaryMode,

    /// Time limit per source, e.g. 3s or 500ms [config: gather.timeout; default 10s].
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub timeout: Option<Duration>,

    /// Time limit for the whole gather [config: gather.deadline; default none].
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub deadline: Option<Duration>,

    /// Sources queried at once; 0 = all [config: gather.concurrency; default 8].
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,

    /// partial: gather all it can; fail-fast: cancel the rest at the first failure
    /// [config: gather.mode; default partial].
    #[arg(long, value_enum, value_name = "MODE")]
    pub mode: Option<Mode>,

    /// Sort keys, comma-separated; a leading - sorts descending, nulls always last
    /// (e.g. --sort price,-model) [config: merge.sort].
    #[arg(
        long,
        value_name = "KEYS",
        value_delimiter = ',',
        allow_hyphen_values = true
    )]
    pub sort: Option<Vec<String>>,

    /// Most rows in the merged result; 0 = all [config: merge.limit].
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,

    /// Only the sources with this name or tag (repeatable).
    #[arg(long, value_name = "NAME|TAG", action = ArgAction::Append)]
    pub only: Vec<String>,

    /// Dashboard: re-run every DURATION [config: gather.watch].
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub watch: Option<Duration>,

    /// A SQL query run after the merge over the table results (every row, with _source) and
    /// one table per source named after it (quote names such as "catalog-eu"); its result
    /// replaces the rows in the output, e.g. --sql "SELECT type, count(*) FROM results GROUP BY
    /// type" [config: merge.sql].
    #[arg(long, value_name = "QUERY")]
    pub sql: Option<String>,

    /// Allow statements that write (`--allow-writes`; the `allow_writes` config key).
    #[arg(
        long,
        help = "Allow statements that write (sessions are read-only otherwise) \
                [config: allow_writes]"
    )]
    pub allow_writes: bool,

    /// Append each gather's report (sources, states, timings, row counts and the limits that
    /// applied) to FILE as one JSON line, from --once and from the dashboard (every run);
    /// scatter replay FILE replays it under other limits.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,

    /// Log file [default: ~/.local/state/scatter/scatter.log].
    #[arg(long, value_name = "FILE")]
    pub log_file: Option<PathBuf>,

    /// More detail in the log file (-v debug, -vv trace).
    #[arg(short, long, action = ArgAction::Count)]
    pub verbose: u8,
}

/// scatter's commands besides a gather.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay a recorded gather (--record FILE) under other limits, in virtual time.
    ///
    /// Prints what would have happened beside what did (wall time, states, the sources lost or
    /// saved, p50/p99).
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
    Replay(ReplayArgs),
}

impl Cli {
    /// Whether to run headless: asked for, or stdout is not a terminal.
    #[must_use]
    pub fn is_headless(&self, stdout_is_terminal: bool) -> bool {
        self.once || self.format.is_some() || self.output.is_some() || !stdout_is_terminal
    }

    /// The values that override the config file.
    #[must_use]
    pub fn overrides(&self) -> Overrides {
        Overrides {
            query: self.query.clone(),
            timeout: self.timeout,
            deadline: self.deadline,
            concurrency: self.concurrency,
            mode: self.mode,
            sort: self.sort.clone(),
            limit: self.limit,
            only: self.only.clone(),
            watch: self.watch,
            allow_writes: self.allow_writes,
            sql: self.sql.clone(),
        }
    }
}

fn duration(s: &str) -> Result<Duration, crate::config::ValueError> {
    crate::config::parse_duration(s)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    /// Help text is for people: no Markdown backticks or rustdoc links in `-h` or `--help`,
    /// and the numbers it states are the ones the code uses.
    #[test]
    fn help_reads_as_plain_text() {
        for long in [false, true] {
            let mut command = Cli::command();
            let help = if long {
                command.render_long_help()
            } else {
                command.render_help()
            }
            .to_string();
            for markup in ["`", "[`", "](", "**"] {
                assert!(!help.contains(markup), "{markup:?} in the help:\n{help}");
            }
            assert!(
                help.contains("PostgreSQL, MySQL/MariaDB, SQLite") || !long,
                "{help}"
            );
        }
        let mut command = Cli::command();
        let replay = command.find_subcommand_mut("replay").unwrap();
        let help = replay.render_long_help().to_string();
        for markup in ["`", "[`", "](", "**"] {
            assert!(
                !help.contains(markup),
                "{markup:?} in the replay help:\n{help}"
            );
        }
        assert!(help.contains("Exit codes: 0 replayed"), "{help}");
        let help = Cli::command().render_long_help().to_string();
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        let fleet = format!("up to {} sources", crate::output::FLEET_SUMMARY_ABOVE);
        assert_eq!(help.matches(&fleet).count(), 2, "{help}");
    }

    #[test]
    fn replay_is_a_subcommand_and_a_query_stays_a_query() {
        let cli = Cli::try_parse_from(["scatter", "SELECT 1"]).unwrap();
        assert_eq!(cli.query.as_deref(), Some("SELECT 1"));
        assert!(cli.command.is_none());
        let cli =
            Cli::try_parse_from(["scatter", "replay", "r.jsonl", "--deadline", "2s"]).unwrap();
        let Some(Command::Replay(args)) = cli.command else {
            panic!("replay")
        };
        assert_eq!(args.deadline, Some(Duration::from_secs(2)));
        assert!(Cli::try_parse_from(["scatter", "--once", "replay", "r.jsonl"]).is_err());
    }

    #[test]
    fn sort_accepts_descending_keys() {
        let cli = Cli::try_parse_from(["scatter", "--sort", "-price,model"]).unwrap();
        assert_eq!(
            cli.sort,
            Some(vec!["-price".to_owned(), "model".to_owned()])
        );
    }
}
