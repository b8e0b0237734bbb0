//! Merge: schema union and widening, sort order with nulls and descending keys, dedupe, limit.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::DataType;

use super::*;

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).unwrap()
}

fn ints(v: &[Option<i64>]) -> ArrayRef {
    Arc::new(Int64Array::from(v.to_vec()))
}

fn texts(v: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringArray::from(v.to_vec()))
}

fn key(column: &str, descending: bool) -> SortKey {
    SortKey {
        column: column.into(),
        descending,
    }
}

fn strings(b: &RecordBatch, col: &str) -> Vec<Option<String>> {
    let c = arrow_cast::cast(b.column_by_name(col).unwrap(), &DataType::Utf8).unwrap();
    c.as_string::<i32>()
        .iter()
        .map(|s| s.map(str::to_owned))
        .collect()
}

#[test]
fn widening_rules() {
    use DataType::{Boolean, Date32, Float32, Float64, Int32, Int64, Null, Utf8};
    use arrow_schema::TimeUnit::{Microsecond, Millisecond, Second};
    let stamp = |unit, zone: Option<&str>| DataType::Timestamp(unit, zone.map(Into::into));
    let cases = [
        (Int32, Int64, Int64),
        (Int64, Float32, Float64),
        (Float64, DataType::Decimal128(10, 2), Float64),
        (Null, Boolean, Boolean),
        (Int64, Utf8, Utf8),
        (Boolean, Int64, Utf8),
        (Date32, Utf8, Utf8),
        (Utf8, Utf8, Utf8),
        (
            stamp(Second, Some("+02:00")),
            stamp(Second, Some("+02:00")),
            stamp(Second, Some("+02:00")),
        ),
        (
            stamp(Second, Some("+02:00")),
            stamp(Millisecond, Some("+00:00")),
            stamp(Millisecond, Some("+00:00")),
        ),
        (
            stamp(Microsecond, None),
            stamp(Second, None),
            stamp(Microsecond, None),
        ),
        (stamp(Second, None), stamp(Second, Some("+00:00")), Utf8),
    ];
    for (a, b, want) in cases {
        assert_eq!(widen(&a, &b), want, "{a} + {b}");
        assert_eq!(widen(&b, &a), want, "{b} + {a}");
    }
}

#[test]
fn union_orders_columns_by_first_appearance_and_adds_source_last() {
    let a = batch(vec![
        ("price", ints(&[Some(1)])),
        ("model", texts(&[Some("x")])),
    ]);
    let b = batch(vec![
        ("model", texts(&[Some("y")])),
        ("price", Arc::new(Float64Array::from(vec![2.5]))),
        ("extra", ints(&[Some(9)])),
    ]);
    let m = merge(&[("a", &[a]), ("b", &[b])], &MergeSpec::default()).unwrap();
    let names: Vec<_> = m
        .batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(names, ["price", "model", "extra", "_source"]);
    assert_eq!(
        m.batch
            .column(0)
            .as_primitive::<Float64Type>()
            .values()
            .to_vec(),
        vec![1.0, 2.5]
    );
    assert_eq!(strings(&m.batch, "extra"), [None, Some("9".into())]);
    assert_eq!(
        strings(&m.batch, "_source"),
        [Some("a".into()), Some("b".into())]
    );
}

#[test]
fn conflicting_types_widen_to_text_without_losing_values() {
    let a = batch(vec![("v", ints(&[Some(10)]))]);
    let b = batch(vec![("v", texts(&[Some("ten")]))]);
    let m = merge(&[("a", &[a]), ("b", &[b])], &MergeSpec::default()).unwrap();
    assert_eq!(
        strings(&m.batch, "v"),
        [Some("10".into()), Some("ten".into())]
    );
}

