//! `e`/`E`/`P`: the table as shown (sorted, filtered; the SQL result or the merged rows) written
//! to a CSV, JSON or Parquet file through the headless output writers.

use std::path::PathBuf;

use super::App;
use crate::engine::GatherResult;
use crate::merge::Merged;
use crate::output::{self, Format};
use crate::source::{Outcome, SourceReport, Timing};
use crate::tui::action::Effect;

impl App {
    /// Writes the table to a new file in `export_dir` and says where in the footer.
    pub(super) fn export(&mut self, format: Format) -> Option<Effect> {
        match self.write_export(format) {
            Ok((path, rows)) => self.post(format!("exported {rows} rows to {}", path.display())),
            Err(e) => self.post_error(format!("export failed: {e}")),
        }
        None
    }

    fn write_export(&self, format: Format) -> std::io::Result<(PathBuf, usize)> {
        let batch = self.table.to_batch().map_err(std::io::Error::other)?;
        let rows = batch.num_rows();
        let merged = Merged {
            batch,
            total: rows,
            warnings: self.table.warnings.clone(),
        };
        let result = GatherResult {
            generation: self.generation,
            elapsed: self.elapsed(),
            reports: self.reports(),
            batches: Vec::new(),
            aborted: false,
        };
        let extension = match format {
            Format::Json => "json",
            Format::Parquet => "parquet",
            _ => "csv",
        };
        let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
        let name = format!("scatter-run{}-{stamp}.{extension}", self.generation);
        let path = self.export_dir.join(name);
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
        output::write(&mut file, format, &self.query, &result, Some(&merged))?;
        std::io::Write::flush(&mut file)?;
        Ok((path, rows))
    }

    /// The reports of the sources that finished this run.
    fn reports(&self) -> Vec<SourceReport> {
        self.sources
            .iter()
            .enumerate()
            .filter_map(|(index, s)| {
                let outcome: Outcome = s.outcome.clone()?;
                Some(SourceReport {
                    index,
                    name: s.name.clone(),
                    kind: s.kind,
                    outcome,
                    rows: s.rows,
                    timing: Timing {
                        queued: s.queued.unwrap_or_default(),
                        started: s.started,
                        first_row: s.first_row,
                        finished: s.finished.unwrap_or_default(),
                    },
                    warnings: s.warnings.clone(),
                    attempts: s.attempts.clone(),
                })
            })
            .collect()
    }
}
