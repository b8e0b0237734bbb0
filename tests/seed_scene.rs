//! End to end: `assets/seed-scene/load.sh` loads the catalogue into the four real servers
//! (the `postgres`, `mysql`, `redis` and `mongodb` kinds), then `scatter --once --format json`
//! runs `seed-scene.toml` and the sources' states and the merged, price-sorted rows are
//! checked.
//!
//! Needs all four of `SCATTER_TEST_PG_URL`, `SCATTER_TEST_MYSQL_URL`, `SCATTER_TEST_REDIS_URL`
//! and `SCATTER_TEST_MONGO_URL` (skipped with a printed reason otherwise; failing when
//! `SCATTER_REQUIRE_DB=1`).

mod db_common;
mod mongo_common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use mongo_common::with_database;
use serde_json::Value;

const SCENE: &str = "assets/seed-scene/seed-scene.toml";
const LOAD: &str = "assets/seed-scene/load.sh";

/// The URLs written in `seed-scene.toml`, and the variables that may point elsewhere.
const SERVERS: [(&str, &str, &str); 4] = [
    (
        "SCATTER_TEST_PG_URL",
        "SEED_PG_URL",
        "postgres://postgres@127.0.0.1:5432/test",
    ),
    (
        "SCATTER_TEST_MYSQL_URL",
        "SEED_MYSQL_URL",
        "mysql://root@127.0.0.1:3306/test",
    ),
    (
        "SCATTER_TEST_REDIS_URL",
        "SEED_REDIS_URL",
        "redis://127.0.0.1:6379",
    ),
    (
        "SCATTER_TEST_MONGO_URL",
        "SEED_MONGO_URL",
        "mongodb://127.0.0.1:27017/test",
    ),
];

/// The catalogues, each holding 8 products.
const STORES: [&str; 4] = [
    "catalog-pg",
    "catalog-mysql",
    "cache-redis",
    "catalog-mongo",
];

fn urls() -> Option<Vec<String>> {
    let mut out = Vec::new();
    for (var, _, _) in SERVERS {
        match std::env::var(var) {
            // The MongoDB test URL names a server; the scene reads its `test` database.
            Ok(url) if var == "SCATTER_TEST_MONGO_URL" => out.push(with_database(&url, "test")),
            Ok(url) if !url.is_empty() => out.push(url),
            _ => {
                assert!(
                    std::env::var("SCATTER_REQUIRE_DB").as_deref() != Ok("1"),
                    "SCATTER_REQUIRE_DB=1 but {var} is not set"
                );
                eprintln!("skipped: the seed scene needs {var} (and the other server URLs)");
                return None;
            }
        }
    }
    Some(out)
}

#[test]
fn the_seed_scene_gathers_four_stores_sorted_by_price() {
    let Some(urls) = urls() else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut load = Command::new(root.join(LOAD));
    for ((_, seed_var, _), url) in SERVERS.iter().zip(&urls) {
        load.env(seed_var, url);
    }
    let loaded = load.output().expect("load.sh runs");
    assert!(
        loaded.status.success(),
        "load.sh failed: {}",
        String::from_utf8_lossy(&loaded.stderr)
    );

    // The scene names the local servers; point it at the test's.
    let mut scene = std::fs::read_to_string(root.join(SCENE)).unwrap();
    for ((_, _, local), url) in SERVERS.iter().zip(&urls) {
        assert!(scene.contains(local), "{SCENE} names {local}");
        scene = scene.replace(local, url);
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("seed-scene.toml");
    std::fs::write(&config, scene).unwrap();

    let run = Command::new(env!("CARGO_BIN_EXE_scatter"))
        .arg("-c")
        .arg(&config)
        .args(["--once", "--format", "json"])
        .output()
        .expect("scatter runs");
    assert_eq!(
        run.status.code(),
        Some(3),
        "partial results exit 3; stderr: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let out: Value = serde_json::from_slice(&run.stdout).expect("JSON on stdout");

    let sources: BTreeMap<&str, (&str, u64, &str)> = out["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap(),
                (
                    s["state"].as_str().unwrap(),
                    s["rows"].as_u64().unwrap(),
                    s["error"].as_str().unwrap_or(""),
                ),
            )
        })
        .collect();
    for name in STORES {
        assert_eq!(sources[name], ("ok", 8, ""), "{name}");
    }
    let (state, _, error) = sources["search-api"];
    assert_eq!(state, "error");
    assert!(
        error.ends_with("cannot connect: Connection refused (os error 111)"),
        "{error}"
    );

    let rows = out["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 32);
    let prices: Vec<f64> = rows.iter().map(|r| r["price"].as_f64().unwrap()).collect();
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "{prices:?}");
    let pick = |r: &Value| {
        (
            r["model"].as_str().unwrap().to_owned(),
            r["price"].as_f64().unwrap(),
            r["_source"].as_str().unwrap().to_owned(),
        )
    };
    let expect =
        |model: &str, price: f64, source: &str| (model.to_owned(), price, source.to_owned());
    assert_eq!(pick(&rows[0]), expect("Arc Mouse", 59.99, "catalog-mongo"));
    assert_eq!(
        pick(&rows[1]),
        expect("DeathAdder V3", 69.99, "catalog-mysql")
    );
    assert_eq!(pick(&rows[2]), expect("Magic Mouse", 79.0, "cache-redis"));
    assert_eq!(pick(&rows[4]), expect("MX Master 3S", 99.99, "catalog-pg"));
    assert_eq!(
        pick(&rows[29]),
        expect("ThinkPad X1 Carbon", 1699.0, "catalog-pg")
    );
    assert_eq!(pick(&rows[30]), expect("X-T5", 1699.5, "catalog-mysql"));
    assert_eq!(pick(&rows[31]), expect("A7 IV", 2499.0, "catalog-pg"));
    for source in STORES {
        let n = rows.iter().filter(|r| r["_source"] == source).count();
        assert_eq!(n, 8, "{source}");
    }
    let mongo = rows
        .iter()
        .find(|r| r["_source"] == "catalog-mongo")
        .unwrap();
    assert_eq!(mongo["manufacturer"], "Microsoft", "the projected fields");
}
