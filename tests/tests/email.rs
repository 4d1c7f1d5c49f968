//! Email approvals end to end over real SMTP: the daemon's mails reach a loopback SMTP sink;
//! reviewers open the link and post the page's form, or reply to the mail through the daemon's
//! own SMTP listener with a DKIM-signed message whose keys a test DNS server publishes.

use liandong_tests::smtp::{Received, Sink};
use liandong_tests::{Backend, TestApp, dkim, dns};
use serde_json::{Value, json};
use std::time::Duration;
use workflows::org::generate::demo_people as dp;

const DOMAIN: &str = "reply.liandong.test";

struct Rig {
    app: TestApp,
    sink: Sink,
    _dns: dns::TestDns,
}

/// The daemon with mail over SMTP to a sink, the reply listener on, DKIM keys and strict DMARC
/// records published for the university's two mail domains.
async fn rig(backend: Backend, name: &str, extra: Vec<(String, String)>) -> Rig {
    let sink = liandong_tests::smtp::start().await;
    let mut records = Vec::new();
    for d in ["nanyue.edu.cn", "stu.nanyue.edu.cn", "evil.test"] {
        records.push((dkim::key_name(d, "sel"), dkim::dns_record()));
        records.push((format!("_dmarc.{d}"), "v=DMARC1; p=reject; adkim=s".to_string()));
    }
    let dns = dns::start(records).await;
    let mut settings = vec![
        ("LIANDONG__MAIL__TRANSPORT".into(), "smtp".into()),
        ("LIANDONG__MAIL__SMTP_HOST".into(), "127.0.0.1".into()),
        ("LIANDONG__MAIL__SMTP_PORT".into(), sink.port.to_string()),
        ("LIANDONG__MAIL__SMTP_SECURITY".into(), "none".into()),
        ("LIANDONG__SERVER__PUBLIC_URL".into(), "http://liandong.test".into()),
        ("LIANDONG__INBOUND__SMTP_ENABLED".into(), "true".into()),
        ("LIANDONG__INBOUND__REQUIRE_DMARC".into(), "true".into()),
        ("LIANDONG__INBOUND__DNS_SERVER".into(), dns.addr.to_string()),
    ];
    settings.extend(extra);
    let app = liandong_tests::spawn_with(backend, name, settings).await;
    Rig { app, sink, _dns: dns }
}

impl Rig {
    /// Waits (up to 60 s, for a loaded two-core CI machine) for a mail to `to` whose subject starts with `tag`, the `nth` such.
    async fn mail(&self, to: &str, tag: &str, nth: usize) -> Received {
        let mut got = self.mails_where(nth + 1, |m| m.to.iter().any(|t| t == to) && subject(m).starts_with(tag)).await;
        got.swap_remove(nth)
    }

    /// At least `n` mails whose subject starts with `tag`, to anyone.
    async fn mails_tagged(&self, tag: &str, n: usize) -> Vec<Received> {
        self.mails_where(n, |m| subject(m).starts_with(tag)).await
    }

    /// At least `n` received mails matching `pick`, in order (delivery is asynchronous: waits).
    async fn mails_where(&self, n: usize, pick: impl Fn(&Received) -> bool) -> Vec<Received> {
        for _ in 0..1200 {
            let got: Vec<Received> = self.sink.received.lock().unwrap().iter().filter(|m| pick(m)).cloned().collect();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "fewer than {n} such mails; got {:?}",
            self.sink.received.lock().unwrap().iter().map(subject).collect::<Vec<_>>()
        );
    }

    async fn submit(&self, kind: &str, title: &str) -> String {
        let president = self.app.token_for(dp::CS_SU_PRESIDENT).await;
        let form = json!({ "kind": kind, "matter_type": "reform_progress", "title": title, "body": "本学期调整了工作部门设置。" });
        self.app.submit(&president, "major_matter_report", form).await["id"].as_str().unwrap().to_string()
    }

    async fn request(&self, id: &str) -> Value {
        self.app.request(id).await
    }

    async fn events(&self, id: &str) -> Vec<Value> {
        self.app
            .get(&self.app.admin_token, &format!("/api/v1/requests/{id}/events"))
            .await
            .1
            .as_array()
            .unwrap()
            .clone()
    }

    /// Sends a raw message to the daemon's reply listener.
    async fn send_reply(&self, mail_from: &str, rcpt: &str, raw: &[u8]) {
        use lettre::AsyncTransport;
        let smtp = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(self.app.inbound.expect("the reply listener runs").port())
            .build();
        let envelope =
            lettre::address::Envelope::new(Some(mail_from.parse().unwrap()), vec![rcpt.parse().unwrap()]).unwrap();
        smtp.send_raw(&envelope, raw).await.expect("the listener takes the reply");
    }

    /// Sends `raw` to the listener with the null reverse path `MAIL FROM:<>` (bounces and
    /// auto-replies, RFC 3834 §3.3 / RFC 5321 §4.5.5); the listener records it as `Return-Path: <>`.
    async fn send_from_null_sender(&self, rcpt: &str, raw: &[u8]) {
        use lettre::AsyncTransport;
        let smtp = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(self.app.inbound.expect("the reply listener runs").port())
            .build();
        let envelope = lettre::address::Envelope::new(None, vec![rcpt.parse().unwrap()]).unwrap();
        smtp.send_raw(&envelope, raw).await.expect("the listener takes mail from the null sender");
    }

