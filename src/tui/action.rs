//! What the user and the engine can ask of the dashboard ([`Action`]), the keymap that turns
//! terminal input into actions, and what the app asks of its event loop ([`Effect`]).

use std::sync::Arc;
use std::time::Instant;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::event::{MouseEvent, MouseEventKind};

use crate::engine::Plan;
use crate::event::Event;
use crate::source::CancelReason;
use crate::tui::rebuild::{RebuildJob, Rebuilt};

/// Rows one mouse-wheel notch scrolls.
pub const WHEEL_ROWS: usize = 3;

/// Every change to the dashboard's state goes through one of these (see `App::update`).
#[derive(Debug)]
pub enum Action {
    /// The frame clock: the current time (live latencies, watch timer, throttled re-sorts).
    Tick(Instant),
    /// The terminal's size changed (or is known for the first time).
    Resize(u16, u16),
    /// An event from the engine.
    Engine(Event),
    /// A rebuild of the table finished (see `Effect::Rebuild`).
    Rebuilt(Box<Rebuilt>),
    /// Quit: cancel the running gather and leave.
    Quit,
    /// Run the query again (a new generation).
    Run,
    /// Cancel the running gather.
    Cancel,
    /// Start editing the query.
    EditQuery,
    /// Start editing the filter.
    EditFilter,
    /// Sort by the next column (ascending).
    SortNext,
    /// Reverse the direction of the first sort key.
    SortFlip,
    /// Move focus to the next panel.
    FocusNext,
    /// Move the selection up by this many rows.
    Up(usize),
    /// Move the selection down by this many rows.
    Down(usize),
    /// One page up.
    PageUp,
    /// One page down.
    PageDown,
    /// First row.
    Top,
    /// Last row.
    Bottom,
    /// Show the results' columns starting one further left.
    Left,
    /// Show the results' columns starting one further right.
    Right,
    /// Watch mode on or off.
    ToggleWatch,
    /// Freeze or unfreeze the display.
    TogglePause,
    /// Export the table as CSV.
    ExportCsv,
    /// Export the table as JSON.
    ExportJson,
    /// Help overlay on or off.
    ToggleHelp,
    /// A character typed into the query or filter being edited.
    Input(char),
    /// Delete the character before the cursor of the line being edited.
    Backspace,
    /// Accept the line being edited (or answer yes to the confirmation).
    Submit,
    /// Abandon the line being edited (or answer no to the confirmation).
    Dismiss,
}

/// What the app asks its event loop to do: the app itself never starts or stops tasks.
#[derive(Clone)]
pub enum Effect {
    /// Start gather `generation` of `plan`, superseding the running one.
    Spawn {
        /// The plan to run (its query may have been edited).
        plan: Arc<Plan>,
        /// The new run's generation.
        generation: u64,
    },
    /// Cancel the running gather with this reason.
    Cancel(CancelReason),
    /// Run this merge off the event loop and send back its result as `Action::Rebuilt`.
    Rebuild(Box<RebuildJob>),
    /// Leave the event loop.
    Quit,
}

impl std::fmt::Debug for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Spawn { generation, .. } => write!(f, "Spawn({generation})"),
            Self::Cancel(reason) => write!(f, "Cancel({reason})"),
            Self::Rebuild(_) => f.write_str("Rebuild"),
            Self::Quit => f.write_str("Quit"),
        }
    }
}

/// Which keymap applies: the normal one, or a line being edited or a question being asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMode {
    /// Commands.
    Normal,
    /// Typing text (query or filter).
    Editing,
    /// A yes/no question.
    Confirming,
    /// The help overlay: any key closes it.
    Help,
}

/// The action for a terminal event in `mode`, if any.
#[must_use]
pub fn map(event: &TermEvent, mode: KeyMode) -> Option<Action> {
    match event {
        TermEvent::Key(key) if key.kind != KeyEventKind::Release => map_key(*key, mode),
        TermEvent::Mouse(mouse) => map_mouse(*mouse),
        TermEvent::Resize(w, h) => Some(Action::Resize(*w, *h)),
        _ => None,
    }
}

fn map_mouse(mouse: MouseEvent) -> Option<Action> {
    match mouse.kind {
        MouseEventKind::ScrollUp => Some(Action::Up(WHEEL_ROWS)),
        MouseEventKind::ScrollDown => Some(Action::Down(WHEEL_ROWS)),
        _ => None,
    }
}

/// The action for a key press in `mode`.
#[must_use]
pub fn map_key(key: KeyEvent, mode: KeyMode) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    match mode {
        KeyMode::Normal => map_normal(key.code),
        KeyMode::Help => Some(Action::ToggleHelp),
        KeyMode::Confirming => match key.code {
            KeyCode::Char('y' | 'Y') | KeyCode::Enter => Some(Action::Submit),
            KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => Some(Action::Dismiss),
            _ => None,
        },
        KeyMode::Editing => match key.code {
            KeyCode::Enter => Some(Action::Submit),
            KeyCode::Esc => Some(Action::Dismiss),
            KeyCode::Backspace => Some(Action::Backspace),
            KeyCode::Char(c) if !ctrl => Some(Action::Input(c)),
            _ => None,
        },
    }
}

fn map_normal(code: KeyCode) -> Option<Action> {
    Some(match code {
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('r') | KeyCode::Enter => Action::Run,
        KeyCode::Esc => Action::Cancel,
        KeyCode::Char(':') => Action::EditQuery,
        KeyCode::Char('/') => Action::EditFilter,
        KeyCode::Char('s') => Action::SortNext,
        KeyCode::Char('S') => Action::SortFlip,
        KeyCode::Tab | KeyCode::BackTab => Action::FocusNext,
        KeyCode::Up | KeyCode::Char('k') => Action::Up(1),
        KeyCode::Down | KeyCode::Char('j') => Action::Down(1),
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown | KeyCode::Char(' ') => Action::PageDown,
        KeyCode::Home | KeyCode::Char('g') => Action::Top,
        KeyCode::End | KeyCode::Char('G') => Action::Bottom,
        KeyCode::Left | KeyCode::Char('h') => Action::Left,
        KeyCode::Right | KeyCode::Char('l') => Action::Right,
        KeyCode::Char('w') => Action::ToggleWatch,
        KeyCode::Char('p') => Action::TogglePause,
        KeyCode::Char('e') => Action::ExportCsv,
        KeyCode::Char('E') => Action::ExportJson,
        KeyCode::Char('?') | KeyCode::F(1) => Action::ToggleHelp,
        _ => return None,
    })
}

/// The key list shown by the help overlay: (keys, what they do).
pub const HELP: &[(&str, &str)] = &[
    ("q  Ctrl-C", "quit (cancels the running gather)"),
    ("r  Enter", "run the query again"),
    ("Esc", "cancel the running gather"),
    (":", "edit the query, Enter runs it"),
    ("/", "filter rows (text in any column)"),
    ("s  S", "sort by next column · flip direction"),
    ("Tab", "focus sources / results"),
    ("↑↓ j k", "move the selection (wheel scrolls)"),
    ("PgUp PgDn g G", "page up/down · first · last"),
    ("← → h l", "scroll the result columns"),
    ("w", "watch mode on/off (re-run periodically)"),
    ("p", "pause/resume display updates"),
    ("e  E", "export the table to CSV · JSON"),
    ("?", "this help"),
];
