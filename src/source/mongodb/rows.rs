//! BSON documents to rows: one row per document, one column per top-level field (the union over
//! the documents, in the order fields first appear), each value as a [`Cell`] so that a column
//! is typed by its values the way NDJSON columns are: numbers numeric, mixed types text.
//!
//! - doubles are floats, 32- and 64-bit integers are integers, `Decimal128` is a float (as
//!   PostgreSQL `NUMERIC` is);
//! - an `ObjectId` is its 24-digit hex text, a UUID (binary subtype 4) its hyphenated text,
//!   other binary data bytes;
//! - a date is a UTC timestamp (milliseconds, as BSON stores it);
//! - nested documents and arrays, and the rare types (regular expressions, internal timestamps,
//!   code, min/max keys), are their relaxed extended JSON text: what `mongosh` and
//!   `mongoexport` print, plain JSON for plain values, and `{"$oid": ...}` or `{"$date": ...}`
//!   where a plain JSON spelling would lose the type.

use bson::raw::{RawBsonRef, RawDocument};
use bson::spec::BinarySubtype;
use bson::{Bson, RawBson};

use crate::value::{BatchBuilder, Cell};

/// Adds one row for `doc`. Fails only when the server sent malformed BSON.
pub fn push_document(b: &mut BatchBuilder, doc: &RawDocument) -> Result<(), bson::error::Error> {
    for field in doc {
        let (name, value) = field?;
        let col = b.column(name.as_str());
        b.set(col, cell(value));
    }
    b.end_row();
    Ok(())
}

/// The cell for one top-level value.
#[must_use]
pub fn cell(value: RawBsonRef<'_>) -> Cell {
    match value {
        RawBsonRef::Double(f) => Cell::Float(f),
        RawBsonRef::Int32(i) => Cell::Int(i64::from(i)),
        RawBsonRef::Int64(i) => Cell::Int(i),
        RawBsonRef::Decimal128(d) => Cell::Float(d.to_string().parse().unwrap_or(f64::NAN)),
        RawBsonRef::String(s) | RawBsonRef::Symbol(s) => Cell::Text(s.to_owned()),
        RawBsonRef::Boolean(b) => Cell::Bool(b),
        RawBsonRef::Null | RawBsonRef::Undefined => Cell::Null,
        RawBsonRef::ObjectId(id) => Cell::Text(id.to_hex()),
        RawBsonRef::DateTime(at) => Cell::Timestamp(at.timestamp_millis().saturating_mul(1000)),
        RawBsonRef::Binary(bin) => match (bin.subtype, <[u8; 16]>::try_from(bin.bytes)) {
            (BinarySubtype::Uuid, Ok(bytes)) => {
                Cell::Text(bson::Uuid::from_bytes(bytes).to_string())
            }
            _ => Cell::Bytes(bin.bytes.to_vec()),
        },
        other => Cell::Text(extended_json(other)),
    }
}

/// `value` as relaxed extended JSON text.
fn extended_json(value: RawBsonRef<'_>) -> String {
    match Bson::try_from(RawBson::from(value)) {
        Ok(bson) => bson.into_relaxed_extjson().to_string(),
        Err(e) => format!("(malformed BSON: {e})"),
    }
}

#[cfg(test)]
mod tests {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, Int64Type, TimestampMicrosecondType};
    use arrow_schema::DataType;
    use bson::oid::ObjectId;
    use bson::{Binary, DateTime, Decimal128, RawDocumentBuf, Regex, rawdoc};

    use super::*;

    fn batch(docs: &[RawDocumentBuf]) -> arrow_array::RecordBatch {
        let mut b = BatchBuilder::default();
        for d in docs {
            push_document(&mut b, d).unwrap();
        }
        b.finish()
    }

    #[test]
    fn columns_are_the_union_of_fields_typed_by_their_values() {
        let id = ObjectId::parse_str("65a1b2c3d4e5f60718293a4b").unwrap();
        let docs = [
            rawdoc! {"_id": id, "qty": 3_i32, "price": 9.5, "sku": "A-1"},
            rawdoc! {"_id": ObjectId::new(), "price": 12_i64, "qty": 4_i64, "late": true},
            rawdoc! {"qty": "many", "price": "19.90".parse::<Decimal128>().unwrap()},
        ];
        let b = batch(&docs);
        let schema = b.schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["_id", "qty", "price", "sku", "late"]);
        assert_eq!(
            b.column(0).as_string::<i32>().value(0),
            "65a1b2c3d4e5f60718293a4b"
        );
        assert_eq!(schema.field(1).data_type(), &DataType::Utf8, "mixed: text");
        assert_eq!(b.column(1).as_string::<i32>().value(2), "many");
        let price = b.column(2).as_primitive::<Float64Type>();
        assert_eq!(price.values().to_vec(), vec![9.5, 12.0, 19.9]);
        assert_eq!(b.column(4).null_count(), 2);
    }

    #[test]
    fn nested_values_are_relaxed_extended_json_text() {
        let id = ObjectId::parse_str("65a1b2c3d4e5f60718293a4b").unwrap();
        let at = DateTime::from_millis(1_704_067_200_123);
        let docs = [rawdoc! {
            "dims": {"w": 30_i32, "h": 1.5, "tags": ["a", 2_i32]},
            "refs": [id, at],
            "re": Regex { pattern: "^a".to_owned().try_into().unwrap(), options: "i".to_owned().try_into().unwrap() },
            "at": at,
            "uuid": Binary { subtype: BinarySubtype::Uuid, bytes: vec![0x11; 16] },
            "raw": Binary { subtype: BinarySubtype::Generic, bytes: vec![1, 2] },
            "n": 7_i64,
        }];
        let b = batch(&docs);
        let text = |name: &str| {
            b.column_by_name(name)
                .unwrap()
                .as_string::<i32>()
                .value(0)
                .to_owned()
        };
        assert_eq!(text("dims"), r#"{"w":30,"h":1.5,"tags":["a",2]}"#);
        assert_eq!(
            text("refs"),
            r#"[{"$oid":"65a1b2c3d4e5f60718293a4b"},{"$date":"2024-01-01T00:00:00.123Z"}]"#
        );
        assert_eq!(
            text("re"),
            r#"{"$regularExpression":{"pattern":"^a","options":"i"}}"#
        );
        assert_eq!(text("uuid"), "11111111-1111-1111-1111-111111111111");
        let at_col = b.column_by_name("at").unwrap();
        assert_eq!(
            at_col.as_primitive::<TimestampMicrosecondType>().value(0),
            1_704_067_200_123_000
        );
        assert_eq!(
            b.column_by_name("raw").unwrap().data_type(),
            &DataType::Binary
        );
        let n = b.column_by_name("n").unwrap().as_primitive::<Int64Type>();
        assert_eq!(n.value(0), 7);
    }
}
