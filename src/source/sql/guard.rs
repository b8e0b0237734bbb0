//! The client-side SQL guard shared by the SQL kinds: one statement per query, and no
//! statement that writes unless `--allow-writes`. The server-side read-only session is the
//! real barrier; this check refuses the obvious cases before anything is sent and with a
//! clearer message. It is the only barrier against a second statement for `MySQL` (sqlx
//! sends the text with multi-statements on) and `SQLite` (sqlx runs every statement of it).
//!
//! The text is split with sqlparser's tokenizer in the server's own dialect, so quotes,
//! comments and escapes end where the server ends them: backslashes escape in `MySQL`
//! strings but not in standard `PostgreSQL` or `SQLite` ones, `$tag$` quotes exist only in
//! `PostgreSQL`, comments nest only there, `--` needs a space after it in `MySQL`, and
//! `MySQL`'s `/*! ... */` (`MariaDB`'s `/*M! ... */`) is code, not a comment. Server settings
//! change some of that (`NO_BACKSLASH_ESCAPES`, `standard_conforming_strings = off`), so the
//! text is read every way the server might read it, and it must pass every reading.

use std::any::TypeId;
use std::iter::Peekable;
use std::str::Chars;

use sqlparser::dialect::{Dialect as SqlDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Whitespace};

use crate::source::SourceError;

/// Which server's SQL the text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `PostgreSQL`.
    Postgres,
    /// `MySQL` and `MariaDB`.
    Mysql,
    /// `SQLite`.
    Sqlite,
}

impl Dialect {
    /// Leading keywords of the statements a read-only run may send in this dialect.
    fn reads(self, keyword: &str) -> bool {
        let allowed: &[&str] = match self {
            Self::Postgres => &["SELECT", "WITH", "VALUES", "TABLE", "SHOW", "EXPLAIN"],
            Self::Mysql => &[
                "SELECT", "WITH", "VALUES", "TABLE", "SHOW", "EXPLAIN", "DESCRIBE", "DESC",
            ],
            Self::Sqlite => &["SELECT", "WITH", "VALUES", "EXPLAIN", "PRAGMA"],
        };
        allowed.contains(&keyword)
    }

    /// Functions that change the session (sessions are pooled: the change would outlive
    /// the run) or the process.
    fn session_functions(self) -> &'static [&'static str] {
        match self {
            Self::Postgres => &["set_config"],
            Self::Mysql => &[],
            Self::Sqlite => &["load_extension"],
        }
    }

    /// Every way the server may read the text, with what sets it apart from the first.
    fn readings(self) -> Vec<(Reading, Option<&'static str>)> {
        match self {
            Self::Postgres => vec![
                (Reading::new(Base::Postgres, false), None),
                (
                    Reading::new(Base::Postgres, true),
                    Some("with standard_conforming_strings = off"),
                ),
            ],
            Self::Mysql => vec![
                (Reading::new(Base::Mysql, true), None),
                (
                    Reading::new(Base::Mysql, false),
                    Some("with sql_mode NO_BACKSLASH_ESCAPES"),
                ),
            ],
            Self::Sqlite => vec![(Reading::new(Base::Sqlite, false), None)],
        }
    }
}

/// Leading keywords of statements that change data or schema, named as such when refused.
const WRITE_KEYWORDS: [&str; 24] = [
    "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "REPLACE", "CREATE", "DROP", "ALTER",
    "TRUNCATE", "GRANT", "REVOKE", "COPY", "CALL", "DO", "LOCK", "VACUUM", "ATTACH", "DETACH",
    "LOAD", "RENAME", "IMPORT", "HANDLER", "REINDEX",
];

/// Leading keywords of statements that change the session itself: sessions are pooled between
/// runs, so `SET default_transaction_read_only = off` would outlive the run that sent it.
const SESSION_KEYWORDS: [&str; 3] = ["SET", "RESET", "DISCARD"];

/// Words that make a statement that starts as a reading one write, wherever they stand:
/// a writing CTE (`WITH d AS (DELETE ...) SELECT`, `WITH x AS (...) UPDATE ...`),
/// `SELECT ... INTO` (a new table, a file, variables), `EXPLAIN ANALYZE DELETE ...` (which runs
/// it), `EXPLAIN ANALYZE CREATE TABLE ... AS`, and row locks (`FOR UPDATE`). A column of one of
/// these names must be quoted or qualified (`t.update`).
const WRITES_ANYWHERE: [&str; 10] = [
    "INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE", "INTO", "CREATE", "DROP", "ALTER", "TRUNCATE",
];

/// Words in [`WRITES_ANYWHERE`] that are also functions when a `(` follows them (`MySQL`'s
/// `INSERT(str, pos, len, new)`, everyone's `REPLACE(s, from, to)`).
const ALSO_FUNCTIONS: [&str; 2] = ["INSERT", "REPLACE"];

/// Refuses text holding more than one statement always, and anything but a reading statement
/// unless `allow_writes`.
pub fn check(sql: &str, dialect: Dialect, allow_writes: bool) -> Result<(), SourceError> {
    for (i, (reading, note)) in dialect.readings().into_iter().enumerate() {
        check_reading(sql, dialect, &reading, i == 0, allow_writes).map_err(|why| {
            SourceError::Refused(match note {
                Some(note) => format!("{why} (as a server {note} reads it)"),
                None => why.to_string(),
            })
        })?;
    }
    Ok(())
}

