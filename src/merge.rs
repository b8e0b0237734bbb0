//! Merging per-source record batches into one table (pure functions, no I/O): the union of
//! the schemas by column name with widening, a `_source` column, a multi-key sort with nulls
//! last, dedupe on key columns, and a row limit.

use std::collections::HashSet;
use std::sync::Arc;

use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, DictionaryArray, Int32Array, RecordBatch, StringArray, new_null_array,
};
use arrow_ord::sort::{SortColumn, SortOptions, lexsort_to_indices};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};

/// The name of the column that says which source a row came from.
pub const SOURCE_COLUMN: &str = "_source";

/// One sort key: a column, ascending unless `descending`. Nulls always sort last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    /// Column name.
    pub column: String,
    /// Largest first.
    pub descending: bool,
}

impl SortKey {
    /// Arrow sort options for this key: its direction, nulls last.
    #[must_use]
    pub fn options(&self) -> SortOptions {
        SortOptions {
            descending: self.descending,
            nulls_first: false,
        }
    }
}

impl std::fmt::Display for SortKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}",
            self.column,
            if self.descending { "↓" } else { "↑" }
        )
    }
}

/// `[merge]`: how rows from all sources become one table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeSpec {
    /// Sort keys, most significant first; empty keeps source order.
    pub sort: Vec<SortKey>,
    /// Key columns: rows equal on all of them are kept once (the first in sort order).
    pub dedupe: Vec<String>,
    /// Most rows kept; 0 = all.
    pub limit: usize,
}

/// The merged table.
#[derive(Debug, Clone)]
pub struct Merged {
    /// All rows, sorted, deduped and limited, with `_source` last.
    pub batch: RecordBatch,
    /// Rows before the limit was applied.
    pub total: usize,
    /// Things the user should know (a sort key no source has).
    pub warnings: Vec<String>,
}

/// Widest type that holds values of both `a` and `b`: integers and floats widen to float,
/// anything else mixed to text; null fits anything.
#[must_use]
pub fn widen(a: &DataType, b: &DataType) -> DataType {
    use DataType::{Float64, Int64, Null, Utf8};
    if a == b {
        return a.clone();
    }
    match (a, b) {
        (Null, x) | (x, Null) => x.clone(),
        (x, y) if x.is_integer() && y.is_integer() => Int64,
        (x, y) if is_number(x) && is_number(y) => Float64,
        _ => Utf8,
    }
}

fn is_number(t: &DataType) -> bool {
    t.is_integer()
        || t.is_floating()
        || matches!(t, DataType::Decimal128(..) | DataType::Decimal256(..))
}

/// The union of the schemas of `batches`, columns in order of first appearance, `_source` last.
#[must_use]
pub fn union_schema<'a>(batches: impl IntoIterator<Item = &'a RecordBatch>) -> SchemaRef {
    let mut fields: Vec<(String, DataType)> = Vec::new();
    for batch in batches {
        for f in batch.schema().fields() {
            if f.name() == SOURCE_COLUMN {
                continue;
            }
            match fields.iter_mut().find(|(n, _)| n == f.name()) {
                Some((_, t)) => *t = widen(t, f.data_type()),
                None => fields.push((f.name().clone(), f.data_type().clone())),
            }
        }
    }
    let mut out: Vec<Field> = fields
        .into_iter()
        .map(|(n, t)| Field::new(n, t, true))
        .collect();
    out.push(Field::new(SOURCE_COLUMN, source_type(), false));
    Arc::new(Schema::new(out))
}

