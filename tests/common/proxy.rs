//! A TCP proxy on 127.0.0.1:0 in front of a real server, faulty on purpose: it accepts, opens
//! its own connection upstream, and then either forwards nothing ([`Mode::Stall`]) or passes
//! the client's bytes up but the server's answer back one byte at a time ([`Mode::Drip`]).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

/// How the proxy misbehaves.
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// Accepts and reads the client, but never forwards a byte either way.
    Stall,
    /// Forwards the client's bytes; forwards the server's one byte per `Duration`.
    Drip(Duration),
}

/// A running proxy; dropping it stops it and every connection it holds.
pub struct Proxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    /// When each client closed its side (read end of 0 bytes or an error): sent by the
    /// connection tasks, received by the test; closed when the proxy's tasks are gone.
    closed_rx: mpsc::UnboundedReceiver<Instant>,
    /// Accept loop; it owns the connection tasks (a `JoinSet`), so aborting it ends them.
    task: JoinHandle<()>,
}

impl Proxy {
    /// A proxy to `upstream` misbehaving as `mode` says.
    pub async fn start(upstream: SocketAddr, mode: Mode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let (closed_tx, closed_rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                connections.spawn(relay(client, upstream, mode, closed_tx.clone()));
            }
        });
        Self {
            addr,
            closed_rx,
            task,
        }
    }

    /// The time the next client closed its side, waiting up to `within`.
    pub async fn client_closed(&mut self, within: Duration) -> Option<Instant> {
        tokio::time::timeout(within, self.closed_rx.recv())
            .await
            .ok()
            .flatten()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(
    client: TcpStream,
    upstream: SocketAddr,
    mode: Mode,
    closed_tx: mpsc::UnboundedSender<Instant>,
) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_rd, mut client_wr) = client.into_split();
    let (mut server_rd, mut server_wr) = server.into_split();
    let up = async {
        let mut buf = [0u8; 4096];
        loop {
            match client_rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if matches!(mode, Mode::Drip(_))
                        && server_wr.write_all(&buf[..n]).await.is_err()
                    {
                        break;
                    }
                }
            }
        }
        let _ = closed_tx.send(Instant::now());
    };
    let down = async {
        let Mode::Drip(delay) = mode else {
            return std::future::pending().await;
        };
        let mut buf = [0u8; 4096];
        while let Ok(n) = server_rd.read(&mut buf).await {
            if n == 0 {
                break;
            }
            for byte in &buf[..n] {
                tokio::time::sleep(delay).await;
                if client_wr.write_all(&[*byte]).await.is_err() {
                    return;
                }
            }
        }
        // Hold the client open until it goes: the fault is slowness, not a close.
        std::future::pending::<()>().await;
    };
    // The client closing ends the relay; the server connection is dropped with it.
    tokio::select! {
        () = up => {}
        () = down => {}
    }
}
