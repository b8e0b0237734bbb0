//! The client-side SQL guard shared by the SQL kinds: one statement per query, and no
//! statement that writes unless `--allow-writes`. The server-side read-only session is the
//! real barrier; this check refuses the obvious cases before anything is sent and with a
//! clearer message.
//!
//! Below it, what the server kinds (`postgres`, `mysql`) share: [`session`] (the idle pool and
//! the server-side cancel fired when a run is dropped), [`text`] (text-protocol values to
//! [`Cell`](crate::value::Cell)s) and [`errors`] (short, password-free messages).

pub mod errors;
pub mod session;
pub mod text;

use super::SourceError;

/// Leading keywords of the statements a read-only run may send: anything else is refused
/// before it reaches the server unless `--allow-writes`. `WITH` and `EXPLAIN` can still wrap a
/// write (`WITH d AS (DELETE ...) SELECT`, `EXPLAIN ANALYZE DELETE`): the read-only session on
/// the server refuses those.
const READ_KEYWORDS: [&str; 9] = [
    "SELECT", "WITH", "VALUES", "TABLE", "SHOW", "EXPLAIN", "DESCRIBE", "DESC", "PRAGMA",
];

/// Leading keywords of statements that change data or schema, named as such when refused.
const WRITE_KEYWORDS: [&str; 24] = [
    "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "REPLACE", "CREATE", "DROP", "ALTER",
    "TRUNCATE", "GRANT", "REVOKE", "COPY", "CALL", "DO", "LOCK", "VACUUM", "ATTACH", "DETACH",
    "LOAD", "RENAME", "IMPORT", "HANDLER", "REINDEX",
];

/// Leading keywords of statements that change the session itself: sessions are pooled between
/// runs, so `SET default_transaction_read_only = off` would outlive the run that sent it.
const SESSION_KEYWORDS: [&str; 3] = ["SET", "RESET", "DISCARD"];

/// Refuses multi-statement text always, and anything but a reading statement unless
/// `allow_writes`.
pub fn check(sql: &str, allow_writes: bool) -> Result<(), SourceError> {
    let statements = statements(sql);
    match statements.as_slice() {
        [] => Err(SourceError::Refused("the query is empty".into())),
        [one] => {
            let first = first_keyword(one);
            if allow_writes || READ_KEYWORDS.contains(&first.as_str()) {
                return Ok(());
            }
            let why = if WRITE_KEYWORDS.contains(&first.as_str()) {
                "writes, and sessions are read-only"
            } else if SESSION_KEYWORDS.contains(&first.as_str()) {
                "changes the session, which stays read-only"
            } else {
                "is not a reading statement, and sessions are read-only"
            };
            Err(SourceError::Refused(format!(
                "{first} {why} (pass --allow-writes to allow it)"
            )))
        }
        more => Err(SourceError::Refused(format!(
            "the query holds {} statements; send one at a time",
            more.len()
        ))),
    }
}

/// The statements in `sql`, split on `;` outside quotes, comments and dollar quotes; empty
/// statements (only whitespace or comments) are dropped.
#[must_use]
pub fn statements(sql: &str) -> Vec<&str> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        i = match b[i] {
            q @ (b'\'' | b'"' | b'`') => skip_quoted(b, i, q),
            b'-' if b.get(i + 1) == Some(&b'-') => skip_until(b, i, b"\n"),
            b'#' => skip_until(b, i, b"\n"),
            // MySQL runs the text of `/*! ... */` as SQL: scan it as code, not as a comment.
            b'/' if b.get(i + 1) == Some(&b'*') && b.get(i + 2) == Some(&b'!') => i + 3,
            b'/' if b.get(i + 1) == Some(&b'*') => skip_until(b, i + 2, b"*/"),
            b'$' => skip_dollar(sql, i),
            b';' => {
                out.push(&sql[start..i]);
                start = i + 1;
                i + 1
            }
            _ => i + 1,
        };
    }
    out.push(&sql[start..]);
    out.retain(|s| !first_keyword(s).is_empty());
    out
}

