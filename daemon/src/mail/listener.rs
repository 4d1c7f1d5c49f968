//! The SMTP listener that receives replies from the institution's MTA: a small, bounded
//! RFC 5321 server on tokio. It keeps each message (`inbound_mail`, one row per reply address)
//! before it says `250`; reading it is `inbound`'s work.
//!
//! What it speaks (EHLO keywords): `PIPELINING` (RFC 2920), `8BITMIME` (RFC 6152), `SMTPUTF8`
//! (RFC 6531), `ENHANCEDSTATUSCODES` (RFC 2034; every answer carries an RFC 3463 code) and
//! `SIZE` (RFC 1870). No AUTH and no STARTTLS: it listens for one relay, on loopback or a
//! private network.
//!
//! Bounds (a sender cannot make it grow or stall it):
//! - a command line is at most 4,096 bytes (RFC 5321 §4.5.3.1.4 allows 512; SMTPUTF8
//!   addresses and parameters need more), a message line at most `max_line`: a longer line is
//!   read to its end and discarded, never kept in memory;
//! - a message is at most `max_size` bytes (`552 5.3.4`);
//! - at most `max_recipients` reply addresses per message (`452 4.5.3`: the relay sends the
//!   rest in another transaction, RFC 5321 §4.5.3.1.10);
//! - at most `max_sessions` sessions at once (`421 4.3.2` to one more);
//! - 5 minutes without a line end the session (RFC 5321 §4.5.3.2), so do 20 bad commands or
//!   refused recipients.
//!
//! Recipients: only `reply+<token>@<domain>` addresses whose token exists are taken; others get
//! `550 5.1.1` at RCPT, so the relay bounces at once instead of Liandong deciding later. A message
//! for several reply addresses is kept once per address: each is handled for its own token.
//! The null sender `MAIL FROM:<>` (bounces, auto-replies) is accepted; the kept message starts
//! with `Return-Path: <envelope sender>` (RFC 5321 §4.4), so the handling sees an empty one.

use super::inbound::{Inbound, token_of};
use crate::app::App;
use crate::app::actions::{self, Kind, Standing};
use entities::entity::workflow::inbound_mail;
use entities::sea_orm::Set;
use entities::store;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

/// The longest command line taken, CRLF included.
pub const MAX_COMMAND_LINE: usize = 4096;
/// Time without a complete line before the session ends (RFC 5321 §4.5.3.2: 5 minutes).
const IDLE: Duration = Duration::from_secs(300);
/// Bad commands in one session before it is closed.
const MAX_ERRORS: u32 = 20;

/// The listener's bounds (`[inbound] smtp_max_*`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Sessions at once; one more gets `421 4.3.2` and is closed.
    pub max_sessions: usize,
    /// Reply addresses per message; one more gets `452 4.5.3`.
    pub max_recipients: usize,
    /// The longest message line taken, in bytes (CRLF included); a longer one refuses the
    /// message with `552 5.3.4` at its end.
    pub max_line: usize,
}

/// Binds the SMTP listener (port 0 picks a free one).
pub async fn bind(addr: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen for replies on {addr}: {e}"))
}

/// Serves SMTP until `stop`: each message is kept before it is acknowledged.
pub async fn serve(
    app: Arc<App>,
    inbound: Inbound,
    limits: Limits,
    listener: TcpListener,
    mut stop: watch::Receiver<bool>,
) {
    let sessions = Arc::new(Semaphore::new(limits.max_sessions.max(1)));
    loop {
        let (sock, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting an SMTP connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => return,
        };
        let Ok(permit) = sessions.clone().try_acquire_owned() else {
            tracing::debug!(peer = %peer, "too many SMTP sessions: refusing one");
            tokio::spawn(async move {
                let mut sock = sock;
                let busy = b"421 4.3.2 Too many sessions, try again later\r\n";
                let _ = tokio::time::timeout(Duration::from_secs(5), sock.write_all(busy)).await;
            });
            continue;
        };
        let (app, inbound) = (app.clone(), inbound.clone());
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(e) = session(&app, &inbound, limits, sock, peer).await {
                tracing::debug!(error = %e, peer = %peer, "SMTP session ended");
            }
        });
    }
}

/// What one read brought.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// The peer closed (a partial last line is dropped).
    Eof,
    /// A line, LF included, in the buffer.
    Full,
    /// A line longer than the cap: read to its LF and discarded.
    TooLong,
}

