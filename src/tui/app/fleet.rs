//! The sources panel from the app's side: the sort, filters and grouping the user picks, the
//! index and the figures across sources rebuilt when those change and, while a gather
//! streams in, at most every [`FLEET_EVERY`] (every frame for small fleets), and a selection
//! that follows its row (a source or a tag) while the rows re-sort.

use std::time::{Duration, Instant};

use super::App;
use crate::tui::fleet::{FleetStats, PanelIndex, PanelRow, SourceSort, StateFilter};
use crate::tui::layout;
use crate::tui::mode::Focus;

/// Least time between two rebuilds of the sources index and the figures while a gather runs,
/// for fleets past [`SMALL_FLEET`]: at 10,000 sources a rebuild takes about a millisecond.
pub const FLEET_EVERY: Duration = Duration::from_millis(250);
/// Up to this many sources the index is rebuilt every frame while anything changes.
const SMALL_FLEET: usize = 500;

/// When the sources index was last rebuilt, and whether sources changed since.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct FleetRefresh {
    /// Sources changed since the last rebuild.
    pub is_dirty: bool,
    /// When the last rebuild was.
    pub last: Option<Instant>,
}

/// What the middle of the screen shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// The waterfall of the sources on screen, and the concurrency strip.
    #[default]
    Timeline,
    /// The latency distribution across all sources.
    Distribution,
}

impl App {
    /// Rebuilds the sources index and the figures now, keeping the selection on its row.
    pub(super) fn refresh_fleet(&mut self) {
        let elapsed = self.elapsed();
        self.index = PanelIndex::build(
            &self.sources,
            &self.tags,
            &self.tags_of,
            &self.panel,
            elapsed,
        );
        self.stats = FleetStats::build(&self.sources, elapsed);
        self.fleet_refresh = FleetRefresh {
            is_dirty: false,
            last: Some(self.now),
        };
        self.follow_cursor();
    }

    /// Rebuilds the index and figures if something changed and the throttle allows.
    pub(super) fn refresh_fleet_if_due(&mut self, now: Instant) {
        let changing = self.fleet_refresh.is_dirty || self.is_running;
        let due = self.sources.len() <= SMALL_FLEET
            || self
                .fleet_refresh
                .last
                .is_none_or(|t| now.saturating_duration_since(t) >= FLEET_EVERY);
        if changing && due {
            self.refresh_fleet();
        }
    }

    /// `o`: the next sort key, in its natural direction; the cursor goes to the top (the
    /// slowest, when sorting by latency).
    pub(super) fn sources_sort_next(&mut self) {
        self.panel.sort = self.panel.sort.next();
        self.panel.reversed = false;
        self.refresh_fleet_from_top();
    }

    /// `O`: the other direction.
    pub(super) fn sources_sort_flip(&mut self) {
        if self.panel.sort == SourceSort::Config && !self.panel.reversed {
            self.panel.sort = SourceSort::Latency;
        } else {
            self.panel.reversed = !self.panel.reversed;
        }
        self.refresh_fleet_from_top();
    }

    /// `f`, or a click on a count: which states the panel shows.
    pub(super) fn set_state_filter(&mut self, filter: StateFilter) {
        self.panel.state = filter;
        self.refresh_fleet_from_top();
    }

    /// The name-or-tag filter, as typed.
    pub(super) fn set_source_filter(&mut self, text: &str) {
        self.panel.text = text.to_lowercase();
        self.refresh_fleet_from_top();
    }

    /// The user changed what the panel shows: rebuilt, the cursor on its first row.
    fn refresh_fleet_from_top(&mut self) {
        self.cursor = None;
        self.refresh_fleet();
    }

    /// `t`: one line per tag, or one per source. The selected source's tag is expanded so the
    /// selection stays in view.
    pub(super) fn toggle_groups(&mut self) {
        self.panel.grouped = !self.panel.grouped;
        if self.panel.grouped
            && let Some(PanelRow::Source(i)) = self.cursor
            && let Some(&tag) = self.tags_of.get(i).and_then(|t| t.first())
        {
            self.cursor = Some(PanelRow::Group(tag));
        }
        self.refresh_fleet();
    }

