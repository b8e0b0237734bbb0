//! The line editor from the app's side: starting an edit, applying the editor's actions
//! (the filter follows the text while typing on small tables), and the history.

use tui_input::InputRequest;

use super::App;
use crate::tui::action::Action;
use crate::tui::mode::{Edit, EditTarget, Mode};

impl App {
    /// Opens the editor on `text` for `target` (closing the help overlay, if open).
    pub(super) fn start_edit(&mut self, target: EditTarget, text: String) {
        self.mode = Mode::Edit(Edit::new(target, text));
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