fn skip_quoted(b: &[u8], open: usize, q: u8) -> usize {
    let mut i = open + 1;
    while i < b.len() {
        if b[i] == b'\\' && q != b'"' {
            i += 2;
        } else if b[i] == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

fn skip_until(b: &[u8], from: usize, end: &[u8]) -> usize {
    b[from..]
        .windows(end.len())
        .position(|w| w == end)
        .map_or(b.len(), |p| from + p + end.len())
}

/// `$tag$ ... $tag$` (`PostgreSQL`); a lone `$` (as in `$1`) is skipped as one byte.
fn skip_dollar(sql: &str, at: usize) -> usize {
    let rest = &sql[at + 1..];
    let Some(close) = rest.find('$') else {
        return at + 1;
    };
    let tag = &rest[..close];
    if !tag.chars().all(|c| c.is_alphanumeric() || c == '_')
        || tag.starts_with(|c: char| c.is_ascii_digit())
    {
        return at + 1;
    }
    let delim = format!("${tag}$");
    let body = at + delim.len();
    sql[body..]
        .find(&delim)
        .map_or(sql.len(), |p| body + p + delim.len())
}

/// The first keyword of a statement, uppercased, skipping comments and parentheses.
fn first_keyword(stmt: &str) -> String {
    let mut s = stmt.trim_start();
    loop {
        if let Some(rest) = s.strip_prefix("--").or_else(|| s.strip_prefix('#')) {
            s = rest.split_once('\n').map_or("", |(_, r)| r).trim_start();
        } else if let Some(rest) = s.strip_prefix("/*") {
            s = rest.split_once("*/").map_or("", |(_, r)| r).trim_start();
        } else if let Some(rest) = s.strip_prefix('(') {
            s = rest.trim_start();
        } else {
            break;
        }
    }
    s.chars()
        .take_while(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_statements_outside_quotes_and_comments() {
        let cases = [
            ("SELECT 1", 1),
            ("SELECT 1;", 1),
            ("SELECT ';' FROM t; -- x;\n", 1),
            ("SELECT 1; SELECT 2", 2),
            ("SELECT 'a''b;'; /* ; */", 1),
            ("SELECT $$ a;b $$, $1", 1),
            ("SELECT $tag$ ; $tag$; DELETE FROM t", 2),
            ("SELECT 1 /*!; DELETE FROM t */", 2),
            ("SELECT 1 /*!40001 SQL_NO_CACHE */", 1),
            ("  ;  ; ", 0),
        ];
        for (sql, n) in cases {
            assert_eq!(statements(sql).len(), n, "{sql}");
        }
    }

    #[test]
    fn guard_refuses_writes_and_multiple_statements() {
        assert!(check("select * from t", false).is_ok());
        assert!(check("WITH x AS (SELECT 1) SELECT * FROM x", false).is_ok());
        assert!(check("/* hi */ (SELECT 1)", false).is_ok());
        let refused = |sql, w| check(sql, w).unwrap_err().to_string();
        assert_eq!(
            refused("delete from t", false),
            "refused: DELETE writes, and sessions are read-only (pass --allow-writes to allow it)"
        );
        assert!(check("delete from t", true).is_ok());
        assert_eq!(
            refused("SET default_transaction_read_only = off", false),
            "refused: SET changes the session, which stays read-only (pass --allow-writes to allow it)"
        );
        assert_eq!(
            refused("SELECT 1; DROP TABLE t", true),
            "refused: the query holds 2 statements; send one at a time"
        );
        assert_eq!(refused("", false), "refused: the query is empty");
        assert_eq!(
            refused("OPTIMIZE TABLE t", false),
            "refused: OPTIMIZE is not a reading statement, and sessions are read-only \
             (pass --allow-writes to allow it)"
        );
        for ok in ["SHOW TABLES", "EXPLAIN SELECT 1", "values (1)", "TABLE t"] {
            assert!(check(ok, false).is_ok(), "{ok}");
        }
    }
}
