//! Values on their way through the real binary: null spellings in CSV, timestamps with their
//! zone, and what JSON cannot hold.

use std::path::Path;
use std::process::{Command, Output};

fn scatter(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scatter"))
        .current_dir(dir)
        .args(args)
        .arg("--log-file")
        .arg(dir.join("scatter.log"))
        .output()
        .expect("the binary runs")
}

/// A temp dir holding `sources.toml` with `config` and each `(name, text)` file.
fn dir_with(config: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sources.toml"), config).unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

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
