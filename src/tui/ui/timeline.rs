//! The waterfall: per source, waiting for a slot (░), running before its first row (▒) and
//! streaming (█), on one time axis shared by all sources, with each source's timeout (┆) and
//! the gather's deadline (│) marked.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{duration, pad};
use crate::tui::app::{App, SourceView};
use crate::tui::theme::Theme;

/// Shortest axis, so a gather of a few milliseconds does not fill the width with one cell.
const MIN_AXIS: Duration = Duration::from_millis(100);

/// Draws the waterfall of the current run.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let t = app.theme;
    let axis = axis(app);
    let deadline = app.settings().deadline;
    let mut title = vec![
        Span::styled(" timeline ", t.title()),
        Span::styled(format!("0 ─── {} ", duration(axis)), t.dim()),
    ];
    match deadline {
        Some(d) if d <= axis => {
            title.push(Span::styled(
                format!("│ deadline {} ", duration(d)),
                t.limit(),
            ));
        }
        Some(d) => title.push(Span::styled(
            format!("deadline {} (off scale) ", duration(d)),
            t.dim(),
        )),
        None => {}
    }
    title.push(Span::styled("┆ timeout ", t.limit()));
    let block = Block::bordered()
        .border_style(t.border(false))
        .title(Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 {
        return;
    }
    let name_width = app.name_width();
    let bar_width = usize::from(inner.width).saturating_sub(name_width + 3);
    let rows = usize::from(inner.height - 1);
    let first = app.selected.saturating_sub(rows.saturating_sub(1));
    let scale = Scale {
        axis,
        width: bar_width,
    };
    let mut lines: Vec<Line> = app
        .sources
        .iter()
        .skip(first)
        .take(rows)
        .map(|s| {
            let mut spans = vec![Span::raw(format!(" {} ", pad(&s.name, name_width, false)))];
            spans.extend(bar(app, s, &scale, deadline, t));
            Line::from(spans)
        })
        .collect();
    lines.push(axis_line(&scale, name_width, t));
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Maps times to columns of the bar area.
struct Scale {
    axis: Duration,
    width: usize,
}

impl Scale {
    /// The column a time falls in (may be past the end).
    fn column(&self, at: Duration) -> usize {
        if self.axis.is_zero() {
            return 0;
        }
        (at.as_secs_f64() / self.axis.as_secs_f64() * self.width as f64) as usize
    }
}

/// The axis: long enough for the run so far and every source's timeout; stretched to the
/// deadline when that is at most twice as far (further away, it would squash every bar).
fn axis(app: &App) -> Duration {
    let longest_timeout = app
        .sources
        .iter()
        .map(|s| s.timeout)
        .max()
        .unwrap_or_default();
    let mut axis = app.elapsed().max(longest_timeout).max(MIN_AXIS);
    if let Some(d) = app.settings().deadline
        && d <= axis * 2
    {
        axis = axis.max(d);
    }
    nice(axis + axis / 20)
}

/// The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10ⁿ milliseconds that is at least `d`, so the axis ends
/// on a round number and limits exactly at the end stay visible.
fn nice(d: Duration) -> Duration {
    let ms = d.as_secs_f64() * 1000.0;
    let mut base = 1.0;
    loop {
        for step in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0] {
            if step * base >= ms {
                return Duration::from_secs_f64(step * base / 1000.0);
            }
        }
        base *= 10.0;
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
    }
    if let Some(d) = deadline {
        mark(&mut cells, scale, d, '│');
    }
    let style = t.state(s.state);
    let limit = t.limit();
    let mut spans = Vec::new();
    let mut run = String::new();
    let mut run_is_mark = false;
    for c in cells {
        let is_mark = c == '┆' || c == '│';
        if is_mark != run_is_mark && !run.is_empty() {
            let text = std::mem::take(&mut run);
            spans.push(Span::styled(text, if run_is_mark { limit } else { style }));
        }
        run_is_mark = is_mark;
        run.push(c);
    }
    if !run.is_empty() {
        spans.push(Span::styled(run, if run_is_mark { limit } else { style }));
    }
    spans
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
    let mut text = vec![' '; w];
    let mut put = |x: usize, label: &str| {
        let n = label.chars().count();
        let x = x.min(w.saturating_sub(n));
        for (i, ch) in label.chars().enumerate() {
            if let Some(c) = text.get_mut(x + i) {
                *c = ch;
            }
        }
    };
    put(0, "0");
    if w >= 30 {
        put(w / 2 - 2, &duration(scale.axis / 2));
    }
    put(w, &duration(scale.axis));
    let text: String = text.into_iter().collect();
    Line::from(vec![
        Span::raw(" ".repeat(name_width + 3)),
        Span::styled(text, t.dim()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_ends_on_a_round_number() {
        assert_eq!(nice(Duration::from_millis(3150)), Duration::from_secs(4));
        assert_eq!(nice(Duration::from_millis(105)), Duration::from_millis(120));
        assert_eq!(nice(Duration::from_millis(5250)), Duration::from_secs(6));
        assert_eq!(nice(Duration::from_millis(10_500)), Duration::from_secs(12));
    }
}
