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

/// The warning for a value with a field of its own named [`KEY_COLUMN`], which is kept under
/// another name (`_key_2`, or the next free `_key_N`).
pub const OWN_KEY_WARNING: &str = "a value has a field of its own named \"_key\", the column of \
                                   the key's name: it is kept as \"_key_2\" (or the next free \
                                   \"_key_N\")";

/// The name a value's own `_key` field takes: `_key_2`, or the first `_key_N` that `is_taken`
/// says the value does not use already.
fn own_key_name(is_taken: impl Fn(&str) -> bool) -> String {
    let mut n = 2;
    loop {
        let name = format!("{KEY_COLUMN}_{n}");
        if !is_taken(&name) {
            return name;
        }
        n += 1;
    }
}

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
            let col = if field == KEY_COLUMN {
                b.column(&own_key_name(|n| row.fields.iter().any(|(f, _)| f == n)))
            } else {
                b.column(field)
            };
            b.set(col, cell);
        }
        b.end_row();
    }
    b.finish()
}

/// One `GET` value as a row.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonRow {
    /// `_key` and the JSON object's fields, or, when the value is not a JSON object, `_key`
    /// and `_error` saying why. Typed later as every JSON source's rows are
    /// ([`json_rows`](crate::source::data::json_rows)).
    pub row: Value,
    /// The value was a JSON object.
    pub is_object: bool,
    /// The object had a field named `_key` of its own, kept under another name
    /// ([`OWN_KEY_WARNING`]).
    pub renamed_key: bool,
}

/// The row for string key `key` holding `value`.
pub fn json_row(key: &str, value: &[u8]) -> JsonRow {
    let mut row = Map::new();
    row.insert(KEY_COLUMN.to_owned(), Value::String(key.to_owned()));
    let parsed = serde_json::from_slice::<Value>(value);
    if let Ok(Value::Object(mut fields)) = parsed {
        // `_key` is the key's name: a field of that name is kept under another.
        let own = fields.remove(KEY_COLUMN);
        let renamed_key = own.is_some();
        if let Some(own) = own {
            let name = own_key_name(|n| fields.contains_key(n));
            row.insert(name, own);
        }
        row.extend(fields);
        return JsonRow {
            row: Value::Object(row),
            is_object: true,
            renamed_key,
        };
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
    JsonRow {
        row: Value::Object(row),
        is_object: false,
        renamed_key: false,
    }
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
        let parsed: Vec<JsonRow> = [
            ("doc:1", &br#"{"sku": "A", "price": 2.5, "_key": "x"}"#[..]),
            ("doc:2", b"[1, 2]"),
            ("doc:3", b"hello world"),
        ]
        .into_iter()
        .map(|(k, v)| json_row(k, v))
        .collect();
        let objects: Vec<bool> = parsed.iter().map(|r| r.is_object).collect();
        assert_eq!(objects, [true, false, false]);
        assert!(parsed[0].renamed_key && !parsed[1].renamed_key);
        let rows: Vec<Value> = parsed.into_iter().map(|r| r.row).collect();
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
        let own = batch.column_by_name("_key_2").unwrap().as_string::<i32>();
        assert_eq!(own.value(0), "x", "the value's own _key is kept");
        assert_eq!(batch.column_by_name("price").unwrap().null_count(), 2);
    }

    #[test]
    fn a_hash_field_named_key_is_kept_beside_the_key() {
        let batch = hash_batch(&[
            row("h:1", &[("_key", "mine"), ("_key_2", "taken")]),
            row("h:2", &[("_key", "other")]),
        ]);
        let column = |name: &str| -> Vec<Option<String>> {
            batch
                .column_by_name(name)
                .unwrap()
                .as_string::<i32>()
                .iter()
                .map(|v| v.map(str::to_owned))
                .collect()
        };
        assert_eq!(column("_key"), [Some("h:1".into()), Some("h:2".into())]);
        assert_eq!(
            column("_key_2"),
            [Some("taken".into()), Some("other".into())]
        );
        assert_eq!(column("_key_3"), [Some("mine".into()), None]);
    }
}
