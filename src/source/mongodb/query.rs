//! The queries a `mongodb` source understands: one JSON object naming a read command.
//!
//! ```json
//! {"find": "products", "filter": {...}, "projection": {...}, "sort": {...}, "limit": 10, "skip": 0}
//! {"aggregate": "products", "pipeline": [{"$match": {...}}, {"$group": {...}}]}
//! {"count": "products", "filter": {...}}
//! ```
//!
//! Values are extended JSON, relaxed or canonical, so a filter can name an `ObjectId` or a
//! date: `{"_id": {"$oid": "65a1..."}}`, `{"at": {"$gte": {"$date": "2024-01-01T00:00:00Z"}}}`.
//! Parsing is pure and also runs when the config is loaded, so a bad query in the file is a
//! config error naming its line.

use bson::{Bson, Document};
use serde_json::{Map, Value};

/// What a `mongodb` source runs: a read command on one collection.
#[derive(Debug, Clone, PartialEq)]
pub struct MongoQuery {
    /// The collection read.
    pub collection: String,
    /// The command and its arguments.
    pub command: MongoCommand,
}

/// The read commands.
#[derive(Debug, Clone, PartialEq)]
pub enum MongoCommand {
    /// `find`: the documents matching a filter.
    Find(Box<MongoFind>),
    /// `aggregate`: the documents a pipeline produces.
    Aggregate {
        /// The stages.
        pipeline: Vec<Document>,
    },
    /// `count`: one row with the number of documents matching `filter`.
    Count {
        /// Which documents (empty: all).
        filter: Document,
    },
}

/// A `find`'s arguments.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MongoFind {
    /// Which documents (empty: all).
    pub filter: Document,
    /// Which fields; `None`: all.
    pub projection: Option<Document>,
    /// Order, e.g. `{"price": 1}`; `None`: the server's.
    pub sort: Option<Document>,
    /// Most documents returned; `None`: no limit.
    pub limit: Option<u64>,
    /// Documents skipped first.
    pub skip: Option<u64>,
}

/// How the usage is spelled in messages.
const EXAMPLE: &str = r#"{"find": "products", "filter": {"price": {"$lt": 100}}}"#;

/// The read commands, in the order messages name them.
const COMMANDS: [&str; 3] = ["find", "aggregate", "count"];

/// Pipeline stages that write to a collection.
const WRITE_STAGES: [&str; 2] = ["$out", "$merge"];

/// Characters of the query quoted around a JSON syntax error.
const NEAR_CHARS: usize = 24;

/// Why a query is not one this source runs. `Display` is the message; config errors prefix it
/// with the file, line and key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MongoQueryError {
    /// Nothing to run.
    #[error("no query given; write e.g. {EXAMPLE}")]
    Empty,
    /// The text is not JSON.
    #[error("not valid JSON at line {line}, column {column}: {message} (near `{near}`)")]
    Json {
        /// 1-based line within the query.
        line: usize,
        /// 1-based column within that line.
        column: usize,
        /// What the parser expected.
        message: String,
        /// The query's text around the position.
        near: String,
    },
    /// JSON, but not an object.
    #[error("the query must be a JSON object such as {EXAMPLE}, not {found}")]
    NotAnObject {
        /// What it is ("an array").
        found: &'static str,
    },
    /// An object that names no read command.
    #[error(
        "\"{0}\" is not a command this source sends: it only reads, with find, aggregate or count"
    )]
    UnknownCommand(String),
    /// Two read commands in one object.
    #[error("the query names both \"{0}\" and \"{1}\"; send one command")]
    TwoCommands(&'static str, &'static str),
    /// A key the command does not take.
    #[error("`{command}` takes {allowed}, not \"{key}\"")]
    UnknownKey {
        /// The command.
        command: &'static str,
        /// The key.
        key: String,
        /// The keys it takes, listed.
        allowed: &'static str,
    },
    /// A value of the wrong shape.
    #[error("`{command}`: \"{key}\" {problem}")]
    BadValue {
        /// The command.
        command: &'static str,
        /// The key whose value is wrong (the command itself for the collection).
        key: String,
        /// What is wrong with it.
        problem: String,
    },
}

