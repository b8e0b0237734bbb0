//! The SQL step through the real binary: `--sql` and `[merge] sql` over file sources with
//! known rows, the `sql` object of the JSON output, the exit codes of each error path.

mod bin_common;

use bin_common::{json, scatter, stderr, stdout};

use std::path::Path;
use std::process::Output;

/// `scatter ARGS --only shard --sql SQL` in `dir`: the SQL over the shards alone.
fn over_shards(dir: &Path, args: &[&str], sql: &str) -> Output {
    scatter(dir, &[args, &["--only", "shard", "--sql", sql]].concat())
}

/// Two shards of products (3 and 4 rows), a catalog and an inventory, and `extra` config.
fn shop(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write("a.csv", "type,price\ntv,100\ntv,300\nphone,50\n");
    write(
        "b.csv",
        "type,price\ntv,200\nphone,70\nphone,90\nradio,10\n",
    );
    write("catalog.csv", "sku,model\nx1,Alpha\nx2,Beta\nx3,Gamma\n");
    write(
        "inventory.json",
        r#"[{"sku": "x3", "stock": 7}, {"sku": "x1", "stock": 2}]"#,
    );
    let config = format!(
        "[[source]]\nname = \"shard-a\"\nkind = \"file\"\npath = \"a.csv\"\ntags = [\"shard\"]\n\
         [[source]]\nname = \"shard-b\"\nkind = \"file\"\npath = \"b.csv\"\ntags = [\"shard\"]\n\
         [[source]]\nname = \"catalog-eu\"\nkind = \"file\"\npath = \"catalog.csv\"\n\
         tags = [\"shop\"]\n\
         [[source]]\nname = \"inventory\"\nkind = \"file\"\npath = \"inventory.json\"\n\
         tags = [\"shop\"]\n{extra}"
    );
    write("sources.toml", &config);
    dir
}

const PER_TYPE: &str = "SELECT type, count(*) AS n, sum(price) AS total, avg(price) AS mean \
                        FROM results GROUP BY type ORDER BY type";

#[test]
fn a_group_by_over_shards_sums_their_rows_and_says_what_it_covers() {
    let dir = shop("");
    let out = over_shards(dir.path(), &["--format", "json"], PER_TYPE);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(
        v["columns"],
        serde_json::json!(["type", "n", "total", "mean"])
    );
    assert_eq!(
        v["rows"],
        serde_json::json!([
            {"type": "phone", "n": 3, "total": 210, "mean": 70.0},
            {"type": "radio", "n": 1, "total": 10, "mean": 10.0},
            {"type": "tv", "n": 3, "total": 600, "mean": 200.0},
        ])
    );
    assert_eq!(v["total"], 3);
    let sql = &v["sql"];
    assert_eq!(sql["statement"], PER_TYPE);
    assert_eq!(sql["covers"], serde_json::json!({"sources": 2, "of": 2}));
    assert_eq!(sql["partial"], false);
    assert_eq!(sql["input_rows"], 7);
    assert_eq!(sql["error"], serde_json::Value::Null);
    assert_eq!(
        v["sources"].as_array().unwrap().len(),
        2,
        "per-source part unchanged"
    );
}

