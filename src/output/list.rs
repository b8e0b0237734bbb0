//! `--list-sources`: the sources a config declares, fleets expanded, without querying any.

use std::io::{self, Write};
use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, RecordBatch, StringArray};
use serde_json::json;

use super::Format;
use crate::config::{Config, SourceSpec};

/// Writes the sources of `config` in `format`: `json` is `{"sources": [...]}` (as in the
/// `--once` output), `ndjson` one object per source, `csv` and `table` one row per source.
pub fn write_sources(out: &mut dyn Write, config: &Config, format: Format) -> io::Result<()> {
    match format {
        Format::Json => {
            let sources: Vec<_> = config.sources.iter().map(source_json).collect();
            serde_json::to_writer(&mut *out, &json!({ "sources": sources }))?;
            writeln!(out)
        }
        Format::Ndjson => {
            for s in &config.sources {
                serde_json::to_writer(&mut *out, &source_json(s))?;
                writeln!(out)?;
            }
            Ok(())
        }
        Format::Csv | Format::Table | Format::Parquet => {
            let batch = sources_batch(&config.sources).map_err(io::Error::other)?;
            match format {
                Format::Csv => arrow_csv::WriterBuilder::new()
                    .with_header(true)
                    .build(&mut *out)
                    .write(&batch)
                    .map_err(io::Error::other),
                Format::Parquet => super::parquet::write(out, &batch),
                _ => super::table::write(out, &batch),
            }
        }
    }
}

fn source_json(s: &SourceSpec) -> serde_json::Value {
    json!({
        "name": s.name,
        "kind": s.kind.name(),
        "target": s.kind.target(),
        "tags": s.tags,
        "enabled": s.enabled,
    })
}

/// One row per source; tags joined with commas.
fn sources_batch(sources: &[SourceSpec]) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let text = |f: &dyn Fn(&SourceSpec) -> String| -> ArrayRef {
        Arc::new(sources.iter().map(|s| Some(f(s))).collect::<StringArray>())
    };
    let enabled: ArrayRef = Arc::new(
        sources
            .iter()
            .map(|s| Some(s.enabled))
            .collect::<BooleanArray>(),
    );
    RecordBatch::try_from_iter([
        ("name", text(&|s| s.name.clone())),
        ("kind", text(&|s| s.kind.name().to_owned())),
        ("target", text(&|s| s.kind.target())),
        ("tags", text(&|s| s.tags.join(","))),
        ("enabled", enabled),
    ])
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn config() -> Config {
        let text = "[[source]]\nname = \"pg-{n}\"\nkind = \"postgres\"\nurl = \"postgres://reader:${PW}@db-{n}/shop\"\ntags = [\"eu\", \"prod\"]\neach = { n = \"1..2\" }\n[[source]]\nname = \"s\"\nkind = \"sim\"\nlatency = \"5ms..9ms\"\nenabled = false\n";
        Config::parse(Path::new("x.toml"), text, &|_| Some("s3cret".into())).unwrap()
    }

    fn written(format: Format) -> String {
        let mut out = Vec::new();
        write_sources(&mut out, &config(), format).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn each_format_lists_every_source_with_passwords_hidden() {
        assert_eq!(
            written(Format::Table),
            "name  kind      target                           tags     enabled\n\
             pg-1  postgres  postgres://reader:***@db-1/shop  eu,prod  true\n\
             pg-2  postgres  postgres://reader:***@db-2/shop  eu,prod  true\n\
             s     sim       5ms..9ms, 10 rows                         false\n"
        );
        let json: serde_json::Value = serde_json::from_str(&written(Format::Json)).unwrap();
        assert_eq!(
            json["sources"][1],
            json!({"name": "pg-2", "kind": "postgres", "target": "postgres://reader:***@db-2/shop", "tags": ["eu", "prod"], "enabled": true})
        );
        assert_eq!(json["sources"].as_array().unwrap().len(), 3);
        assert_eq!(written(Format::Ndjson).lines().count(), 3);
        assert!(written(Format::Csv).starts_with("name,kind,target,tags,enabled\npg-1,postgres,postgres://reader:***@db-1/shop,\"eu,prod\",true\n"));
        assert!(!written(Format::Json).contains("s3cret"));
    }
}
