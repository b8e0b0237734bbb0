//! The validated configuration's parts: what each source is, and the gather's settings.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use super::attempts::{AttemptPolicy, AttemptSpec, DEFAULT_MAX_EXTRA_LOAD};
use super::{DEFAULT_MAX_ROWS, DEFAULT_MAX_ROWS_PER_SOURCE, Kind};

/// `partial` gathers all it can; `fail-fast` cancels the rest at the first failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Mode {
    /// Keep going when a source fails.
    #[default]
    Partial,
    /// Cancel every other source at the first error or timeout.
    FailFast,
}

impl Mode {
    /// The name used in the file and on the command line.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Partial => "partial",
            Self::FailFast => "fail-fast",
        }
    }
}

/// Format of a file's or a command's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    /// Comma-separated with a header line.
    Csv,
    /// One JSON array of objects.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// Apache Parquet (`file` sources only).
    Parquet,
}

impl DataFormat {
    /// The format's name as written in `format = "..."`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
            Self::Ndjson => "ndjson",
            Self::Parquet => "parquet",
        }
    }

    /// From its name, as written in `format = "..."` or as a file's extension (lowercase,
    /// no dot): `csv`, `json`, `ndjson` or `jsonl`, `parquet`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "csv" => Some(Self::Csv),
            "json" => Some(Self::Json),
            "ndjson" | "jsonl" => Some(Self::Ndjson),
            "parquet" => Some(Self::Parquet),
            _ => None,
        }
    }
}

/// HTTP method of an `http` source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    /// `GET`
    Get,
    /// `POST`
    Post,
}

/// A simulated source's behaviour.
#[derive(Debug, Clone, PartialEq)]
pub struct SimSpec {
    /// Latency bounds; equal bounds mean a fixed latency.
    pub latency: (Duration, Duration),
    /// Rows it returns.
    pub rows: usize,
    /// Always fail with this message.
    pub error: Option<String>,
    /// Probability of failing, 0.0 to 1.0.
    pub fail: f64,
    /// Never answer.
    pub hang: bool,
    /// Panic with this message after the latency: simulates a bug in a source's code, to show
    /// that a panic is contained (the source ends in `error`, the log has the panic).
    pub panic: Option<String>,
    /// Seed for latency, failures and row values; absent means a new seed each run.
    pub seed: Option<u64>,
    /// Probability that a run is slow: it takes about `tail_latency` instead (the heavy tail
    /// that hedging is for).
    pub tail: f64,
    /// How long a slow run takes (within 10 % either way).
    pub tail_latency: Duration,
}

/// What a source is, with its kind-specific settings (validated, `${VAR}` expanded).
#[derive(Debug, Clone, PartialEq)]
pub enum KindSpec {
    /// A `PostgreSQL` server.
    Postgres {
        /// Connection URL (may hold a password: display it through `redact`).
        url: String,
        /// Connections kept between runs.
        pool: usize,
    },
    /// A `MySQL` or `MariaDB` server.
    Mysql {
        /// Connection URL (may hold a password).
        url: String,
        /// Connections kept between runs.
        pool: usize,
    },
    /// A `SQLite` database file, or a `.sql` script loaded into a read-only in-memory database.
    Sqlite {
        /// The file.
        path: PathBuf,
    },
    /// A Redis server; the query says what to read (`HGETALL`, `GET`, `ZRANGE`).
    Redis {
        /// `redis://` or `rediss://` URL with optional password and database number (may hold
        /// a password: display it through `redact`).
        url: String,
    },
    /// A MongoDB server or replica set; the query is a JSON `find`, `aggregate` or `count`.
    Mongodb {
        /// `mongodb://` URL naming the database, with the driver's options (`replicaSet`,
        /// `readPreference`, `tls`, ...); may hold a password: display it through `redact`.
        url: String,
    },
    /// An HTTP JSON API.
    Http {
        /// URL with an optional `{query}` placeholder.
        url: String,
        /// GET or POST.
        method: HttpMethod,
        /// Extra request headers.
        headers: Vec<(String, String)>,
        /// Request body (POST), `{query}` substituted.
        body: Option<String>,
        /// JSON pointer to the array of rows; empty = the document itself.
        rows: String,
    },
    /// A program whose stdout holds the rows.
    Command {
        /// Program and arguments, `{query}` substituted; no shell.
        argv: Vec<String>,
        /// Format of its stdout.
        format: DataFormat,
        /// CSV fields that read as null (`nulls`; default: the empty field).
        nulls: Vec<String>,
    },
    /// A CSV, JSON, NDJSON or Parquet file read whole.
    File {
        /// The file.
        path: PathBuf,
        /// Its format, from the extension.
        format: DataFormat,
        /// CSV fields that read as null (`nulls`; default: the empty field).
        nulls: Vec<String>,
    },
    /// A simulated source.
    Sim(SimSpec),
}

