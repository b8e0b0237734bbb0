//! The latency distribution across sources for the current run: p50, p90, p99 and max, a
//! histogram of the finished sources' latencies, the slowest sources named, and in watch
//! mode the p99 of recent runs. Reads the figures the app keeps ([`crate::tui::fleet::FleetStats`]);
//! the work per frame is one lookup per histogram column.

use std::fmt::Write as _;
use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{count, duration, pad};
use crate::display;
use crate::tui::app::App;
use crate::tui::fleet::stats;
use crate::tui::theme::{self, Theme};

/// Eighths of a cell, for the tops of the histogram's bars.
const EIGHTHS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// Least width of the histogram for the slowest sources to be listed beside it.
const MIN_HISTOGRAM: usize = 40;

/// Draws the view in `area`.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let t = app.theme;
    let block = Block::bordered()
        .border_style(t.border(false))
        .title(Line::from(vec![
            Span::styled(" latency across sources ", t.title()),
            Span::styled("(this run) ", t.dim()),
        ]));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width < 10 {
        return;
    }
    let mut head = vec![figures(app, t)];
    if app.is_watching && app.run_p99.len() > 1 {
        head.push(runs_line(app, t));
    }
    let head_rows = (head.len() as u16).min(inner.height);
    frame.render_widget(
        Paragraph::new(head),
        Rect {
            height: head_rows,
            ..inner
        },
    );
    let body = Rect {
        y: inner.y + head_rows,
        height: inner.height - head_rows,
        ..inner
    };
    if body.height < 3 {
        return;
    }
    let list_width = (app.name_width() + 16).min(usize::from(body.width) / 2) as u16;
    let has_list = usize::from(body.width - list_width) >= MIN_HISTOGRAM;
    let hist_width = if has_list {
        body.width - list_width - 1
    } else {
        body.width
    };
    let histogram = histogram(app, usize::from(hist_width), usize::from(body.height), t);
    frame.render_widget(
        Paragraph::new(histogram),
        Rect {
            width: hist_width,
            ..body
        },
    );
    if has_list {
        let list = Rect {
            x: body.x + hist_width + 1,
            width: list_width,
            ..body
        };
        frame.render_widget(Paragraph::new(slowest(app, list, t)), list);
    }
}

/// `p50 39 ms · p90 120 ms · p99 2.30 s · max 3.00 s   981 finished · 19 still running`.
fn figures(app: &App, t: Theme) -> Line<'static> {
    let s = &app.stats;
    if s.latencies.is_empty() {
        let text = if app.generation == 0 {
            " not run yet"
        } else {
            " no source has finished yet"
        };
        return Line::from(Span::styled(text, t.dim()));
    }
    let mut spans = vec![Span::raw(" ")];
    for (i, (name, value)) in [
        ("p50", s.percentile(50)),
        ("p90", s.percentile(90)),
        ("p99", s.percentile(99)),
        ("max", s.max()),
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            spans.push(Span::styled(" · ", t.dim()));
        }
        spans.push(Span::styled(format!("{name} "), t.dim()));
        spans.push(Span::styled(
            value.map(duration).unwrap_or_default(),
            t.number(),
        ));
    }
    let mut rest = format!("   {} finished", count(s.latencies.len() as u64));
    if s.unfinished > 0 {
        let _ = write!(rest, " · {} not finished", count(s.unfinished as u64));
    }
    spans.push(Span::styled(rest, t.dim()));
    Line::from(spans)
}

/// `p99 across runs ▂▃█▅ 2.10 s` (watch mode).
fn runs_line(app: &App, t: Theme) -> Line<'static> {
    let values: Vec<_> = app.run_p99.iter().copied().collect();
    let last = values.last().copied().map(duration).unwrap_or_default();
    Line::from(vec![
        Span::styled(" p99 across runs ", t.dim()),
        Span::styled(super::sparkline(&values, 20), t.number()),
        Span::styled(format!(" {last} now, over {} runs", values.len()), t.dim()),
    ])
}

/// Vertical bars, one column per bin from 0 to a round number past the slowest, tallest bar
/// the full height; the axis under them.
fn histogram(app: &App, width: usize, height: usize, t: Theme) -> Vec<Line<'static>> {
    let s = &app.stats;
    let bars = height.saturating_sub(1);
    let width = width.saturating_sub(1);
    let Some(max) = s.max() else {
        return Vec::new();
    };
    // Bars two columns wide read better than one-column spikes, where there is room.
    let per_bin = if width >= 60 { 2 } else { 1 };
    let top = histogram_top(max);
    let counts = s.histogram(width / per_bin, top);
    let tallest = counts.iter().copied().max().unwrap_or(0).max(1);
    let eighths: Vec<usize> = counts
        .iter()
        .map(|&n| {
            if n == 0 {
                0
            } else {
                (n * bars * 8).div_ceil(tallest).max(1)
            }
        })
        .collect();
    let mut lines = Vec::with_capacity(height);
    for row in (0..bars).rev() {
        let text: String = eighths
            .iter()
            .flat_map(|&e| {
                let filled = e.saturating_sub(row * 8);
                let c = match filled {
                    0 => ' ',
                    f if f >= 8 => '█',
                    f => EIGHTHS[f - 1],
                };
                std::iter::repeat_n(c, per_bin)
            })
            .collect();
        lines.push(Line::from(vec![
            Span::raw(" "),
            Span::styled(text, t.number()),
        ]));
    }
    lines.push(axis(width, top, t));
    lines
}

/// The histogram's right end: a round number past the slowest source.
fn histogram_top(max: Duration) -> Duration {
    stats::nice(max.max(Duration::from_millis(1)))
}

/// `0 ──── 450 ms ──── 900 ms`.
fn axis(width: usize, top: Duration, t: Theme) -> Line<'static> {
    let end = duration(top);
    let mid = duration(top / 2);
    let mut labels = vec![(0, "0")];
    if width >= 40 {
        labels.push((width / 2 - display::width(&mid) / 2, &mid));
    }
    labels.push((width, &end));
    Line::from(vec![
        Span::raw(" "),
        Span::styled(display::place(width, &labels), t.dim()),
    ])
}

/// `slowest` and one line per slow source: state symbol, name, latency.
fn slowest(app: &App, area: Rect, t: Theme) -> Vec<Line<'static>> {
    let name_width = app.name_width();
    let mut lines = vec![Line::from(Span::styled("slowest", t.title()))];
    let elapsed = app.elapsed();
    for &i in app.stats.slowest.iter().take(usize::from(area.height) - 1) {
        let s = &app.sources[i];
        let latency = s.latency(elapsed).map(duration).unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", theme::symbol(s.state)), t.state(s.state)),
            Span::raw(pad(&s.name, name_width, false)),
            Span::styled(pad(&latency, 9, true), t.number()),
        ]));
    }
    lines
}
