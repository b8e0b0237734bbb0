//! Reading a SQL step's text at start-up: parsed with DataFusion's parser (sqlparser underneath),
//! exactly one statement, and only a query: DDL, DML, `COPY`, `SET` and `SELECT ... INTO` are
//! refused before anything runs. Also which columns the statement can name, so that a source
//! able to read only some columns (Parquet) reads no more than the step needs.

use std::collections::HashSet;
use std::ops::ControlFlow;

use datafusion::error::DataFusionError;
use datafusion::sql::parser::{DFParserBuilder, Statement as DfStatement};
use sqlparser::ast::{Query, Select, SelectItem, SetExpr, Statement, Visit, Visitor};
use sqlparser::dialect::GenericDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::ParserError;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::{Columns, SqlError};

/// Parses `text` and checks that it is one query. Returns the columns it may name.
pub(super) fn check(text: &str) -> Result<Columns, SqlError> {
    let statements = DFParserBuilder::new(text)
        .with_dialect(&GenericDialect {})
        .build()
        .and_then(|mut p| p.parse_statements())
        .map_err(|e| parse_error(text, &e))?;
    let statement = match statements.len() {
        0 => return Err(SqlError::Empty),
        1 => &statements[0],
        n => return Err(SqlError::Several { count: n }),
    };
    refuse_writes(statement)?;
    Ok(columns(text, statement))
}

/// Refuses every statement but a query (or an `EXPLAIN` of one), naming what it is.
fn refuse_writes(statement: &DfStatement) -> Result<(), SqlError> {
    let refused = |kind: &str| {
        Err(SqlError::NotAQuery {
            kind: kind.to_owned(),
        })
    };
    match statement {
        DfStatement::Statement(s) => match s.as_ref() {
            Statement::Query(query) => refuse_in_query(query),
            other => refused(&leading_keywords(&other.to_string())),
        },
        DfStatement::Explain(explain) => refuse_writes(&explain.statement),
        DfStatement::CopyTo(_) => refused("COPY"),
        DfStatement::CreateExternalTable(_) => refused("CREATE EXTERNAL TABLE"),
        DfStatement::Reset(_) => refused("RESET"),
    }
}

/// A query can still write: `WITH ... INSERT`, `SELECT ... INTO t`. Every query and select
/// inside is looked at, subqueries included.
fn refuse_in_query(query: &Query) -> Result<(), SqlError> {
    struct Writes;
    impl Visitor for Writes {
        type Break = String;
        fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<String> {
            match query.body.as_ref() {
                SetExpr::Insert(s)
                | SetExpr::Update(s)
                | SetExpr::Delete(s)
                | SetExpr::Merge(s) => ControlFlow::Break(leading_keywords(&s.to_string())),
                _ => ControlFlow::Continue(()),
            }
        }
        fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<String> {
            if select.into.is_some() {
                return ControlFlow::Break("SELECT ... INTO".to_owned());
            }
            ControlFlow::Continue(())
        }
    }
    match query.visit(&mut Writes) {
        ControlFlow::Break(kind) => Err(SqlError::NotAQuery { kind }),
        ControlFlow::Continue(()) => Ok(()),
    }
}

/// `INSERT INTO`, `CREATE TABLE`, `DROP VIEW`: the statement's leading keywords, to name it.
fn leading_keywords(statement: &str) -> String {
    /// Enough words to name any statement kind (`CREATE OR REPLACE VIEW`).
    const MOST: usize = 4;
    statement
        .split_whitespace()
        .take_while(|w| w.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .take(MOST)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Which columns the statement may name: every word in its text (a superset: keywords and
/// aliases too, which only reads a column more), or all when it takes whole rows (`*`,
/// `t.*`, `TABLE t`, `NATURAL JOIN`).
fn columns(text: &str, statement: &DfStatement) -> Columns {
    struct Whole;
    impl Visitor for Whole {
        type Break = ();
        fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
            if matches!(query.body.as_ref(), SetExpr::Table(_)) {
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
        fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<()> {
            let is_whole = select.projection.iter().any(|item| {
                matches!(
                    item,
                    SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)
                )
            });
            if is_whole {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
    }
    let query = match statement {
        DfStatement::Statement(s) => s.as_ref(),
        _ => return Columns::All,
    };
    if query.visit(&mut Whole).is_break() {
        return Columns::All;
    }
    let Ok(tokens) = Tokenizer::new(&GenericDialect {}, text).tokenize() else {
        return Columns::All;
    };
    let mut words = HashSet::new();
    for token in tokens {
        if let Token::Word(w) = token {
            if w.keyword == Keyword::NATURAL && w.quote_style.is_none() {
                return Columns::All;
            }
            words.insert(w.value.to_lowercase());
        }
    }
    Columns::Named(words)
}

/// A parse error with the position sqlparser gives in its message (`at Line: 1, Column: 8`).
fn parse_error(text: &str, e: &DataFusionError) -> SqlError {
    let message = match e.find_root() {
        DataFusionError::SQL(e, _) => match e.as_ref() {
            ParserError::TokenizerError(s) | ParserError::ParserError(s) => s.clone(),
            ParserError::RecursionLimitExceeded => "nested too deeply".to_owned(),
        },
        other => other.strip_backtrace(),
    };
    let (message, at) = match message.rfind(" at Line: ") {
        Some(i) => {
            let position = &message[i + " at Line: ".len()..];
            let at = position
                .split_once(", Column: ")
                .and_then(|(l, c)| Some((l.trim().parse().ok()?, c.trim().parse().ok()?)));
            (message[..i].to_owned(), at)
        }
        None => (message, None),
    };
    SqlError::Parse {
        message,
        pointer: pointer(text, at),
    }
}

/// The statement quoted under the message, with a `^` under the position when there is one:
/// only the line it is on for a statement of several lines.
fn pointer(text: &str, at: Option<(usize, usize)>) -> String {
    let Some((line, column)) = at else {
        return format!("  {}", text.trim());
    };
    let shown = text.lines().nth(line.saturating_sub(1)).unwrap_or(text);
    let before: String = shown.chars().take(column.saturating_sub(1)).collect();
    let pad = crate::display::width(&before);
    let place = if text.lines().count() > 1 {
        format!("line {line}, column {column}")
    } else {
        format!("column {column}")
    };
    format!("  {shown}\n  {}^ {place}", " ".repeat(pad))
}
