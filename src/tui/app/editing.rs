//! The line editor from the app's side: starting an edit, applying the editor's actions
//! (the filter follows the text while typing on small tables), and the history.

use tui_input::InputRequest;

use super::App;
use crate::tui::action::Action;
use crate::tui::mode::{Edit, EditTarget, Mode};

impl App {
    /// Opens the editor on `text` for `target` (closing the help overlay, if open).
    pub(super) fn start_edit(&mut self, target: EditTarget, text: String) {
        self.parked = None;
        self.mode = Mode::Edit(Edit::new(target, text));
    }

    /// Tab while editing the query: edit the SQL step instead, and back; each line keeps what
    /// was typed in it, and Enter takes both.
    pub(super) fn switch_edit(&mut self) {
        let Mode::Edit(edit) = &self.mode else {
            return;
        };
        let next = match edit.target {
            EditTarget::Query => EditTarget::Sql,
            EditTarget::Sql => EditTarget::Query,
            EditTarget::Filter | EditTarget::Sources => return,
        };
        let parked = self
            .parked
            .take()
            .filter(|p| p.target == next)
            .unwrap_or_else(|| Edit::new(next, self.text_of(next)));
        if let Mode::Edit(current) = std::mem::replace(&mut self.mode, Mode::Edit(parked)) {
            self.parked = Some(current);
        }
    }

    /// The current text of the query or the SQL step.
    fn text_of(&self, target: EditTarget) -> String {
        match target {
            EditTarget::Sql => self
                .sql
                .as_ref()
                .map(|s| s.text().to_owned())
                .unwrap_or_default(),
            EditTarget::Query => self.query.clone(),
            EditTarget::Filter => self.filter.clone(),
            EditTarget::Sources => self.panel.text.clone(),
        }
    }

    /// Takes back the other line of a query-and-SQL edit (Enter or Esc).
    pub(super) fn take_parked(&mut self) -> Option<Edit> {
        self.parked.take()
    }

    /// Puts a refused edit back on screen with its other line (the SQL did not parse).
    pub(super) fn resume_edit(&mut self, edit: Edit, parked: Option<Edit>) {
        self.mode = Mode::Edit(edit);
        self.parked = parked;
    }

    /// Applies an editing action to the line being edited, if any.
    pub(super) fn on_edit(&mut self, action: Action) {
        let is_live = self.is_filter_live();
        let Mode::Edit(edit) = &mut self.mode else {
            return;
        };
        let entries = self.history.entries(edit.target);
        let changed = match action {
            Action::Input(c) => edit.apply(InputRequest::InsertChar(c)),
            Action::Edit(request) => edit.apply(request),
            Action::Paste(text) => edit.paste(&text),
            Action::Older => edit.older(entries),
            Action::Newer => edit.newer(entries),
            _ => false,
        };
        if !changed {
            return;
        }
        let text = edit.text().to_owned();
        match edit.target {
            EditTarget::Filter if is_live => self.apply_filter(text),
            EditTarget::Sources => self.set_source_filter(&text),
            _ => {}
        }
    }

    /// Keeps `text` in `target`'s history; a failure to save is said in the footer.
    pub(super) fn remember(&mut self, target: EditTarget, text: &str) {
        if let Err(e) = self.history.add(target, text) {
            tracing::warn!("{e}");
            self.post_error(e.to_string());
        }
    }
}
