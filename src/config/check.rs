//! Small validators shared by every section: each turns a spanned raw value into a typed one or
//! an error that names the file, the line, the key and the value.

use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;

use super::ConfigError;

/// Looks up an environment variable; injectable so tests do not touch the process environment.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// What every check needs to report an error: the file's path and text.
pub struct Ctx<'a> {
    pub path: &'a Path,
    pub text: &'a str,
    pub env: EnvLookup<'a>,
}

impl Ctx<'_> {
    /// An error at the line holding byte `offset`.
    pub fn err(&self, offset: usize, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            line: line_of(self.text, offset),
            message: message.into(),
        }
    }

    /// A humantime duration such as `3s` or `250ms`.
    pub fn duration(&self, key: &str, v: &Spanned<String>) -> Result<Duration, ConfigError> {
        parse_duration(v.get_ref()).map_err(|e| self.err(v.span().start, format!("`{key}`: {e}")))
    }

    /// A non-negative integer.
    pub fn count(&self, key: &str, v: &Spanned<i64>) -> Result<usize, ConfigError> {
        usize::try_from(*v.get_ref()).map_err(|_| {
            self.err(
                v.span().start,
                format!("`{key}`: must be 0 or more, got {}", v.get_ref()),
            )
        })
    }

    /// Replaces every `${VAR}` with the variable's value; `$$` stands for a literal `$`.
    pub fn interpolate(&self, key: &str, v: &Spanned<String>) -> Result<String, ConfigError> {
        interpolate(v.get_ref(), self.env)
            .map_err(|e| self.err(v.span().start, format!("`{key}`: {e}")))
    }

    /// A path, interpolated, relative to the config file's folder unless absolute.
    pub fn path(&self, key: &str, v: &Spanned<String>) -> Result<PathBuf, ConfigError> {
        let raw = PathBuf::from(self.interpolate(key, v)?);
        if raw.is_absolute() {
            return Ok(raw);
        }
        let base = self.path.parent().unwrap_or_else(|| Path::new("."));
        Ok(base.join(raw))
    }
}

/// What is wrong with one value, before the caller says where it is (the file, line and key,
/// or the command-line flag).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValueError {
    /// Not a humantime duration.
    #[error("invalid duration \"{value}\" ({reason}); write e.g. \"3s\" or \"250ms\"")]
    Duration {
        /// The text given.
        value: String,
        /// What humantime says is wrong with it.
        reason: humantime::DurationError,
    },
    /// `${` without its `}`.
    #[error("unterminated \"${{\" in \"{0}\"")]
    UnterminatedVariable(String),
    /// `${NAME}` where `NAME` is not in the environment.
    #[error("environment variable `{0}` is not set")]
    UnsetVariable(String),
    /// A sort key that is only `-`, or empty.
    #[error("\"{0}\" names no column")]
    EmptySortKey(String),
    /// A range such as `900ms..20ms`.
    #[error("range \"{0}\" ends before it starts")]
    BackwardRange(String),
}

/// 1-based line number of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.get(..end).map_or(0, |t| t.matches('\n').count()) + 1
}

/// Parses a humantime duration, with a message that quotes the value.
pub fn parse_duration(s: &str) -> Result<Duration, ValueError> {
    humantime::parse_duration(s.trim()).map_err(|reason| ValueError::Duration {
        value: s.to_owned(),
        reason,
    })
}

/// Expands `${VAR}` references through `env`.
pub fn interpolate(s: &str, env: EnvLookup<'_>) -> Result<String, ValueError> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(tail) = after.strip_prefix('{') {
            let close = tail
                .find('}')
                .ok_or_else(|| ValueError::UnterminatedVariable(s.to_owned()))?;
            let name = &tail[..close];
            let value = env(name).ok_or_else(|| ValueError::UnsetVariable(name.to_owned()))?;
            out.push_str(&value);
            rest = &tail[close + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "PW").then(|| "s3cret".to_owned())
    }

    #[test]
    fn interpolation_cases() {
        let cases = [
            ("plain", Ok("plain")),
            ("pg://u:${PW}@h", Ok("pg://u:s3cret@h")),
            ("$$5 and $x", Ok("$5 and $x")),
            ("${NOPE}", Err("environment variable `NOPE` is not set")),
            ("${PW", Err("unterminated \"${\" in \"${PW\"")),
        ];
        for (input, want) in cases {
            let got = interpolate(input, &env).map_err(|e| e.to_string());
            assert_eq!(
                got.as_deref(),
                want.map_err(str::to_owned).as_deref(),
                "{input}"
            );
        }
    }

    #[test]
    fn line_numbers_are_one_based() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }
}