    /// `x`, `→`, `←` on a tag line: list its sources or fold them; `expand` `None` toggles.
    /// On a source line, `←` and `x` fold its tag and select the tag line.
    pub(super) fn expand(&mut self, expand: Option<bool>) {
        let tag = match self.cursor {
            Some(PanelRow::Group(t)) => t,
            Some(PanelRow::Source(i)) if self.panel.grouped && expand != Some(true) => {
                let Some(t) = self.group_of_cursor(i) else {
                    return;
                };
                self.cursor = Some(PanelRow::Group(t));
                t
            }
            _ => return,
        };
        let open = expand.unwrap_or(!self.panel.expanded.contains(&tag));
        if open {
            self.panel.expanded.insert(tag);
        } else {
            self.panel.expanded.remove(&tag);
        }
        self.refresh_fleet();
    }

    /// The tag line above the cursor's row (the group it is listed under).
    fn group_of_cursor(&self, source: usize) -> Option<usize> {
        let at = self.index.position(PanelRow::Source(source))?;
        self.index.rows[..at].iter().rev().find_map(|r| match r {
            PanelRow::Group(t) => Some(*t),
            PanelRow::Source(_) => None,
        })
    }

    /// `v`: the timeline or the latency distribution.
    pub(super) fn toggle_view(&mut self) {
        self.view = match self.view {
            View::Timeline => View::Distribution,
            View::Distribution => View::Timeline,
        };
    }

    /// Moves the panel's cursor by `delta` rows.
    pub(super) fn move_cursor(&mut self, delta: isize) {
        let Some(last) = self.index.len().checked_sub(1) else {
            return;
        };
        let at = self.cursor_position().unwrap_or(0);
        let to = at.saturating_add_signed(delta).min(last);
        self.select_row(to);
    }

    /// Selects the panel's row `at` (a source also becomes the details' source).
    pub(super) fn select_row(&mut self, at: usize) {
        let Some(&row) = self.index.rows.get(at) else {
            return;
        };
        self.cursor = Some(row);
        self.select_cursor_source();
        self.clamp_panel();
    }

    /// The details follow the cursor: its source, or on a tag's line the first source the
    /// filters show under it (never one they hide).
    fn select_cursor_source(&mut self) {
        let source = match self.cursor {
            Some(PanelRow::Source(i)) => Some(i),
            Some(PanelRow::Group(g)) => self
                .index
                .groups
                .get(g)
                .and_then(|g| g.shown.first().copied()),
            None => None,
        };
        if let Some(i) = source {
            self.selected = i;
        }
    }

    /// Where the cursor's row is now.
    #[must_use]
    pub fn cursor_position(&self) -> Option<usize> {
        self.cursor.and_then(|row| self.index.position(row))
    }

    /// After a rebuild: the cursor stays on its row wherever it moved; if its row is no longer
    /// shown, it goes to the first row.
    fn follow_cursor(&mut self) {
        if self.cursor_position().is_none() {
            self.cursor = self.index.rows.first().copied();
            self.panel_offset = 0;
            self.select_cursor_source();
        } else if matches!(self.cursor, Some(PanelRow::Group(_))) {
            self.select_cursor_source();
        }
        self.clamp_panel();
    }

    /// Keeps the cursor's row within the panel's rows on screen.
    pub(super) fn clamp_panel(&mut self) {
        let rows = layout::layout(self.size, self.index.len(), self.focus)
            .sources_rows()
            .max(1);
        let at = self.cursor_position().unwrap_or(0);
        if at < self.panel_offset {
            self.panel_offset = at;
        } else if at >= self.panel_offset + rows {
            self.panel_offset = at + 1 - rows;
        }
        self.panel_offset = self.panel_offset.min(self.index.len().saturating_sub(rows));
    }

    /// The focus is on the sources panel, grouped by tag (← and → fold and expand tags).
    pub(super) fn is_grouped_and_focused(&self) -> bool {
        self.focus == Focus::Sources && self.panel.grouped
    }
}
