//! CSV through arrow-csv: the types inferred from a sample (see [`super::read_inferred`]),
//! fields spelled as one of the source's `nulls` read as null, and timestamps that carry a
//! zone keep it.

use std::io::Cursor;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use arrow_schema::{ArrowError, DataType, Field, Schema};
use regex::Regex;

use super::{BATCH_ROWS, INFER_ROWS, SourceError, read_inferred};

/// The zone of a timestamp column whose values carry different offsets: each value keeps
/// its instant, shown in UTC.
const UTC: &str = "+00:00";

/// The CSV fields that read as null (a source's `nulls`), as the pattern arrow-csv matches
/// each field against. Cheap to clone (the compiled pattern is shared).
#[derive(Debug, Clone, Default)]
pub struct Nulls(Option<Regex>);

impl Nulls {
    /// Fields equal to one of `spellings` read as null, and no other; `[""]` (the default)
    /// is only the empty field, and `[]` none at all (an empty text field stays empty text).
    #[must_use]
    pub fn new(spellings: &[String]) -> Self {
        if spellings == [""] {
            // arrow-csv's own default.
            return Self(None);
        }
        let pattern = if spellings.is_empty() {
            // Matches nothing: an end of text followed by a character.
            r"\z.".to_owned()
        } else {
            let alternatives: Vec<String> = spellings.iter().map(|s| regex::escape(s)).collect();
            format!("^(?:{})$", alternatives.join("|"))
        };
        Self(Some(
            Regex::new(&pattern).expect("escaped literals always form a valid pattern"),
        ))
    }

    /// The CSV format with this null pattern.
    fn apply(&self, format: arrow_csv::reader::Format) -> arrow_csv::reader::Format {
        match &self.0 {
            Some(r) => format.with_null_regex(r.clone()),
            None => format,
        }
    }
}

/// Parses CSV `bytes` (the header names the columns, `nulls` says which fields are null).
pub fn parse(
    bytes: &[u8],
    nulls: &Nulls,
    mut each: impl FnMut(RecordBatch) -> bool,
) -> Result<(), SourceError> {
    let format = nulls.apply(arrow_csv::reader::Format::default().with_header(true));
    read_inferred(
        |limit| {
            let (schema, rows) = format.infer_schema(Cursor::new(bytes), limit)?;
            Ok((with_zones(bytes, &format, schema)?, rows))
        },
        |schema, each| read_csv(bytes, &format, schema, each),
        &mut each,
    )
    .map_err(|e| SourceError::Parse(format!("CSV: {e}")))
}

fn read_csv(
    bytes: &[u8],
    format: &arrow_csv::reader::Format,
    schema: Schema,
    each: &mut dyn FnMut(RecordBatch) -> bool,
) -> Result<(), ArrowError> {
    let reader = arrow_csv::ReaderBuilder::new(Arc::new(schema))
        .with_format(format.clone())
        .with_batch_size(BATCH_ROWS)
        .build(Cursor::new(bytes))?;
    for batch in reader {
        if !each(batch?) {
            break;
        }
    }
    Ok(())
}

/// `schema` with a zone on each timestamp column whose sampled values carry one, so they
/// print with it: arrow-csv infers every timestamp as zoneless, which reads
/// `10:00:00+02:00` as `08:00:00` and prints it with no zone at all.
///
/// The first [`INFER_ROWS`] values of those columns are read again as text: a column whose
/// values all carry the same offset keeps that offset (`Z` stays `Z`, `+02:00` stays
/// `+02:00`); one whose values carry different offsets is shown in UTC, every instant kept;
/// one with no zone in the sample stays zoneless (wall-clock times). A value without a zone in
/// a zoned column is read as in the column's zone.
fn with_zones(
    bytes: &[u8],
    format: &arrow_csv::reader::Format,
    schema: Schema,
) -> Result<Schema, ArrowError> {
    let zoneless: Vec<usize> = (0..schema.fields().len())
        .filter(|&i| matches!(schema.field(i).data_type(), DataType::Timestamp(_, None)))
        .collect();
    if zoneless.is_empty() {
        return Ok(schema);
    }
    let as_text = Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| Field::new(f.name(), DataType::Utf8, true))
            .collect::<Vec<_>>(),
    );
    let sample = arrow_csv::ReaderBuilder::new(Arc::new(as_text))
        .with_format(format.clone())
        .with_batch_size(INFER_ROWS)
        .with_projection(zoneless.clone())
        .build(Cursor::new(bytes))?
        .next()
        .transpose()?;
    let Some(sample) = sample else {
        return Ok(schema);
    };
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    for (column, &i) in zoneless.iter().enumerate() {
        let values = sample.column(column).as_string::<i32>().iter().flatten();
        if let (Some(zone), DataType::Timestamp(unit, None)) =
            (column_zone(values), fields[i].data_type())
        {
            let typed = DataType::Timestamp(*unit, Some(zone.into()));
            fields[i] = fields[i].clone().with_data_type(typed);
        }
    }
    Ok(Schema::new(fields))
}

/// The zone a timestamp column's `values` are shown in (see [`with_zones`]): `None` when
/// none carries a zone.
fn column_zone<'a>(values: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut zones = values.filter_map(zone_of);
    let first = zones.next()?;
    Some(if zones.all(|z| z == first) {
        first
    } else {
        UTC.to_owned()
    })
}

/// The zone written after timestamp text `s` (`YYYY-MM-DD?HH:MM:SS[.fff]`, as arrow-csv
/// infers it), as an offset arrow and chrono read (`+02:00`); `None` when it has none. A
/// suffix that is not an offset (arrow read it as some zone) counts as UTC.
fn zone_of(s: &str) -> Option<String> {
    let rest = s.get(19..)?;
    let rest = rest
        .strip_prefix('.')
        .map_or(rest, |f| f.trim_start_matches(|c: char| c.is_ascii_digit()))
        .trim();
    if rest.is_empty() {
        return None;
    }
    if rest.eq_ignore_ascii_case("z") {
        return Some(UTC.to_owned());
    }
    Some(
        rest.parse::<chrono::FixedOffset>()
            .map_or_else(|_| UTC.to_owned(), |o| o.to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_read_from_the_text_after_the_time() {
        let cases = [
            ("2013-01-01T10:00:00", None),
            ("2013-01-01 10:00:00.123456", None),
            ("2013-01-01T10:00:00Z", Some("+00:00")),
            ("2013-01-01T10:00:00.5z", Some("+00:00")),
            ("2013-01-01T10:00:00+02:00", Some("+02:00")),
            ("2013-01-01 10:00:00.25 -05:30", Some("-05:30")),
            ("2013-01-01T10:00:00+0100", Some("+01:00")),
        ];
        for (text, want) in cases {
            assert_eq!(zone_of(text).as_deref(), want, "{text}");
        }
        let zone = |values: &[&str]| column_zone(values.iter().copied());
        assert_eq!(zone(&["2013-01-01 10:00:00", "2013-01-02 10:00:00"]), None);
        assert_eq!(
            zone(&["2013-01-01T10:00:00+02:00", "2013-06-01T10:00:00+02:00"]).as_deref(),
            Some("+02:00")
        );
        assert_eq!(
            zone(&["2013-01-01T10:00:00+01:00", "2013-06-01T10:00:00+02:00"]).as_deref(),
            Some(UTC)
        );
    }
}
