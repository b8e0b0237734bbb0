//! The SQL step in a rebuild: run over the merged rows the job just built, on the same
//! blocking thread, into a table of its own with its own sort, filter and changed marks.

use std::collections::HashSet;

use arrow_array::RecordBatch;
use arrow_schema::ArrowError;

use super::{Ticket, marked};
use crate::merge::{self, MergeSpec, SortKey};
use crate::sql::{SqlError, SqlStep};
use crate::tui::view::TableView;

/// Why the SQL part of a rebuild has no table; shown in the results panel's title and in the
/// footer.
#[derive(Debug, thiserror::Error)]
pub enum SqlFailed {
    /// `results` could not be merged again as `[merge]` shapes it.
    #[error("cannot merge the results as [merge] shapes them: {0}")]
    Results(#[source] ArrowError),
    /// The statement failed when it ran.
    #[error(transparent)]
    Sql(#[from] SqlError),
    /// Its result could not be made a table (sorted, filtered, marked).
    #[error(transparent)]
    Table(#[from] ArrowError),
}

/// What the SQL part of a rebuild needs.
#[derive(Debug, Clone)]
pub struct SqlJob {
    /// The step.
    pub step: SqlStep,
    /// `[merge]` as configured: what shapes `results` (the merged table on screen may be
    /// sorted otherwise by the user).
    pub results: MergeSpec,
    /// The SQL table's sort keys (empty: the order the query gave).
    pub sort: Vec<SortKey>,
    /// The SQL table's filter.
    pub filter: String,
}

/// The SQL part of a finished rebuild.
#[derive(Debug)]
pub struct SqlRebuilt {
    /// The sort it was built with.
    pub sort: Vec<SortKey>,
    /// The filter it was built with.
    pub filter: String,
    /// The table and, for a run's final table, its rows' fingerprints; or why the step failed.
    pub result: Result<(TableView, Option<HashSet<u64>>), SqlFailed>,
}

impl SqlJob {
    /// Runs the step over `merged` (the table built by `spec` from `inputs`).
    pub(super) fn run(
        &self,
        merged: &TableView,
        inputs: &[(&str, &[RecordBatch])],
        spec: &MergeSpec,
        ticket: &Ticket,
    ) -> SqlRebuilt {
        let result = self.table(merged, inputs, spec).and_then(|table| {
            Ok(marked(
                table,
                ticket.previous_sql.as_deref(),
                ticket.is_final,
            )?)
        });
        SqlRebuilt {
            sort: self.sort.clone(),
            filter: self.filter.clone(),
            result,
        }
    }

    fn table(
        &self,
        merged: &TableView,
        inputs: &[(&str, &[RecordBatch])],
        spec: &MergeSpec,
    ) -> Result<TableView, SqlFailed> {
        // The user's sort changes which rows a limit or a dedupe keeps: `results` is then
        // merged again as configured.
        let is_shaped_otherwise = spec.sort != self.results.sort
            && (self.results.limit > 0 || !self.results.dedupe.is_empty());
        let own;
        let results = if is_shaped_otherwise {
            own = merge::merge(inputs, &self.results).map_err(SqlFailed::Results)?;
            &own.batch
        } else {
            merged.batch()
        };
        let out = self.step.run_blocking(results, inputs)?;
        Ok(TableView::from_batch(
            out.batch,
            &self.sort,
            &self.filter,
            out.warnings,
        )?)
    }
}
