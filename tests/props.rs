//! Property tests: merge keeps every row once, in order, under one schema; config parsing
//! never panics and every error names a line of the file.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_row::{RowConverter, SortField};
use arrow_schema::SortOptions;
use proptest::prelude::*;
use scatter::config::{Config, ConfigError};
use scatter::merge::{MergeSpec, SortKey, merge};

/// A column value as generated: its type varies per batch to exercise widening.
#[derive(Debug, Clone)]
enum Col {
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Text(Vec<Option<String>>),
    Bool(Vec<Option<bool>>),
}

fn col(rows: usize) -> impl Strategy<Value = Col> {
    prop_oneof![
        prop::collection::vec(prop::option::weighted(0.8, -5i64..5), rows).prop_map(Col::Int),
        prop::collection::vec(
            prop::option::weighted(0.8, (-5i32..5).prop_map(|x| f64::from(x) / 2.0)),
            rows
        )
        .prop_map(Col::Float),
        prop::collection::vec(prop::option::weighted(0.8, "[a-c]{0,2}"), rows).prop_map(Col::Text),
        prop::collection::vec(prop::option::weighted(0.8, any::<bool>()), rows).prop_map(Col::Bool),
    ]
}

fn array(c: Col) -> ArrayRef {
    match c {
        Col::Int(v) => Arc::new(Int64Array::from(v)),
        Col::Float(v) => Arc::new(Float64Array::from(v)),
        Col::Text(v) => Arc::new(StringArray::from(v)),
        Col::Bool(v) => Arc::new(BooleanArray::from(v)),
    }
}

/// A batch of `rows` rows with some of the columns `k1`, `k2`, `x` (random types), plus `id`.
fn batch() -> impl Strategy<Value = GenBatch> {
    (0usize..6).prop_flat_map(|rows| {
        let cols = prop::collection::vec(
            (prop::sample::select(vec!["k1", "k2", "x"]), col(rows)),
            0..4,
        );
        (
            Just(rows),
            cols.prop_map(|cs| {
                let mut seen = BTreeMap::new();
                for (n, c) in cs {
                    seen.entry(n.to_owned()).or_insert(c);
                }
                seen.into_iter().collect()
            }),
        )
    })
}

/// A generated batch: its row count and named columns.
type GenBatch = (usize, Vec<(String, Col)>);

fn sources() -> impl Strategy<Value = Vec<Vec<GenBatch>>> {
    prop::collection::vec(prop::collection::vec(batch(), 0..3), 1..4)
}

/// Builds record batches, giving every row a unique `id`.
fn build(sources: Vec<Vec<GenBatch>>) -> Vec<(String, Vec<RecordBatch>)> {
    let mut next = 0i64;
    sources
        .into_iter()
        .enumerate()
        .map(|(i, batches)| {
            let batches = batches
                .into_iter()
                .map(|(rows, cols)| {
                    let ids: Vec<i64> = (next..next + rows as i64).collect();
                    next += rows as i64;
                    let mut columns: Vec<(String, ArrayRef)> =
                        vec![("id".into(), Arc::new(Int64Array::from(ids)))];
                    columns.extend(cols.into_iter().map(|(n, c)| (n, array(c))));
                    RecordBatch::try_from_iter(columns).unwrap()
                })
                .collect();
            (format!("s{i}"), batches)
        })
        .collect()
}

