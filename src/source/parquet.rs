//! `.parquet` files for the `file` kind: read with the parquet crate's Arrow reader, so the
//! columns keep the file's own types, and only the columns the SQL step may name are decoded
//! (and read from disk) when there is a SQL step.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::Schema;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::schema::types::SchemaDescriptor;

use super::{BATCH_ROWS, RowSink, SourceError};
use crate::merge::SOURCE_COLUMN;
use crate::sql::Columns;

/// Reads `path` on a blocking thread and pushes its batches into `sink` as they are decoded;
/// `columns` (`None`: all) says which columns to read. The reader stops when the sink refuses
/// a batch (row cap) or this future is dropped.
pub async fn push_file(
    path: PathBuf,
    columns: Option<Arc<Columns>>,
    sink: &mut RowSink,
) -> Result<(), SourceError> {
    super::sink::push_blocking(sink, "parquet reader", move |each| {
        read(&path, columns.as_deref(), each)
    })
    .await
}

/// Decodes the columns of `path` that `columns` wants, calling `each` per batch until it
/// returns `false`.
pub fn read(
    path: &Path,
    columns: Option<&Columns>,
    each: &mut dyn FnMut(RecordBatch) -> bool,
) -> Result<(), SourceError> {
    let file = File::open(path).map_err(|source| SourceError::Io {
        context: format!("cannot read {}", path.display()),
        source,
    })?;
    let parse = |e: parquet::errors::ParquetError| SourceError::Parse(format!("Parquet: {e}"));
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parse)?;
    let mask = projection(builder.parquet_schema(), builder.schema(), columns);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(parse)?;
    for batch in reader {
        let batch = batch.map_err(|e| SourceError::Parse(format!("Parquet: {e}")))?;
        if !each(batch) {
            break;
        }
    }
    Ok(())
}

/// The top-level columns `columns` wants; at least one, so the batches still count the rows
/// (a `count(*)` names no column).
fn projection(
    descriptor: &SchemaDescriptor,
    schema: &Schema,
    columns: Option<&Columns>,
) -> ProjectionMask {
    let Some(columns) = columns.filter(|c| **c != Columns::All) else {
        return ProjectionMask::all();
    };
    let mut roots: Vec<usize> = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            // The sink renames a column named like the one scatter adds: `_source_2`.
            let renamed = f.name() == SOURCE_COLUMN && columns.wants(&format!("{SOURCE_COLUMN}_2"));
            columns.wants(f.name()) || renamed
        })
        .map(|(i, _)| i)
        .collect();
    if roots.is_empty() && !schema.fields().is_empty() {
        roots.push(0);
    }
    ProjectionMask::roots(descriptor, roots)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use arrow_array::{Float64Array, Int64Array, StringArray};

    use super::*;

    fn write(path: &Path) {
        let batch = RecordBatch::try_from_iter([
            (
                "model",
                Arc::new(StringArray::from(vec!["a", "b", "c"])) as _,
            ),
            (
                "price",
                Arc::new(Float64Array::from(vec![1.5, 2.5, 3.5])) as _,
            ),
            ("stock", Arc::new(Int64Array::from(vec![1, 2, 3])) as _),
        ])
        .unwrap();
        let file = File::create(path).unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }

    fn read_names(path: &Path, columns: Option<&Columns>) -> (Vec<String>, usize) {
        let mut names = Vec::new();
        let mut rows = 0;
        read(path, columns, &mut |b| {
            names = b
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            rows += b.num_rows();
            true
        })
        .unwrap();
        (names, rows)
    }

    #[test]
    fn only_the_named_columns_are_read_and_rows_are_still_counted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.parquet");
        write(&path);
        assert_eq!(read_names(&path, None).0, ["model", "price", "stock"]);
        let named = Columns::Named(HashSet::from(["price".to_owned(), "sum".to_owned()]));
        assert_eq!(read_names(&path, Some(&named)), (vec!["price".into()], 3));
        let none = Columns::Named(HashSet::new());
        assert_eq!(read_names(&path, Some(&none)), (vec!["model".into()], 3));
    }

    #[test]
    fn a_file_that_is_not_parquet_is_a_parse_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.parquet");
        std::fs::write(&path, b"a,b\n1,2\n").unwrap();
        let e = read(&path, None, &mut |_| true).unwrap_err().to_string();
        assert!(e.starts_with("Parquet:"), "{e}");
    }
}
