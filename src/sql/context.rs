//! The DataFusion session a SQL step runs in: a memory limit, one partition per core, and the
//! tables `results` and one per source, all in memory (the gathered batches, not copied).

use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use datafusion::common::TableReference;
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use super::SqlError;
use crate::merge::MergeSpec;

/// The name of the merged table.
pub const RESULTS: &str = "results";
/// Memory the step's operators (hash tables of a GROUP BY or a join, sorts) may hold before
/// they spill to disk or fail with a message; the gathered rows themselves are not counted.
/// The default total row cap (5 million rows) at about 200 bytes a row: room for a GROUP BY
/// over a full gather, small enough that a runaway join fails instead of taking the machine.
pub const MEMORY_LIMIT: usize = 1 << 30;
/// Rows per batch handed to DataFusion: its own default batch size.
const CHUNK_ROWS: usize = 8192;

/// A session holding `results` and each source's table, and warnings about the names.
pub(super) fn session(
    results: &RecordBatch,
    sources: &[(&str, &[RecordBatch])],
) -> Result<(SessionContext, Vec<String>), SqlError> {
    let partitions = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let mut config = SessionConfig::new()
        .with_target_partitions(partitions)
        .with_information_schema(false);
    // Plain Utf8 strings, the type every output writer and the dashboard handle.
    config.options_mut().sql_parser.map_string_types_to_utf8view = false;
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_limit(MEMORY_LIMIT, 1.0)
        .build_arc()
        .map_err(|e| failed(&e))?;
    let ctx = SessionContext::new_with_config_rt(config, runtime);
    register(&ctx, RESULTS, results.schema(), spread(results, partitions))?;
    let mut warnings = Vec::new();
    for (name, batches) in sources {
        if *name == RESULTS {
            warnings.push(format!(
                "sql: the source named \"{RESULTS}\" is hidden by the merged table of that name"
            ));
            continue;
        }
        let (schema, batches) = own_rows(name, batches).map_err(|e| failed(&e.into()))?;
        register(&ctx, name, schema, vec![batches])?;
    }
    Ok((ctx, warnings))
}

fn register(
    ctx: &SessionContext,
    name: &str,
    schema: SchemaRef,
    partitions: Vec<Vec<RecordBatch>>,
) -> Result<(), SqlError> {
    let table = MemTable::try_new(schema, partitions).map_err(|e| failed(&e))?;
    ctx.register_table(TableReference::bare(name), Arc::new(table))
        .map_err(|e| failed(&e))?;
    Ok(())
}

fn failed(e: &DataFusionError) -> SqlError {
    SqlError::Run {
        message: e.strip_backtrace(),
    }
}

/// `batch` in slices of [`CHUNK_ROWS`] (no copy), dealt over `partitions` so every core scans.
fn spread(batch: &RecordBatch, partitions: usize) -> Vec<Vec<RecordBatch>> {
    let partitions = partitions.max(1);
    let mut out = vec![Vec::new(); partitions];
    let rows = batch.num_rows();
    for (i, start) in (0..rows).step_by(CHUNK_ROWS).enumerate() {
        let len = CHUNK_ROWS.min(rows - start);
        out[i % partitions].push(batch.slice(start, len));
    }
    out
}

/// A source's rows under one schema: as they came when its batches agree (they almost always
/// do), else merged to the union of their schemas. A source without rows is a table without
/// columns.
fn own_rows(
    name: &str,
    batches: &[RecordBatch],
) -> Result<(SchemaRef, Vec<RecordBatch>), ArrowError> {
    let Some(first) = batches.first() else {
        return Ok((Arc::new(Schema::empty()), Vec::new()));
    };
    let schema = first.schema();
    if batches.iter().all(|b| b.schema() == schema) {
        return Ok((schema, batches.to_vec()));
    }
    let merged = crate::merge::merge(&[(name, batches)], &MergeSpec::default())?.batch;
    let data = merged.num_columns() - 1;
    let merged = merged.project(&(0..data).collect::<Vec<_>>())?;
    Ok((merged.schema(), vec![merged]))
}

/// `batch` with view types (`Utf8View`, `BinaryView`), which some functions return, cast to
/// their plain forms.
pub(super) fn plain_types(batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
    let plain = |t: &DataType| match t {
        DataType::Utf8View => Some(DataType::Utf8),
        DataType::BinaryView => Some(DataType::Binary),
        _ => None,
    };
    let schema = batch.schema();
    if !schema
        .fields()
        .iter()
        .any(|f| plain(f.data_type()).is_some())
    {
        return Ok(batch.clone());
    }
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        if let Some(t) = plain(field.data_type()) {
            columns.push(arrow_cast::cast(column, &t)?);
            fields.push(Field::new(field.name(), t, field.is_nullable()));
        } else {
            columns.push(Arc::clone(column));
            fields.push(field.as_ref().clone());
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}
