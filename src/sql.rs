//! The SQL step after the merge (`[merge] sql`, `--sql`): one query run by an embedded Apache
//! DataFusion `SessionContext` over the merged table `results` (`_source` included, shaped by
//! `[merge]` sort, dedupe and limit) and each source's own rows as a table named after the
//! source (`"catalog-eu"`). Its result replaces the merged rows in the output; the per-source
//! reports stay.
//!
//! The text is checked at start-up ([`SqlStep::parse`]): one statement, and only a query. At run
//! time DataFusion's own [`SQLOptions`] refuse DDL, DML and statements again, aggregations and
//! sorts run under a memory limit ([`MEMORY_LIMIT`]) and spill to disk past it, and a failure
//! fails the result, not the sources.

mod check;
mod context;

use std::collections::HashSet;

use arrow_array::RecordBatch;
use datafusion::execution::context::SQLOptions;

use crate::source::{SourceReport, State};

pub use context::MEMORY_LIMIT;

/// What can go wrong with a SQL step, at start-up (the first four) or when it runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqlError {
    /// The text does not parse.
    #[error("cannot parse the SQL: {message}\n{pointer}")]
    Parse {
        /// The parser's message, without the position.
        message: String,
        /// The statement quoted, with a `^` under the position.
        pointer: String,
    },
    /// No statement at all.
    #[error("the SQL is empty")]
    Empty,
    /// More than one statement.
    #[error("the SQL holds {count} statements; the SQL step runs one query")]
    Several {
        /// How many.
        count: usize,
    },
    /// A statement that is not a query.
    #[error(
        "{kind} is refused: the SQL step only reads (SELECT, WITH, VALUES, EXPLAIN); it cannot \
         create, change or write anything"
    )]
    NotAQuery {
        /// The statement's leading keywords (`INSERT INTO`, `CREATE TABLE`, `COPY`).
        kind: String,
    },
    /// The query failed when it ran (an unknown column, a type error, a division by zero, the
    /// memory limit).
    #[error("{message}")]
    Run {
        /// DataFusion's message.
        message: String,
    },
}

impl SqlError {
    /// The message on one line (the footer of the dashboard): a parse error's position in
    /// words instead of the quoted statement.
    #[must_use]
    pub fn one_line(&self) -> String {
        match self {
            Self::Parse { message, pointer } => {
                match pointer.lines().nth(1).and_then(|l| l.split_once("^ ")) {
                    Some((_, at)) => format!("cannot parse the SQL at {at}: {message}"),
                    None => format!("cannot parse the SQL: {message}"),
                }
            }
            other => other.to_string().replace('\n', " "),
        }
    }
}

/// Which columns a SQL step may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Columns {
    /// Whole rows (`SELECT *`, `NATURAL JOIN`, ...).
    All,
    /// Only columns with one of these names (lowercase; compared ignoring case).
    Named(HashSet<String>),
}

impl Columns {
    /// Whether the column `name` may be read by the step.
    #[must_use]
    pub fn wants(&self, name: &str) -> bool {
        match self {
            Self::All => true,
            Self::Named(names) => names.contains(&name.to_lowercase()),
        }
    }

    /// The same set with `names` (sort and dedupe keys) added.
    #[must_use]
    pub fn with<'a>(mut self, names: impl IntoIterator<Item = &'a str>) -> Self {
        if let Self::Named(set) = &mut self {
            set.extend(names.into_iter().map(str::to_lowercase));
        }
        self
    }
}

/// A checked SQL step: one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlStep {
    /// The statement as written.
    text: String,
    /// The columns it may name.
    columns: Columns,
}

impl SqlStep {
    /// Checks `text`: it must parse, hold one statement, and be a query.
    pub fn parse(text: &str) -> Result<Self, SqlError> {
        let columns = check::check(text)?;
        Ok(Self {
            text: text.trim().to_owned(),
            columns,
        })
    }

    /// The statement as written.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The columns the statement may name.
    #[must_use]
    pub fn columns(&self) -> &Columns {
        &self.columns
    }

