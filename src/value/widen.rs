//! The one rule for a column's type when its values disagree, used by every source that
//! types columns by their values (the cell builder, SQLite's builders) and by the merge of
//! every source's batches, so one value gets one type whichever way it came in.

use arrow_schema::DataType;

/// Widest type that holds values of both `a` and `b`: integers and floats widen to float;
/// timestamps to the finer unit, in their common zone or else UTC (a zoneless timestamp and
/// a zoned one are text: one is a wall-clock time, the other an instant); anything else
/// mixed to text; null fits anything.
#[must_use]
pub fn widen(a: &DataType, b: &DataType) -> DataType {
    use DataType::{Float64, Int64, Null, Timestamp, Utf8};
    if a == b {
        return a.clone();
    }
    match (a, b) {
        (Null, x) | (x, Null) => x.clone(),
        (x, y) if x.is_integer() && y.is_integer() => Int64,
        (x, y) if is_number(x) && is_number(y) => Float64,
        (Timestamp(unit_a, zone_a), Timestamp(unit_b, zone_b))
            if zone_a.is_some() == zone_b.is_some() =>
        {
            let zone = if zone_a == zone_b {
                zone_a.clone()
            } else {
                Some("+00:00".into())
            };
            Timestamp((*unit_a).max(*unit_b), zone)
        }
        _ => Utf8,
    }
}

fn is_number(t: &DataType) -> bool {
    t.is_integer()
        || t.is_floating()
        || matches!(t, DataType::Decimal128(..) | DataType::Decimal256(..))
}
