//! The `table` format: columns aligned by display width (CJK and emoji take two columns,
//! control characters show as pictures), numbers to the right, nulls as `-`.

use std::io::{self, Write};

use arrow_array::RecordBatch;
use arrow_cast::display::{ArrayFormatter, FormatOptions};

use crate::display;

/// Most decimals a float column is padded to: enough for money and measurements, and a
/// value that needs more (`0.1 + 0.2`) does not widen the whole column.
const MAX_DECIMALS: usize = 6;

/// Pads the plain decimal numbers among `cells` (one float column) with trailing zeros to the
/// same number of decimals, so `349.0` and `149.99` line up as `349.00` and `149.99`. Other text
/// (nulls, `NaN`, `inf`, exponents) is left alone.
pub fn align_decimals<'a>(cells: impl IntoIterator<Item = &'a mut String>) {
    let decimals = |s: &str| -> Option<usize> {
        let digits = s.strip_prefix('-').unwrap_or(s);
        let (whole, frac) = digits.split_once('.')?;
        let is_plain = !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit());
        is_plain.then_some(frac.len())
    };
    let mut cells: Vec<&mut String> = cells.into_iter().collect();
    let Some(width) = cells.iter().filter_map(|c| decimals(c)).max() else {
        return;
    };
    let width = width.min(MAX_DECIMALS);
    for cell in &mut cells {
        if let Some(n) = decimals(cell)
            && n < width
        {
            cell.extend(std::iter::repeat_n('0', width - n));
        }
    }
}

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
    let mut cells: Vec<Vec<String>> = (0..batch.num_rows())
        .map(|row| {
            formatters
                .iter()
                .map(|f| f.value(row).to_string())
                .collect()
        })
        .collect();
    for (i, field) in schema.fields().iter().enumerate() {
        if field.data_type().is_floating() {
            align_decimals(cells.iter_mut().map(|row| &mut row[i]));
        }
    }
    let mut widths: Vec<usize> = schema
        .fields()
        .iter()
        .map(|f| display::width(f.name()))
        .collect();
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(display::width(cell));
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
            if i > 0 {
                s.push_str("  ");
            }
            if i + 1 < row.len() || numeric[i] {
                s.push_str(&display::pad(cell, widths[i], numeric[i]));
            } else {
                s.push_str(&display::printable(cell));
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};

    use super::align_decimals;
    use crate::display;

    #[test]
    fn wide_text_lines_up_by_display_width() {
        let batch = RecordBatch::try_from_iter([
            (
                "名前",
                Arc::new(StringArray::from(vec![
                    "東京タワー",
                    "😀 smile",
                    "plain",
                    "a\nb",
                ])) as ArrayRef,
            ),
            (
                "price",
                Arc::new(Float64Array::from(vec![1.5, 22.25, 3.0, 4.0])) as ArrayRef,
            ),
            (
                "city",
                Arc::new(StringArray::from(vec!["München", "서울", "x", "y"])) as ArrayRef,
            ),
        ])
        .unwrap();
        let mut out = Vec::new();
        super::write(&mut out, &batch).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "名前        price  city\n\
             東京タワー   1.50  München\n\
             😀 smile    22.25  서울\n\
             plain        3.00  x\n\
             a␊b          4.00  y\n"
        );
        let city: Vec<usize> = text
            .lines()
            .map(|l| display::width(&l[..l.rfind("  ").unwrap()]))
            .collect();
        assert!(city.windows(2).all(|w| w[0] == w[1]), "{city:?}\n{text}");
    }

    #[test]
    fn decimals_line_up_and_other_text_is_left_alone() {
        let mut cells: Vec<String> = [
            "349.0",
            "149.99",
            "-",
            "NaN",
            "-2.5",
            "1e21",
            "0.30000000000000004",
        ]
        .map(String::from)
        .to_vec();
        align_decimals(cells.iter_mut());
        assert_eq!(
            cells,
            [
                "349.000000",
                "149.990000",
                "-",
                "NaN",
                "-2.500000",
                "1e21",
                "0.30000000000000004"
            ]
        );
        let mut money: Vec<String> = ["349.0", "149.99", "5.5"].map(String::from).to_vec();
        align_decimals(money.iter_mut());
        assert_eq!(money, ["349.00", "149.99", "5.50"]);
    }
}
