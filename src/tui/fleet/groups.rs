//! Grouping by tag: each tag's members with their counts by state and latency percentiles,
//! and the panel's rows when grouped (tag lines in the spec's order, expanded ones followed by
//! their shown members).

use std::collections::HashSet;
use std::time::Duration;

use super::{Group, PanelRow, PanelSpec, SourceSort, directed, is_descending};
use crate::source::State;
use crate::tui::app::{SourceView, percentile_sorted};

/// Each tag's members, and those the filters show (`order`: the shown sources in the panel's
/// order) with their state counts and latency percentiles: with the failure filter on, a tag's
/// line counts its failures, not the members the filter hides.
pub(super) fn groups(
    sources: &[SourceView],
    order: &[usize],
    tags: usize,
    tags_of: &[Vec<usize>],
    elapsed: Duration,
) -> Vec<Group> {
    let mut groups: Vec<Group> = (0..tags)
        .map(|tag| Group {
            tag,
            ..Group::default()
        })
        .collect();
    for (i, tags) in tags_of.iter().enumerate() {
        for &t in tags {
            groups[t].members.push(i);
        }
    }
    let mut latencies: Vec<Vec<Duration>> = vec![Vec::new(); tags];
    for &i in order {
        let s = &sources[i];
        let rank = State::ALL.iter().position(|&x| x == s.state).unwrap_or(0);
        for &t in &tags_of[i] {
            groups[t].shown.push(i);
            groups[t].counts[rank] += 1;
            if s.state.is_final()
                && let Some(l) = s.latency(elapsed)
            {
                latencies[t].push(l);
            }
        }
    }
    for (g, l) in groups.iter_mut().zip(&mut latencies) {
        l.sort_unstable();
        g.p50 = percentile_sorted(l, 50);
        g.p95 = percentile_sorted(l, 95);
    }
    groups
}

/// Group lines in the spec's order, each expanded one followed by its shown members; groups
/// with no shown member are left out.
pub(super) fn rows(
    groups: &[Group],
    tags: &[String],
    spec: &PanelSpec,
    sources: &[SourceView],
) -> Vec<PanelRow> {
    let mut tag_order: Vec<usize> = (0..groups.len())
        .filter(|&t| !groups[t].shown.is_empty())
        .collect();
    let desc = is_descending(spec);
    let failed = |t: usize| {
        let c = &groups[t].counts;
        c[3] + c[4] + c[5]
    };
    let rows_of = |t: usize| -> u64 { groups[t].shown.iter().map(|&i| sources[i].rows).sum() };
    tag_order.sort_by(|&a, &b| {
        let by_name = tags[a].cmp(&tags[b]);
        match spec.sort {
            SourceSort::Latency => directed(groups[a].p95.cmp(&groups[b].p95), desc),
            SourceSort::State => directed(failed(b).cmp(&failed(a)), desc),
            SourceSort::Rows => directed(rows_of(a).cmp(&rows_of(b)), desc),
            SourceSort::Config | SourceSort::Name => directed(by_name, spec.reversed),
        }
        .then(by_name)
    });
    let expanded: HashSet<usize> = spec.expanded.iter().copied().collect();
    let mut rows = Vec::new();
    for t in tag_order {
        rows.push(PanelRow::Group(t));
        if expanded.contains(&t) {
            rows.extend(groups[t].shown.iter().map(|&i| PanelRow::Source(i)));
        }
    }
    rows
}
