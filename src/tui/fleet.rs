//! The sources panel at fleet size: how the user asked to see the sources ([`PanelSpec`]:
//! sort key and direction, a state filter, a name-or-tag filter, grouping by tag) and the
//! index that says which rows are shown in which order ([`PanelIndex`]). The index is rebuilt
//! by the app when the spec changes and, while a gather streams in, at a throttled rate; a
//! frame only reads the rows on screen. Everything here is pure.

mod groups;
pub mod stats;

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::time::Duration;

pub use stats::{ConcurrencyStrip, FleetStats, SLOWEST};

use crate::source::State;
use crate::tui::app::SourceView;

/// What the sources are sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceSort {
    /// The order of the config.
    #[default]
    Config,
    /// Latency (live while running); natural direction: slowest first.
    Latency,
    /// State, worst first: error, timed out, cancelled, running, pending, ok, skipped.
    State,
    /// Name, A to Z.
    Name,
    /// Rows returned; natural direction: most first.
    Rows,
}

impl SourceSort {
    /// The next key `o` switches to.
    #[must_use]
    pub fn next(self) -> Self {
        match self {
            Self::Config => Self::Latency,
            Self::Latency => Self::State,
            Self::State => Self::Name,
            Self::Name => Self::Rows,
            Self::Rows => Self::Config,
        }
    }

    /// Its name in the panel's title.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Config => "config",
            Self::Latency => "latency",
            Self::State => "state",
            Self::Name => "name",
            Self::Rows => "rows",
        }
    }

    /// Whether this key starts in descending order (the slowest or largest first).
    #[must_use]
    pub fn starts_descending(self) -> bool {
        matches!(self, Self::Latency | Self::Rows)
    }
}

/// Which sources the panel shows, by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StateFilter {
    /// Every source.
    #[default]
    All,
    /// Error, timed out or cancelled.
    Failed,
    /// Pending or running.
    Unfinished,
    /// Ok.
    Ok,
    /// Exactly this state (a click on its count in the header).
    Only(State),
}

impl StateFilter {
    /// The next filter `f` switches to.
    #[must_use]
    pub fn next(self) -> Self {
        match self {
            Self::All => Self::Failed,
            Self::Failed => Self::Unfinished,
            Self::Unfinished => Self::Ok,
            Self::Ok | Self::Only(_) => Self::All,
        }
    }

    /// Whether a source in `state` passes.
    #[must_use]
    pub fn matches(self, state: State) -> bool {
        match self {
            Self::All => true,
            Self::Failed => matches!(state, State::Error | State::Timeout | State::Cancelled),
            Self::Unfinished => !state.is_final(),
            Self::Ok => state == State::Ok,
            Self::Only(s) => state == s,
        }
    }

    /// Its name in the panel's title; `None` for all.
    #[must_use]
    pub fn label(self) -> Option<&'static str> {
        match self {
            Self::All => None,
            Self::Failed => Some("failed"),
            Self::Unfinished => Some("not finished"),
            Self::Ok => Some("ok"),
            Self::Only(s) => Some(crate::tui::theme::label(s)),
        }
    }
}

/// How the user asked to see the sources.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PanelSpec {
    /// Sort key.
    pub sort: SourceSort,
    /// Reverse of the key's natural direction.
    pub reversed: bool,
    /// By state.
    pub state: StateFilter,
    /// By name or tag, lowercase; empty: no filter.
    pub text: String,
    /// One line per tag, its sources below it when expanded.
    pub grouped: bool,
    /// Tags (by index into the app's tag list) whose sources are listed.
    pub expanded: BTreeSet<usize>,
}

/// One line of the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PanelRow {
    /// A source (index into the app's sources).
    Source(usize),
    /// A tag (index into the app's tag list).
    Group(usize),
}

/// One tag's sources and how they are doing this run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Group {
    /// The tag (index into the app's tag list).
    pub tag: usize,
    /// Its sources, in config order.
    pub members: Vec<usize>,
    /// Those the filters show (all, with no filter), in the panel's order: the rows under the
    /// tag's line when it is expanded.
    pub shown: Vec<usize>,
    /// Shown members per state, in [`State::ALL`] order; sums to `shown.len()`.
    pub counts: [usize; 7],
    /// Median latency of the shown members that finished this run.
    pub p50: Option<Duration>,
    /// 95th percentile of the same.
    pub p95: Option<Duration>,
}

