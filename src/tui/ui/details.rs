//! Details of the selected source: state, the full error, its warnings, the effective query,
//! where it connects (passwords redacted by the source), the timing breakdown and recent runs.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::duration;
use crate::source::{Outcome, SourceError};
use crate::tui::app::{App, SourceView};
use crate::tui::theme::{self, Theme};

/// Recent runs listed (newest first).
const RUNS_LISTED: usize = 5;

/// Draws the details of `app.selected`.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let t = app.theme;
    let Some(s) = app.sources.get(app.selected) else {
        return;
    };
    let block = Block::bordered()
        .border_style(t.border(false))
        .title(Line::from(vec![
            Span::styled(" details ", t.title()),
            Span::raw(format!("{} ", s.name)),
        ]));
    let mut lines = vec![Line::from(vec![
        label("state", t),
        Span::styled(
            format!("{} {}", theme::symbol(s.state), theme::label(s.state)),
            t.state(s.state),
        ),
        Span::styled(format!(" · {} · {}", s.kind, super::rows(s.rows)), t.dim()),
    ])];
    if let Some(message) = s.message() {
        lines.push(Line::from(vec![
            label("why", t),
            Span::styled(message, t.error()),
        ]));
    }
    if let Some(Outcome::Error(e)) = &s.outcome
        && e.is_transient()
    {
        lines.push(Line::from(vec![
            label("retry", t),
            Span::styled(transient(e), t.dim()),
        ]));
    }
    for warning in &s.warnings {
        lines.push(Line::from(vec![
            label("warn", t),
            Span::styled(warning.clone(), t.notice()),
        ]));
    }
    lines.push(Line::from(vec![
        label("query", t),
        Span::raw(s.query.clone()),
    ]));
    lines.push(Line::from(vec![
        label("from", t),
        Span::raw(s.describe.clone()),
    ]));
    lines.push(Line::from(vec![
        label("timing", t),
        Span::raw(timing(app, s)),
    ]));
    lines.extend(attempts(s, t));
    lines.extend(history(s, t));
    let paragraph = Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false });
    frame.render_widget(paragraph, area);
}

/// What trying again could do for a transient failure, with the server's `Retry-After`.
fn transient(e: &SourceError) -> String {
    match e.retry_after() {
        Some(after) => format!("transient; the server asks to wait {}", duration(after)),
        None => "transient: may pass if tried again".to_owned(),
    }
}

fn label(name: &str, t: Theme) -> Span<'static> {
    Span::styled(format!("{name:<7}"), t.title())
}

/// `queued 0 ms · wait 2 ms · first row 5 ms · total 12 ms / timeout 3 s`.
fn timing(app: &App, s: &SourceView) -> String {
    let mut parts = Vec::new();
    if let Some(queued) = s.queued {
        let wait = s.started.map(|st| st.saturating_sub(queued));
        parts.push(format!(
            "slot wait {}",
            wait.map_or_else(|| String::from("…"), duration)
        ));
    }
    if let (Some(started), Some(first)) = (s.started, s.first_row) {
        parts.push(format!(
            "first row +{}",
            duration(first.saturating_sub(started))
        ));
    }
    if let Some(latency) = s.latency(app.elapsed()) {
        parts.push(format!("total {}", duration(latency)));
    }
    parts.push(format!("timeout {}", duration(s.timeout)));
    parts.join(" · ")
}

/// One line per attempt when the run made more than one: `#2 hedge  30 ms → 42 ms  ✓ ok
/// (won)  postgres://u:***@b/db`.
fn attempts(s: &SourceView, t: Theme) -> Vec<Line<'static>> {
    if s.attempts.len() < 2 {
        return Vec::new();
    }
    s.attempts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let state = a.outcome.state();
            let won = if a.outcome == Outcome::Ok {
                " (won)"
            } else {
                ""
            };
            let why = match &a.outcome {
                Outcome::Ok => String::new(),
                other => format!(": {}", other.message().unwrap_or_default()),
            };
            Line::from(vec![
                if i == 0 {
                    label("tries", t)
                } else {
                    Span::raw(format!("{:7}", ""))
                },
                Span::styled(format!("#{} {:<5} ", i + 1, a.kind.as_str()), t.dim()),
                Span::raw(format!("{} → {}  ", duration(a.start), duration(a.end))),
                Span::styled(
                    format!("{} {}{won}{why}", theme::symbol(state), theme::label(state)),
                    t.state(state),
                ),
                Span::styled(format!("  {}", a.target), t.dim()),
            ])
        })
        .collect()
}

/// Recent runs, newest first, with p50/p95 of the `ok` ones.
fn history(s: &SourceView, t: Theme) -> Vec<Line<'static>> {
    if s.history.is_empty() {
        return Vec::new();
    }
    let mut head = vec![label("runs", t)];
    let ok = s.ok_latencies().len();
    if ok == 0 {
        head.push(Span::styled(
            format!("{} recent, none ok", s.history.len()),
            t.dim(),
        ));
    }
    if let (Some(p50), Some(p95)) = (s.percentile(50), s.percentile(95)) {
        head.push(Span::styled(
            format!(
                "{}  p50 {} · p95 {} over {} ok",
                super::sparkline(&s.ok_latencies(), 12),
                duration(p50),
                duration(p95),
                s.ok_latencies().len()
            ),
            t.number(),
        ));
    }
    let mut recent = vec![Span::raw(format!("{:7}", ""))];
    for (i, run) in s.history.iter().rev().take(RUNS_LISTED).enumerate() {
        if i > 0 {
            recent.push(Span::styled(" · ", t.dim()));
        }
        recent.push(Span::styled(format!("#{} ", run.generation), t.dim()));
        recent.push(Span::styled(
            theme::symbol(run.state).to_owned(),
            t.state(run.state),
        ));
        recent.push(Span::raw(format!(" {}", duration(run.latency))));
    }
    vec![Line::from(head), Line::from(recent)]
}
