//! The dashboard's state. Only [`App::update`] changes it: terminal input arrives as
//! [`Action`]s through the keymap, engine events as [`Action::Engine`], and the clock as
//! [`Action::Tick`]. What the app needs done outside itself (start or cancel a gather, quit)
//! it returns as an [`Effect`]; rendering reads the state and changes nothing.

mod editing;
mod events;
mod export;
mod fleet;
mod mouse;
mod nav;
mod run;
mod source_view;
mod table;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fleet::FleetRefresh;
pub use fleet::{FLEET_EVERY, View};
pub use source_view::{HISTORY, RunRecord, SourceView, percentile, percentile_sorted};
pub use table::Shelf;

use super::action::{Action, Effect, KeyMode};
use super::fleet::{FleetStats, PanelIndex, PanelRow, PanelSpec, tag_list};
use super::history::History;
use super::mode::{EditTarget, Focus, Mode};
use super::rebuild::Rebuilds;
use super::theme::Theme;
use super::view::TableView;
use crate::config::Config;
use crate::engine::Plan;
use crate::event::Event;
use crate::merge::SortKey;
use crate::source::State;
use crate::sql::SqlStep;

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
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent switches: a run, watch mode, the pause, which table is shown"
)]
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
    /// The source whose details are shown (the last source the cursor was on).
    pub selected: usize,
    /// The sources panel's selected row (a source or a tag line); it stays on its row while
    /// the rows re-sort.
    pub cursor: Option<PanelRow>,
    /// The sources panel's first row on screen (the timeline shows the same rows).
    pub panel_offset: usize,
    /// How the user asked to see the sources: sort, filters, grouping.
    pub panel: PanelSpec,
    /// The sources panel's rows as `panel` says (rebuilt throttled while a gather runs).
    pub index: PanelIndex,
    /// Figures across the sources for the distribution view and the concurrency strip.
    pub stats: FleetStats,
    /// Every tag of the sources, sorted (`(no tag)` last, if any source has none).
    pub tags: Vec<String>,
    /// Per source, the indices of its tags in `tags`.
    tags_of: Vec<Vec<usize>>,
    /// Sources per state, in [`State::ALL`] order, kept as states change (a frame reads them
    /// without visiting every source).
    state_counts: [usize; 7],
    /// When the index was rebuilt and whether sources changed since.
    fleet_refresh: FleetRefresh,
    /// The timeline or the latency distribution.
    pub view: View,
    /// p99 of the sources' latencies in each recent run, oldest first (watch mode).
    pub run_p99: VecDeque<Duration>,
    /// Width of the source-name column (see [`App::name_width`]).
    name_width: usize,
    /// The shortest of the sources' timeouts (the timeline marks it or names it off scale).
    pub shortest_timeout: Option<Duration>,
    /// The results' scroll state.
    pub scroll: Scroll,
    /// The rows on screen: the SQL step's result when `shows_sql`, else the merged rows.
    pub table: TableView,
    /// The shown table's sort keys (the merged rows start as `[merge] sort`, the SQL result in
    /// the query's own order).
    pub sort: Vec<SortKey>,
    /// The shown table's filter (as typed).
    pub filter: String,
    /// The table not shown, with its sort, filter and scroll.
    pub other: Shelf,
    /// The SQL step run over each merge (`[merge] sql`, edited with `:` then Tab).
    pub sql: Option<SqlStep>,
    /// The results panel shows the SQL step's result (`m` toggles).
    pub shows_sql: bool,
    /// Why the SQL step failed on the last rebuild (shown instead of its rows).
    pub sql_error: Option<String>,
    /// While the query or the SQL step is edited, the other line's edit (Tab switches).
    parked: Option<super::mode::Edit>,
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
        let sources: Vec<SourceView> = plan
            .sources
            .iter()
            .zip(&config.sources)
            .map(|(planned, spec)| SourceView {
                tags: spec.tags.clone(),
                ..SourceView::new(planned)
            })
            .collect();
        let (tags, tags_of) = tag_list(&sources);
        let name_width = sources
            .iter()
            .map(|s| crate::display::width(&s.name))
            .max()
            .unwrap_or(4)
            .clamp(4, 20);
        let shortest_timeout = sources.iter().map(|s| s.timeout).min();
        let shows_sql = config.sql.is_some();
        let (sort, other_sort) = if shows_sql {
            (Vec::new(), config.merge.sort.clone())
        } else {
            (config.merge.sort.clone(), Vec::new())
        };
        let mut app = Self {
            query: config.query.clone().unwrap_or_default(),
            sort,
            other: Shelf {
                sort: other_sort,
                ..Shelf::default()
            },
            sql: config.sql.clone(),
            shows_sql,
            sql_error: None,
            parked: None,
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
            cursor: None,
            panel_offset: 0,
            panel: PanelSpec::default(),
            index: PanelIndex::default(),
            stats: FleetStats::default(),
            tags,
            tags_of,
            state_counts: [0; 7],
            fleet_refresh: FleetRefresh::default(),
            view: View::default(),
            run_p99: VecDeque::new(),
            name_width,
            shortest_timeout,
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
        };
        app.state_counts[0] = app.sources.len();
        app.refresh_fleet();
        app
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
        let mut i = 0;
        State::ALL.map(|s| {
            i += 1;
            (s, self.state_counts[i - 1])
        })
    }

    /// Changes the state as `action` says; returns what the event loop must do, if anything.
    pub fn update(&mut self, action: Action) -> Option<Effect> {
        match action {
            Action::Tick(now) => self.tick(now),
            Action::Resize(w, h) => {
                self.size = (w, h);
                self.clamp_scroll();
                self.clamp_panel();
                None
            }
            Action::SourcesSortNext => {
                self.sources_sort_next();
                None
            }
            Action::SourcesSortFlip => {
                self.sources_sort_flip();
                None
            }
            Action::StateFilterNext => {
                self.set_state_filter(self.panel.state.next());
                None
            }
            Action::ToggleGroups => {
                self.toggle_groups();
                None
            }
            Action::ToggleExpand => {
                self.expand(None);
                None
            }
            Action::ToggleView => {
                self.toggle_view();
                None
            }
            Action::ToggleSqlView => {
                self.toggle_sql_view();
                None
            }
            Action::SwitchEdit => {
                self.switch_edit();
                None
            }
            Action::Click(x, y) => {
                self.click(x, y);
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
            Action::ExportParquet => self.export(crate::output::Format::Parquet),
            Action::Submit => self.submit(),
            Action::EditQuery => {
                self.start_edit(EditTarget::Query, self.query.clone());
                None
            }
            Action::EditFilter if self.focus == Focus::Sources => {
                self.start_edit(EditTarget::Sources, self.panel.text.clone());
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

    fn post(&mut self, text: String) {
        self.notice = Some(Notice {
            text: crate::display::one_line(text),
            is_error: false,
            at: self.now,
        });
    }

    fn post_error(&mut self, text: String) {
        self.notice = Some(Notice {
            text: crate::display::one_line(text),
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
    /// rows line up: the longest name, at least 4 and at most 20 columns.
    #[must_use]
    pub fn name_width(&self) -> usize {
        self.name_width
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

/// The position of `state` in [`State::ALL`].
#[must_use]
pub fn state_rank(state: State) -> usize {
    State::ALL.iter().position(|&s| s == state).unwrap_or(0)
}
