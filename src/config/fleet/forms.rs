//! The three fleet forms, each read into a list of [`Binding`]s: `each` (lists and ranges),
//! `glob` (one per matching file) and `inventory` (one per JSON line).

use std::path::Path;

use serde_json::Value;
use toml::Spanned;
use toml::de::DeValue;

use super::FleetError;
use super::inventory::Row;

/// What one expansion fills in: placeholder values and, from an inventory, keys to override.
#[derive(Debug, Clone, Default)]
pub struct Binding {
    /// Placeholder values, by name.
    pub vars: Vec<(String, String)>,
    /// Inventory keys that replace the block's (`None` removes the key: JSON `null`).
    pub overrides: Vec<(String, Option<Value>)>,
    /// Where it came from, for messages: `n = "07"`, `inventory line 3`.
    pub origin: Vec<String>,
}

/// One binding from each set: one expansion, read in place (no values copied).
pub struct Picks<'a>(pub Vec<&'a Binding>);

impl Picks<'_> {
    /// A placeholder that two of the picks define, if any.
    pub fn defined_twice(&self) -> Option<&str> {
        let names = || {
            self.0
                .iter()
                .flat_map(|b| b.vars.iter().map(|(n, _)| n.as_str()))
        };
        names()
            .enumerate()
            .find(|(i, n)| names().skip(i + 1).any(|m| m == *n))
            .map(|(_, n)| n)
    }

    /// Where this expansion came from: `region = "eu", n = "07"`.
    pub fn origin(&self) -> String {
        let parts: Vec<&str> = self
            .0
            .iter()
            .flat_map(|b| b.origin.iter().map(String::as_str))
            .collect();
        parts.join(", ")
    }

    /// The inventory keys that replace the block's.
    pub fn overrides(&self) -> impl Iterator<Item = &(String, Option<Value>)> {
        self.0.iter().flat_map(|b| b.overrides.iter())
    }
}

impl super::placeholder::Vars for Picks<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .flat_map(|b| b.vars.iter())
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn names(&self) -> Vec<&str> {
        self.0
            .iter()
            .flat_map(|b| b.vars.iter().map(|(n, _)| n.as_str()))
            .collect()
    }
}

/// Each `each` key with its values, in the order written.
pub type Lists = Vec<(String, Vec<String>)>;

/// `each = { region = ["eu", "us"], n = "01..64" }`: one list per key, in the order written.
/// `Err` is the offset, the key (`each.n`) and what is wrong.
pub fn each(table: &DeValue<'_>, at: usize) -> Result<Lists, (usize, String, FleetError)> {
    let DeValue::Table(table) = table else {
        return Err((at, "each".into(), FleetError::EachNotTable));
    };
    let mut keys: Vec<_> = table.iter().collect();
    keys.sort_by_key(|(k, _)| k.span().start);
    keys.into_iter()
        .map(|(k, v)| {
            let name = k.get_ref().to_string();
            let key = || format!("each.{name}");
            let values = values(v).map_err(|e| (v.span().start, key(), e))?;
            if values.is_empty() {
                return Err((v.span().start, key(), FleetError::EmptyList));
            }
            Ok((name, values))
        })
        .collect()
}

/// A list of strings or integers, or a range in a string.
fn values(v: &Spanned<DeValue<'_>>) -> Result<Vec<String>, FleetError> {
    match v.get_ref() {
        DeValue::String(s) => range(s),
        DeValue::Array(items) => items
            .iter()
            .map(|item| match item.get_ref() {
                DeValue::String(s) => Ok(s.to_string()),
                DeValue::Integer(i) => Ok(i.to_string()),
                _ => Err(FleetError::EachItem),
            })
            .collect(),
        _ => Err(FleetError::EachValue),
    }
}

