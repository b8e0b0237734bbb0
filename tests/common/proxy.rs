//! A TCP proxy on 127.0.0.1:0 in front of a real server, faulty on purpose: it accepts, opens
//! its own connection upstream, and then either forwards nothing ([`Mode::Stall`]), passes
//! the client's bytes up but the server's answer back one byte at a time ([`Mode::Drip`]), or
//! forwards faithfully ([`Mode::Pass`]) until the test cuts the network ([`Proxy::stall`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// Forwards both ways until [`Proxy::stall`].
    Pass,
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
    /// Set: nothing more is forwarded on any connection, old or new (a network partition).
    /// Set by the test, read by the connection tasks before each write.
    stalled: Arc<AtomicBool>,
}

impl Proxy {
    /// A proxy to `upstream` misbehaving as `mode` says.
    pub async fn start(upstream: SocketAddr, mode: Mode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let (closed_tx, closed_rx) = mpsc::unbounded_channel();
        let stalled = Arc::new(AtomicBool::new(matches!(mode, Mode::Stall)));
        let flag = Arc::clone(&stalled);
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                let link = Link {
                    mode,
                    stalled: Arc::clone(&flag),
                    closed_tx: closed_tx.clone(),
                };
                connections.spawn(relay(client, upstream, link));
            }
        });
        Self {
            addr,
            closed_rx,
            task,
            stalled,
        }
    }

    /// Cuts the network: from now on no byte passes, on open connections or new ones.
    pub fn stall(&self) {
        self.stalled.store(true, Ordering::SeqCst);
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

/// What a connection task needs from its proxy.
struct Link {
    mode: Mode,
    stalled: Arc<AtomicBool>,
    closed_tx: mpsc::UnboundedSender<Instant>,
}

impl Link {
    fn is_stalled(&self) -> bool {
        self.stalled.load(Ordering::SeqCst)
    }
}

async fn relay(client: TcpStream, upstream: SocketAddr, link: Link) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_rd, mut client_wr) = client.into_split();
    let (mut server_rd, mut server_wr) = server.into_split();
    // Client to server, until the client closes; stalled bytes are read and dropped.
    let up = async {
        let mut buf = [0u8; 4096];
        loop {
            match client_rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if !link.is_stalled() && server_wr.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = link.closed_tx.send(Instant::now());
    };
    // Server to client, whole or dripped; once stalled, nothing more.
    let down = async {
        let mut buf = [0u8; 4096];
        while let Ok(n) = server_rd.read(&mut buf).await {
            if n == 0 || link.is_stalled() {
                break;
            }
            let sent = match link.mode {
                Mode::Drip(delay) => {
                    let mut sent = Ok(());
                    for byte in &buf[..n] {
                        tokio::time::sleep(delay).await;
                        sent = client_wr.write_all(&[*byte]).await;
                        if sent.is_err() || link.is_stalled() {
                            break;
                        }
                    }
                    sent
                }
                Mode::Pass | Mode::Stall => client_wr.write_all(&buf[..n]).await,
            };
            if sent.is_err() {
                return;
            }
        }
        // Hold the client open until it goes: the fault is silence, not a close.
        std::future::pending::<()>().await;
    };
    // The client closing ends the relay; the server connection is dropped with it.
    tokio::select! {
        () = up => {}
        () = down => {}
    }
}
