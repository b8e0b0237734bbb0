//! Dynamically typed cells and a builder that turns rows of them into Arrow record batches.
//!
//! Sources whose columns are only known at run time (SQL drivers, MongoDB, Redis hashes) push [`Cell`]s;
//! a column's Arrow type follows its values and widens by [`widen`] when they disagree:
//! integers and floats become floats, anything else mixed becomes text. Nulls never decide a
//! type.

mod widen;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use arrow_array::builder::{
    BinaryBuilder, BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, NullArray, RecordBatch, RecordBatchOptions};
use arrow_schema::{DataType, Field, Schema, TimeUnit};

pub use widen::widen;

/// The zone of every [`Cell::Timestamp`] column: cells hold instants in UTC.
const UTC: &str = "+00:00";

/// One value read from a source.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// SQL NULL, JSON null, or a missing key.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// A float (also DECIMAL/NUMERIC read as a number).
    Float(f64),
    /// Text (also JSON objects and arrays, serialized).
    Text(String),
    /// Days since 1970-01-01.
    Date(i32),
    /// An instant: microseconds since the Unix epoch, UTC (`timestamptz`, MySQL `TIMESTAMP`,
    /// a BSON date).
    Timestamp(i64),
    /// A wall-clock time with no zone (SQL `timestamp`, MySQL `DATETIME`): microseconds since
    /// 1970-01-01 00:00 on the same clock. It is not an instant and prints without a zone.
    LocalTimestamp(i64),
    /// Raw bytes.
    Bytes(Vec<u8>),
}

impl Cell {
    /// The Arrow type of a column of such cells (`Null` for null).
    #[must_use]
    pub fn data_type(&self) -> DataType {
        match self {
            Self::Null => DataType::Null,
            Self::Bool(_) => DataType::Boolean,
            Self::Int(_) => DataType::Int64,
            Self::Float(_) => DataType::Float64,
            Self::Text(_) => DataType::Utf8,
            Self::Date(_) => DataType::Date32,
            Self::Timestamp(_) => DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into())),
            Self::LocalTimestamp(_) => DataType::Timestamp(TimeUnit::Microsecond, None),
            Self::Bytes(_) => DataType::Binary,
        }
    }

    /// The text form used when a column widens to text.
    #[must_use]
    pub fn to_text(&self) -> Option<String> {
        Some(match self {
            Self::Null => return None,
            Self::Bool(b) => b.to_string(),
            Self::Int(i) => i.to_string(),
            Self::Float(f) => f.to_string(),
            Self::Text(s) => s.clone(),
            Self::Date(d) => chrono::DateTime::from_timestamp(i64::from(*d) * 86_400, 0)
                .map_or_else(|| d.to_string(), |t| t.date_naive().to_string()),
            Self::Timestamp(us) => chrono::DateTime::from_timestamp_micros(*us)
                .map_or_else(|| us.to_string(), |t| t.to_rfc3339()),
            Self::LocalTimestamp(us) => chrono::DateTime::from_timestamp_micros(*us).map_or_else(
                || us.to_string(),
                |t| t.naive_utc().format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
            ),
            Self::Bytes(b) => b.iter().fold(String::from("\\x"), |mut s, byte| {
                let _ = write!(s, "{byte:02x}");
                s
            }),
        })
    }
}

/// A column being built; the variant is its current type.
#[derive(Debug, Clone)]
enum Column {
    Null(usize),
    Bool(Vec<Option<bool>>),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Text(Vec<Option<String>>),
    Date(Vec<Option<i32>>),
    Timestamp(Vec<Option<i64>>),
    LocalTimestamp(Vec<Option<i64>>),
    Bytes(Vec<Option<Vec<u8>>>),
}

