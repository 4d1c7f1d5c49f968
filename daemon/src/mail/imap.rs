//! Polling an IMAP mailbox for reviewers' replies.
//!
//! Besides its own SMTP listener, the daemon can fetch replies from an ordinary mailbox: every
//! [`ImapSettings::poll`] it logs in, `SELECT`s [`ImapSettings::mailbox`], hands the raw RFC 822
//! bytes of each unseen message to a handler and, once the handler has accepted a message, flags
//! it `\Seen \Deleted` and expunges it.
//!
//! Delivery is *at least once*: a message is removed only after its handler returned `Ok(())`,
//! so a crash, a lost connection or a stop between handling and the final `EXPUNGE` means the
//! message is handed over again on a later poll. Handlers must therefore be idempotent. A handler
//! that returns an error leaves its message unseen, so it is retried on every poll: a handler
//! should return `Ok(())` for mail it deliberately ignores (junk, unrelated mail) and keep errors
//! for transient failures.
//!
//! Connections use implicit TLS (`"tls"`, usually port 993) or `STARTTLS` (`"starttls"`, usually
//! port 143), both through rustls with the ring provider and the webpki root certificates; there is
//! never a silent fallback to plaintext. `"none"` sends the password in clear text and is refused
//! for any host but a loopback one (it exists for tests against a local server).
//!
//! The password never appears in logs, in `Debug` output or in returned errors: errors are
//! scrubbed of it before they leave this module.

use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use async_imap::imap_proto::{Response, Status};
use async_imap::{Client, Session};
use futures::TryStreamExt as _;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore, crypto::ring};

/// How long one network step (connect, TLS handshake, one IMAP command) may take before the poll
/// is abandoned. Handlers are not subject to it.
const IO_TIMEOUT: Duration = Duration::from_secs(60);

/// The shortest pause [`run`] makes between two polls, whatever [`ImapSettings::poll`] says.
const MIN_POLL: Duration = Duration::from_millis(100);

/// What replaces the password wherever it would otherwise show up in an error.
const REDACTED: &str = "<redacted>";

/// Where to poll.
#[derive(Clone)]
pub struct ImapSettings {
    /// The IMAP server's host name or IP address; with TLS it is also the name the certificate is
    /// checked against.
    pub host: String,
    /// The IMAP server's port, usually 993 for `"tls"` and 143 for `"starttls"`.
    pub port: u16,
    /// "tls" (implicit, 993), "starttls" or "none" (loopback tests only)
    pub security: String,
    /// The login name.
    pub username: String,
    /// The login password; it is kept out of `Debug` output, logs and errors.
    pub password: String,
    /// The mailbox to read replies from, e.g. `INBOX`.
    pub mailbox: String,
    /// The pause between two polls made by [`run`].
    pub poll: Duration,
}

impl fmt::Debug for ImapSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &REDACTED)
            .field("mailbox", &self.mailbox)
            .field("poll", &self.poll)
            .finish()
    }
}

/// How the connection to the server is secured, parsed from [`ImapSettings::security`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    /// TLS from the first byte.
    Tls,
    /// Plain TCP upgraded with `STARTTLS` before logging in.
    StartTls,
    /// No TLS at all (loopback only).
    None,
}

impl Security {
    /// Parses the `security` setting, case-insensitively.
    fn parse(s: &str) -> anyhow::Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "tls" => Ok(Self::Tls),
            "starttls" => Ok(Self::StartTls),
            "none" => Ok(Self::None),
            other => bail!("unknown IMAP security {other:?} (expected \"tls\", \"starttls\" or \"none\")"),
        }
    }
}

/// The byte stream under an IMAP connection: plain TCP or TLS over TCP.
trait Io: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug> Io for T {}

/// A boxed [`Io`], so that plain and TLS connections share one code path.
type Stream = Box<dyn Io>;

/// One poll: log in, SELECT the mailbox, fetch every UNSEEN message's full RFC822 bytes, call
/// `handle(raw)` for each in order; if handle returns Ok(()), mark it \Seen and \Deleted and
/// EXPUNGE at the end (so a crash before that means the message is seen again next poll: handling
/// must be idempotent — the daemon's handler is); if handle errs, leave it unseen (log). Log out.
/// Returns how many were handled.
///
/// Messages are handed over in ascending UID order (the order they arrived in), one at a time:
/// each is fetched with `BODY.PEEK[]`, so fetching alone never marks it seen, and flagged right
/// after its handler succeeded. The final `EXPUNGE` (sent when anything was handled) removes every
/// `\Deleted` message of the mailbox, including ones left flagged by an earlier poll that failed
/// before its own `EXPUNGE`; the mailbox should therefore be one dedicated to the daemon.
///
/// # Errors
///
/// Connection, TLS, login, `SELECT` and protocol failures, and network steps that take longer
/// than a minute. Messages already handled in a failed poll may be handed over again later. The
/// error text never contains the password.
pub async fn poll_once<F, Fut>(s: &ImapSettings, handle: F) -> anyhow::Result<usize>
where
    F: FnMut(Vec<u8>) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    poll_inner(s, handle).await.map_err(|e| redact(e, &s.password))
}