/// `"01..64"`: every integer from the first bound to the second, inclusive, zero-padded to the
/// first bound's width.
pub fn range(s: &str) -> Result<Vec<String>, FleetError> {
    let bad = || FleetError::NotRange(s.to_owned());
    let (lo, hi) = s.split_once("..").ok_or_else(bad)?;
    let digits = |b: &str| !b.is_empty() && b.bytes().all(|c| c.is_ascii_digit());
    if !digits(lo) || !digits(hi) {
        return Err(bad());
    }
    let (a, b): (u64, u64) = (
        lo.parse().map_err(|_| bad())?,
        hi.parse().map_err(|_| bad())?,
    );
    if a > b {
        return Err(FleetError::BackwardRange(s.to_owned()));
    }
    if b - a >= super::MAX_EXPANSION as u64 {
        return Err(FleetError::LongRange {
            range: s.to_owned(),
            count: b - a + 1,
        });
    }
    let width = lo.len();
    Ok((a..=b).map(|i| format!("{i:0width$}")).collect())
}

/// `glob = "stores/*.db"`: the matching files, sorted, as `{path}` (as the pattern wrote it,
/// relative to `dir` unless absolute) and `{stem}`.
pub fn glob(pattern: &str, dir: &Path) -> Result<Vec<Binding>, FleetError> {
    let full = dir.join(pattern);
    let full = full.to_str().ok_or(FleetError::NotAString)?;
    let paths = glob::glob(full).map_err(|reason| FleetError::GlobPattern {
        pattern: pattern.to_owned(),
        reason,
    })?;
    let mut out = Vec::new();
    for entry in paths {
        let path = entry.map_err(|reason| FleetError::GlobRead {
            pattern: pattern.to_owned(),
            reason,
        })?;
        if !path.is_file() {
            continue;
        }
        let shown = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        let stem = path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        out.push(Binding {
            origin: vec![format!("path = \"{shown}\"")],
            vars: vec![("path".into(), shown), ("stem".into(), stem)],
            overrides: Vec::new(),
        });
    }
    if out.is_empty() {
        return Err(FleetError::NoMatch {
            pattern: pattern.to_owned(),
            dir: dir.to_path_buf(),
        });
    }
    out.sort_by(|a, b| a.vars[0].1.cmp(&b.vars[0].1));
    Ok(out)
}

/// One binding per inventory row: scalar values fill placeholders; keys `[[source]]` takes
/// override the block's; any other key must be a placeholder the block uses.
pub fn inventory(
    rows: Vec<Row>,
    is_source_key: &dyn Fn(&str) -> bool,
    is_used: &dyn Fn(&str) -> bool,
) -> Result<Vec<Binding>, FleetError> {
    rows.into_iter()
        .map(|row| {
            let mut b = Binding {
                origin: vec![format!("inventory line {}", row.line)],
                ..Binding::default()
            };
            for (key, value) in row.entries {
                let line = row.line;
                if super::FORM_KEYS.contains(&key.as_str()) {
                    return Err(FleetError::FormInInventory { line, key });
                }
                let known = is_source_key(&key);
                if !known && !is_used(&key) {
                    return Err(FleetError::UnknownKey { line, key });
                }
                match &value {
                    Value::String(s) => b.vars.push((key.clone(), s.clone())),
                    Value::Number(_) | Value::Bool(_) => {
                        b.vars.push((key.clone(), value.to_string()));
                    }
                    _ => {}
                }
                if known {
                    b.overrides.push((key, (!value.is_null()).then_some(value)));
                }
            }
            Ok(b)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_pad_to_the_first_bound() {
        assert_eq!(range("01..03").unwrap(), ["01", "02", "03"]);
        assert_eq!(range("8..10").unwrap(), ["8", "9", "10"]);
        assert_eq!(range("098..100").unwrap(), ["098", "099", "100"]);
        assert_eq!(range("5..5").unwrap(), ["5"]);
        let errors = [
            ("64..01", "range \"64..01\" ends before it starts"),
            (
                "eu",
                "\"eu\" is not a range such as \"01..64\" (a list is written [\"a\", \"b\"])",
            ),
            (
                "a..b",
                "\"a..b\" is not a range such as \"01..64\" (a list is written [\"a\", \"b\"])",
            ),
            (
                "1..",
                "\"1..\" is not a range such as \"01..64\" (a list is written [\"a\", \"b\"])",
            ),
            (
                "0..999999",
                "range \"0..999999\" has 1000000 values, more than the 100000 a block may declare",
            ),
        ];
        for (input, want) in errors {
            assert_eq!(range(input).unwrap_err().to_string(), want, "{input}");
        }
    }
}
