//! `{name}` placeholders in the strings of a fleet block.
//!
//! Only `{` + an identifier + `}` is a placeholder, so JSON bodies and `${VAR}` (environment
//! interpolation, done later) pass through untouched. `{query}` is left for run time.
//! `{{name}}` is the escape: it gives the literal text `{name}`.

use std::borrow::Cow;

use toml::de::DeValue;

/// The placeholder left for the source to fill at run time.
const RUN_TIME: &str = "query";

/// Values for the placeholders of one expansion.
pub trait Vars {
    /// The value of placeholder `name`, if defined.
    fn get(&self, name: &str) -> Option<&str>;
    /// The defined names, for the error message.
    fn names(&self) -> Vec<&str>;
}

/// A placeholder that no fleet form defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undefined {
    /// The key it was found in (`url`, `headers.X-Shard`, `argv`).
    pub key: String,
    /// The placeholder's name.
    pub name: String,
    /// The string it was found in, as written.
    pub text: String,
    /// The names that are defined.
    pub defined: Vec<String>,
}

impl std::fmt::Display for Undefined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}`: undefined placeholder `{{{}}}` in \"{}\" (defined: {}; write `{{{{{}}}}}` for the literal text)",
            self.key,
            self.name,
            self.text,
            self.defined.join(", "),
            self.name
        )
    }
}

impl std::error::Error for Undefined {}

/// Length of the identifier at the start of `s` (ASCII letters, digits, `_`, `-`; not
/// starting with a digit or `-`).
fn ident_len(s: &str) -> usize {
    let b = s.as_bytes();
    if b.first()
        .is_none_or(|c| !(c.is_ascii_alphabetic() || *c == b'_'))
    {
        return 0;
    }
    b.iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_' || **c == b'-')
        .count()
}

/// `text` with its placeholders filled; `None` (and no allocation) when it has none.
/// `Err` is the name of the first undefined placeholder.
fn fill<'t>(text: &'t str, vars: &dyn Vars) -> Result<Option<String>, &'t str> {
    if !text.contains('{') {
        return Ok(None);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    let mut changed = false;
    while let Some(i) = rest.find(['{', '$']) {
        out.push_str(&rest[..i]);
        let at = &rest[i..];
        if let Some(tail) = at.strip_prefix("$$") {
            out.push_str("$$");
            rest = tail;
        } else if at.starts_with("${") {
            // `${VAR}` is interpolated later, from the environment: copy it whole.
            let end = at.find('}').map_or(at.len(), |e| e + 1);
            out.push_str(&at[..end]);
            rest = &at[end..];
        } else if let Some(tail) = at.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(tail) = at.strip_prefix("{{")
            && let n = ident_len(tail)
            && n > 0
            && tail[n..].starts_with("}}")
        {
            out.push('{');
            out.push_str(&tail[..n]);
            out.push('}');
            rest = &tail[n + 2..];
            changed = true;
        } else {
            let tail = &at[1..];
            let n = ident_len(tail);
            if n > 0 && tail[n..].starts_with('}') && &tail[..n] != RUN_TIME {
                let name = &tail[..n];
                out.push_str(vars.get(name).ok_or(name)?);
                rest = &tail[n + 1..];
                changed = true;
            } else {
                out.push('{');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    Ok(changed.then_some(out))
}

/// Fills every string in `value` (and in its arrays and tables), `key` naming it for errors.
pub fn fill_value(value: &mut DeValue<'_>, key: &str, vars: &dyn Vars) -> Result<(), Undefined> {
    match value {
        DeValue::String(s) => {
            let filled = fill(s, vars).map_err(|name| Undefined {
                key: key.to_owned(),
                name: name.to_owned(),
                text: s.to_string(),
                defined: vars.names().into_iter().map(str::to_owned).collect(),
            })?;
            if let Some(filled) = filled {
                *s = Cow::Owned(filled);
            }
        }
        DeValue::Array(items) => {
            for item in items.iter_mut() {
                fill_value(item.get_mut(), key, vars)?;
            }
        }
        DeValue::Table(table) => {
            for (k, v) in table.iter_mut() {
                fill_value(v.get_mut(), &format!("{key}.{}", k.get_ref()), vars)?;
            }
        }
        DeValue::Integer(_) | DeValue::Float(_) | DeValue::Boolean(_) | DeValue::Datetime(_) => {}
    }
    Ok(())
}

/// Whether `text` uses placeholder `name` (so an inventory key of that name is not unknown).
pub fn uses(value: &DeValue<'_>, name: &str) -> bool {
    match value {
        DeValue::String(s) => s.contains(&format!("{{{name}}}")),
        DeValue::Array(items) => items.iter().any(|i| uses(i.get_ref(), name)),
        DeValue::Table(t) => t.values().any(|v| uses(v.get_ref(), name)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Two;

    impl Vars for Two {
        fn get(&self, name: &str) -> Option<&str> {
            match name {
                "n" => Some("07"),
                "region" => Some("eu"),
                _ => None,
            }
        }
        fn names(&self) -> Vec<&str> {
            vec!["n", "region"]
        }
    }

    #[test]
    fn fill_cases() {
        let cases: &[(&str, Result<Option<&str>, &str>)] = &[
            ("plain", Ok(None)),
            ("shard-{n}", Ok(Some("shard-07"))),
            ("{region}-{n}", Ok(Some("eu-07"))),
            ("pg://u:${PW}@db-{n}/x", Ok(Some("pg://u:${PW}@db-07/x"))),
            ("${n}", Ok(None)),
            ("$${n}", Ok(Some("$$07"))),
            ("q={query}&s={n}", Ok(Some("q={query}&s=07"))),
            ("{query}", Ok(None)),
            (
                r#"{"shard": "{n}", "a": {"b": 1}}"#,
                Ok(Some(r#"{"shard": "07", "a": {"b": 1}}"#)),
            ),
            ("{{n}} is {n}", Ok(Some("{n} is 07"))),
            ("{ n }", Ok(None)),
            ("{1x}", Ok(None)),
            ("{nope}", Err("nope")),
            ("a-{n", Ok(None)),
        ];
        for (input, want) in cases {
            let got = fill(input, &Two);
            let want = want.map(|o| o.map(str::to_owned));
            assert_eq!(got, want, "{input}");
        }
    }

    #[test]
    fn undefined_message_names_key_value_and_escape() {
        let mut v = DeValue::String(Cow::Borrowed("db-{hots}"));
        let e = fill_value(&mut v, "url", &Two).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`url`: undefined placeholder `{hots}` in \"db-{hots}\" (defined: n, region; write `{{hots}}` for the literal text)"
        );
    }
}
