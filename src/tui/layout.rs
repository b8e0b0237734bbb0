//! Where each screen region goes for a terminal size: shared by the renderer and by the app,
//! which needs page sizes and, for the mouse, which region a click fell in. Depends on neither.

use ratatui::layout::Rect;

use super::mode::Focus;
use super::theme;
use crate::source::State;

/// Rows of sources shown at most in the sources panel and the timeline before they scroll.
const MAX_SOURCE_ROWS: usize = 12;
/// Least height of the results panel for the timeline to be shown as well.
const MIN_RESULTS: u16 = 8;
/// Least width for the details panel beside the sources.
const DETAILS_MIN_WIDTH: u16 = 100;

/// Where each region goes; `None` for regions that do not fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    /// Query and run line.
    pub header: Rect,
    /// Counts by state.
    pub counts: Option<Rect>,
    /// The sources panel.
    pub sources: Option<Rect>,
    /// Details of the selected source.
    pub details: Option<Rect>,
    /// The waterfall.
    pub timeline: Option<Rect>,
    /// The results table.
    pub results: Option<Rect>,
    /// Keys, notices, or the line being edited.
    pub footer: Rect,
}

impl Areas {
    /// Data rows the results table shows (0 when hidden).
    #[must_use]
    pub fn results_rows(&self) -> usize {
        self.results
            .map_or(0, |r| usize::from(r.height.saturating_sub(3)))
    }

    /// Source rows the sources panel shows (0 when hidden).
    #[must_use]
    pub fn sources_rows(&self) -> usize {
        self.sources
            .map_or(0, |r| usize::from(r.height.saturating_sub(2)))
    }
}

/// The regions for a terminal of `size` (width, height) showing `sources` sources. Tall
/// terminals show everything; shorter ones drop the timeline, then show only the focused panel.
#[must_use]
pub fn layout(size: (u16, u16), sources: usize, focus: Focus) -> Areas {
    let (w, h) = size;
    let row = |y: u16, height: u16| Rect::new(0, y, w, height);
    let header = row(0, h.min(1));
    let footer = row(h.saturating_sub(1), h.min(1).min(h.saturating_sub(1)));
    let mut areas = Areas {
        header,
        counts: None,
        sources: None,
        details: None,
        timeline: None,
        results: None,
        footer,
    };
    if h < 4 {
        return areas;
    }
    areas.counts = Some(row(1, 1));
    let mut y = 2;
    let body = h - 3;
    let listed = sources.clamp(1, MAX_SOURCE_ROWS) as u16;
    let wide = w >= DETAILS_MIN_WIDTH;
    if body < 12 {
        let only = row(y, body);
        match focus {
            Focus::Sources => areas.sources = Some(only),
            Focus::Results => areas.results = Some(only),
        }
        return areas;
    }
    let mut top = listed + 2;
    if wide {
        top = top.max(12);
    }
    top = top.min(body - MIN_RESULTS.min(body / 2));
    let (left, right) = split(row(y, top), wide);
    areas.sources = Some(left);
    areas.details = right;
    y += top;
    // Bars, the concurrency strip and the axis, in a border.
    let timeline = listed + 4;
    if body >= top + timeline + MIN_RESULTS {
        areas.timeline = Some(row(y, timeline));
        y += timeline;
    }
    areas.results = Some(row(y, h - 1 - y));
    areas
}

/// The sources panel and, on wide terminals, the details beside it.
fn split(area: Rect, wide: bool) -> (Rect, Option<Rect>) {
    if !wide {
        return (area, None);
    }
    let left = area.width * 5 / 8;
    (
        Rect {
            width: left,
            ..area
        },
        Some(Rect {
            x: area.x + left,
            width: area.width - left,
            ..area
        }),
    )
}

/// What a piece of the header's counts line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountRole {
    /// `sources`.
    Label,
    /// The number of sources.
    Total,
    /// Space or a separator between counts.
    Gap,
    /// One state's count.
    State(State),
}

/// One piece of the header's counts line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountCell {
    /// What it is.
    pub role: CountRole,
    /// The text.
    pub text: String,
    /// First column.
    pub x: u16,
    /// Columns taken.
    pub width: u16,
}

/// The counts line laid out for a terminal `width` columns wide: `sources 7   ✓ ok 4 · ...`,
/// compact (`✓4 ✗1`) below 120 columns. The renderer draws these; a click is matched against
/// them.
#[must_use]
pub fn count_cells(counts: &[(State, usize); 7], total: usize, width: u16) -> Vec<CountCell> {
    let compact = width < 120;
    let mut cells = Vec::new();
    let mut x = 0u16;
    let mut push = |cells: &mut Vec<CountCell>, role, text: String| {
        let w = crate::display::width(&text) as u16;
        cells.push(CountCell {
            role,
            text,
            x,
            width: w,
        });
        x = x.saturating_add(w);
    };
    push(&mut cells, CountRole::Label, String::from(" sources "));
    push(
        &mut cells,
        CountRole::Total,
        super::format::count(total as u64),
    );
    let gap = if compact { "  " } else { "   " };
    push(&mut cells, CountRole::Gap, String::from(gap));
    for (i, (state, n)) in counts.iter().enumerate() {
        if *state == State::Skipped && *n == 0 {
            continue;
        }
        if i > 0 {
            let gap = if compact { " " } else { " · " };
            push(&mut cells, CountRole::Gap, String::from(gap));
        }
        let text = if compact {
            format!("{}{n}", theme::symbol(*state))
        } else {
            format!("{} {} {n}", theme::symbol(*state), theme::label(*state))
        };
        push(&mut cells, CountRole::State(*state), text);
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_drops_regions_as_the_terminal_shrinks() {
        let big = layout((140, 45), 7, Focus::Results);
        assert!(big.timeline.is_some() && big.details.is_some());
        assert!(big.results_rows() >= 15, "{big:?}");
        let small = layout((80, 20), 7, Focus::Results);
        assert!(small.timeline.is_none() && small.details.is_none());
        assert!(small.sources.is_some() && small.results.is_some());
        let tiny = layout((40, 10), 7, Focus::Results);
        assert!(tiny.sources.is_none());
        assert_eq!(tiny.results.map(|r| r.height), Some(7));
        let tiny = layout((40, 10), 7, Focus::Sources);
        assert!(tiny.results.is_none() && tiny.sources.is_some());
    }
}