#[test]
fn sort_is_multi_key_with_descending_keys_and_nulls_last() {
    let a = batch(vec![
        ("price", ints(&[Some(3), None, Some(1), Some(3), Some(1)])),
        (
            "model",
            texts(&[Some("a"), Some("z"), Some("b"), Some("c"), None]),
        ),
    ]);
    let spec = MergeSpec {
        sort: vec![key("price", false), key("model", true)],
        ..MergeSpec::default()
    };
    let m = merge(&[("s", std::slice::from_ref(&a))], &spec).unwrap();
    let got: Vec<_> = strings(&m.batch, "price")
        .into_iter()
        .zip(strings(&m.batch, "model"))
        .collect();
    let want = [
        ("1", Some("b")),
        ("1", None),
        ("3", Some("c")),
        ("3", Some("a")),
    ];
    for (g, w) in got.iter().zip(want) {
        assert_eq!((g.0.as_deref(), g.1.as_deref()), (Some(w.0), w.1));
    }
    assert_eq!(got[4], (None, Some("z".into())), "null price sorts last");
    let desc = MergeSpec {
        sort: vec![key("price", true)],
        ..MergeSpec::default()
    };
    let m = merge(&[("s", &[a])], &desc).unwrap();
    let prices = m.batch.column(0).as_primitive::<Int64Type>();
    assert_eq!(
        prices.iter().collect::<Vec<_>>(),
        [Some(3), Some(3), Some(1), Some(1), None],
        "nulls last descending too"
    );
}

#[test]
fn dedupe_keeps_the_first_row_in_sort_order() {
    let a = batch(vec![
        ("model", texts(&[Some("x"), Some("y")])),
        ("price", ints(&[Some(5), Some(7)])),
    ]);
    let b = batch(vec![
        ("model", texts(&[Some("x"), Some("y")])),
        ("price", ints(&[Some(4), Some(9)])),
    ]);
    let spec = MergeSpec {
        sort: vec![key("price", false)],
        dedupe: vec!["model".into()],
        limit: 0,
    };
    let m = merge(&[("a", &[a]), ("b", &[b])], &spec).unwrap();
    assert_eq!(
        strings(&m.batch, "model"),
        [Some("x".into()), Some("y".into())]
    );
    assert_eq!(
        strings(&m.batch, "_source"),
        [Some("b".into()), Some("a".into())]
    );
    assert_eq!(m.total, 2);
}

#[test]
fn limit_keeps_the_top_rows_and_reports_the_total() {
    let a = batch(vec![(
        "n",
        ints(&[Some(5), Some(1), Some(4), Some(2), Some(3)]),
    )]);
    let spec = MergeSpec {
        sort: vec![key("n", false)],
        limit: 2,
        ..MergeSpec::default()
    };
    let m = merge(&[("a", std::slice::from_ref(&a))], &spec).unwrap();
    assert_eq!(strings(&m.batch, "n"), [Some("1".into()), Some("2".into())]);
    assert_eq!(m.total, 5);
    let with_dedupe = MergeSpec {
        dedupe: vec!["n".into()],
        ..spec
    };
    assert_eq!(
        merge(&[("a", &[a])], &with_dedupe)
            .unwrap()
            .batch
            .num_rows(),
        2
    );
}

#[test]
fn unknown_sort_and_dedupe_columns_warn_instead_of_failing() {
    let a = batch(vec![(
        "n",
        Arc::new(Int32Array::from(vec![2, 1])) as ArrayRef,
    )]);
    let spec = MergeSpec {
        sort: vec![key("nope", false)],
        dedupe: vec!["gone".into()],
        limit: 0,
    };
    let m = merge(&[("a", &[a])], &spec).unwrap();
    assert_eq!(m.batch.num_rows(), 2);
    assert_eq!(
        m.warnings,
        [
            "sort: no column \"nope\" in the result",
            "dedupe: no column \"gone\" in the result"
        ]
    );
}

#[test]
fn no_input_gives_an_empty_table_with_only_source() {
    let m = merge(&[("a", &[])], &MergeSpec::default()).unwrap();
    assert_eq!(m.batch.num_rows(), 0);
    assert_eq!(m.batch.schema().fields().len(), 1);
}

