//! Config parsing and validation, table-driven: each bad input and the exact message it gives.

use std::path::Path;
use std::time::Duration;

use super::*;

fn env(name: &str) -> Option<String> {
    match name {
        "PG_PASSWORD" => Some("s3cret".into()),
        _ => None,
    }
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(Path::new("conf/sources.toml"), text, &env)
}

fn error(text: &str) -> String {
    parse(text)
        .expect_err("the config should be refused")
        .to_string()
}

const SIM: &str = "[[source]]\nname = \"a\"\nkind = \"sim\"\n";

#[test]
fn shipped_demo_config_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("sources.toml");
    let config = Config::load(&path).expect("the demo sources.toml parses");
    assert_eq!(config.sources.len(), 7);
    assert_eq!(config.gather.timeout, Duration::from_secs(3));
    let names: Vec<_> = config.sources.iter().map(|s| s.kind.name()).collect();
    assert_eq!(
        names,
        ["sqlite", "sqlite", "file", "sim", "sim", "sim", "sim"]
    );
    for s in &config.sources {
        if let KindSpec::Sqlite { path } | KindSpec::File { path, .. } = &s.kind {
            assert!(
                path.is_file(),
                "{} points at a missing file {}",
                s.name,
                path.display()
            );
        }
    }
}

#[test]
fn full_config_resolves() {
    let text = r#"
query = "SELECT 1"
[gather]
timeout = "2s"
deadline = "5s"
concurrency = 0
mode = "fail-fast"
watch = "10s"
[merge]
sort = ["price", "-model"]
dedupe = ["model"]
limit = 5
[[source]]
name = "eu"
kind = "postgres"
url = "postgres://reader:${PG_PASSWORD}@db/shop"
timeout = "1s"
query = "SELECT 2"
tags = ["eu"]
[[source]]
name = "api"
kind = "http"
url = "http://127.0.0.1/search?q={query}"
method = "post"
headers = { Authorization = "Bearer ${PG_PASSWORD}" }
rows = "/items"
[[source]]
name = "cmd"
kind = "command"
argv = ["echo", "{query}"]
format = "csv"
[[source]]
name = "f"
kind = "file"
path = "data/x.jsonl"
enabled = false
[[source]]
name = "s"
kind = "sim"
latency = "20ms..900ms"
rows = 3
fail = 0.5
seed = 7
"#;
    let c = parse(text).unwrap();
    assert_eq!(c.gather.deadline, Some(Duration::from_secs(5)));
    assert_eq!(c.gather.concurrency, 0);
    assert_eq!(c.gather.mode, Mode::FailFast);
    assert_eq!(c.gather.watch, Some(Duration::from_secs(10)));
    assert_eq!(
        c.merge.sort[1],
        SortKey {
            column: "model".into(),
            descending: true
        }
    );
    assert_eq!(c.merge.limit, 5);
    assert_eq!(
        c.sources[0].kind,
        KindSpec::Postgres {
            url: "postgres://reader:s3cret@db/shop".into(),
            pool: 2
        }
    );
    assert_eq!(c.query_for(&c.sources[0]), "SELECT 2");
    assert_eq!(c.query_for(&c.sources[1]), "SELECT 1");
    let KindSpec::Http {
        method,
        headers,
        rows,
        ..
    } = &c.sources[1].kind
    else {
        panic!()
    };
    assert_eq!((*method, rows.as_str()), (HttpMethod::Post, "/items"));
    assert_eq!(headers[0], ("Authorization".into(), "Bearer s3cret".into()));
    assert_eq!(
        c.sources[3].kind,
        KindSpec::File {
            path: "conf/data/x.jsonl".into(),
            format: DataFormat::Ndjson,
            nulls: vec![String::new()],
        }
    );
    assert!(!c.sources[3].enabled);
    let KindSpec::Sim(sim) = &c.sources[4].kind else {
        panic!()
    };
    assert_eq!(
        sim.latency,
        (Duration::from_millis(20), Duration::from_millis(900))
    );
    assert_eq!((sim.rows, sim.fail, sim.seed), (3, 0.5, Some(7)));
}

