//! Mail transports: `.eml` files (the default, one file per notification, named by its key so a
//! retry overwrites instead of duplicating), SMTP (lettre, pooled, STARTTLS or implicit TLS), and
//! in memory for tests.

use super::Rendered;
use lettre::message::{Mailbox, MultiPart, header};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub struct SendError {
    /// Retrying cannot help (a bad address, a rejected recipient).
    pub permanent: bool,
    /// What went wrong.
    pub reason: String,
}

/// Where mail goes.
#[derive(Clone)]
pub enum Transport {
    /// `.eml` files in a folder.
    File(PathBuf),
    /// An SMTP relay.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Kept in memory (tests).
    Memory(Arc<Mutex<Vec<Message>>>),
}

/// Builds the message: multipart text + HTML, with a Message-ID that is the same on every retry,
/// and a `Reply-To` when replying to it decides.
pub fn build(
    from: &str,
    to_name: &str,
    to_addr: &str,
    key: &str,
    reply_to: Option<&str>,
    r: &Rendered,
) -> Result<Message, SendError> {
    let bad = |e: String| SendError { permanent: true, reason: e };
    let from: Mailbox = from.parse().map_err(|e| bad(format!("bad sender `{from}`: {e}")))?;
    let to = Mailbox::new(
        Some(to_name.to_string()),
        to_addr.parse().map_err(|e| bad(format!("bad address `{to_addr}`: {e}")))?,
    );
    let domain = from.email.domain().to_string();
    let mut b = Message::builder();
    if let Some(addr) = reply_to {
        b = b.reply_to(addr.parse().map_err(|e| bad(format!("bad reply address `{addr}`: {e}")))?);
    }
    b.from(from)
        .to(to)
        .subject(r.subject.clone())
        .message_id(Some(format!("<{}@{domain}>", message_id_local(key))))
        .multipart(MultiPart::alternative_plain_html(r.text.clone(), r.html.clone()))
        .map(|mut m| {
            m.headers_mut().insert_raw(header::HeaderValue::new(
                header::HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".into(),
            ));
            m
        })
        .map_err(|e| bad(e.to_string()))
}

/// The local part of the Message-ID of the notification with idempotency `key` (the same on every
/// retry; a reply's `In-Reply-To`/`References` carry it, which binds the reply to the mail's task).
pub fn message_id_local(key: &str) -> String {
    key.replace([':', ' '], ".")
}

impl Transport {
    /// Sends one message; `key` names the file of the file transport.
    pub async fn send(&self, key: &str, msg: Message) -> Result<(), SendError> {
        match self {
            Transport::File(dir) => {
                let retry = |e: std::io::Error| SendError { permanent: false, reason: e.to_string() };
                tokio::fs::create_dir_all(dir).await.map_err(retry)?;
                let name = format!("{}.eml", key.replace([':', '/', ' '], "_"));
                let tmp = dir.join(format!(".{name}.tmp"));
                tokio::fs::write(&tmp, msg.formatted()).await.map_err(retry)?;
                tokio::fs::rename(&tmp, dir.join(name)).await.map_err(retry)
            }
            Transport::Smtp(smtp) => smtp
                .send(msg)
                .await
                .map(|_| ())
                .map_err(|e| SendError { permanent: e.is_permanent(), reason: e.to_string() }),
            Transport::Memory(sent) => {
                if let Ok(mut v) = sent.lock() {
                    v.push(msg);
                }
                Ok(())
            }
        }
    }
}
