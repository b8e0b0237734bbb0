use super::*;
use arrow_array::{Float64Array, Int64Array};
use arrow_schema::{Field, Schema};

fn batch(models: &[&str], prices: &[f64]) -> RecordBatch {
    let schema = Schema::new(vec![
        Field::new("model", DataType::Utf8, true),
        Field::new("price", DataType::Float64, true),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(StringArray::from(models.to_vec())),
            Arc::new(Float64Array::from(prices.to_vec())),
        ],
    )
    .unwrap()
}

fn cells(view: &TableView) -> Vec<Vec<String>> {
    let all: Vec<usize> = (0..view.columns().len()).collect();
    view.rows(0, usize::MAX / 2, &all)
        .unwrap()
        .into_iter()
        .map(|(_, c)| c)
        .collect()
}

fn key(column: &str, descending: bool) -> SortKey {
    SortKey {
        column: column.into(),
        descending,
    }
}

#[test]
fn builds_sorted_then_resorts_and_filters() {
    let a = [batch(&["b", "a"], &[2.0, 1.0])];
    let b = [batch(&["C"], &[3.0])];
    let spec = MergeSpec {
        sort: vec![key("price", true)],
        ..MergeSpec::default()
    };
    let mut view = TableView::build(&[("x", &a), ("y", &b)], &spec, "").unwrap();
    assert_eq!(view.columns(), ["model", "price", "_source"]);
    assert_eq!(cells(&view)[0], ["C", "3.0", "y"]);
    view.sort(&[key("model", false)]).unwrap();
    let models: Vec<_> = cells(&view).into_iter().map(|r| r[0].clone()).collect();
    assert_eq!(models, ["C", "a", "b"]);
    view.set_filter("c").unwrap();
    assert_eq!(cells(&view), [["C", "3.0", "y"]]);
    view.set_filter("X").unwrap();
    assert_eq!(
        view.len(),
        2,
        "matches the _source column too, ignoring case"
    );
    view.sort(&[key("price", false)]).unwrap();
    assert_eq!(
        cells(&view)[0],
        ["a", "1.0", "x"],
        "the filter survives a re-sort"
    );
}

#[test]
fn rows_formats_only_the_window_asked_for() {
    let ints = Int64Array::from_iter_values(0..1000);
    let schema = Schema::new(vec![Field::new("n", DataType::Int64, false)]);
    let b = [RecordBatch::try_new(Arc::new(schema), vec![Arc::new(ints)]).unwrap()];
    let view = TableView::build(&[("s", &b)], &MergeSpec::default(), "").unwrap();
    let window = view.rows(995, 10, &[0]).unwrap();
    assert_eq!(window.len(), 5);
    assert_eq!(window[0].1, ["995"]);
    assert!(view.rows(2000, 10, &[0]).unwrap().is_empty());
}

#[test]
fn marks_rows_not_in_the_previous_run() {
    let first = [batch(&["a", "b"], &[1.0, 2.0])];
    let before = TableView::build(&[("s", &first)], &MergeSpec::default(), "").unwrap();
    let second = [batch(&["a", "b"], &[1.0, 2.5])];
    let mut after = TableView::build(&[("s", &second)], &MergeSpec::default(), "").unwrap();
    after.mark_changed(&before.fingerprints().unwrap()).unwrap();
    let marks: Vec<bool> = after
        .rows(0, 10, &[0])
        .unwrap()
        .iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(marks, [false, true]);
    assert_eq!(after.changed_rows(), 1);
}

#[test]
fn case_insensitive_contains() {
    assert!(contains_lowercase("MacBook Pro", "book"));
    assert!(!contains_lowercase("Mac", "macbook"));
    assert!(contains_lowercase("Ärger", "ärg"));
}

#[test]
fn float_columns_show_aligned_decimals() {
    let b = [batch(&["x", "y"], &[349.0, 149.99])];
    let view = TableView::build(&[("s", &b)], &MergeSpec::default(), "").unwrap();
    let prices: Vec<String> = cells(&view).into_iter().map(|row| row[1].clone()).collect();
    assert_eq!(prices, ["349.00", "149.99"]);
}
