//! Arrow columns built straight from `SQLite` values, without a [`Cell`](crate::value::Cell)
//! or a `String` per value: each column appends to the Arrow builder of its current type.
//!
//! `SQLite` is dynamically typed, so a column's type follows its values, widened by the rule
//! every source and the merge use ([`widen`]): nulls never decide it, integers and reals
//! together become floats, any other mix becomes text (values already read are converted).
//! A column keeps its type from one batch to the next.

use std::fmt::Write as _;
use std::sync::Arc;

use arrow_array::builder::{BinaryBuilder, Float64Builder, Int64Builder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef, NullArray, RecordBatch};
use arrow_schema::DataType;
use rusqlite::types::ValueRef;

use crate::value::{batch_of, widen};

/// The Arrow type of a column of `value`s.
fn value_type(value: ValueRef<'_>) -> DataType {
    match value {
        ValueRef::Null => DataType::Null,
        ValueRef::Integer(_) => DataType::Int64,
        ValueRef::Real(_) => DataType::Float64,
        ValueRef::Text(_) => DataType::Utf8,
        ValueRef::Blob(_) => DataType::Binary,
    }
}

/// A column being built; the variant is its current type.
enum Column {
    /// Only nulls so far: how many.
    Null(usize),
    Int(Int64Builder),
    Float(Float64Builder),
    Text(StringBuilder),
    Bytes(BinaryBuilder),
}

impl Column {
    fn push(&mut self, value: ValueRef<'_>) {
        match (&mut *self, value) {
            (Self::Null(n), ValueRef::Null) => *n += 1,
            (Self::Int(b), ValueRef::Integer(i)) => b.append_value(i),
            (Self::Float(b), ValueRef::Real(f)) => b.append_value(f),
            (Self::Float(b), ValueRef::Integer(i)) => b.append_value(i as f64),
            (Self::Text(b), ValueRef::Text(t)) => b.append_value(String::from_utf8_lossy(t)),
            (Self::Text(b), other) => match text(other) {
                Some(t) => b.append_value(t),
                None => b.append_null(),
            },
            (Self::Bytes(b), ValueRef::Blob(x)) => b.append_value(x),
            (Self::Int(b), ValueRef::Null) => b.append_null(),
            (Self::Float(b), ValueRef::Null) => b.append_null(),
            (Self::Bytes(b), ValueRef::Null) => b.append_null(),
            (col, value) => {
                col.widen_for(value);
                col.push(value);
            }
        }
    }

    /// Changes the column's type to the [`widen`]ed type of its own and `value`'s, converting
    /// what it holds.
    fn widen_for(&mut self, value: ValueRef<'_>) {
        let target = widen(&self.data_type(), &value_type(value));
        *self = match (&mut *self, target) {
            (Self::Null(n), target) => {
                let n = *n;
                let mut col = match target {
                    DataType::Int64 => Self::Int(Int64Builder::new()),
                    DataType::Float64 => Self::Float(Float64Builder::new()),
                    DataType::Binary => Self::Bytes(BinaryBuilder::new()),
                    _ => Self::Text(StringBuilder::new()),
                };
                for _ in 0..n {
                    col.push(ValueRef::Null);
                }
                col
            }
            (Self::Int(b), DataType::Float64) => {
                let ints = b.finish();
                let mut floats = Float64Builder::with_capacity(ints.len());
                for i in &ints {
                    floats.append_option(i.map(|i| i as f64));
                }
                Self::Float(floats)
            }
            // Every other widening of SQLite's types is to text.
            (col, _) => Self::Text(col.take_as_text()),
        };
    }

    /// The column's current Arrow type.
    fn data_type(&self) -> DataType {
        match self {
            Self::Null(_) => DataType::Null,
            Self::Int(_) => DataType::Int64,
            Self::Float(_) => DataType::Float64,
            Self::Text(_) => DataType::Utf8,
            Self::Bytes(_) => DataType::Binary,
        }
    }

    /// The values so far as text, the way [`Cell::to_text`](crate::value::Cell::to_text)
    /// writes them.
    fn take_as_text(&mut self) -> StringBuilder {
        let array = self.finish();
        let mut out = StringBuilder::with_capacity(array.len(), 0);
        let n = array.len();
        for i in 0..n {
            if array.is_null(i) {
                out.append_null();
                continue;
            }
            let value = match array.data_type() {
                DataType::Int64 => ValueRef::Integer(array.as_primitive::<Int64Type>().value(i)),
                DataType::Float64 => ValueRef::Real(array.as_primitive::<Float64Type>().value(i)),
                DataType::Binary => ValueRef::Blob(array.as_binary::<i32>().value(i)),
                _ => ValueRef::Text(array.as_string::<i32>().value(i).as_bytes()),
            };
            match text(value) {
                Some(t) => out.append_value(t),
                None => out.append_null(),
            }
        }
        out
    }