impl KindSpec {
    /// The kind's name as written in the file.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// Which kind this is.
    #[must_use]
    pub fn kind(&self) -> Kind {
        match self {
            Self::Postgres { .. } => Kind::Postgres,
            Self::Mysql { .. } => Kind::Mysql,
            Self::Sqlite { .. } => Kind::Sqlite,
            Self::Redis { .. } => Kind::Redis,
            Self::Mongodb { .. } => Kind::Mongodb,
            Self::Http { .. } => Kind::Http,
            Self::Command { .. } => Kind::Command,
            Self::File { .. } => Kind::File,
            Self::Sim(_) => Kind::Sim,
        }
    }

    /// Where the source reads from, for `--list-sources`: the URL with its password hidden,
    /// the path, the program, the simulated behaviour. A new kind says its own here.
    #[must_use]
    pub fn target(&self) -> String {
        use crate::source::redact;
        match self {
            Self::Postgres { url, .. }
            | Self::Mysql { url, .. }
            | Self::Redis { url }
            | Self::Mongodb { url } => redact::url(url),
            Self::Http { url, method, .. } => {
                let method = match method {
                    HttpMethod::Get => "GET",
                    HttpMethod::Post => "POST",
                };
                format!("{method} {}", redact::url(url))
            }
            Self::Sqlite { path } | Self::File { path, .. } => path.display().to_string(),
            Self::Command { argv, .. } => argv.join(" "),
            Self::Sim(sim) => sim.summary(),
        }
    }
}

impl SimSpec {
    /// `10ms..90ms, 10 rows, fail 0.01`: the behaviour in a few words.
    #[must_use]
    pub fn summary(&self) -> String {
        let (lo, hi) = self.latency;
        let mut s = if lo == hi {
            format!("{}", humantime::format_duration(lo))
        } else {
            format!(
                "{}..{}",
                humantime::format_duration(lo),
                humantime::format_duration(hi)
            )
        };
        let _ = write!(s, ", {} rows", self.rows);
        if self.fail > 0.0 {
            let _ = write!(s, ", fail {}", self.fail);
        }
        if self.tail > 0.0 {
            let _ = write!(
                s,
                ", tail {} at {}",
                self.tail,
                humantime::format_duration(self.tail_latency)
            );
        }
        if self.error.is_some() {
            s.push_str(", always fails");
        }
        if self.hang {
            s.push_str(", hangs");
        }
        if self.panic.is_some() {
            s.push_str(", panics");
        }
        s
    }
}

/// One `[[source]]`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceSpec {
    /// Unique name; shown in the `_source` column.
    pub name: String,
    /// Kind and kind-specific settings.
    pub kind: KindSpec,
    /// Overrides `[gather] timeout`.
    pub timeout: Option<Duration>,
    /// Overrides the default query.
    pub query: Option<String>,
    /// Tags matched by `--only`.
    pub tags: Vec<String>,
    /// `false` makes the source `skipped`.
    pub enabled: bool,
    /// Other servers holding the same data (`replicas`), each as a kind of its own; empty
    /// when there are none.
    pub replicas: Vec<KindSpec>,
    /// Its own `retries`, `backoff`, `hedge_after`, `hedge_min`.
    pub attempts: AttemptSpec,
}

/// `[gather]`, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct GatherSettings {
    /// Per-source time limit.
    pub timeout: Duration,
    /// Whole-gather limit; `None` = none.
    pub deadline: Option<Duration>,
    /// Sources in flight at once; 0 = unlimited.
    pub concurrency: usize,
    /// Partial or fail-fast.
    pub mode: Mode,
    /// Dashboard re-run interval; `None` = run once.
    pub watch: Option<Duration>,
    /// Row cap per source.
    pub max_rows_per_source: usize,
    /// Row cap over all sources.
    pub max_rows: usize,
    /// Retries and hedging for sources that set none of their own.
    pub attempts: AttemptPolicy,
    /// Most hedges in one run, as a share of its sources (`max_extra_load`), rounded up.
    pub max_extra_load: f64,
}

impl Default for GatherSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            deadline: None,
            concurrency: 8,
            mode: Mode::Partial,
            watch: None,
            max_rows_per_source: DEFAULT_MAX_ROWS_PER_SOURCE,
            max_rows: DEFAULT_MAX_ROWS,
            attempts: AttemptPolicy::default(),
            max_extra_load: DEFAULT_MAX_EXTRA_LOAD,
        }
    }
}