impl MongoQueryError {
    /// Where in the query a JSON syntax error is: `(line, column)`, both 1-based.
    #[must_use]
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            Self::Json { line, column, .. } => Some((*line, *column)),
            _ => None,
        }
    }
}

impl MongoQuery {
    /// Parses a query (see the module docs).
    pub fn parse(text: &str) -> Result<Self, MongoQueryError> {
        if text.trim().is_empty() {
            return Err(MongoQueryError::Empty);
        }
        let value: Value = serde_json::from_str(text).map_err(|e| json_error(text, &e))?;
        let Value::Object(object) = value else {
            return Err(MongoQueryError::NotAnObject {
                found: crate::source::data::json_kind(&value),
            });
        };
        let mut named = COMMANDS.iter().filter(|c| object.contains_key(**c));
        let command = match (named.next(), named.next()) {
            (Some(a), Some(b)) => return Err(MongoQueryError::TwoCommands(a, b)),
            (Some(c), None) => *c,
            (None, _) => {
                let first = object.keys().next().cloned().unwrap_or_default();
                return Err(MongoQueryError::UnknownCommand(first));
            }
        };
        let mut fields = Fields { command, object };
        let collection = fields.collection()?;
        let command = match command {
            "find" => MongoCommand::Find(Box::new(MongoFind {
                filter: fields.document("filter")?.unwrap_or_default(),
                projection: fields.document("projection")?,
                sort: fields.document("sort")?,
                limit: fields.count("limit")?,
                skip: fields.count("skip")?,
            })),
            "aggregate" => MongoCommand::Aggregate {
                pipeline: fields.pipeline()?,
            },
            _ => MongoCommand::Count {
                filter: fields.document("filter")?.unwrap_or_default(),
            },
        };
        let query = Self {
            collection,
            command,
        };
        fields.finish()?;
        Ok(query)
    }

    /// The first stage that writes (`$out`, `$merge`), looked for at every depth of the
    /// pipeline (sub-pipelines of `$lookup`, `$facet`, `$unionWith` included); `None` for a
    /// query that only reads.
    #[must_use]
    pub fn write_stage(&self) -> Option<&'static str> {
        let MongoCommand::Aggregate { pipeline } = &self.command else {
            return None;
        };
        pipeline.iter().find_map(write_stage_in)
    }
}

fn write_stage_in(doc: &Document) -> Option<&'static str> {
    doc.iter().find_map(|(key, value)| {
        WRITE_STAGES
            .iter()
            .find(|s| **s == key)
            .copied()
            .or_else(|| write_stage_in_value(value))
    })
}

fn write_stage_in_value(value: &Bson) -> Option<&'static str> {
    match value {
        Bson::Document(d) => write_stage_in(d),
        Bson::Array(items) => items.iter().find_map(write_stage_in_value),
        _ => None,
    }
}

/// The keys of one command object, taken out as they are read; what is left is unknown.
struct Fields {
    command: &'static str,
    object: Map<String, Value>,
}

impl Fields {
    fn bad(&self, key: &str, problem: impl Into<String>) -> MongoQueryError {
        MongoQueryError::BadValue {
            command: self.command,
            key: key.to_owned(),
            problem: problem.into(),
        }
    }

    fn collection(&mut self) -> Result<String, MongoQueryError> {
        match self.object.remove(self.command) {
            Some(Value::String(name)) if !name.trim().is_empty() => Ok(name),
            Some(other) => Err(self.bad(
                self.command,
                format!(
                    "must name a collection, not {}",
                    crate::source::data::json_kind(&other)
                ),
            )),
            None => unreachable!("the command key was found"),
        }
    }