#[test]
fn errors_name_file_line_and_value() {
    let cases: &[(&str, &str)] = &[
        (
            "[gather]\ntimeout = \"3x\"\n",
            "conf/sources.toml:2: `timeout`: invalid duration \"3x\"",
        ),
        (
            "[gather]\nmode = \"fast\"\n",
            "conf/sources.toml:2: `mode`: \"fast\" is not one of partial, fail-fast",
        ),
        (
            "[gather]\nconcurrency = -1\n",
            "conf/sources.toml:2: `concurrency`: must be 0 or more, got -1",
        ),
        (
            "[gather]\ntimout = \"3s\"\n",
            "conf/sources.toml:2: unknown field `timout`",
        ),
        ("bogus = 1\n", "conf/sources.toml:1: unknown field `bogus`"),
        (
            "[merge]\nsort = [\"-\"]\n",
            "conf/sources.toml:2: `sort`: \"-\" names no column",
        ),
        (
            "[[source]]\nname = \"a\"\nkind = \"mongo\"\n",
            "conf/sources.toml:3: `kind`: unknown kind \"mongo\"; expected one of postgres, mysql, sqlite, redis, mongodb, http, command, file, sim",
        ),
        (
            "[[source]]\nname = \"a\"\nkind = \"postgres\"\nurl = \"postgres://u:${NOPE}@h/db\"\n",
            "conf/sources.toml:4: `url`: environment variable `NOPE` is not set",
        ),
        (
            "[[source]]\nname = \"a\"\nkind = \"postgres\"\n",
            "conf/sources.toml:3: kind \"postgres\" needs `url`",
        ),
        (
            "[[source]]\nname = \"a\"\nkind = \"sim\"\nargv = [\"ls\"]\n",
            "conf/sources.toml:4: `argv` is not a key of kind \"sim\" (it takes: latency, rows, error, fail, hang, panic, seed, tail, tail_latency, replicas)",
        ),
        (
            "[[source]]\nname = \"a\"\nkind = \"sim\"\n[[source]]\nname = \"a\"\nkind = \"sim\"\n",
            "conf/sources.toml:5: `name`: duplicate source name \"a\"",
        ),
        (
            "[[source]]\nname = \"a\"\nkind = \"sim\"\nfail = 1.5\n",
            "conf/sources.toml:4: `fail`: a probability from 0.0 to 1.0, got 1.5",
        ),
        (
            "[[source]]\nname = \"a\"\nkind = \"sim\"\nlatency = \"9ms..1ms\"\n",
            "conf/sources.toml:4: `latency`: range \"9ms..1ms\" ends before it starts",
        ),
        (
            "[[source]]\nname = \"a\"\nkind = \"file\"\npath = \"x.xlsx\"\n",
            "conf/sources.toml:4: `path`: cannot tell the format of \"x.xlsx\" from its extension; use .csv, .json, .ndjson, .jsonl or .parquet",
        ),
        (
            "[[source]]\nname = \"a\"\nkind = \"http\"\nurl = \"http://x\"\nrows = 3\n",
            "conf/sources.toml:5: `rows`: expected a JSON pointer such as \"/data/items\", got 3",
        ),
        (
            "[[source]]\nname = \"a\"\nkind = \"command\"\nargv = [\"x\"]\nformat = \"xml\"\n",
            "conf/sources.toml:5: `format`: \"xml\" is not one of ndjson, csv, json",
        ),
        (
            "[[source]]\nname = \"a\"\nkind = \"sim\"\ntimeout = \"soon\"\n",
            "conf/sources.toml:4: `timeout`: invalid duration \"soon\"",
        ),
        (
            "[[source]]\nkind = \"sim\"\n",
            "conf/sources.toml:1: missing field `name`",
        ),
        ("query = \n", "conf/sources.toml:1: "),
        (
            "[gather]\ntimeout = \"1s\"\ntimeout = \"2s\"\n",
            "conf/sources.toml:3: duplicate key: `timeout`",
        ),
        (
            "[[source]]\nname = 5\nkind = \"sim\"\n",
            "conf/sources.toml:2: invalid type: integer `5`, expected a string",
        ),
    ];
    for (text, want) in cases {
        let got = error(text);
        assert!(
            got.starts_with(want),
            "for {text:?}\n got: {got}\nwant: {want}..."
        );
    }
}

