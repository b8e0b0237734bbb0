//! The kinds of source, each named once: what `kind = "..."` may say, the keys each kind
//! takes, and which kinds read a path.

/// What a `[[source]]` is: the value of its `kind` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `postgres`: a PostgreSQL server.
    Postgres,
    /// `mysql`: a MySQL or MariaDB server.
    Mysql,
    /// `sqlite`: a SQLite database file or `.sql` script.
    Sqlite,
    /// `redis`: a Redis server.
    Redis,
    /// `mongodb`: a MongoDB server or replica set.
    Mongodb,
    /// `http`: a JSON API.
    Http,
    /// `command`: a program's stdout.
    Command,
    /// `file`: a CSV, JSON or NDJSON file.
    File,
    /// `sim`: a simulated source.
    Sim,
}

impl Kind {
    /// Every kind, in the order the docs list them.
    pub const ALL: [Self; 9] = [
        Self::Postgres,
        Self::Mysql,
        Self::Sqlite,
        Self::Redis,
        Self::Mongodb,
        Self::Http,
        Self::Command,
        Self::File,
        Self::Sim,
    ];

    /// The name as written in `kind = "..."`, and shown in outputs.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
            Self::Sqlite => "sqlite",
            Self::Redis => "redis",
            Self::Mongodb => "mongodb",
            Self::Http => "http",
            Self::Command => "command",
            Self::File => "file",
            Self::Sim => "sim",
        }
    }

    /// The kind named `name`, if any.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Every kind's name, comma-separated, for messages.
    #[must_use]
    pub fn names() -> String {
        Self::ALL.map(Self::name).join(", ")
    }

    /// The kind-specific keys it accepts (besides `name`, `kind`, `timeout`, `query`, `tags`
    /// and `enabled`, which every kind takes).
    #[must_use]
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            Self::Postgres | Self::Mysql => &["url", "pool", "replicas"],
            Self::Sqlite => &["path"],
            Self::File => &["path", "nulls"],
            Self::Redis | Self::Mongodb => &["url", "replicas"],
            Self::Http => &["url", "method", "headers", "body", "rows", "replicas"],
            Self::Command => &["argv", "format", "nulls"],
            Self::Sim => &[
                "latency",
                "rows",
                "error",
                "fail",
                "hang",
                "panic",
                "seed",
                "tail",
                "tail_latency",
                "replicas",
            ],
        }
    }

    /// Whether it reads a file at `path`, so that `glob` can declare one source per file.
    #[must_use]
    pub fn reads_a_path(self) -> bool {
        self.keys().contains(&"path")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_only_file_kinds_glob() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(Kind::from_name("Postgres"), None);
        let globbed: Vec<_> = Kind::ALL
            .into_iter()
            .filter(|k| k.reads_a_path())
            .map(Kind::name)
            .collect();
        assert_eq!(globbed, ["sqlite", "file"]);
    }
}