/// Reads one line of at most `cap` bytes into `buf`; a longer line is consumed and dropped, so
/// memory stays bounded by `cap` whatever the peer sends.
async fn read_line<R: AsyncBufRead + Unpin>(r: &mut R, buf: &mut Vec<u8>, cap: usize) -> std::io::Result<Line> {
    buf.clear();
    let mut too_long = false;
    loop {
        let avail = r.fill_buf().await?;
        if avail.is_empty() {
            return Ok(Line::Eof);
        }
        let (n, done) = match avail.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (avail.len(), false),
        };
        if !too_long {
            if buf.len() + n > cap {
                too_long = true;
                buf.clear();
                buf.shrink_to(cap.min(64 * 1024));
            } else {
                buf.extend_from_slice(&avail[..n]);
            }
        }
        r.consume(n);
        if done {
            return Ok(if too_long { Line::TooLong } else { Line::Full });
        }
    }
}

/// A parsed `MAIL FROM:` / `RCPT TO:` argument: the path (without `<>` and source route) and
/// the parameters after it.
fn parse_path<'a>(arg: &'a str, verb: &str) -> Option<(String, Vec<&'a str>)> {
    let head = arg.get(..verb.len())?;
    if !head.eq_ignore_ascii_case(verb) {
        return None;
    }
    let rest = arg[verb.len()..].trim_start();
    let (path, params) = if let Some(inner) = rest.strip_prefix('<') {
        // the closing `>`, outside a quoted local part
        let mut quoted = false;
        let mut escaped = false;
        let mut end = None;
        for (i, c) in inner.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if quoted => escaped = true,
                '"' => quoted = !quoted,
                '>' if !quoted => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let end = end?;
        (&inner[..end], &inner[end + 1..])
    } else {
        // some clients leave out the brackets
        let end = rest.find(' ').unwrap_or(rest.len());
        (&rest[..end], &rest[end..])
    };
    // an obsolete source route `@a,@b:user@c` (RFC 5321 §4.1.2) names relays, not the mailbox
    let path = match path.strip_prefix('@') {
        Some(_) => path.split_once(':').map(|(_, p)| p)?,
        None => path,
    };
    if path.chars().any(|c| c.is_control() || c == ' ' || c == '<') {
        return None;
    }
    Some((path.to_string(), params.split_ascii_whitespace().collect()))
}

/// The open transaction.
#[derive(Default)]
struct Transaction {
    from: Option<String>,
    /// The tokens taken, with their addresses.
    rcpt: Vec<(String, String)>,
}

async fn reply<W: AsyncWrite + Unpin>(w: &mut W, text: &str) -> std::io::Result<()> {
    w.write_all(text.as_bytes()).await?;
    w.write_all(b"\r\n").await
}

async fn session(
    app: &App,
    inbound: &Inbound,
    limits: Limits,
    sock: TcpStream,
    peer: SocketAddr,
) -> anyhow::Result<()> {
    let (r, mut w) = sock.into_split();
    let mut r = BufReader::with_capacity(8 * 1024, r);
    reply(&mut w, "220 liandong ESMTP ready").await?;
    let mut greeted = false;
    let mut extended = false;
    let mut tx = Transaction::default();
    let mut errors = 0u32;
    let mut line = Vec::with_capacity(1024);
    loop {
        let got = tokio::time::timeout(IDLE, read_line(&mut r, &mut line, MAX_COMMAND_LINE)).await;
        let got = match got {
            Ok(g) => g?,
            Err(_) => {
                reply(&mut w, "421 4.4.2 Idle too long, closing").await?;
                return Ok(());
            }
        };
        let answer: String = match got {
            Line::Eof => return Ok(()),
            Line::TooLong => {
                errors += 1;
                "500 5.5.2 Line too long".into()
            }
            Line::Full => {
                let text = String::from_utf8_lossy(&line);
                let text = text.trim_end_matches(['\r', '\n']);
                let (verb, arg) = text.split_once(' ').unwrap_or((text, ""));
                match verb.to_ascii_uppercase().as_str() {
                    "EHLO" | "HELO" if arg.trim().is_empty() => {
                        errors += 1;
                        "501 5.5.4 Say who you are: EHLO <domain>".into()
                    }
                    "EHLO" => {
                        (greeted, extended, tx) = (true, true, Transaction::default());
                        format!(
                            "250-liandong\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250 SIZE {}",
                            inbound.max_size
                        )
                    }
                    "HELO" => {
                        (greeted, extended, tx) = (true, false, Transaction::default());
                        "250 liandong".into()
                    }
                    "MAIL" if !greeted => "503 5.5.1 Say EHLO first".into(),
                    "MAIL" if tx.from.is_some() => "503 5.5.1 A transaction is open already".into(),
                    "MAIL" => match parse_path(arg, "FROM:") {
                        None => {
                            errors += 1;
                            "501 5.1.7 Bad sender address syntax".into()
                        }
                        Some((from, params)) => match mail_params(&params, extended, inbound.max_size) {
                            Err(e) => {
                                errors += 1;
                                e
                            }
                            Ok(()) => {
                                tx.from = Some(from);
                                "250 2.1.0 Sender OK".into()
                            }
                        },
                    },
                    "RCPT" if tx.from.is_none() => "503 5.5.1 Say MAIL first".into(),
                    "RCPT" => match parse_path(arg, "TO:") {
                        None => {
                            errors += 1;
                            "501 5.1.3 Bad recipient address syntax".into()
                        }
                        Some((_, params)) if !params.is_empty() => {
                            errors += 1;
                            "555 5.5.4 RCPT parameters are not supported".into()
                        }
                        Some((to, _)) => {
                            let answer = rcpt(app, inbound, limits, &mut tx, to).await;
                            // each refusal costs a lookup: a guesser is cut off like any other error
                            if answer.starts_with('5') {
                                errors += 1;
                            }
                            answer
                        }
                    },
                    "DATA" if tx.from.is_none() => "503 5.5.1 Say MAIL first".into(),
                    "DATA" if tx.rcpt.is_empty() => "554 5.5.1 No valid recipients".into(),
                    "DATA" => {
                        reply(&mut w, "354 End data with <CR><LF>.<CR><LF>").await?;
                        let (data, refusal) = read_data(&mut r, inbound.max_size, limits.max_line).await?;
                        let answer = match refusal {
                            Some(why) => why,
                            None => keep(app, inbound, peer, &tx, data).await,
                        };
                        tx = Transaction::default();
                        answer
                    }
                    "RSET" => {
                        tx = Transaction::default();
                        "250 2.0.0 OK".into()
                    }
                    "NOOP" => "250 2.0.0 OK".into(),
                    "VRFY" => "252 2.5.0 Cannot verify, send the mail".into(),
                    "HELP" => "214 2.0.0 EHLO MAIL RCPT DATA RSET NOOP QUIT".into(),
                    "QUIT" => {
                        reply(&mut w, "221 2.0.0 Bye").await?;
                        return Ok(());
                    }
                    "STARTTLS" | "AUTH" | "BDAT" | "ETRN" | "EXPN" | "TURN" => {
                        errors += 1;
                        "502 5.5.1 Not implemented".into()
                    }
                    _ => {
                        errors += 1;
                        "500 5.5.2 Command not recognized".into()
                    }
                }
            }
        };
        reply(&mut w, &answer).await?;
        if errors >= MAX_ERRORS {
            reply(&mut w, "421 4.7.0 Too many errors, closing").await?;
            return Ok(());
        }
    }
}