/// Runs poll_once every `s.poll` until `stop` resolves; errors are logged (tracing::warn) and
/// retried next round; the password never appears in logs or errors.
///
/// The first poll starts at once; the pause of `s.poll` (at least 100 ms) runs from the end of
/// one poll to the start of the next. When `stop` resolves, a poll in progress is abandoned where
/// it is (its connection dropped, the handler's future included); as nothing is expunged before
/// it has been handled, such messages are simply handed over again after a restart.
pub async fn run<F, Fut>(s: ImapSettings, mut handle: F, stop: impl Future<Output = ()>)
where
    F: FnMut(Vec<u8>) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let mut stop = pin!(stop);
    let pause = s.poll.max(MIN_POLL);
    tracing::info!(host = %s.host, port = s.port, mailbox = %s.mailbox, every = ?pause, "polling IMAP mailbox");
    loop {
        tokio::select! {
            biased;
            () = &mut stop => break,
            result = poll_once(&s, &mut handle) => match result {
                Ok(0) => tracing::debug!(mailbox = %s.mailbox, "IMAP poll: no new mail"),
                Ok(n) => tracing::info!(mailbox = %s.mailbox, handled = n, "IMAP poll handled messages"),
                Err(e) => tracing::warn!(
                    host = %s.host, port = s.port, mailbox = %s.mailbox,
                    "IMAP poll failed, retrying next round: {e:#}"
                ),
            },
        }
        tokio::select! {
            biased;
            () = &mut stop => break,
            () = tokio::time::sleep(pause) => {}
        }
    }
    tracing::info!(mailbox = %s.mailbox, "stopped polling IMAP mailbox");
}

/// [`poll_once`] before its error is scrubbed of the password.
async fn poll_inner<F, Fut>(s: &ImapSettings, handle: F) -> anyhow::Result<usize>
where
    F: FnMut(Vec<u8>) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let security = Security::parse(&s.security)?;
    let where_ = format!("{}:{}", s.host, s.port);
    let mut client = connect(s, security).await.with_context(|| format!("cannot connect to IMAP server {where_}"))?;
    greeting(&mut client).await.with_context(|| format!("IMAP server {where_} did not greet"))?;
    if security == Security::StartTls {
        client = start_tls(client, &s.host).await.with_context(|| format!("STARTTLS with {where_} failed"))?;
    }
    let mut session = timed("LOGIN", async { client.login(&s.username, &s.password).await.map_err(|(e, _client)| e) })
        .await
        .with_context(|| format!("IMAP login as {:?} at {where_} failed", s.username))?;

    let outcome = mailbox_work(&mut session, s, handle).await;
    if let Err(e) = timed("LOGOUT", session.logout()).await {
        tracing::debug!(host = %s.host, "IMAP logout failed: {e:#}");
    }
    outcome.with_context(|| format!("IMAP mailbox {:?} at {where_}", s.mailbox))
}

/// Opens the TCP connection and, for implicit TLS, the TLS session over it.
async fn connect(s: &ImapSettings, security: Security) -> anyhow::Result<Client<Stream>> {
    if security == Security::None && !is_loopback(&s.host) {
        bail!("security \"none\" (clear-text password) is only allowed for a loopback host, not {:?}", s.host);
    }
    let tcp = timed("TCP connect", TcpStream::connect((s.host.as_str(), s.port))).await?;
    let stream: Stream = match security {
        Security::Tls => Box::new(tls_handshake(tcp, &s.host).await?),
        Security::StartTls | Security::None => Box::new(tcp),
    };
    Ok(Client::new(stream))
}

/// Reads the server greeting, failing on `BYE` or a closed connection.
async fn greeting(client: &mut Client<Stream>) -> anyhow::Result<()> {
    let greeting = timed("greeting", client.read_response())
        .await?
        .ok_or_else(|| anyhow!("connection closed before the greeting"))?;
    if let Response::Data { status: Status::Bye, outcome } = greeting.parsed() {
        bail!("server said BYE: {}", outcome.information.as_deref().unwrap_or(""));
    }
    Ok(())
}

/// Upgrades a plain connection with `STARTTLS`; anything the server sent after its `OK` is
/// discarded with the plaintext buffer.
async fn start_tls(mut client: Client<Stream>, host: &str) -> anyhow::Result<Client<Stream>> {
    timed("STARTTLS", client.run_command_and_check_ok("STARTTLS", None)).await?;
    let tls = tls_handshake(client.into_inner(), host).await?;
    Ok(Client::new(Box::new(tls)))
}

