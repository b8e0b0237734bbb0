//! Faults from the user's side: the headless binary interrupted by Ctrl-C (SIGINT) or
//! stopped by SIGTERM in the middle of a gather, and a re-run started while the previous gather still runs (watch mode,
//! the dashboard's `r`). Either way the old statements stop on the servers, not only in the
//! client, and what finished is still reported.

mod common;
mod db_common;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{HEALTHY_ROWS, assert_healthy, healthy, lit};
use db_common::{config, first_int, outcome, running, unique};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use scatter::engine::{self, Plan};
use scatter::event::EventKind;
use scatter::source::{CancelReason, Outcome};
use tokio::sync::mpsc;

fn source(name: &str, kind: &str, url: &str, query: &str) -> String {
    format!(
        "[[source]]\nname = \"{name}\"\nkind = \"{kind}\"\nurl = {}\nquery = {}\n\
         timeout = \"20s\"\n",
        lit(url),
        lit(query)
    )
}

/// The binary, killed and reaped if the test ends (or fails) while it still runs.
struct Running(Option<Child>);

impl Running {
    fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("not finished")
    }

    /// Its exit status and output, once it has exited.
    fn finish(mut self) -> std::process::Output {
        let child = self.0.take().expect("not finished");
        child.wait_with_output().expect("output")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut()
            && matches!(child.try_wait(), Ok(None))
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_in_the_binary_prints_what_finished_and_stops_both_statements() {
    interrupt_the_binary(Signal::SIGINT, "cancelled by user").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_to_the_binary_prints_what_finished_and_stops_both_statements() {
    interrupt_the_binary(Signal::SIGTERM, "shutting down").await;
}

/// Runs `scatter --once` on a PostgreSQL `pg_sleep(30)`, a MariaDB `SLEEP(30)` and a healthy
/// sim; once both sleeps run on their servers, sends `sig`. The binary must exit promptly
/// with exit code 3, the two sleeps `cancelled` (`why`) and the sim's rows printed, and the
/// two statements must be gone from the servers.
async fn interrupt_the_binary(sig: Signal, why: &str) {
    let (Some(pg), Some(my)) = (
        db_common::url("SCATTER_TEST_PG_URL"),
        db_common::url("SCATTER_TEST_MYSQL_URL"),
    ) else {
        return;
    };
    let tag = sig.as_str().to_lowercase();
    let markers = (
        unique(&format!("fault_{tag}_pg")),
        unique(&format!("fault_{tag}_my")),
    );
    let markers = (markers.0.as_str(), markers.1.as_str());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sources.toml"),
        format!(
            "{}{}{}",
            source(
                "pg",
                "postgres",
                &pg,
                &format!("SELECT pg_sleep(30) AS {}", markers.0)
            ),
            source(
                "my",
                "mysql",
                &my,
                &format!("SELECT SLEEP(30) AS {}", markers.1)
            ),
            healthy("calm"),
        ),
    )
    .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_scatter"))
        .current_dir(dir.path())
        .args(["--once", "--format", "json", "--log-file"])
        .arg(dir.path().join("scatter.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut child = Running(Some(child));
    let started = Instant::now();
    let both = db_common::eventually(Duration::from_secs(8), async || {
        running(&pg, &my, markers).await == (1, 1)
    })
    .await;
    assert!(both, "both sleeps reach their servers");
    tokio::time::sleep(Duration::from_millis(500).saturating_sub(started.elapsed())).await;

    let pid = Pid::from_raw(i32::try_from(child.child().id()).expect("pid"));
    kill(pid, sig).expect("signal");
    let interrupted = Instant::now();
    let exited = common::wait_until(Duration::from_secs(8), || {
        matches!(child.child().try_wait(), Ok(Some(_)))
    });
    assert!(exited, "the binary exits after {sig}");
    let took = interrupted.elapsed();
    assert!(took < Duration::from_secs(5), "promptly: {took:?}");
    let output = child.finish();
    // Exit 3: a partial result was printed (the sim finished, the two sleeps were cancelled).
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    let state = |name: &str| {
        let s = v["sources"]
            .as_array()
            .expect("sources")
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {v}"));
        (s["state"].clone(), s["error"].clone())
    };
    assert_eq!(state("pg"), ("cancelled".into(), why.into()));
    assert_eq!(state("my"), ("cancelled".into(), why.into()));
    assert_eq!(state("calm"), ("ok".into(), serde_json::Value::Null));
    assert_eq!(v["total"], HEALTHY_ROWS);
    assert_eq!(v["rows"].as_array().map(Vec::len), Some(HEALTHY_ROWS));

    let gone = db_common::eventually(Duration::from_secs(1), async || {
        running(&pg, &my, markers).await == (0, 0)
    })
    .await;
    assert!(
        gone,
        "still running on the servers: {:?}",
        running(&pg, &my, markers).await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_supersedes_the_running_gather_and_stops_its_statements() {
    let (Some(pg), Some(my)) = (
        db_common::url("SCATTER_TEST_PG_URL"),
        db_common::url("SCATTER_TEST_MYSQL_URL"),
    ) else {
        return;
    };
    let markers = (unique("fault_rerun_pg"), unique("fault_rerun_my"));
    let markers = (markers.0.as_str(), markers.1.as_str());
    let cfg = config(&format!(
        "{}{}{}",
        source(
            "pg",
            "postgres",
            &pg,
            &format!("SELECT pg_sleep(30) AS {}", markers.0)
        ),
        source(
            "my",
            "mysql",
            &my,
            &format!("SELECT SLEEP(30) AS {}", markers.1)
        ),
        healthy("calm"),
    ));
    let plan = Arc::new(Plan::new(&cfg));
    let (events_tx, mut events_rx) = mpsc::channel::<scatter::event::Event>(engine::EVENT_CHANNEL);
    // The event drain -> the test: `calm` of the first gather has finished. Closed (dropped)
    // once sent; the drain runs on until both gathers' senders are gone.
    let (calm_tx, calm_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let mut calm_tx = Some(calm_tx);
        while let Some(event) = events_rx.recv().await {
            if event.generation == 1
                && let EventKind::Finished { report, .. } = &event.kind
                && report.name == "calm"
                && let Some(tx) = calm_tx.take()
            {
                let _ = tx.send(());
            }
        }
    });
    let first = engine::spawn(Arc::clone(&plan), 1, events_tx.clone());
    let both = db_common::eventually(Duration::from_secs(8), async || {
        running(&pg, &my, markers).await == (1, 1)
    })
    .await;
    assert!(both, "both sleeps reach their servers");
    // The servers can be quicker than `calm`'s 20 ms: supersede only once it is done, so that
    // it is the one source the cancel does not touch.
    tokio::time::timeout(Duration::from_secs(5), calm_rx)
        .await
        .expect("calm finishes")
        .expect("the drain reports it");

    // The re-run, as the dashboard does it: the old gather cancelled, a new one on the same
    // sources (so the same session pools) with the edited queries.
    first.cancel(CancelReason::Superseded);
    let superseded = Instant::now();
    let mut edited = (*plan).clone();
    edited.sources[0].query = "SELECT 2".into();
    edited.sources[1].query = "SELECT 3".into();
    let second = engine::spawn(Arc::new(edited), 2, events_tx);

    let old = tokio::time::timeout(Duration::from_secs(5), first.join())
        .await
        .expect("the superseded gather returns");
    for name in ["pg", "my"] {
        assert_eq!(
            outcome(&old, name),
            &Outcome::Cancelled(CancelReason::Superseded),
            "{name}"
        );
    }
    assert_healthy(&old, "calm");
    let gone = db_common::eventually(Duration::from_secs(1), async || {
        running(&pg, &my, markers).await == (0, 0)
    })
    .await;
    assert!(
        gone,
        "the superseded statements still run {:?} after {:?}",
        running(&pg, &my, markers).await,
        superseded.elapsed()
    );

    let new = tokio::time::timeout(Duration::from_secs(5), second.join())
        .await
        .expect("the re-run returns");
    assert_eq!(first_int(&new, "pg"), 2);
    assert_eq!(first_int(&new, "my"), 3);
    assert_healthy(&new, "calm");
    plan.cleanup.close();
    tokio::time::timeout(Duration::from_secs(8), plan.cleanup.wait())
        .await
        .expect("the cancels finish");
}
