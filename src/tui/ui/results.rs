//! The results table. Only the rows on screen are formatted: the table's sorted, filtered
//! index gives their row numbers, and column widths come from those rows alone.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::pad;
use crate::source::State;
use crate::tui::app::App;
use crate::tui::mode::Focus;

/// Widest a column gets before its cells are cut with `…`.
const MAX_COLUMN: usize = 40;
/// Space between columns.
const GAP: &str = "  ";

/// Draws the table with its title (rows, sort, filter, changes) and scroll position.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let t = app.theme;
    let focused = app.focus == Focus::Results;
    let mut block = Block::bordered()
        .border_style(t.border(focused))
        .title(title(app));
    if !app.table.is_empty() {
        let position = format!(" {}/{} ", app.scroll.cursor + 1, app.table.len());
        block = block.title_bottom(Line::from(Span::styled(position, t.dim())).right_aligned());
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    if app.table.is_empty() {
        let style = if app.shows_sql && app.sql_error.is_some() {
            t.error()
        } else {
            t.dim()
        };
        let text = Paragraph::new(Line::from(Span::styled(empty_text(app), style)))
            .wrap(ratatui::widgets::Wrap { trim: false });
        frame.render_widget(text, inner);
        return;
    }
    let lines = match table_lines(app, inner) {
        Ok(lines) => lines,
        Err(e) => vec![Line::from(Span::styled(
            format!("cannot show the rows: {e}"),
            t.error(),
        ))],
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

fn title(app: &App) -> Line<'static> {
    let t = app.theme;
    let table = &app.table;
    let name = match (&app.sql, app.shows_sql) {
        (_, true) => " SQL result ",
        (Some(_), false) => " merged rows ",
        (None, false) => " results ",
    };
    let mut spans = vec![
        Span::styled(name, t.title()),
        Span::raw(super::rows(table.merged_rows() as u64)),
    ];
    if app.shows_sql {
        spans.push(Span::styled(format!(" · {}", coverage(app)), t.dim()));
    }
    if table.total > table.merged_rows() {
        spans.push(Span::styled(
            format!(" (limit, {} in all)", table.total),
            t.dim(),
        ));
    }
    let sort = if app.sort.is_empty() {
        String::from("none")
    } else {
        app.sort
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    spans.push(Span::styled(format!(" · sort {sort}"), t.dim()));
    if !app.filter.is_empty() {
        spans.push(Span::styled(" · filter ", t.dim()));
        spans.push(Span::styled(format!("\"{}\"", app.filter), t.key()));
        spans.push(Span::styled(
            format!(" ({} of {})", table.len(), table.merged_rows()),
            t.dim(),
        ));
    }
    if app.changed_rows() > 0 {
        spans.push(Span::styled(
            format!(" · ● {} changed", app.changed_rows()),
            t.changed(),
        ));
    }
    if app.is_table_updating() {
        spans.push(Span::styled(" · updating…", t.dim()));
    }
    if app.sql.is_some() {
        let other = if app.shows_sql {
            "merged rows"
        } else {
            "SQL result"
        };
        spans.push(Span::styled(" · m ", t.key()));
        spans.push(Span::styled(other, t.dim()));
    }
    spans.push(Span::raw(" "));
    Line::from(spans)
}

/// `covers 3 of 4 sources (partial)`: the sources that answered of those that ran, so far.
fn coverage(app: &App) -> String {
    let ran = app
        .sources
        .iter()
        .filter(|s| s.state != State::Skipped)
        .count();
    let ok = app.sources.iter().filter(|s| s.state == State::Ok).count();
    if ok < ran {
        format!("covers {ok} of {ran} sources (partial)")
    } else {
        format!("covers {ok} of {ran} sources")
    }
}

fn empty_text(app: &App) -> String {
    if app.shows_sql
        && let Some(e) = &app.sql_error
    {
        return format!("SQL failed: {}", e.replace('\n', " "));
    }
    if app.table.merged_rows() > 0 {
        return format!("no row matches \"{}\"", app.filter);
    }
    if app.is_running {
        return String::from("waiting for the first source to finish…");
    }
    if app.generation == 0 {
        return String::from("not run yet: press r to run");
    }
    if app.shows_sql && app.other.table.merged_rows() > 0 {
        return String::from("the SQL result has no rows (m shows the merged rows)");
    }
    let ok = app.sources.iter().filter(|s| s.state == State::Ok).count();
    format!(
        "no rows: {ok} of {} sources answered, none returned rows",
        app.sources.len()
    )
}

/// The header and the visible rows, formatted.
fn table_lines(app: &App, inner: Rect) -> Result<Vec<Line<'static>>, arrow_schema::ArrowError> {
    let t = app.theme;
    let names = app.table.columns();
    let first = app.scroll.column.min(names.len().saturating_sub(1));
    let wanted: Vec<usize> = (first..names.len()).collect();
    let data_rows = usize::from(inner.height).saturating_sub(1);
    let rows = app.table.rows(app.scroll.offset, data_rows, &wanted)?;
    let headers: Vec<String> = wanted.iter().map(|&c| header(app, &names[c])).collect();
    let widths = fit_columns(&headers, &rows, usize::from(inner.width).saturating_sub(2));
    let numeric: Vec<bool> = wanted.iter().map(|&c| app.table.is_numeric(c)).collect();
    let mut head = vec![Span::raw("  ")];
    for (i, w) in widths.iter().enumerate() {
        if i > 0 {
            head.push(Span::raw(GAP));
        }
        head.push(Span::styled(pad(&headers[i], *w, numeric[i]), t.header()));
    }
    let mut lines = vec![Line::from(head)];
    for (i, (changed, cells)) in rows.into_iter().enumerate() {
        let mut spans = vec![if changed {
            Span::styled("● ", t.changed())
        } else {
            Span::raw("  ")
        }];
        for (c, w) in widths.iter().enumerate() {
            if c > 0 {
                spans.push(Span::raw(GAP));
            }
            let style = if numeric[c] {
                t.number()
            } else if names[c + first] == crate::merge::SOURCE_COLUMN {
                t.dim()
            } else {
                Style::new()
            };
            spans.push(Span::styled(pad(&cells[c], *w, numeric[c]), style));
        }
        let line = Line::from(spans);
        let is_cursor = app.scroll.offset + i == app.scroll.cursor;
        lines.push(if is_cursor && app.focus == Focus::Results {
            line.style(t.selected())
        } else {
            line
        });
    }
    Ok(lines)
}

/// A column's header with its sort direction.
fn header(app: &App, name: &str) -> String {
    match app.sort.iter().position(|k| k.column == name) {
        Some(i) => {
            let arrow = if app.sort[i].descending { "↓" } else { "↑" };
            if app.sort.len() > 1 {
                format!("{name} {arrow}{}", i + 1)
            } else {
                format!("{name} {arrow}")
            }
        }
        None => name.to_owned(),
    }
}

/// Column widths for the rows shown: as wide as their widest cell (at most [`MAX_COLUMN`]),
/// as many columns as fit in `width`; the last one shown takes what room is left.
fn fit_columns(headers: &[String], rows: &[(bool, Vec<String>)], width: usize) -> Vec<usize> {
    let mut widths = Vec::new();
    let mut used = 0;
    for (c, h) in headers.iter().enumerate() {
        let natural = rows
            .iter()
            .map(|(_, cells)| crate::display::width(&cells[c]))
            .chain([crate::display::width(h)])
            .max()
            .unwrap_or(0)
            .clamp(1, MAX_COLUMN);
        let gap = if c == 0 { 0 } else { GAP.len() };
        let left = width.saturating_sub(used + gap);
        if left == 0 {
            break;
        }
        let w = natural.min(left);
        widths.push(w);
        used += gap + w;
        if w < natural {
            break;
        }
    }
    widths
}