    /// Waits until the request's status is `status`.
    async fn wait_status(&self, id: &str, status: &str) -> Value {
        for _ in 0..1200 {
            let r = self.request(id).await;
            if r["status"] == status {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("request {id} is {} not {status}", self.request(id).await["status"]);
    }

    /// The logged attempts to act through mail.
    async fn attempts(&self, outcome: &str) -> i64 {
        self.app.count(&format!("SELECT COUNT(*) AS n FROM mail_actions WHERE outcome = '{outcome}'")).await
    }

    async fn wait_attempts(&self, outcome: &str, n: i64) {
        for _ in 0..1200 {
            if self.attempts(outcome).await >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{outcome} attempts: {} < {n}", self.attempts(outcome).await);
    }
}

fn parsed(m: &Received) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default().parse(m.data.as_bytes()).expect("a mail")
}

fn subject(m: &Received) -> String {
    parsed(m).subject().unwrap_or_default().to_string()
}

fn text(m: &Received) -> String {
    parsed(m).body_text(0).unwrap_or_default().to_string()
}

fn reply_address(m: &Received) -> String {
    let p = parsed(m);
    p.reply_to().and_then(|a| a.first()).and_then(|a| a.address()).expect("a Reply-To").to_string()
}

/// The path of the mail's link for `action` (`approve`, `reject`, `return`, `acknowledge`).
fn link(m: &Received, action: &str) -> String {
    let t = text(m);
    let url = t
        .split_whitespace()
        .filter_map(|w| w.find("http://liandong.test/a/").map(|i| &w[i..]))
        .find(|w| w.ends_with(&format!("?do={action}")))
        .unwrap_or_else(|| panic!("no {action} link in:\n{t}"));
    url.trim_start_matches("http://liandong.test").to_string()
}

/// A reply as Gmail writes it: the new text, then the quoted original.
fn gmail_reply(from: &str, to: &str, subject: &str, new_text: &str, original: &str) -> Vec<u8> {
    let quoted: String = original.lines().map(|l| format!("> {l}\r\n")).collect();
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: Re: {subject}\r\nDate: Tue, 25 Nov 2026 10:00:00 +0800\r\n\
         Message-ID: <{}@mail.gmail.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\
         Content-Transfer-Encoding: 8bit\r\nUser-Agent: Gmail\r\n\r\n{}\r\n\r\n\
         联动 <liandong@nanyue.edu.cn> 于2026年11月25日周三 09:00写道：\r\n{quoted}",
        rand_id(),
        new_text.replace('\n', "\r\n"),
    )
    .into_bytes()
}

/// A reply as Outlook writes it.
fn outlook_reply(from: &str, to: &str, subject: &str, new_text: &str, original: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: 答复: {subject}\r\nDate: Tue, 25 Nov 2026 10:00:00 +0800\r\n\
         Message-ID: <{}@outlook.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\
         Content-Transfer-Encoding: 8bit\r\nX-Mailer: Microsoft Outlook 16.0\r\n\r\n{}\r\n\r\n\
         ________________________________\r\n发件人: 联动 <liandong@nanyue.edu.cn>\r\n发送时间: 2026年11月25日 9:00\r\n\
         收件人: {from}\r\n主题: {subject}\r\n\r\n{}\r\n",
        rand_id(),
        new_text.replace('\n', "\r\n"),
        original.replace('\n', "\r\n"),
    )
    .into_bytes()
}