#[test]
fn a_partial_gather_still_runs_the_step_and_is_labelled_partial() {
    let dir = shop(
        "[[source]]\nname = \"shard-c\"\nkind = \"sim\"\nlatency = \"5ms\"\n\
         error = \"connection refused\"\ntags = [\"shard\"]\n",
    );
    let sql = "SELECT count(*) AS n FROM results";
    let out = over_shards(dir.path(), &["--format", "json"], sql);
    assert_eq!(out.status.code(), Some(3), "partial: {}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["rows"], serde_json::json!([{"n": 7}]));
    assert_eq!(v["sql"]["partial"], true);
    assert_eq!(
        v["sql"]["covers"],
        serde_json::json!({"sources": 2, "of": 3})
    );
    let table = scatter(dir.path(), &["--once", "--only", "shard", "--sql", sql]);
    let err = stderr(&table);
    assert!(
        err.contains("covers 2 of 3 sources (partial: 1 did not answer"),
        "{err}"
    );
}

#[test]
fn a_join_across_two_kinds_of_source() {
    let dir = shop(
        "[merge]\nsql = '''\nSELECT c.model, i.stock\nFROM \"catalog-eu\" c JOIN inventory i ON c.sku = i.sku\nORDER BY c.model\n'''\n",
    );
    let out = scatter(dir.path(), &["--format", "csv", "--only", "shop"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "model,stock\nAlpha,2\nGamma,7\n");
}

#[test]
fn sql_that_does_not_parse_is_a_usage_error_pointing_at_the_position() {
    let dir = shop("");
    let out = scatter(dir.path(), &["--once", "--sql", "SELECT type FORM results"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.starts_with("scatter: --sql: cannot parse the SQL: "),
        "{err}"
    );
    assert!(
        err.contains("\n  SELECT type FORM results\n                   ^ column 18"),
        "{err}"
    );
    let in_file = shop("[merge]\nsort = [\"price\"]\nsql = \"SELECT type FROM results WHERE\"\n");
    let out = scatter(in_file.path(), &["--once"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("sources.toml:"), "{err}");
    assert!(err.contains(": `sql`: cannot parse the SQL: "), "{err}");
}

#[test]
fn statements_that_write_are_refused_at_start_up() {
    let dir = shop("");
    for sql in [
        "DROP TABLE results",
        "INSERT INTO results VALUES ('x', 1)",
        "COPY results TO 'out.csv'",
    ] {
        let out = scatter(dir.path(), &["--once", "--sql", sql]);
        assert_eq!(out.status.code(), Some(2), "{sql}");
        assert!(
            stderr(&out).contains("is refused: the SQL step only reads"),
            "{sql}"
        );
    }
    assert!(!dir.path().join("out.csv").exists());
}

#[test]
fn sql_failing_at_run_time_fails_the_result_not_the_sources() {
    let dir = shop("");
    let out = over_shards(
        dir.path(),
        &["--format", "json"],
        "SELECT nope FROM results",
    );
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let v = json(&out);
    assert!(
        v["sources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["state"] == "ok")
    );
    assert_eq!(v["rows"], serde_json::json!([]));
    assert_eq!(v["total"], 0);
    let error = v["sql"]["error"].as_str().unwrap();
    assert!(error.contains("nope"), "{error}");
    let err = stderr(&out);
    assert!(err.contains("sql: failed, no result: "), "{err}");
    let zero = over_shards(dir.path(), &["--once"], "SELECT count(*) / 0 FROM results");
    assert_eq!(zero.status.code(), Some(5));
    assert!(
        stderr(&zero).to_lowercase().contains("divide by zero"),
        "{}",
        stderr(&zero)
    );
}

#[test]
fn merge_sort_and_limit_still_shape_results() {
    let dir = shop("[merge]\nsort = [\"-price\"]\nlimit = 2\n");
    let out = over_shards(
        dir.path(),
        &["--format", "csv"],
        "SELECT price, _source FROM results",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "price,_source\n300,shard-a\n200,shard-b\n");
}

#[test]
fn parquet_written_by_format_parquet_reads_back_with_the_same_rows_and_types() {
    let dir = shop("");
    std::fs::write(
        dir.path().join("more.csv"),
        "type,price,when,ok,weight\nlamp,12,2024-01-02,true,1.25\nlamp,,2024-03-04,false,\n",
    )
    .unwrap();
    let config = std::fs::read_to_string(dir.path().join("sources.toml")).unwrap()
        + "[[source]]\nname = \"more\"\nkind = \"file\"\npath = \"more.csv\"\ntags = [\"shard\"]\n";
    std::fs::write(dir.path().join("sources.toml"), config).unwrap();
    let args = ["--only", "shard", "--sort", "type,price"];
    let written = scatter(
        dir.path(),
        &[
            &args[..],
            &["--format", "parquet", "--output", "out.parquet"],
        ]
        .concat(),
    );
    assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
    let direct = json(&scatter(
        dir.path(),
        &[&args[..], &["--format", "json"]].concat(),
    ));

    let file = std::fs::File::open(dir.path().join("out.parquet")).unwrap();
    let reader =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let field_types: Vec<String> = reader
        .schema()
        .fields()
        .iter()
        .map(|f| format!("{}: {}", f.name(), f.data_type()))
        .collect();
    assert_eq!(
        field_types,
        [
            "type: Utf8",
            "price: Int64",
            "when: Date32",
            "ok: Boolean",
            "weight: Float64",
            "_source: Dictionary(Int32, Utf8)"
        ]
    );

    std::fs::write(
        dir.path().join("back.toml"),
        "[[source]]\nname = \"back\"\nkind = \"file\"\npath = \"out.parquet\"\n",
    )
    .unwrap();
    let back = json(&scatter(
        dir.path(),
        &[
            "-c",
            "back.toml",
            "--format",
            "json",
            "--sql",
            // The file's own `_source` is renamed on the way in: scatter adds its own.
            "SELECT type, price, \"when\", ok, weight, _source_2 AS _source FROM back",
        ],
    ));
    assert_eq!(back["columns"], direct["columns"]);
    assert_eq!(back["rows"], direct["rows"]);
    assert_eq!(back["rows"].as_array().unwrap().len(), 9);
    let typed = json(&scatter(
        dir.path(),
        &[
            "-c",
            "back.toml",
            "--format",
            "json",
            "--sql",
            "SELECT arrow_typeof(\"when\") AS w, arrow_typeof(_source_2) AS s, sum(price) AS p FROM back GROUP BY 1, 2",
        ],
    ));
    assert_eq!(
        typed["rows"],
        serde_json::json!([{"w": "Date32", "s": "Dictionary(Int32, Utf8)", "p": 832}])
    );
}
