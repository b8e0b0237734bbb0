//! Fleet blocks through `Config::parse`: each form, their cross product, and every error,
//! message checked whole.

use std::path::{Path, PathBuf};

use crate::config::{Config, ConfigError, KindSpec};

fn env(name: &str) -> Option<String> {
    (name == "PW").then(|| "s3cret".to_owned())
}

/// A folder holding the config (and whatever files a test puts beside it).
struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Self {
        Self(tempfile::tempdir().expect("a temp dir"))
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn script(&self, name: &str, body: &str) {
        use std::os::unix::fs::PermissionsExt;
        let path = self.file(name, &format!("#!/bin/sh\n{body}\n"));
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn parse(&self, text: &str) -> Result<Config, ConfigError> {
        Config::parse(&self.0.path().join("sources.toml"), text, &env)
    }

    /// `e`'s message with this directory's path left out, as the tables of cases write it.
    fn message(&self, e: &ConfigError) -> String {
        let dir = format!("{}/", self.0.path().display());
        e.to_string().replace(&dir, "")
    }
}

fn names(c: &Config) -> Vec<&str> {
    c.sources.iter().map(|s| s.name.as_str()).collect()
}

#[test]
fn each_is_the_cross_product_in_written_order_and_fills_every_string() {
    let text = r#"
[[source]]
name = "{region}-{n}"
kind = "postgres"
url = "postgres://u:${PW}@db-{region}-{n}:5432/shop"
tags = ["{region}", "shard"]
query = "SELECT {n} AS shard"
each = { region = ["eu", "us"], n = "08..10" }
[[source]]
name = "api-{n}"
kind = "http"
url = "http://api-{n}/search?q={query}"
headers = { X-Shard = "{n}" }
method = "POST"
body = '{"shard": {n}, "q": "{query}"}'
each = { n = [1, 2] }
"#;
    let c = Dir::new().parse(text).unwrap();
    assert_eq!(
        names(&c),
        [
            "eu-08", "eu-09", "eu-10", "us-08", "us-09", "us-10", "api-1", "api-2"
        ]
    );
    let s = &c.sources[4];
    assert_eq!(
        s.kind,
        KindSpec::Postgres {
            url: "postgres://u:s3cret@db-us-09:5432/shop".into(),
            pool: 2
        }
    );
    assert_eq!(s.tags, ["us", "shard"]);
    assert_eq!(s.query.as_deref(), Some("SELECT 09 AS shard"));
    let KindSpec::Http {
        url, headers, body, ..
    } = &c.sources[7].kind
    else {
        panic!("http")
    };
    assert_eq!(url, "http://api-2/search?q={query}");
    assert_eq!(headers, &[("X-Shard".to_owned(), "2".to_owned())]);
    assert_eq!(body.as_deref(), Some(r#"{"shard": 2, "q": "{query}"}"#));
}

#[test]
fn glob_gives_one_source_per_file_sorted() {
    let dir = Dir::new();
    for f in [
        "stores/lyon.db",
        "stores/berlin.db",
        "stores/notes.txt",
        "stores/old.db/x",
    ] {
        dir.file(f, "");
    }
    let c = dir
        .parse("[[source]]\nname = \"store-{stem}\"\nkind = \"sqlite\"\nglob = \"stores/*.db\"\ntags = [\"{path}\"]\n")
        .unwrap();
    assert_eq!(names(&c), ["store-berlin", "store-lyon"]);
    let KindSpec::Sqlite { path } = &c.sources[0].kind else {
        panic!("sqlite")
    };
    assert!(
        path.ends_with("stores/berlin.db") && path.is_file(),
        "{}",
        path.display()
    );
    assert_eq!(c.sources[1].tags, ["stores/lyon.db"]);
}

#[test]
fn inventory_lines_fill_placeholders_and_override_keys() {
    let dir = Dir::new();
    dir.file(
        "hosts.ndjson",
        concat!(
            "{\"host\": \"a\", \"port\": 5432}\n",
            "\n",
            "{\"host\": \"b\", \"port\": 6543, \"tags\": [\"canary\"], \"enabled\": false}\n",
            "{\"host\": \"c\", \"port\": 1, \"url\": \"postgres://other/db\", \"timeout\": null}\n",
        ),
    );
    let block = "[[source]]\nname = \"pg-{host}\"\nkind = \"postgres\"\nurl = \"postgres://{host}:{port}/db\"\ntags = [\"prod\"]\ntimeout = \"2s\"\n";
    let c = dir
        .parse(&format!("{block}inventory_file = \"hosts.ndjson\"\n"))
        .unwrap();
    assert_eq!(names(&c), ["pg-a", "pg-b", "pg-c"]);
    let url = |i: usize| match &c.sources[i].kind {
        KindSpec::Postgres { url, .. } => url.clone(),
        _ => panic!("postgres"),
    };
    assert_eq!(url(0), "postgres://a:5432/db");
    assert_eq!(
        (c.sources[0].tags.clone(), c.sources[0].enabled),
        (vec!["prod".to_owned()], true)
    );
    assert_eq!(
        (c.sources[1].tags.clone(), c.sources[1].enabled),
        (vec!["canary".to_owned()], false)
    );
    assert_eq!(url(2), "postgres://other/db");
    assert_eq!(
        c.sources[0].timeout,
        Some(std::time::Duration::from_secs(2))
    );
    assert_eq!(c.sources[2].timeout, None, "null removes the key");

    dir.script(
        "list.sh",
        "echo '{\"host\": \"x\", \"port\": 1}'; echo '{\"host\": \"y\", \"port\": 2}'",
    );
    let c = dir
        .parse(&format!("{block}inventory = [\"./list.sh\"]\n"))
        .unwrap();
    assert_eq!(names(&c), ["pg-x", "pg-y"]);
}

#[test]
fn forms_combine_and_plain_blocks_are_untouched() {
    let dir = Dir::new();
    dir.file("list.ndjson", "{\"host\": \"a\"}\n{\"host\": \"b\"}\n");
    let text = "[[source]]\nname = \"{host}-{db}\"\nkind = \"sim\"\neach = { db = [\"x\", \"y\"] }\ninventory_file = \"list.ndjson\"\n[[source]]\nname = \"literal-{n}\"\nkind = \"sim\"\n";
    let c = dir.parse(text).unwrap();
    assert_eq!(names(&c), ["a-x", "b-x", "a-y", "b-y", "literal-{n}"]);
}

#[test]
fn fleet_errors_name_file_line_and_expansion() {
    let dir = Dir::new();
    dir.file("stores/a.db", "");
    dir.file("bad.ndjson", "{\"host\": \"a\"}\nhost=b\n");
    dir.file("typo.ndjson", "{\"hots\": \"a\"}\n");
    dir.file("types.ndjson", "{\"host\": \"a\", \"enabled\": \"yes\"}\n");
    dir.script(
        "fails.sh",
        "echo 'cmdb: 503 Service Unavailable' >&2; exit 7",
    );
    dir.script("hangs.sh", "sleep 30");
    let sim = "[[source]]\nname = \"s-{n}\"\nkind = \"sim\"\n";
    let inv = "[[source]]\nname = \"pg-{host}\"\nkind = \"sim\"\n";
    let cases: &[(String, &str)] = &[
        (
            format!("{sim}latency = \"{{lat}}\"\neach = {{ n = \"1..2\" }}\n"),
            "sources.toml:4: expansion (n = \"1\"): `latency`: undefined placeholder `{lat}` in \"{lat}\" (defined: n; write `{{lat}}` for the literal text)",
        ),
        (
            format!("{sim}each = {{ n = [] }}\n"),
            "sources.toml:4: `each.n`: is empty, so the block declares no source",
        ),
        (
            format!("{sim}each = {{ n = \"9..1\" }}\n"),
            "sources.toml:4: `each.n`: range \"9..1\" ends before it starts",
        ),
        (
            format!("{sim}each = {{ n = \"eu\" }}\n"),
            "sources.toml:4: `each.n`: \"eu\" is not a range such as \"01..64\" (a list is written [\"a\", \"b\"])",
        ),
        (
            format!("{sim}each = {{ n = [true] }}\n"),
            "sources.toml:4: `each.n`: expected a list of strings or integers, or a range such as \"01..64\"",
        ),
        (
            format!("{sim}each = [\"a\"]\n"),
            "sources.toml:4: `each`: expected a table such as { n = \"01..64\" }",
        ),
        (
            format!("{sim}latency = \"{{n}}\"\neach = {{ n = [\"5ms\", \"5x\"] }}\n"),
            "sources.toml:4: source \"s-5x\" (n = \"5x\"): `latency`: invalid duration \"5x\"",
        ),
        (
            "[[source]]\nname = \"s\"\nkind = \"sim\"\neach = { n = \"01..03\" }\n".into(),
            "sources.toml:2: source \"s\" (n = \"02\"): `name`: duplicate source name \"s\" (first declared on line 2)",
        ),
        (
            format!("{sim}each = {{ n = \"1..2\" }}\n[[source]]\nname = \"s-2\"\nkind = \"sim\"\n"),
            "sources.toml:6: `name`: duplicate source name \"s-2\" (first declared on line 2)",
        ),
        (
            format!("{sim}each = {{ n = \"1..2\" }}\nbogus = 1\n"),
            "sources.toml:5: expansion (n = \"1\"): unknown field `bogus`",
        ),
        (
            format!("{sim}each = {{ n = \"0..999\", m = \"0..999\" }}\n"),
            "sources.toml:1: the block declares 1000 x 1000 sources, more than the 100000 a block may",
        ),
        (
            "[[source]]\nname = \"f-{stem}\"\nkind = \"postgres\"\nglob = \"stores/*.db\"\n".into(),
            "sources.toml:4: `glob`: declares one source per file, for kinds sqlite and file; not for \"postgres\"",
        ),
        (
            "[[source]]\nname = \"f-{stem}\"\nkind = \"sqlite\"\nglob = \"nowhere/*.db\"\n".into(),
            "sources.toml:4: `glob`: \"nowhere/*.db\" matches no file (in ",
        ),
        (
            "[[source]]\nname = \"f-{path}\"\nkind = \"sqlite\"\nglob = \"stores/*.db\"\neach = { path = [\"x\"] }\n".into(),
            "sources.toml:1: placeholder `{path}` is defined twice",
        ),
        (
            format!("{inv}inventory_file = \"bad.ndjson\"\n"),
            "sources.toml:4: `inventory_file`: line 2 of bad.ndjson is not a JSON object: `host=b`",
        ),
        (
            format!("{inv}inventory_file = \"typo.ndjson\"\n"),
            "sources.toml:4: `inventory_file`: inventory line 1: unknown key `hots` (not a key of [[source]], and the block uses no `{hots}`)",
        ),
        (
            format!("{inv}inventory_file = \"types.ndjson\"\n"),
            "sources.toml:4: expansion (inventory line 1): invalid type: string \"yes\", expected a boolean",
        ),
        (
            format!("{inv}inventory_file = \"none.ndjson\"\n"),
            "sources.toml:4: `inventory_file`: cannot read none.ndjson: No such file or directory (os error 2)",
        ),
        (
            format!("{inv}inventory = [\"./fails.sh\", \"--prod\"]\n"),
            "sources.toml:4: `inventory`: `./fails.sh --prod` exited with status 7: cmdb: 503 Service Unavailable",
        ),
        (
            format!("{inv}timeout = \"300ms\"\ninventory = [\"./hangs.sh\"]\n"),
            "sources.toml:5: `inventory`: `./hangs.sh` did not finish within 300ms (the source's timeout) and was stopped",
        ),
        (
            format!("{inv}inventory = \"./list.sh\"\n"),
            "sources.toml:4: `inventory`: expected a program and its arguments, such as [\"./list.sh\", \"--prod\"]",
        ),
        (
            format!("{inv}inventory = [\"./a\"]\ninventory_file = \"b\"\n"),
            "sources.toml:5: `inventory` and `inventory_file`: give one, not both",
        ),
    ];
    for (text, want) in cases {
        let got = dir.message(&dir.parse(text).expect_err(text));
        assert!(
            got.starts_with(want),
            "for {text:?}\n got: {got}\nwant: {want}"
        );
    }
}

#[test]
fn ten_thousand_sources_from_one_block() {
    let c = Dir::new()
        .parse("[[source]]\nname = \"shard-{r}-{n}\"\nkind = \"sim\"\neach = { r = [\"a\", \"b\"], n = \"0001..5000\" }\n")
        .unwrap();
    assert_eq!(c.sources.len(), 10_000);
    assert_eq!(c.sources[9_999].name, "shard-b-5000");
    assert!(Path::new(&c.path).ends_with("sources.toml"));
}
