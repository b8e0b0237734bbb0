//! Fleet configs: expanding one `each` block to 10,000 sources and validating them, against
//! the 10,000 blocks written out one by one. Target (issue 9): ≤ 50 ms.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use scatter::config::Config;

const EACH: &str = r#"
[gather]
concurrency = 0
[[source]]
name = "shard-{region}-{n}"
kind = "postgres"
url = "postgres://reader:${PW}@db-{region}-{n}.internal:5432/shop"
tags = ["{region}", "prod"]
query = "SELECT count(*) FROM orders -- shard {n}"
each = { region = ["eu", "us"], n = "0001..5000" }
"#;

fn written_out() -> String {
    let mut text = String::from("[gather]\nconcurrency = 0\n");
    for region in ["eu", "us"] {
        for n in 1..=5000 {
            let _ = write!(
                text,
                "[[source]]\nname = \"shard-{region}-{n:04}\"\nkind = \"postgres\"\n\
                 url = \"postgres://reader:${{PW}}@db-{region}-{n:04}.internal:5432/shop\"\n\
                 tags = [\"{region}\", \"prod\"]\nquery = \"SELECT count(*) FROM orders -- shard {n:04}\"\n"
            );
        }
    }
    text
}

fn parse(text: &str) -> Config {
    Config::parse(Path::new("bench/fleet.toml"), text, &|_| Some("pw".into())).expect("parses")
}

fn bench(c: &mut Criterion) {
    assert_eq!(parse(EACH).sources.len(), 10_000);
    let long = written_out();
    assert_eq!(parse(&long).sources, parse(EACH).sources);
    let mut group = c.benchmark_group("fleet config (target <= 50 ms)");
    group.sample_size(20);
    group.bench_function("each to 10,000 sources", |b| {
        b.iter(|| black_box(parse(EACH)));
    });
    group.bench_function("10,000 blocks written out", |b| {
        b.iter(|| black_box(parse(&long)));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
