use std::time::Duration;

use super::*;
use crate::source::State;
use crate::tui::app::SourceView;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A source named `name` with `tags`, in `state`, started at 0 and (when final) finished
/// after `latency_ms`, with `rows` rows.
fn source(name: &str, tags: &[&str], state: State, latency_ms: u64, rows: u64) -> SourceView {
    let planned = crate::engine::PlannedSource::single(
        name,
        "sim",
        Duration::from_secs(3),
        Err(std::sync::Arc::new(crate::source::SourceError::Failed(
            "test".into(),
        ))),
    );
    let mut s = SourceView::new(&planned);
    s.tags = tags.iter().map(|&t| t.to_owned()).collect();
    s.state = state;
    s.rows = rows;
    if state != State::Pending {
        s.started = Some(Duration::ZERO);
    }
    if state.is_final() {
        s.finished = Some(ms(latency_ms));
    }
    s
}

fn fleet() -> Vec<SourceView> {
    vec![
        source("c", &["eu"], State::Ok, 30, 5),
        source("a", &["us"], State::Error, 5, 0),
        source("d", &["eu"], State::Running, 0, 2),
        source("b", &["us"], State::Ok, 90, 9),
        source("e", &[], State::Timeout, 3000, 0),
        source("f", &["eu"], State::Pending, 0, 0),
    ]
}

fn names(sources: &[SourceView], index: &PanelIndex) -> Vec<String> {
    index
        .rows
        .iter()
        .map(|r| match *r {
            PanelRow::Source(i) => sources[i].name.clone(),
            PanelRow::Group(g) => format!("#{g}"),
        })
        .collect()
}

fn build(sources: &[SourceView], spec: &PanelSpec) -> PanelIndex {
    let (tags, tags_of) = tag_list(sources);
    PanelIndex::build(sources, &tags, &tags_of, spec, ms(100))
}

#[test]
fn sorts_by_each_key_in_either_direction() {
    let s = fleet();
    let sorted = |sort, reversed| {
        let spec = PanelSpec {
            sort,
            reversed,
            ..PanelSpec::default()
        };
        names(&s, &build(&s, &spec))
    };
    assert_eq!(
        sorted(SourceSort::Config, false),
        ["c", "a", "d", "b", "e", "f"]
    );
    assert_eq!(
        sorted(SourceSort::Config, true),
        ["f", "e", "b", "d", "a", "c"]
    );
    // The running source's latency is live (100 ms so far); the pending one has none.
    assert_eq!(
        sorted(SourceSort::Latency, false),
        ["e", "d", "b", "c", "a", "f"]
    );
    assert_eq!(
        sorted(SourceSort::Latency, true),
        ["a", "c", "b", "d", "e", "f"]
    );
    assert_eq!(
        sorted(SourceSort::State, false),
        ["a", "e", "d", "f", "c", "b"]
    );
    assert_eq!(
        sorted(SourceSort::State, true),
        ["c", "b", "f", "d", "e", "a"]
    );
    assert_eq!(
        sorted(SourceSort::Name, false),
        ["a", "b", "c", "d", "e", "f"]
    );
    assert_eq!(
        sorted(SourceSort::Name, true),
        ["f", "e", "d", "c", "b", "a"]
    );
    assert_eq!(
        sorted(SourceSort::Rows, false),
        ["b", "c", "d", "a", "e", "f"]
    );
    assert_eq!(
        sorted(SourceSort::Rows, true),
        ["a", "e", "f", "d", "c", "b"],
        "ties in config order either way"
    );
}

#[test]
fn filters_by_state_and_text_and_counts_what_is_hidden() {
    let s = fleet();
    let shown = |state, text: &str| {
        let spec = PanelSpec {
            state,
            text: text.to_owned(),
            ..PanelSpec::default()
        };
        let index = build(&s, &spec);
        (names(&s, &index), index.hidden)
    };
    assert_eq!(
        shown(StateFilter::Failed, ""),
        (vec!["a".into(), "e".into()], 4)
    );
    assert_eq!(
        shown(StateFilter::Unfinished, ""),
        (vec!["d".into(), "f".into()], 4)
    );
    assert_eq!(
        shown(StateFilter::Ok, ""),
        (vec!["c".into(), "b".into()], 4)
    );
    assert_eq!(
        shown(StateFilter::Only(State::Timeout), ""),
        (vec!["e".into()], 5)
    );
    assert_eq!(
        shown(StateFilter::All, "us"),
        (vec!["a".into(), "b".into()], 4),
        "by tag"
    );
    assert_eq!(
        shown(StateFilter::Ok, "c"),
        (vec!["c".into()], 5),
        "both filters"
    );
    assert_eq!(shown(StateFilter::All, "no tag"), (vec!["e".into()], 5));
}

