use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn ok(after: u64) -> Task {
    Task {
        behaviour: Behaviour::Ends {
            after: ms(after),
            end: End::Ok,
        },
        timeout: ms(10_000),
    }
}

fn failing(after: u64) -> Task {
    Task {
        behaviour: Behaviour::Ends {
            after: ms(after),
            end: End::Error {
                message: "boom".into(),
                transient: false,
            },
        },
        timeout: ms(10_000),
    }
}

fn cut(ran: u64, timeout: u64) -> Task {
    Task {
        behaviour: Behaviour::AtLeast { ran: ms(ran) },
        timeout: ms(timeout),
    }
}

fn limits(deadline: Option<u64>, concurrency: usize, mode: Mode) -> GatherLimits {
    GatherLimits {
        deadline: deadline.map(ms),
        concurrency,
        mode,
    }
}

fn run(tasks: &[Task], limits: GatherLimits) -> Schedule {
    let order: Vec<usize> = (0..tasks.len()).collect();
    let names: Vec<String> = (0..tasks.len()).map(|i| format!("s{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    schedule(tasks, &order, limits, &names)
}

fn starts(s: &Schedule) -> Vec<Option<u64>> {
    s.runs
        .iter()
        .map(|r| r.started.map(|d| d.as_millis() as u64))
        .collect()
}

#[test]
fn unlimited_sources_all_start_at_once_and_the_gather_lasts_as_long_as_the_slowest() {
    let s = run(
        &[ok(30), ok(10), failing(20)],
        limits(None, 0, Mode::Partial),
    );
    assert_eq!(starts(&s), vec![Some(0); 3]);
    assert_eq!(s.elapsed, ms(30));
    assert!(s.runs[2].fate.is_failure());
    assert!(!s.aborted);
}

#[test]
fn a_concurrency_limit_queues_sources_behind_the_first_to_finish() {
    let tasks = [ok(100), ok(50), ok(30), ok(10), ok(10)];
    let s = run(&tasks, limits(None, 2, Mode::Partial));
    // 0 and 1 start; 1 ends at 50 and 2 takes its slot; 2 ends at 80, 3 starts; 0 ends at
    // 100... 3 ends at 90 and 4 starts at 90, ends at 100.
    assert_eq!(
        starts(&s),
        vec![Some(0), Some(0), Some(50), Some(80), Some(90)]
    );
    assert_eq!(s.elapsed, ms(100));
    assert!(s.runs.iter().all(|r| r.fate == Fate::Ok));
}

#[test]
fn a_deadline_times_out_exactly_the_sources_not_done_by_it_and_those_still_queued() {
    let tasks = [ok(10), ok(40), ok(41), ok(100), ok(5)];
    let s = run(&tasks, limits(Some(40), 4, Mode::Partial));
    let deadline = Fate::Timeout {
        limit: ms(40),
        by_deadline: true,
    };
    // 4 starts at 10 when 0 ends, and ends at 15.
    assert_eq!(
        s.runs.iter().map(|r| &r.fate).collect::<Vec<_>>(),
        vec![&Fate::Ok, &Fate::Ok, &deadline, &deadline, &Fate::Ok]
    );
    assert_eq!(s.runs[2].finished, ms(40));
    assert_eq!(s.elapsed, ms(40));
    let s = run(&tasks, limits(Some(40), 1, Mode::Partial));
    assert_eq!(starts(&s), vec![Some(0), Some(10), None, None, None]);
    assert_eq!(s.runs[4].fate, deadline);
}

#[test]
fn a_source_timeout_cuts_a_slow_source_at_its_limit() {
    let mut slow = ok(500);
    slow.timeout = ms(200);
    let s = run(&[slow, ok(10)], limits(None, 1, Mode::Partial));
    assert_eq!(
        s.runs[0].fate,
        Fate::Timeout {
            limit: ms(200),
            by_deadline: false
        }
    );
    assert_eq!(starts(&s), vec![Some(0), Some(200)]);
}

#[test]
fn fail_fast_cancels_the_running_and_the_queued_at_the_first_failure() {
    let tasks = [ok(100), failing(20), ok(5), ok(5)];
    let s = run(&tasks, limits(None, 3, Mode::FailFast));
    assert!(s.aborted);
    let cancelled = Fate::Cancelled("fail-fast: s1 failed".into());
    // 2 ends at 5 and 3 runs 5..10; 1 fails at 20 while 0 still runs.
    assert_eq!(s.runs[0].fate, cancelled);
    assert_eq!(s.runs[0].finished, ms(20));
    assert_eq!(s.runs[2].fate, Fate::Ok);
    assert_eq!(s.runs[3].fate, Fate::Ok);
    assert_eq!(s.elapsed, ms(20));
}

#[test]
fn a_cut_off_source_is_cut_again_under_a_limit_no_longer_than_it_ran_and_unknown_above() {
    // Timed out at 200 ms in the recording.
    let s = run(&[cut(200, 200)], limits(None, 0, Mode::Partial));
    assert_eq!(
        s.runs[0].fate,
        Fate::Timeout {
            limit: ms(200),
            by_deadline: false
        }
    );
    let s = run(&[cut(200, 100)], limits(None, 0, Mode::Partial));
    assert!(matches!(s.runs[0].fate, Fate::Timeout { limit, .. } if limit == ms(100)));
    // A longer timeout: the recording cannot say; the slot is held to the limit.
    let s = run(&[cut(200, 1000), ok(1)], limits(None, 1, Mode::Partial));
    assert_eq!(
        s.runs[0].fate,
        Fate::Unknown {
            ran: ms(200),
            limit: ms(1000)
        }
    );
    assert_eq!(starts(&s), vec![Some(0), Some(1000)]);
    // Under a deadline: known when the deadline comes before what was seen.
    let s = run(&[cut(200, 1000)], limits(Some(150), 0, Mode::Partial));
    assert!(matches!(
        s.runs[0].fate,
        Fate::Timeout {
            by_deadline: true,
            ..
        }
    ));
    let s = run(&[cut(200, 1000)], limits(Some(500), 0, Mode::Partial));
    assert!(matches!(s.runs[0].fate, Fate::Unknown { limit, .. } if limit == ms(500)));
}

#[test]
fn an_unknown_outcome_does_not_trigger_fail_fast() {
    let s = run(&[cut(200, 1000), ok(300)], limits(None, 0, Mode::FailFast));
    assert!(!s.aborted);
    assert_eq!(s.runs[1].fate, Fate::Ok);
}

#[test]
fn skipped_sources_take_no_slot_and_queue_order_is_followed() {
    let tasks = [
        ok(10),
        Task {
            behaviour: Behaviour::Skipped("disabled".into()),
            timeout: ms(1),
        },
        ok(10),
    ];
    let names = ["a", "b", "c"];
    let s = schedule(&tasks, &[2, 1, 0], limits(None, 1, Mode::Partial), &names);
    assert_eq!(starts(&s), vec![Some(10), None, Some(0)]);
    assert_eq!(s.runs[1].fate, Fate::Skipped("disabled".into()));
    assert_eq!(s.elapsed, ms(20));
}
