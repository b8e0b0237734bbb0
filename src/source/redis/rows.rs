//! Turning Redis replies into rows: hashes with numeric coercion, JSON string values, and
//! sorted-set members with scores.

use arrow_array::RecordBatch;
use serde_json::{Map, Value};

use crate::source::data::json_kind;
use crate::value::{BatchBuilder, Cell};

/// The column holding each row's Redis key.
pub const KEY_COLUMN: &str = "_key";

/// The column that explains a `GET` value that is not a JSON object (its row has only
/// `_key` and this): such values are shown, not dropped.
pub const PROBLEM_COLUMN: &str = "_error";

/// Characters of a bad value quoted in [`PROBLEM_COLUMN`].
const QUOTED_CHARS: usize = 60;

/// One hash: its key and its fields, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashRow {
    /// The key.
    pub key: String,
    /// Field names and values, in the server's order.
    pub fields: Vec<(String, String)>,
}

/// What every value of a column parses as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Numeric {
    Int,
    Float,
    Text,
}

/// Whether `s` is an integer written the canonical way (no `+`, no leading zeros), so that
/// identifiers such as `007` or zip codes stay text.
fn is_int(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && s.parse::<i64>().is_ok()
}

/// Whether `s` is a finite decimal number (`12.5`, `-3`, `1e6`; not `inf`, `NaN`, `0x1f`, nor
/// `02134` with a leading zero).
fn is_float(s: &str) -> bool {
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let whole = unsigned.split(['.', 'e', 'E']).next().unwrap_or("");
    !(whole.len() > 1 && whole.starts_with('0'))
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        && s.parse::<f64>().is_ok_and(f64::is_finite)
}

fn numeric<'a>(values: impl Iterator<Item = &'a str>) -> Numeric {
    let mut kind = Numeric::Int;
    for v in values {
        if kind == Numeric::Int && !is_int(v) {
            kind = Numeric::Float;
        }
        if kind == Numeric::Float && !is_float(v) {
            return Numeric::Text;
        }
    }
    kind
}

/// One batch of hashes: `_key` first, then each field as a column. A column whose every value
/// is a number becomes an integer or float column; a hash without a field reads as null.
#[must_use]
pub fn hash_batch(rows: &[HashRow]) -> RecordBatch {
    let mut b = BatchBuilder::with_columns(&[KEY_COLUMN]);
    let mut kinds: Vec<(String, Numeric)> = Vec::new();
    for row in rows {
        for (field, _) in &row.fields {
            if !kinds.iter().any(|(f, _)| f == field) {
                let values = rows
                    .iter()
                    .flat_map(|r| r.fields.iter().filter(|(f, _)| f == field))
                    .map(|(_, v)| v.as_str());
                kinds.push((field.clone(), numeric(values)));
            }
        }
    }
    for row in rows {
        b.set(0, Cell::Text(row.key.clone()));
        for (field, value) in &row.fields {
            let kind = kinds
                .iter()
                .find_map(|(f, k)| (f == field).then_some(*k))
                .unwrap_or(Numeric::Text);
            let cell = match kind {
                Numeric::Int => value.parse().map_or(Cell::Null, Cell::Int),
                Numeric::Float => value.parse().map_or(Cell::Null, Cell::Float),
                Numeric::Text => Cell::Text(value.clone()),
            };
            let col = b.column(field);
            b.set(col, cell);
        }
        b.end_row();
    }
    b.finish()
}

/// The row for string key `key` holding `value`: `_key` and the JSON object's fields, or,
/// when the value is not a JSON object, `_key` and `_error` saying why. The second item says
/// whether the value was a JSON object. The rows are typed as every JSON source's are
/// ([`json_rows`](crate::source::data::json_rows)).
pub fn json_row(key: &str, value: &[u8]) -> (Value, bool) {
    let mut row = Map::new();
    row.insert(KEY_COLUMN.to_owned(), Value::String(key.to_owned()));
    let parsed = serde_json::from_slice::<Value>(value);
    if let Ok(Value::Object(fields)) = parsed {
        for (name, v) in fields {
            // `_key` is the key's name; a field of that name does not replace it.
            row.entry(name).or_insert(v);
        }
        return (Value::Object(row), true);
    }
    let what = match &parsed {
        Ok(v) => format!("not a JSON object but {}", json_kind(v)),
        Err(_) => "not JSON".to_owned(),
    };
    let text = String::from_utf8_lossy(value);
    let mut quoted: String = text.chars().take(QUOTED_CHARS).collect();
    if text.chars().count() > QUOTED_CHARS {
        quoted.push('…');
    }
    row.insert(
        PROBLEM_COLUMN.to_owned(),
        Value::String(format!("{what}: {quoted}")),
    );
    (Value::Object(row), false)
}

