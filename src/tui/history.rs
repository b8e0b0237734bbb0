//! What was typed before: one list of past entries per edit target (queries, filters), kept
//! in the state directory (next to the log, `~/.local/state/scatter/` on Linux) so that ↑ in
//! the editor brings back yesterday's query. One file per target, one JSON string per line
//! (a query may hold newlines), oldest first, at most [`KEPT`] entries.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use crate::tui::mode::EditTarget;

/// Entries kept per target; older ones are dropped when the file is rewritten.
pub const KEPT: usize = 500;

/// The file of `target`'s history in `dir`.
#[must_use]
pub fn file(dir: &Path, target: EditTarget) -> PathBuf {
    let name = match target {
        EditTarget::Query => "query-history.jsonl",
        EditTarget::Sql => "sql-history.jsonl",
        EditTarget::Filter => "filter-history.jsonl",
        EditTarget::Sources => "sources-filter-history.jsonl",
    };
    dir.join(name)
}

/// Why a history could not be saved.
#[derive(Debug, thiserror::Error)]
#[error("cannot save the history to {path}: {source}")]
pub struct HistoryError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    #[source]
    pub source: std::io::Error,
}

/// Past entries per target, and where they are saved (nowhere when `dir` is `None`).
#[derive(Debug, Default, Clone)]
pub struct History {
    dir: Option<PathBuf>,
    entries: HashMap<EditTarget, Vec<String>>,
}

impl History {
    /// The histories saved in `dir` (none yet when the files do not exist; lines that are not
    /// JSON strings are skipped).
    #[must_use]
    pub fn load(dir: &Path) -> Self {
        let mut entries = HashMap::new();
        for target in [
            EditTarget::Query,
            EditTarget::Sql,
            EditTarget::Filter,
            EditTarget::Sources,
        ] {
            let Ok(f) = std::fs::File::open(file(dir, target)) else {
                continue;
            };
            let list: Vec<String> = std::io::BufReader::new(f)
                .lines()
                .map_while(Result::ok)
                .filter_map(|line| serde_json::from_str::<String>(&line).ok())
                .collect();
            let skip = list.len().saturating_sub(KEPT);
            entries.insert(target, list.into_iter().skip(skip).collect());
        }
        Self {
            dir: Some(dir.to_path_buf()),
            entries,
        }
    }

    /// `target`'s entries, oldest first.
    #[must_use]
    pub fn entries(&self, target: EditTarget) -> &[String] {
        self.entries.get(&target).map_or(&[], Vec::as_slice)
    }

    /// Adds `text` as `target`'s newest entry (moved to the end if already there; blank text
    /// is not kept) and saves the list.
    pub fn add(&mut self, target: EditTarget, text: &str) -> Result<(), HistoryError> {
        if text.trim().is_empty() {
            return Ok(());
        }
        let list = self.entries.entry(target).or_default();
        if list.last().is_some_and(|last| last == text) {
            return Ok(());
        }
        list.retain(|e| e != text);
        list.push(text.to_owned());
        let skip = list.len().saturating_sub(KEPT);
        list.drain(..skip);
        self.save(target)
    }

    /// Rewrites `target`'s file (a temporary file renamed over it, so a crash leaves the old
    /// one whole).
    fn save(&self, target: EditTarget) -> Result<(), HistoryError> {
        let Some(dir) = &self.dir else {
            return Ok(());
        };
        let path = file(dir, target);
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(dir)?;
            let tmp = path.with_extension("jsonl.tmp");
            let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
            for entry in self.entries(target) {
                serde_json::to_writer(&mut out, entry)?;
                out.write_all(b"\n")?;
            }
            out.into_inner()
                .map_err(std::io::IntoInnerError::into_error)?;
            std::fs::rename(&tmp, &path)
        };
        write().map_err(|source| HistoryError { path, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_survive_a_restart_newest_last_without_repeats() {
        let dir = tempfile::tempdir().unwrap();
        let mut h = History::load(dir.path());
        assert!(h.entries(EditTarget::Query).is_empty());
        for q in ["SELECT 1", "SELECT\n2", "SELECT 1", "  "] {
            h.add(EditTarget::Query, q).unwrap();
        }
        h.add(EditTarget::Filter, "sony").unwrap();
        let again = History::load(dir.path());
        assert_eq!(again.entries(EditTarget::Query), ["SELECT\n2", "SELECT 1"]);
        assert_eq!(again.entries(EditTarget::Filter), ["sony"]);
    }

    #[test]
    fn at_most_kept_entries() {
        let dir = tempfile::tempdir().unwrap();
        let mut h = History::load(dir.path());
        for i in 0..KEPT + 5 {
            h.add(EditTarget::Query, &format!("q{i}")).unwrap();
        }
        let again = History::load(dir.path());
        assert_eq!(again.entries(EditTarget::Query).len(), KEPT);
        assert_eq!(again.entries(EditTarget::Query)[0], "q5");
    }
}