#[test]
fn many_one_row_sources_keep_their_names_sorted_and_unsorted() {
    let names: Vec<String> = (0..500).map(|i| format!("shard-{i:03}")).collect();
    let batches: Vec<[RecordBatch; 1]> = (0..500)
        .map(|i| [batch(vec![("n", ints(&[Some(1000 - i)]))])])
        .collect();
    let inputs: Vec<(&str, &[RecordBatch])> = names
        .iter()
        .zip(&batches)
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let sorted = merge(
        &inputs,
        &MergeSpec {
            sort: vec![key("n", false)],
            ..MergeSpec::default()
        },
    )
    .unwrap();
    let source = strings(&sorted.batch, SOURCE_COLUMN);
    assert_eq!(source[0].as_deref(), Some("shard-499"));
    assert_eq!(source[499].as_deref(), Some("shard-000"));
    let by_source = merge(
        &inputs,
        &MergeSpec {
            sort: vec![key(SOURCE_COLUMN, true)],
            limit: 3,
            ..MergeSpec::default()
        },
    )
    .unwrap();
    assert_eq!(
        strings(&by_source.batch, "n"),
        [Some("501".into()), Some("502".into()), Some("503".into())]
    );
    assert_eq!(by_source.total, 500);
    let unsorted = merge(&inputs, &MergeSpec::default()).unwrap();
    assert_eq!(
        strings(&unsorted.batch, SOURCE_COLUMN)[7].as_deref(),
        Some("shard-007")
    );
    assert_eq!(unsorted.batch.schema().field(1).data_type(), &source_type());
}

#[test]
fn the_ordered_rows_chunk_by_chunk_are_the_merged_table() {
    let a = batch(vec![
        ("n", ints(&[Some(3), None, Some(1), Some(7)])),
        ("s", texts(&[Some("x"), Some("y"), None, Some("z")])),
    ]);
    let a2 = batch(vec![("n", ints(&[Some(2), Some(9)]))]);
    let b = batch(vec![
        (
            "n",
            Arc::new(Float64Array::from(vec![Some(2.5), None, Some(8.0)])) as ArrayRef,
        ),
        ("t", texts(&[Some("only b"), None, Some("b")])),
    ]);
    let inputs: [(&str, &[RecordBatch]); 2] = [("a", &[a, a2]), ("b", std::slice::from_ref(&b))];
    for limit in [0, 1, 4, 9, 20] {
        for descending in [false, true] {
            let spec = MergeSpec {
                sort: vec![key("n", descending), key(SOURCE_COLUMN, false)],
                limit,
                ..MergeSpec::default()
            };
            let whole = merge(&inputs, &spec).unwrap();
            let Rows::Ordered(ordered) = merge_rows(&inputs, &spec).unwrap() else {
                panic!("sorted, no dedupe");
            };
            assert_eq!(ordered.schema(), &whole.batch.schema());
            assert_eq!(ordered.num_rows(), whole.batch.num_rows(), "limit {limit}");
            assert_eq!(ordered.total, whole.total);
            for size in [1, 2, 3, 9] {
                let chunks: Vec<RecordBatch> = (0..ordered.num_rows())
                    .step_by(size)
                    .map(|at| {
                        ordered
                            .chunk(at, size.min(ordered.num_rows() - at))
                            .unwrap()
                    })
                    .collect();
                let joined =
                    arrow_select::concat::concat_batches(ordered.schema(), &chunks).unwrap();
                assert_eq!(
                    joined, whole.batch,
                    "limit {limit}, desc {descending}, {size}"
                );
            }
        }
    }
}

#[test]
fn only_a_sorted_merge_without_dedupe_is_ordered_lazily() {
    let a = batch(vec![("n", ints(&[Some(2), Some(1)]))]);
    let inputs: [(&str, &[RecordBatch]); 1] = [("a", std::slice::from_ref(&a))];
    let sorted = MergeSpec {
        sort: vec![key("n", false)],
        ..MergeSpec::default()
    };
    let ordered = |inputs: &[(&str, &[RecordBatch])], spec: &MergeSpec| {
        matches!(merge_rows(inputs, spec).unwrap(), Rows::Ordered(_))
    };
    assert!(ordered(&inputs, &sorted));
    let deduped = MergeSpec {
        dedupe: vec!["n".into()],
        ..sorted.clone()
    };
    assert!(!ordered(&inputs, &deduped), "dedupe needs the table");
    assert!(!ordered(&inputs, &MergeSpec::default()), "no sort");
    let absent = MergeSpec {
        sort: vec![key("nope", false)],
        ..MergeSpec::default()
    };
    assert!(!ordered(&inputs, &absent), "no key column");
    let Rows::Table(table) = merge_rows(&inputs, &absent).unwrap() else {
        panic!("no key column: the table");
    };
    assert_eq!(
        (table.batch.num_rows(), table.warnings),
        (2, vec!["sort: no column \"nope\" in the result".to_owned()]),
        "the table is built from the same pass, warned once"
    );
    assert!(!ordered(&[("a", &[])], &sorted), "no rows");
}
