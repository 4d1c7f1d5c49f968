//! A TCP proxy on loopback between the daemon and its database, which a test can cut (every open
//! connection dropped, the port closed so new ones are refused) and restore on the same port:
//! the database "going away and coming back" without stopping the machine's PostgreSQL, which
//! other tests share.

use std::net::SocketAddr;
use std::sync::Mutex;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;

/// A running proxy.
pub struct Proxy {
    /// Its port on 127.0.0.1.
    pub port: u16,
    target: String,
    cut: watch::Sender<u64>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

fn listen(addr: SocketAddr) -> tokio::net::TcpListener {
    let s = TcpSocket::new_v4().unwrap();
    s.set_reuseaddr(true).unwrap();
    s.bind(addr).unwrap();
    s.listen(128).unwrap()
}

fn serve(listener: tokio::net::TcpListener, target: String, cut: watch::Receiver<u64>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let (target, mut cut) = (target.clone(), cut.clone());
            tokio::spawn(async move {
                let Ok(mut server) = TcpStream::connect(&target).await else { return };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                    _ = cut.changed() => {}
                }
            });
        }
    })
}

/// Starts a proxy to `target` (`host:port`).
pub async fn start(target: &str) -> Proxy {
    let listener = listen("127.0.0.1:0".parse().unwrap());
    let port = listener.local_addr().unwrap().port();
    let (cut, rx) = watch::channel(0u64);
    let task = serve(listener, target.to_string(), rx);
    Proxy { port, target: target.to_string(), cut, task: Mutex::new(Some(task)) }
}

impl Proxy {
    /// Drops every connection and closes the port (connections are refused).
    pub fn cut(&self) {
        if let Some(t) = self.task.lock().unwrap().take() {
            t.abort();
        }
        self.cut.send_modify(|n| *n += 1);
    }

    /// Opens the port again.
    pub fn restore(&self) {
        let mut task = self.task.lock().unwrap();
        if task.is_none() {
            let listener = listen(SocketAddr::from(([127, 0, 0, 1], self.port)));
            *task = Some(serve(listener, self.target.clone(), self.cut.subscribe()));
        }
    }
}
