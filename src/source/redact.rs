//! Hiding secrets in what scatter shows and logs: passwords in connection URLs.

/// `url` with its password replaced by `***` (`postgres://user:***@host/db`). Text that does
/// not parse as a URL is returned with anything between `://user:` and `@` masked.
#[must_use]
pub fn url(url: &str) -> String {
    if let Ok(mut parsed) = url::Url::parse(url)
        && parsed.password().is_some()
    {
        if parsed.set_password(Some("***")).is_ok() {
            return parsed.to_string();
        }
    } else if url::Url::parse(url).is_ok() {
        return url.to_owned();
    }
    mask_userinfo(url)
}

fn mask_userinfo(s: &str) -> String {
    let Some(scheme_end) = s.find("://") else {
        return s.to_owned();
    };
    let rest = &s[scheme_end + 3..];
    let Some(at) = rest.rfind('@') else {
        return s.to_owned();
    };
    match rest[..at].split_once(':') {
        Some((user, _)) => format!("{}://{user}:***@{}", &s[..scheme_end], &rest[at + 1..]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_masked() {
        let cases = [
            (
                "postgres://reader:s3cret@db:5432/shop",
                "postgres://reader:***@db:5432/shop",
            ),
            ("mysql://root@127.0.0.1/test", "mysql://root@127.0.0.1/test"),
            (
                "https://api.example.com/search?q={query}",
                "https://api.example.com/search?q={query}",
            ),
            ("postgres://u:p@ss:w@rd@h/db", "postgres://u:***@h/db"),
            ("not a url", "not a url"),
        ];
        for (input, want) in cases {
            assert_eq!(super::url(input), want, "{input}");
        }
    }
}
