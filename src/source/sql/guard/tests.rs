//! The guard's table of hostile strings: each is read in every dialect, and what each server
//! would run decides the expected verdict.

use super::*;

const PG: Dialect = Dialect::Postgres;
const MY: Dialect = Dialect::Mysql;
const LITE: Dialect = Dialect::Sqlite;

fn verdict(sql: &str, dialect: Dialect, allow_writes: bool) -> String {
    match check(sql, dialect, allow_writes) {
        Ok(()) => "ok".into(),
        Err(e) => e.to_string(),
    }
}

/// Checks each `(sql, [postgres, mysql, sqlite])`: `"ok"`, or text the refusal contains.
fn table(allow_writes: bool, cases: &[(&str, [&str; 3])]) {
    let mut wrong = Vec::new();
    for (sql, want) in cases {
        for (dialect, want) in [PG, MY, LITE].into_iter().zip(want) {
            let got = verdict(sql, dialect, allow_writes);
            let fits = if *want == "ok" {
                got == "ok"
            } else {
                got.starts_with("refused: ") && got.contains(want)
            };
            if !fits {
                wrong.push(format!("{dialect:?} {sql:?}: want {want:?}, got {got:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

/// With `--allow-writes` only the one-statement rule stands: each string is one statement,
/// or more, exactly as that server splits it.
#[test]
fn hostile_strings_split_as_each_server_splits_them() {
    let two = "2 statements";
    let three = "3 statements";
    let more = "more than one statement";
    let unreadable = "cannot be read";
    table(
        true,
        &[
            // A backslash ends nothing in standard strings; in MySQL it escapes, unless the
            // server runs with NO_BACKSLASH_ESCAPES.
            (r"SELECT 'C:\'; DELETE FROM t; --'", [two, more, two]),
            (r"SELECT 'C:\\'; DELETE FROM t", [two, two, two]),
            (r"SELECT 'it\'s'", [unreadable, "ok", unreadable]),
            (r"SELECT 'it''s; DELETE FROM t'", ["ok", "ok", "ok"]),
            // E'' strings escape in PostgreSQL.
            (r"SELECT E'\''; DELETE FROM t; --'", [two, more, "ok"]),
            // Dollar quotes exist in PostgreSQL only, with nested tags inside.
            ("SELECT $$a;b$$", ["ok", two, two]),
            ("SELECT $tag$ ; $other$ ; $tag$", ["ok", three, three]),
            ("SELECT $tag$ a $tag$; DELETE FROM t", [two, two, two]),
            ("SELECT $1; DELETE FROM t", [two, two, two]),
            // MySQL runs /*! */ and MariaDB /*M! */ as code.
            ("SELECT 1 /*! ; DELETE FROM t */", ["ok", two, "ok"]),
            ("SELECT 1 /*!50001 ; DELETE FROM t */", ["ok", two, "ok"]),
            ("SELECT 1 /*M!100100 ; DELETE FROM t */", ["ok", two, "ok"]),
            ("SELECT 1 /*!40001 SQL_NO_CACHE */", ["ok", "ok", "ok"]),
            // Comments nest in PostgreSQL only.
            (
                "SELECT 1 /* /* */ ; DELETE FROM t; */",
                ["ok", three, three],
            ),
            // `--` is a comment in MySQL only when a space follows; `#` only in MySQL.
            ("SELECT 1 --1; DELETE FROM t", ["ok", two, "ok"]),
            ("SELECT 1 -- ; DELETE FROM t", ["ok", "ok", "ok"]),
            ("SELECT 1 # ; DELETE FROM t", [two, "ok", two]),
            // Semicolons in quoted identifiers, each dialect's quotes.
            (r#"SELECT 1 AS "a;b""#, ["ok", "ok", "ok"]),
            ("SELECT 1 AS `a;b`", [two, "ok", "ok"]),
            ("SELECT 1 AS [a;b]", [two, two, "ok"]),
            // Trailing and empty statements are not statements.
            ("SELECT 1;", ["ok", "ok", "ok"]),
            ("SELECT 1; ;\n -- done\n", ["ok", "ok", "ok"]),
            ("SELECT 1; SELECT 2", [two, two, two]),
            // Unterminated text: the server would refuse it; so does the guard.
            ("SELECT 'open", [unreadable, unreadable, unreadable]),
            ("SELECT 1 /* open", [unreadable, unreadable, unreadable]),
            ("  ;  ; ", ["empty", "empty", "empty"]),
            ("-- only a comment", ["empty", "empty", "empty"]),
        ],
    );
}

/// Without `--allow-writes`, only reading statements pass, in each dialect's own list, and a
/// reading statement that writes all the same is refused.
#[test]
fn only_reading_statements_pass_a_read_only_run() {
    let writes = "writes, and sessions are read-only";
    let not_reading = "is not a reading statement";
    let session = "changes the session";
    table(
        false,
        &[
            ("select * from t", ["ok", "ok", "ok"]),
            ("WITH x AS (SELECT 1) SELECT * FROM x", ["ok", "ok", "ok"]),
            ("/* hi */ (SELECT 1)", ["ok", "ok", "ok"]),
            ("values (1)", ["ok", "ok", "ok"]),
            ("TABLE t", ["ok", "ok", not_reading]),
            ("SHOW TABLES", ["ok", "ok", not_reading]),
            ("EXPLAIN SELECT 1", ["ok", "ok", "ok"]),
            ("DESCRIBE t", [not_reading, "ok", not_reading]),
            ("PRAGMA table_info(t)", [not_reading, not_reading, "ok"]),
            (
                "PRAGMA query_only = OFF",
                [not_reading, not_reading, "changes a setting"],
            ),
            (
                "delete from t",
                ["DELETE writes", "DELETE writes", "DELETE writes"],
            ),
            ("OPTIMIZE TABLE t", [not_reading, not_reading, not_reading]),
            (
                "SET default_transaction_read_only = off",
                [session, session, session],
            ),
            ("COPY (SELECT 1) TO '/tmp/x'", [writes, writes, writes]),
            ("BEGIN", [not_reading, not_reading, not_reading]),
            // Reading statements that write.
            (
                "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
                ["DELETE (line 1, column 12)", "DELETE", "DELETE"],
            ),
            (
                "WITH x AS (SELECT 1) UPDATE t SET a = 1",
                ["UPDATE", "UPDATE", "UPDATE"],
            ),
            (
                "WITH x AS (SELECT 1) REPLACE INTO t VALUES (1)",
                [writes, writes, writes],
            ),
            ("SELECT * INTO new_t FROM t", ["INTO", "INTO", "INTO"]),
            (
                "SELECT * FROM t INTO OUTFILE '/tmp/x'",
                ["INTO", "INTO", "INTO"],
            ),
            (
                "EXPLAIN ANALYZE DELETE FROM t",
                ["DELETE", "DELETE", "DELETE"],
            ),
            (
                "EXPLAIN ANALYZE CREATE TABLE x AS SELECT 1",
                ["CREATE", "CREATE", "CREATE"],
            ),
            ("SELECT * FROM t FOR UPDATE", ["UPDATE", "UPDATE", "UPDATE"]),
            (
                "select set_config('default_transaction_read_only', 'off', false)",
                [session, "ok", "ok"],
            ),
            ("SELECT load_extension('x')", ["ok", "ok", session]),
            // Words that only look like writes.
            ("SELECT REPLACE(name, 'a', 'b') FROM t", ["ok", "ok", "ok"]),
            ("SELECT INSERT('abc', 1, 1, 'x')", ["ok", "ok", "ok"]),
            ("SELECT 'DELETE FROM t; INSERT INTO t'", ["ok", "ok", "ok"]),
            (r#"SELECT t.update, "delete" FROM t"#, ["ok", "ok", "ok"]),
            (
                "SELECT created, updated_at, deleted FROM t",
                ["ok", "ok", "ok"],
            ),
        ],
    );
}

#[test]
fn refusals_read_as_sentences() {
    assert_eq!(
        verdict("delete from t", PG, false),
        "refused: DELETE writes, and sessions are read-only (pass --allow-writes to allow it)"
    );
    assert_eq!(
        verdict("SELECT 1; DROP TABLE t", PG, true),
        "refused: the query holds 2 statements; send one at a time"
    );
    assert_eq!(verdict("", LITE, false), "refused: the query is empty");
    assert_eq!(
        verdict(r"SELECT 'C:\'; DELETE FROM t; --'", MY, true),
        "refused: the query holds more than one statement, then text that cannot be read \
         (unterminated string literal at line 1, column 32); send one at a time \
         (as a server with sql_mode NO_BACKSLASH_ESCAPES reads it)"
    );
    assert_eq!(
        verdict("SELECT * INTO t2 FROM t", PG, false),
        "refused: INTO (line 1, column 10) writes, and sessions are read-only \
         (pass --allow-writes to allow it)"
    );
}
