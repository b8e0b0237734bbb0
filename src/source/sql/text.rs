//! Text-protocol values to [`Cell`]s, shared by the server kinds.
//!
//! Both servers are asked for rows in their text format (PostgreSQL's simple query protocol,
//! MySQL's `COM_QUERY`), so every type, known to scatter or not, arrives in the server's own
//! canonical spelling. A column's declared type picks the parser; a value the parser does not
//! accept (`infinity` as a date, `0000-00-00` in MySQL) is kept as its text, never lost.
//!
//! Exact decimals (`NUMERIC`, `DECIMAL`) become floats when a float holds them exactly as
//! written (at most [`FLOAT_DIGITS`] significant digits), and stay text otherwise, so a sum of
//! money or a 30-digit identifier is never silently rounded.

use arrow_array::types::Date32Type;
use arrow_cast::parse::{Parser as _, string_to_datetime};
use chrono::Utc;

use crate::value::{BatchBuilder, Cell};

/// Significant digits any decimal can have and still come back unchanged from an `f64`
/// (`DBL_DIG`): decimals with more are kept as text.
pub const FLOAT_DIGITS: usize = 15;

/// How to read one column's text values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `t`/`f` (PostgreSQL) or `0`/`1` (MySQL `BOOLEAN`).
    Bool,
    /// A signed integer; out-of-range values (`BIGINT UNSIGNED`) stay text.
    Int,
    /// A binary float.
    Float,
    /// An exact decimal: float when exact, else text.
    Decimal,
    /// `YYYY-MM-DD`.
    Date,
    /// `YYYY-MM-DD HH:MM:SS[.ffffff]`, a wall-clock time with no zone (PostgreSQL `timestamp`,
    /// MySQL `DATETIME`): kept zoneless.
    Timestamp,
    /// An instant: a timestamp with its UTC offset (`+00`, `+05:30`), or without one from a
    /// session set to UTC (MySQL `TIMESTAMP`).
    TimestampTz,
    /// PostgreSQL `bytea` in hex output (`\x0102`).
    HexBytes,
    /// Raw bytes as sent (MySQL `BIT`, `GEOMETRY`).
    Bytes,
    /// MySQL strings flagged binary: real binary strings, but also text in a `_bin` collation
    /// (sqlx does not expose the column's character set that would tell them apart). A value
    /// that is valid UTF-8 without control characters (tabs and newlines aside) reads as
    /// text, anything else as bytes.
    MaybeBytes,
    /// Anything else, as text (JSON, enums, intervals, arrays, UUIDs...).
    Text,
}

/// A result being read: how to read each column, and the batch being built.
#[derive(Debug)]
pub struct Table {
    /// Each column's kind, in result order.
    pub kinds: Vec<Kind>,
    /// The rows since the last batch was handed on.
    pub builder: BatchBuilder,
}

impl Table {
    /// A table with these columns (name and kind), in this order; every column keeps its
    /// place, repeated names included (the sink renames those, with a warning).
    #[must_use]
    pub fn new<'a>(columns: impl IntoIterator<Item = (&'a str, Kind)>) -> Self {
        let (names, kinds): (Vec<&str>, Vec<Kind>) = columns.into_iter().unzip();
        Self {
            kinds,
            builder: BatchBuilder::with_columns(&names),
        }
    }
}

/// The cell for text `s` of a column of kind `kind`.
#[must_use]
pub fn cell(kind: Kind, s: &str) -> Cell {
    let parsed = match kind {
        Kind::Bool => bool_cell(s),
        Kind::Int => s.parse().ok().map(Cell::Int),
        Kind::Float => s.parse().ok().map(Cell::Float),
        Kind::Decimal => decimal(s),
        Kind::Date => Date32Type::parse(s).map(Cell::Date),
        Kind::Timestamp => micros(s).map(Cell::LocalTimestamp),
        Kind::TimestampTz => micros(s).map(Cell::Timestamp),
        Kind::HexBytes => hex_bytes(s).map(Cell::Bytes),
        Kind::Bytes | Kind::MaybeBytes | Kind::Text => None,
    };
    parsed.unwrap_or_else(|| Cell::Text(s.to_owned()))
}

/// The cell for raw bytes `b` of a column of kind `kind` (MySQL sends bytes, not text).
#[must_use]
pub fn cell_from_bytes(kind: Kind, b: &[u8]) -> Cell {
    if kind == Kind::Bytes {
        return Cell::Bytes(b.to_vec());
    }
    match std::str::from_utf8(b) {
        Ok(s) if kind == Kind::MaybeBytes && s.chars().any(is_binary_char) => {
            Cell::Bytes(b.to_vec())
        }
        Ok(s) => cell(kind, s),
        Err(_) if kind == Kind::MaybeBytes => Cell::Bytes(b.to_vec()),
        Err(_) => Cell::Text(String::from_utf8_lossy(b).into_owned()),
    }
}