fn rand_id() -> String {
    format!("{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos())
}

fn domain_of(addr: &str) -> &str {
    addr.rsplit_once('@').unwrap().1
}

/// Signs and sends a reply from `from` to the mail `m`.
async fn reply_to_mail(r: &Rig, m: &Received, new_text: &str, outlook: bool) -> String {
    let from = m.to[0].clone();
    let to = reply_address(m);
    let raw = if outlook {
        outlook_reply(&from, &to, &subject(m), new_text, &text(m))
    } else {
        gmail_reply(&from, &to, &subject(m), new_text, &text(m))
    };
    let signed = dkim::sign(&raw, domain_of(&from), "sel");
    r.send_reply(&from, &to, &signed).await;
    to
}

async fn http_get(app: &TestApp, path: &str) -> (u16, String, Option<String>) {
    let r = app.http.get(format!("{}{path}", app.base)).send().await.unwrap();
    let status = r.status().as_u16();
    let cookie =
        r.headers().get("set-cookie").and_then(|v| v.to_str().ok()).and_then(|c| c.split(';').next()).map(String::from);
    (status, r.text().await.unwrap(), cookie)
}

fn csrf_of(page: &str) -> String {
    let i = page.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    page[i..].split('"').next().unwrap().to_string()
}

async fn post_form(app: &TestApp, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> (u16, String) {
    let mut req =
        app.http.post(format!("{}{path}", app.base)).header("user-agent", "Mozilla/5.0 (test browser)").form(form);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn approve_by_link_ack_by_reply(backend: Backend) {
    let r = rig(backend, "mailapprove", vec![]).await;
    let league = "t0102@nanyue.edu.cn";
    let id = r.submit("report", "计算机学院学生会改革推进情况报告").await;
    // the League secretary's mail: buttons, a reply address, the zh-CN wording
    let m = r.mail(league, "【待审批】", 0).await;
    let body = text(&m);
    assert!(body.contains("在邮件中直接办理") && body.contains("也可以直接回复本邮件"), "{body}");
    assert!(reply_address(&m).starts_with("reply+") && reply_address(&m).ends_with(&format!("@{DOMAIN}")));
    let path = link(&m, "approve");
    // GET shows the matter and changes nothing, however often (link scanners)
    let (status, page, cookie) = http_get(&r.app, &path).await;
    assert_eq!(status, 200);
    for s in [
        "计算机学院学生会改革推进情况报告",
        "苏海琳",
        "本学期调整了工作部门设置。",
        "办理记录",
        "提交",
        "value=\"approve\"",
        "value=\"reject\"",
        "value=\"return\"",
    ] {
        assert!(page.contains(s), "the page shows {s}:\n{page}");
    }
    let (status, _, _) = http_get(&r.app, &path).await;
    assert_eq!(status, 200);
    let running = r.request(&id).await;
    assert_eq!(running["status"], "running");
    assert!(running["open_tasks"].as_array().unwrap().iter().any(|t| t["assignee"] == dp::CS_LEAGUE_SECRETARY));
    // only the page's own POST decides
    let csrf = csrf_of(&page);
    let (status, _) = post_form(&r.app, &path, None, &[("decision", "approve"), ("csrf", &csrf)]).await;
    assert_eq!(status, 403, "no cookie: refused");
    let (status, page) = post_form(
        &r.app,
        &path,
        cookie.as_deref(),
        &[("decision", "approve"), ("comment", "同意，请按计划推进。"), ("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("您已办理：同意"), "{page}");
    // the link is spent: it shows what was decided, by whom and when
    let (status, page, _) = http_get(&r.app, &path).await;
    assert_eq!(status, 200);
    assert!(page.contains("由 郭远子 办理：同意") && page.contains("同意，请按计划推进。"), "{page}");
    let (status, _) = post_form(&r.app, &path, cookie.as_deref(), &[("decision", "reject"), ("csrf", &csrf)]).await;
    assert_eq!(status, 409, "a used link decides nothing more");
    // a liaison acknowledges by replying (Outlook), the Party deputy secretary too (Gmail)
    let acks = r.mails_tagged("【备案】", 2).await;
    let liaison_mail =
        acks.iter().find(|m| !m.to.iter().any(|t| t == "t0101@nanyue.edu.cn")).expect("a mail to the liaison");
    let liaison = liaison_mail.to[0].clone();
    reply_to_mail(&r, liaison_mail, "收到", true).await;
    let deputy = r.mail("t0101@nanyue.edu.cn", "【备案】", 0).await;
    reply_to_mail(&r, &deputy, "已阅。\n请抄送学院团委存档。", false).await;
    let done = r.wait_status(&id, "approved").await;
    assert!(done["open_tasks"].as_array().unwrap().is_empty());
    // every decision says its channel, address and user agent
    let events = r.events(&id).await;
    let decided: Vec<&Value> = events.iter().filter(|e| e["kind"]["type"] == "task_decided").collect();
    let by = |channel: &str| decided.iter().filter(|e| e["channel"] == channel).count();
    assert_eq!((by("email_link"), by("email_reply")), (1, 2), "{decided:?}");
    let link_event = decided.iter().find(|e| e["channel"] == "email_link").unwrap();
    assert_eq!(link_event["address"], "127.0.0.1");
    assert_eq!(link_event["user_agent"], "Mozilla/5.0 (test browser)");
    let deputy_event = decided.iter().find(|e| e["actor"]["id"] == dp::CS_PARTY_DEPUTY).unwrap();
    assert_eq!(deputy_event["kind"]["comment"], "请抄送学院团委存档。");
    assert_eq!(deputy_event["user_agent"], "Gmail");
    // each reviewer is sent a confirmation
    let c = r.mail(league, "【已办理】", 0).await;
    assert!(text(&c).contains("办理结果：同意") && text(&c).contains("邮件链接"), "{}", text(&c));
    let c = r.mail(&liaison, "【已办理】", 0).await;
    assert!(text(&c).contains("已阅") && text(&c).contains("邮件回复"), "{}", text(&c));
    r.mail("t0101@nanyue.edu.cn", "【已办理】", 0).await;
    assert_eq!(r.attempts("decided").await, 3);
    r.app.stop().await;
}

#[tokio::test]
async fn approve_by_link_and_acknowledge_by_reply_on_sqlite() {
    approve_by_link_ack_by_reply(Backend::Sqlite).await;
}

#[tokio::test]
async fn approve_by_link_and_acknowledge_by_reply_on_postgres() {
    approve_by_link_ack_by_reply(Backend::Postgres).await;
}

#[tokio::test]
async fn reject_by_reply_and_return_by_link() {
    let r = rig(Backend::Sqlite, "mailreject", vec![]).await;
    let league = "t0102@nanyue.edu.cn";
    // reject by a reply from QQ-style Outlook text
    let id = r.submit("report", "关于调整部门设置的报告").await;
    let m = r.mail(league, "【待审批】", 0).await;
    reply_to_mail(&r, &m, "驳回，材料不完整，请补充会议纪要。", true).await;
    r.wait_status(&id, "rejected").await;
    let events = r.events(&id).await;
    let d = events.iter().find(|e| e["kind"]["type"] == "task_decided").unwrap();
    assert_eq!((d["kind"]["decision"].as_str(), d["channel"].as_str()), (Some("reject"), Some("email_reply")));
    assert_eq!(d["kind"]["comment"], "材料不完整，请补充会议纪要。");
    // return by the link: back to the submitter
    let id2 = r.submit("report", "关于换届工作的报告").await;
    let m = r.mail(league, "【待审批】", 1).await;
    let path = link(&m, "return");
    let (_, page, cookie) = http_get(&r.app, &path).await;
    assert!(page.contains("class=\"return chosen\""), "the link's action is preselected");
    let (status, _) = post_form(
        &r.app,
        &path,
        cookie.as_deref(),
        &[("decision", "return"), ("comment", "请修改标题"), ("csrf", &csrf_of(&page))],
    )
    .await;
    assert_eq!(status, 200);
    r.wait_status(&id2, "returned").await;
    r.mail(&format!("{}@stu.nanyue.edu.cn", dp::CS_SU_PRESIDENT), "【已退回】", 0).await;
    r.app.stop().await;
}

#[tokio::test]
async fn forged_replayed_and_misdirected_replies_change_nothing() {
    let r = rig(Backend::Sqlite, "mailforge", vec![]).await;
    let league = "t0102@nanyue.edu.cn";
    let id = r.submit("report", "关于学生会改革的报告").await;
    let m = r.mail(league, "【待审批】", 0).await;
    let to = reply_address(&m);
    let before = r.events(&id).await.len();
    let mut refused = 0;
    // 1. spoofed From: the right address, but signed by another domain's key
    let raw = gmail_reply(league, &to, &subject(&m), "同意", &text(&m));
    r.send_reply(league, &to, &dkim::sign(&raw, "evil.example", "sel")).await;
    refused += 1;
    // 2. no signature at all
    r.send_reply(league, &to, &raw).await;
    refused += 1;
    // 3. a good signature, but the body was changed on the way
    let signed = String::from_utf8(dkim::sign(&raw, "nanyue.edu.cn", "sel")).unwrap().replacen("同意", "驳回", 1);
    r.send_reply(league, &to, signed.as_bytes()).await;
    refused += 1;
    // 4. another reviewer's token: a liaison signs properly, but the token is the secretary's
    let ack = r.mails_tagged("【备案】", 1).await.remove(0);
    let liaison = ack.to[0].clone();
    let raw = gmail_reply(&liaison, &to, &subject(&m), "同意", &text(&m));
    r.send_reply(&liaison, &to, &dkim::sign(&raw, domain_of(&liaison), "sel")).await;
    refused += 1;
    r.wait_attempts("refused", refused).await;
    assert_eq!(r.events(&id).await.len(), before, "nothing changed");
    assert_eq!(r.request(&id).await["status"], "running");
    let reasons = r
        .app
        .count("SELECT COUNT(*) AS n FROM mail_actions WHERE outcome = 'refused' AND (reason LIKE 'not authenticated%' OR reason LIKE 'the sender%')")
        .await;
    assert_eq!(reasons, 4, "each refusal says why");
    // the genuine reply still works; then replaying it changes nothing
    let genuine = dkim::sign(&gmail_reply(league, &to, &subject(&m), "同意", &text(&m)), "nanyue.edu.cn", "sel");
    r.send_reply(league, &to, &genuine).await;
    r.wait_attempts("decided", 1).await;
    let after = r.events(&id).await.len();
    r.send_reply(league, &to, &genuine).await;
    r.wait_attempts("refused", refused + 1).await;
    assert_eq!(r.events(&id).await.len(), after, "a replay changes nothing");
    // a token after transfer: the liaison hands the ack to a colleague; its mail's reply address is dead
    let liaison_id = r.request(&id).await["open_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "acknowledge" && t["step"] == "school_su_ack")
        .map(|t| (t["assignee"].as_str().unwrap().to_string(), t["task"].as_u64().unwrap()))
        .unwrap();
    let email = {
        use workflows::org::Directory;
        r.app.app.org().person(&liaison_id.0).expect("a liaison").email.clone()
    };
    let ack = r.mail(&email, "【备案】", 0).await;
    let token = r.app.token_for(&liaison_id.0).await;
    let (status, body) = r
        .app
        .post(
            &token,
            &format!("/api/v1/requests/{id}/tasks/{}/transfer", liaison_id.1),
            json!({ "to": dp::SCHOOL_SU_SECRETARY_GENERAL }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let moved = r.events(&id).await.len();
    reply_to_mail(&r, &ack, "收到", false).await;
    r.wait_attempts("refused", refused + 2).await;
    assert_eq!(r.events(&id).await.len(), moved, "a token after transfer decides nothing");
    // and the admin can see every attempt
    let (status, list) = r.app.get(&r.app.admin_token, "/api/v1/mail-actions?outcome=refused").await;
    assert_eq!(status, 200);
    assert_eq!(list["items"].as_array().unwrap().len() as i64, refused + 2);
    let president = r.app.token_for(dp::CS_SU_PRESIDENT).await;
    assert_eq!(r.app.get(&president, "/api/v1/mail-actions").await.0, 403);
    r.app.stop().await;
}

#[tokio::test]
async fn an_unclear_reply_gets_an_answer_and_the_token_lives_on() {
    let r = rig(Backend::Sqlite, "mailunclear", vec![]).await;
    let league = "t0102@nanyue.edu.cn";
    let id = r.submit("report", "关于学生会改革的报告").await;
    let m = r.mail(league, "【待审批】", 0).await;
    reply_to_mail(&r, &m, "同意吗？我再看看", false).await;
    let answer = r.mail(league, "【未能识别】", 0).await;
    let t = text(&answer);
    assert!(t.contains("同意吗？我再看看") && t.contains("第一行只写"), "{t}");
    assert_eq!(r.request(&id).await["status"], "running");
    // the same reply address works once the reviewer says it plainly
    reply_to_mail(&r, &m, "批准", false).await;
    r.wait_attempts("decided", 1).await;
    assert_eq!(r.attempts("unclear").await, 1);
    r.app.stop().await;
}

#[tokio::test]
async fn a_reply_cannot_fill_a_decision_form_and_is_told_to_use_the_page() {
    use workflows::org::Directory as _;
    let r = rig(Backend::Sqlite, "mailonpage", vec![]).await;
    let org = workflows::org::generate::demo_directory();
    let day = chrono::Local::now().date_naive();
    let delegate = org.holders("student_congress", &[workflows::catalog::Role::Delegate], day)[0].person.clone();
    let token = r.app.token_for(&delegate).await;
    let form = json!({ "title": "关于延长图书馆开放时间的提案", "area": "study", "body": "……" });
    let id = r.app.submit(&token, "proposal_handling", form).await["id"].as_str().unwrap().to_string();
    for step in ["department_review", "committee_review"] {
        loop {
            let req = r.request(&id).await;
            let Some(t) = req["open_tasks"].as_array().unwrap().iter().find(|t| t["step"] == step).cloned() else {
                break;
            };
            let tok = r.app.token_for(t["assignee"].as_str().unwrap()).await;
            let path = format!("/api/v1/requests/{id}/tasks/{}/decision", t["task"]);
            assert_eq!(r.app.post(&tok, &path, json!({ "decision": "approve" })).await.0, 200);
        }
    }
    // The school SU classifies by choosing offices: a reply saying 同意 cannot choose them.
    let head = org.person(dp::RIGHTS_DIVISION_HEAD).unwrap().email.clone();
    let m = r.mail(&head, "【待审批】", 0).await;
    assert!(text(&m).contains("此环节办理时需填写：主办部门"), "the task mail says so: {}", text(&m));
    reply_to_mail(&r, &m, "同意", false).await;
    let answer = r.mail(&head, "【请在页面办理】", 0).await;
    let t = text(&answer);
    assert!(t.contains("邮件回复无法填写") && t.contains(&format!("/requests/{id}")), "{t}");
    let req = r.request(&id).await;
    assert!(
        req["open_tasks"].as_array().unwrap().iter().any(|t| t["step"] == "classify"),
        "nothing was decided: {req}"
    );
    assert!(req["form"].get("lead_office").is_none());
    r.app.stop().await;
}

#[tokio::test]
async fn links_die_with_their_task_and_expire() {
    let r = rig(Backend::Sqlite, "maillinks", vec![]).await;
    let league = "t0102@nanyue.edu.cn";
    let id = r.submit("report", "关于学生会改革的报告").await;
    let m = r.mail(league, "【待审批】", 0).await;
    let path = link(&m, "approve");
    // a forged origin is refused
    let (_, page, cookie) = http_get(&r.app, &path).await;
    let r2 = r
        .app
        .http
        .post(format!("{}{path}", r.app.base))
        .header("cookie", cookie.clone().unwrap())
        .header("origin", "https://evil.example")
        .form(&[("decision", "approve"), ("csrf", &csrf_of(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(r2.status(), 403);
    // an unknown token
    let (status, page, _) = http_get(&r.app, "/a/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").await;
    assert_eq!(status, 404);
    assert!(page.contains("此链接无效"), "{page}");
    // expired: it says so and links to the request
    r.app.count("SELECT COUNT(*) AS n FROM action_tokens").await;
    let db = &r.app.app.db;
    use entities::sea_orm::{ConnectionTrait, Statement};
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        "UPDATE action_tokens SET expires_at = 1".to_string(),
    ))
    .await
    .unwrap();
    let (status, page, _) = http_get(&r.app, &path).await;
    assert_eq!(status, 410);
    assert!(page.contains("此链接已于") && page.contains("过期") && page.contains(&id), "{page}");
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        "UPDATE action_tokens SET expires_at = 99999999999999".to_string(),
    ))
    .await
    .unwrap();
    // withdrawn: the task is gone and the link says why
    let president = r.app.token_for(dp::CS_SU_PRESIDENT).await;
    let (status, _) = r.app.post(&president, &format!("/api/v1/requests/{id}/withdraw"), json!({})).await;
    assert_eq!(status, 200);
    let (status, page, _) = http_get(&r.app, &path).await;
    assert_eq!(status, 200);
    assert!(page.contains("提交人已撤回该事项") && !page.contains("name=\"csrf\""), "{page}");
    r.app.stop().await;
}

#[tokio::test]
async fn replies_are_also_read_from_an_imap_mailbox() {
    let dovecot = liandong_tests::dovecot::start();
    let r = rig(
        Backend::Sqlite,
        "mailimap",
        vec![
            ("LIANDONG__INBOUND__SMTP_ENABLED".into(), "false".into()),
            ("LIANDONG__INBOUND__IMAP_ENABLED".into(), "true".into()),
            ("LIANDONG__INBOUND__IMAP_HOST".into(), "127.0.0.1".into()),
            ("LIANDONG__INBOUND__IMAP_PORT".into(), dovecot.port.to_string()),
            ("LIANDONG__INBOUND__IMAP_SECURITY".into(), "none".into()),
            ("LIANDONG__INBOUND__IMAP_USERNAME".into(), dovecot.user.clone()),
            ("LIANDONG__INBOUND__IMAP_PASSWORD".into(), dovecot.password.clone()),
            ("LIANDONG__INBOUND__IMAP_POLL_MS".into(), "200".into()),
        ],
    )
    .await;
    assert!(r.app.inbound.is_none(), "no listener: IMAP only");
    let league = "t0102@nanyue.edu.cn";
    let id = r.submit("report", "关于学生会改革的报告").await;
    let m = r.mail(league, "【待审批】", 0).await;
    let to = reply_address(&m);
    let raw = outlook_reply(league, &to, &subject(&m), "同意", &text(&m));
    dovecot.deliver(&dkim::sign(&raw, "nanyue.edu.cn", "sel"));
    r.wait_attempts("decided", 1).await;
    let events = r.events(&id).await;
    assert!(events.iter().any(|e| e["kind"]["type"] == "task_decided" && e["channel"] == "email_reply"));
    for _ in 0..100 {
        if dovecot.inbox_len() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(dovecot.inbox_len(), 0, "handled mail leaves the mailbox");
    r.app.stop().await;
}

#[tokio::test]
async fn the_request_page_after_a_mailed_login_and_a_decision_from_the_web() {
    let r = rig(Backend::Sqlite, "maillogin", vec![]).await;
    let league = "t0102@nanyue.edu.cn";
    let id = r.submit("report", "关于学生会改革的报告").await;
    let m = r.mail(league, "【待审批】", 0).await;
    // the mail's 查看详情 link asks who you are first
    let (status, page, _) = http_get(&r.app, &format!("/requests/{id}")).await;
    assert_eq!(status, 401);
    assert!(page.contains("登录联动") && page.contains("name=\"email\""), "{page}");
    assert!(text(&m).contains(&format!("http://liandong.test/requests/{id}")));
    // asking for a link: the same answer for a known and an unknown address
    let next = format!("/requests/{id}");
    let (status, known) = post_form(&r.app, "/login", None, &[("email", "T0102@nanyue.edu.cn"), ("next", &next)]).await;
    assert_eq!(status, 200);
    let (_, unknown) = post_form(&r.app, "/login", None, &[("email", "nobody@nanyue.edu.cn"), ("next", &next)]).await;
    assert_eq!(known, unknown, "nothing tells whether an address is known");
    let login = r.mail(league, "【登录】", 0).await;
    let t = text(&login);
    let path = t
        .split_whitespace()
        .filter_map(|w| w.find("http://liandong.test/login/").map(|i| &w[i..]))
        .next()
        .expect("a login link")
        .trim_start_matches("http://liandong.test")
        .to_string();
    // GET only shows a button; the POST logs in and goes back to the request
    let (status, page, _) = http_get(&r.app, &path).await;
    assert_eq!(status, 200);
    assert!(page.contains("郭远子"), "{page}");
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = no_redirect.post(format!("{}{path}", r.app.base)).send().await.unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], next.as_str());
    let session = resp.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    assert!(resp.headers()["set-cookie"].to_str().unwrap().contains("HttpOnly"));
    let again = no_redirect.post(format!("{}{path}", r.app.base)).send().await.unwrap();
    assert_eq!(again.status(), 410, "a login link works once");
    // the request page: the matter and the reviewer's own decision form
    let resp = no_redirect.get(format!("{}{next}", r.app.base)).header("cookie", &session).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let csrf_cookie = resp.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let page = resp.text().await.unwrap();
    assert!(
        page.contains("关于学生会改革的报告") && page.contains("办理中") && page.contains("value=\"approve\""),
        "{page}"
    );
    let form = [("decision", "approve"), ("comment", "网页上同意"), ("csrf", &csrf_of(&page))];
    let resp = no_redirect
        .post(format!("{}/requests/{id}/tasks/{}", r.app.base, 1))
        .header("cookie", &session)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403, "without the page's check cookie nothing is decided");
    let task = r.request(&id).await["open_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["assignee"] == dp::CS_LEAGUE_SECRETARY)
        .unwrap()["task"]
        .as_u64()
        .unwrap();
    let resp = no_redirect
        .post(format!("{}/requests/{id}/tasks/{task}", r.app.base))
        .header("cookie", format!("{session}; {csrf_cookie}"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let events = r.events(&id).await;
    let d = events.iter().find(|e| e["kind"]["type"] == "task_decided").unwrap();
    assert_eq!((d["channel"].as_str(), d["kind"]["comment"].as_str()), (Some("web"), Some("网页上同意")));
    // someone not on a need-to-know request's path does not see it
    let resp =
        no_redirect.get(format!("{}/requests/nope", r.app.base)).header("cookie", &session).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    r.app.stop().await;
}

// ---------------------------------------------------------------------------------------------------
// Reply-by-mail decides only for the reviewer, only for that task, only when a person wrote it.

/// A plain reply with the given extra header lines (each ending in CRLF) and body.
fn reply_with(from: &str, to: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: Re: task\r\nDate: Tue, 25 Nov 2026 10:00:00 +0800\r\n\
         Message-ID: <{}@mail.test>\r\n{extra}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\n{}\r\n",
        rand_id(),
        body.replace('\n', "\r\n"),
    )
    .into_bytes()
}

/// The logged mail actions, newest first (as the admin sees them).
async fn mail_actions(r: &Rig) -> Vec<Value> {
    let (status, list) = r.app.get(&r.app.admin_token, "/api/v1/mail-actions").await;
    assert_eq!(status, 200);
    list["items"].as_array().unwrap().clone()
}

/// Waits for a logged mail action whose reason starts with `reason`.
async fn wait_reason(r: &Rig, reason: &str) -> Value {
    for _ in 0..1200 {
        if let Some(a) =
            mail_actions(r).await.into_iter().find(|a| a["reason"].as_str().unwrap_or("").starts_with(reason))
        {
            return a;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no mail action `{reason}…`: {:?}", mail_actions(r).await);
}

fn message_id(m: &Received) -> String {
    parsed(m).message_id().expect("a Message-ID").to_string()
}

async fn a_forged_sender_line_decides_nothing(backend: Backend) {
    let r = rig(backend, "mailfromline", vec![]).await;
    let league = "t0102@nanyue.edu.cn";
    let id = r.submit("report", "关于学生会改革的报告").await;
    let m = r.mail(league, "【待审批】", 0).await;
    let to = reply_address(&m);
    // DKIM/DMARC-valid for evil.test, plus one header line naming the reviewer
    let evil = dkim::sign(&reply_with("mallory@evil.test", &to, "", "同意"), "evil.test", "sel");
    // (mail-parser reads the last From-like line, mail-auth only well-formed ones: added after
    // signing, at the end of the header section, the DKIM signature of evil.test still verifies)
    let evil = String::from_utf8(evil).unwrap();
    for extra in [format!(":From: <{league}>"), format!("From: <{league}>"), format!("From : <{league}>")] {
        let raw = evil.replacen("\r\n\r\n", &format!("\r\n{extra}\r\n\r\n"), 1);
        r.send_reply("mallory@evil.test", &to, raw.as_bytes()).await;
    }
    r.wait_attempts("refused", 3).await;
    let refused: Vec<Value> = mail_actions(&r).await;
    assert_eq!(refused.len(), 3, "{refused:?}");
    // newest first: `From : …`, a second `From:`, `:From: …`
    for a in &refused {
        assert_eq!(a["outcome"], "refused", "{a}");
        assert_eq!(a["person"], dp::CS_LEAGUE_SECRETARY, "{a}");
        assert!(a["sender"].as_str().unwrap().contains("mallory@evil.test"), "the log names the real sender: {a}");
    }
    assert_eq!(refused[2]["sender"], "mallory@evil.test", "the one From: DMARC reads: {:?}", refused[2]);
    assert!(refused[2]["reason"].as_str().unwrap().starts_with("malformed header"), "{:?}", refused[2]);
    assert!(refused[1]["reason"].as_str().unwrap().to_lowercase().contains("from"), "{:?}", refused[1]);
    assert!(refused[0]["reason"].as_str().unwrap().starts_with("malformed header"), "{:?}", refused[0]);
    let r2 = r.request(&id).await;
    assert_eq!(r2["status"], "running");
    assert!(r2["open_tasks"].as_array().unwrap().iter().any(|t| t["assignee"] == dp::CS_LEAGUE_SECRETARY));
    // the reviewer's own reply still decides
    reply_to_mail(&r, &m, "同意", false).await;
    r.wait_attempts("decided", 1).await;
    r.app.stop().await;
}

#[tokio::test]
async fn a_forged_sender_line_decides_nothing_on_sqlite() {
    a_forged_sender_line_decides_nothing(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_forged_sender_line_decides_nothing_on_postgres() {
    a_forged_sender_line_decides_nothing(Backend::Postgres).await;
}

async fn a_reply_decides_only_its_own_task(backend: Backend) {
    let r = rig(backend, "mailbinding", vec![]).await;
    let league = "t0102@nanyue.edu.cn";
    let a = r.submit("report", "报告甲").await;
    let b = r.submit("report", "报告乙").await;
    let (ma, mb) = (r.mail(league, "【待审批】", 0).await, r.mail(league, "【待审批】", 1).await);
    let (ma, mb) = if subject(&ma).contains("报告甲") { (ma, mb) } else { (mb, ma) };
    let (to_a, to_b) = (reply_address(&ma), reply_address(&mb));
    // the genuine signed reply for A, re-sent with B's reply address as the envelope recipient
    let for_a = reply_with(league, &to_a, &format!("In-Reply-To: <{}>\r\n", message_id(&ma)), "驳回");
    let for_a = dkim::sign(&for_a, "nanyue.edu.cn", "sel");
    r.send_reply(league, &to_b, &for_a).await;
    let refused = wait_reason(&r, "not bound to this task").await;
    assert_eq!(refused["request"], b.as_str());
    // a reply whose only tie is an unsigned In-Reply-To naming B's mail: still not bound
    let loose =
        reply_with(league, "liandong@nanyue.edu.cn", &format!("In-Reply-To: <{}>\r\n", message_id(&mb)), "驳回");
    r.send_reply(league, &to_b, &dkim::sign_headers(&loose, "nanyue.edu.cn", "sel", &["From", "Subject", "Date"]))
        .await;
    r.wait_attempts("refused", 2).await;
    assert_eq!(r.request(&b).await["status"], "running", "B is not decided by A's reply");
    assert_eq!(r.events(&b).await.iter().filter(|e| e["kind"]["type"] == "task_decided").count(), 0);
    // a reply to B's mail (signed References naming it) decides B even without the address in To:
    let refs = format!("References: <x@elsewhere.test> <{}>\r\n", message_id(&mb));
    let for_b = dkim::sign(&reply_with(league, "liandong@nanyue.edu.cn", &refs, "同意"), "nanyue.edu.cn", "sel");
    r.send_reply(league, &to_b, &for_b).await;
    r.wait_attempts("decided", 1).await;
    let decided = r.events(&b).await;
    assert!(decided.iter().any(|e| e["kind"]["type"] == "task_decided" && e["kind"]["decision"] == "approve"));
    // and A's reply to its own address decides A
    r.send_reply(league, &to_a, &for_a).await;
    r.wait_status(&a, "rejected").await;
    r.app.stop().await;
}

#[tokio::test]
async fn a_reply_decides_only_its_own_task_on_sqlite() {
    a_reply_decides_only_its_own_task(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_reply_decides_only_its_own_task_on_postgres() {
    a_reply_decides_only_its_own_task(Backend::Postgres).await;
}

async fn machines_never_decide(backend: Backend) {
    let r = rig(backend, "mailauto", vec![]).await;
    let league = "t0102@nanyue.edu.cn";
    let id = r.submit("report", "关于学生会改革的报告").await;
    let m = r.mail(league, "【待审批】", 0).await;
    let to = reply_address(&m);
    let marks = [
        ("Auto-Submitted: auto-replied\r\n", "Auto-Submitted"),
        ("X-Autoreply: yes\r\n", "X-Autoreply"),
        ("X-Autorespond: yes\r\n", "X-Autorespond"),
        ("Precedence: bulk\r\n", "Precedence"),
        ("Precedence: auto_reply\r\n", "Precedence"),
        ("Precedence: junk\r\n", "Precedence"),
        ("Precedence: list\r\n", "Precedence"),
    ];
    for (header, _) in marks {
        // an out-of-office reply that starts with 同意, and one that says nothing clear
        for body in ["同意\n我正在休假，12月1日返回后处理。", "我正在休假，12月1日返回后处理。"]
        {
            let raw = dkim::sign(&reply_with(league, &to, header, body), "nanyue.edu.cn", "sel");
            r.send_reply(league, &to, &raw).await;
        }
    }
    // the null reverse path, as the receiving MTA records it
    let mut raw = b"Return-Path: <>\r\n".to_vec();
    raw.extend_from_slice(&dkim::sign(&reply_with(league, &to, "", "同意"), "nanyue.edu.cn", "sel"));
    r.send_reply(league, &to, &raw).await;
    // the same through the real listener: the null envelope sender, no Return-Path of its own
    let raw = dkim::sign(&reply_with(league, &to, "", "同意"), "nanyue.edu.cn", "sel");
    r.send_from_null_sender(&to, &raw).await;
    let n = marks.len() as i64 * 2 + 2;
    r.wait_attempts("refused", n).await;
    let logged = mail_actions(&r).await;
    for (_, mark) in marks.iter().chain([("", "Return-Path <>")].iter()) {
        let reason = format!("automatic mail ({mark})");
        assert!(logged.iter().any(|a| a["reason"] == reason.as_str() && a["sender"] == league), "{reason}: {logged:?}");
    }
    let null_path = logged.iter().filter(|a| a["reason"] == "automatic mail (Return-Path <>)").count();
    assert_eq!(null_path, 2, "the recorded and the real null sender: {logged:?}");
    assert_eq!(r.attempts("unclear").await, 0);
    assert_eq!(r.request(&id).await["status"], "running");
    assert_eq!(r.events(&id).await.iter().filter(|e| e["kind"]["type"] == "task_decided").count(), 0);
    // a person's reply still decides; no 【未能识别】 went to anyone
    reply_to_mail(&r, &m, "同意", false).await;
    r.wait_attempts("decided", 1).await;
    r.mail(league, "【已办理】", 0).await;
    r.app.wait_for_delivery_jobs().await;
    assert!(!r.sink.received.lock().unwrap().iter().any(|m| subject(m).starts_with("【未能识别】")));
    r.app.stop().await;
}

#[tokio::test]
async fn machines_never_decide_on_sqlite() {
    machines_never_decide(Backend::Sqlite).await;
}

#[tokio::test]
async fn machines_never_decide_on_postgres() {
    machines_never_decide(Backend::Postgres).await;
}

async fn common_phrasings_and_one_answer_per_token(backend: Backend) {
    let r = rig(backend, "mailphrases", vec![]).await;
    let league = "t0102@nanyue.edu.cn";
    let a = r.submit("report", "报告甲").await;
    let ma = r.mail(league, "【待审批】", 0).await;
    // still unclear, twice: one answer
    reply_to_mail(&r, &ma, "Reject? not sure", false).await;
    reply_to_mail(&r, &ma, "我再看看", true).await;
    r.wait_attempts("unclear", 2).await;
    r.mail(league, "【未能识别】", 0).await;
    // a space before the dash
    reply_to_mail(&r, &ma, "Reject - over budget", false).await;
    r.wait_status(&a, "rejected").await;
    let d = r.events(&a).await.into_iter().find(|e| e["kind"]["type"] == "task_decided").unwrap();
    assert_eq!((d["kind"]["decision"].as_str(), d["kind"]["comment"].as_str()), (Some("reject"), Some("over budget")));
    r.app.wait_for_delivery_jobs().await;
    let answers = r.sink.received.lock().unwrap().iter().filter(|m| subject(m).starts_with("【未能识别】")).count();
    assert_eq!(answers, 1, "one 【未能识别】 per reply address, not per mail");
    // an inflection, and a text-only signature that stays out of the comment
    let b = r.submit("report", "报告乙").await;
    let mb = r.mail(league, "【待审批】", 1).await;
    reply_to_mail(&r, &mb, "Approved.\n张三\n计算机学院团委\n13800138000\nt0102@nanyue.edu.cn", true).await;
    r.wait_attempts("decided", 2).await;
    let d = r.events(&b).await.into_iter().find(|e| e["kind"]["type"] == "task_decided").unwrap();
    assert_eq!(d["kind"]["decision"], "approve");
    assert!(d["kind"]["comment"].is_null(), "the signature is no comment: {d}");
    r.app.stop().await;
}

#[tokio::test]
async fn common_phrasings_and_one_answer_per_token_on_sqlite() {
    common_phrasings_and_one_answer_per_token(Backend::Sqlite).await;
}

#[tokio::test]
async fn common_phrasings_and_one_answer_per_token_on_postgres() {
    common_phrasings_and_one_answer_per_token(Backend::Postgres).await;
}
