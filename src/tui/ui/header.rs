//! The top two lines: the query and the run, then the sources counted by state.

use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use ratatui::style::{Modifier, Style};

use super::duration;
use crate::source::AttemptKind;
use crate::tui::app::{App, state_rank};
use crate::tui::fleet::StateFilter;
use crate::tui::layout::{self, CountRole};
use crate::tui::theme::Theme;

/// Query on the left; run number, watch state and elapsed time on the right.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let t = app.theme;
    let right = run_status(app);
    let room = usize::from(area.width).saturating_sub(crate::display::width(&right) + 9);
    let query = super::fit(&app.query.replace('\n', " "), room);
    let left = Line::from(vec![Span::styled(" query ", t.title()), Span::raw(query)]);
    frame.render_widget(Paragraph::new(left), area);
    let status = Line::from(Span::styled(right, status_style(app, t))).right_aligned();
    frame.render_widget(Paragraph::new(status), area);
}

fn status_style(app: &App, t: Theme) -> ratatui::style::Style {
    if app.is_paused { t.key() } else { t.dim() }
}

/// `run 3 · watch 5s (next in 2 s) · 2 retries · 1 hedge · 1.23 s` and a `PAUSED` mark.
fn run_status(app: &App) -> String {
    let mut parts = Vec::new();
    if app.is_paused {
        parts.push(String::from("PAUSED"));
    }
    if app.generation > 0 {
        parts.push(format!("run {}", app.generation));
    }
    if app.is_watching {
        let every = app.watch.map(|w| humantime::format_duration(w).to_string());
        let mut s = format!("watch {}", every.unwrap_or_default());
        if let Some(next) = app.next_run {
            let left = next.saturating_duration_since(app.now);
            let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            let _ = write!(s, " (next in {secs} s)");
        }
        parts.push(s);
    }
    if app.allow_writes() {
        parts.push(String::from("WRITES ALLOWED"));
    }
    parts.extend(extra_attempts(app));
    let elapsed = duration(app.elapsed());
    parts.push(if app.is_running {
        format!("{elapsed} …")
    } else {
        elapsed
    });
    format!("{} ", parts.join(" · "))
}

/// `3 retries`, `1 hedge`: the extra attempts of this run's finished sources, each only when
/// there were some.
fn extra_attempts(app: &App) -> Vec<String> {
    let (mut retries, mut hedges) = (0, 0);
    for a in app.sources.iter().flat_map(|s| &s.attempts) {
        match a.kind {
            AttemptKind::First => {}
            AttemptKind::Retry => retries += 1,
            AttemptKind::Hedge => hedges += 1,
        }
    }
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut parts = Vec::new();
    if retries > 0 {
        parts.push(plural(retries, "retry", "retries"));
    }
    if hedges > 0 {
        parts.push(plural(hedges, "hedge", "hedges"));
    }
    parts
}

/// `sources 7   ✓ ok 4 · ◐ running 0 · ...`, compact on narrow terminals; the count the
/// sources panel is filtered by is underlined (a click on a count filters by it).
pub fn render_counts(app: &App, frame: &mut Frame, area: Rect) {
    let t = app.theme;
    let counts = app.counts();
    let only = match app.panel.state {
        StateFilter::Only(s) => Some(s),
        _ => None,
    };
    let spans: Vec<Span> = layout::count_cells(&counts, app.sources.len(), area.width)
        .into_iter()
        .map(|cell| {
            let style = match cell.role {
                CountRole::Label => t.title(),
                CountRole::Total => Style::new(),
                CountRole::Gap => t.dim(),
                CountRole::State(s) => {
                    let n = counts[state_rank(s)].1;
                    let style = if n == 0 { t.dim() } else { t.state(s) };
                    if only == Some(s) {
                        style.add_modifier(Modifier::UNDERLINED)
                    } else {
                        style
                    }
                }
            };
            Span::styled(cell.text, style)
        })
        .collect();
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
