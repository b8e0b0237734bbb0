//! Every style and symbol the dashboard uses, in one place. With `NO_COLOR` set the theme has no
//! colours at all; states stay readable through their symbol and label, and the selection
//! through reverse video.

use ratatui::style::{Color, Modifier, Style};

use crate::source::State;

/// Background of the selected row: a dark grey of the 256-colour palette, under which every
/// foreground colour of the theme stays readable.
const SELECTED_BG: u8 = 238;

/// The dashboard's styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Colours on; `false` under `NO_COLOR`.
    pub color: bool,
}

impl Theme {
    /// Colours unless the `NO_COLOR` environment variable is set to a non-empty value
    /// (<https://no-color.org>).
    #[must_use]
    pub fn from_env() -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self { color: !no_color }
    }

    /// A theme with colours.
    #[must_use]
    pub fn colored() -> Self {
        Self { color: true }
    }

    /// A theme without colours (what `NO_COLOR` gives).
    #[must_use]
    pub fn plain() -> Self {
        Self { color: false }
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    /// A source's state label and symbol.
    #[must_use]
    pub fn state(self, state: State) -> Style {
        match state {
            State::Pending | State::Skipped => self.dim(),
            State::Running => self.fg(Color::Cyan),
            State::Ok => self.fg(Color::Green),
            State::Error => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            State::Timeout => self.fg(Color::Yellow),
            State::Cancelled => self.fg(Color::Magenta),
        }
    }

    /// Secondary text: units, separators, hints.
    #[must_use]
    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    /// Panel titles and the labels in the header.
    #[must_use]
    pub fn title(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// Panel borders; the focused panel's border is brighter.
    #[must_use]
    pub fn border(self, focused: bool) -> Style {
        if focused {
            self.fg(Color::Cyan)
        } else {
            self.dim()
        }
    }

    /// Key names in the footer and the help overlay.
    #[must_use]
    pub fn key(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// The results table's column headers.
    #[must_use]
    pub fn header(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    /// The selected row (sources or results): a dark grey bar under the row's own colours;
    /// reverse video without colour.
    #[must_use]
    pub fn selected(self) -> Style {
        if self.color {
            Style::new()
                .bg(Color::Indexed(SELECTED_BG))
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    /// The cursor of the line being edited.
    #[must_use]
    pub fn cursor(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// The mark of a row that changed since the previous run.
    #[must_use]
    pub fn changed(self) -> Style {
        self.fg(Color::LightYellow).add_modifier(Modifier::BOLD)
    }

    /// Error text.
    #[must_use]
    pub fn error(self) -> Style {
        self.fg(Color::Red)
    }

    /// Notices in the footer (export path, warnings).
    #[must_use]
    pub fn notice(self) -> Style {
        self.fg(Color::LightGreen)
    }

    /// The deadline and timeout marks on the timeline.
    #[must_use]
    pub fn limit(self) -> Style {
        self.fg(Color::Red)
    }

    /// A numeric cell of the results table.
    #[must_use]
    pub fn number(self) -> Style {
        self.fg(Color::LightBlue)
    }
}

/// The symbol shown before a state's label: distinct per state, so a state reads without
/// colour. All are one column wide.
#[must_use]
pub fn symbol(state: State) -> &'static str {
    match state {
        State::Pending => "○",
        State::Running => "◐",
        State::Ok => "✓",
        State::Error => "✗",
        State::Timeout => "◷",
        State::Cancelled => "⊘",
        State::Skipped => "–",
    }
}

/// The state's label as the dashboard shows it.
#[must_use]
pub fn label(state: State) -> &'static str {
    match state {
        State::Timeout => "timed out",
        other => other.as_str(),
    }
}
