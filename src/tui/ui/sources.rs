//! The sources panel: one line per source with its state, kind, latency, rows and message
//! (in watch mode also a latency sparkline and p50/p95 over recent runs), or grouped by tag,
//! one line per tag with its counts by state and percentiles; sorted and filtered as the
//! app's index says.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{count, duration, pad};
use crate::source::State;
use crate::tui::app::{App, SourceView};
use crate::tui::fleet::{PanelRow, SourceSort};
use crate::tui::mode::Focus;
use crate::tui::theme;

/// Width of the sparkline (runs shown).
const SPARK_RUNS: usize = 8;
/// Width of the watch-mode column: sparkline, p50 and p95 (`▁▃█▂ p50 12ms p95 20ms`).
const WATCH_WIDTH: usize = SPARK_RUNS + 20;

/// Draws the panel from its index: the rows from `panel_offset`, the cursor's row
/// highlighted, and a title with the sort, the filters and how many sources they hide.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let t = app.theme;
    let focused = app.focus == Focus::Sources;
    let block = Block::bordered()
        .border_style(t.border(focused))
        .title(title(app));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = usize::from(inner.height);
    if rows == 0 {
        return;
    }
    let name_width = app.name_width();
    let width = usize::from(inner.width);
    let cursor = app.cursor_position();
    let lines: Vec<Line> = app
        .index
        .rows
        .iter()
        .enumerate()
        .skip(app.panel_offset)
        .take(rows)
        .map(|(at, row)| {
            let line = match *row {
                PanelRow::Source(i) => {
                    if app.panel.grouped {
                        let room = width.saturating_sub(2);
                        let mut line = source_line(app, &app.sources[i], name_width, room);
                        line.spans.insert(0, Span::raw("  "));
                        line
                    } else {
                        source_line(app, &app.sources[i], name_width, width)
                    }
                }
                PanelRow::Group(g) => group_line(app, g, width),
            };
            if focused && cursor == Some(at) {
                line.style(t.selected())
            } else {
                line
            }
        })
        .collect();
    if lines.is_empty() {
        let why = Line::from(Span::styled(" no source matches the filter", t.dim()));
        frame.render_widget(Paragraph::new(why), inner);
        return;
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// ` sources · by latency ↓ · failed · "eu" · 981 hidden `.
fn title(app: &App) -> Line<'static> {
    let t = app.theme;
    let p = &app.panel;
    let mut spans = vec![Span::styled(" sources ", t.title())];
    if p.sort != SourceSort::Config || p.reversed {
        let descending = p.sort.starts_descending() != p.reversed;
        let arrow = if descending { "↓" } else { "↑" };
        spans.push(Span::styled(
            format!("· by {} {arrow} ", p.sort.label()),
            t.dim(),
        ));
    }
    if p.grouped {
        spans.push(Span::styled(format!("· {} tags ", app.tags.len()), t.dim()));
    }
    if let Some(state) = p.state.label() {
        spans.push(Span::styled("· ", t.dim()));
        spans.push(Span::styled(format!("{state} "), t.key()));
    }
    if !p.text.is_empty() {
        spans.push(Span::styled("· ", t.dim()));
        spans.push(Span::styled(format!("\"{}\" ", p.text), t.key()));
    }
    if app.index.hidden > 0 {
        let hidden = count(app.index.hidden as u64);
        spans.push(Span::styled(format!("· {hidden} hidden "), t.dim()));
    }
    Line::from(spans)
}

/// Width of a group line's name column.
const TAG_WIDTH: usize = 14;

/// `▸ eu   400  ✓396 ✗3 ◷1   p50 41 ms · p95 180 ms`: a tag, its sources by state (only
/// the states that occur) and their latency percentiles this run.
fn group_line(app: &App, tag: usize, width: usize) -> Line<'static> {
    let t = app.theme;
    let Some(g) = app.index.groups.get(tag) else {
        return Line::from("");
    };
    let open = if app.panel.expanded.contains(&tag) {
        "▾ "
    } else {
        "▸ "
    };
    let mut spans = vec![
        Span::styled(open, t.key()),
        Span::styled(pad(&app.tags[tag], TAG_WIDTH, false), t.title()),
        Span::raw(pad(&members(g), 7, true)),
        Span::raw("  "),
    ];
    let mut used = 2 + TAG_WIDTH + 7 + 2;
    for (i, state) in State::ALL.iter().enumerate() {
        let n = g.counts[i];
        if n == 0 {
            continue;
        }
        let text = format!("{}{} ", theme::symbol(*state), count(n as u64));
        used += crate::display::width(&text);
        spans.push(Span::styled(text, t.state(*state)));
    }
    if let (Some(p50), Some(p95)) = (g.p50, g.p95) {
        let text = format!("  p50 {} · p95 {}", duration(p50), duration(p95));
        if used + crate::display::width(&text) <= width {
            spans.push(Span::styled(text, t.number()));
        }
    }
    Line::from(spans)
}

