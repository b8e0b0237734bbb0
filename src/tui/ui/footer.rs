//! The bottom line: the line being edited, else a notice, else the main keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::App;
use crate::tui::mode::EditTarget;

/// The keys the footer lists, most useful first (cut at the terminal's width).
const KEYS: &[(&str, &str)] = &[
    ("?", "help"),
    ("q", "quit"),
    ("r", "run"),
    ("esc", "cancel"),
    (":", "query"),
    ("/", "filter"),
    ("s", "sort"),
    ("e", "export"),
    ("w", "watch"),
    ("p", "pause"),
    ("tab", "focus"),
];

/// Draws the footer.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let t = app.theme;
    let line = if let Some(edit) = app.mode.edit() {
        let (prompt, hint) = match edit.target {
            EditTarget::Query => (" : ", "  Enter run · Esc cancel"),
            EditTarget::Filter => (" / ", "  Enter keep · Esc clear"),
        };
        Line::from(vec![
            Span::styled(prompt, t.key()),
            Span::raw(edit.text.clone()),
            Span::styled("▏", t.key()),
            Span::styled(hint, t.dim()),
        ])
    } else if let Some(notice) = &app.notice {
        let style = if notice.is_error {
            t.error()
        } else {
            t.notice()
        };
        Line::from(Span::styled(format!(" {}", notice.text), style))
    } else {
        let mut spans = vec![Span::raw(" ")];
        let mut used = 1;
        for (key, what) in KEYS {
            let n = key.chars().count() + what.len() + 3;
            if used + n > usize::from(area.width) {
                break;
            }
            used += n;
            spans.push(Span::styled(*key, t.key()));
            spans.push(Span::styled(format!(" {what}  "), t.dim()));
        }
        Line::from(spans)
    };
    frame.render_widget(Paragraph::new(line), area);
}
