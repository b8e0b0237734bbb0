//! One run's command against one collection: the driver call for each query form, and the
//! cursor's batches pushed into the sink as they arrive.

use std::time::Duration;

use bson::{Bson, Document, RawBsonRef, RawDocument};
use futures_util::TryStreamExt;
use mongodb::Collection;
use mongodb::options::FindOptions;
use mongodb::raw_batch_cursor::RawBatchCursor;

use super::errors::classify;
use super::query::{MongoCommand, MongoQuery};
use super::rows;
use crate::source::server::Failure;
use crate::source::{BATCH_ROWS, RowSink, SourceError};
use crate::value::{BatchBuilder, Cell};

/// The column of a `count` query's one row.
pub const COUNT_COLUMN: &str = "count";

/// What every command of a run carries.
pub struct Read<'a> {
    /// The collection the query names, in the URL's database.
    pub collection: Collection<Document>,
    /// `maxTimeMS`: the server-side backstop.
    pub limit: Duration,
    /// The source's label, sent as the command's `comment` (seen in `currentOp`, the
    /// profiler and the server's slow-query log).
    pub comment: &'a str,
}

impl Read<'_> {
    /// Runs `query`, pushing its rows into `sink`.
    pub async fn run(&self, query: &MongoQuery, sink: &mut RowSink) -> Result<(), Failure> {
        let comment = Bson::String(self.comment.to_owned());
        let batch = BATCH_ROWS as u32;
        let cursor = match &query.command {
            MongoCommand::Find(find) => {
                let options = FindOptions::builder()
                    .projection(find.projection.clone())
                    .sort(find.sort.clone())
                    .limit(find.limit.map(|n| i64::try_from(n).unwrap_or(i64::MAX)))
                    .skip(find.skip)
                    .batch_size(batch)
                    .max_time(self.limit)
                    .comment(comment)
                    .build();
                self.collection
                    .find(find.filter.clone())
                    .with_options(options)
                    .batch()
                    .await
            }
            MongoCommand::Aggregate { pipeline } => {
                self.collection
                    .aggregate(pipeline.clone())
                    .batch_size(batch)
                    .max_time(self.limit)
                    .comment(comment)
                    .batch()
                    .await
            }
            MongoCommand::Count { filter } => {
                let n = self
                    .collection
                    .count_documents(filter.clone())
                    .max_time(self.limit)
                    .comment(comment)
                    .await
                    .map_err(|e| classify(&e))?;
                let mut b = BatchBuilder::with_columns(&[COUNT_COLUMN]);
                b.set(0, Cell::Int(i64::try_from(n).unwrap_or(i64::MAX)));
                b.end_row();
                return Ok(sink.push(b.finish())?);
            }
        };
        stream(cursor.map_err(|e| classify(&e))?, sink).await
    }
}

/// Pushes the cursor's documents into `sink`, one record batch per server batch (split at
/// [`BATCH_ROWS`] should a server send more). Dropping the cursor unfinished (an error here, or
/// the run dropped) makes the driver send `killCursors`.
async fn stream(mut cursor: RawBatchCursor, sink: &mut RowSink) -> Result<(), Failure> {
    let mut builder = BatchBuilder::default();
    while let Some(batch) = cursor.try_next().await.map_err(|e| classify(&e))? {
        for doc in batch.doc_slices().map_err(|e| classify(&e))? {
            let doc = document(doc.map_err(|e| malformed(&e))?)?;
            rows::push_document(&mut builder, doc).map_err(|e| malformed(&e))?;
            if builder.len() >= BATCH_ROWS {
                sink.push(builder.finish())?;
            }
        }
        if !builder.is_empty() {
            sink.push(builder.finish())?;
        }
    }
    Ok(())
}

fn document(value: RawBsonRef<'_>) -> Result<&RawDocument, Failure> {
    value.as_document().ok_or_else(|| {
        Failure::Client(SourceError::Parse(
            "the server sent a batch item that is not a document".into(),
        ))
    })
}

fn malformed(e: &bson::error::Error) -> Failure {
    Failure::Client(SourceError::Parse(format!(
        "the server sent malformed BSON: {e}"
    )))
}
