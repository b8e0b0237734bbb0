//! The `table` format: columns aligned, numbers to the right, nulls as `-`.

use std::io::{self, Write};

use arrow_array::RecordBatch;
use arrow_cast::display::{ArrayFormatter, FormatOptions};

/// Writes `batch` as an aligned text table.
pub fn write(out: &mut dyn Write, batch: &RecordBatch) -> io::Result<()> {
    let options = FormatOptions::default().with_null("-");
    let schema = batch.schema();
    let formatters = batch
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
        .collect::<Result<Vec<_>, _>>()
        .map_err(io::Error::other)?;
    let cells: Vec<Vec<String>> = (0..batch.num_rows())
        .map(|row| {
            formatters
                .iter()
                .map(|f| f.value(row).to_string())
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = schema
        .fields()
        .iter()
        .map(|f| f.name().chars().count())
        .collect();
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let numeric: Vec<bool> = schema
        .fields()
        .iter()
        .map(|f| f.data_type().is_numeric())
        .collect();
    let line = |out: &mut dyn Write, row: &[String]| -> io::Result<()> {
        let mut s = String::new();
        for (i, cell) in row.iter().enumerate() {
            let pad = widths[i] - cell.chars().count();
            if i > 0 {
                s.push_str("  ");
            }
            if numeric[i] {
                s.extend(std::iter::repeat_n(' ', pad));
                s.push_str(cell);
            } else {
                s.push_str(cell);
                if i + 1 < row.len() {
                    s.extend(std::iter::repeat_n(' ', pad));
                }
            }
        }
        writeln!(out, "{s}")
    };
    let header: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    line(out, &header)?;
    for row in &cells {
        line(out, row)?;
    }
    Ok(())
}
