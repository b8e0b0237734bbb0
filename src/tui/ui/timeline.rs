//! The waterfall: per source, waiting for a slot (░), running before its first row (▒) and
//! streaming (█), on one time axis scaled to the run and shared by all sources, with each
//! source's timeout (┆) and the gather's deadline (│) marked where they fall on it (named in
//! the title as off scale otherwise), and where a retry (`r`) or a hedge (`h`) of the run went
//! out (`R`, `H`: the one that won); below the bars, how many sources ran at each moment.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{duration, pad};
use crate::display;
use crate::source::AttemptKind;
use crate::tui::app::{App, SourceView};
use crate::tui::fleet::{PanelRow, stats};
use crate::tui::theme::Theme;

/// Draws the waterfall of the current run: the rows of the sources panel (same order,
/// filter and scroll), the concurrency strip, and the axis.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let t = app.theme;
    let axis = stats::axis(app.elapsed());
    let deadline = app.settings().deadline;
    let block = Block::bordered()
        .border_style(t.border(false))
        .title(title(app, axis, deadline));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 {
        return;
    }
    let name_width = app.name_width();
    let bar_width = usize::from(inner.width).saturating_sub(name_width + 3);
    let rows = usize::from(inner.height.saturating_sub(2));
    let scale = Scale {
        axis,
        width: bar_width,
    };
    let mut lines: Vec<Line> = app
        .index
        .rows
        .iter()
        .skip(app.panel_offset)
        .take(rows)
        .map(|row| match *row {
            PanelRow::Source(i) => {
                let s = &app.sources[i];
                let mut spans = vec![Span::raw(format!(" {} ", pad(&s.name, name_width, false)))];
                spans.extend(bar(app, s, &scale, deadline, t));
                Line::from(spans)
            }
            PanelRow::Group(g) => Line::from(Span::styled(
                format!(" {}", pad(&app.tags[g], name_width + 2, false)),
                t.title(),
            )),
        })
        .collect();
    lines.resize(rows, Line::from(""));
    if inner.height >= 2 {
        lines.push(strip_line(app, &scale, name_width, t));
    }
    lines.push(axis_line(&scale, name_width, t));
    frame.render_widget(Paragraph::new(lines), inner);
}

/// ` timeline 0 ─── 1.20 s │ deadline 1 s ┆ timeout · timeout 30 s off scale `: the axis, and
/// each limit either marked on it or named as off scale.
fn title(app: &App, axis: Duration, deadline: Option<Duration>) -> Line<'static> {
    let t = app.theme;
    let mut title = vec![
        Span::styled(" timeline ", t.title()),
        Span::styled(format!("0 ─── {} ", duration(axis)), t.dim()),
    ];
    match deadline {
        Some(d) if d <= axis => title.push(Span::styled(
            format!("│ deadline {} ", duration(d)),
            t.limit(),
        )),
        Some(d) => title.push(Span::styled(
            format!("· deadline {} off scale ", duration(d)),
            t.dim(),
        )),
        None => {}
    }
    let limit = match app.settings().concurrency {
        0 => String::from("unlimited"),
        n => format!("limit {n}"),
    };
    title.push(Span::styled(
        format!("· ≡ at once: {limit}, peak {} ", app.stats.strip.peak),
        t.dim(),
    ));
    match app.shortest_timeout {
        Some(timeout) if timeout <= axis => title.push(Span::styled("┆ timeout ", t.limit())),
        Some(timeout) => title.push(Span::styled(
            format!("· timeout {} off scale ", duration(timeout)),
            t.dim(),
        )),
        None => {}
    }
    Line::from(title)
}

/// The concurrency strip: how many sources ran at each moment, as bars against the limit
/// (against the peak when unlimited).
fn strip_line(app: &App, scale: &Scale, name_width: usize, t: Theme) -> Line<'static> {
    let strip = &app.stats.strip;
    let limit = app.settings().concurrency;
    let top = if limit == 0 {
        strip.peak.max(1)
    } else {
        limit as u32
    };
    let running = app.counts()[1].1 as u32;
    let mut text = String::with_capacity(scale.width * 3);
    for c in 0..scale.width {
        let from = scale.time(c);
        let to = scale.time(c + 1);
        let n = strip
            .most(from, to)
            .unwrap_or(if from <= app.elapsed() { running } else { 0 });
        text.push(level(n, top));
    }
    let label = if name_width >= 7 { "at once" } else { "≡" };
    Line::from(vec![
        Span::styled(format!(" {} ", pad(label, name_width + 1, false)), t.dim()),
        Span::styled(text, t.number()),
    ])
}

/// A bar's block for `n` of `top`: blank for none, `█` for the limit.
fn level(n: u32, top: u32) -> char {
    const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if n == 0 {
        return ' ';
    }
    let i = (f64::from(n) / f64::from(top) * 8.0).ceil() as usize;
    LEVELS[i.clamp(1, 8) - 1]
}

/// Maps times to columns of the bar area.
struct Scale {
    axis: Duration,
    width: usize,
}

impl Scale {
    /// The time at the left edge of column `c`.
    fn time(&self, c: usize) -> Duration {
        if self.width == 0 {
            return Duration::ZERO;
        }
        self.axis.mul_f64(c as f64 / self.width as f64)
    }

