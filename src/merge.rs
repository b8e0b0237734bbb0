//! Merging per-source record batches into one table (pure functions, no I/O): the union of
//! the schemas by column name with widening, a `_source` column, a multi-key sort with nulls
//! last, dedupe on key columns, and a row limit.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, DictionaryArray, Int32Array, RecordBatch, RecordBatchOptions, StringArray,
    UInt32Array, new_null_array,
};
use arrow_ord::sort::{SortColumn, SortOptions, lexsort_to_indices};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};

pub use crate::value::widen;

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

/// The union of the schemas of `batches`, columns in order of first appearance, `_source` last.
/// Linear in the batches: names are looked up in a map, and a batch with the schema of the one
/// before (a fleet's batches mostly share one) is not looked at again.
#[must_use]
pub fn union_schema<'a>(batches: impl IntoIterator<Item = &'a RecordBatch>) -> SchemaRef {
    let mut fields: Vec<(String, DataType)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut last: Option<SchemaRef> = None;
    for batch in batches {
        let schema = batch.schema();
        if last.as_ref().is_some_and(|l| Arc::ptr_eq(l, &schema)) {
            continue;
        }
        for f in schema.fields() {
            if f.name() == SOURCE_COLUMN {
                continue;
            }
            if let Some(&i) = index.get(f.name()) {
                fields[i].1 = widen(&fields[i].1, f.data_type());
            } else {
                index.insert(f.name().clone(), fields.len());
                fields.push((f.name().clone(), f.data_type().clone()));
            }
        }
        last = Some(schema);
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

/// Every source's rows cast to the merged data columns, one batch per input batch, and
/// `_source` for all of them as one dictionary column (a key per row, in part order, over one
/// array of source names). Built once: per-part dictionaries made every concat and interleave
/// merge 10,000 dictionaries, quadratic when each source has one row.
struct Parts {
    /// The merged schema without `_source`.
    data: SchemaRef,
    /// The non-empty input batches, cast to `data`.
    batches: Vec<RecordBatch>,
    /// `_source` of every row of `batches`, in order.
    source: ArrayRef,
}

impl Parts {
    fn new(inputs: &[(&str, &[RecordBatch])], schema: &SchemaRef) -> Result<Self, ArrowError> {
        let fields = schema.fields();
        let data = Arc::new(Schema::new(fields[..fields.len() - 1].to_vec()));
        let names: StringArray = inputs.iter().map(|(name, _)| Some(*name)).collect();
        let mut batches = Vec::with_capacity(inputs.iter().map(|(_, b)| b.len()).sum());
        let mut keys = Vec::new();
        let mut layout = Layout::default();
        for (i, (_, input)) in inputs.iter().enumerate() {
            for b in input.iter().filter(|b| b.num_rows() > 0) {
                batches.push(layout.conform(b, &data)?);
                keys.extend(std::iter::repeat_n(i as i32, b.num_rows()));
            }
        }
        let source =
            DictionaryArray::<Int32Type>::try_new(Int32Array::from(keys), Arc::new(names))?;
        Ok(Self {
            data,
            batches,
            source: Arc::new(source),
        })
    }

    fn rows(&self) -> usize {
        self.source.len()
    }
}

/// Where each merged column is in a batch of a given schema, kept for the next batch: a fleet's
/// batches mostly share one schema, so the columns are looked up once, not per batch.
#[derive(Default)]
struct Layout {
    schema: Option<SchemaRef>,
    columns: Vec<Option<usize>>,
}

impl Layout {
    /// `batch` cast to `data`, with missing columns null.
    fn conform(
        &mut self,
        batch: &RecordBatch,
        data: &SchemaRef,
    ) -> Result<RecordBatch, ArrowError> {
        let schema = batch.schema();
        if !self
            .schema
            .as_ref()
            .is_some_and(|s| Arc::ptr_eq(s, &schema))
        {
            self.columns = data
                .fields()
                .iter()
                .map(|f| schema.index_of(f.name()).ok())
                .collect();
            self.schema = Some(schema);
        }
        let n = batch.num_rows();
        let columns = data
            .fields()
            .iter()
            .zip(&self.columns)
            .map(|(f, at)| match at.map(|i| batch.column(i)) {
                Some(c) if c.data_type() == f.data_type() => Ok(Arc::clone(c)),
                Some(c) => arrow_cast::cast(c, f.data_type()),
                None => Ok(new_null_array(f.data_type(), n)),
            })
            .collect::<Result<Vec<_>, _>>()?;
        RecordBatch::try_new(Arc::clone(data), columns)
    }
}

/// Merges each source's batches (`(source name, batches)`) as `spec` says.
pub fn merge(inputs: &[(&str, &[RecordBatch])], spec: &MergeSpec) -> Result<Merged, ArrowError> {
    match rows(inputs, spec, false)? {
        Rows::Table(merged) => Ok(merged),
        Rows::Ordered(ordered) => ordered.into_merged(),
    }
}

/// A merge's rows: built into one table, or left in the sources' batches in their order.
pub enum Rows {
    /// The merged table.
    Table(Merged),
    /// A sorted merge without dedupe, for a caller that only writes the rows.
    Ordered(Ordered),
}

/// [`merge`] for a caller that only writes the rows: a sorted merge without dedupe stops at the
/// order ([`Rows::Ordered`]); any other is built into the table.
pub fn merge_rows(inputs: &[(&str, &[RecordBatch])], spec: &MergeSpec) -> Result<Rows, ArrowError> {
    rows(inputs, spec, true)
}

/// The merge, up to the order when `keep_order` allows it.
fn rows(
    inputs: &[(&str, &[RecordBatch])],
    spec: &MergeSpec,
    keep_order: bool,
) -> Result<Rows, ArrowError> {
    let schema = union_schema(inputs.iter().flat_map(|(_, b)| b.iter()));
    let parts = Parts::new(inputs, &schema)?;
    let rows = parts.rows();
    let mut warnings = Vec::new();
    // Without dedupe the limit can go into the sort (a top-k is cheaper than a full sort); with
    // dedupe, rows dropped as duplicates must not count against it.
    let top_k = if spec.dedupe.is_empty() {
        spec.limit
    } else {
        0
    };
    let sorted = if let Some(order) = sort_order(&schema, &parts, &spec.sort, top_k, &mut warnings)?
    {
        let ordered = Ordered::new(schema, parts, order, rows, Vec::new());
        if keep_order && spec.dedupe.is_empty() {
            return Ok(Rows::Ordered(Ordered {
                warnings,
                ..ordered
            }));
        }
        ordered.into_batch()?
    } else {
        let data = arrow_select::concat::concat_batches(&parts.data, &parts.batches)?;
        let mut all = data.columns().to_vec();
        all.push(Arc::clone(&parts.source));
        RecordBatch::try_new(schema, all)?
    };
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
    Ok(Rows::Table(Merged {
        batch,
        total,
        warnings,
    }))
}

/// The row order `keys` give (at most `limit` rows, 0: all), or `None` when no key names a
/// column or there are no rows (the parts' own order is kept).
fn sort_order(
    schema: &SchemaRef,
    parts: &Parts,
    keys: &[SortKey],
    limit: usize,
    warnings: &mut Vec<String>,
) -> Result<Option<UInt32Array>, ArrowError> {
    let rows = parts.rows();
    let mut columns = Vec::new();
    for key in keys {
        let values = match schema.index_of(&key.column) {
            Ok(_) if key.column == SOURCE_COLUMN => Arc::clone(&parts.source),
            Ok(i) if parts.batches.is_empty() => new_null_array(schema.field(i).data_type(), 0),
            Ok(i) => {
                let pieces: Vec<&dyn arrow_array::Array> =
                    parts.batches.iter().map(|p| p.column(i).as_ref()).collect();
                arrow_select::concat::concat(&pieces)?
            }
            Err(_) => {
                if rows > 0 {
                    warnings.push(format!("sort: no column \"{}\" in the result", key.column));
                }
                continue;
            }
        };
        columns.push(SortColumn {
            values,
            options: Some(key.options()),
        });
    }
    if columns.is_empty() || rows == 0 {
        return Ok(None);
    }
    lexsort_to_indices(&columns, (limit > 0).then_some(limit)).map(Some)
}

/// A sorted merge whose rows are still in the sources' batches: the order of the rows (their
/// indices across the parts, end to end). A row format writes it a chunk at a time
/// ([`Ordered::chunk`]), each chunk gathered by the thread that encodes it, so the whole merged
/// table is never built: one copy of a million rows fewer, and the chunk is still in the
/// cache when it is encoded. Only the sort runs on one thread.
pub struct Ordered {
    schema: SchemaRef,
    parts: Parts,
    order: UInt32Array,
    /// The first row of each part, across the parts end to end.
    starts: Vec<usize>,
    /// Rows before the limit was applied.
    pub total: usize,
    /// Things the user should know (a sort key no source has).
    pub warnings: Vec<String>,
}

impl Ordered {
    fn new(
        schema: SchemaRef,
        parts: Parts,
        order: UInt32Array,
        total: usize,
        warnings: Vec<String>,
    ) -> Self {
        let starts: Vec<usize> = parts
            .batches
            .iter()
            .scan(0, |at, p| {
                let start = *at;
                *at += p.num_rows();
                Some(start)
            })
            .collect();
        Self {
            schema,
            parts,
            order,
            starts,
            total,
            warnings,
        }
    }

    /// (part, row in the part) of the rows `start..start + len` of the order.
    fn pairs(&self, start: usize, len: usize) -> Vec<(usize, usize)> {
        self.order.values()[start..start + len]
            .iter()
            .map(|&row| {
                let row = row as usize;
                let part = self.starts.partition_point(|&s| s <= row) - 1;
                (part, row - self.starts[part])
            })
            .collect()
    }

    /// The merged schema, `_source` last.
    #[must_use]
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Rows kept (after the limit).
    #[must_use]
    pub fn num_rows(&self) -> usize {
        self.order.len()
    }

    /// The sources' batches in the merged data columns (no `_source`), unsorted.
    #[must_use]
    pub fn parts(&self) -> &[RecordBatch] {
        &self.parts.batches
    }

    /// Every row in order as one batch, the columns gathered on every core.
    fn into_batch(self) -> Result<RecordBatch, ArrowError> {
        let pairs = self.pairs(0, self.num_rows());
        let mut all = interleave_columns(&self.parts.data, &self.parts.batches, &pairs)?;
        all.push(arrow_select::take::take(
            &self.parts.source,
            &self.order,
            None,
        )?);
        RecordBatch::try_new(self.schema, all)
    }

    /// The merged table of these rows (the limit is already in the order).
    pub fn into_merged(mut self) -> Result<Merged, ArrowError> {
        let (total, warnings) = (self.total, std::mem::take(&mut self.warnings));
        Ok(Merged {
            batch: self.into_batch()?,
            total,
            warnings,
        })
    }

    /// Rows `start..start + len` as a batch of the merged schema, copied out of the parts.
    pub fn chunk(&self, start: usize, len: usize) -> Result<RecordBatch, ArrowError> {
        let pairs = self.pairs(start, len);
        let mut columns = (0..self.parts.data.fields().len())
            .map(|i| {
                let arrays: Vec<&dyn arrow_array::Array> = self
                    .parts
                    .batches
                    .iter()
                    .map(|p| p.column(i).as_ref())
                    .collect();
                arrow_select::interleave::interleave(&arrays, &pairs)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let rows = self.order.slice(start, len);
        columns.push(arrow_select::take::take(&self.parts.source, &rows, None)?);
        let options = RecordBatchOptions::new().with_row_count(Some(len));
        RecordBatch::try_new_with_options(Arc::clone(&self.schema), columns, &options)
    }
}

/// Gathers `pairs` (part, row) from `parts`, one column per thread at a time: the columns are
/// independent and gathering is memory-bound random access, so the cores split it well. Each
/// thread takes the next column left, variable-width ones (the slowest) first, so that no
/// core is left with two slow columns at the end.
fn interleave_columns(
    data: &SchemaRef,
    parts: &[RecordBatch],
    pairs: &[(usize, usize)],
) -> Result<Vec<ArrayRef>, ArrowError> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let gather = |i: usize| {
        let arrays: Vec<&dyn arrow_array::Array> =
            parts.iter().map(|p| p.column(i).as_ref()).collect();
        arrow_select::interleave::interleave(&arrays, pairs)
    };
    let n = data.fields().len();
    let mut queue: Vec<usize> = (0..n).collect();
    queue.sort_by_key(|&i| data.field(i).data_type().primitive_width().is_some());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let take = || {
        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        queue.get(k).copied()
    };
    let mut columns: Vec<(usize, Result<ArrayRef, ArrowError>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.min(n))
            .map(|_| {
                scope.spawn(|| {
                    std::iter::from_fn(take)
                        .map(|i| (i, gather(i)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("gathering does not panic"))
            .collect()
    });
    columns.sort_by_key(|(i, _)| *i);
    columns.into_iter().map(|(_, c)| c).collect()
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
