//! `file`: a CSV, JSON, NDJSON or Parquet file, read whole on each run (a Parquet file only
//! in the columns the SQL step may name, when there is one).

use std::path::PathBuf;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use super::data::{self, Nulls};
use super::{Request, RowSink, Source, SourceError};
use crate::config::DataFormat;

/// A data file.
#[derive(Debug)]
pub struct FileSource {
    path: PathBuf,
    format: DataFormat,
    nulls: Nulls,
}

impl FileSource {
    /// The file at `path`, in `format`.
    #[must_use]
    pub fn new(path: PathBuf, format: DataFormat) -> Self {
        Self {
            path,
            format,
            nulls: Nulls::default(),
        }
    }

    /// Reads the CSV fields spelled as one of `nulls` as null (default: the empty field).
    #[must_use]
    pub fn with_nulls(mut self, nulls: &[String]) -> Self {
        self.nulls = Nulls::new(nulls);
        self
    }
}

impl Source for FileSource {
    fn run<'a>(
        &'a self,
        request: &'a Request,
        sink: &'a mut RowSink,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        async move {
            if self.format == DataFormat::Parquet {
                let columns = request.columns.clone();
                return super::parquet::push_file(self.path.clone(), columns, sink).await;
            }
            let bytes = tokio::fs::read(&self.path)
                .await
                .map_err(|source| SourceError::Io {
                    context: format!("cannot read {}", self.path.display()),
                    source,
                })?;
            data::push_parsed(bytes, self.format, &self.nulls, sink).await
        }
        .boxed()
    }

    fn describe(&self) -> String {
        format!("file {} ({})", self.path.display(), self.format.as_str())
    }
}