    fn document(&mut self, key: &str) -> Result<Option<Document>, MongoQueryError> {
        match self.object.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Document::try_from(map)
                .map(Some)
                .map_err(|e| self.bad(key, format!("is not valid extended JSON: {e}"))),
            Some(other) => Err(self.bad(
                key,
                format!(
                    "must be an object, not {}",
                    crate::source::data::json_kind(&other)
                ),
            )),
        }
    }

    fn count(&mut self, key: &str) -> Result<Option<u64>, MongoQueryError> {
        match self.object.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64()),
            Some(other) => Err(self.bad(key, format!("must be 0 or more, not {other}"))),
        }
    }

    fn pipeline(&mut self) -> Result<Vec<Document>, MongoQueryError> {
        let stages = match self.object.remove("pipeline") {
            None => return Err(self.bad("pipeline", "is missing: an aggregate needs stages")),
            Some(Value::Array(stages)) => stages,
            Some(other) => {
                return Err(self.bad(
                    "pipeline",
                    format!(
                        "must be an array of stages, not {}",
                        crate::source::data::json_kind(&other)
                    ),
                ));
            }
        };
        stages
            .into_iter()
            .enumerate()
            .map(|(i, stage)| match stage {
                Value::Object(map) => Document::try_from(map).map_err(|e| {
                    self.bad(
                        "pipeline",
                        format!("stage {i} is not valid extended JSON: {e}"),
                    )
                }),
                other => Err(self.bad(
                    "pipeline",
                    format!(
                        "stage {i} must be an object, not {}",
                        crate::source::data::json_kind(&other)
                    ),
                )),
            })
            .collect()
    }

    fn finish(self) -> Result<(), MongoQueryError> {
        let Some(key) = self.object.keys().next() else {
            return Ok(());
        };
        Err(MongoQueryError::UnknownKey {
            command: self.command,
            key: key.clone(),
            allowed: match self.command {
                "find" => "filter, projection, sort, limit and skip",
                "aggregate" => "pipeline",
                _ => "filter",
            },
        })
    }
}

