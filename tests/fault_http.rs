//! Faults of an HTTP server mid-response, each beside a healthy sim: the connection closed
//! before the promised body ended, and a reset before any answer. Each ends `error` with a
//! short message saying what happened to the response.

mod common;
mod db_common;

use std::net::SocketAddr;

use common::{assert_healthy, healthy, lit};
use db_common::{config, error, gather_once};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// How the server misbehaves once it has read a request.
#[derive(Clone, Copy)]
enum Fault {
    /// Promises a 1,000-byte body, sends 20 bytes of it and closes.
    ShortBody,
    /// Closes without a word.
    Hangup,
}

async fn server(fault: Fault) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                if let Fault::ShortBody = fault {
                    let reply = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                                 content-length: 1000\r\n\r\n[{\"id\": 1}, {\"id\": 2";
                    let _ = socket.write_all(reply.as_bytes()).await;
                }
            });
        }
    });
    addr
}

fn source(name: &str, url: &str) -> String {
    format!(
        "[[source]]\nname = \"{name}\"\nkind = \"http\"\nurl = {}\ntimeout = \"5s\"\n",
        lit(url)
    )
}

#[tokio::test]
async fn a_body_cut_short_and_a_hangup_say_what_happened() {
    let short = server(Fault::ShortBody).await;
    let hangup = server(Fault::Hangup).await;
    let cfg = config(&format!(
        "{}{}{}",
        source("short", &format!("http://{short}/items")),
        source("hangup", &format!("http://{hangup}/items")),
        healthy("calm"),
    ));
    let (result, _) = gather_once(&cfg).await;
    assert_eq!(
        error(&result, "short"),
        "reading the response: end of file before message length reached"
    );
    assert_eq!(
        error(&result, "hangup"),
        format!("GET http://{hangup}/items: connection closed before message completed")
    );
    assert_healthy(&result, "calm");
}