impl Column {
    #[expect(
        clippy::match_same_arms,
        reason = "the arms hold different vector types"
    )]
    fn len(&self) -> usize {
        match self {
            Self::Null(n) => *n,
            Self::Bool(v) => v.len(),
            Self::Int(v) => v.len(),
            Self::Float(v) => v.len(),
            Self::Text(v) => v.len(),
            Self::Date(v) => v.len(),
            Self::Timestamp(v) => v.len(),
            Self::LocalTimestamp(v) => v.len(),
            Self::Bytes(v) => v.len(),
        }
    }

    /// Appends `cell`, widening the column first when its type does not fit.
    fn push(&mut self, cell: Cell) {
        match (&mut *self, cell) {
            (Self::Null(n), Cell::Null) => *n += 1,
            (Self::Bool(v), Cell::Bool(b)) => v.push(Some(b)),
            (Self::Int(v), Cell::Int(i)) => v.push(Some(i)),
            (Self::Float(v), Cell::Float(f)) => v.push(Some(f)),
            (Self::Float(v), Cell::Int(i)) => v.push(Some(i as f64)),
            (Self::Text(v), Cell::Text(s)) => v.push(Some(s)),
            (Self::Text(v), c) => v.push(c.to_text()),
            (Self::Date(v), Cell::Date(d)) => v.push(Some(d)),
            (Self::Timestamp(v), Cell::Timestamp(t))
            | (Self::LocalTimestamp(v), Cell::LocalTimestamp(t)) => v.push(Some(t)),
            (Self::Bytes(v), Cell::Bytes(b)) => v.push(Some(b)),
            (col, Cell::Null) => col.push_null(),
            (col, cell) => {
                col.widen_for(&cell);
                col.push(cell);
            }
        }
    }

    #[expect(
        clippy::match_same_arms,
        reason = "the arms hold different vector types"
    )]
    fn push_null(&mut self) {
        match self {
            Self::Null(n) => *n += 1,
            Self::Bool(v) => v.push(None),
            Self::Int(v) => v.push(None),
            Self::Float(v) => v.push(None),
            Self::Text(v) => v.push(None),
            Self::Date(v) => v.push(None),
            Self::Timestamp(v) | Self::LocalTimestamp(v) => v.push(None),
            Self::Bytes(v) => v.push(None),
        }
    }

    /// Changes the column's type to the [`widen`]ed type of its own and `cell`'s, converting
    /// what it holds.
    fn widen_for(&mut self, cell: &Cell) {
        let n = self.len();
        let own = self.typed_cell().map_or(DataType::Null, |c| c.data_type());
        *self = match (&*self, widen(&own, &cell.data_type())) {
            (Self::Null(_), DataType::Boolean) => Self::Bool(vec![None; n]),
            (Self::Null(_), DataType::Int64) => Self::Int(vec![None; n]),
            (Self::Null(_), DataType::Float64) => Self::Float(vec![None; n]),
            (Self::Null(_), DataType::Date32) => Self::Date(vec![None; n]),
            (Self::Null(_), DataType::Timestamp(_, Some(_))) => Self::Timestamp(vec![None; n]),
            (Self::Null(_), DataType::Timestamp(_, None)) => Self::LocalTimestamp(vec![None; n]),
            (Self::Null(_), DataType::Binary) => Self::Bytes(vec![None; n]),
            (Self::Int(v), DataType::Float64) => {
                Self::Float(v.iter().map(|x| x.map(|i| i as f64)).collect())
            }
            // Every other widening of cell types is to text.
            (other, _) => Self::Text(other.texts()),
        };
    }

    /// A cell of the column's type (its value aside), `None` for a column of nulls only.
    fn typed_cell(&self) -> Option<Cell> {
        Some(match self {
            Self::Null(_) => return None,
            Self::Bool(_) => Cell::Bool(false),
            Self::Int(_) => Cell::Int(0),
            Self::Float(_) => Cell::Float(0.0),
            Self::Text(_) => Cell::Text(String::new()),
            Self::Date(_) => Cell::Date(0),
            Self::Timestamp(_) => Cell::Timestamp(0),
            Self::LocalTimestamp(_) => Cell::LocalTimestamp(0),
            Self::Bytes(_) => Cell::Bytes(Vec::new()),
        })
    }

    fn texts(&self) -> Vec<Option<String>> {
        fn map<T: Clone>(v: &[Option<T>], f: impl Fn(T) -> Cell) -> Vec<Option<String>> {
            v.iter()
                .map(|x| x.clone().and_then(|x| f(x).to_text()))
                .collect()
        }
        match self {
            Self::Null(n) => vec![None; *n],
            Self::Bool(v) => map(v, Cell::Bool),
            Self::Int(v) => map(v, Cell::Int),
            Self::Float(v) => map(v, Cell::Float),
            Self::Text(v) => v.clone(),
            Self::Date(v) => map(v, Cell::Date),
            Self::Timestamp(v) => map(v, Cell::Timestamp),
            Self::LocalTimestamp(v) => map(v, Cell::LocalTimestamp),
            Self::Bytes(v) => map(v, Cell::Bytes),
        }
    }

    /// Builds the Arrow array and empties the column, keeping its type for the next batch.
    fn take_array(&mut self) -> ArrayRef {
        fn build<T, B: arrow_array::builder::ArrayBuilder>(
            v: &mut Vec<Option<T>>,
            mut b: B,
            append: impl Fn(&mut B, Option<T>),
        ) -> ArrayRef {
            for x in v.drain(..) {
                append(&mut b, x);
            }
            b.finish()
        }
        match self {
            Self::Null(n) => Arc::new(NullArray::new(std::mem::take(n))),
            Self::Bool(v) => build(
                v,
                BooleanBuilder::new(),
                arrow_array::builder::BooleanBuilder::append_option,
            ),
            Self::Int(v) => build(
                v,
                Int64Builder::new(),
                arrow_array::builder::PrimitiveBuilder::append_option,
            ),
            Self::Float(v) => build(
                v,
                Float64Builder::new(),
                arrow_array::builder::PrimitiveBuilder::append_option,
            ),
            Self::Text(v) => build(
                v,
                StringBuilder::new(),
                arrow_array::builder::GenericByteBuilder::append_option,
            ),
            Self::Date(v) => build(
                v,
                Date32Builder::new(),
                arrow_array::builder::PrimitiveBuilder::append_option,
            ),
            Self::Timestamp(v) => build(
                v,
                TimestampMicrosecondBuilder::new().with_timezone(UTC),
                arrow_array::builder::PrimitiveBuilder::append_option,
            ),
            Self::LocalTimestamp(v) => build(
                v,
                TimestampMicrosecondBuilder::new(),
                arrow_array::builder::PrimitiveBuilder::append_option,
            ),
            Self::Bytes(v) => build(
                v,
                BinaryBuilder::new(),
                arrow_array::builder::GenericByteBuilder::append_option,
            ),
        }
    }
}

