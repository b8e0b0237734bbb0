//! Pop-ups over the dashboard: the help overlay and the confirmation before a run that may
//! write.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::tui::action::HELP;
use crate::tui::app::App;

/// A `width` × `height` rectangle centred in `area` (shrunk to fit).
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// The key list.
pub fn render_help(app: &App, frame: &mut Frame, area: Rect) {
    let t = app.theme;
    let keys_width = if area.width < 60 { 10 } else { 14 };
    let mut lines: Vec<Line> = HELP
        .iter()
        .map(|(keys, what)| {
            Line::from(vec![
                Span::styled(format!(" {keys:<keys_width$} "), t.key()),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " states: ○ pending ◐ running ✓ ok ✗ error ◷ timed out ⊘ cancelled – skipped",
        t.dim(),
    )));
    lines.push(Line::from(Span::styled(
        " timeline: ░ waiting ▒ running █ rows arriving ┆ timeout │ deadline ≡ at once",
        t.dim(),
    )));
    lines.push(Line::from(Span::styled(
        " results: ● row changed since the previous run",
        t.dim(),
    )));
    let popup = centered(area, 84, lines.len() as u16 + 2);
    let block = Block::bordered()
        .border_style(t.border(true))
        .title(Span::styled(" keys · any key closes ", t.title()));
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

/// "Run with writes allowed on these sources?"
pub fn render_confirm(app: &App, frame: &mut Frame, area: Rect) {
    let t = app.theme;
    let targets: Vec<&str> = app
        .plan()
        .sources
        .iter()
        .filter(|s| s.enabled)
        .map(|s| s.name.as_str())
        .collect();
    let lines = vec![
        Line::from(Span::styled(
            format!(" Writes are allowed. Run on {} sources?", targets.len()),
            t.error(),
        )),
        Line::from(""),
        Line::from(format!(" {}", targets.join(", "))),
        Line::from(""),
        Line::from(format!(" {}", super::fit(&app.query, 200))),
        Line::from(""),
        Line::from(vec![
            Span::styled(" y", t.key()),
            Span::raw(" run   "),
            Span::styled("n", t.key()),
            Span::raw(" don't run"),
        ]),
    ];
    let popup = centered(area, 70, 11);
    let block = Block::bordered()
        .border_style(t.limit())
        .title(Span::styled(" confirm ", t.title()));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        popup,
    );
}
