//! CSV, JSON-array and NDJSON bytes to record batches, with arrow-csv and arrow-json. Used by
//! the `file` and `command` kinds.
//!
//! CSV fields read as null when they are one of the source's `nulls` spellings ([`Nulls`]),
//! so a numeric column with `NA` gaps stays numeric.

use arrow_array::RecordBatch;
use arrow_schema::{ArrowError, Schema};

use super::{BATCH_ROWS, RowSink, SourceError};
use crate::config::DataFormat;

mod csv;
mod json;

pub use csv::Nulls;
pub use json::json_rows;

/// Parses `bytes` as `format` (CSV fields spelled as `nulls` read as null), calling `each` per
/// batch until it returns `false`.
pub fn parse(
    bytes: &[u8],
    format: DataFormat,
    nulls: &Nulls,
    each: impl FnMut(RecordBatch) -> bool,
) -> Result<(), SourceError> {
    match format {
        DataFormat::Csv => csv::parse(bytes, nulls, each),
        DataFormat::Ndjson => json::parse_ndjson(bytes, each),
        DataFormat::Json => json::parse_array(bytes, each),
        DataFormat::Parquet => Err(SourceError::Parse(
            "Parquet is read from files only (a `file` source)".to_owned(),
        )),
    }
}

/// Rows read to guess the column types of CSV and NDJSON: inferring over every row costs more
/// than parsing them; a later row that contradicts the guess triggers a full inference.
const INFER_ROWS: usize = 1000;

/// Reads under types inferred from the first [`INFER_ROWS`] rows, handing batches to `each`
/// only once those types held for every row; otherwise infers from every row and reads again.
fn read_inferred(
    infer: impl Fn(Option<usize>) -> Result<(Schema, usize), ArrowError>,
    read: impl Fn(Schema, &mut dyn FnMut(RecordBatch) -> bool) -> Result<(), ArrowError>,
    each: &mut dyn FnMut(RecordBatch) -> bool,
) -> Result<(), ArrowError> {
    let (sampled, rows) = infer(Some(INFER_ROWS))?;
    if rows < INFER_ROWS {
        // The sample was everything: its types hold for every row.
        return read(sampled, each);
    }
    let mut batches = Vec::new();
    let fits = read(sampled, &mut |b| {
        batches.push(b);
        true
    });
    if fits.is_ok() {
        for b in batches {
            if !each(b) {
                break;
            }
        }
        return Ok(());
    }
    drop(batches);
    let (full, _) = infer(None)?;
    read(full, each)
}

/// The array of row objects at JSON `pointer` in `doc` (empty pointer: `doc` itself).
pub fn rows_of<'d>(
    doc: &'d serde_json::Value,
    pointer: &str,
) -> Result<&'d [serde_json::Value], SourceError> {
    let at = doc
        .pointer(pointer)
        .ok_or_else(|| SourceError::Parse(format!("JSON: nothing at pointer \"{pointer}\"")))?;
    let rows = at.as_array().ok_or_else(|| {
        let what = if pointer.is_empty() {
            "the document"
        } else {
            pointer
        };
        SourceError::Parse(format!(
            "JSON: expected an array of objects at {what}, found {}",
            json_kind(at)
        ))
    })?;
    if let Some((i, v)) = rows.iter().enumerate().find(|(_, v)| !v.is_object()) {
        return Err(SourceError::Parse(format!(
            "JSON: element {i} is {}, expected an object",
            json_kind(v)
        )));
    }
    Ok(rows)
}

