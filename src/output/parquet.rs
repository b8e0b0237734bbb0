//! The `parquet` format: the result as one Apache Parquet file (Snappy-compressed, the Arrow
//! schema embedded so a reader gets the same types back).

use std::io::{self, Write};

use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

/// Writes `batch` as a Parquet file to `out`. A batch without columns (a failed SQL step)
/// writes nothing: Parquet has no file without columns.
pub fn write(out: &mut dyn Write, batch: &RecordBatch) -> io::Result<()> {
    if batch.num_columns() == 0 {
        return Ok(());
    }
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    // The writer wants a `Send` sink, which a locked stdout is not: the file is built in
    // memory (a fraction of the rows' size, compressed) and written out whole.
    let mut buffer = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut buffer, batch.schema(), Some(properties))
        .map_err(io::Error::other)?;
    writer.write(batch).map_err(io::Error::other)?;
    writer.close().map_err(io::Error::other)?;
    out.write_all(&buffer)
}