/// Why the guard refuses a query, as one reading of it sees it.
#[derive(Debug, thiserror::Error)]
enum Refusal {
    /// Statements, then text the reading cannot tokenize.
    #[error(
        "the query holds more than one statement, then text that cannot be read ({0}); send \
         one at a time"
    )]
    SeveralThenUnreadable(String),
    /// Text the usual reading cannot tokenize.
    #[error("the query cannot be read: {0}")]
    Unreadable(String),
    /// Nothing but whitespace, comments and `;`.
    #[error("the query is empty")]
    Empty,
    /// More than one statement.
    #[error("the query holds {0} statements; send one at a time")]
    Statements(usize),
    /// The statement's first word is not a reading one (`word` is empty when there is none).
    #[error("{} {why} (pass --allow-writes to allow it)", if word.is_empty() { "it" } else { word })]
    NotReading {
        /// The first word, uppercased.
        word: String,
        /// What the statement does.
        why: &'static str,
    },
    /// A word inside a reading statement that writes or changes the session.
    #[error("{what} (line {line}, column {column}) {why} (pass --allow-writes to allow it)")]
    At {
        /// The word or construct.
        what: String,
        /// Its line, 1-based.
        line: u64,
        /// Its column, 1-based.
        column: u64,
        /// What it does.
        why: &'static str,
    },
}

/// Checks `sql` as `reading` sees it. Text this reading cannot tokenize is refused when it is
/// the dialect's usual reading, or when a `;` comes before the broken part (a server reading
/// it so would run the statements before it); otherwise a server reading it so refuses it
/// whole, and the usual reading decides.
fn check_reading(
    sql: &str,
    dialect: Dialect,
    reading: &Reading,
    is_usual: bool,
    allow_writes: bool,
) -> Result<(), Refusal> {
    let tokens = match tokenize(sql, reading) {
        Ok(tokens) => tokens,
        Err((before, why)) if before.iter().any(|t| t.token == Token::SemiColon) => {
            return Err(Refusal::SeveralThenUnreadable(why));
        }
        Err((_, why)) if is_usual => return Err(Refusal::Unreadable(why)),
        Err(_) => return Ok(()),
    };
    match split(tokens).as_slice() {
        [] => Err(Refusal::Empty),
        [one] => check_statement(one, dialect, allow_writes),
        more => Err(Refusal::Statements(more.len())),
    }
}

/// Statements as runs of tokens without whitespace and comments; empty ones are dropped.
fn split(tokens: Vec<TokenWithSpan>) -> Vec<Vec<TokenWithSpan>> {
    let mut statements = vec![Vec::new()];
    for t in tokens {
        match t.token {
            Token::SemiColon => statements.push(Vec::new()),
            Token::Whitespace(_) | Token::EOF => {}
            _ => statements.last_mut().expect("never empty").push(t),
        }
    }
    statements.retain(|s| !s.is_empty());
    statements
}

/// The tokens of `sql`, with `MariaDB`'s `/*M! ... */` read as code like `/*! ... */`. On
/// failure, the tokens before the broken part and what is broken.
fn tokenize(
    sql: &str,
    reading: &Reading,
) -> Result<Vec<TokenWithSpan>, (Vec<TokenWithSpan>, String)> {
    let mut tokens = Vec::new();
    if let Err(e) = Tokenizer::new(reading, sql).tokenize_with_location_into_buf(&mut tokens) {
        let why = format!(
            "{} at line {}, column {}",
            e.message.to_lowercase(),
            e.location.line,
            e.location.column
        );
        return Err((tokens, why));
    }
    if !reading.hints {
        return Ok(tokens);
    }
    let mut out = Vec::with_capacity(tokens.len());
    for t in tokens {
        match &t.token {
            Token::Whitespace(Whitespace::MultiLineComment(c)) if c.starts_with("M!") => {
                match tokenize(&format!("/*{}*/", &c[1..]), reading) {
                    Ok(inner) => out.extend(inner),
                    Err((inner, why)) => {
                        out.extend(inner);
                        return Err((out, why));
                    }
                }
            }
            _ => out.push(t),
        }
    }
    Ok(out)
}

/// The word `t` is, uppercased, when it is an unquoted word.
fn bare_word(t: &TokenWithSpan) -> Option<String> {
    match &t.token {
        Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
        _ => None,
    }
}

