use std::sync::Arc;

use arrow_array::{Array, ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_cast::display::{ArrayFormatter, FormatOptions};

use super::*;
use crate::merge::{self, MergeSpec};

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).unwrap()
}

fn products(types: &[&str], prices: &[f64]) -> RecordBatch {
    batch(vec![
        ("type", Arc::new(StringArray::from(types.to_vec()))),
        ("price", Arc::new(Float64Array::from(prices.to_vec()))),
    ])
}

/// Every row of `b` as text, cells joined by `|`.
fn rows(b: &RecordBatch) -> Vec<String> {
    let options = FormatOptions::default().with_null("-");
    let formatters: Vec<_> = b
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
        .collect();
    (0..b.num_rows())
        .map(|r| {
            formatters
                .iter()
                .map(|f| f.value(r).to_string())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

/// Merges `sources` and runs `sql` over them.
fn run(sql: &str, sources: &[(&str, Vec<RecordBatch>)]) -> Result<Vec<String>, SqlError> {
    let inputs: Vec<(&str, &[RecordBatch])> =
        sources.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    let merged = merge::merge(&inputs, &MergeSpec::default()).unwrap();
    let step = SqlStep::parse(sql)?;
    Ok(rows(&step.run_blocking(&merged.batch, &inputs)?.batch))
}

#[test]
fn counts_across_shards_are_summed_not_listed_per_shard() {
    let shards = [
        (
            "a",
            vec![products(&["tv", "tv", "phone"], &[1.0, 2.0, 3.0])],
        ),
        (
            "b",
            vec![products(&["tv", "phone", "phone"], &[4.0, 5.0, 6.0])],
        ),
        ("c", vec![products(&["tv"], &[7.0])]),
    ];
    let got = run(
        "SELECT type, count(*) AS n FROM results GROUP BY type ORDER BY type",
        &shards,
    )
    .unwrap();
    assert_eq!(got, ["phone|3", "tv|4"]);
}

#[test]
fn averages_are_over_all_rows_not_averages_of_averages() {
    // Shard a: one tv at 10; shard b: three at 20. The mean of the shards' means is 15; the
    // true mean is (10 + 60) / 4 = 17.5.
    let shards = [
        ("a", vec![products(&["tv"], &[10.0])]),
        (
            "b",
            vec![products(&["tv", "tv", "tv"], &[20.0, 20.0, 20.0])],
        ),
    ];
    let got = run("SELECT avg(price) AS mean FROM results", &shards).unwrap();
    assert_eq!(got, ["17.5"]);
}

#[test]
fn a_join_across_two_sources_by_their_table_names() {
    let catalog = batch(vec![
        ("sku", Arc::new(StringArray::from(vec!["x1", "x2", "x3"]))),
        (
            "model",
            Arc::new(StringArray::from(vec!["Alpha", "Beta", "Gamma"])),
        ),
    ]);
    let inventory = batch(vec![
        ("sku", Arc::new(StringArray::from(vec!["x3", "x1"]))),
        ("stock", Arc::new(Int64Array::from(vec![7, 2]))),
    ]);
    let got = run(
        r#"SELECT c.model, i.stock FROM "catalog-eu" c JOIN inventory i ON c.sku = i.sku
           ORDER BY c.model"#,
        &[
            ("catalog-eu", vec![catalog]),
            ("inventory", vec![inventory]),
        ],
    )
    .unwrap();
    assert_eq!(got, ["Alpha|2", "Gamma|7"]);
}

#[test]
fn results_has_the_source_column() {
    let shards = [
        ("a", vec![products(&["tv"], &[1.0])]),
        ("b", vec![products(&["tv", "tv"], &[2.0, 3.0])]),
    ];
    let got = run(
        "SELECT _source, sum(price) FROM results GROUP BY _source ORDER BY _source",
        &shards,
    )
    .unwrap();
    assert_eq!(got, ["a|1.0", "b|5.0"]);
}

#[test]
fn statements_that_are_not_queries_are_refused_by_kind() {
    let cases = [
        ("CREATE TABLE t (a INT)", "CREATE TABLE"),
        ("INSERT INTO results VALUES (1)", "INSERT INTO"),
        ("DELETE FROM results", "DELETE FROM"),
        ("UPDATE results SET price = 0", "UPDATE"),
        ("DROP TABLE results", "DROP TABLE"),
        ("COPY results TO '/tmp/x.csv'", "COPY"),
        (
            "CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '/etc/passwd'",
            "CREATE EXTERNAL TABLE",
        ),
        ("SET datafusion.execution.batch_size = 1", "SET"),
        ("SELECT * INTO t FROM results", "SELECT ... INTO"),
        ("EXPLAIN INSERT INTO results VALUES (1)", "INSERT INTO"),
    ];
    for (sql, kind) in cases {
        let e = SqlStep::parse(sql).unwrap_err();
        assert_eq!(
            e,
            SqlError::NotAQuery {
                kind: kind.to_owned()
            },
            "{sql}"
        );
        assert!(e.to_string().contains("only reads"), "{e}");
    }
    for query in [
        "SELECT 1",
        "WITH t AS (SELECT 1 AS a) SELECT a FROM t",
        "VALUES (1), (2)",
        "EXPLAIN SELECT 1",
    ] {
        SqlStep::parse(query).unwrap();
    }
}

#[test]
fn a_parse_error_quotes_the_statement_and_points_at_the_position() {
    let e = SqlStep::parse("SELECT type FORM results").unwrap_err();
    let text = e.to_string();
    assert!(text.starts_with("cannot parse the SQL: "), "{text}");
    assert!(
        text.ends_with("\n  SELECT type FORM results\n                   ^ column 18"),
        "{text}"
    );
    let several = SqlStep::parse("SELECT 1; SELECT 2").unwrap_err();
    assert_eq!(several, SqlError::Several { count: 2 });
    assert_eq!(SqlStep::parse("  ").unwrap_err(), SqlError::Empty);
}

#[test]
fn run_time_failures_say_what_failed() {
    let shards = [("a", vec![products(&["tv"], &[1.0])])];
    let unknown = run("SELECT typo FROM results", &shards).unwrap_err();
    assert!(
        matches!(&unknown, SqlError::Run { message } if message.contains("typo")),
        "{unknown}"
    );
    let zero = run("SELECT count(*) / 0 FROM results", &shards).unwrap_err();
    assert!(
        matches!(&zero, SqlError::Run { message } if message.to_lowercase().contains("divide by zero")),
        "{zero}"
    );
    let types = run("SELECT type + 1 FROM results", &shards).unwrap_err();
    assert!(matches!(types, SqlError::Run { .. }), "{types}");
    let table = run("SELECT * FROM nowhere", &shards).unwrap_err();
    assert!(table.to_string().contains("nowhere"), "{table}");
}

#[test]
fn columns_named_by_the_statement() {
    let step = SqlStep::parse("SELECT type, sum(\"Price\") FROM results GROUP BY 1").unwrap();
    assert!(step.columns().wants("type") && step.columns().wants("price"));
    assert!(!step.columns().wants("model"));
    for whole in [
        "SELECT * FROM results",
        "SELECT r.* FROM results r",
        "SELECT a FROM x NATURAL JOIN y",
    ] {
        assert_eq!(SqlStep::parse(whole).unwrap().columns(), &Columns::All);
    }
}

#[test]
fn strings_come_back_as_plain_utf8() {
    let shards = [("a", vec![products(&["tv"], &[1.0])])];
    let inputs: Vec<(&str, &[RecordBatch])> =
        shards.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    let merged = merge::merge(&inputs, &MergeSpec::default()).unwrap();
    let step = SqlStep::parse("SELECT upper(type) AS t, CAST(price AS VARCHAR) AS p FROM results")
        .unwrap();
    let out = step.run_blocking(&merged.batch, &inputs).unwrap().batch;
    for c in out.columns() {
        assert_eq!(c.data_type(), &arrow_schema::DataType::Utf8);
    }
    assert_eq!(rows(&out), ["TV|1.0"]);
    assert_eq!(out.column(0).len(), 1);
}

#[test]
fn coverage_counts_the_sources_that_ran() {
    let c = Coverage {
        answered: 14,
        of: 16,
    };
    assert!(c.is_partial());
    assert_eq!(
        c.to_string(),
        "covers 14 of 16 sources (partial: 2 did not answer; sums and counts leave their rows out)"
    );
    let all = Coverage { answered: 3, of: 3 };
    assert_eq!(all.to_string(), "covers 3 of 3 sources");
}
