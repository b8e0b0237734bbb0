//! The two local servers as the proxy tests see them: a kind, a URL, a statement that sleeps,
//! the address a proxy relays to, and the statements still running on the server.

/// One of the test servers (PostgreSQL or MariaDB).
pub struct Server {
    /// The source kind: `postgres` or `mysql`.
    pub kind: &'static str,
    /// Its URL, from the environment.
    pub url: String,
    /// A statement that sleeps for the seconds asked, ending in `AS` so that a marker can
    /// name its column.
    pub sleep: String,
}

impl Server {
    /// PostgreSQL, its sleep `secs` long; `None` when the test skips.
    pub fn postgres(secs: u32) -> Option<Self> {
        Some(Self {
            kind: "postgres",
            url: super::url("SCATTER_TEST_PG_URL")?,
            sleep: format!("SELECT pg_sleep({secs}) AS"),
        })
    }

    /// MariaDB, its sleep `secs` long; `None` when the test skips.
    pub fn mysql(secs: u32) -> Option<Self> {
        Some(Self {
            kind: "mysql",
            url: super::url("SCATTER_TEST_MYSQL_URL")?,
            sleep: format!("SELECT SLEEP({secs}) AS"),
        })
    }

    /// `host:port` of the server, for a proxy to relay to.
    pub fn upstream(&self) -> String {
        let u = url::Url::parse(&self.url).expect("test URL parses");
        let port = u
            .port()
            .unwrap_or(if self.kind == "mysql" { 3306 } else { 5432 });
        format!("{}:{port}", u.host_str().expect("host"))
    }

    /// The same URL through `port` on 127.0.0.1.
    pub fn via(&self, port: u16) -> String {
        let mut u = url::Url::parse(&self.url).expect("test URL parses");
        u.set_host(Some("127.0.0.1")).unwrap();
        u.set_port(Some(port)).unwrap();
        u.to_string()
    }

    /// Statements running on the server whose text holds `marker`.
    pub async fn active(&self, marker: &str) -> i64 {
        if self.kind == "mysql" {
            super::my_active(&self.url, marker).await
        } else {
            super::pg_active(&self.url, marker).await
        }
    }

    /// A `[[source]]` block of this kind.
    pub fn source(&self, name: &str, url: &str, query: &str, timeout: &str) -> String {
        format!(
            "[[source]]\nname = \"{name}\"\nkind = \"{}\"\nurl = \"{url}\"\n\
             query = \"{query}\"\ntimeout = \"{timeout}\"\n",
            self.kind
        )
    }
}
