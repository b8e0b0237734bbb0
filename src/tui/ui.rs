//! Drawing: a pure function of the [`App`]. One module per screen region; [`layout`] decides
//! which regions fit the terminal (the app uses it too, for page sizes).

mod details;
mod footer;
mod header;
mod overlay;
mod results;
mod sources;
mod timeline;

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::Rect;

use super::app::{App, Focus};

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
    let timeline = listed + 3;
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

/// Draws the whole dashboard.
pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let areas = layout((area.width, area.height), app.sources.len(), app.focus);
    header::render(app, frame, areas.header);
    if let Some(r) = areas.counts {
        header::render_counts(app, frame, r);
    }
    if let Some(r) = areas.sources {
        sources::render(app, frame, r);
    }
    if let Some(r) = areas.details {
        details::render(app, frame, r);
    }
    if let Some(r) = areas.timeline {
        timeline::render(app, frame, r);
    }
    if let Some(r) = areas.results {
        results::render(app, frame, r);
    }
    footer::render(app, frame, areas.footer);
    if app.show_help {
        overlay::render_help(app, frame, area);
    }
    if app.confirm {
        overlay::render_confirm(app, frame, area);
    }
}

/// A duration as people read it: `12 ms`, `1.50 s`, `12.3 s`, `2m05s`.
#[must_use]
pub fn duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 10_000 {
        format!("{:.2} s", d.as_secs_f64())
    } else if ms < 60_000 {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

/// A count with thousands separated: `12,345`.
#[must_use]
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 row`, `12,345 rows`.
#[must_use]
pub fn rows(n: u64) -> String {
    if n == 1 {
        String::from("1 row")
    } else {
        format!("{} rows", count(n))
    }
}

/// Block characters for sparklines, lowest first.
const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The last `width` of `values` as a sparkline scaled to their maximum.
#[must_use]
pub fn sparkline(values: &[Duration], width: usize) -> String {
    let tail = &values[values.len().saturating_sub(width)..];
    let max = tail.iter().max().copied().unwrap_or_default().as_secs_f64();
    tail.iter()
        .map(|v| {
            if max <= 0.0 {
                SPARKS[0]
            } else {
                let level = (v.as_secs_f64() / max * 7.0).round() as usize;
                SPARKS[level.min(7)]
            }
        })
        .collect()
}

/// `text` cut to `width` characters, with `…` when cut.
#[must_use]
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// `text` cut or padded to exactly `width` characters; right-aligned when `right`.
#[must_use]
pub fn pad(text: &str, width: usize, right: bool) -> String {
    let cut = fit(text, width);
    let n = cut.chars().count();
    let fill = " ".repeat(width - n);
    if right { fill + &cut } else { cut + &fill }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(Duration::from_millis(12)), "12 ms");
        assert_eq!(duration(Duration::from_millis(1500)), "1.50 s");
        assert_eq!(duration(Duration::from_millis(12_340)), "12.3 s");
        assert_eq!(duration(Duration::from_secs(125)), "2m05s");
    }

    #[test]
    fn counts_group_thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(12_345), "12,345");
        assert_eq!(count(1_000_000), "1,000,000");
    }

    #[test]
    fn sparkline_scales_to_the_maximum() {
        let v: Vec<_> = [10, 80, 40].map(Duration::from_millis).to_vec();
        assert_eq!(sparkline(&v, 8), "▂█▅");
        assert_eq!(sparkline(&v, 2), "█▅");
    }

    #[test]
    fn fit_and_pad_cut_with_an_ellipsis() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(pad("ab", 4, true), "  ab");
        assert_eq!(pad("abcdef", 3, false), "ab…");
    }

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
