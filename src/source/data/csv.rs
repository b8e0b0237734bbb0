//! CSV through arrow-csv: the types inferred from a sample (see [`super::read_inferred`]),
//! fields spelled as one of the source's `nulls` read as null, and timestamps that carry a
//! zone keep it.

use std::io::Cursor;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{ArrowError, Schema};
use regex::Regex;

use super::{BATCH_ROWS, SourceError, read_inferred};

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
        |limit| format.infer_schema(Cursor::new(bytes), limit),
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
