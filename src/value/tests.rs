//! The cell builder: widening and late columns.

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_schema::{DataType, TimeUnit};

use super::*;

fn build(rows: &[&[(&str, Cell)]]) -> RecordBatch {
    let mut b = BatchBuilder::default();
    for row in rows {
        for (name, cell) in *row {
            let c = b.column(name);
            b.set(c, cell.clone());
        }
        b.end_row();
    }
    b.finish()
}

#[test]
fn int_and_float_widen_to_float() {
    let batch = build(&[&[("x", Cell::Int(1))], &[("x", Cell::Float(2.5))]]);
    let col = batch.column(0).as_primitive::<Float64Type>();
    assert_eq!(col.values().to_vec(), vec![1.0, 2.5]);
}

#[test]
fn mixed_types_widen_to_text_keeping_values() {
    let batch = build(&[
        &[("x", Cell::Int(7))],
        &[("x", Cell::Text("a".into()))],
        &[("x", Cell::Null)],
    ]);
    assert_eq!(batch.schema().field(0).data_type(), &DataType::Utf8);
    let col = batch.column(0).as_string::<i32>();
    assert_eq!(
        col.iter().collect::<Vec<_>>(),
        vec![Some("7"), Some("a"), None]
    );
}

#[test]
fn late_columns_are_null_filled_and_nulls_do_not_decide_type() {
    let batch = build(&[
        &[("a", Cell::Null)],
        &[("a", Cell::Bool(true)), ("b", Cell::Int(3))],
    ]);
    assert_eq!(batch.num_rows(), 2);
    assert_eq!(batch.schema().field(0).data_type(), &DataType::Boolean);
    assert_eq!(batch.column(1).null_count(), 1);
}

#[test]
fn cells_widen_by_the_merge_rule() {
    let cells = [
        Cell::Bool(true),
        Cell::Int(1),
        Cell::Float(0.5),
        Cell::Text("a".into()),
        Cell::Date(1),
        Cell::Timestamp(1),
        Cell::LocalTimestamp(1),
        Cell::Bytes(vec![1]),
    ];
    for a in &cells {
        for b in &cells {
            let batch = build(&[&[("x", a.clone())], &[("x", b.clone())]]);
            assert_eq!(
                batch.schema().field(0).data_type(),
                &widen(&a.data_type(), &b.data_type()),
                "{a:?} then {b:?}"
            );
        }
    }
}

#[test]
fn a_wall_clock_time_has_no_zone_and_reads_the_same_as_text() {
    let at = Cell::LocalTimestamp(1_709_208_000_250_000);
    let batch = build(&[&[("at", at.clone())], &[("at", Cell::Null)]]);
    assert_eq!(
        batch.schema().field(0).data_type(),
        &DataType::Timestamp(TimeUnit::Microsecond, None)
    );
    let shown = arrow_cast::display::array_value_to_string(batch.column(0), 0).unwrap();
    assert_eq!(shown, "2024-02-29T12:00:00.250");
    assert_eq!(at.to_text().as_deref(), Some(shown.as_str()));
    let mixed = build(&[&[("at", at)], &[("at", Cell::Timestamp(0))]]);
    assert_eq!(mixed.schema().field(0).data_type(), &DataType::Utf8);
}