/// Runs the TLS handshake as a client of `host`, checking its certificate against the webpki roots.
async fn tls_handshake<S>(stream: S, host: &str) -> anyhow::Result<tokio_rustls::client::TlsStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let name = ServerName::try_from(host.to_owned()).with_context(|| format!("invalid TLS server name {host:?}"))?;
    let roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .context("TLS configuration")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    timed("TLS handshake", TlsConnector::from(Arc::new(config)).connect(name, stream)).await
}

/// The logged-in part of a poll: select, search, then fetch, handle, flag each message and expunge.
async fn mailbox_work<F, Fut>(session: &mut Session<Stream>, s: &ImapSettings, mut handle: F) -> anyhow::Result<usize>
where
    F: FnMut(Vec<u8>) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    timed("SELECT", session.select(&s.mailbox)).await?;
    let mut uids: Vec<u32> = timed("SEARCH", session.uid_search("UNSEEN")).await?.into_iter().collect();
    uids.sort_unstable();

    let mut handled = Vec::new();
    for uid in uids {
        let raw = timed("FETCH", async {
            let fetches: Vec<_> = session.uid_fetch(uid.to_string(), "BODY.PEEK[]").await?.try_collect().await?;
            Ok::<_, async_imap::error::Error>(
                fetches.iter().find(|f| f.uid == Some(uid)).and_then(|f| f.body()).map(<[u8]>::to_vec),
            )
        })
        .await?;
        let Some(raw) = raw else {
            tracing::debug!(uid, "IMAP message vanished before it could be fetched");
            continue;
        };
        match handle(raw).await {
            Ok(()) => {
                timed("STORE", async {
                    let _: Vec<_> = session
                        .uid_store(uid.to_string(), "+FLAGS.SILENT (\\Seen \\Deleted)")
                        .await?
                        .try_collect()
                        .await?;
                    Ok::<_, async_imap::error::Error>(())
                })
                .await?;
                handled.push(uid);
            }
            Err(e) => tracing::warn!(uid, mailbox = %s.mailbox, "IMAP message left unseen, handler failed: {e:#}"),
        }
    }

    if !handled.is_empty() {
        timed("EXPUNGE", async {
            let _: Vec<_> = session.expunge().await?.try_collect().await?;
            Ok::<_, async_imap::error::Error>(())
        })
        .await?;
    }
    Ok(handled.len())
}

/// Awaits one network step under [`IO_TIMEOUT`], naming the step in its error.
async fn timed<T, E>(what: &str, fut: impl Future<Output = Result<T, E>>) -> anyhow::Result<T>
where
    E: std::error::Error + Send + Sync + 'static,
{
    match tokio::time::timeout(IO_TIMEOUT, fut).await {
        Ok(result) => result.with_context(|| format!("{what} failed")),
        Err(_) => bail!("{what} timed out after {} s", IO_TIMEOUT.as_secs()),
    }
}

/// Whether `host` names this machine's loopback interface.
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Rebuilds `e` with every occurrence of `password` in its message chain replaced.
fn redact(e: anyhow::Error, password: &str) -> anyhow::Error {
    let text = format!("{e:#}");
    if password.is_empty() || !text.contains(password) {
        return e;
    }
    anyhow!(text.replace(password, REDACTED))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["example.org", "10.0.0.1", "0.0.0.0", "localhost.example.org"] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn security_parses() {
        assert_eq!(Security::parse("TLS").unwrap(), Security::Tls);
        assert_eq!(Security::parse("starttls").unwrap(), Security::StartTls);
        assert_eq!(Security::parse("none").unwrap(), Security::None);
        assert!(Security::parse("ssl").is_err());
    }

    #[test]
    fn password_is_redacted() {
        let e = anyhow!("login hunter2 failed").context("polling");
        assert_eq!(redact(e, "hunter2").to_string(), "polling: login <redacted> failed");
        let s = ImapSettings {
            host: "h".into(),
            port: 1,
            security: "tls".into(),
            username: "u".into(),
            password: "hunter2".into(),
            mailbox: "INBOX".into(),
            poll: Duration::from_secs(1),
        };
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[tokio::test]
    async fn clear_text_needs_loopback() {
        let s = ImapSettings {
            host: "imap.example.org".into(),
            port: 143,
            security: "none".into(),
            username: "u".into(),
            password: "hunter2".into(),
            mailbox: "INBOX".into(),
            poll: Duration::from_secs(1),
        };
        let e = poll_once(&s, |_| async { Ok(()) }).await.unwrap_err();
        assert!(format!("{e:#}").contains("loopback"), "{e:#}");
    }
}
