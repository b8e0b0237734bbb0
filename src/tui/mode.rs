//! What the dashboard is doing with the keyboard: the [`Mode`] (commands, the help overlay, a
//! question, or a line being edited), what a line is edited for ([`EditTarget`]) and which
//! panel has [`Focus`]. Plain data: the app changes it, the keymap and the renderer read it.

pub use super::editor::Edit;

/// Which panel the movement keys act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The sources panel (and the details of the selected source).
    Sources,
    /// The results table.
    Results,
}

/// What a line being edited is for; each target has its own history and its own meaning of
/// Enter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EditTarget {
    /// The query sent to the sources; Enter re-runs with it.
    Query,
    /// The SQL step run after the merge; Enter re-runs with it (empty: no step).
    Sql,
    /// The results filter; applied while typing on small tables, on Enter on large ones.
    Filter,
    /// The sources panel's name-or-tag filter; applied while typing.
    Sources,
}

/// What the keyboard drives: exactly one of these at a time.
#[derive(Debug, Clone, Default)]
pub enum Mode {
    /// Commands (the normal keymap).
    #[default]
    Normal,
    /// The help overlay; any key closes it.
    Help,
    /// A run with writes allowed waits for the user's yes.
    ConfirmRun,
    /// A line is being edited in the footer.
    Edit(Edit),
}

impl Mode {
    /// The line being edited, if any.
    #[must_use]
    pub fn edit(&self) -> Option<&Edit> {
        match self {
            Self::Edit(edit) => Some(edit),
            _ => None,
        }
    }

    /// Whether the normal keymap applies.
    #[must_use]
    pub fn is_normal(&self) -> bool {
        matches!(self, Self::Normal)
    }

    /// Whether a run waits for confirmation.
    #[must_use]
    pub fn is_confirming(&self) -> bool {
        matches!(self, Self::ConfirmRun)
    }

    /// Whether the help overlay is shown.
    #[must_use]
    pub fn is_help(&self) -> bool {
        matches!(self, Self::Help)
    }
}