/// What kind of JSON value `v` is, as a message says it ("a number", "an array").
pub(crate) fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Parses `bytes` on a blocking thread and pushes the batches into `sink` as they come; the
/// parser stops early when the sink refuses a batch (row cap) or this future is dropped.
pub async fn push_parsed(
    bytes: Vec<u8>,
    format: DataFormat,
    nulls: &Nulls,
    sink: &mut RowSink,
) -> Result<(), SourceError> {
    let nulls = nulls.clone();
    super::sink::push_blocking(sink, "parser", move |each| {
        parse(&bytes, format, &nulls, each)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(bytes: &str, format: DataFormat) -> Result<usize, SourceError> {
        let mut n = 0;
        parse(bytes.as_bytes(), format, &Nulls::default(), |b| {
            n += b.num_rows();
            true
        })?;
        Ok(n)
    }

    /// Why `bytes` do not parse as `format`, as the source's error says it.
    fn why(bytes: &str, format: DataFormat) -> String {
        rows(bytes, format).unwrap_err().to_string()
    }

    #[test]
    fn formats_parse() {
        assert_eq!(rows("a,b\n1,x\n2,y\n", DataFormat::Csv).unwrap(), 2);
        assert_eq!(
            rows("[{\"a\":1},{\"a\":2.5,\"b\":\"x\"}]", DataFormat::Json).unwrap(),
            2
        );
        assert_eq!(
            rows("{\"a\":1}\n{\"a\":\"x\"}\n", DataFormat::Ndjson).unwrap(),
            2
        );
    }

    /// The `n` column's type and null count, and `s`'s values, of `text` read with `nulls`.
    fn read_with(
        text: &str,
        nulls: &[&str],
    ) -> (arrow_schema::DataType, usize, Vec<Option<String>>) {
        let nulls: Vec<String> = nulls.iter().map(|&s| s.to_owned()).collect();
        let mut batches = Vec::new();
        parse(text.as_bytes(), DataFormat::Csv, &Nulls::new(&nulls), |b| {
            batches.push(b);
            true
        })
        .unwrap();
        let b = &batches[0];
        let s = arrow_cast::cast(b.column(1), &arrow_schema::DataType::Utf8).unwrap();
        let s = s
            .as_any()
            .downcast_ref::<arrow_array::StringArray>()
            .unwrap();
        (
            b.column(0).data_type().clone(),
            b.column(0).null_count(),
            s.iter().map(|v| v.map(str::to_owned)).collect(),
        )
    }

    #[test]
    fn null_spellings_keep_a_numeric_column_numeric() {
        use arrow_schema::DataType::{Int64, Utf8};
        let text = "n,s\n1,a\nNA,\n\\N,NA\n,x\n";
        let some = |s: &str| Some(s.to_owned());
        // Default: only the empty field is null, so NA and \N make `n` text.
        assert_eq!(
            read_with(text, &[""]),
            (Utf8, 1, vec![some("a"), None, some("NA"), some("x")])
        );
        assert_eq!(
            read_with(text, &["NA", "\\N", ""]),
            (Int64, 3, vec![some("a"), None, None, some("x")])
        );
        // Regex characters are literals: "." is not "any character".
        assert_eq!(
            read_with("n,s\n1,.\n2,a\n", &["."]).2,
            vec![None, some("a")]
        );
        // No spelling at all: the empty text field stays empty text.
        assert_eq!(read_with("n,s\n1,\n", &[]).2, vec![some("")]);
    }

    #[test]
    fn a_late_row_that_contradicts_the_sampled_types_is_kept() {
        use std::fmt::Write as _;
        let mut text = String::from("n,s\n");
        for i in 0..INFER_ROWS + 10 {
            let _ = writeln!(text, "{i},x");
        }
        text.push_str("not a number,y\n");
        let mut values = Vec::new();
        parse(text.as_bytes(), DataFormat::Csv, &Nulls::default(), |b| {
            let col = arrow_cast::cast(b.column(0), &arrow_schema::DataType::Utf8).unwrap();
            values.extend(
                col.as_any()
                    .downcast_ref::<arrow_array::StringArray>()
                    .unwrap()
                    .iter()
                    .map(|v| v.unwrap().to_owned()),
            );
            true
        })
        .unwrap();
        assert_eq!(values.len(), INFER_ROWS + 11);
        assert_eq!(values.last().unwrap(), "not a number");
    }

    /// Rows and non-null `late` values after `INFER_ROWS + 5` lines of `{"n": i}` and `last`.
    fn ndjson_after_sample(last: &str) -> (usize, usize) {
        use std::fmt::Write as _;
        let mut text = String::new();
        for i in 0..INFER_ROWS + 5 {
            let _ = writeln!(text, "{{\"n\": {i}}}");
        }
        text.push_str(last);
        let (mut rows, mut late) = (0, 0);
        parse(
            text.as_bytes(),
            DataFormat::Ndjson,
            &Nulls::default(),
            |b| {
                rows += b.num_rows();
                late += b
                    .column_by_name("late")
                    .map_or(0, |c| c.len() - c.null_count());
                true
            },
        )
        .unwrap();
        (rows, late)
    }

    #[test]
    fn a_key_first_seen_after_the_sample_is_kept() {
        assert_eq!(
            ndjson_after_sample("{\"n\": 7, \"late\": true}\n"),
            (INFER_ROWS + 6, 1)
        );
    }

    #[test]
    fn a_type_change_after_the_sample_is_kept() {
        assert_eq!(
            ndjson_after_sample("{\"n\": \"many\"}\n"),
            (INFER_ROWS + 6, 0)
        );
    }

    #[test]
    fn malformed_inputs_say_what_is_wrong() {
        let ragged = why("a,b\n1,2\n3\n", DataFormat::Csv);
        assert!(ragged.starts_with("CSV:"), "{ragged}");
        let not_array = why("{\"a\":1}", DataFormat::Json);
        assert_eq!(
            not_array,
            "JSON: expected an array of objects at the document, found an object"
        );
        let not_object = why("[{\"a\":1}, 3]", DataFormat::Json);
        assert_eq!(
            not_object,
            "JSON: element 1 is a number, expected an object"
        );
        let bad_line = why("{\"a\":1}\n[1,2]\n", DataFormat::Ndjson);
        assert!(bad_line.starts_with("NDJSON:"), "{bad_line}");
    }
}
