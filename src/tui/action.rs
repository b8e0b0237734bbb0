//! What the user and the engine can ask of the dashboard ([`Action`]), the keymap that turns
//! terminal input into actions, and what the app asks of its event loop ([`Effect`]).

use std::sync::Arc;
use std::time::Instant;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use tui_input::InputRequest;

use crate::engine::Plan;
use crate::event::Event;
use crate::source::CancelReason;
use crate::tui::rebuild::{RebuildJob, Rebuilt};

/// Rows one mouse-wheel notch scrolls.
pub const WHEEL_ROWS: usize = 3;

/// Every change to the dashboard's state goes through one of these (see `App::update`).
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "an engine event is moved once from the channel into `App::update`, never stored \
              in bulk: boxing it would add an allocation per event for no memory saved"
)]
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
    /// Sort the sources by the next key (config, latency, state, name, rows).
    SourcesSortNext,
    /// Reverse the sources' sort direction.
    SourcesSortFlip,
    /// Show the next set of sources by state (all, failed, not finished, ok).
    StateFilterNext,
    /// Sources grouped by tag, or not.
    ToggleGroups,
    /// List the selected tag's sources, or fold them.
    ToggleExpand,
    /// The timeline or the latency distribution in the middle of the screen.
    ToggleView,
    /// The results panel: the SQL step's result or the merged rows.
    ToggleSqlView,
    /// While editing the query or the SQL step: edit the other one.
    SwitchEdit,
    /// A left click at this column and row.
    Click(u16, u16),
    /// Watch mode on or off.
    ToggleWatch,
    /// Freeze or unfreeze the display.
    TogglePause,
    /// Export the table as CSV.
    ExportCsv,
    /// Export the table as JSON.
    ExportJson,
    /// Export the table as Parquet.
    ExportParquet,
    /// Help overlay on or off.
    ToggleHelp,
    /// A character typed into the line being edited, at the cursor.
    Input(char),
    /// Move the cursor or delete in the line being edited.
    Edit(InputRequest),
    /// Text pasted into the line being edited (bracketed paste).
    Paste(String),
    /// The line being edited shows the previous entry of its history (↑).
    Older,
    /// The line being edited shows the next entry of its history, then the draft (↓).
    Newer,
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
        TermEvent::Paste(text) if mode == KeyMode::Editing => Some(Action::Paste(text.clone())),
        _ => None,
    }
}

fn map_mouse(mouse: MouseEvent) -> Option<Action> {
    match mouse.kind {
        MouseEventKind::ScrollUp => Some(Action::Up(WHEEL_ROWS)),
        MouseEventKind::ScrollDown => Some(Action::Down(WHEEL_ROWS)),
        MouseEventKind::Down(MouseButton::Left) => Some(Action::Click(mouse.column, mouse.row)),
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
        KeyMode::Editing => map_editing(key),
    }
}

/// The line editor's keys: readline's (Ctrl-A/E/B/F/U/K/W/Y, Alt-B/F/D) and the arrows.
fn map_editing(key: KeyEvent) -> Option<Action> {
    use InputRequest as R;
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    let request = match key.code {
        KeyCode::Enter => return Some(Action::Submit),
        KeyCode::Esc => return Some(Action::Dismiss),
        KeyCode::Tab | KeyCode::BackTab => return Some(Action::SwitchEdit),
        KeyCode::Up => return Some(Action::Older),
        KeyCode::Down => return Some(Action::Newer),
        KeyCode::Char('p') if ctrl => return Some(Action::Older),
        KeyCode::Char('n') if ctrl => return Some(Action::Newer),
        KeyCode::Left if ctrl || alt => R::GoToPrevWord,
        KeyCode::Right if ctrl || alt => R::GoToNextWord,
        KeyCode::Left => R::GoToPrevChar,
        KeyCode::Right => R::GoToNextChar,
        KeyCode::Char('b') if ctrl => R::GoToPrevChar,
        KeyCode::Char('f') if ctrl => R::GoToNextChar,
        KeyCode::Char('b') if alt => R::GoToPrevWord,
        KeyCode::Char('f') if alt => R::GoToNextWord,
        KeyCode::Home => R::GoToStart,
        KeyCode::End => R::GoToEnd,
        KeyCode::Char('a') if ctrl => R::GoToStart,
        KeyCode::Char('e') if ctrl => R::GoToEnd,
        KeyCode::Backspace if ctrl || alt => R::DeletePrevWord,
        KeyCode::Backspace => R::DeletePrevChar,
        KeyCode::Char('h') if ctrl => R::DeletePrevChar,
        KeyCode::Delete => R::DeleteNextChar,
        KeyCode::Char('d') if ctrl => R::DeleteNextChar,
        KeyCode::Char('d') if alt => R::DeleteNextWord,
        KeyCode::Char('w') if ctrl => R::DeletePrevWord,
        KeyCode::Char('u') if ctrl => R::DeleteFromStart,
        KeyCode::Char('k') if ctrl => R::DeleteTillEnd,
        KeyCode::Char('y') if ctrl => R::Yank,
        KeyCode::Char(c) if !ctrl && !alt => return Some(Action::Input(c)),
        _ => return None,
    };
    Some(Action::Edit(request))
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
        KeyCode::Char('o') => Action::SourcesSortNext,
        KeyCode::Char('O') => Action::SourcesSortFlip,
        KeyCode::Char('f') => Action::StateFilterNext,
        KeyCode::Char('t') => Action::ToggleGroups,
        KeyCode::Char('x') => Action::ToggleExpand,
        KeyCode::Char('v') => Action::ToggleView,
        KeyCode::Char('m') => Action::ToggleSqlView,
        KeyCode::Char('w') => Action::ToggleWatch,
        KeyCode::Char('p') => Action::TogglePause,
        KeyCode::Char('e') => Action::ExportCsv,
        KeyCode::Char('E') => Action::ExportJson,
        KeyCode::Char('P') => Action::ExportParquet,
        KeyCode::Char('?') | KeyCode::F(1) => Action::ToggleHelp,
        _ => return None,
    })
}

/// The key list shown by the help overlay: (keys, what they do).
pub const HELP: &[(&str, &str)] = &[
    ("q  Ctrl-C", "quit (cancels the running gather)"),
    ("r  Enter", "run the query again"),
    ("Esc", "cancel the running gather"),
    (":", "edit the query, Enter runs it (↑↓ history)"),
    (
        "  Tab",
        "while editing: the query · the SQL step run after the merge",
    ),
    (
        "  editing",
        "← → Home End, Ctrl/Alt-← → words, ^A ^E ^U ^K ^W ^Y",
    ),
    (
        "/",
        "filter the focused panel (rows: any column · sources: name or tag)",
    ),
    ("s  S", "sort results by next column · flip direction"),
    (
        "o  O",
        "sort sources: config, latency, state, name, rows · flip",
    ),
    (
        "f",
        "sources shown: all, failed, not finished, ok (click a count)",
    ),
    (
        "t  x",
        "group sources by tag · expand/fold a tag (also → ←)",
    ),
    ("v", "middle panel: timeline · latency distribution"),
    ("m", "results: the SQL step's result · the merged rows"),
    ("Tab", "focus sources / results (click a row selects it)"),
    ("↑↓ j k", "move the selection (wheel scrolls)"),
    ("PgUp PgDn g G", "page up/down · first · last"),
    ("← → h l", "scroll the result columns"),
    ("w", "watch mode on/off (re-run periodically)"),
    ("p", "pause/resume display updates"),
    ("e  E  P", "export the table to CSV · JSON · Parquet"),
    ("?", "this help"),
];
