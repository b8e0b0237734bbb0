//! The queries a `redis` source understands.

use crate::source::SourceError;

/// What a `redis` source reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisQuery {
    /// `HGETALL <pattern>`: every hash whose key matches, one row per hash.
    Hashes {
        /// A `SCAN MATCH` glob.
        pattern: String,
    },
    /// `GET <pattern>`: every string key whose value is a JSON object, one row per key.
    Json {
        /// A `SCAN MATCH` glob.
        pattern: String,
    },
    /// `ZRANGE <key> <start> <stop>`: the members of a sorted set with their scores.
    Range {
        /// The sorted set.
        key: String,
        /// First rank (negative counts from the end).
        start: i64,
        /// Last rank, inclusive (negative counts from the end).
        stop: i64,
    },
}

const USAGE: &str = "use HGETALL <pattern>, GET <pattern> or ZRANGE <key> <start> <stop>";

/// Parses a query; the command name is case-insensitive, arguments are separated by spaces
/// (keys and patterns cannot contain spaces). A query it does not understand is a final
/// error that says what to write.
pub fn parse(query: &str) -> Result<RedisQuery, SourceError> {
    let words: Vec<&str> = query.split_whitespace().collect();
    let Some((verb, args)) = words.split_first() else {
        return Err(SourceError::Failed(format!("no query given; {USAGE}")));
    };
    let verb = verb.to_ascii_uppercase();
    let one = |args: &[&str]| match args {
        [pattern] => Ok((*pattern).to_owned()),
        _ => Err(SourceError::Failed(format!(
            "{verb} takes one key pattern, got {} arguments in \"{query}\"",
            args.len()
        ))),
    };
    match verb.as_str() {
        "HGETALL" => Ok(RedisQuery::Hashes {
            pattern: one(args)?,
        }),
        "GET" => Ok(RedisQuery::Json {
            pattern: one(args)?,
        }),
        "ZRANGE" => match args {
            [key, start, stop] => Ok(RedisQuery::Range {
                key: (*key).to_owned(),
                start: rank("start", start)?,
                stop: rank("stop", stop)?,
            }),
            _ => Err(SourceError::Failed(format!(
                "ZRANGE takes <key> <start> <stop>, got {} arguments in \"{query}\"",
                args.len()
            ))),
        },
        _ => {
            let shown: String = query.trim().chars().take(40).collect();
            Err(SourceError::Failed(format!(
                "\"{shown}\" is not a query this source runs; {USAGE}"
            )))
        }
    }
}

fn rank(what: &str, s: &str) -> Result<i64, SourceError> {
    s.parse()
        .map_err(|_| SourceError::Failed(format!("ZRANGE: {what} \"{s}\" is not an integer")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_forms_parse() {
        assert_eq!(
            parse("hgetall product:*").ok(),
            Some(RedisQuery::Hashes {
                pattern: "product:*".into()
            })
        );
        assert_eq!(
            parse("  GET  doc:[ab]?  ").ok(),
            Some(RedisQuery::Json {
                pattern: "doc:[ab]?".into()
            })
        );
        assert_eq!(
            parse("ZRANGE top 0 -1").ok(),
            Some(RedisQuery::Range {
                key: "top".into(),
                start: 0,
                stop: -1
            })
        );
    }

    #[test]
    fn bad_queries_say_what_to_write() {
        let cases = [
            (
                "",
                "no query given; use HGETALL <pattern>, GET <pattern> or ZRANGE <key> <start> <stop>",
            ),
            (
                "SELECT * FROM products",
                "\"SELECT * FROM products\" is not a query this source runs; use HGETALL <pattern>, GET <pattern> or ZRANGE <key> <start> <stop>",
            ),
            (
                "GET a b",
                "GET takes one key pattern, got 2 arguments in \"GET a b\"",
            ),
            (
                "ZRANGE k 0",
                "ZRANGE takes <key> <start> <stop>, got 2 arguments in \"ZRANGE k 0\"",
            ),
            ("ZRANGE k 0 end", "ZRANGE: stop \"end\" is not an integer"),
        ];
        for (q, want) in cases {
            let e = parse(q).unwrap_err();
            assert!(!e.is_transient());
            assert_eq!(e.to_string(), want, "{q}");
        }
    }
}