#[test]
fn groups_count_every_source_once_per_tag_and_expand() {
    let s = fleet();
    let (tags, _) = tag_list(&s);
    assert_eq!(tags, ["eu", "us", NO_TAG]);
    let mut spec = PanelSpec {
        grouped: true,
        sort: SourceSort::Latency,
        ..PanelSpec::default()
    };
    let index = build(&s, &spec);
    let total: usize = index
        .groups
        .iter()
        .map(|g| g.counts.iter().sum::<usize>())
        .sum();
    assert_eq!(
        total,
        s.len(),
        "one tag each: the groups add up to the sources"
    );
    for g in &index.groups {
        assert_eq!(g.counts.iter().sum::<usize>(), g.members.len());
        assert_eq!(g.shown.len(), g.members.len(), "no filter: all shown");
    }
    let eu = &index.groups[0];
    assert_eq!(eu.members, [0, 2, 5]);
    assert_eq!(
        (eu.p50, eu.p95),
        (Some(ms(30)), Some(ms(30))),
        "finished members only"
    );
    assert_eq!(names(&s, &index), ["#2", "#1", "#0"], "slowest p95 first");
    spec.expanded.insert(1);
    let index = build(&s, &spec);
    assert_eq!(names(&s, &index), ["#2", "#1", "b", "a", "#0"]);
    assert_eq!(index.position(PanelRow::Source(3)), Some(2));
    assert_eq!(index.position(PanelRow::Source(0)), None, "folded away");
}

#[test]
fn percentiles_and_histogram_of_a_known_set() {
    let s: Vec<SourceView> = (1..=100)
        .map(|i| source(&format!("s{i}"), &[], State::Ok, i * 10, 1))
        .chain([source("run", &[], State::Running, 0, 0)])
        .collect();
    let stats = FleetStats::build(&s, ms(5000));
    assert_eq!(stats.latencies.len(), 100);
    assert_eq!(stats.unfinished, 1);
    assert_eq!(stats.percentile(50), Some(ms(500)));
    assert_eq!(stats.percentile(90), Some(ms(900)));
    assert_eq!(stats.percentile(99), Some(ms(990)));
    assert_eq!(stats.max(), Some(ms(1000)));
    let bins = stats.histogram(10, ms(1000));
    assert_eq!(bins.iter().sum::<usize>(), 100);
    assert_eq!(bins[0], 9, "10..90 ms below the first edge at 100 ms");
    assert_eq!(bins[9], 11, "the last bin holds its edge and above");
    assert_eq!(
        stats.slowest[0], 100,
        "the running source, 5 s so far, is the slowest"
    );
    assert_eq!(stats.slowest[1], 99);
    assert_eq!(stats.slowest.len(), SLOWEST);
}

#[test]
fn concurrency_strip_counts_sources_running_at_once() {
    let mut s: Vec<SourceView> = (0..4)
        .map(|i| source(&format!("s{i}"), &[], State::Ok, 0, 0))
        .collect();
    // Two at a time: 0-100, 0-100, 100-200, 100-200 ms.
    for (i, v) in s.iter_mut().enumerate() {
        let start = ms(100 * (i as u64 / 2));
        v.started = Some(start);
        v.finished = Some(start + ms(100));
    }
    let strip = ConcurrencyStrip::build(&s, ms(200));
    assert_eq!(
        strip.peak, 2,
        "a slot handed on at 100 ms is not three at once"
    );
    assert_eq!(strip.most(ms(10), ms(90)), Some(2));
    assert_eq!(strip.most(ms(150), ms(190)), Some(2));
    assert_eq!(strip.most(ms(205), ms(209)), Some(0));
    assert_eq!(strip.most(strip.axis, strip.axis + ms(1)), None);
}

#[test]
fn with_a_filter_a_group_counts_only_what_it_shows() {
    let s = fleet();
    let spec = PanelSpec {
        grouped: true,
        state: StateFilter::Failed,
        ..PanelSpec::default()
    };
    let index = build(&s, &spec);
    let us = &index.groups[1];
    assert_eq!(us.members, [1, 3], "the tag keeps every member");
    assert_eq!(us.shown, [1], "only the failed one is shown");
    assert_eq!(us.counts.iter().sum::<usize>(), 1);
    let error = State::ALL.iter().position(|&x| x == State::Error).unwrap();
    assert_eq!(us.counts[error], 1);
    assert_eq!(
        (us.p50, us.p95),
        (Some(ms(5)), Some(ms(5))),
        "the shown one's latency"
    );
    assert_eq!(
        names(&s, &index),
        ["#2", "#1"],
        "eu shows nothing and is left out"
    );
}
