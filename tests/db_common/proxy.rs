//! A TCP proxy on 127.0.0.1:0 in front of a real server, whose connections a test can cut or
//! stall mid-query: what a crashed server or a dead network looks like to a client.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How often a stalled or cut connection looks at the controls.
const POLL: Duration = Duration::from_millis(10);

/// The proxy's controls; the accept task holds a clone and ends with the test's runtime.
#[derive(Clone, Default)]
pub struct Proxy {
    /// Connections accepted so far; each is numbered in order.
    accepted: Arc<AtomicUsize>,
    /// Connections numbered below this are closed.
    cut_below: Arc<AtomicUsize>,
    /// Connections numbered below this forward nothing more.
    stall_below: Arc<AtomicUsize>,
}

impl Proxy {
    /// Starts a proxy to `upstream` (`host:port`); returns it and the port it listens on.
    pub async fn start(upstream: String) -> (Self, u16) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let proxy = Self::default();
        let controls = proxy.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let id = controls.accepted.fetch_add(1, Ordering::SeqCst);
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    continue;
                };
                tokio::spawn(controls.clone().relay(id, client, server));
            }
        });
        (proxy, port)
    }

    /// Closes every connection open now; later ones pass.
    pub fn cut(&self) {
        self.cut_below
            .store(self.accepted.load(Ordering::SeqCst), Ordering::SeqCst);
    }

    /// Freezes every connection open now (nothing forwarded, nothing closed); later ones pass.
    pub fn stall(&self) {
        self.stall_below
            .store(self.accepted.load(Ordering::SeqCst), Ordering::SeqCst);
    }

    async fn relay(self, id: usize, client: TcpStream, server: TcpStream) {
        let (client_rx, client_tx) = client.into_split();
        let (server_rx, server_tx) = server.into_split();
        tokio::select! {
            () = self.pump(id, client_rx, server_tx) => {}
            () = self.pump(id, server_rx, client_tx) => {}
        }
    }

    /// Copies `from` to `to` until either end closes or the connection is cut.
    async fn pump(
        &self,
        id: usize,
        mut from: tokio::net::tcp::OwnedReadHalf,
        mut to: tokio::net::tcp::OwnedWriteHalf,
    ) {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            if id < self.cut_below.load(Ordering::SeqCst) {
                return;
            }
            if id < self.stall_below.load(Ordering::SeqCst) {
                tokio::time::sleep(POLL).await;
                continue;
            }
            let n = match tokio::time::timeout(POLL, from.read(&mut buf)).await {
                Err(_) => continue,
                Ok(Ok(0) | Err(_)) => return,
                Ok(Ok(n)) => n,
            };
            if to.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    }
}
