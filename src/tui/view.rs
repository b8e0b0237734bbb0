//! The results table's model: the merged rows, an index of them in the current sort order
//! with the filter applied, and the rows changed since the previous run. Building it is
//! O(rows) and happens a few times a second at most; drawing a frame reads only the rows on
//! screen through [`TableView::row`].

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use arrow_ord::sort::{SortColumn, lexsort_to_indices};
use arrow_schema::{ArrowError, DataType};

use crate::merge::{self, MergeSpec, SortKey};

/// Text shown for a null cell.
pub const NULL: &str = "-";

/// The merged table as the dashboard shows it.
#[derive(Debug, Clone)]
pub struct TableView {
    /// All merged rows (deduped and limited as configured), `_source` last.
    batch: RecordBatch,
    /// Row numbers of `batch` in the current sort order.
    order: Vec<u32>,
    /// `order` with the filter applied: what the table shows, top to bottom.
    visible: Vec<u32>,
    /// The lowercased filter text; empty = every row.
    filter: String,
    /// Per row of `batch`: not present in the previous run. `None` without a previous run.
    changed: Option<Vec<bool>>,
    /// How many of `changed` are set (counted once; the title shows it every frame).
    changed_count: usize,
    /// Rows before the configured limit.
    pub total: usize,
    /// Merge warnings (a sort key no source has).
    pub warnings: Vec<String>,
}

impl Default for TableView {
    fn default() -> Self {
        Self {
            batch: RecordBatch::new_empty(merge::union_schema([])),
            order: Vec::new(),
            visible: Vec::new(),
            filter: String::new(),
            changed: None,
            changed_count: 0,
            total: 0,
            warnings: Vec::new(),
        }
    }
}

impl TableView {
    /// Merges `inputs` (source name, batches) as `spec` says; the result is sorted by
    /// `spec.sort` and filtered by `filter`.
    pub fn build(
        inputs: &[(&str, &[RecordBatch])],
        spec: &MergeSpec,
        filter: &str,
    ) -> Result<Self, ArrowError> {
        let merged = merge::merge(inputs, spec)?;
        Self::of_batch(merged.batch, merged.total, merged.warnings, filter)
    }

    /// A view of rows that are already in their order (a SQL step's result), sorted by `keys`
    /// when there are any and filtered by `filter`.
    pub fn from_batch(
        batch: RecordBatch,
        keys: &[SortKey],
        filter: &str,
        warnings: Vec<String>,
    ) -> Result<Self, ArrowError> {
        let total = batch.num_rows();
        let mut view = Self::of_batch(batch, total, warnings, filter)?;
        if !keys.is_empty() {
            view.sort(keys)?;
        }
        Ok(view)
    }

    fn of_batch(
        batch: RecordBatch,
        total: usize,
        warnings: Vec<String>,
        filter: &str,
    ) -> Result<Self, ArrowError> {
        let n = batch.num_rows() as u32;
        let mut view = Self {
            batch,
            order: (0..n).collect(),
            visible: Vec::new(),
            filter: String::new(),
            changed: None,
            changed_count: 0,
            total,
            warnings,
        };
        view.set_filter(filter)?;
        Ok(view)
    }

    /// Every row, in the order they were built (merged, or as the SQL step gave them).
    #[must_use]
    pub fn batch(&self) -> &RecordBatch {
        &self.batch
    }

    /// Re-sorts the rows by `keys` (keys naming no column are skipped), keeping the filter.
    pub fn sort(&mut self, keys: &[SortKey]) -> Result<(), ArrowError> {
        let columns: Vec<SortColumn> = keys
            .iter()
            .filter_map(|key| {
                self.batch
                    .column_by_name(&key.column)
                    .map(|values| SortColumn {
                        values: Arc::clone(values),
                        options: Some(key.options()),
                    })
            })
            .collect();
        self.order = if columns.is_empty() || self.batch.num_rows() == 0 {
            (0..self.batch.num_rows() as u32).collect()
        } else {
            lexsort_to_indices(&columns, None)?.values().to_vec()
        };
        self.apply_filter(self.matches()?.as_deref());
        Ok(())
    }

    /// Shows only rows where some cell contains `filter` (case-insensitive); empty shows all.
    pub fn set_filter(&mut self, filter: &str) -> Result<(), ArrowError> {
        self.filter = filter.to_lowercase();
        let matches = self.matches()?;
        self.apply_filter(matches.as_deref());
        Ok(())
    }

    /// Per row of `batch`, whether it matches the filter; `None` when there is no filter.
    fn matches(&self) -> Result<Option<Vec<bool>>, ArrowError> {
        if self.filter.is_empty() {
            return Ok(None);
        }
        let mut hit = vec![false; self.batch.num_rows()];
        for column in self.batch.columns() {
            let text = arrow_cast::cast(column, &DataType::Utf8)?;
            let text = text
                .as_any()
                .downcast_ref::<StringArray>()
                .expect("cast to Utf8 gives a StringArray");
            for (row, value) in text.iter().enumerate() {
                if !hit[row] && value.is_some_and(|v| contains_lowercase(v, &self.filter)) {
                    hit[row] = true;
                }
            }
        }
        Ok(Some(hit))
    }