fn keys() -> impl Strategy<Value = Vec<SortKey>> {
    prop::collection::vec(
        (
            prop::sample::select(vec!["k1", "k2", "x", "id"]),
            any::<bool>(),
        )
            .prop_map(|(c, descending)| SortKey {
                column: c.into(),
                descending,
            }),
        0..3,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn merge_keeps_every_row_once_in_order(input in sources(), sort in keys()) {
        let built = build(input);
        let refs: Vec<(&str, &[RecordBatch])> = built.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
        let spec = MergeSpec { sort: sort.clone(), ..MergeSpec::default() };
        let m = merge(&refs, &spec).unwrap();
        let schema = m.batch.schema();
        // One schema: unique names, `_source` last.
        let names: Vec<_> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        prop_assert_eq!(unique.len(), names.len());
        prop_assert_eq!(names.last().map(String::as_str), Some("_source"));
        // Every row once, from the right source.
        let mut want: Vec<(i64, String)> = Vec::new();
        for (name, batches) in &built {
            for b in batches {
                want.extend(b.column(0).as_primitive::<Int64Type>().values().iter().map(|id| (*id, name.clone())));
            }
        }
        want.sort();
        let mut got: Vec<(i64, String)> = if m.batch.num_rows() == 0 { Vec::new() } else {
            let ids = m.batch.column_by_name("id").unwrap().as_primitive::<Int64Type>();
            let src = arrow_cast::cast(m.batch.column_by_name("_source").unwrap(), &arrow_schema::DataType::Utf8).unwrap();
            let src = src.as_string::<i32>();
            ids.values().iter().zip(src.iter()).map(|(i, s)| (*i, s.unwrap().to_owned())).collect()
        };
        got.sort();
        prop_assert_eq!(got, want);
        prop_assert_eq!(m.total, m.batch.num_rows());
        // Sorted: each row's key tuple is <= the next one's, nulls last.
        let present: Vec<_> = sort.iter().filter(|k| m.batch.column_by_name(&k.column).is_some()).collect();
        if !present.is_empty() && m.batch.num_rows() > 1 {
            let cols: Vec<ArrayRef> = present.iter().map(|k| Arc::clone(m.batch.column_by_name(&k.column).unwrap())).collect();
            let fields = present.iter().zip(&cols).map(|(k, c)| {
                SortField::new_with_options(c.data_type().clone(), SortOptions { descending: k.descending, nulls_first: false })
            }).collect();
            let rows = RowConverter::new(fields).unwrap().convert_columns(&cols).unwrap();
            for i in 1..rows.num_rows() {
                prop_assert!(rows.row(i - 1) <= rows.row(i), "rows {} and {} out of order", i - 1, i);
            }
        }
    }

    #[test]
    fn dedupe_keeps_one_row_per_key(input in sources()) {
        let built = build(input);
        let refs: Vec<(&str, &[RecordBatch])> = built.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
        let all = merge(&refs, &MergeSpec::default()).unwrap();
        let spec = MergeSpec { dedupe: vec!["k1".into()], ..MergeSpec::default() };
        let m = merge(&refs, &spec).unwrap();
        let Some(k) = all.batch.column_by_name("k1") else {
            prop_assert_eq!(m.batch.num_rows(), all.batch.num_rows());
            return Ok(());
        };
        let text = arrow_cast::cast(k, &arrow_schema::DataType::Utf8).unwrap();
        let mut distinct: Vec<_> = text.as_string::<i32>().iter().map(|v| v.map(str::to_owned)).collect();
        distinct.sort();
        distinct.dedup();
        prop_assert_eq!(m.batch.num_rows(), distinct.len());
    }

    #[test]
    fn config_parsing_never_panics_and_errors_name_a_line(text in config_text()) {
        let lines = text.lines().count().max(1);
        match Config::parse(Path::new("p.toml"), &text, &|_| None) {
            Ok(_) => {}
            Err(ConfigError::Invalid { line, .. }) => prop_assert!((1..=lines + 1).contains(&line), "line {line} of {lines}"),
            Err(other) => prop_assert!(false, "unexpected error kind: {other}"),
        }
    }
}

/// Text near valid configs: lines drawn from real keys and values, plus noise.
fn config_text() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("[gather]".to_owned()),
        Just("[merge]".to_owned()),
        Just("[[source]]".to_owned()),
        Just("name = \"a\"".to_owned()),
        Just("name = \"b\"".to_owned()),
        Just("kind = \"sim\"".to_owned()),
        Just("kind = \"http\"".to_owned()),
        Just("kind = \"file\"".to_owned()),
        Just("url = \"http://x/${MISSING}\"".to_owned()),
        Just("path = \"a.csv\"".to_owned()),
        Just("timeout = \"3s\"".to_owned()),
        Just("timeout = \"-1s\"".to_owned()),
        Just("latency = \"5ms..1ms\"".to_owned()),
        Just("rows = 3".to_owned()),
        Just("rows = \"/x\"".to_owned()),
        Just("sort = [\"-\"]".to_owned()),
        Just("concurrency = -3".to_owned()),
        Just("fail = 2.0".to_owned()),
        Just("argv = []".to_owned()),
        "[a-z_]{1,8} = [0-9\"\\[\\]{}a-z.,]{0,10}",
        "\\PC{0,20}",
    ];
    prop::collection::vec(line, 0..12).prop_map(|ls| ls.join("\n"))
}
