//! JSON rows to record batches, one way for every source that reads JSON (`file`, `command`,
//! `http`, and `redis` string values): arrow-json infers the types (integers and floats
//! together are floats, other mixed scalars text, objects structs, arrays lists) and decodes
//! the rows, so one payload gets one schema whichever source brought it.
//!
//! When arrow-json cannot type a key (an object in one row, a number in another), the rows
//! are read again with every nested value as its JSON text, rather than failing the source.

use std::io::{BufReader, Cursor};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{ArrowError, SchemaRef};
use serde_json::Value;

use super::{BATCH_ROWS, SourceError, read_inferred, rows_of};

/// Hands `rows` (JSON objects) to `each` as batches, until it returns `false`.
pub fn json_rows(
    rows: &[Value],
    each: &mut dyn FnMut(RecordBatch) -> bool,
) -> Result<(), ArrowError> {
    let batches = match decode(rows) {
        Ok(batches) => batches,
        Err(_) => decode(&nested_as_text(rows))?,
    };
    for batch in batches {
        if !each(batch) {
            break;
        }
    }
    Ok(())
}

/// `rows` as batches, typed by arrow-json's inference over all of them.
fn decode(rows: &[Value]) -> Result<Vec<RecordBatch>, ArrowError> {
    let schema = arrow_json::reader::infer_json_schema_from_iterator(rows.iter().map(Ok))?;
    let mut decoder = reader(Arc::new(schema)).build_decoder()?;
    let mut batches = Vec::new();
    for chunk in rows.chunks(BATCH_ROWS) {
        decoder.serialize(chunk)?;
        batches.extend(decoder.flush()?);
    }
    Ok(batches)
}

/// `rows` with each object or array value replaced by its JSON text.
fn nested_as_text(rows: &[Value]) -> Vec<Value> {
    let flat = |v: &Value| match v {
        Value::Object(_) | Value::Array(_) => Value::String(v.to_string()),
        other => other.clone(),
    };
    rows.iter()
        .map(|row| match row {
            Value::Object(fields) => {
                Value::Object(fields.iter().map(|(k, v)| (k.clone(), flat(v))).collect())
            }
            other => other.clone(),
        })
        .collect()
}

fn reader(schema: SchemaRef) -> arrow_json::ReaderBuilder {
    arrow_json::ReaderBuilder::new(schema)
        .with_batch_size(BATCH_ROWS)
        .with_coerce_primitive(true)
}

/// NDJSON bytes, decoded by arrow-json straight from the bytes under types sampled from the
/// first lines (see [`read_inferred`]); when those cannot type a key, and nothing was handed
/// on yet, the lines are read as values and go through [`json_rows`].
pub fn parse_ndjson(
    bytes: &[u8],
    mut each: impl FnMut(RecordBatch) -> bool,
) -> Result<(), SourceError> {
    let mut handed = 0usize;
    let typed = read_inferred(
        |limit| arrow_json::reader::infer_json_schema(BufReader::new(Cursor::new(bytes)), limit),
        |schema, each| {
            // Strict: a key the sampled schema lacks must fail the read (and so widen the
            // schema), not be dropped.
            let batches = reader(Arc::new(schema))
                .with_strict_mode(true)
                .build(BufReader::new(Cursor::new(bytes)))?;
            for batch in batches {
                if !each(batch?) {
                    break;
                }
            }
            Ok(())
        },
        &mut |batch| {
            handed += 1;
            each(batch)
        },
    );
    let Err(e) = typed else {
        return Ok(());
    };
    let rows: Result<Vec<Value>, _> = serde_json::Deserializer::from_slice(bytes)
        .into_iter::<Value>()
        .collect();
    match rows {
        Ok(rows) if handed == 0 && rows.iter().all(Value::is_object) => {
            json_rows(&rows, &mut each).map_err(|e| SourceError::Parse(format!("NDJSON: {e}")))
        }
        _ => Err(SourceError::Parse(format!("NDJSON: {e}"))),
    }
}

/// One JSON array of objects.
pub fn parse_array(
    bytes: &[u8],
    mut each: impl FnMut(RecordBatch) -> bool,
) -> Result<(), SourceError> {
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|e| SourceError::Parse(format!("JSON: {e}")))?;
    json_rows(rows_of(&doc, "")?, &mut each).map_err(|e| SourceError::Parse(format!("JSON: {e}")))
}
