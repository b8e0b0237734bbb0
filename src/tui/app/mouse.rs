//! Clicks: on a state's count in the header (show only that state, again for all), on a row
//! of the sources panel or the timeline (select that source), on a row of the results.

use super::{App, View};
use crate::tui::fleet::StateFilter;
use crate::tui::layout::{self, CountRole};
use crate::tui::mode::Focus;

impl App {
    /// A left click at column `x`, row `y`.
    pub(super) fn click(&mut self, x: u16, y: u16) {
        let areas = layout::layout(self.size, self.index.len(), self.focus);
        if areas.counts.is_some_and(|r| r.y == y) {
            self.click_count(x);
            return;
        }
        let inside = |r: Option<ratatui::layout::Rect>| {
            r.filter(|r| x > r.x && x + 1 < r.right() && y > r.y && y + 1 < r.bottom())
        };
        let timeline = areas.timeline.filter(|_| self.view == View::Timeline);
        if let Some(r) = inside(areas.sources).or(inside(timeline)) {
            let at = self.panel_offset + usize::from(y - r.y - 1);
            if at < self.index.len() {
                self.focus = Focus::Sources;
                self.select_row(at);
            }
        } else if let Some(r) = inside(areas.results) {
            // The first inner line is the header.
            let Some(row) = usize::from(y - r.y).checked_sub(2) else {
                return;
            };
            let at = self.scroll.offset + row;
            if at < self.table.len() {
                self.focus = Focus::Results;
                self.scroll.cursor = at;
                self.clamp_scroll();
            }
        }
    }

    fn click_count(&mut self, x: u16) {
        let cells = layout::count_cells(&self.counts(), self.sources.len(), self.size.0);
        let Some(cell) = cells.iter().find(|c| x >= c.x && x < c.x + c.width) else {
            return;
        };
        let filter = match cell.role {
            CountRole::State(state) if self.panel.state != StateFilter::Only(state) => {
                StateFilter::Only(state)
            }
            CountRole::Gap => return,
            _ => StateFilter::All,
        };
        self.set_state_filter(filter);
    }
}
