//! The SQL step in a rebuild: run over the merged rows the job just built, on the same
//! blocking thread, into a table of its own with its own sort, filter and changed marks.

use std::collections::HashSet;

use arrow_array::RecordBatch;

use super::{Ticket, marked};
use crate::merge::{self, MergeSpec, SortKey};
use crate::sql::SqlStep;
use crate::tui::view::TableView;

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
    pub result: Result<(TableView, Option<HashSet<u64>>), String>,
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
            marked(table, ticket.previous_sql.as_deref(), ticket.is_final)
                .map_err(|e| e.to_string())
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
    ) -> Result<TableView, String> {
        // The user's sort changes which rows a limit or a dedupe keeps: `results` is then
        // merged again as configured.
        let is_shaped_otherwise = spec.sort != self.results.sort
            && (self.results.limit > 0 || !self.results.dedupe.is_empty());
        let own;
        let results = if is_shaped_otherwise {
            own = merge::merge(inputs, &self.results).map_err(|e| e.to_string())?;
            &own.batch
        } else {
            merged.batch()
        };
        let out = self
            .step
            .run_blocking(results, inputs)
            .map_err(|e| e.to_string())?;
        TableView::from_batch(out.batch, &self.sort, &self.filter, out.warnings)
            .map_err(|e| e.to_string())
    }
}