/// Checks the `MAIL FROM` parameters: `SIZE` (RFC 1870), `BODY` (RFC 6152), `SMTPUTF8`
/// (RFC 6531); the error answer otherwise.
fn mail_params(params: &[&str], extended: bool, max_size: usize) -> Result<(), String> {
    if !params.is_empty() && !extended {
        return Err("555 5.5.4 Parameters need EHLO".into());
    }
    for p in params {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        match k.to_ascii_uppercase().as_str() {
            "SIZE" => match v.parse::<u64>() {
                Ok(n) if n > max_size as u64 => {
                    return Err(format!("552 5.3.4 Message too big: at most {max_size} bytes"));
                }
                Ok(_) => {}
                Err(_) => return Err("501 5.5.4 Bad SIZE".into()),
            },
            "BODY" if v.eq_ignore_ascii_case("7BIT") || v.eq_ignore_ascii_case("8BITMIME") => {}
            "SMTPUTF8" if v.is_empty() => {}
            _ => return Err(format!("555 5.5.4 Unsupported parameter {}", k.chars().take(32).collect::<String>())),
        }
    }
    Ok(())
}

/// Takes a recipient: ours, existing, and within the cap.
async fn rcpt(app: &App, inbound: &Inbound, limits: Limits, tx: &mut Transaction, to: String) -> String {
    let Some(token) = token_of(&to, &inbound.domain) else {
        return "550 5.1.1 No such mailbox here".into();
    };
    if tx.rcpt.iter().any(|(t, _)| *t == token) {
        return "250 2.1.5 Recipient OK".into();
    }
    if tx.rcpt.len() >= limits.max_recipients.max(1) {
        return "452 4.5.3 Too many recipients, send the rest in another transaction".into();
    }
    match actions::standing(app, &token, Kind::Reply).await {
        Ok(Standing::Unknown) => {
            tracing::debug!(rcpt = %crate::redact::address(&to), "an unknown reply address");
            "550 5.1.1 Unknown reply address".into()
        }
        // expired and spent tokens are taken: their handling logs the attempt and answers it
        Ok(_) => {
            tx.rcpt.push((token, to));
            "250 2.1.5 Recipient OK".into()
        }
        Err(e) => {
            tracing::warn!(error = %e, "looking up a reply address");
            "451 4.3.0 Try again later".into()
        }
    }
}