/// A group's size: `500`, or `12/500` when the filters hide some of its members.
fn members(g: &crate::tui::fleet::Group) -> String {
    let all = count(g.members.len() as u64);
    if g.shown.len() == g.members.len() {
        all
    } else {
        format!("{}/{all}", count(g.shown.len() as u64))
    }
}

/// The kind column: the longest kind name (`postgres`, `command`) and a space.
const KIND_WIDTH: usize = 9;

fn source_line<'a>(app: &App, s: &'a SourceView, name_width: usize, width: usize) -> Line<'a> {
    let t = app.theme;
    let state_style = t.state(s.state);
    let mut spans = vec![
        Span::styled(format!("{} ", theme::symbol(s.state)), state_style),
        Span::raw(pad(&s.name, name_width, false)),
        Span::raw(" "),
    ];
    let narrow = width < 50;
    if !narrow {
        spans.push(Span::styled(pad(s.kind, KIND_WIDTH, false), t.dim()));
    }
    spans.push(Span::styled(
        pad(theme::label(s.state), 10, false),
        state_style,
    ));
    if narrow {
        return Line::from(spans);
    }
    let latency = s.latency(app.elapsed()).map(duration).unwrap_or_default();
    spans.push(Span::raw(pad(&latency, 8, true)));
    spans.push(Span::raw(pad(&rows_text(s), 13, true)));
    let used: usize = 2 + name_width + 1 + KIND_WIDTH + 10 + 8 + 13;
    let mut room = width.saturating_sub(used + 2);
    // A failed source shows why rather than its past latencies (the details have both).
    let has_latencies = !s.ok_latencies().is_empty() && s.message().is_none();
    if app.is_watching && has_latencies && room >= WATCH_WIDTH + 2 {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(
            pad(&watch_text(s), WATCH_WIDTH, false),
            t.number(),
        ));
        room -= WATCH_WIDTH + 2;
    }
    if let Some(message) = s.message() {
        let style = if s.state == State::Error {
            t.error()
        } else {
            t.dim()
        };
        spans.push(Span::raw("  "));
        spans.push(Span::styled(
            super::fit(&message.replace('\n', " "), room),
            style,
        ));
    }
    Line::from(spans)
}

/// `3 rows`, `no rows` for an ok run that returned none, `-` for a failed one.
fn rows_text(s: &SourceView) -> String {
    match s.state {
        State::Ok if s.rows == 0 => String::from("no rows"),
        State::Ok | State::Running => super::rows(s.rows),
        State::Pending | State::Skipped => String::new(),
        _ if s.rows > 0 => super::rows(s.rows),
        _ => String::from("-"),
    }
}

/// The sparkline and p50/p95 over recent `ok` runs: `▁▃█▂ p50 12ms p95 20ms`.
fn watch_text(s: &SourceView) -> String {
    let latencies = s.ok_latencies();
    let spark = super::sparkline(&latencies, SPARK_RUNS);
    let stats = match (s.percentile(50), s.percentile(95)) {
        (Some(p50), Some(p95)) => format!("p50 {} p95 {}", short(p50), short(p95)),
        _ => String::new(),
    };
    format!("{spark:SPARK_RUNS$} {stats}")
}

/// A duration in at most 5 characters: `12ms`, `1.5s`, `12s`, `3m`.
fn short(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    match ms {
        0..1000 => format!("{ms}ms"),
        1000..10_000 => format!("{:.1}s", d.as_secs_f64()),
        10_000..600_000 => format!("{}s", d.as_secs()),
        _ => format!("{}m", d.as_secs() / 60),
    }
}
