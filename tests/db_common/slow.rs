//! A TCP proxy on 127.0.0.1:0 that makes a server look farther away or flaky: each
//! connection waits a fixed delay before it is relayed (a replica 300 ms away), and the first
//! few connections can be refused outright (accepted and closed at once, as a server that is
//! restarting does).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

/// A running proxy; its accept task ends with the test's runtime.
#[derive(Clone)]
pub struct SlowProxy {
    /// Where clients connect.
    pub port: u16,
    /// Connections accepted so far (refused ones included).
    accepted: Arc<AtomicUsize>,
}

impl SlowProxy {
    /// A proxy to `upstream` (`host:port`) that closes the first `refuse` connections and
    /// holds every later one `delay` before relaying it.
    pub async fn start(upstream: String, delay: Duration, refuse: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&accepted);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if count.fetch_add(1, Ordering::SeqCst) < refuse {
                    drop(client);
                    continue;
                }
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    let Ok(server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    relay(client, server).await;
                });
            }
        });
        Self { port, accepted }
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

async fn relay(mut client: TcpStream, mut server: TcpStream) {
    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
}
