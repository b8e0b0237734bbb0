//! The tail keys: defaults, `[gather]` under a source's own, replicas per kind, and the
//! messages for bad values.

use std::path::Path;
use std::time::Duration;

use crate::config::{AttemptPolicy, Config, ConfigError, HedgeAfter, KindSpec};

const MS: Duration = Duration::from_millis(1);

fn parse(text: &str) -> Result<Config, ConfigError> {
    let env = |name: &str| (name == "PW").then(|| "s3cret".to_owned());
    Config::parse(Path::new("s.toml"), text, &env)
}

#[test]
fn gather_keys_are_defaults_that_a_source_overrides() {
    let c = parse(
        r#"
[gather]
retries = 2
backoff = "50ms"
hedge_after = "p95"
hedge_min = "20ms"
max_extra_load = 0.05
[[source]]
name = "a"
kind = "sim"
replicas = 2
tail = 0.02
tail_latency = "800ms"
seed = 7
[[source]]
name = "b"
kind = "sim"
retries = 0
replicas = 1
hedge_after = "30ms"
"#,
    )
    .unwrap();
    assert!((c.gather.max_extra_load - 0.05).abs() < f64::EPSILON);
    let gather = c.gather.attempts;
    assert_eq!(
        gather,
        AttemptPolicy {
            retries: 2,
            backoff: MS * 50,
            hedge_after: Some(HedgeAfter::P95),
            hedge_min: MS * 20,
        }
    );
    let a = &c.sources[0];
    assert_eq!(a.attempts.resolve(&gather), gather);
    let KindSpec::Sim(sim) = &a.kind else {
        panic!()
    };
    assert_eq!((sim.tail, sim.tail_latency), (0.02, MS * 800));
    let seeds: Vec<_> = a
        .replicas
        .iter()
        .map(|r| match r {
            KindSpec::Sim(s) => s.seed,
            _ => None,
        })
        .collect();
    assert_eq!(seeds, [Some(8), Some(9)], "independent copies");
    let b = c.sources[1].attempts.resolve(&gather);
    assert_eq!(b.retries, 0);
    assert_eq!(b.hedge_after, Some(HedgeAfter::Fixed(MS * 30)));
    let none = parse("[[source]]\nname = \"a\"\nkind = \"sim\"\n").unwrap();
    assert_eq!(none.gather.attempts, AttemptPolicy::default());
    assert!((none.gather.max_extra_load - crate::config::DEFAULT_MAX_EXTRA_LOAD).abs() < 1e-12);
}

#[test]
fn url_kinds_take_a_list_of_replica_urls() {
    let c = parse(
        r#"
[[source]]
name = "pg"
kind = "postgres"
url = "postgres://u:${PW}@a/db"
replicas = ["postgres://u:${PW}@b/db", "postgres://u:${PW}@c/db"]
"#,
    )
    .unwrap();
    let targets: Vec<_> = c.sources[0].replicas.iter().map(KindSpec::target).collect();
    assert_eq!(targets, ["postgres://u:***@b/db", "postgres://u:***@c/db"]);
    let KindSpec::Postgres { url, .. } = &c.sources[0].replicas[0] else {
        panic!()
    };
    assert_eq!(url, "postgres://u:s3cret@b/db");
}

#[test]
fn bad_tail_keys_name_the_line_and_the_value() {
    let src = "[[source]]\nname = \"a\"\n";
    let cases = [
        (
            format!("{src}kind = \"sim\"\nhedge_after = \"soon\"\nreplicas = 1\n"),
            "s.toml:4: `hedge_after`: invalid duration \"soon\" (expected number at 0); write e.g. \"3s\" or \"250ms\", or \"p95\" for the source's p95",
        ),
        (
            format!("{src}kind = \"sim\"\nhedge_after = \"50ms\"\n"),
            "s.toml:4: `hedge_after`: this source has no `replicas` to send a hedge to",
        ),
        (
            format!("{src}kind = \"sim\"\nreplicas = [\"x\"]\n"),
            "s.toml:4: `replicas`: for kind \"sim\", a count of copies, got [\"x\"]",
        ),
        (
            format!("{src}kind = \"redis\"\nurl = \"redis://a\"\nreplicas = 2\n"),
            "s.toml:5: `replicas`: a list of URLs, got 2",
        ),
        (
            format!("{src}kind = \"sqlite\"\npath = \"a.db\"\nreplicas = [\"b.db\"]\n"),
            "s.toml:5: `replicas` is not a key of kind \"sqlite\" (it takes: path)",
        ),
        (
            format!("{src}kind = \"sim\"\ntail = 2.0\n"),
            "s.toml:4: `tail`: a probability from 0.0 to 1.0, got 2",
        ),
        (
            format!("{src}kind = \"sim\"\nretries = -1\n"),
            "s.toml:4: `retries`: must be 0 or more, got -1",
        ),
        (
            "[gather]\nmax_extra_load = -0.5\n".to_owned(),
            "s.toml:2: `max_extra_load`: a share of the run's requests such as 0.05, got -0.5",
        ),
    ];
    for (text, want) in cases {
        let got = parse(&text).expect_err(&text).to_string();
        assert_eq!(got, want, "{text}");
    }
}