    /// Runs the query over `results` (the merged table) and `sources` (each source's name and
    /// its own rows); the result as one batch.
    pub async fn run(
        &self,
        results: &RecordBatch,
        sources: &[(&str, &[RecordBatch])],
    ) -> Result<SqlOutput, SqlError> {
        let (ctx, warnings) = context::session(results, sources)?;
        let options = SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false);
        let frame = ctx
            .sql_with_options(&self.text, options)
            .await
            .map_err(|e| run_error(&e))?;
        let schema = frame.schema().inner().clone();
        let batches = frame.collect().await.map_err(|e| run_error(&e))?;
        let batch = arrow_select::concat::concat_batches(&schema, &batches)
            .map_err(|e| run_error(&e.into()))?;
        Ok(SqlOutput {
            batch: context::plain_types(&batch).map_err(|e| run_error(&e.into()))?,
            warnings,
        })
    }

    /// [`Self::run`] from synchronous code (a blocking thread): on the current Tokio runtime
    /// when there is one, else on a runtime of its own.
    pub fn run_blocking(
        &self,
        results: &RecordBatch,
        sources: &[(&str, &[RecordBatch])],
    ) -> Result<SqlOutput, SqlError> {
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => handle.block_on(self.run(results, sources)),
            Err(_) => tokio::runtime::Builder::new_current_thread()
                .build()
                .map_err(|e| SqlError::Run {
                    message: format!("cannot start a runtime for the SQL step: {e}"),
                })?
                .block_on(self.run(results, sources)),
        }
    }
}

fn run_error(e: &datafusion::error::DataFusionError) -> SqlError {
    SqlError::Run {
        message: e.strip_backtrace(),
    }
}

/// What a SQL step gave.
#[derive(Debug, Clone)]
pub struct SqlOutput {
    /// Its rows.
    pub batch: RecordBatch,
    /// What the user should know (a source table that `results` hides).
    pub warnings: Vec<String>,
}

/// How many sources a result covers: a SUM over a partial gather is a partial SUM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coverage {
    /// Sources that answered (ok).
    pub answered: usize,
    /// Sources that ran (every source but the disabled ones).
    pub of: usize,
}

impl Coverage {
    /// The coverage of a gather's reports.
    #[must_use]
    pub fn of(reports: &[SourceReport]) -> Self {
        let count = |s: State| reports.iter().filter(|r| r.outcome.state() == s).count();
        Self {
            answered: count(State::Ok),
            of: reports.len() - count(State::Skipped),
        }
    }

    /// Whether some source that ran did not answer.
    #[must_use]
    pub fn is_partial(self) -> bool {
        self.answered < self.of
    }
}

impl std::fmt::Display for Coverage {
    /// `covers 14 of 16 sources (partial: 2 did not answer; ...)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "covers {} of {} sources", self.answered, self.of)?;
        if self.is_partial() {
            let missing = self.of - self.answered;
            write!(
                f,
                " (partial: {missing} did not answer; sums and counts leave their rows out)"
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

/// One run of a SQL step after a gather: what it ran over and what it gave.
#[derive(Debug, Clone)]
pub struct SqlRun {
    /// The statement.
    pub statement: String,
    /// The sources the result covers.
    pub coverage: Coverage,
    /// Rows of `results` it ran over.
    pub input_rows: usize,
    /// How long it took.
    pub elapsed: std::time::Duration,
    /// Its rows, or why it failed.
    pub result: Result<SqlOutput, SqlError>,
}

impl SqlRun {
    /// The summary line: `sql: 7 rows over 160000 merged rows in 12 ms; covers 16 of 16 sources`.
    #[must_use]
    pub fn summary(&self) -> String {
        match &self.result {
            Ok(out) => format!(
                "sql: {} rows over {} merged rows in {} ms; the result {}",
                out.batch.num_rows(),
                self.input_rows,
                self.elapsed.as_millis(),
                self.coverage
            ),
            Err(e) => format!(
                "sql: failed, no result: {e}\n  (over {} merged rows; the gather {})",
                self.input_rows, self.coverage
            ),
        }
    }
}

impl SqlStep {
    /// Runs the step over a gather's merged table and each source's rows (`reports` and
    /// `batches` in plan order), timing it.
    pub async fn run_over(
        &self,
        merged: &RecordBatch,
        reports: &[SourceReport],
        batches: &[Vec<RecordBatch>],
    ) -> SqlRun {
        let started = std::time::Instant::now();
        let sources: Vec<(&str, &[RecordBatch])> = reports
            .iter()
            .zip(batches)
            .map(|(r, b)| (r.name.as_str(), b.as_slice()))
            .collect();
        let result = self.run(merged, &sources).await;
        SqlRun {
            statement: self.text.clone(),
            coverage: Coverage::of(reports),
            input_rows: merged.num_rows(),
            elapsed: started.elapsed(),
            result,
        }
    }
}