/// The type of `_source`: dictionary-encoded, so a million rows from one source share one
/// string instead of copying it a million times through every sort and take.
#[must_use]
pub fn source_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// `batch` cast to `schema`, with missing columns null and `_source` set to `source`.
pub fn conform(
    batch: &RecordBatch,
    schema: &SchemaRef,
    source: &str,
) -> Result<RecordBatch, ArrowError> {
    let n = batch.num_rows();
    let columns = schema
        .fields()
        .iter()
        .map(|f| {
            if f.name() == SOURCE_COLUMN {
                let keys = Int32Array::from(vec![0; n]);
                let values = Arc::new(StringArray::from(vec![source]));
                return Ok(
                    Arc::new(DictionaryArray::<Int32Type>::try_new(keys, values)?) as ArrayRef,
                );
            }
            match batch.column_by_name(f.name()) {
                Some(c) if c.data_type() == f.data_type() => Ok(Arc::clone(c)),
                Some(c) => arrow_cast::cast(c, f.data_type()),
                None => Ok(new_null_array(f.data_type(), n)),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new(Arc::clone(schema), columns)
}

/// Merges each source's batches (`(source name, batches)`) as `spec` says.
pub fn merge(inputs: &[(&str, &[RecordBatch])], spec: &MergeSpec) -> Result<Merged, ArrowError> {
    let schema = union_schema(inputs.iter().flat_map(|(_, b)| b.iter()));
    let mut parts = Vec::with_capacity(inputs.iter().map(|(_, b)| b.len()).sum());
    for (name, batches) in inputs {
        for b in batches.iter().filter(|b| b.num_rows() > 0) {
            parts.push(conform(b, &schema, name)?);
        }
    }
    let rows = parts.iter().map(RecordBatch::num_rows).sum::<usize>();
    let mut warnings = Vec::new();
    // Without dedupe the limit can go into the sort (a top-k is cheaper than a full sort); with
    // dedupe, rows dropped as duplicates must not count against it.
    let top_k = if spec.dedupe.is_empty() {
        spec.limit
    } else {
        0
    };
    let sorted = gather_sorted(&schema, &parts, &spec.sort, top_k, &mut warnings)?;
    drop(parts);
    let deduped = dedupe(sorted, &spec.dedupe, &mut warnings)?;
    let total = if spec.dedupe.is_empty() {
        rows
    } else {
        deduped.num_rows()
    };
    let batch = if spec.limit > 0 && total > spec.limit {
        deduped.slice(0, spec.limit)
    } else {
        deduped
    };
    Ok(Merged {
        batch,
        total,
        warnings,
    })
}

/// Every row of `parts` in the order of `keys`, copied once: only the key columns are
/// concatenated to compute the order, then the rows are gathered straight from the parts.
fn gather_sorted(
    schema: &SchemaRef,
    parts: &[RecordBatch],
    keys: &[SortKey],
    limit: usize,
    warnings: &mut Vec<String>,
) -> Result<RecordBatch, ArrowError> {
    let rows = parts.iter().map(RecordBatch::num_rows).sum::<usize>();
    let mut columns = Vec::new();
    for key in keys {
        match schema.index_of(&key.column) {
            Ok(i) => {
                let pieces: Vec<&dyn arrow_array::Array> =
                    parts.iter().map(|p| p.column(i).as_ref()).collect();
                let values = if pieces.is_empty() {
                    new_null_array(schema.field(i).data_type(), 0)
                } else {
                    arrow_select::concat::concat(&pieces)?
                };
                columns.push(SortColumn {
                    values,
                    options: Some(key.options()),
                });
            }
            Err(_) if rows > 0 => {
                warnings.push(format!("sort: no column \"{}\" in the result", key.column));
            }
            Err(_) => {}
        }
    }
    if columns.is_empty() || rows == 0 {
        return arrow_select::concat::concat_batches(schema, parts);
    }
    let order = lexsort_to_indices(&columns, (limit > 0).then_some(limit))?;
    let starts: Vec<usize> = parts
        .iter()
        .scan(0, |at, p| {
            let start = *at;
            *at += p.num_rows();
            Some(start)
        })
        .collect();
    let pairs: Vec<(usize, usize)> = order
        .values()
        .iter()
        .map(|&row| {
            let row = row as usize;
            let part = starts.partition_point(|&s| s <= row) - 1;
            (part, row - starts[part])
        })
        .collect();
    interleave_columns(schema, parts, &pairs)
}

/// Gathers `pairs` (part, row) from `parts`, one column per thread at a time: the columns are
/// independent and gathering is memory-bound random access, so the cores split it well.
fn interleave_columns(
    schema: &SchemaRef,
    parts: &[RecordBatch],
    pairs: &[(usize, usize)],
) -> Result<RecordBatch, ArrowError> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let gather = |i: usize| {
        let arrays: Vec<&dyn arrow_array::Array> =
            parts.iter().map(|p| p.column(i).as_ref()).collect();
        arrow_select::interleave::interleave(&arrays, pairs)
    };
    let n = schema.fields().len();
    let columns: Vec<Result<ArrayRef, ArrowError>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.min(n))
            .map(|t| {
                scope.spawn(move || {
                    (t..n)
                        .step_by(threads)
                        .map(|i| (i, gather(i)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut out: Vec<_> = workers
            .into_iter()
            .flat_map(|w| w.join().expect("gathering does not panic"))
            .collect();
        out.sort_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, c)| c).collect()
    });
    RecordBatch::try_new(
        Arc::clone(schema),
        columns.into_iter().collect::<Result<_, _>>()?,
    )
}

/// Keeps the first row of each group of rows equal on `keys`.
fn dedupe(
    batch: RecordBatch,
    keys: &[String],
    warnings: &mut Vec<String>,
) -> Result<RecordBatch, ArrowError> {
    if keys.is_empty() || batch.num_rows() == 0 {
        return Ok(batch);
    }
    let mut columns = Vec::new();
    for k in keys {
        match batch.column_by_name(k) {
            Some(c) => columns.push(Arc::clone(c)),
            None => warnings.push(format!("dedupe: no column \"{k}\" in the result")),
        }
    }
    if columns.is_empty() {
        return Ok(batch);
    }
    let fields = columns
        .iter()
        .map(|c| arrow_row::SortField::new(c.data_type().clone()))
        .collect();
    let rows = arrow_row::RowConverter::new(fields)?.convert_columns(&columns)?;
    let mut seen = HashSet::with_capacity(batch.num_rows());
    let keep: arrow_array::BooleanArray = rows.iter().map(|r| Some(seen.insert(r))).collect();
    arrow_select::filter::filter_record_batch(&batch, &keep)
}

#[cfg(test)]
mod tests;
