//! Starting, cancelling and re-running gathers: the run, watch and pause controls, the
//! confirmation before writes, and the line editor's Enter and Esc.

use std::sync::Arc;

use super::{App, DEFAULT_WATCH};
use crate::engine::Plan;
use crate::source::CancelReason;
use crate::sql::SqlStep;
use crate::tui::action::Effect;
use crate::tui::mode::{Edit, EditTarget, Mode};

impl App {
    /// Runs now, or asks first when writes are allowed.
    pub(super) fn request_run(&mut self) -> Option<Effect> {
        if self.allow_writes() {
            self.mode = Mode::ConfirmRun;
            return None;
        }
        Some(self.start_run())
    }

    /// Starts a new run (a new generation): every source back to pending.
    pub(super) fn start_run(&mut self) -> Effect {
        self.generation += 1;
        self.backlog.clear();
        for (view, planned) in self.sources.iter_mut().zip(&self.plan.sources) {
            view.reset(&planned.query);
        }
        self.state_counts = [0; 7];
        self.state_counts[0] = self.sources.len();
        self.is_running = true;
        self.run_started = Some(self.now);
        self.refresh_fleet();
        self.next_run = None;
        Effect::Spawn {
            plan: Arc::clone(&self.plan),
            generation: self.generation,
        }
    }

    /// Says `text` in the footer (from outside the app: the dashboard opening a replay).
    pub fn notify(&mut self, text: String) {
        self.post(text);
    }

    /// Says `text` in the footer as an error (from outside the app: the event loop's
    /// recording failed).
    pub fn notify_error(&mut self, text: String) {
        self.post_error(text);
    }

    /// Esc: asks the loop to cancel the running gather, if one runs.
    pub(super) fn cancel(&mut self) -> Option<Effect> {
        if self.is_running {
            self.post(String::from("cancelling the running gather"));
            Some(Effect::Cancel(CancelReason::User))
        } else {
            None
        }
    }

    /// `w`: watch mode on (running now unless a run is going) or off.
    pub(super) fn toggle_watch(&mut self) -> Option<Effect> {
        self.is_watching = !self.is_watching;
        let every = *self.watch.get_or_insert(DEFAULT_WATCH);
        if !self.is_watching {
            self.next_run = None;
            self.post(String::from("watch off"));
            return None;
        }
        self.post(format!(
            "watch on: every {}",
            humantime::format_duration(every)
        ));
        if self.is_running {
            None
        } else {
            self.request_run()
        }
    }

    /// `p`: freezes the display; on resume, applies the events that arrived meanwhile.
    pub(super) fn toggle_pause(&mut self) -> Option<Effect> {
        self.is_paused = !self.is_paused;
        let mut effect = None;
        if !self.is_paused {
            for event in std::mem::take(&mut self.backlog) {
                effect = self.on_engine(event).or(effect);
            }
        }
        effect
    }

    /// Enter: yes to the confirmation, or accept the line being edited.
    pub(super) fn submit(&mut self) -> Option<Effect> {
        let edit = match std::mem::take(&mut self.mode) {
            Mode::ConfirmRun => return Some(self.start_run()),
            Mode::Edit(edit) => edit,
            other => {
                self.mode = other;
                return None;
            }
        };
        let text = edit.text().to_owned();
        self.remember(edit.target, &text);
        match edit.target {
            EditTarget::Filter => {
                self.apply_filter(text);
                None
            }
            EditTarget::Sources => {
                self.set_source_filter(&text);
                None
            }
            EditTarget::Query | EditTarget::Sql => {
                let parked = self.take_parked();
                self.submit_query(edit, parked)
            }
        }
    }

    /// Enter on the query or the SQL step: both lines checked (the SQL must parse and be a
    /// query; a refused edit stays open), then a run with them.
    fn submit_query(&mut self, edit: Edit, parked: Option<Edit>) -> Option<Effect> {
        let text_in = |target: EditTarget| {
            [Some(&edit), parked.as_ref()]
                .into_iter()
                .flatten()
                .find(|e| e.target == target)
                .map(|e| e.text().trim().to_owned())
        };
        let edited = text_in(EditTarget::Query);
        let query = edited.clone().unwrap_or_else(|| self.query.clone());
        if edited.is_some_and(|q| q.is_empty()) {
            self.post_error(String::from("the query is empty; nothing was run"));
            return None;
        }
        let sql = match text_in(EditTarget::Sql) {
            None => self.sql.clone(),
            Some(text) if text.is_empty() => None,
            Some(text) => match SqlStep::parse(&text) {
                Ok(step) => Some(step),
                Err(e) => {
                    self.post_error(format!("SQL: {}", e.one_line()));
                    self.resume_edit(edit, parked);
                    return None;
                }
            },
        };
        if let Some(p) = &parked {
            self.remember(p.target, p.text());
        }
        if query != self.query {
            self.set_query(query);
        }
        self.set_sql(sql);
        self.request_run()
    }

    /// Uses `step` (none: no SQL step) from the next rebuild on; the results panel shows its
    /// result after a change of the step, the merged rows when there is none.
    pub(super) fn set_sql(&mut self, step: Option<SqlStep>) {
        if step == self.sql {
            return;
        }
        self.rebuilds.forget_sql();
        self.plan = Arc::new(Plan::clone(&self.plan).with_sql(&self.config, step.as_ref()));
        self.sql = step;
        // The old result's sort keys name its columns, not the new one's.
        let sql_sort = if self.shows_sql {
            &mut self.sort
        } else {
            &mut self.other.sort
        };
        sql_sort.clear();
        if self.sql.is_some() != self.shows_sql {
            self.toggle_sql_view();
        }
    }

    /// Esc while asking or editing: no to the confirmation, or abandon the edit (restoring
    /// the filter as it was).
    pub(super) fn dismiss(&mut self) {
        match std::mem::take(&mut self.mode) {
            Mode::ConfirmRun => self.post(String::from("not run")),
            Mode::Edit(edit) if edit.target == EditTarget::Filter => {
                if self.filter != edit.original {
                    self.apply_filter(edit.original);
                }
            }
            Mode::Edit(edit) if edit.target == EditTarget::Sources => {
                self.set_source_filter(&edit.original);
            }
            Mode::Edit(_) => self.parked = None,
            other => self.mode = other,
        }
    }

    /// Uses `query` for the next runs: a clone of the plan with the query set; the old rows
    /// and the changed-row baseline no longer apply.
    pub(super) fn set_query(&mut self, query: String) {
        let mut plan = Plan::clone(&self.plan);
        plan.set_query(&self.config, &query);
        self.plan = Arc::new(plan);
        self.query = query;
        self.discard_rows();
    }
}
