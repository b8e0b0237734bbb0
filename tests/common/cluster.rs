//! A private, throwaway PostgreSQL cluster (`initdb` + `pg_ctl`, run as the `postgres` user
//! when the tests run as root, which PostgreSQL refuses to be, else as the current user) on a
//! free port, so a test can stop and restart a server without touching the shared one.
//! Dropping the [`Cluster`] stops it (`-m immediate`) and removes its directory.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A cluster this test owns.
pub struct Cluster {
    bin: PathBuf,
    /// Data directory, socket and log; removed when dropped.
    dir: tempfile::TempDir,
    /// TCP port on 127.0.0.1.
    pub port: u16,
}

impl Cluster {
    /// Makes and starts a cluster. `None` after printing why when the PostgreSQL server
    /// binaries are not installed; panics then under `SCATTER_REQUIRE_DB=1`.
    pub fn start() -> Option<Self> {
        Self::make(None)
    }

    /// Like [`Cluster::start`], but TCP logins need a password (`scram-sha-256`): user
    /// `postgres` has `password`.
    pub fn with_password(password: &str) -> Option<Self> {
        Self::make(Some(password))
    }

    fn make(password: Option<&str>) -> Option<Self> {
        let Some(bin) = find_bin() else {
            assert!(
                std::env::var("SCATTER_REQUIRE_DB").as_deref() != Ok("1"),
                "initdb not found under /usr/lib/postgresql/*/bin and SCATTER_REQUIRE_DB=1"
            );
            eprintln!("skipped: initdb not found under /usr/lib/postgresql/*/bin");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("scatter-fault-pg")
            .tempdir()
            .expect("tempdir");
        chown_to_postgres(dir.path());
        let data = dir.path().join("data");
        let pwfile = dir.path().join("pw");
        let mut args = vec![
            "-D",
            path(&data),
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        ];
        match password {
            None => args.extend(["-A", "trust"]),
            Some(password) => {
                std::fs::write(&pwfile, password).expect("password file");
                chown_to_postgres(&pwfile);
                args.extend([
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "--pwfile",
                    path(&pwfile),
                ]);
            }
        }
        as_postgres(&bin.join("initdb"), &args);
        let port = free_port();
        let cluster = Self { bin, dir, port };
        cluster.up();
        Some(cluster)
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server (again) and waits until it accepts connections.
    pub fn up(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            path(self.dir.path())
        );
        as_postgres(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                path(&self.dir.path().join("data")),
                "-l",
                path(&self.dir.path().join("log")),
                "-w",
                "-o",
                &options,
                "start",
            ],
        );
    }

    /// Stops the server at once (`pg_ctl stop -m immediate`): every backend is killed.
    pub fn down(&self) {
        as_postgres(
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                path(&self.dir.path().join("data")),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }

    /// Whether the server runs (its `postmaster.pid` exists).
    fn is_up(&self) -> bool {
        self.dir.path().join("data/postmaster.pid").exists()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.is_up() {
            let _ = postgres_command(&self.bin.join("pg_ctl"))
                .args(["-D", path(&self.dir.path().join("data"))])
                .args(["-m", "immediate", "-w", "stop"])
                .output();
        }
    }
}

fn find_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").exists() && b.join("pg_ctl").exists())
        .collect();
    found.sort();
    found.pop()
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// Whether this process runs as root (`Uid:` in `/proc/self/status`, real uid first).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

fn chown_to_postgres(p: &Path) {
    if is_root() {
        run(Command::new("chown").args(["postgres:postgres", path(p)]));
    }
}

/// `program` to be run as the `postgres` user when we are root, as ourselves otherwise.
fn postgres_command(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn as_postgres(program: &Path, args: &[&str]) {
    run(postgres_command(program).args(args));
}

fn run(command: &mut Command) {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}