    fn apply_filter(&mut self, matches: Option<&[bool]>) {
        self.visible = match matches {
            None => self.order.clone(),
            Some(m) => self
                .order
                .iter()
                .copied()
                .filter(|&r| m[r as usize])
                .collect(),
        };
    }

    /// Rows shown (after the filter).
    #[must_use]
    pub fn len(&self) -> usize {
        self.visible.len()
    }

    /// Whether no row is shown.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.visible.is_empty()
    }

    /// Rows merged (before the filter).
    #[must_use]
    pub fn merged_rows(&self) -> usize {
        self.batch.num_rows()
    }

    /// Column names, `_source` last.
    #[must_use]
    pub fn columns(&self) -> Vec<String> {
        self.batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// Whether column `i` holds numbers (right-aligned on screen).
    #[must_use]
    pub fn is_numeric(&self, i: usize) -> bool {
        let t = self.batch.schema().field(i).data_type().clone();
        t.is_numeric()
    }

    /// The formatted cells of visible rows `from..from + count` for columns `columns`, with
    /// whether each row changed since the previous run. Only these rows are formatted.
    pub fn rows(
        &self,
        from: usize,
        count: usize,
        columns: &[usize],
    ) -> Result<Vec<(bool, Vec<String>)>, ArrowError> {
        let options = FormatOptions::default().with_null(NULL);
        let formatters = columns
            .iter()
            .map(|&c| ArrayFormatter::try_new(self.batch.column(c).as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()?;
        let end = (from + count).min(self.visible.len());
        let start = from.min(end);
        let mut rows: Vec<(bool, Vec<String>)> = self.visible[start..end]
            .iter()
            .map(|&r| {
                let r = r as usize;
                let cells = formatters.iter().map(|f| f.value(r).to_string()).collect();
                (self.is_changed(r), cells)
            })
            .collect();
        for (j, &c) in columns.iter().enumerate() {
            if self.batch.column(c).data_type().is_floating() {
                crate::output::align_decimals(rows.iter_mut().map(|(_, cells)| &mut cells[j]));
            }
        }
        Ok(rows)
    }

    /// The visible rows as one batch in display order (for export).
    pub fn to_batch(&self) -> Result<RecordBatch, ArrowError> {
        let indices = arrow_array::UInt32Array::from(self.visible.clone());
        arrow_select::take::take_record_batch(&self.batch, &indices)
    }

    fn is_changed(&self, row: usize) -> bool {
        self.changed.as_ref().is_some_and(|c| c[row])
    }

    /// How many rows are marked changed.
    #[must_use]
    pub fn changed_rows(&self) -> usize {
        self.changed_count
    }

    /// A fingerprint of every row (all columns, `_source` included), to compare runs.
    pub fn fingerprints(&self) -> Result<HashSet<u64>, ArrowError> {
        Ok(self.row_hashes()?.into_iter().collect())
    }

    /// Marks the rows whose fingerprint is not in `previous`.
    pub fn mark_changed(&mut self, previous: &HashSet<u64>) -> Result<(), ArrowError> {
        let hashes = self.row_hashes()?;
        let changed: Vec<bool> = hashes.iter().map(|h| !previous.contains(h)).collect();
        self.changed_count = changed.iter().filter(|&&x| x).count();
        self.changed = Some(changed);
        Ok(())
    }

    fn row_hashes(&self) -> Result<Vec<u64>, ArrowError> {
        if self.batch.num_rows() == 0 {
            return Ok(Vec::new());
        }
        let columns: Vec<ArrayRef> = self.batch.columns().to_vec();
        let fields = columns
            .iter()
            .map(|c| arrow_row::SortField::new(c.data_type().clone()))
            .collect();
        let rows = arrow_row::RowConverter::new(fields)?.convert_columns(&columns)?;
        Ok(rows
            .iter()
            .map(|row| {
                let mut h = DefaultHasher::new();
                row.as_ref().hash(&mut h);
                h.finish()
            })
            .collect())
    }
}

/// Whether `haystack` contains `needle_lower` (already lowercase), ignoring case; no
/// allocation for ASCII text.
fn contains_lowercase(haystack: &str, needle_lower: &str) -> bool {
    if haystack.is_ascii() && needle_lower.is_ascii() {
        let (h, n) = (haystack.as_bytes(), needle_lower.as_bytes());
        n.len() <= h.len() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
    } else {
        haystack.to_lowercase().contains(needle_lower)
    }
}

#[cfg(test)]
mod tests;
