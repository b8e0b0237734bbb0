//! What can be wrong with a fleet block's forms; the caller adds the file, the line and the key.

use std::path::PathBuf;
use std::time::Duration;

use super::MAX_EXPANSION;
use crate::config::Kind;

/// A fleet form that cannot be expanded.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// `each` is not a table.
    #[error("expected a table such as {{ n = \"01..64\" }}")]
    EachNotTable,
    /// An `each` value is neither a list nor a range.
    #[error("expected a list such as [\"eu\", \"us\"] or a range such as \"01..64\"")]
    EachValue,
    /// An item of an `each` list is not a string or an integer.
    #[error("expected a list of strings or integers, or a range such as \"01..64\"")]
    EachItem,
    /// An `each` list with no values.
    #[error("is empty, so the block declares no source")]
    EmptyList,
    /// A string that is not `LO..HI`.
    #[error("\"{0}\" is not a range such as \"01..64\" (a list is written [\"a\", \"b\"])")]
    NotRange(String),
    /// `64..01`.
    #[error("range \"{0}\" ends before it starts")]
    BackwardRange(String),
    /// A range past [`MAX_EXPANSION`] values.
    #[error(
        "range \"{range}\" has {count} values, more than the {MAX_EXPANSION} a block may declare"
    )]
    LongRange {
        /// The range as written.
        range: String,
        /// How many values it has.
        count: u64,
    },
    /// `glob` on a kind that has no files.
    #[error("declares one source per file, for kinds {kinds}; not for \"{0}\"", kinds = path_kinds())]
    GlobKind(String),
    /// A glob pattern that does not parse.
    #[error("invalid pattern \"{pattern}\": {reason}")]
    GlobPattern {
        /// The pattern.
        pattern: String,
        /// What the glob crate says.
        reason: glob::PatternError,
    },
    /// A folder the glob could not read.
    #[error("\"{pattern}\": {reason}")]
    GlobRead {
        /// The pattern.
        pattern: String,
        /// The path and the I/O error.
        reason: glob::GlobError,
    },
    /// A glob that matches no file.
    #[error("\"{pattern}\" matches no file (in {})", dir.display())]
    NoMatch {
        /// The pattern.
        pattern: String,
        /// The folder it is relative to.
        dir: PathBuf,
    },
    /// A form key that is not a string where one is needed.
    #[error("expected a non-empty string")]
    NotAString,
    /// `inventory` is not a list of strings.
    #[error("expected a program and its arguments, such as [\"./list.sh\", \"--prod\"]")]
    InventoryArgv,
    /// Both `inventory` and `inventory_file`.
    #[error("give one, not both")]
    TwoInventories,
    /// The inventory file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The inventory program cannot be started or waited for.
    #[error("cannot run `{shown}`: {source}")]
    Spawn {
        /// The command line.
        shown: String,
        /// Why.
        source: std::io::Error,
    },
    /// The program exited with a failure.
    #[error("`{shown}` {how}{}", if said.is_empty() { String::new() } else { format!(": {said}") })]
    Exit {
        /// The command line.
        shown: String,
        /// `exited with status 3` or `was killed by a signal`.
        how: String,
        /// The last line of its stderr, if any.
        said: String,
    },
    /// The program overran the source's timeout and was killed.
    #[error("`{shown}` did not finish within {} (the source's timeout) and was stopped", humantime::format_duration(*limit))]
    Timeout {
        /// The command line.
        shown: String,
        /// The limit.
        limit: Duration,
    },
    /// The program's output is not UTF-8.
    #[error("the output of `{0}` is not UTF-8")]
    NotUtf8(String),
    /// A line that is not a JSON object.
    #[error("line {line} of {what} is not a JSON object: `{text}`")]
    NotObject {
        /// 1-based line.
        line: usize,
        /// `the output of ...` or the file.
        what: String,
        /// The line, shortened.
        text: String,
    },
    /// No lines at all.
    #[error("{0} lists no source (empty)")]
    NoRows(String),
    /// An inventory line with `each`, `glob` or `inventory`.
    #[error("inventory line {line}: `{key}` cannot come from an inventory")]
    FormInInventory {
        /// 1-based line.
        line: usize,
        /// The key.
        key: String,
    },
    /// An inventory key that is neither a source key nor a used placeholder.
    #[error(
        "inventory line {line}: unknown key `{key}` (not a key of [[source]], and the block uses no `{{{key}}}`)"
    )]
    UnknownKey {
        /// 1-based line.
        line: usize,
        /// The key.
        key: String,
    },
    /// An inventory value TOML cannot hold (a `null` inside a list).
    #[error("cannot be written in TOML ({0})")]
    NotToml(toml::ser::Error),
}

/// The kinds `glob` works for, as a message names them: "sqlite and file".
fn path_kinds() -> String {
    let names: Vec<&str> = Kind::ALL
        .into_iter()
        .filter(|k| k.reads_a_path())
        .map(Kind::name)
        .collect();
    names.join(" and ")
}