fn check_statement(
    tokens: &[TokenWithSpan],
    dialect: Dialect,
    allow_writes: bool,
) -> Result<(), Refusal> {
    if allow_writes {
        return Ok(());
    }
    let first = tokens
        .iter()
        .find(|t| t.token != Token::LParen)
        .and_then(bare_word)
        .unwrap_or_default();
    if !dialect.reads(&first) {
        let why = if WRITE_KEYWORDS.contains(&first.as_str()) {
            "writes, and sessions are read-only"
        } else if SESSION_KEYWORDS.contains(&first.as_str()) {
            "changes the session, which stays read-only"
        } else {
            "is not a reading statement, and sessions are read-only"
        };
        return Err(Refusal::NotReading { word: first, why });
    }
    for (i, t) in tokens.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| &tokens[j].token);
        let after = tokens.get(i + 1).map(|n| &n.token);
        if before == Some(&Token::Period) {
            continue;
        }
        let at = |what: &str, why: &'static str| Refusal::At {
            what: what.to_owned(),
            line: t.span.start.line,
            column: t.span.start.column,
            why,
        };
        if first == "PRAGMA" && t.token == Token::Eq {
            return Err(at(
                "PRAGMA ... =",
                "changes a setting, and sessions are read-only",
            ));
        }
        if let Token::Word(w) = &t.token
            && after == Some(&Token::LParen)
            && dialect
                .session_functions()
                .iter()
                .any(|f| w.value.eq_ignore_ascii_case(f))
        {
            return Err(at(&w.value, "changes the session, which stays read-only"));
        }
        let Some(word) = bare_word(t) else { continue };
        let is_call = after == Some(&Token::LParen) && ALSO_FUNCTIONS.contains(&word.as_str());
        if WRITES_ANYWHERE.contains(&word.as_str()) && !is_call {
            return Err(at(&word, "writes, and sessions are read-only"));
        }
    }
    Ok(())
}

/// The base dialect of a [`Reading`].
#[derive(Debug, Clone, Copy)]
enum Base {
    Postgres,
    Mysql,
    Sqlite,
}

/// One way a server may read SQL text: its sqlparser dialect, with how backslashes in
/// string literals are read (a server setting) and whether `/*! */` comments are code.
#[derive(Debug)]
struct Reading {
    base: Box<dyn SqlDialect>,
    backslash_escapes: bool,
    hints: bool,
}

impl Reading {
    fn new(base: Base, backslash_escapes: bool) -> Self {
        let (dialect, hints): (Box<dyn SqlDialect>, bool) = match base {
            Base::Postgres => (Box::new(PostgreSqlDialect {}), false),
            Base::Mysql => (Box::new(MySqlDialect {}), true),
            Base::Sqlite => (Box::new(SQLiteDialect {}), false),
        };
        Self {
            base: dialect,
            backslash_escapes,
            hints,
        }
    }
}

/// Everything the tokenizer asks of a dialect, answered by the base dialect except for the
/// two settings a [`Reading`] changes. `dialect()` is the base's, so the tokenizer's own
/// per-dialect checks still recognise it.
impl SqlDialect for Reading {
    fn dialect(&self) -> TypeId {
        self.base.dialect()
    }
    fn is_identifier_start(&self, ch: char) -> bool {
        self.base.is_identifier_start(ch)
    }
    fn is_identifier_part(&self, ch: char) -> bool {
        self.base.is_identifier_part(ch)
    }
    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        self.base.is_delimited_identifier_start(ch)
    }
    fn is_nested_delimited_identifier_start(&self, ch: char) -> bool {
        self.base.is_nested_delimited_identifier_start(ch)
    }
    fn peek_nested_delimited_identifier_quotes(
        &self,
        chars: Peekable<Chars<'_>>,
    ) -> Option<(char, Option<char>)> {
        self.base.peek_nested_delimited_identifier_quotes(chars)
    }
    fn is_custom_operator_part(&self, ch: char) -> bool {
        self.base.is_custom_operator_part(ch)
    }
    fn supports_string_literal_backslash_escape(&self) -> bool {
        self.backslash_escapes
    }
    fn supports_multiline_comment_hints(&self) -> bool {
        self.hints
    }
    fn requires_single_line_comment_whitespace(&self) -> bool {
        self.base.requires_single_line_comment_whitespace()
    }
    fn supports_nested_comments(&self) -> bool {
        self.base.supports_nested_comments()
    }
    fn supports_dollar_placeholder(&self) -> bool {
        self.base.supports_dollar_placeholder()
    }
    fn supports_dollar_as_money_prefix(&self) -> bool {
        self.base.supports_dollar_as_money_prefix()
    }
    fn supports_numeric_prefix(&self) -> bool {
        self.base.supports_numeric_prefix()
    }
    fn supports_numeric_literal_underscores(&self) -> bool {
        self.base.supports_numeric_literal_underscores()
    }
    fn supports_string_escape_constant(&self) -> bool {
        self.base.supports_string_escape_constant()
    }
    fn supports_unicode_string_literal(&self) -> bool {
        self.base.supports_unicode_string_literal()
    }
    fn supports_triple_quoted_string(&self) -> bool {
        self.base.supports_triple_quoted_string()
    }
    fn supports_quote_delimited_string(&self) -> bool {
        self.base.supports_quote_delimited_string()
    }
    fn supports_geometric_types(&self) -> bool {
        self.base.supports_geometric_types()
    }
    fn supports_pipe_operator(&self) -> bool {
        self.base.supports_pipe_operator()
    }
    fn ignores_wildcard_escapes(&self) -> bool {
        self.base.ignores_wildcard_escapes()
    }
}

#[cfg(test)]
mod tests;
