//! Text laid out in terminal columns: the display width of a string, and cutting or padding it
//! to a width, for every place that lines text up in columns (the `table` output, the stderr
//! summary, the dashboard's panels and table).
//!
//! Widths are what a terminal gives each grapheme (unicode-width, as ratatui measures them):
//! CJK characters and most emoji take two columns, combining marks none. Cuts fall between
//! graphemes (unicode-truncate), so an accent or a joined emoji is never split. Control
//! characters are shown as their visible pictures (`␊` for a newline, `␉` for a tab), one
//! column each, so a value holding one can neither break a line nor hide.

use std::borrow::Cow;

use unicode_truncate::UnicodeTruncateStr;
use unicode_width::UnicodeWidthStr;

/// The marker at the end of cut text.
const ELLIPSIS: char = '…';

/// `text` with each control character replaced by its picture (U+2400 block; DEL as `␡`).
#[must_use]
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.contains(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| match u32::from(c) {
                n @ 0..0x20 => char::from_u32(0x2400 + n).unwrap_or('�'),
                0x7f => '␡',
                _ if c.is_control() => '�',
                _ => c,
            })
            .collect(),
    )
}

/// The columns `text` takes on a terminal, shown as [`printable`] shows it.
#[must_use]
pub fn width(text: &str) -> usize {
    printable(text).width()
}

/// `text` cut to at most `columns` columns, ending in `…` when cut.
#[must_use]
pub fn fit(text: &str, columns: usize) -> String {
    let text = printable(text);
    if text.width() <= columns {
        return text.into_owned();
    }
    if columns == 0 {
        return String::new();
    }
    let (kept, _) = text.unicode_truncate(columns - 1);
    let mut out = String::with_capacity(kept.len() + ELLIPSIS.len_utf8());
    out.push_str(kept);
    out.push(ELLIPSIS);
    out
}

/// `text` cut or padded with spaces to exactly `columns` columns; right-aligned when `right`.
/// A two-column character that would straddle the edge is left out and the gap padded.
#[must_use]
pub fn pad(text: &str, columns: usize, right: bool) -> String {
    let cut = fit(text, columns);
    let fill = " ".repeat(columns.saturating_sub(cut.width()));
    if right { fill + &cut } else { cut + &fill }
}

/// `text` on one line: its lines joined by one space, each trimmed, empty ones left out. For a
/// message shown on a single line (the footer), where a line break would be lost and the words
/// on either side of it run together.
#[must_use]
pub fn one_line(text: String) -> String {
    if !text.contains(['\n', '\r']) {
        return text;
    }
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A line of exactly `columns` columns of spaces with each `(column, label)` written at its
/// column, moved left when it would run past the end; a later label overwrites an earlier
/// one where they meet. For axis tick labels (`0`, the middle, the end).
#[must_use]
pub fn place(columns: usize, labels: &[(usize, &str)]) -> String {
    // One entry per column: the text shown there, or "" where a wide character to the left
    // continues.
    let mut cells: Vec<String> = vec![" ".to_owned(); columns];
    for &(at, label) in labels {
        let label = printable(label);
        let mut x = at.min(columns.saturating_sub(label.width()));
        for ch in label.chars() {
            let w = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
            if w == 0 || x + w > columns {
                continue;
            }
            for c in x..x + w {
                // Writing over half of a wide character blanks its other half.
                if cells[c].is_empty() && c > 0 {
                    " ".clone_into(&mut cells[c - 1]);
                }
                if cells[c].width() == 2 && c + 1 < columns {
                    " ".clone_into(&mut cells[c + 1]);
                }
            }
            cells[x] = ch.to_string();
            for cell in &mut cells[x + 1..x + w] {
                cell.clear();
            }
            x += w;
        }
    }
    cells.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_on_one_line_keeps_a_space_where_its_lines_broke() {
        assert_eq!(one_line("plain".into()), "plain");
        assert_eq!(
            one_line("No field named nope.\nValid fields are a, b.\r\n\n  x ".into()),
            "No field named nope. Valid fields are a, b. x"
        );
    }

    #[test]
    fn wide_and_zero_width_characters_take_their_columns() {
        let cases = [
            ("abc", 3),
            ("東京", 4),
            ("😀", 2),
            ("e\u{301}", 1),
            ("👩‍💻", 2),
            ("a\nb", 3),
            ("", 0),
        ];
        for (text, want) in cases {
            assert_eq!(width(text), want, "{text:?}");
        }
    }

    #[test]
    fn cuts_fall_between_graphemes_and_pads_fill_to_the_column() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("東京都庁", 5), "東京…");
        assert_eq!(fit("東京都庁", 4), "東…");
        assert_eq!(fit("e\u{301}e\u{301}e\u{301}", 2), "e\u{301}…");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(pad("ab", 4, true), "  ab");
        assert_eq!(pad("abcdef", 3, false), "ab…");
        assert_eq!(pad("東京", 5, false), "東京 ");
        // A wide character that does not fit before the ellipsis leaves a gap, padded.
        assert_eq!(pad("a東京", 3, false), "a… ");
        for text in ["東京都庁", "😀😀😀", "mixed 東 and 😀", "a\tb"] {
            for columns in 0..10 {
                assert_eq!(
                    pad(text, columns, false).width(),
                    columns,
                    "{text:?} {columns}"
                );
            }
        }
    }

    #[test]
    fn labels_are_placed_by_column_within_the_line() {
        assert_eq!(
            place(12, &[(0, "0"), (5, "ab"), (12, "end")]),
            "0    ab  end"
        );
        assert_eq!(place(6, &[(0, "0"), (6, "90 µs")]), "090 µs");
        // A wide label takes its two columns a character; overwriting half of one blanks it.
        assert_eq!(place(8, &[(0, "東京"), (3, "x")]), "東 x    ");
        assert_eq!(place(8, &[(2, "x"), (1, "東")]), " 東     ");
        for labels in [&[(0, "東京都"), (7, "😀😀")][..], &[(3, "a\tb"), (9, "終")]] {
            for columns in 0..12 {
                assert_eq!(
                    place(columns, labels).width(),
                    columns,
                    "{labels:?} {columns}"
                );
            }
        }
    }

    #[test]
    fn control_characters_show_as_pictures() {
        assert_eq!(printable("a\nb\tc\u{7f}"), "a␊b␉c␡");
        assert!(matches!(printable("plain"), Cow::Borrowed(_)));
    }
}
