//! The table's rebuilds from the app's side: asking for a [`RebuildJob`] with the current
//! rows, sort and filter, taking the [`Rebuilt`] table when it lands, and dropping the rows
//! when the query changes. The bookkeeping itself is [`crate::tui::rebuild::Rebuilds`].

use super::App;
use crate::merge::MergeSpec;
use crate::tui::action::Effect;
use crate::tui::rebuild::{RebuildJob, Rebuilt};
use crate::tui::view::TableView;

impl App {
    /// Asks for a rebuild unless one is running (it is asked again when that one lands).
    pub(super) fn request_rebuild(&mut self) -> Option<Effect> {
        let ticket = self.rebuilds.begin(self.now)?;
        let inputs = self
            .sources
            .iter()
            .map(|s| (s.name.clone(), s.batches.clone()))
            .collect();
        let spec = MergeSpec {
            sort: self.sort.clone(),
            ..self.config.merge.clone()
        };
        let job = RebuildJob::new(ticket, inputs, spec, self.filter.clone());
        Some(Effect::Rebuild(Box::new(job)))
    }

    /// Takes a finished rebuild: the new table, re-sorted and re-filtered if the user changed
    /// either meanwhile. Returns the next rebuild if sources finished meanwhile.
    pub(super) fn rebuilt(&mut self, rebuilt: Rebuilt) -> Option<Effect> {
        if !self.rebuilds.land(&rebuilt) {
            return None;
        }
        let is_final = rebuilt.is_final();
        match rebuilt.result {
            Ok((mut table, fingerprints)) => {
                let mut fixed = Ok(());
                let is_stale = rebuilt.spec.sort != self.sort || rebuilt.filter != self.filter;
                if is_stale && table.merged_rows() > super::ON_LOOP_ROWS {
                    // The sort or filter changed while it was built: the next rebuild has them.
                    self.rebuilds.mark_dirty();
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
                    self.rebuilds.remember(f);
                }
            }
            Err(e) => self.post_error(format!("cannot merge the results: {e}")),
        }
        self.clamp_scroll();
        if is_final && self.rebuilds.is_final_pending() {
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
        self.rebuilds.discard();
        self.table = TableView::default();
        self.clamp_scroll();
    }
}
