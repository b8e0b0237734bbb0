//! `rediss://`: a TLS Redis started by the test (`redis-server --tls-port`, certificates made
//! with `openssl`) is read when its CA is trusted (`SSL_CERT_FILE`), and refused with a clear
//! message when it is not. Skipped with a printed reason when `redis-server` or `openssl` is
//! missing, unless `SCATTER_REQUIRE_DB=1`.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Kills the server this test started when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "openssl {args:?}");
}

/// A CA and a server certificate for `localhost` signed by it.
fn certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=scatter-test-ca",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "srv.key",
            "-out",
            "srv.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=DNS:localhost\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "srv.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "srv.crt",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
}

fn start_server(dir: &Path) -> (Server, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("redis-server")
        .args([
            "--port",
            "0",
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .args(["--tls-port", &port.to_string(), "--tls-auth-clients", "no"])
        .args(["--tls-cert-file", "srv.crt", "--tls-key-file", "srv.key"])
        .args(["--tls-ca-cert-file", "ca.crt"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "redis-server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    (server, port)
}

/// Runs the scatter binary on `config`, returning the `tls` source's state and error.
fn run(config: &Path, ca: Option<&Path>) -> (String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scatter"));
    cmd.arg("-c")
        .arg(config)
        .args(["--once", "--format", "json"])
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR");
    if let Some(ca) = ca {
        cmd.env("SSL_CERT_FILE", ca);
    }
    let out = cmd.output().unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let source = json["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "tls")
        .unwrap();
    (
        source["state"].as_str().unwrap().to_owned(),
        source["error"].as_str().unwrap_or("").to_owned(),
    )
}

#[test]
fn rediss_is_read_over_tls_when_the_ca_is_trusted() {
    if !(have("redis-server") && have("openssl")) {
        assert!(
            std::env::var("SCATTER_REQUIRE_DB").as_deref() != Ok("1"),
            "SCATTER_REQUIRE_DB=1 but redis-server or openssl is missing"
        );
        eprintln!("skipped: needs redis-server (with TLS) and openssl on PATH");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let (_server, port) = start_server(dir.path());
    let config = dir.path().join("tls.toml");
    std::fs::write(
        &config,
        format!(
            "[gather]\ntimeout = \"5s\"\n[[source]]\nname = \"tls\"\nkind = \"redis\"\n\
             url = \"rediss://localhost:{port}/0\"\nquery = \"GET nothing:*\"\n\
             [[source]]\nname = \"sim\"\nkind = \"sim\"\nlatency = \"1ms\"\nrows = 1\n"
        ),
    )
    .unwrap();
    let (state, error) = run(&config, None);
    assert_eq!(state, "error");
    assert_eq!(
        error,
        format!("rediss://localhost:{port}/0: invalid peer certificate: UnknownIssuer")
    );
    let (state, error) = run(&config, Some(&dir.path().join("ca.crt")));
    assert_eq!((state.as_str(), error.as_str()), ("ok", ""));
}
