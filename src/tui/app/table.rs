//! The tables' rebuilds from the app's side: asking for a [`RebuildJob`] with the current
//! rows, sorts, filters and SQL step, taking the [`Rebuilt`] tables when they land, and dropping
//! the rows when the query changes. Two tables can be shown, the merged rows and the SQL step's
//! result: the one on screen lives in the app's `table`, `sort`, `filter` and `scroll`, the
//! other waits on a [`Shelf`]. The bookkeeping itself is [`crate::tui::rebuild::Rebuilds`].

use super::{App, Scroll};
use crate::merge::{MergeSpec, SortKey};
use crate::tui::action::Effect;
use crate::tui::rebuild::{RebuildJob, Rebuilt, SqlJob};
use crate::tui::view::TableView;

/// The table not on screen, with its own sort, filter and scroll position.
#[derive(Debug, Clone, Default)]
pub struct Shelf {
    /// Its rows.
    pub table: TableView,
    /// Its sort keys.
    pub sort: Vec<SortKey>,
    /// Its filter.
    pub filter: String,
    /// Where it was scrolled to.
    pub scroll: Scroll,
}

impl App {
    /// The sort of the SQL table (`sql`) or of the merged rows.
    fn sort_of(&self, sql: bool) -> &[SortKey] {
        if sql == self.shows_sql {
            &self.sort
        } else {
            &self.other.sort
        }
    }

    /// The filter of the SQL table (`sql`) or of the merged rows.
    fn filter_of(&self, sql: bool) -> &str {
        if sql == self.shows_sql {
            &self.filter
        } else {
            &self.other.filter
        }
    }

    /// Asks for a rebuild unless one is running (it is asked again when that one lands).
    pub(super) fn request_rebuild(&mut self) -> Option<Effect> {
        let ticket = self.rebuilds.begin(self.now)?;
        let inputs = self
            .sources
            .iter()
            .map(|s| (s.name.clone(), s.batches.clone()))
            .collect();
        let spec = MergeSpec {
            sort: self.sort_of(false).to_vec(),
            ..self.config.merge.clone()
        };
        let sql = self.sql.clone().map(|step| SqlJob {
            step,
            results: self.config.merge.clone(),
            sort: self.sort_of(true).to_vec(),
            filter: self.filter_of(true).to_owned(),
        });
        let job =
            RebuildJob::new(ticket, inputs, spec, self.filter_of(false).to_owned()).with_sql(sql);
        Some(Effect::Rebuild(Box::new(job)))
    }

    /// Takes a finished rebuild: the new tables, re-sorted and re-filtered if the user changed
    /// either meanwhile. Returns the next rebuild if sources finished meanwhile.
    pub(super) fn rebuilt(&mut self, rebuilt: Rebuilt) -> Option<Effect> {
        if !self.rebuilds.land(&rebuilt) {
            return None;
        }
        let is_final = rebuilt.is_final();
        match rebuilt.result {
            Ok((table, fingerprints)) => {
                self.place(false, &rebuilt.spec.sort, &rebuilt.filter, table);
                if let Some(f) = fingerprints {
                    self.rebuilds.remember(f);
                }
            }
            Err(e) => self.post_error(format!("cannot merge the results: {e}")),
        }
        if let Some(sql) = rebuilt.sql {
            match sql.result {
                Ok((table, fingerprints)) => {
                    self.sql_error = None;
                    self.place(true, &sql.sort, &sql.filter, table);
                    if let Some(f) = fingerprints {
                        self.rebuilds.remember_sql(f);
                    }
                }
                Err(e) => {
                    self.place(true, &sql.sort, &sql.filter, TableView::default());
                    self.post_error(format!("SQL failed: {e}"));
                    self.sql_error = Some(e.to_string());
                }
            }
        }
        self.clamp_scroll();
        if is_final && self.rebuilds.is_final_pending() {
            // Another run ended while this one was built.
            return self.request_rebuild();
        }
        None
    }

    /// Puts a rebuilt table (the SQL one when `sql`) where it belongs, sorting and filtering it
    /// again if the user changed either since `sort` and `filter` were asked for.
    fn place(&mut self, sql: bool, sort: &[SortKey], filter: &str, mut table: TableView) {
        let (want_sort, want_filter) = (self.sort_of(sql).to_vec(), self.filter_of(sql).to_owned());
        let is_stale = sort != want_sort.as_slice() || filter != want_filter;
        let mut fixed = Ok(());
        if is_stale && table.merged_rows() > super::ON_LOOP_ROWS {
            // The sort or filter changed while it was built: the next rebuild has them.
            self.rebuilds.mark_dirty();
        } else {
            if sort != want_sort.as_slice() {
                fixed = table.sort(&want_sort);
            }
            if filter != want_filter {
                fixed = fixed.and_then(|()| table.set_filter(&want_filter));
            }
        }
        if let Err(e) = fixed {
            self.post_error(format!("cannot sort or filter: {e}"));
        }
        if sql == self.shows_sql {
            self.table = table;
        } else {
            self.other.table = table;
        }
    }

    /// `m`: shows the SQL step's result or the merged rows, each with its own sort, filter and
    /// scroll position.
    pub(super) fn toggle_sql_view(&mut self) {
        if self.sql.is_none() && !self.shows_sql {
            self.post(String::from(
                "no SQL step: press : then Tab to write one (or set [merge] sql)",
            ));
            return;
        }
        std::mem::swap(&mut self.table, &mut self.other.table);
        std::mem::swap(&mut self.sort, &mut self.other.sort);
        std::mem::swap(&mut self.filter, &mut self.other.filter);
        std::mem::swap(&mut self.scroll, &mut self.other.scroll);
        self.shows_sql = !self.shows_sql;
        self.clamp_scroll();
    }

    /// Drops the rows and any rebuild in flight (the query changed).
    pub(super) fn discard_rows(&mut self) {
        for s in &mut self.sources {
            s.batches.clear();
        }
        self.rebuilds.discard();
        self.table = TableView::default();
        self.other.table = TableView::default();
        self.sql_error = None;
        self.clamp_scroll();
    }
}