#[test]
fn mongodb_sources_take_a_url_and_a_query_that_parses() {
    let head = "[[source]]\nname = \"m\"\nkind = \"mongodb\"\nurl = \"mongodb://u:${PG_PASSWORD}@h/shop\"\n";
    let ok = parse(&format!(
        "query = \"SELECT 1\"\n{head}query = '{{\"find\": \"products\", \"limit\": 2}}'\n"
    ))
    .unwrap();
    assert_eq!(
        ok.sources[0].kind,
        KindSpec::Mongodb {
            url: "mongodb://u:s3cret@h/shop".into()
        }
    );
    // A default query that is not JSON is checked when the source runs: the command line
    // may replace it.
    assert!(parse(&format!("query = \"SELECT 1\"\n{head}")).is_ok());
    let cases = [
        (
            format!("{head}query = '{{\"find\": \"p\" \"limit\": 2}}'\n"),
            "conf/sources.toml:5: `query`: not valid JSON at column 14: expected `,` or `}` (near `…find\": \"p\" \"limit\": 2}`)",
        ),
        (
            format!(
                "{head}query = \'\'\'\n{{\"find\": \"p\",\n \"filter\": {{\"a\": 1,}}}}\n\'\'\'\n"
            ),
            "conf/sources.toml:7: `query`: not valid JSON at column 20: trailing comma",
        ),
        (
            format!("{head}query = '{{\"drop\": \"p\"}}'\n"),
            "conf/sources.toml:5: `query`: \"drop\" is not a command this source sends",
        ),
        (
            format!("{head}pool = 2\n"),
            "conf/sources.toml:5: `pool` is not a key of kind \"mongodb\" (it takes: url, replicas)",
        ),
        (
            "[[source]]\nname = \"m\"\nkind = \"mongodb\"\n".to_owned(),
            "conf/sources.toml:3: kind \"mongodb\" needs `url`",
        ),
    ];
    for (text, want) in cases {
        let got = error(&text);
        assert!(
            got.starts_with(want),
            "for {text:?}\n got: {got}\nwant: {want}..."
        );
    }
}

#[test]
fn command_line_overrides_the_file() {
    let mut c = parse(&format!("[gather]\ntimeout = \"3s\"\nmode = \"fail-fast\"\n{SIM}tags = [\"t\"]\n[[source]]\nname = \"b\"\nkind = \"sim\"\n")).unwrap();
    c.apply(Overrides {
        query: Some("SELECT x".into()),
        timeout: Some(Duration::from_millis(500)),
        mode: Some(Mode::Partial),
        sort: Some(vec!["-price".into()]),
        limit: Some(3),
        only: vec!["t".into()],
        ..Overrides::default()
    })
    .unwrap();
    assert_eq!(c.query.as_deref(), Some("SELECT x"));
    assert_eq!(c.gather.timeout, Duration::from_millis(500));
    assert_eq!(c.gather.mode, Mode::Partial);
    assert_eq!(
        c.merge.sort,
        vec![SortKey {
            column: "price".into(),
            descending: true
        }]
    );
    assert_eq!(c.merge.limit, 3);
    assert_eq!(
        c.sources
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["a"]
    );
}

#[test]
fn only_with_an_unknown_name_is_an_error() {
    let mut c = parse(SIM).unwrap();
    let err = c
        .apply(Overrides {
            only: vec!["zzz".into()],
            ..Overrides::default()
        })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "--only: \"zzz\" is neither a source name nor a tag (sources: a)"
    );
}

#[test]
fn defaults_apply_when_sections_are_absent() {
    let c = parse(SIM).unwrap();
    assert_eq!(c.gather, GatherSettings::default());
    assert_eq!(c.merge, MergeSpec::default());
    let KindSpec::Sim(sim) = &c.sources[0].kind else {
        panic!()
    };
    assert_eq!(
        (sim.rows, sim.fail, sim.hang, sim.seed),
        (10, 0.0, false, None)
    );
}