/// Collects rows of [`Cell`]s and hands them out as record batches.
///
/// Columns are added the first time a name is seen (earlier rows read as null), so JSON rows
/// with differing keys fit as well as SQL rows with a fixed header.
#[derive(Debug, Default)]
pub struct BatchBuilder {
    names: Vec<String>,
    index: HashMap<String, usize>,
    columns: Vec<Column>,
    rows: usize,
}

impl BatchBuilder {
    /// A builder with these columns, in this order, one per name even when names repeat (a
    /// SQL result's `SELECT a, a`): columns are set by position, and the sink renames the
    /// repeats.
    #[must_use]
    pub fn with_columns<S: AsRef<str>>(names: &[S]) -> Self {
        let mut b = Self::default();
        for n in names {
            b.add_column(n.as_ref());
        }
        b
    }

    /// The index of the first column named `name`, adding it when new.
    pub fn column(&mut self, name: &str) -> usize {
        match self.index.get(name) {
            Some(&i) => i,
            None => self.add_column(name),
        }
    }

    fn add_column(&mut self, name: &str) -> usize {
        let i = self.columns.len();
        self.names.push(name.to_owned());
        self.columns.push(Column::Null(self.rows));
        self.index.entry(name.to_owned()).or_insert(i);
        i
    }

    /// Sets column `col` of the current row; a second value for the same cell is ignored.
    pub fn set(&mut self, col: usize, cell: Cell) {
        let c = &mut self.columns[col];
        if c.len() == self.rows {
            c.push(cell);
        }
    }

    /// Ends the current row; columns it did not set read as null.
    pub fn end_row(&mut self) {
        for c in &mut self.columns {
            if c.len() == self.rows {
                c.push_null();
            }
        }
        self.rows += 1;
    }

    /// Rows since the last [`Self::finish`].
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no row is buffered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The buffered rows as a batch; the builder keeps its columns and their types.
    ///
    /// # Panics
    ///
    /// Never: every column is padded to the row count by `end_row`.
    #[must_use]
    pub fn finish(&mut self) -> RecordBatch {
        let arrays: Vec<ArrayRef> = self.columns.iter_mut().map(Column::take_array).collect();
        batch_of(&self.names, arrays, std::mem::take(&mut self.rows))
    }
}

/// A batch of `rows` rows from columns named `names` (nullable, typed by their arrays; names
/// may repeat).
///
/// # Panics
///
/// If an array's length is not `rows`: callers build every column to the row count.
#[must_use]
pub fn batch_of(names: &[String], arrays: Vec<ArrayRef>, rows: usize) -> RecordBatch {
    let fields: Vec<Field> = names
        .iter()
        .zip(&arrays)
        .map(|(n, a)| Field::new(n, a.data_type().clone(), true))
        .collect();
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), arrays, &options)
        .expect("columns are built to the same length")
}

#[cfg(test)]
mod tests;