/// Reads a message up to its `.` line, undoing dot-stuffing (RFC 5321 §4.5.2). Returns the
/// message, or the refusal when it was too big or had a line too long (read to its end, never
/// kept).
async fn read_data<R: AsyncBufRead + Unpin>(
    r: &mut R,
    max_size: usize,
    max_line: usize,
) -> anyhow::Result<(Vec<u8>, Option<String>)> {
    let mut data = Vec::with_capacity(8 * 1024);
    let mut line = Vec::with_capacity(1024);
    let mut refusal = None;
    let cap = max_line.max(1000);
    loop {
        let got = tokio::time::timeout(IDLE, read_line(r, &mut line, cap))
            .await
            .map_err(|_| anyhow::anyhow!("idle in DATA"))??;
        match got {
            Line::Eof => anyhow::bail!("the peer closed in DATA"),
            Line::TooLong => {
                refusal.get_or_insert_with(|| format!("552 5.3.4 A line is longer than {cap} bytes"));
                data.clear();
            }
            Line::Full => {
                if line == b".\r\n" || line == b".\n" {
                    return Ok((data, refusal));
                }
                if refusal.is_some() {
                    continue;
                }
                let body = line.strip_prefix(b".").unwrap_or(&line);
                if data.len() + body.len() > max_size {
                    refusal = Some(format!("552 5.3.4 Message too big: at most {max_size} bytes"));
                    data = Vec::new();
                    continue;
                }
                data.extend_from_slice(body);
            }
        }
    }
}

/// Keeps the message once per reply address, `Return-Path` first; the answer to DATA.
async fn keep(app: &App, inbound: &Inbound, peer: SocketAddr, tx: &Transaction, data: Vec<u8>) -> String {
    let from = tx.from.clone().unwrap_or_default();
    let mut raw = Vec::with_capacity(data.len() + from.len() + 20);
    raw.extend_from_slice(format!("Return-Path: <{from}>\r\n").as_bytes());
    raw.extend_from_slice(&data);
    drop(data);
    let rows = tx.rcpt.iter().map(|(_, to)| inbound_mail::ActiveModel {
        received_at: Set(chrono::Utc::now().timestamp_millis()),
        source: Set("smtp".into()),
        peer: Set(Some(peer.ip().to_string())),
        mail_from: Set(Some(from.chars().take(255).collect())),
        rcpt: Set(Some(to.chars().take(255).collect())),
        raw: Set(raw.clone()),
        status: Set("pending".into()),
        claimed_at: Set(None),
        outcome: Set(None),
        ..Default::default()
    });
    for row in rows {
        // a message kept for some addresses and not others is offered again by the relay; the
        // tokens already used turn the repeats into logged no-ops
        if let Err(e) = store::actions::receive(&app.db, row).await {
            tracing::warn!(error = %e, "keeping an inbound mail");
            return "451 4.3.0 Try again later".into();
        }
    }
    let to: Vec<String> = tx.rcpt.iter().map(|(_, a)| crate::redact::address(a)).collect();
    tracing::info!(from = %crate::redact::address(&from), to = ?to, bytes = raw.len(), "reply kept");
    inbound.received.notify_one();
    "250 2.0.0 Kept".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_as_rfc_5321_writes_them() {
        assert_eq!(parse_path("FROM:<>", "FROM:"), Some((String::new(), vec![])));
        assert_eq!(
            parse_path("from: <a@b.c> SIZE=10 SMTPUTF8", "FROM:"),
            Some(("a@b.c".into(), vec!["SIZE=10", "SMTPUTF8"]))
        );
        assert_eq!(parse_path("TO:<@r1,@r2:x@y.z>", "TO:"), Some(("x@y.z".into(), vec![])));
        assert_eq!(parse_path("TO:<\"a>b\"@y.z>", "TO:"), Some(("\"a>b\"@y.z".into(), vec![])));
        assert_eq!(parse_path("TO:<张三@例子.中国>", "TO:"), Some(("张三@例子.中国".into(), vec![])));
        assert_eq!(parse_path("TO:<a@b", "TO:"), None);
        assert_eq!(parse_path("FROM <a@b>", "FROM:"), None);
    }

    #[tokio::test]
    async fn a_line_longer_than_the_cap_is_dropped_not_kept() {
        let mut input: &[u8] = b"short\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\nnext\r\ntail";
        let mut buf = Vec::new();
        assert_eq!(read_line(&mut input, &mut buf, 16).await.unwrap(), Line::Full);
        assert_eq!(buf, b"short\r\n");
        assert_eq!(read_line(&mut input, &mut buf, 16).await.unwrap(), Line::TooLong);
        assert!(buf.capacity() <= 64 * 1024);
        assert_eq!(read_line(&mut input, &mut buf, 16).await.unwrap(), Line::Full);
        assert_eq!(buf, b"next\r\n");
        assert_eq!(read_line(&mut input, &mut buf, 16).await.unwrap(), Line::Eof);
    }
}
