//! Grouping by tag: each tag's members with their counts by state and latency percentiles,
//! and the panel's rows when grouped (tag lines in the spec's order, expanded ones followed by
//! their shown members).

use std::collections::HashSet;
use std::time::Duration;

use super::{Group, PanelRow, PanelSpec, SourceSort, directed, is_descending};
use crate::source::State;
use crate::tui::app::{SourceView, percentile};

/// Each tag's members, and the state counts and latency percentiles of those the filters
/// show (`shown`, per source): with the failure filter on, a tag's line counts its failures,
/// not the members the filter hides.
pub(super) fn groups(
    sources: &[SourceView],
    shown: &[bool],
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
    let mut latencies: Vec<Vec<Duration>> = vec![Vec::new(); tags];
    for (i, s) in sources.iter().enumerate() {
        let rank = State::ALL.iter().position(|&x| x == s.state).unwrap_or(0);
        for &t in &tags_of[i] {
            groups[t].members.push(i);
            if !shown[i] {
                continue;
            }
            groups[t].shown += 1;
            groups[t].counts[rank] += 1;
            if s.state.is_final()
                && let Some(l) = s.latency(elapsed)
            {
                latencies[t].push(l);
            }
        }
    }
    for (g, l) in groups.iter_mut().zip(&latencies) {
        g.p50 = percentile(l, 50);
        g.p95 = percentile(l, 95);
    }
    groups
}

/// Group lines in the spec's order, each expanded one followed by its shown members; groups
/// with no shown member are left out.
pub(super) fn rows(
    groups: &[Group],
    order: &[usize],
    tags_of: &[Vec<usize>],
    tags: &[String],
    spec: &PanelSpec,
    sources: &[SourceView],
) -> Vec<PanelRow> {
    let mut shown_in: Vec<Vec<usize>> = vec![Vec::new(); groups.len()];
    for &i in order {
        for &t in &tags_of[i] {
            shown_in[t].push(i);
        }
    }
    let mut tag_order: Vec<usize> = (0..groups.len())
        .filter(|&t| !shown_in[t].is_empty())
        .collect();
    let desc = is_descending(spec);
    let failed = |t: usize| {
        let c = &groups[t].counts;
        c[3] + c[4] + c[5]
    };
    let rows_of = |t: usize| -> u64 { shown_in[t].iter().map(|&i| sources[i].rows).sum() };
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
            rows.extend(shown_in[t].iter().map(|&i| PanelRow::Source(i)));
        }
    }
    rows
}