#[cfg(test)]
mod tests {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, Int64Type};
    use arrow_schema::DataType;

    use super::*;

    fn row(key: &str, fields: &[(&str, &str)]) -> HashRow {
        HashRow {
            key: key.into(),
            fields: fields
                .iter()
                .map(|(f, v)| ((*f).into(), (*v).into()))
                .collect(),
        }
    }

    #[test]
    fn numbers_are_recognised_strictly() {
        for s in ["0", "-12", "9223372036854775807"] {
            assert!(is_int(s), "{s}");
        }
        for s in ["007", "+1", "1.5", "", "-", "99999999999999999999"] {
            assert!(!is_int(s), "{s}");
        }
        for s in [
            "1.5",
            "-0.25",
            "0.5",
            "1e6",
            "19.90",
            ".5",
            "99999999999999999999",
        ] {
            assert!(is_float(s), "{s}");
        }
        for s in ["inf", "NaN", "0x1f", "", "1.2.3", "12 kg", "02134", "007.5"] {
            assert!(!is_float(s), "{s}");
        }
    }

    #[test]
    fn a_column_is_numeric_only_when_every_value_is() {
        let batch = hash_batch(&[
            row(
                "p:1",
                &[
                    ("price", "9.5"),
                    ("qty", "3"),
                    ("zip", "02134"),
                    ("name", "anvil"),
                ],
            ),
            row("p:2", &[("price", "3"), ("qty", "4"), ("zip", "10001")]),
            row("p:3", &[("price", "12"), ("name", "42")]),
        ]);
        let schema = batch.schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["_key", "price", "qty", "zip", "name"]);
        let price = batch.column(1).as_primitive::<Float64Type>();
        assert_eq!(price.values().to_vec(), vec![9.5, 3.0, 12.0]);
        let qty = batch.column(2).as_primitive::<Int64Type>();
        assert_eq!(qty.iter().collect::<Vec<_>>(), vec![Some(3), Some(4), None]);
        assert_eq!(schema.field(3).data_type(), &DataType::Utf8);
        assert_eq!(schema.field(4).data_type(), &DataType::Utf8);
        assert_eq!(batch.column(4).as_string::<i32>().value(2), "42");
    }

    #[test]
    fn json_values_that_are_not_objects_are_shown_with_the_reason() {
        let (rows, objects): (Vec<Value>, Vec<bool>) = [
            ("doc:1", &br#"{"sku": "A", "price": 2.5, "_key": "x"}"#[..]),
            ("doc:2", b"[1, 2]"),
            ("doc:3", b"hello world"),
        ]
        .into_iter()
        .map(|(k, v)| json_row(k, v))
        .unzip();
        assert_eq!(objects, [true, false, false]);
        let mut batches = Vec::new();
        crate::source::data::json_rows(&rows, &mut |b| {
            batches.push(b);
            true
        })
        .unwrap();
        let batch = &batches[0];
        let problem = batch
            .column_by_name(PROBLEM_COLUMN)
            .unwrap()
            .as_string::<i32>();
        assert_eq!(
            problem.iter().collect::<Vec<_>>(),
            vec![
                None,
                Some("not a JSON object but an array: [1, 2]"),
                Some("not JSON: hello world")
            ]
        );
        let key = batch.column_by_name(KEY_COLUMN).unwrap().as_string::<i32>();
        assert_eq!(key.value(0), "doc:1");
        assert_eq!(batch.column_by_name("price").unwrap().null_count(), 2);
    }
}