    /// The column a time falls in (may be past the end).
    fn column(&self, at: Duration) -> usize {
        if self.axis.is_zero() {
            return 0;
        }
        (at.as_secs_f64() / self.axis.as_secs_f64() * self.width as f64) as usize
    }
}

/// One source's bar, with its timeout and the deadline marked where nothing is drawn.
fn bar<'a>(
    app: &App,
    s: &SourceView,
    scale: &Scale,
    deadline: Option<Duration>,
    t: Theme,
) -> Vec<Span<'a>> {
    let mut cells = vec![' '; scale.width];
    let now = app.elapsed();
    let end = s.finished.unwrap_or(now);
    let is_skipped = s.state == crate::source::State::Skipped;
    if let Some(queued) = s.queued.filter(|_| app.generation > 0 && !is_skipped) {
        let started = s.started.unwrap_or(end);
        fill(&mut cells, scale, queued, started, '░');
        if let Some(started) = s.started {
            let first = s.first_row.unwrap_or(end);
            fill(&mut cells, scale, started, first.min(end), '▒');
            if s.first_row.is_some() {
                fill(&mut cells, scale, first, end, '█');
            }
            mark(&mut cells, scale, started + s.timeout, '┆');
        }
        attempt_marks(&mut cells, scale, s);
    }
    if let Some(d) = deadline {
        mark(&mut cells, scale, d, '│');
    }
    let styles = [t.state(s.state), t.limit(), t.notice()];
    let class = |c: char| match c {
        '┆' | '│' => 1,
        'r' | 'h' | 'R' | 'H' => 2,
        _ => 0,
    };
    let mut spans = Vec::new();
    let mut run = String::new();
    let mut run_class = 0;
    for c in cells {
        if class(c) != run_class && !run.is_empty() {
            spans.push(Span::styled(std::mem::take(&mut run), styles[run_class]));
        }
        run_class = class(c);
        run.push(c);
    }
    if !run.is_empty() {
        spans.push(Span::styled(run, styles[run_class]));
    }
    spans
}

/// Where a retry started on a source's bar.
const RETRY: char = 'r';
/// Where a hedge went out on a source's bar.
const HEDGE: char = 'h';

/// Marks where each retry and hedge of the source's run started, over its bar; a hedge that
/// won is marked in capitals (`H`), as is a retry that did (`R`).
fn attempt_marks(cells: &mut [char], scale: &Scale, s: &SourceView) {
    let winner = s
        .attempts
        .iter()
        .position(|a| a.outcome == crate::source::Outcome::Ok);
    for (i, a) in s.attempts.iter().enumerate() {
        let c = match a.kind {
            AttemptKind::First => continue,
            AttemptKind::Retry if winner == Some(i) => RETRY.to_ascii_uppercase(),
            AttemptKind::Retry => RETRY,
            AttemptKind::Hedge if winner == Some(i) => HEDGE.to_ascii_uppercase(),
            AttemptKind::Hedge => HEDGE,
        };
        if let Some(cell) = cells.get_mut(scale.column(a.start)) {
            *cell = c;
        }
    }
}

/// Fills the columns from `from` to `to` with `c`; at least one column when `to > from`.
fn fill(cells: &mut [char], scale: &Scale, from: Duration, to: Duration, c: char) {
    if to < from || cells.is_empty() {
        return;
    }
    let a = scale.column(from).min(cells.len() - 1);
    let b = scale.column(to).min(cells.len()).max(a + 1);
    for cell in &mut cells[a..b] {
        *cell = c;
    }
}

/// Puts a limit mark at `at` if that column is empty and on the axis.
fn mark(cells: &mut [char], scale: &Scale, at: Duration, c: char) {
    let x = scale.column(at);
    if let Some(cell) = cells.get_mut(x)
        && *cell == ' '
    {
        *cell = c;
    }
}

/// Tick labels under the bars: 0, the middle and the end of the axis.
fn axis_line<'a>(scale: &Scale, name_width: usize, t: Theme) -> Line<'a> {
    let w = scale.width;
    let (mid, end) = (duration(scale.axis / 2), duration(scale.axis));
    let mut labels = vec![(0, "0")];
    if w >= 30 {
        labels.push((w / 2 - 2, &mid));
    }
    labels.push((w, &end));
    Line::from(vec![
        Span::raw(" ".repeat(name_width + 3)),
        Span::styled(display::place(w, &labels), t.dim()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_ends_on_a_round_number() {
        assert_eq!(
            stats::nice(Duration::from_millis(3150)),
            Duration::from_secs(4)
        );
        assert_eq!(
            stats::nice(Duration::from_millis(105)),
            Duration::from_millis(120)
        );
        assert_eq!(
            stats::axis(Duration::from_millis(140)),
            Duration::from_millis(150)
        );
        assert_eq!(
            stats::axis(Duration::from_millis(5)),
            Duration::from_millis(120)
        );
    }

    #[test]
    fn strip_levels_against_the_limit() {
        assert_eq!(level(0, 8), ' ');
        assert_eq!(level(1, 64), '▁');
        assert_eq!(level(64, 64), '█');
        assert_eq!(level(32, 64), '▄');
    }
}