/// The tags of `sources`, sorted, with `(no tag)` last for sources that have none; and per
/// source the indices of its tags.
#[must_use]
pub fn tag_list(sources: &[SourceView]) -> (Vec<String>, Vec<Vec<usize>>) {
    let mut tags: Vec<String> = sources
        .iter()
        .flat_map(|s| s.tags.iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let untagged = tags.len();
    if sources.iter().any(|s| s.tags.is_empty()) {
        tags.push(String::from(NO_TAG));
    }
    let of = sources
        .iter()
        .map(|s| {
            if s.tags.is_empty() {
                vec![untagged]
            } else {
                s.tags
                    .iter()
                    .filter_map(|t| tags[..untagged].binary_search(t).ok())
                    .collect()
            }
        })
        .collect();
    (tags, of)
}

/// The group line of sources with no tag.
pub const NO_TAG: &str = "(no tag)";

/// The panel's rows for a spec, and what they hide.
#[derive(Debug, Clone, Default)]
pub struct PanelIndex {
    /// The rows, top to bottom.
    pub rows: Vec<PanelRow>,
    /// The groups (when grouped), by tag index.
    pub groups: Vec<Group>,
    /// Sources that the filters hide.
    pub hidden: usize,
    /// Row of each source (its first, when grouped); `u32::MAX` when not shown.
    source_row: Vec<u32>,
    /// Row of each group; `u32::MAX` when not shown.
    group_row: Vec<u32>,
}

impl PanelIndex {
    /// Builds the rows of `sources` (with `tags_of` from [`tag_list`], `tags` names) as `spec`
    /// says, latencies as of `elapsed`. O(sources · log sources).
    #[must_use]
    pub fn build(
        sources: &[SourceView],
        tags: &[String],
        tags_of: &[Vec<usize>],
        spec: &PanelSpec,
        elapsed: Duration,
    ) -> Self {
        let shown: Vec<bool> = sources
            .iter()
            .zip(tags_of)
            .map(|(s, t)| spec.state.matches(s.state) && matches_text(s, t, tags, &spec.text))
            .collect();
        let hidden = shown.iter().filter(|&&s| !s).count();
        let mut order: Vec<usize> = (0..sources.len()).filter(|&i| shown[i]).collect();
        sort_sources(&mut order, sources, spec, elapsed);
        let mut index = Self {
            hidden,
            source_row: vec![u32::MAX; sources.len()],
            group_row: vec![u32::MAX; tags.len()],
            ..Self::default()
        };
        if spec.grouped {
            index.groups = groups::groups(sources, &order, tags.len(), tags_of, elapsed);
            index.rows = groups::rows(&index.groups, tags, spec, sources);
        } else {
            index.rows = order.into_iter().map(PanelRow::Source).collect();
        }
        for (at, row) in index.rows.iter().enumerate() {
            let slot = match *row {
                PanelRow::Source(i) => &mut index.source_row[i],
                PanelRow::Group(g) => &mut index.group_row[g],
            };
            if *slot == u32::MAX {
                *slot = at as u32;
            }
        }
        index
    }

    /// Where `row` is shown, if it is.
    #[must_use]
    pub fn position(&self, row: PanelRow) -> Option<usize> {
        let at = match row {
            PanelRow::Source(i) => self.source_row.get(i),
            PanelRow::Group(g) => self.group_row.get(g),
        };
        at.copied().filter(|&a| a != u32::MAX).map(|a| a as usize)
    }

    /// Rows shown.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no row is shown.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// Whether the source's name or one of its tags contains `text` (lowercase), ignoring case.
fn matches_text(s: &SourceView, tags_of: &[usize], tags: &[String], text: &str) -> bool {
    text.is_empty()
        || s.name.to_lowercase().contains(text)
        || tags_of
            .iter()
            .any(|&t| tags[t].to_lowercase().contains(text))
}

/// The rank of a state when sorting by state: the worst first.
fn severity(state: State) -> u8 {
    match state {
        State::Error => 0,
        State::Timeout => 1,
        State::Cancelled => 2,
        State::Running => 3,
        State::Pending => 4,
        State::Ok => 5,
        State::Skipped => 6,
    }
}

/// Whether the spec sorts descending (the key's natural direction, unless reversed).
fn is_descending(spec: &PanelSpec) -> bool {
    spec.sort.starts_descending() != spec.reversed
}

/// `ordering`, reversed when sorting descending.
fn directed(ordering: Ordering, descending: bool) -> Ordering {
    if descending {
        ordering.reverse()
    } else {
        ordering
    }
}

/// Sorts source indices (given in config order) as `spec` says; the sort is stable, so ties
/// keep the config order in either direction.
fn sort_sources(order: &mut [usize], sources: &[SourceView], spec: &PanelSpec, elapsed: Duration) {
    let desc = is_descending(spec);
    match spec.sort {
        SourceSort::Config if spec.reversed => order.reverse(),
        SourceSort::Config => {}
        SourceSort::Latency => {
            // Sources that have not started sort after every latency, either way.
            let key = |i: usize| sources[i].latency(elapsed);
            order.sort_by(|&a, &b| match (key(a), key(b)) {
                (Some(x), Some(y)) => directed(x.cmp(&y), desc),
                (x, y) => y.is_some().cmp(&x.is_some()),
            });
        }
        SourceSort::State => order.sort_by(|&a, &b| {
            directed(
                severity(sources[a].state).cmp(&severity(sources[b].state)),
                desc,
            )
        }),
        SourceSort::Name => {
            order.sort_by(|&a, &b| directed(sources[a].name.cmp(&sources[b].name), desc));
        }
        SourceSort::Rows => {
            order.sort_by(|&a, &b| directed(sources[a].rows.cmp(&sources[b].rows), desc));
        }
    }
}

#[cfg(test)]
mod tests;
