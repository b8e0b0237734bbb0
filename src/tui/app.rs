//! The dashboard's state. Only [`App::update`] changes it: terminal input arrives as
//! [`Action`]s through the keymap, engine events as [`Action::Engine`], and the clock as
//! [`Action::Tick`]. What the app needs done outside itself (start or cancel a gather, quit)
//! it returns as an [`Effect`]; rendering reads the state and changes nothing.

mod editing;
mod export;
mod nav;
mod run;
mod source_view;
mod table;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use source_view::{HISTORY, RunRecord, SourceView, percentile};

use super::action::{Action, Effect, KeyMode};
use super::history::History;
use super::mode::{EditTarget, Focus, Mode};
use super::rebuild::Rebuilds;
use super::theme::Theme;
use super::view::TableView;
use crate::config::Config;
use crate::engine::Plan;
use crate::event::{Event, EventKind};
use crate::merge::SortKey;
use crate::source::State;

/// Watch interval when `w` turns watch mode on and none is configured.
pub const DEFAULT_WATCH: Duration = Duration::from_secs(5);
/// Above this many merged rows, sorting or filtering takes longer than a frame (about 80 and
/// 160 ms at a million rows), so it runs off the event loop with the next rebuild, and the filter
/// applies on Enter rather than on every key.
const ON_LOOP_ROWS: usize = 200_000;
/// How long a notice stays in the footer.
const NOTICE_FOR: Duration = Duration::from_secs(8);

/// A message for the user in the footer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The text.
    pub text: String,
    /// An error rather than information.
    pub is_error: bool,
    /// When it was posted (it fades after a few seconds).
    pub at: Instant,
}

/// The results table's scroll state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scroll {
    /// The selected row (index into the visible rows).
    pub cursor: usize,
    /// The first row on screen.
    pub offset: usize,
    /// The first column on screen.
    pub column: usize,
}

/// The dashboard's whole state.
pub struct App {
    /// The configuration, for re-planning an edited query.
    config: Config,
    /// What the next run runs (sources shared across runs).
    plan: Arc<Plan>,
    /// Styles.
    pub theme: Theme,
    /// The default query (shown in the header, edited with `:`).
    pub query: String,
    /// One per source, in plan order.
    pub sources: Vec<SourceView>,
    /// The current run's generation; 0 before the first run.
    pub generation: u64,
    /// Runs finished.
    pub runs: u64,
    /// A gather is running.
    pub is_running: bool,
    /// When the current run started.
    run_started: Option<Instant>,
    /// Wall time of the last finished run.
    last_elapsed: Duration,
    /// The clock, as of the last tick.
    pub now: Instant,
    /// Re-run interval of watch mode.
    pub watch: Option<Duration>,
    /// Watch mode is on.
    pub is_watching: bool,
    /// When watch mode runs next.
    pub next_run: Option<Instant>,
    /// The display is frozen; engine events wait in `backlog`.
    pub is_paused: bool,
    /// Events received while paused, applied on resume.
    backlog: Vec<Event>,
    /// Which panel has focus.
    pub focus: Focus,
    /// The selected source.
    pub selected: usize,
    /// The results' scroll state.
    pub scroll: Scroll,
    /// The merged rows.
    pub table: TableView,
    /// The results' sort keys (starts as `[merge] sort`).
    pub sort: Vec<SortKey>,
    /// The results filter (as typed).
    pub filter: String,
    /// What the keyboard drives: commands, help, a question, or a line being edited.
    pub mode: Mode,
    /// The footer's message.
    pub notice: Option<Notice>,
    /// Past queries and filters, for ↑/↓ in the editor (saved in the state directory by
    /// the dashboard; kept in memory only in tests).
    pub history: History,
    /// The table's rebuilds off the event loop.
    rebuilds: Rebuilds,
    /// Events dropped because they belonged to a superseded run.
    pub stale_dropped: u64,
    /// The terminal's size.
    pub size: (u16, u16),
    /// Where exports are written.
    pub export_dir: PathBuf,
}

