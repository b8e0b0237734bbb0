//! The line editor of the footer (`:` query, `/` filter): a [`tui_input::Input`] (cursor,
//! grapheme-aware movement and deletion, word jumps, a kill ring for Ctrl-Y) plus browsing the
//! target's history with ↑/↓, as a shell does: ↑ from the line being typed keeps it as a
//! draft, ↓ past the newest entry brings it back.

use tui_input::{Input, InputRequest};

use crate::tui::mode::EditTarget;

/// A line being edited.
#[derive(Debug, Clone)]
pub struct Edit {
    /// What it is for.
    pub target: EditTarget,
    /// The text and cursor.
    input: Input,
    /// The text when the edit began (what Esc restores).
    pub original: String,
    /// The history entry shown while browsing (index, oldest first); `None`: the draft.
    browsing: Option<usize>,
    /// The line as typed, kept while a history entry is shown.
    draft: String,
}

impl Edit {
    /// An edit of `target` starting from `text`, the cursor at its end.
    #[must_use]
    pub fn new(target: EditTarget, text: String) -> Self {
        Self {
            target,
            input: Input::new(text.clone()),
            original: text,
            browsing: None,
            draft: String::new(),
        }
    }

    /// The text so far.
    #[must_use]
    pub fn text(&self) -> &str {
        self.input.value()
    }

    /// The cursor, in display columns from the start of the text.
    #[must_use]
    pub fn cursor_column(&self) -> usize {
        self.input.visual_cursor()
    }

    /// The first display column shown when `width` columns are available, so the cursor
    /// stays on screen.
    #[must_use]
    pub fn scroll(&self, width: usize) -> usize {
        self.input.visual_scroll(width)
    }

    /// Applies an editing request; returns whether the text changed.
    pub fn apply(&mut self, request: InputRequest) -> bool {
        let changed = self.input.handle(request).is_some_and(|c| c.value);
        if changed {
            self.browsing = None;
        }
        changed
    }

    /// Inserts pasted text at the cursor (line breaks and tabs become spaces: the editor has
    /// one line); returns whether the text changed.
    pub fn paste(&mut self, text: &str) -> bool {
        let mut changed = false;
        for c in text.chars() {
            let c = if c.is_control() { ' ' } else { c };
            changed |= self.apply(InputRequest::InsertChar(c));
        }
        changed
    }

    /// ↑: the entry before the one shown (the newest when typing); returns whether the text
    /// changed.
    pub fn older(&mut self, entries: &[String]) -> bool {
        let at = match self.browsing {
            None if entries.is_empty() => return false,
            None => {
                self.draft = self.text().to_owned();
                entries.len() - 1
            }
            Some(0) => return false,
            Some(i) => i - 1,
        };
        self.show(at, &entries[at])
    }

    /// ↓: the entry after the one shown, or back to the draft past the newest; returns
    /// whether the text changed.
    pub fn newer(&mut self, entries: &[String]) -> bool {
        let Some(i) = self.browsing else {
            return false;
        };
        if i + 1 < entries.len() {
            return self.show(i + 1, &entries[i + 1]);
        }
        self.browsing = None;
        let draft = std::mem::take(&mut self.draft);
        self.input = Input::new(draft);
        true
    }

    fn show(&mut self, at: usize, text: &str) -> bool {
        self.browsing = Some(at);
        self.input = Input::new(text.to_owned());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use InputRequest::*;

    fn edit(text: &str) -> Edit {
        Edit::new(EditTarget::Query, text.to_owned())
    }

    #[test]
    fn history_keeps_the_draft_while_browsing() {
        let history = ["first".to_owned(), "second".to_owned()];
        let mut e = edit("dra");
        e.apply(InsertChar('f'));
        assert!(e.older(&history));
        assert_eq!(e.text(), "second");
        assert!(e.older(&history));
        assert_eq!(e.text(), "first");
        assert!(!e.older(&history), "no entry before the oldest");
        assert!(e.newer(&history));
        assert_eq!(e.text(), "second");
        assert!(e.newer(&history));
        assert_eq!(e.text(), "draf", "past the newest: the line as typed");
        assert!(!e.newer(&history));
    }

    #[test]
    fn paste_inserts_at_the_cursor_on_one_line() {
        let mut e = edit("SELECT  FROM t");
        for _ in 0..7 {
            e.apply(GoToPrevChar);
        }
        e.paste("a,\nb");
        assert_eq!(e.text(), "SELECT a, b FROM t");
        assert_eq!(e.cursor_column(), 11);
    }
}
