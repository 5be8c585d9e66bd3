//! A TCP proxy in front of a blob service that can cut a response part-way: it forwards
//! requests untouched and counts the bytes coming back; once armed, the connection on which
//! the count passes a budget is closed right there (mid-body for a large GET), as a dropped
//! network path would. Then it either heals at once (a blip) or stays down — closing every
//! connection as soon as it opens or answers — until [`CutProxy::heal`].

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does with the bytes coming back.
#[derive(Debug, Clone, Copy)]
enum Mode {
    Healthy,
    /// Forward `left` more bytes, then cut; `then_down` keeps it down afterwards.
    Cut {
        left: u64,
        then_down: bool,
    },
    Down,
}

/// What to do with one chunk from upstream.
enum Action {
    Pass,
    /// Forward this many bytes of it, then close the connection.
    PassThenCut(usize),
    Drop,
}

#[derive(Debug)]
struct Shared {
    mode: Mutex<Mode>,
    cuts: AtomicUsize,
}

impl Shared {
    fn action(&self, len: usize) -> Action {
        let mut mode = self.mode.lock().unwrap();
        match *mode {
            Mode::Healthy => Action::Pass,
            Mode::Down => Action::Drop,
            Mode::Cut { left, then_down } => {
                if (len as u64) < left {
                    *mode = Mode::Cut {
                        left: left - len as u64,
                        then_down,
                    };
                    return Action::Pass;
                }
                *mode = if then_down { Mode::Down } else { Mode::Healthy };
                self.cuts.fetch_add(1, Ordering::SeqCst);
                Action::PassThenCut(left as usize)
            }
        }
    }
}

/// The running proxy; it serves until the test ends.
pub struct CutProxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl CutProxy {
    /// Listens on a free port and forwards every connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            mode: Mutex::new(Mode::Healthy),
            cuts: AtomicUsize::new(0),
        });
        let accepting = shared.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if matches!(*accepting.mode.lock().unwrap(), Mode::Down) {
                    drop(client);
                    continue;
                }
                tokio::spawn(relay(client, upstream, accepting.clone()));
            }
        });
        Self { addr, shared }
    }

    /// Cuts the connection carrying the `after`th byte back from upstream, then stays down.
    pub fn fail_after(&self, after: u64) {
        *self.shared.mode.lock().unwrap() = Mode::Cut {
            left: after,
            then_down: true,
        };
    }

    /// Cuts the connection carrying the `after`th byte back from upstream, then is healthy.
    pub fn cut_once_after(&self, after: u64) {
        *self.shared.mode.lock().unwrap() = Mode::Cut {
            left: after,
            then_down: false,
        };
    }

    /// Forwards everything again.
    pub fn heal(&self) {
        *self.shared.mode.lock().unwrap() = Mode::Healthy;
    }

    /// Connections cut part-way so far.
    pub fn cuts(&self) -> usize {
        self.shared.cuts.load(Ordering::SeqCst)
    }
}

/// Copies requests up untouched and answers down through [`Shared::action`].
async fn relay(client: TcpStream, upstream: SocketAddr, shared: Arc<Shared>) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let up = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
        let _ = server_write.shutdown().await;
    });
    let mut buffer = vec![0_u8; 16 * 1024];
    loop {
        let n = match server_read.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        match shared.action(n) {
            Action::Pass => {
                if client_write.write_all(&buffer[..n]).await.is_err() {
                    break;
                }
            }
            Action::PassThenCut(part) => {
                let _ = client_write.write_all(&buffer[..part]).await;
                break;
            }
            Action::Drop => break,
        }
    }
    // Dropping both halves closes the client's socket part-way through whatever it awaited.
    up.abort();
}