/// A `serde_json` syntax error with its position and the text around it.
fn json_error(text: &str, e: &serde_json::Error) -> MongoQueryError {
    let (line, column) = (e.line().max(1), e.column().max(1));
    let full = e.to_string();
    let message = full
        .strip_suffix(&format!(" at line {} column {}", e.line(), e.column()))
        .unwrap_or(&full)
        .to_owned();
    let row: Vec<char> = text.lines().nth(line - 1).unwrap_or("").chars().collect();
    let at = column.min(row.len());
    let from = at.saturating_sub(NEAR_CHARS / 2);
    let to = (at + NEAR_CHARS / 2).min(row.len());
    let mut near: String = row[from..to].iter().collect();
    if from > 0 {
        near.insert(0, '…');
    }
    if to < row.len() {
        near.push('…');
    }
    MongoQueryError::Json {
        line,
        column,
        message,
        near: near.trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use bson::doc;

    use super::*;

    #[test]
    fn the_three_forms_parse() {
        let find = MongoQuery::parse(
            r#"{"find": "products", "filter": {"price": {"$gt": 10}}, "projection": {"_id": 0},
                "sort": {"price": 1, "model": -1}, "limit": 5, "skip": 2}"#,
        )
        .unwrap();
        assert_eq!(
            find,
            MongoQuery {
                collection: "products".into(),
                command: MongoCommand::Find(Box::new(MongoFind {
                    filter: doc! {"price": {"$gt": 10}},
                    projection: Some(doc! {"_id": 0}),
                    sort: Some(doc! {"price": 1, "model": -1}),
                    limit: Some(5),
                    skip: Some(2),
                })),
            }
        );
        let agg = MongoQuery::parse(
            r#"{"pipeline": [{"$group": {"_id": "$type", "n": {"$sum": 1}}}], "aggregate": "p"}"#,
        )
        .unwrap();
        assert_eq!(agg.collection, "p");
        assert_eq!(agg.write_stage(), None);
        assert_eq!(
            MongoQuery::parse(r#"{"count": "p"}"#).unwrap(),
            MongoQuery {
                collection: "p".into(),
                command: MongoCommand::Count {
                    filter: Document::new()
                }
            }
        );
    }

    #[test]
    fn filters_are_extended_json() {
        let q = MongoQuery::parse(
            r#"{"find": "p", "filter": {"_id": {"$oid": "65a1b2c3d4e5f60718293a4b"},
                "at": {"$gte": {"$date": "2024-01-01T00:00:00Z"}}, "big": {"$numberLong": "7"}}}"#,
        )
        .unwrap();
        let MongoCommand::Find(find) = q.command else {
            panic!("a find");
        };
        let filter = find.filter;
        assert!(matches!(filter.get("_id"), Some(Bson::ObjectId(_))));
        assert!(matches!(
            filter.get_document("at").unwrap().get("$gte"),
            Some(Bson::DateTime(_))
        ));
        assert_eq!(filter.get("big"), Some(&Bson::Int64(7)));
        let bad = MongoQuery::parse(r#"{"find": "p", "filter": {"_id": {"$oid": "zz"}}}"#)
            .unwrap_err()
            .to_string();
        assert!(
            bad.starts_with("`find`: \"filter\" is not valid extended JSON: "),
            "{bad}"
        );
    }

    #[test]
    fn writing_stages_are_found_at_any_depth() {
        let out = MongoQuery::parse(
            r#"{"aggregate": "p", "pipeline": [{"$match": {}}, {"$out": "copy"}]}"#,
        )
        .unwrap();
        assert_eq!(out.write_stage(), Some("$out"));
        let nested = MongoQuery::parse(
            r#"{"aggregate": "p", "pipeline": [{"$facet": {"a": [{"$merge": {"into": "x"}}]}}]}"#,
        )
        .unwrap();
        assert_eq!(nested.write_stage(), Some("$merge"));
        let reading = MongoQuery::parse(
            r#"{"aggregate": "p", "pipeline": [{"$project": {"m": {"$mergeObjects": ["$a", "$b"]}}}]}"#,
        )
        .unwrap();
        assert_eq!(reading.write_stage(), None);
    }

    #[test]
    fn bad_queries_say_what_to_write() {
        let cases = [
            (
                "  ",
                "no query given; write e.g. {\"find\": \"products\", \"filter\": {\"price\": {\"$lt\": 100}}}",
            ),
            (
                r#"{"find": "products" "filter": {}}"#,
                "not valid JSON at line 1, column 21: expected `,` or `}` (near `…\"products\" \"filter\": {}}`)",
            ),
            (
                "[1, 2]",
                "the query must be a JSON object such as {\"find\": \"products\", \"filter\": {\"price\": {\"$lt\": 100}}}, not an array",
            ),
            (
                r#"{"delete": "products", "q": {}}"#,
                "\"delete\" is not a command this source sends: it only reads, with find, aggregate or count",
            ),
            (
                r#"{"find": "a", "count": "a"}"#,
                "the query names both \"find\" and \"count\"; send one command",
            ),
            (
                r#"{"find": "a", "filer": {}}"#,
                "`find` takes filter, projection, sort, limit and skip, not \"filer\"",
            ),
            (
                r#"{"find": 3}"#,
                "`find`: \"find\" must name a collection, not a number",
            ),
            (
                r#"{"find": "a", "limit": -1}"#,
                "`find`: \"limit\" must be 0 or more, not -1",
            ),
            (
                r#"{"find": "a", "sort": "price"}"#,
                "`find`: \"sort\" must be an object, not a string",
            ),
            (
                r#"{"aggregate": "a"}"#,
                "`aggregate`: \"pipeline\" is missing: an aggregate needs stages",
            ),
            (
                r#"{"aggregate": "a", "pipeline": [{"$match": {}}, 3]}"#,
                "`aggregate`: \"pipeline\" stage 1 must be an object, not a number",
            ),
        ];
        for (query, want) in cases {
            assert_eq!(
                MongoQuery::parse(query).unwrap_err().to_string(),
                want,
                "{query}"
            );
        }
    }

    #[test]
    fn a_syntax_error_on_a_later_line_names_that_line() {
        let text = "{\"find\": \"p\",\n \"filter\": {\"price\": 10,}\n}";
        let e = MongoQuery::parse(text).unwrap_err();
        assert_eq!(e.position(), Some((2, 25)), "{e}");
    }
}
