//! The network faces under abuse, end to end on raw sockets: slow and idle HTTP clients are cut
//! off while others are served; the SMTP listener's bounds and what it speaks (exact reply
//! codes); the audit address behind proxies; no secret in the logs at trace level.

use liandong_tests::{Backend, TestApp};
use serde_json::{Value, json};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use workflows::org::generate::demo_people as dp;

const LEAGUE: &str = "t0102@nanyue.edu.cn";
const DOMAIN: &str = "reply.liandong.test";

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_string()
}

/// Reads until the peer closes (Ok(true)) or `within` passes (Ok(false)); what was read is dropped.
async fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let end = Instant::now() + within;
    loop {
        match tokio::time::timeout_at(end.into(), s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

/// A fresh connection's GET /healthz status (no pooled connection is kept).
async fn healthz(app: &TestApp) -> u16 {
    let c = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    c.get(format!("{}/healthz", app.base)).send().await.map(|r| r.status().as_u16()).unwrap_or(0)
}

#[tokio::test]
async fn slow_and_idle_http_clients_are_closed_and_others_served() {
    let app = liandong_tests::spawn_with(
        Backend::Sqlite,
        "faces_http",
        vec![
            ("LIANDONG__SERVER__HEADER_READ_TIMEOUT_MS".into(), "3000".into()),
            ("LIANDONG__SERVER__MAX_CONNECTIONS".into(), "4".into()),
            ("LIANDONG__SERVER__REQUEST_TIMEOUT_MS".into(), "1500".into()),
        ],
    )
    .await;
    let a = addr(&app);
    let started = Instant::now();
    // half a request line, then nothing
    let mut half = TcpStream::connect(&a).await.unwrap();
    half.write_all(b"GET /heal").await.unwrap();
    // nothing at all
    let mut idle = TcpStream::connect(&a).await.unwrap();
    // a slow loris: a header line every 200 ms, never the blank line
    let mut loris = TcpStream::connect(&a).await.unwrap();
    loris.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let trickle = tokio::spawn(async move {
        for i in 0..100 {
            if loris.write_all(format!("X-Slow-{i}: 1\r\n").as_bytes()).await.is_err() {
                return (true, loris);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        (false, loris)
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    // a client is still served beside them (the 4th connection)
    assert_eq!(healthz(&app).await, 200);
    // at the cap: one more idle connection is closed at once
    let mut fourth = TcpStream::connect(&a).await.unwrap();
    let mut beyond = TcpStream::connect(&a).await.unwrap();
    assert!(closed_within(&mut beyond, Duration::from_millis(1000)).await, "a connection beyond the cap is closed");
    assert!(started.elapsed() < Duration::from_millis(2500), "closed by the cap, not by the header timeout");
    // the header-read timeout closes all of them, the trickling one included
    for (name, s) in [("half request line", &mut half), ("idle", &mut idle), ("at the cap", &mut fourth)] {
        assert!(closed_within(s, Duration::from_secs(6)).await, "the {name} connection is closed");
    }
    let (cut, mut loris) = trickle.await.unwrap();
    assert!(cut || closed_within(&mut loris, Duration::from_secs(1)).await, "the slow loris is closed");
    assert!(started.elapsed() < Duration::from_secs(9), "closed by the 3 s timeout, not by the test's end");
    assert_eq!(healthz(&app).await, 200, "others are served after");
    // a body trickled in more slowly than the request timeout: 408
    let token = app.token_for(dp::CS_SU_PRESIDENT).await;
    let mut slow = TcpStream::connect(&a).await.unwrap();
    slow.write_all(
        format!(
            "POST /api/v1/requests HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"work"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut answer = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), slow.read_to_string(&mut answer)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json") && answer.contains("\"request_timeout\""), "{answer}");
    app.stop().await;
}

async fn audit_address(backend: Backend, name: &str, trusted: &str) -> String {
    let app =
        liandong_tests::spawn_with(backend, name, vec![("LIANDONG__SERVER__TRUSTED_PROXIES".into(), trusted.into())])
            .await;
    let token = app.token_for(dp::CS_SU_PRESIDENT).await;
    let form = json!({ "kind": "report", "matter_type": "reform_progress", "title": "报告", "body": "正文" });
    let r = app
        .http
        .post(format!("{}/api/v1/requests", app.base))
        .bearer_auth(&token)
        .header("x-forwarded-for", "6.6.6.6, 198.51.100.7")
        .json(&json!({ "workflow": "major_matter_report", "form": form }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let id = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let events = app.get(&app.admin_token, &format!("/api/v1/requests/{id}/events")).await.1;
    let address = events[0]["address"].as_str().unwrap_or_default().to_string();
    app.stop().await;
    address
}

async fn forwarded_for_only_from_trusted_proxies(backend: Backend) {
    // the test client's peer is 127.0.0.1: not a proxy here, so its header is ignored
    assert_eq!(audit_address(backend, "faces_xff_no", "10.0.0.0/8").await, "127.0.0.1");
    // a trusted proxy: the rightmost hop it names
    assert_eq!(audit_address(backend, "faces_xff_yes", "127.0.0.1,10.0.0.0/8").await, "198.51.100.7");
}

#[tokio::test]
async fn forwarded_for_only_from_trusted_proxies_on_sqlite() {
    forwarded_for_only_from_trusted_proxies(Backend::Sqlite).await;
}

#[tokio::test]
async fn forwarded_for_only_from_trusted_proxies_on_postgres() {
    forwarded_for_only_from_trusted_proxies(Backend::Postgres).await;
}

/// The daemon with the reply listener on (no DMARC: these tests are about SMTP).
async fn mail_rig(backend: Backend, name: &str, extra: Vec<(&str, &str)>) -> TestApp {
    let mut settings = vec![
        ("LIANDONG__INBOUND__SMTP_ENABLED".to_string(), "true".to_string()),
        ("LIANDONG__INBOUND__REQUIRE_DMARC".to_string(), "false".to_string()),
        ("LIANDONG__SERVER__PUBLIC_URL".to_string(), "http://liandong.test".to_string()),
    ];
    settings.extend(extra.into_iter().map(|(k, v)| (k.to_string(), v.to_string())));
    liandong_tests::spawn_with(backend, name, settings).await
}

/// Submits a report; returns its id and the reply address and link token of the league
/// secretary's task mail.
async fn task_mail(app: &TestApp, title: &str) -> (String, String, String) {
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let form = json!({ "kind": "report", "matter_type": "reform_progress", "title": title, "body": "正文" });
    let (status, r) =
        app.post(&president, "/api/v1/requests", json!({ "workflow": "major_matter_report", "form": form })).await;
    assert_eq!(status, 201, "{r}");
    let id = r["id"].as_str().unwrap().to_string();
    let find = |sent: &[lettre::Message]| {
        sent.iter().find_map(|m| {
            let raw = m.formatted();
            let p = mail_parser::MessageParser::default().parse(&raw)?;
            let to_league = p.to().and_then(|a| a.first()).and_then(|a| a.address()) == Some(LEAGUE);
            let ours = p.subject().is_some_and(|s| s.contains(title));
            if !(to_league && ours) {
                return None;
            }
            let reply = p.reply_to()?.first()?.address()?.to_string();
            let text = p.body_text(0)?.to_string();
            let i = text.find("/a/")?;
            let link: String = text[i + 3..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
            Some((reply, link))
        })
    };
    let sent = app.wait_for_mail(|s| find(s).is_some()).await;
    let (reply, link) = find(&sent).unwrap();
    (id, reply, link)
}

/// One SMTP client on a raw socket.
struct Smtp {
    r: BufReader<tokio::net::tcp::OwnedReadHalf>,
    w: tokio::net::tcp::OwnedWriteHalf,
}

impl Smtp {
    async fn connect(app: &TestApp) -> (Self, String) {
        let s = TcpStream::connect(app.inbound.expect("the listener runs")).await.unwrap();
        let (r, w) = s.into_split();
        let mut c = Smtp { r: BufReader::new(r), w };
        let greeting = c.answer().await;
        (c, greeting)
    }

    /// One whole answer (all its lines).
    async fn answer(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(Duration::from_secs(10), self.r.read_line(&mut line))
                .await
                .expect("an answer in time")
                .unwrap();
            all.push_str(&line);
            if n == 0 || line.as_bytes().get(3) != Some(&b'-') {
                return all;
            }
        }
    }

    async fn say(&mut self, line: &str) -> String {
        self.w.write_all(format!("{line}\r\n").as_bytes()).await.unwrap();
        self.answer().await
    }

    async fn send_raw(&mut self, bytes: &[u8]) {
        self.w.write_all(bytes).await.unwrap();
    }
}

fn code(answer: &str) -> &str {
    answer.get(..9).unwrap_or(answer)
}

fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

async fn smtp_speaks_what_a_relay_speaks(backend: Backend) {
    let app = mail_rig(
        backend,
        "faces_smtp",
        vec![("LIANDONG__INBOUND__SMTP_MAX_RECIPIENTS", "2"), ("LIANDONG__INBOUND__SMTP_MAX_LINE", "65536")],
    )
    .await;
    let (id1, reply1, _) = task_mail(&app, "第一份报告").await;
    let (id2, reply2, _) = task_mail(&app, "第二份报告").await;
    let (_, reply3, _) = task_mail(&app, "第三份报告").await;
    let (mut c, greeting) = Smtp::connect(&app).await;
    assert!(greeting.starts_with("220 "), "{greeting}");
    let ehlo = c.say("EHLO relay.nanyue.edu.cn").await;
    for kw in ["SMTPUTF8", "ENHANCEDSTATUSCODES", "8BITMIME", "PIPELINING", "SIZE"] {
        assert!(ehlo.contains(&format!("250-{kw}")) || ehlo.contains(&format!("250 {kw}")), "{kw} in {ehlo}");
    }
    assert_eq!(code(&c.say("RCPT TO:<x@y>").await), "503 5.5.1");
    assert_eq!(code(&c.say(&format!("MAIL FROM:<{LEAGUE}> BODY=8BITMIME")).await), "250 2.1.0");
    // unknown addresses and unknown tokens are refused at RCPT
    assert_eq!(code(&c.say(&format!("RCPT TO:<someone@{DOMAIN}>")).await), "550 5.1.1");
    assert_eq!(code(&c.say(&format!("RCPT TO:<reply+{}@{DOMAIN}>", "a".repeat(52))).await), "550 5.1.1");
    assert_eq!(code(&c.say("RCPT TO:<someone@elsewhere.example>").await), "550 5.1.1");
    // two reply addresses are taken, the same one again is no new one, a third is deferred
    assert_eq!(code(&c.say(&format!("RCPT TO:<{reply1}>")).await), "250 2.1.5");
    assert_eq!(code(&c.say(&format!("RCPT TO:<{reply2}>")).await), "250 2.1.5");
    assert_eq!(code(&c.say(&format!("RCPT TO:<{}>", reply1.to_uppercase())).await), "250 2.1.5");
    assert_eq!(code(&c.say(&format!("RCPT TO:<{reply3}>")).await), "452 4.5.3");
    assert!(c.say("DATA").await.starts_with("354 "));
    let msg = format!(
        "From: 团委书记 <{LEAGUE}>\r\nTo: <{reply1}>, <{reply2}>\r\nSubject: 回复：两份报告\r\n\
         Message-ID: <two@nanyue.edu.cn>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\n同意\r\n.\r\n"
    );
    c.send_raw(msg.as_bytes()).await;
    assert_eq!(code(&c.answer().await), "250 2.0.0");
    // each address got its own kept copy, each decided its own task
    for r in [&reply1, &reply2] {
        let n = app.count(&format!("SELECT COUNT(*) AS n FROM inbound_mail WHERE rcpt = '{r}'")).await;
        assert_eq!(n, 1, "{r}");
    }
    for _ in 0..1200 {
        if app.count("SELECT COUNT(*) AS n FROM mail_actions WHERE outcome = 'decided'").await >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for id in [&id1, &id2] {
        let events = app.get(&app.admin_token, &format!("/api/v1/requests/{id}/events")).await.1;
        let by_mail = events
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["channel"] == "email_reply" && e["kind"]["type"] == "task_decided")
            .count();
        assert_eq!(by_mail, 1, "request {id} was decided by its own reply: {events}");
    }
    // the null sender (bounces, auto-replies) is taken; the kept copy starts with Return-Path
    assert_eq!(code(&c.say("MAIL FROM:<> SMTPUTF8 BODY=8BITMIME").await), "250 2.1.0");
    assert_eq!(code(&c.say(&format!("RCPT TO:<{reply3}>")).await), "250 2.1.5");
    assert!(c.say("DATA").await.starts_with("354 "));
    c.send_raw(format!("From: <{LEAGUE}>\r\nSubject: 自动回复\r\n\r\n外出\r\n..a stuffed dot\r\n.\r\n").as_bytes())
        .await;
    assert_eq!(code(&c.answer().await), "250 2.0.0");
    let raw = {
        use entities::sea_orm::{ConnectionTrait, Statement};
        let db = &app.app.db;
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT raw FROM inbound_mail WHERE mail_from = '' ORDER BY id LIMIT 1".to_string(),
            ))
            .await
            .unwrap()
            .expect("the null sender's mail is kept");
        row.try_get::<Vec<u8>>("", "raw").unwrap()
    };
    let raw = String::from_utf8(raw).unwrap();
    assert!(raw.starts_with("Return-Path: <>\r\nFrom: <"), "{raw}");
    assert!(raw.contains("\r\n.a stuffed dot\r\n") && !raw.contains("\r\n.\r\n"), "{raw}");
    // a command line without LF: read and dropped, memory stays flat, the session goes on
    let before = rss_kib();
    let chunk = vec![b'x'; 1 << 20];
    c.send_raw(b"NOOP ").await;
    for _ in 0..64 {
        c.send_raw(&chunk).await;
    }
    assert_eq!(code(&c.say("").await), "500 5.5.2");
    let grown = rss_kib().saturating_sub(before);
    assert!(grown < 16 * 1024, "a 64 MiB line grew memory by {grown} KiB");
    assert_eq!(code(&c.say("NOOP").await), "250 2.0.0");
    // a message line longer than smtp_max_line refuses the message
    assert_eq!(code(&c.say("MAIL FROM:<a@nanyue.edu.cn>").await), "250 2.1.0");
    assert_eq!(code(&c.say(&format!("RCPT TO:<{reply3}>")).await), "250 2.1.5");
    assert!(c.say("DATA").await.starts_with("354 "));
    c.send_raw(format!("Subject: x\r\n\r\n{}\r\n.\r\n", "y".repeat(100_000)).as_bytes()).await;
    assert_eq!(code(&c.answer().await), "552 5.3.4");
    // declared too big
    assert_eq!(code(&c.say("MAIL FROM:<a@nanyue.edu.cn> SIZE=999999999999").await), "552 5.3.4");
    assert_eq!(code(&c.say("BDAT 10").await), "502 5.5.1");
    // guessing reply addresses ends the session after 20 errors in all
    assert_eq!(code(&c.say("MAIL FROM:<a@nanyue.edu.cn>").await), "250 2.1.0");
    let mut last = String::new();
    for i in 0..20 {
        last = c.say(&format!("RCPT TO:<reply+{}{i}@{DOMAIN}>", "g".repeat(50))).await;
        if last.contains("421 ") {
            break;
        }
    }
    assert!(last.contains("421 4.7.0"), "{last}");
    let mut rest = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), c.r.read_to_string(&mut rest)).await;
    assert!(rest.is_empty(), "the session is closed: {rest}");
    app.stop().await;
}

#[tokio::test]
async fn smtp_speaks_what_a_relay_speaks_on_sqlite() {
    smtp_speaks_what_a_relay_speaks(Backend::Sqlite).await;
}

#[tokio::test]
async fn smtp_speaks_what_a_relay_speaks_on_postgres() {
    smtp_speaks_what_a_relay_speaks(Backend::Postgres).await;
}

#[tokio::test]
async fn smtp_sessions_are_capped() {
    let app = mail_rig(Backend::Sqlite, "faces_smtp_cap", vec![("LIANDONG__INBOUND__SMTP_MAX_SESSIONS", "2")]).await;
    let (_a, g1) = Smtp::connect(&app).await;
    let (b, g2) = Smtp::connect(&app).await;
    assert!(g1.starts_with("220 ") && g2.starts_with("220 "));
    let (_, g3) = Smtp::connect(&app).await;
    assert_eq!(code(&g3), "421 4.3.2");
    drop(b);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (mut d, g4) = Smtp::connect(&app).await;
    assert!(g4.starts_with("220 "), "a freed session is taken again: {g4}");
    assert_eq!(code(&d.say("QUIT").await), "221 2.0.0");
    app.stop().await;
}

#[tokio::test]
async fn a_reply_with_utf8_headers_is_sent_with_smtputf8_and_kept() {
    use lettre::AsyncTransport;
    let app = mail_rig(Backend::Sqlite, "faces_utf8", vec![]).await;
    let (_, reply, _) = task_mail(&app, "国际化报告").await;
    let smtp = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(app.inbound.unwrap().port())
        .build();
    // a non-ASCII envelope sender makes lettre use SMTPUTF8 (it refuses to otherwise)
    let envelope =
        lettre::address::Envelope::new(Some("团委@例子.中国".parse().unwrap()), vec![reply.parse().unwrap()]).unwrap();
    let raw = format!(
        "From: 团委书记 <团委@例子.中国>\r\nTo: {reply}\r\nSubject: 回复：国际化报告\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n同意\r\n"
    );
    smtp.send_raw(&envelope, raw.as_bytes()).await.expect("the listener takes SMTPUTF8 mail");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM inbound_mail WHERE mail_from = '团委@例子.中国'").await, 1);
    app.stop().await;
}

/// A log sink shared with the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_secret_reaches_the_logs_at_trace_level() {
    let logs = Captured::default();
    let sink = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::TRACE)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .init();
    let app = mail_rig(Backend::Sqlite, "faces_logs", vec![]).await;
    let (_, reply, link) = task_mail(&app, "日志报告").await;
    let bearer = app.token_for(dp::CS_SU_PRESIDENT).await;
    let reply_token = reply.split('+').nth(1).unwrap().split('@').next().unwrap().to_string();
    // the link page, its form, a bad link, an API call, a login link
    let c = reqwest::Client::new();
    let page = c.get(format!("{}/a/{link}?do=approve", app.base)).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let _ = c.post(format!("{}/a/{link}", app.base)).form(&[("decision", "approve"), ("csrf", "x")]).send().await;
    let _ = c.get(format!("{}/login/{link}x", app.base)).send().await;
    let _ = c.get(format!("{}/api/v1/tasks", app.base)).bearer_auth(&bearer).send().await;
    let _ = c.get(format!("{}/api/v1/tasks", app.base)).bearer_auth(format!("{bearer}x")).send().await;
    // a reply, and an unknown reply token
    let (mut s, _) = Smtp::connect(&app).await;
    s.say("EHLO relay").await;
    s.say("MAIL FROM:<someone@nanyue.edu.cn>").await;
    assert_eq!(code(&s.say(&format!("RCPT TO:<reply+{}@{DOMAIN}>", "b".repeat(52))).await), "550 5.1.1");
    assert_eq!(code(&s.say(&format!("RCPT TO:<{reply}>")).await), "250 2.1.5");
    s.say("DATA").await;
    s.send_raw(format!("From: {LEAGUE}\r\nTo: {reply}\r\nSubject: x\r\n\r\n同意\r\n.\r\n").as_bytes()).await;
    assert_eq!(code(&s.answer().await), "250 2.0.0");
    s.say("QUIT").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    app.stop().await;
    let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    assert!(text.contains("/a/…"), "the trace layer logged the redacted path:\n{}", &text[..text.len().min(4000)]);
    for (what, secret) in [("link token", &link), ("bearer token", &bearer), ("reply token", &reply_token)] {
        if let Some(i) = text.find(secret.as_str()) {
            panic!("a {what} is in the logs: …{}…", &text[i.saturating_sub(300)..(i + 100).min(text.len())]);
        }
    }
    assert!(!text.contains(&"b".repeat(52)), "an unknown reply token is in the logs");
}

/// Debian's Postfix relaying the reply domain to the listener, set up as the README's
/// "Relaying replies from the university's mail server" says, with its smtpd on
/// 127.0.0.1:10025 and the transport to 127.0.0.1:10026. Not run in CI (needs Postfix):
/// `cargo nextest run -p liandong-tests --test faces --run-ignored only postfix`.
#[tokio::test]
#[ignore = "needs a local Postfix relaying reply.liandong.test to 127.0.0.1:10026"]
async fn postfix_relays_utf8_replies_with_long_lines_to_the_listener() {
    use lettre::AsyncTransport;
    let app =
        mail_rig(Backend::Sqlite, "faces_postfix", vec![("LIANDONG__INBOUND__SMTP_LISTEN", "127.0.0.1:10026")]).await;
    let (_, reply, _) = task_mail(&app, "转发报告").await;
    let postfix =
        lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous("127.0.0.1").port(10025).build();
    let long = "长".repeat(1500);
    for (from, subject) in [("团委@例子.中国", "回复：转发报告（SMTPUTF8）"), ("", "自动回复：外出")]
    {
        let envelope = lettre::address::Envelope::new(from.parse().ok(), vec![reply.parse().unwrap()]).unwrap();
        let raw = format!(
            "From: 团委书记 <{LEAGUE}>\r\nTo: {reply}\r\nSubject: {subject}\r\nMessage-ID: <{}@nanyue.edu.cn>\r\n\
             MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
             同意\r\n{long}\r\n",
            subject.len()
        );
        postfix.send_raw(&envelope, raw.as_bytes()).await.expect("Postfix takes the reply");
    }
    let mut kept = 0;
    for _ in 0..1200 {
        kept = app.count(&format!("SELECT COUNT(*) AS n FROM inbound_mail WHERE rcpt = '{reply}'")).await;
        if kept == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(kept, 2, "both replies were relayed (see /var/log/postfix.log)");
    let rows = {
        use entities::sea_orm::{ConnectionTrait, Statement};
        let db = &app.app.db;
        let sql = "SELECT mail_from, raw FROM inbound_mail ORDER BY id".to_string();
        db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap()
    };
    let (utf8, null) = (&rows[0], &rows[1]);
    let raw = |r: &entities::sea_orm::QueryResult| String::from_utf8(r.try_get::<Vec<u8>>("", "raw").unwrap()).unwrap();
    assert_eq!(utf8.try_get::<String>("", "mail_from").unwrap(), "团委@例子.中国");
    assert!(raw(utf8).starts_with("Return-Path: <团委@例子.中国>\r\n"), "{}", raw(utf8));
    assert!(raw(utf8).contains(&format!("\r\n{long}\r\n")), "the long line arrives unfolded");
    assert!(raw(null).starts_with("Return-Path: <>\r\n"), "{}", raw(null));
    app.stop().await;
}
