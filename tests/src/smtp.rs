//! A real SMTP server on loopback for the tests: it speaks enough SMTP for lettre (EHLO, MAIL,
//! RCPT, DATA, RSET, NOOP, QUIT), keeps what it receives, refuses recipients whose address
//! starts with `bounce` with a permanent 550, and greylists those starting with `tempfail`: a
//! temporary 451 for their first two attempts.

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One received message.
#[derive(Debug, Clone)]
pub struct Received {
    /// Envelope sender.
    pub from: String,
    /// Envelope recipients.
    pub to: Vec<String>,
    /// The raw message (headers and body).
    pub data: String,
}

/// A running sink.
pub struct Sink {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// What it received.
    pub received: Arc<Mutex<Vec<Received>>>,
    /// Every `RCPT TO` it was given, with when.
    pub attempts: Arc<Mutex<Vec<(String, std::time::Instant)>>>,
    /// While true, new connections get no greeting (a server that hangs).
    pub stalled: Arc<std::sync::atomic::AtomicBool>,
}

/// Starts a sink on a free loopback port.
pub async fn start() -> Sink {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received: Arc<Mutex<Vec<Received>>> = Arc::default();
    let store = received.clone();
    let attempts: Arc<Mutex<Vec<(String, std::time::Instant)>>> = Arc::default();
    let tried = attempts.clone();
    let stalled: Arc<std::sync::atomic::AtomicBool> = Arc::default();
    let stall = stalled.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let store = store.clone();
            let tried = tried.clone();
            let stall = stall.clone();
            tokio::spawn(async move {
                while stall.load(std::sync::atomic::Ordering::SeqCst) {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                let _ = w.write_all(b"220 liandong-test-sink ESMTP\r\n").await;
                let (mut from, mut to) = (String::new(), Vec::new());
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250-liandong-test-sink\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("MAIL FROM:") {
                        from = line[10..].trim().trim_matches(['<', '>']).to_string();
                        b"250 OK\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        let addr = line[8..].trim().trim_matches(['<', '>']).to_string();
                        let before = tried.lock().map_or(0, |mut t| {
                            let n = t.iter().filter(|(a, _)| *a == addr).count();
                            t.push((addr.clone(), std::time::Instant::now()));
                            n
                        });
                        if addr.starts_with("tempfail") && before < 2 {
                            b"451 4.7.1 greylisted, try again later\r\n"
                        } else if addr.starts_with("bounce") {
                            b"550 5.1.1 no such user\r\n"
                        } else {
                            to.push(addr);
                            b"250 OK\r\n"
                        }
                    } else if upper == "DATA" {
                        let _ = w.write_all(b"354 go ahead\r\n").await;
                        let mut data = String::new();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            data.push_str(l.strip_prefix('.').filter(|_| l.starts_with("..")).unwrap_or(&l));
                            data.push_str("\r\n");
                        }
                        if let Ok(mut v) = store.lock() {
                            v.push(Received { from: from.clone(), to: std::mem::take(&mut to), data });
                        }
                        b"250 OK queued\r\n"
                    } else if upper == "QUIT" {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"250 OK\r\n"
                    };
                    if w.write_all(reply).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    Sink { port, received, attempts, stalled }
}