/// A character text rarely holds: a control character other than tab, newline, return.
fn is_binary_char(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

fn bool_cell(s: &str) -> Option<Cell> {
    match s {
        "t" | "true" | "1" => Some(Cell::Bool(true)),
        "f" | "false" | "0" => Some(Cell::Bool(false)),
        _ => None,
    }
}

/// A decimal's value as a float when that is exact, else `None` (kept as text).
fn decimal(s: &str) -> Option<Cell> {
    match s {
        "NaN" => return Some(Cell::Float(f64::NAN)),
        "Infinity" => return Some(Cell::Float(f64::INFINITY)),
        "-Infinity" => return Some(Cell::Float(f64::NEG_INFINITY)),
        _ => {}
    }
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let trimmed = if unsigned.contains('.') {
        unsigned.trim_end_matches('0')
    } else {
        unsigned
    };
    let significant = trimmed
        .bytes()
        .filter(u8::is_ascii_digit)
        .skip_while(|&b| b == b'0')
        .count();
    (significant <= FLOAT_DIGITS)
        .then(|| s.parse().ok().map(Cell::Float))
        .flatten()
}

/// Microseconds since the epoch of a timestamp, with or without its offset (`+00`,
/// `-05:30`); without one it is read on the UTC clock (both servers' sessions are set to UTC,
/// and a wall-clock time's micros are counted on its own clock).
fn micros(s: &str) -> Option<i64> {
    string_to_datetime(&Utc, s)
        .ok()
        .map(|t| t.timestamp_micros())
}

/// `\x` followed by hex pairs.
fn hex_bytes(s: &str) -> Option<Vec<u8>> {
    let hex = s.strip_prefix("\\x")?.as_bytes();
    if hex.len() % 2 != 0 {
        return None;
    }
    hex.chunks(2)
        .map(|pair| {
            let digit = |c: u8| (c as char).to_digit(16);
            Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_by_kind_and_unparsable_ones_stay_text() {
        let text = |s: &str| Cell::Text(s.to_owned());
        let cases = [
            (Kind::Bool, "t", Cell::Bool(true)),
            (Kind::Bool, "0", Cell::Bool(false)),
            (Kind::Int, "-42", Cell::Int(-42)),
            (
                Kind::Int,
                "18446744073709551615",
                text("18446744073709551615"),
            ),
            (Kind::Float, "2.5", Cell::Float(2.5)),
            (Kind::Decimal, "19.990000", Cell::Float(19.99)),
            (Kind::Decimal, "-0.001", Cell::Float(-0.001)),
            (
                Kind::Decimal,
                "123456789012345",
                Cell::Float(123_456_789_012_345.0),
            ),
            (
                Kind::Decimal,
                "1234567890.1234567",
                text("1234567890.1234567"),
            ),
            (
                Kind::Decimal,
                "99999999999999999999",
                text("99999999999999999999"),
            ),
            (Kind::Date, "1970-01-02", Cell::Date(1)),
            (Kind::Date, "0000-00-00", text("0000-00-00")),
            (Kind::Date, "infinity", text("infinity")),
            (Kind::Date, "2024-02-30", text("2024-02-30")),
            (Kind::Date, "2024-02-29", Cell::Date(19_782)),
            (Kind::Timestamp, "infinity", text("infinity")),
            (
                Kind::Timestamp,
                "1970-01-01 00:00:00.123456",
                Cell::LocalTimestamp(123_456),
            ),
            (
                Kind::Timestamp,
                "1970-01-01T00:01:00",
                Cell::LocalTimestamp(60_000_000),
            ),
            (
                Kind::TimestampTz,
                "1970-01-01 05:30:00+05:30",
                Cell::Timestamp(0),
            ),
            (
                Kind::Timestamp,
                "1970-01-01 00:00:01.5",
                Cell::LocalTimestamp(1_500_000),
            ),
            (
                Kind::TimestampTz,
                "1970-01-01 01:00:00+01",
                Cell::Timestamp(0),
            ),
            (
                Kind::TimestampTz,
                "1970-01-01 00:00:00.000001+00",
                Cell::Timestamp(1),
            ),
            (Kind::HexBytes, "\\x00ff", Cell::Bytes(vec![0, 255])),
            (Kind::Text, "{\"a\": 1}", text("{\"a\": 1}")),
        ];
        for (kind, s, want) in cases {
            assert_eq!(cell(kind, s), want, "{kind:?} {s}");
        }
        assert!(matches!(cell(Kind::Decimal, "NaN"), Cell::Float(f) if f.is_nan()));
    }

    #[test]
    fn repeated_column_names_keep_their_places() {
        let mut t = Table::new([
            ("count", Kind::Int),
            ("count", Kind::Int),
            ("x", Kind::Text),
        ]);
        t.builder.set(1, Cell::Int(2));
        t.builder.end_row();
        let batch = t.builder.finish();
        let names: Vec<_> = batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names, ["count", "count", "x"]);
        assert_eq!(batch.column(1).null_count(), 0);
    }

    #[test]
    fn bytes_stay_bytes_and_bad_utf8_is_not_lost() {
        assert_eq!(
            cell_from_bytes(Kind::Bytes, &[0, 159]),
            Cell::Bytes(vec![0, 159])
        );
        assert_eq!(cell_from_bytes(Kind::Int, b"7"), Cell::Int(7));
        assert_eq!(
            cell_from_bytes(Kind::MaybeBytes, b"abc"),
            Cell::Text("abc".into())
        );
        assert_eq!(
            cell_from_bytes(Kind::MaybeBytes, &[0, 255]),
            Cell::Bytes(vec![0, 255])
        );
        assert_eq!(
            cell_from_bytes(Kind::Text, &[b'a', 0xff]),
            Cell::Text("a\u{fffd}".into())
        );
    }
}
