//! The bottom line: the line being edited, else a notice, else the main keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use unicode_width::UnicodeWidthChar;

use crate::tui::app::App;
use crate::tui::mode::{Edit, EditTarget};

/// The keys the footer lists, most useful first (cut at the terminal's width).
const KEYS: &[(&str, &str)] = &[
    ("?", "help"),
    ("q", "quit"),
    ("r", "run"),
    ("esc", "cancel"),
    (":", "query"),
    ("/", "filter"),
    ("s", "sort"),
    ("o", "order"),
    ("f", "failed"),
    ("v", "view"),
    ("t", "tags"),
    ("e", "export"),
    ("w", "watch"),
    ("p", "pause"),
    ("tab", "focus"),
];

/// Draws the footer.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let t = app.theme;
    if let Some(edit) = app.mode.edit() {
        render_edit(app, edit, frame, area);
        return;
    }
    let line = if let Some(notice) = &app.notice {
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
            let n = crate::display::width(key) + crate::display::width(what) + 3;
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

/// The line being edited: prompt, the part of the text around the cursor that fits, the
/// cursor (a reversed cell, and the terminal's own cursor), and what Enter and Esc do when
/// there is room.
fn render_edit(app: &App, edit: &Edit, frame: &mut Frame, area: Rect) {
    let t = app.theme;
    let (prompt, hint) = match edit.target {
        EditTarget::Query => (" : ", "  Enter run · Tab SQL · Esc cancel · ↑↓ history"),
        EditTarget::Sql => (
            " sql: ",
            "  Enter run · Tab query · empty: none · Esc cancel",
        ),
        EditTarget::Filter => (" / ", "  Enter keep · Esc clear · ↑↓ history"),
        EditTarget::Sources => (" sources / ", "  name or tag · Enter keep · Esc clear"),
    };
    let width = usize::from(area.width).saturating_sub(crate::display::width(prompt));
    let text_width = crate::display::width(edit.text());
    let hint = if text_width + 1 + crate::display::width(hint) <= width {
        hint
    } else {
        ""
    };
    // One column is kept for the cursor after the last character.
    let room = width
        .saturating_sub(crate::display::width(hint))
        .saturating_sub(1);
    let skip = edit.scroll(room);
    let shown = columns(edit.text(), skip, room + 1);
    let line = Line::from(vec![
        Span::styled(prompt, t.key()),
        Span::raw(shown),
        Span::raw(" "),
        Span::styled(hint, t.dim()),
    ]);
    frame.render_widget(Paragraph::new(line), area);
    let column = crate::display::width(prompt) + edit.cursor_column().saturating_sub(skip);
    if column < usize::from(area.width) && area.height > 0 {
        let x = area.x + column as u16;
        frame.buffer_mut()[(x, area.y)].set_style(t.cursor());
        frame.set_cursor_position((x, area.y));
    }
}

/// The characters of `text` from display column `skip`, at most `width` columns of them.
fn columns(text: &str, skip: usize, width: usize) -> String {
    let mut at = 0;
    let mut out = String::new();
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if at >= skip && at + w <= skip + width {
            out.push(c);
        }
        at += w;
    }
    out
}
