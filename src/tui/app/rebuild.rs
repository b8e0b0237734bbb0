//! Re-merging the table off the event loop. Merging and sorting a million rows takes most of
//! a second, so the app asks the loop to run a [`RebuildJob`] on a blocking thread and gets
//! the [`Rebuilt`] table back as an action; meanwhile the old table stays on screen and keys
//! keep working. At most one job runs at a time; sources that finish meanwhile are picked up
//! by the next one.

use std::collections::HashSet;
use std::sync::Arc;

use arrow_array::RecordBatch;

use super::App;
use crate::merge::MergeSpec;
use crate::tui::action::Effect;
use crate::tui::view::TableView;

/// Everything a merge needs, owned (batches are cheap clones of shared buffers).
#[derive(Debug, Clone)]
pub struct RebuildJob {
    /// Which request this is; results of requests made before the rows were discarded
    /// (an edited query) are dropped.
    seq: u64,
    /// Each source's name and rows.
    inputs: Vec<(String, Vec<RecordBatch>)>,
    /// Sort, dedupe and limit.
    spec: MergeSpec,
    /// The filter to apply.
    filter: String,
    /// The previous run's row fingerprints, to mark changed rows.
    previous: Option<Arc<HashSet<u64>>>,
    /// The run is over: also fingerprint the rows for the next run's comparison.
    is_final: bool,
}

/// A finished [`RebuildJob`].
#[derive(Debug, Clone)]
pub struct Rebuilt {
    seq: u64,
    is_final: bool,
    /// The sort and filter it was built with (the user may have changed them since).
    spec: MergeSpec,
    filter: String,
    /// The table, and with `is_final` its rows' fingerprints; or why the merge failed.
    result: Result<(TableView, Option<HashSet<u64>>), String>,
}

impl RebuildJob {
    /// Merges, sorts, filters and marks the rows (slow: run it off the event loop).
    #[must_use]
    pub fn run(self) -> Rebuilt {
        let inputs: Vec<(&str, &[RecordBatch])> = self
            .inputs
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        let result = TableView::build(&inputs, &self.spec, &self.filter)
            .and_then(|mut table| {
                if let Some(previous) = &self.previous {
                    table.mark_changed(previous)?;
                }
                let fingerprints = if self.is_final {
                    Some(table.fingerprints()?)
                } else {
                    None
                };
                Ok((table, fingerprints))
            })
            .map_err(|e| e.to_string());
        Rebuilt {
            seq: self.seq,
            is_final: self.is_final,
            spec: self.spec,
            filter: self.filter,
            result,
        }
    }
}

impl App {
    /// Asks for a rebuild unless one is running (it is asked again when that one lands).
    pub(super) fn request_rebuild(&mut self) -> Option<Effect> {
        if self.is_rebuilding {
            return None;
        }
        self.is_rebuilding = true;
        self.table_dirty = false;
        self.last_rebuild = Some(self.now);
        self.rebuild_seq += 1;
        let is_final = std::mem::take(&mut self.final_pending);
        Some(Effect::Rebuild(Box::new(RebuildJob {
            seq: self.rebuild_seq,
            inputs: self
                .sources
                .iter()
                .map(|s| (s.name.clone(), s.batches.clone()))
                .collect(),
            spec: MergeSpec {
                sort: self.sort.clone(),
                ..self.config.merge.clone()
            },
            filter: self.filter.clone(),
            previous: self.previous_rows.clone(),
            is_final,
        })))
    }

    /// Takes a finished rebuild: the new table, re-sorted and re-filtered if the user changed
    /// either meanwhile. Returns the next rebuild if sources finished meanwhile.
    pub(super) fn rebuilt(&mut self, rebuilt: Rebuilt) -> Option<Effect> {
        self.is_rebuilding = false;
        if rebuilt.seq <= self.discard_through {
            return None;
        }
        match rebuilt.result {
            Ok((mut table, fingerprints)) => {
                let mut fixed = Ok(());
                let is_stale = rebuilt.spec.sort != self.sort || rebuilt.filter != self.filter;
                if is_stale && table.merged_rows() > super::ON_LOOP_ROWS {
                    // The sort or filter changed while it was built: the next rebuild has them.
                    self.table_dirty = true;
                } else {
                    if rebuilt.spec.sort != self.sort {
                        fixed = table.sort(&self.sort);
                    }
                    if rebuilt.filter != self.filter {
                        fixed = fixed.and_then(|()| table.set_filter(&self.filter));
                    }
                }
                if let Err(e) = fixed {
                    self.post_error(format!("cannot sort or filter: {e}"));
                }
                self.table = table;
                if let Some(f) = fingerprints {
                    self.previous_rows = Some(Arc::new(f));
                }
            }
            Err(e) => self.post_error(format!("cannot merge the results: {e}")),
        }
        self.clamp_scroll();
        if rebuilt.is_final && self.final_pending {
            // Another run ended while this one was built.
            return self.request_rebuild();
        }
        None
    }

    /// Drops the rows and any rebuild in flight (the query changed).
    pub(super) fn discard_rows(&mut self) {
        for s in &mut self.sources {
            s.batches.clear();
        }
        self.previous_rows = None;
        self.table = TableView::default();
        self.table_dirty = false;
        self.final_pending = false;
        self.discard_through = self.rebuild_seq;
        self.clamp_scroll();
    }
}
