//! Values on their way through the real binary: null spellings in CSV, timestamps with their
//! zone, and what JSON cannot hold.

mod bin_common;

use bin_common::{dir_with, scatter};

use std::path::Path;

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Rows as R and pandas write them: `NA` for a missing number, an empty field too.
const FLIGHTS: &str = "carrier,delay,origin\n\
    AA,12,JFK\n\
    UA,NA,EWR\n\
    DL,3,\n\
    B6,,JFK\n\
    WN,100,NA\n\
    AS,-7,SEA\n";

#[test]
fn a_csv_with_na_gaps_stays_numeric_and_sorts_as_numbers() {
    let dir = dir_with(
        "[[source]]\nname = \"flights\"\nkind = \"file\"\npath = \"flights.csv\"\n\
         nulls = [\"NA\", \"\"]\n",
        &[("flights.csv", FLIGHTS)],
    );
    let out = scatter(
        dir.path(),
        &["--once", "--format", "ndjson", "--sort", "-delay"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let delays: Vec<_> = rows.iter().map(|r| r["delay"].clone()).collect();
    // Numbers, largest first (100 before 12: not text order), nulls last.
    assert_eq!(
        delays,
        serde_json::json!([100, 12, 3, -7, null, null])
            .as_array()
            .unwrap()
            .clone()
    );
    let origins: Vec<_> = rows.iter().map(|r| r["origin"].clone()).collect();
    assert_eq!(
        origins[0],
        serde_json::Value::Null,
        "NA is null in text too"
    );
    assert_eq!(origins[2], serde_json::Value::Null, "so is the empty field");
}

#[test]
fn without_nulls_na_is_text_and_the_column_sorts_as_text() {
    let dir = dir_with(
        "[[source]]\nname = \"flights\"\nkind = \"file\"\npath = \"flights.csv\"\n",
        &[("flights.csv", FLIGHTS)],
    );
    let out = scatter(
        dir.path(),
        &["--once", "--format", "csv", "--sort", "delay"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let delays: Vec<String> = text(&out.stdout)
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().to_owned())
        .collect();
    // The empty field is null (last); "NA" made the column text.
    assert_eq!(delays, ["-7", "100", "12", "3", "NA", ""]);
}

#[test]
fn nulls_on_a_command_and_on_a_json_file() {
    let dir = dir_with(
        "[[source]]\nname = \"r\"\nkind = \"command\"\nformat = \"csv\"\n\
         argv = [\"cat\", \"flights.csv\"]\nnulls = [\"NA\"]\n",
        &[("flights.csv", "n,s\n1,a\nNA,\n2,NA\n")],
    );
    let out = scatter(dir.path(), &["--once", "--format", "json", "--sort", "n"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v["rows"].as_array().unwrap();
    let pairs: Vec<_> = rows
        .iter()
        .map(|r| (r["n"].clone(), r["s"].clone()))
        .collect();
    // With only "NA" listed, the empty field is an empty string, not null.
    assert_eq!(
        pairs,
        [
            (1.into(), "a".into()),
            (2.into(), serde_json::Value::Null),
            (serde_json::Value::Null, "".into()),
        ]
    );

    let dir = dir_with(
        "[[source]]\nname = \"j\"\nkind = \"file\"\npath = \"x.json\"\nnulls = [\"NA\"]\n",
        &[("x.json", "[]")],
    );
    let out = scatter(dir.path(), &["--once"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(
            "sources.toml:5: `nulls`: only CSV spells null as text; this source reads json"
        ),
        "{}",
        text(&out.stderr)
    );
}

/// The output of `--once --format <format>` over `path` read as a `file` source in `dir`.
fn read_file(dir: &Path, path: &str, format: &str) -> String {
    let config = format!("[[source]]\nname = \"t\"\nkind = \"file\"\npath = \"{path}\"\n");
    std::fs::write(dir.join("sources.toml"), config).unwrap();
    let out = scatter(dir, &["--once", "--format", format]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn a_timestamp_keeps_its_zone_in_every_text_output_and_round_trips() {
    let dir = dir_with(
        "",
        &[
            (
                "utc.csv",
                "id,at\n1,2013-01-01T10:00:00Z\n2,2013-01-01T12:30:00Z\n",
            ),
            (
                "paris.csv",
                "id,at\n1,2013-01-01T10:00:00+01:00\n2,2013-06-01 10:00:00+01:00\n",
            ),
            ("wall.csv", "id,at\n1,2013-01-01 10:00:00\n"),
        ],
    );
    for format in ["table", "csv", "ndjson", "json"] {
        let utc = read_file(dir.path(), "utc.csv", format);
        assert!(utc.contains("2013-01-01T10:00:00Z"), "{format}: {utc}");
        let paris = read_file(dir.path(), "paris.csv", format);
        assert!(
            paris.contains("2013-01-01T10:00:00+01:00"),
            "{format}: {paris}"
        );
        assert!(
            paris.contains("2013-06-01T10:00:00+01:00"),
            "{format}: {paris}"
        );
        // A time written without a zone is not given one.
        let wall = read_file(dir.path(), "wall.csv", format);
        assert!(wall.contains("2013-01-01T10:00:00"), "{format}: {wall}");
        assert!(
            !wall.contains("10:00:00Z") && !wall.contains("+00"),
            "{format}: {wall}"
        );
    }
    // Written as CSV and read back, the values are the same text.
    let once = read_file(dir.path(), "paris.csv", "csv");
    std::fs::write(dir.path().join("again.csv"), &once).unwrap();
    let twice = read_file(dir.path(), "again.csv", "csv");
    let values = |csv: &str| -> Vec<String> {
        csv.lines()
            .map(|l| l.split(',').take(2).collect::<Vec<_>>().join(","))
            .collect()
    };
    assert_eq!(values(&twice), values(&once));
}

#[test]
fn sources_in_different_zones_merge_as_instants_in_utc() {
    let dir = dir_with(
        "[[source]]\nname = \"utc\"\nkind = \"file\"\npath = \"utc.csv\"\n\
         [[source]]\nname = \"paris\"\nkind = \"file\"\npath = \"paris.csv\"\n",
        &[
            ("utc.csv", "at\n2013-01-01T10:00:00.250Z\n"),
            ("paris.csv", "at\n2013-01-01T10:00:00+01:00\n"),
        ],
    );
    let out = scatter(dir.path(), &["--once", "--format", "csv", "--sort", "at"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "at,_source\n2013-01-01T09:00:00Z,paris\n2013-01-01T10:00:00.250Z,utc\n"
    );
}

#[test]
fn json_outputs_say_that_nan_and_infinity_became_null() {
    let dir = dir_with(
        "query = \"SELECT 1.5 AS x, 9e999 AS big, -9e999 AS small\"\n\
         [[source]]\nname = \"lite\"\nkind = \"sqlite\"\npath = \"empty.sql\"\n",
        &[("empty.sql", "")],
    );
    let out = scatter(dir.path(), &["--once", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rows"][0]["big"], serde_json::Value::Null);
    let warnings: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    let said = |column: &str| {
        format!(
            "column `{column}`: 1 infinite written as null (JSON has no NaN or infinity; \
             --format csv keeps them)"
        )
    };
    assert_eq!(warnings, [said("big"), said("small")]);

    let out = scatter(dir.path(), &["--once", "--format", "ndjson"]);
    assert!(
        text(&out.stderr).contains(&said("big")),
        "{}",
        text(&out.stderr)
    );
    let out = scatter(dir.path(), &["--once", "--format", "csv"]);
    assert!(
        text(&out.stdout).contains("inf,-inf"),
        "{}",
        text(&out.stdout)
    );
    assert!(!text(&out.stderr).contains("written as null"));
}

#[test]
fn a_sorted_ndjson_result_warns_of_the_infinities_it_keeps_only() {
    let dir = dir_with(
        "query = \"SELECT 1.0 AS x UNION ALL SELECT 9e999 UNION ALL SELECT 2.0\"\n\
         [[source]]\nname = \"lite\"\nkind = \"sqlite\"\npath = \"empty.sql\"\n",
        &[("empty.sql", "")],
    );
    let warned = "column `x`: 1 infinite written as null";
    let out = scatter(dir.path(), &["--once", "--format", "ndjson", "--sort", "x"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "{\"x\":1.0,\"_source\":\"lite\"}\n{\"x\":2.0,\"_source\":\"lite\"}\n\
         {\"x\":null,\"_source\":\"lite\"}\n"
    );
    assert!(text(&out.stderr).contains(warned), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("3 rows from 1 of 1 sources"));

    let out = scatter(
        dir.path(),
        &[
            "--once", "--format", "ndjson", "--sort", "x", "--limit", "2",
        ],
    );
    assert_eq!(text(&out.stdout).lines().count(), 2);
    assert!(
        !text(&out.stderr).contains(warned),
        "the infinity is past the limit"
    );
    assert!(text(&out.stderr).contains("2 rows from 1 of 1 sources"));
}