impl App {
    /// The dashboard for `config`, running `plan`, before its first run.
    #[must_use]
    pub fn new(config: Config, plan: Arc<Plan>, theme: Theme, now: Instant) -> Self {
        let sources = plan.sources.iter().map(SourceView::new).collect();
        Self {
            query: config.query.clone().unwrap_or_default(),
            sort: config.merge.sort.clone(),
            watch: config.gather.watch,
            is_watching: config.gather.watch.is_some(),
            config,
            plan,
            theme,
            sources,
            generation: 0,
            runs: 0,
            is_running: false,
            run_started: None,
            last_elapsed: Duration::ZERO,
            now,
            next_run: None,
            is_paused: false,
            backlog: Vec::new(),
            focus: Focus::Results,
            selected: 0,
            scroll: Scroll::default(),
            table: TableView::default(),
            filter: String::new(),
            mode: Mode::Normal,
            notice: None,
            history: History::default(),
            rebuilds: Rebuilds::default(),
            stale_dropped: 0,
            size: (80, 24),
            export_dir: PathBuf::from("."),
        }
    }

    /// The plan the next run uses.
    #[must_use]
    pub fn plan(&self) -> &Arc<Plan> {
        &self.plan
    }

    /// Writes are allowed (runs ask for confirmation first).
    #[must_use]
    pub fn allow_writes(&self) -> bool {
        self.plan.allow_writes
    }

    /// The gather's settings.
    #[must_use]
    pub fn settings(&self) -> &crate::config::GatherSettings {
        &self.plan.settings
    }

    /// Which keymap applies now.
    #[must_use]
    pub fn key_mode(&self) -> KeyMode {
        match self.mode {
            Mode::Normal => KeyMode::Normal,
            Mode::Help => KeyMode::Help,
            Mode::ConfirmRun => KeyMode::Confirming,
            Mode::Edit(_) => KeyMode::Editing,
        }
    }

    /// Time since the current run started, or the last run's wall time.
    #[must_use]
    pub fn elapsed(&self) -> Duration {
        match (self.is_running, self.run_started) {
            (true, Some(start)) => self.now.saturating_duration_since(start),
            _ => self.last_elapsed,
        }
    }

    /// Sources per state, in [`State::ALL`] order; always sums to the number of sources.
    #[must_use]
    pub fn counts(&self) -> [(State, usize); 7] {
        State::ALL.map(|s| (s, self.sources.iter().filter(|v| v.state == s).count()))
    }

    /// Changes the state as `action` says; returns what the event loop must do, if anything.
    pub fn update(&mut self, action: Action) -> Option<Effect> {
        match action {
            Action::Tick(now) => self.tick(now),
            Action::Resize(w, h) => {
                self.size = (w, h);
                self.clamp_scroll();
                None
            }
            Action::Engine(event) => self.on_engine(event),
            Action::Rebuilt(rebuilt) => self.rebuilt(*rebuilt),
            Action::Quit => Some(Effect::Quit),
            Action::Run => self.request_run(),
            Action::Cancel => self.cancel(),
            Action::ToggleWatch => self.toggle_watch(),
            Action::TogglePause => self.toggle_pause(),
            Action::ToggleHelp => {
                self.mode = match self.mode {
                    Mode::Help => Mode::Normal,
                    _ => Mode::Help,
                };
                None
            }
            Action::ExportCsv => self.export(crate::output::Format::Csv),
            Action::ExportJson => self.export(crate::output::Format::Json),
            Action::Submit => self.submit(),
            Action::EditQuery => {
                self.start_edit(EditTarget::Query, self.query.clone());
                None
            }
            Action::EditFilter => {
                self.start_edit(EditTarget::Filter, self.filter.clone());
                None
            }
            Action::Input(_)
            | Action::Edit(_)
            | Action::Paste(_)
            | Action::Older
            | Action::Newer => {
                self.on_edit(action);
                None
            }
            Action::Dismiss => {
                self.dismiss();
                None
            }
            other => {
                self.navigate(&other);
                None
            }
        }
    }

