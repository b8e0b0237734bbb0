//! Faults: result columns as users write them, from every kind that names its own columns,
//! through the real binary. Repeated names (`SELECT a, a`), a column named `_source`, empty
//! names, names that differ only in case and very long names all reach the output: each
//! column keeps its place, and a renamed one comes with a warning saying so, per source and
//! in the top-level list, in the JSON output and on stderr.

mod bin_common;

use bin_common::scatter;

mod db_common;

use serde_json::Value;

/// The JSON output of one gather of `toml` (in a fresh directory holding `files`), and its
/// stderr.
fn gather(toml: &str, files: &[(&str, &str)]) -> (Value, String) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    std::fs::write(dir.path().join("sources.toml"), toml).unwrap();
    let out = scatter(dir.path(), &["--once", "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let json = serde_json::from_slice(&out.stdout).expect("one JSON object");
    (json, stderr)
}

fn source<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no source {name}"))
}

fn warnings(json: &Value, name: &str) -> Vec<String> {
    source(json, name)["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_owned())
        .collect()
}

/// The one row of source `name`, as (column, value) pairs that are not null.
fn row(json: &Value, name: &str) -> Vec<(String, Value)> {
    let rows = json["rows"].as_array().unwrap();
    let row = rows
        .iter()
        .find(|r| r["_source"] == name)
        .unwrap_or_else(|| panic!("no row from {name}"));
    row.as_object()
        .unwrap()
        .iter()
        .filter(|(k, v)| !v.is_null() && *k != "_source")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn pairs(want: &[(&str, Value)]) -> Vec<(String, Value)> {
    want.iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

#[test]
fn sqlite_and_files_keep_every_column_and_say_what_they_renamed() {
    let long = "n".repeat(300);
    let query =
        format!("SELECT 1 AS a, 2 AS a, 3 AS \"A\", 4 AS \"\", 'own' AS _source, 6 AS \"{long}\"");
    let toml = format!(
        "[[source]]\nname = \"lite\"\nkind = \"sqlite\"\npath = \"db.sql\"\nquery = '''{query}'''\n\
         [[source]]\nname = \"csv\"\nkind = \"file\"\npath = \"dup.csv\"\n\
         [[source]]\nname = \"json\"\nkind = \"file\"\npath = \"own.json\"\n"
    );
    let (json, stderr) = gather(
        &toml,
        &[
            ("db.sql", "CREATE TABLE t (x);\n"),
            ("dup.csv", "k,k,,_source\n10,20,30,csv-own\n"),
            ("own.json", r#"[{"_source": "mine", "k": 1}]"#),
        ],
    );
    assert_eq!(
        row(&json, "lite"),
        pairs(&[
            ("a", 1.into()),
            ("a_2", 2.into()),
            ("A", 3.into()),
            ("column_4", 4.into()),
            ("_source_2", "own".into()),
            (long.as_str(), 6.into()),
        ])
    );
    assert_eq!(
        warnings(&json, "lite"),
        [
            "column 2 repeats the name \"a\": shown as \"a_2\"",
            "column 4 has no name: shown as \"column_4\"",
            "\"_source\" is the column scatter adds: shown as \"_source_2\"",
        ]
    );
    // The merged table orders columns by first appearance (here: the sqlite source's).
    assert_eq!(
        row(&json, "csv"),
        pairs(&[
            ("_source_2", "csv-own".into()),
            ("k", 10.into()),
            ("k_2", 20.into()),
            ("column_3", 30.into()),
        ])
    );
    assert_eq!(warnings(&json, "csv").len(), 3);
    assert_eq!(
        row(&json, "json"),
        pairs(&[("_source_2", "mine".into()), ("k", 1.into())])
    );
    let all: Vec<&str> = json["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        all.contains(&"lite: column 2 repeats the name \"a\": shown as \"a_2\""),
        "{all:?}"
    );
    assert!(all.contains(&"json: \"_source\" is the column scatter adds: shown as \"_source_2\""));
    // The table output, with its summary on stderr, says the same.
    assert!(
        stderr.is_empty(),
        "JSON output keeps stderr quiet: {stderr}"
    );
}

#[test]
fn the_stderr_summary_lists_the_renames() {
    let toml = "[[source]]\nname = \"lite\"\nkind = \"sqlite\"\npath = \"db.sql\"\n\
                query = 'SELECT 1 AS a, 2 AS a'\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("db.sql"), "CREATE TABLE t (x);\n").unwrap();
    std::fs::write(dir.path().join("sources.toml"), toml).unwrap();
    let out = scatter(dir.path(), &["--once", "--format", "table"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.starts_with("a  a_2  _source"), "{stdout}");
    assert!(
        stderr.contains("warning: lite: column 2 repeats the name \"a\": shown as \"a_2\""),
        "{stderr}"
    );
}

#[test]
fn server_results_keep_every_column_and_say_what_they_renamed() {
    let (Some(pg), Some(my)) = (
        db_common::url("SCATTER_TEST_PG_URL"),
        db_common::url("SCATTER_TEST_MYSQL_URL"),
    ) else {
        return;
    };
    // PostgreSQL cuts names at 63 bytes itself, and has no empty names.
    let long = "n".repeat(63);
    let toml = format!(
        "[[source]]\nname = \"pg\"\nkind = \"postgres\"\nurl = \"{pg}\"\n\
         query = '''SELECT 1 AS a, 2 AS a, 3 AS \"A\", 5 AS _source, 6 AS {long}'''\n\
         [[source]]\nname = \"my\"\nkind = \"mysql\"\nurl = \"{my}\"\n\
         query = '''SELECT 1 AS a, 2 AS a, 3 AS `A`, 5 AS _source, 6 AS {long}'''\n"
    );
    let (json, _) = gather(&toml, &[]);
    for name in ["pg", "my"] {
        assert_eq!(
            row(&json, name),
            pairs(&[
                ("a", 1.into()),
                ("a_2", 2.into()),
                ("A", 3.into()),
                ("_source_2", 5.into()),
                (long.as_str(), 6.into()),
            ]),
            "{name}"
        );
        assert_eq!(
            warnings(&json, name),
            [
                "column 2 repeats the name \"a\": shown as \"a_2\"",
                "\"_source\" is the column scatter adds: shown as \"_source_2\"",
            ],
            "{name}"
        );
    }
}
