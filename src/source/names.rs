//! Column names as a source gives them, made fit for one merged table: every column keeps its
//! place, and a name that cannot stand as it is gets a new one and a warning saying so.
//!
//! - A name seen before in the same result (`SELECT a, a`) becomes `a_2` (`a_3`, ...).
//! - `_source`, which the merge adds itself, becomes `_source_2`.
//! - An empty name becomes `column_N`, N its position from 1.
//!
//! A new name never takes one the result already has. Names that differ only in case are
//! different names and are kept as they are.

use std::collections::HashSet;

use crate::merge::SOURCE_COLUMN;

/// The names to use for a result whose columns are named `names`, and a warning per change;
/// `None` when every name stands as it is.
#[must_use]
pub fn unique(names: &[&str]) -> Option<(Vec<String>, Vec<String>)> {
    let mut seen: HashSet<&str> = HashSet::with_capacity(names.len());
    let fine = names
        .iter()
        .all(|n| !n.is_empty() && *n != SOURCE_COLUMN && seen.insert(n));
    if fine {
        return None;
    }
    let mut taken: HashSet<String> = names.iter().map(|n| (*n).to_owned()).collect();
    taken.insert(SOURCE_COLUMN.to_owned());
    let mut kept: HashSet<&str> = HashSet::with_capacity(names.len());
    let mut out = Vec::with_capacity(names.len());
    let mut warnings = Vec::new();
    for (i, &name) in names.iter().enumerate() {
        let position = i + 1;
        let (new, why) = if name.is_empty() {
            let new = free(&format!("column_{position}"), &mut taken, false);
            (new, format!("column {position} has no name"))
        } else if name == SOURCE_COLUMN {
            let new = free(name, &mut taken, true);
            (new, format!("\"{name}\" is the column scatter adds"))
        } else if !kept.insert(name) {
            let new = free(name, &mut taken, true);
            (
                new,
                format!("column {position} repeats the name \"{name}\""),
            )
        } else {
            out.push(name.to_owned());
            continue;
        };
        warnings.push(format!("{why}: shown as \"{new}\""));
        out.push(new);
    }
    Some((out, warnings))
}

/// `base`, or with `numbered` the first of `base_2`, `base_3`, ... that no column has; taken
/// from then on.
fn free(base: &str, taken: &mut HashSet<String>, numbered: bool) -> String {
    let mut n = 1;
    let mut name = base.to_owned();
    while (numbered && n == 1) || taken.contains(&name) {
        n += 1;
        name = format!("{base}_{n}");
    }
    taken.insert(name.clone());
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(given: &[&str]) -> (Vec<String>, Vec<String>) {
        unique(given).unwrap_or_else(|| (given.iter().map(|s| (*s).to_owned()).collect(), vec![]))
    }

    #[test]
    fn every_column_keeps_its_place_under_a_name_of_its_own() {
        let cases: &[(&[&str], &[&str])] = &[
            (&["a", "b"], &["a", "b"]),
            (&["a", "a"], &["a", "a_2"]),
            (&["a", "a", "a"], &["a", "a_2", "a_3"]),
            // A new name never takes one the result has, wherever it stands.
            (&["a", "a", "a_2"], &["a", "a_3", "a_2"]),
            (&["_source"], &["_source_2"]),
            (&["_source", "_source_2"], &["_source_3", "_source_2"]),
            (&["", "x", ""], &["column_1", "x", "column_3"]),
            (&["column_1", ""], &["column_1", "column_2"]),
            (&["", "column_1"], &["column_1_2", "column_1"]),
            // Case makes a different name.
            (&["a", "A"], &["a", "A"]),
        ];
        for (given, want) in cases {
            assert_eq!(names(given).0, *want, "{given:?}");
        }
    }

    #[test]
    fn each_change_is_a_warning_that_names_both() {
        let (_, warnings) = names(&["a", "_source", "a", ""]);
        assert_eq!(
            warnings,
            [
                "\"_source\" is the column scatter adds: shown as \"_source_2\"",
                "column 3 repeats the name \"a\": shown as \"a_2\"",
                "column 4 has no name: shown as \"column_4\"",
            ]
        );
        assert!(unique(&["a", "A", &"x".repeat(300)]).is_none());
    }
}
