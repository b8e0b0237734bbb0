//! scatter: one query to many sources at once, watched live, merged into one table.
//!
//! Crate map:
//! - [`cli`]: command-line definitions (clap).
//! - [`config`]: `sources.toml`: parse, `${VAR}` interpolation, validation with <file:line>
//!   errors, command-line overrides.
//! - [`engine`]: the scatter-gather engine: a task per source, concurrency limit, timeouts,
//!   deadline, `partial`/`fail-fast`, cancellation, generation-tagged events; a source's
//!   attempts: retries with backoff, replicas, hedges under a per-run budget.
//! - [`event`]: the events the engine sends its watcher.
//! - [`source`]: the `Source` trait, outcomes and errors; one module per kind below it.
//! - [`value`]: dynamically typed cells and the builder that turns them into Arrow batches.
//! - [`merge`]: schema union with widening, `_source`, sort, dedupe, limit (pure).
//! - [`sql`]: the SQL step after the merge: one query in an embedded DataFusion session over
//!   `results` and a table per source; checked to be a query at start-up.
//! - [`output`]: headless formats (table, JSON, NDJSON, CSV), summary, exit codes.
//! - [`headless`]: the `--once` run.
//! - [`record`]: `--record FILE`: each gather's report appended as one JSON line.
//! - [`replay`]: `scatter replay FILE`: a recorded gather replayed under other limits by a
//!   virtual-time scheduler (pure), compared with what happened, or shown in the dashboard.
//! - [`tui`]: the live dashboard: terminal guard and event loop, the `App` state changed only
//!   by actions, the sorted/filtered table index, one render module per screen region.
//! - [`logging`]: tracing to a file, never to the terminal.
//! - [`program`]: the `scatter` binary's body: logging, command line, config, then the
//!   dashboard, one headless gather or a replay; the exit code.
//! - [`display`]: text in terminal columns (display width, cut, pad), for everything that
//!   lines text up: the `table` output, the summary and the dashboard.
//!
//! The engine never imports the UI; the UI never spawns source tasks.

pub mod cli;
pub mod config;
pub mod display;
pub mod engine;
pub mod event;
pub mod headless;
pub mod logging;
pub mod merge;
pub mod output;
pub mod program;
pub mod record;
pub mod replay;
pub mod source;
pub mod sql;
pub mod tui;
pub mod value;
