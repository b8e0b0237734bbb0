//! Drawing: a pure function of the [`App`]. One module per screen region; where each goes is
//! [`layout`]'s to say (the app uses it too, for page sizes).

mod details;
mod distribution;
mod footer;
mod header;
mod overlay;
mod results;
mod sources;
mod timeline;

use std::time::Duration;

use ratatui::Frame;

use super::app::{App, View};
pub use super::format::count;
use super::layout::layout;
pub use crate::display::{fit, pad};

/// Draws the whole dashboard.
pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let areas = layout((area.width, area.height), app.index.len(), app.focus);
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
    let distribution = app.view == View::Distribution;
    match (areas.timeline, areas.results) {
        (Some(r), _) if distribution => distribution::render(app, frame, r),
        (Some(r), _) => timeline::render(app, frame, r),
        // Too small for a middle panel: the distribution takes the results' place.
        (None, Some(r)) if distribution => distribution::render(app, frame, r),
        _ => {}
    }
    if let Some(r) = areas
        .results
        .filter(|_| !distribution || areas.timeline.is_some())
    {
        results::render(app, frame, r);
    }
    footer::render(app, frame, areas.footer);
    if app.mode.is_help() {
        overlay::render_help(app, frame, area);
    }
    if app.mode.is_confirming() {
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
}