    /// The array built so far; the column keeps its type for the next batch.
    fn finish(&mut self) -> ArrayRef {
        match self {
            Self::Null(n) => Arc::new(NullArray::new(std::mem::take(n))),
            Self::Int(b) => Arc::new(b.finish()),
            Self::Float(b) => Arc::new(b.finish()),
            Self::Text(b) => Arc::new(b.finish()),
            Self::Bytes(b) => Arc::new(b.finish()),
        }
    }
}

/// A value as text when its column widened to text.
fn text(value: ValueRef<'_>) -> Option<String> {
    Some(match value {
        ValueRef::Null => return None,
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Blob(b) => b.iter().fold(String::from("\\x"), |mut s, byte| {
            let _ = write!(s, "{byte:02x}");
            s
        }),
    })
}

/// The columns of one result, filled row by row.
pub struct ResultBuilder {
    names: Vec<String>,
    columns: Vec<Column>,
    rows: usize,
}

impl ResultBuilder {
    /// Empty columns named `names`, in order (repeated names are kept; the sink renames them).
    pub fn new(names: Vec<String>) -> Self {
        let columns = names.iter().map(|_| Column::Null(0)).collect();
        Self {
            names,
            columns,
            rows: 0,
        }
    }

    /// Appends one row; `value(i)` is column `i`'s value.
    pub fn push_row<'v>(
        &mut self,
        mut value: impl FnMut(usize) -> rusqlite::Result<ValueRef<'v>>,
    ) -> rusqlite::Result<()> {
        for (i, column) in self.columns.iter_mut().enumerate() {
            column.push(value(i)?);
        }
        self.rows += 1;
        Ok(())
    }

    /// Rows since the last [`Self::finish`].
    pub fn len(&self) -> usize {
        self.rows
    }

    /// The buffered rows as a batch.
    pub fn finish(&mut self) -> RecordBatch {
        let arrays: Vec<ArrayRef> = self.columns.iter_mut().map(Column::finish).collect();
        batch_of(&self.names, arrays, std::mem::take(&mut self.rows))
    }
}

#[cfg(test)]
mod tests {
    use arrow_schema::DataType;

    use super::*;

    fn build(rows: &[&[ValueRef<'_>]]) -> RecordBatch {
        let mut c = ResultBuilder::new(vec!["x".into()]);
        for row in rows {
            c.push_row(|i| Ok(row[i])).unwrap();
        }
        c.finish()
    }

    fn strings(batch: &RecordBatch) -> Vec<Option<String>> {
        let col = batch.column(0).as_string::<i32>();
        col.iter().map(|s| s.map(str::to_owned)).collect()
    }

    #[test]
    fn types_follow_the_values_as_the_batch_builder_does() {
        use ValueRef::{Blob, Integer, Null, Real, Text};
        let b = build(&[&[Null], &[Integer(1)], &[Real(2.5)]]);
        assert_eq!(b.schema().field(0).data_type(), &DataType::Float64);
        let floats = b.column(0).as_primitive::<Float64Type>();
        assert_eq!(
            floats.iter().collect::<Vec<_>>(),
            [None, Some(1.0), Some(2.5)]
        );
        let b = build(&[
            &[Integer(7)],
            &[Text(b"a")],
            &[Null],
            &[Real(0.5)],
            &[Blob(b"\x01")],
        ]);
        assert_eq!(
            strings(&b),
            [
                Some("7".into()),
                Some("a".into()),
                None,
                Some("0.5".into()),
                Some("\\x01".into())
            ]
        );
        let b = build(&[&[Blob(b"\xff")], &[Integer(3)]]);
        assert_eq!(strings(&b), [Some("\\xff".into()), Some("3".into())]);
        let b = build(&[&[Null], &[Null]]);
        assert_eq!(b.schema().field(0).data_type(), &DataType::Null);
        assert_eq!(b.num_rows(), 2);
    }

    #[test]
    fn a_column_keeps_its_type_into_the_next_batch() {
        let mut c = ResultBuilder::new(vec!["n".into(), "n".into()]);
        c.push_row(|_| Ok(ValueRef::Integer(1))).unwrap();
        let first = c.finish();
        c.push_row(|_| Ok(ValueRef::Null)).unwrap();
        let second = c.finish();
        assert_eq!(first.schema().field(1).name(), "n");
        assert_eq!(second.schema().field(0).data_type(), &DataType::Int64);
        assert_eq!(second.column(0).null_count(), 1);
    }
}