    fn tick(&mut self, now: Instant) -> Option<Effect> {
        if self.is_paused {
            return None;
        }
        self.now = now;
        if self
            .notice
            .as_ref()
            .is_some_and(|n| now.saturating_duration_since(n.at) > NOTICE_FOR)
        {
            self.notice = None;
        }
        if self.rebuilds.is_due(now) {
            return self.request_rebuild();
        }
        let watch_due = self.next_run.is_some_and(|t| now >= t);
        // A run that needs a yes waits until no question is open and no line is being edited.
        let may_ask = self.mode.is_normal() || !self.allow_writes();
        if self.is_watching && watch_due && !self.is_running && may_ask {
            self.next_run = None;
            return self.request_run();
        }
        None
    }

    fn on_engine(&mut self, event: Event) -> Option<Effect> {
        if event.generation != self.generation {
            self.stale_dropped += 1;
            return None;
        }
        if self.is_paused {
            self.backlog.push(event);
            return None;
        }
        let generation = event.generation;
        match event.kind {
            EventKind::Queued { source, at } => self.sources[source].queued = Some(at),
            EventKind::Started { source, at } => {
                let s = &mut self.sources[source];
                s.started = Some(at);
                s.state = State::Running;
            }
            EventKind::FirstRow { source, at } => self.sources[source].first_row = Some(at),
            EventKind::Rows { source, rows } => {
                let s = &mut self.sources[source];
                if !s.state.is_final() {
                    s.rows = rows;
                }
            }
            EventKind::Finished { report, batches } => {
                let index = report.index;
                self.sources[index].finish(report, batches, generation);
                self.rebuilds.mark_dirty();
            }
            EventKind::GatherFinished { elapsed } => return self.gather_finished(elapsed),
        }
        None
    }

    /// The run is over: its final table is built at once (not throttled).
    fn gather_finished(&mut self, elapsed: Duration) -> Option<Effect> {
        self.is_running = false;
        self.runs += 1;
        self.last_elapsed = elapsed;
        if self.is_watching {
            self.next_run = Some(self.now + self.watch.unwrap_or(DEFAULT_WATCH));
        }
        self.rebuilds.mark_final();
        self.request_rebuild()
    }

    fn post(&mut self, text: String) {
        self.notice = Some(Notice {
            text,
            is_error: false,
            at: self.now,
        });
    }

    fn post_error(&mut self, text: String) {
        self.notice = Some(Notice {
            text,
            is_error: true,
            at: self.now,
        });
    }

    /// Whether the filter follows every key typed (small tables) or waits for Enter.
    fn is_filter_live(&self) -> bool {
        self.is_table_small()
    }

    /// Whether the table on screen is about to change: a gather runs, or a rebuild (new rows,
    /// or a sort or filter of a large table) is pending or under way.
    #[must_use]
    pub fn is_table_updating(&self) -> bool {
        self.is_running || self.rebuilds.is_busy()
    }

    /// Width of the source-name column, shared by the sources panel and the timeline so their
    /// rows line up: the longest name, at least 4 and at most 20 characters.
    #[must_use]
    pub fn name_width(&self) -> usize {
        self.sources
            .iter()
            .map(|s| s.name.chars().count())
            .max()
            .unwrap_or(4)
            .clamp(4, 20)
    }

    /// Whether sorting and filtering the table fit in a frame on the event loop.
    fn is_table_small(&self) -> bool {
        self.table.merged_rows() <= ON_LOOP_ROWS
    }

    /// The rows of the table that changed since the previous run.
    #[must_use]
    pub fn changed_rows(&self) -> usize {
        self.table.changed_rows()
    }
}
