//! The pages in a real browser (headless Chromium through chromedriver), and what the pages
//! promise a browser: POSTs from our own origin only, every mail's links lead to a page, no
//! content sniffing, login asks limited, `next` kept on our site, dead links saying no more
//! than what became of the reviewer's own task.

use liandong_tests::browser::{Browser, DESKTOP, PHONE};
use liandong_tests::{Backend, TestApp, spawn, spawn_with};
use serde_json::{Value, json};
use std::time::Duration;
use workflows::org::generate::demo_people as dp;

const LEAGUE: &str = "t0102@nanyue.edu.cn";

fn shots() -> &'static str {
    env!("CARGO_TARGET_TMPDIR")
}

/// The president submits a report; the League secretary gets a 【待审批】 task mail.
async fn submit(app: &TestApp, title: &str) -> String {
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let form = json!({ "kind": "report", "matter_type": "reform_progress", "title": title, "body": "本学期调整了工作部门设置。" });
    app.submit(&president, "major_matter_report", form).await["id"].as_str().unwrap().to_string()
}

/// (recipient, subject, text part, HTML part) of a mail from the memory transport.
fn read(m: &lettre::Message) -> (String, String, String, String) {
    let raw = m.formatted();
    let p = mail_parser::MessageParser::default().parse(&raw).expect("a mail");
    let to = m.envelope().to().first().map(|a| a.to_string()).unwrap_or_default();
    (
        to,
        p.subject().unwrap_or_default().to_string(),
        p.body_text(0).unwrap_or_default().to_string(),
        p.body_html(0).unwrap_or_default().to_string(),
    )
}

/// Waits for the `nth` mail to `to` whose subject starts with `tag`; its text part.
async fn mail_text(app: &TestApp, to: &str, tag: &str, nth: usize) -> String {
    let pick = |sent: &[lettre::Message]| -> Vec<String> {
        sent.iter().map(read).filter(|(t, s, _, _)| t == to && s.starts_with(tag)).map(|(_, _, t, _)| t).collect()
    };
    let sent = app.wait_for_mail(|s| pick(s).len() > nth).await;
    pick(&sent).swap_remove(nth)
}

/// Every `http…` URL in `text` (mail text parts and `href`s of HTML parts).
fn urls(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("http") {
        let url: String = text[i..].chars().take_while(|c| !c.is_whitespace() && !"\"'<>）)".contains(*c)).collect();
        if url.starts_with("http://") || url.starts_with("https://") {
            out.push(url.replace("&amp;", "&"));
        }
    }
    out
}

/// The mail's link starting with `prefix` (e.g. `{base}/a/`) and ending with `suffix`.
fn link(text: &str, prefix: &str, suffix: &str) -> String {
    urls(text)
        .into_iter()
        .find(|u| u.starts_with(prefix) && u.ends_with(suffix))
        .unwrap_or_else(|| panic!("no link {prefix}…{suffix} in:\n{text}"))
}

async fn events(app: &TestApp, id: &str) -> Vec<Value> {
    app.get(&app.admin_token, &format!("/api/v1/requests/{id}/events")).await.1.as_array().unwrap().clone()
}

/// The channel of the decision by `person`.
async fn channel_of_decision(app: &TestApp, id: &str, person: &str) -> Option<String> {
    events(app, id)
        .await
        .iter()
        .find(|e| e["kind"]["type"] == "task_decided" && e["actor"]["id"] == person)
        .and_then(|e| e["channel"].as_str().map(String::from))
}

async fn a_task_mail_link_decides_in_chromium(backend: Backend, name: &str) {
    let app = spawn(backend, name).await;
    let browser = Browser::start(shots()).await;
    let id = submit(&app, "关于学生会改革推进情况的报告").await;
    let mail = mail_text(&app, LEAGUE, "【待审批】", 0).await;
    let approve = link(&mail, &format!("{}/a/", app.base), "?do=approve");
    let w = browser.open(&format!("{name}-{backend:?}-link-phone"), PHONE).await;
    w.goto(&approve).await;
    let page = w.wait_for_text("办理事项").await;
    assert_eq!(w.viewport_width().await, PHONE.0, "the page is laid out for the phone's width");
    assert!(page.contains("关于学生会改革推进情况的报告") && page.contains("同意"), "{page}");
    assert!(!w.overflows_sideways().await, "the link page fits a 360 px phone");
    w.shot("1-form").await;
    w.type_into("#comment", "同意，请按计划推进。").await;
    w.click("button[value=approve]").await;
    let done = w.wait_for_text("已办理").await;
    assert!(done.contains("您已办理：同意"), "{done}");
    assert!(!w.overflows_sideways().await);
    w.shot("2-done").await;
    assert_eq!(channel_of_decision(&app, &id, dp::CS_LEAGUE_SECRETARY).await.as_deref(), Some("email_link"));
    // the same link again: what became of the task, not a second decision
    w.goto(&approve).await;
    let spent = w.wait_for_text("链接已失效").await;
    assert!(spent.contains("同意"), "{spent}");
    w.shot("3-spent").await;
    w.close().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_mail_link_decides_in_chromium_on_sqlite() {
    a_task_mail_link_decides_in_chromium(Backend::Sqlite, "br_link").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_mail_link_decides_in_chromium_on_postgres() {
    a_task_mail_link_decides_in_chromium(Backend::Postgres, "br_link").await;
}

async fn a_mailed_login_then_a_decision_on_the_request_page(backend: Backend, name: &str) {
    let app = spawn(backend, name).await;
    let browser = Browser::start(shots()).await;
    let id = submit(&app, "关于学生会改革的报告").await;
    let task_mail = mail_text(&app, LEAGUE, "【待审批】", 0).await;
    let details = link(&task_mail, &format!("{}/requests/", app.base), &id);
    // the reviewer at a desktop decides; the submitter on a phone looks the request up
    let president = format!("{}@stu.nanyue.edu.cn", dp::CS_SU_PRESIDENT);
    for (size, label, email) in [(DESKTOP, "desktop", LEAGUE), (PHONE, "phone", president.as_str())] {
        let w = browser.open(&format!("{name}-{backend:?}-login-{label}"), size).await;
        // the mail's 查看详情 link: who are you?
        w.goto(&details).await;
        w.wait_for_text("登录联动").await;
        assert_eq!(w.viewport_width().await, size.0, "the page is laid out for the window's width");
        assert!(!w.overflows_sideways().await);
        w.shot("1-login").await;
        w.type_into("#email", &email.to_uppercase()).await;
        w.click("button").await;
        w.wait_for_text("请查收邮件").await;
        w.shot("2-asked").await;
        let login_mail = mail_text(&app, email, "【登录】", 0).await;
        w.goto(&link(&login_mail, &format!("{}/login/", app.base), "")).await;
        w.wait_for_text("点击下面的按钮完成登录").await;
        w.shot("3-login-link").await;
        w.click("button").await;
        let page = w.wait_for_text("关于学生会改革的报告").await;
        assert_eq!(w.path().await, format!("/requests/{id}"), "the login goes back to the request");
        assert!(!w.overflows_sideways().await);
        w.shot("4-request").await;
        if email == LEAGUE {
            assert!(page.contains("同意"), "the reviewer's decision form: {page}");
            w.type_into("#comment", "网页上同意").await;
            w.click("button[value=approve]").await;
            w.wait_for_text("网页上同意").await;
            w.shot("5-decided").await;
            assert_eq!(channel_of_decision(&app, &id, dp::CS_LEAGUE_SECRETARY).await.as_deref(), Some("web"));
        } else {
            assert!(page.contains("办理中"), "{page}");
            let buttons = w.eval("return document.querySelectorAll('button[name=decision]').length").await;
            assert_eq!(buttons, json!(0), "no decision form for the submitter: {page}");
            assert!(page.contains("网页上同意"), "the reviewer's decision in the history: {page}");
        }
        // the start page: something useful, linking back to the request
        w.goto(&format!("{}/", app.base)).await;
        let home = w.wait_for_text("我的联动").await;
        assert!(home.contains("待我办理") && home.contains("我提交的事项"), "{home}");
        assert!(!w.overflows_sideways().await);
        w.shot("6-home").await;
        if email != LEAGUE {
            assert!(home.contains("关于学生会改革的报告"), "the submitter's own request: {home}");
            w.click("ul.links a").await;
            w.wait_for_text("网页上同意").await;
            assert_eq!(w.path().await, format!("/requests/{id}"));
        }
        w.close().await;
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mailed_login_then_a_decision_on_the_request_page_on_sqlite() {
    a_mailed_login_then_a_decision_on_the_request_page(Backend::Sqlite, "br_login").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mailed_login_then_a_decision_on_the_request_page_on_postgres() {
    a_mailed_login_then_a_decision_on_the_request_page(Backend::Postgres, "br_login").await;
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The CSRF value in a page's form.
fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + "name=\"csrf\" value=\"".len();
    page[at..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn a_post_from_another_origin_is_refused_even_with_the_check_value() {
    let app = spawn(Backend::Sqlite, "br_origin").await;
    let id = submit(&app, "跨站提交").await;
    let mail = mail_text(&app, LEAGUE, "【待审批】", 0).await;
    let path = link(&mail, &format!("{}/a/", app.base), "?do=approve").trim_start_matches(&app.base).to_string();
    let path = path.split('?').next().unwrap().to_string();
    let http = no_redirects();
    let r = http.get(format!("{}{path}", app.base)).send().await.unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let form = [("decision", "approve"), ("csrf", &csrf_of(&r.text().await.unwrap()))];
    let post = |h: &[(&str, &str)]| {
        let mut b = http.post(format!("{}{path}", app.base)).header("cookie", &cookie).form(&form);
        for (k, v) in h {
            b = b.header(*k, *v);
        }
        b.send()
    };
    for headers in [
        vec![("origin", "http://evil.test")],
        vec![("origin", "null")],
        // the Host is the sender's to choose: never what the origin is compared with
        vec![("origin", "http://evil.test"), ("host", "evil.test")],
        vec![("referer", "http://evil.test/page")],
        vec![("referer", &format!("{}.evil.test/", app.base))],
    ] {
        let r = post(&headers).await.unwrap();
        assert_eq!(r.status(), 403, "{headers:?}");
        assert!(r.text().await.unwrap().contains("请从邮件中的链接重新打开"));
    }
    assert_eq!(channel_of_decision(&app, &id, dp::CS_LEAGUE_SECRETARY).await, None, "nothing was decided");
    // the login link's POST and the request page's decisions check the same
    let r =
        http.post(format!("{}/login/anything", app.base)).header("origin", "http://evil.test").send().await.unwrap();
    assert_eq!(r.status(), 403);
    // from our own origin it goes through
    let r = post(&[("origin", &app.base)]).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(channel_of_decision(&app, &id, dp::CS_LEAGUE_SECRETARY).await.as_deref(), Some("email_link"));
    app.stop().await;
}

#[tokio::test]
async fn the_pages_send_the_referrer_only_to_our_own_origin() {
    let app = spawn(Backend::Sqlite, "br_referrer").await;
    let r = reqwest::get(format!("{}/login", app.base)).await.unwrap();
    assert_eq!(r.headers()["referrer-policy"], "same-origin");
    let page = r.text().await.unwrap();
    assert!(page.contains("<meta name=\"referrer\" content=\"same-origin\">"), "{page}");
    assert!(!page.contains("no-referrer"), "no-referrer makes browsers send `Origin: null`");
    app.stop().await;
}

/// The `next` kept in a login form.
fn next_of(page: &str) -> String {
    let at = page.find("name=\"next\" value=\"").expect("a `next` field") + "name=\"next\" value=\"".len();
    page[at..].split('"').next().unwrap().replace("&#x2f;", "/")
}

/// Asserts that `url` opens a page: HTML, not a 404 or a JSON problem.
async fn opens_a_page(http: &reqwest::Client, url: &str) {
    let r = http.get(url).send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = r.status().as_u16();
    let kind = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let body = r.text().await.unwrap_or_default();
    assert!(status != 404 && status < 500, "{url} answers {status}: {body}");
    assert!(kind.starts_with("text/html"), "{url} answers {kind}: {body}");
    assert!(body.contains("<html"), "{url}: {body}");
}

#[tokio::test]
async fn every_link_in_every_mail_opens_a_page() {
    let app = spawn(Backend::Sqlite, "br_mail_links").await;
    let id = submit(&app, "链接检查").await;
    // a task mail, the decision's confirmation, a login mail and the periodic duties' mails
    let task = mail_text(&app, LEAGUE, "【待审批】", 0).await;
    let approve = link(&task, &format!("{}/a/", app.base), "?do=approve");
    let http = reqwest::Client::new();
    let page = http.get(&approve).send().await.unwrap();
    let cookie = page.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let form = [("decision", "approve"), ("csrf", &csrf_of(&page.text().await.unwrap()))];
    let action = approve.split('?').next().unwrap();
    let r = http.post(action).header("cookie", cookie).header("origin", &app.base).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = http.post(format!("{}/login", app.base)).form(&[("email", LEAGUE)]).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let day = chrono::NaiveDate::from_ymd_opt(2025, 11, 24).unwrap();
    let duties = daemon::jobs::duties::on(&app.app, day).await.unwrap();
    assert!(duties > 0);
    let sent = app
        .wait_for_mail(|s| {
            let subjects: Vec<String> = s.iter().map(|m| read(m).1).collect();
            ["【待审批】", "【已办理】", "【登录】", "【提醒】"]
                .iter()
                .all(|tag| subjects.iter().any(|s| s.starts_with(tag)))
        })
        .await;
    let mut seen = std::collections::BTreeSet::new();
    for m in &sent {
        let (_, subject, text, html) = read(m);
        let found: Vec<String> = urls(&text).into_iter().chain(urls(&html)).collect();
        assert!(!found.is_empty(), "{subject} has a link");
        for u in found {
            assert!(u.starts_with(&app.base), "{subject}: {u} is not ours");
            // a link once per kind of mail and target
            let kind = (subject.chars().take(4).collect::<String>(), u.split('?').next().unwrap().to_string());
            if seen.insert(kind) {
                opens_a_page(&http, &u).await;
            }
        }
    }
    // the request's own link too, after the decision
    opens_a_page(&http, &format!("{}/requests/{id}", app.base)).await;
    app.stop().await;
}

#[tokio::test]
async fn the_start_page_sends_strangers_to_the_login_page() {
    let app = spawn(Backend::Postgres, "br_home").await;
    let r = no_redirects().get(format!("{}/", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?next=/");
    let r = reqwest::get(format!("{}/", app.base)).await.unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("登录联动") && next_of(&page) == "/", "{page}");
    app.stop().await;
}

#[tokio::test]
async fn nosniff_on_every_response() {
    let app = spawn(Backend::Sqlite, "br_nosniff").await;
    let http = reqwest::Client::new();
    for (path, status) in [
        ("/api/v1/requests", 401), // an API problem
        ("/healthz", 200),         // an API answer
        ("/login", 200),           // a page
        ("/a/nonsense", 404),      // a page's 404
        ("/no/such/route", 404),   // the fallback
    ] {
        let r = http.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(r.status(), status, "{path}");
        assert_eq!(r.headers().get("x-content-type-options").map(|v| v.to_str().unwrap()), Some("nosniff"), "{path}");
    }
    let r = http
        .post(format!("{}/api/v1/requests", app.base))
        .bearer_auth(&app.admin_token)
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-content-type-options"], "nosniff", "a refused body");
    app.stop().await;
}

#[tokio::test]
async fn asking_for_login_links_is_limited_per_client_and_in_all() {
    let app = spawn_with(
        Backend::Sqlite,
        "br_login_limit",
        vec![
            ("LIANDONG__SERVER__LOGIN_ASKS_PER_CLIENT".into(), "3".into()),
            ("LIANDONG__SERVER__LOGIN_ASKS_TOTAL".into(), "5".into()),
        ],
    )
    .await;
    let from =
        |ip: &str| reqwest::Client::builder().local_address(ip.parse::<std::net::IpAddr>().unwrap()).build().unwrap();
    let ask = |c: reqwest::Client, email: &'static str| {
        let url = format!("{}/login", app.base);
        async move { c.post(url).form(&[("email", email)]).send().await.unwrap() }
    };
    let one = from("127.0.0.1");
    for _ in 0..3 {
        assert_eq!(ask(one.clone(), "nobody@nanyue.edu.cn").await.status(), 200);
    }
    let r = ask(one.clone(), LEAGUE).await;
    assert_eq!(r.status(), 429, "the fourth ask of one client within the hour");
    assert!(r.headers().contains_key("retry-after"));
    assert!(r.text().await.unwrap().contains("登录链接请求过于频繁"));
    // another client still may, until everyone together reached the limit
    let two = from("127.0.0.2");
    assert_eq!(ask(two.clone(), "nobody@nanyue.edu.cn").await.status(), 200);
    assert_eq!(ask(two, "nobody@nanyue.edu.cn").await.status(), 200);
    assert_eq!(ask(from("127.0.0.3"), LEAGUE).await.status(), 429, "the global limit");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM outbox WHERE template LIKE 'login:%'").await,
        0,
        "no mail for a refused ask"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_login_answer_does_not_tell_whether_an_address_is_known() {
    let app = spawn(Backend::Sqlite, "br_login_same").await;
    // the League secretary reads English: the answer must not switch language for a known address
    let yaml = app.org_yaml().await;
    let line = yaml.lines().find(|l| l.contains(&format!("email: {LEAGUE}"))).expect("the secretary").to_string();
    let indent = &line[..line.len() - line.trim_start().len()];
    let english = if line.contains('{') {
        line.replacen(&format!("email: {LEAGUE}"), &format!("email: {LEAGUE}, lang: en"), 1)
    } else {
        format!("{line}\n{indent}lang: en")
    };
    let yaml = yaml.replacen(&line, &english, 1);
    let r =
        app.http.put(format!("{}/api/v1/org", app.base)).bearer_auth(&app.admin_token).body(yaml).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let ask = |email: &'static str, lang: &'static str| {
        let url = format!("{}/login", app.base);
        let http = app.http.clone();
        async move {
            let r = http
                .post(url)
                .header("accept-language", lang)
                .form(&[("email", email), ("next", "/")])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    for lang in ["zh-CN,zh;q=0.9", "en-GB,en;q=0.8"] {
        let known = ask("t0102@nanyue.edu.cn", lang).await;
        let unknown = ask("nobody@nanyue.edu.cn", lang).await;
        assert_eq!(known, unknown, "{lang}: the same answer for a known and an unknown address");
        assert!(known.1.contains("请查收邮件"), "{}", known.1);
    }
    // the known address still gets its link, in its own language
    let sent = app.wait_for_mail(|s| s.iter().any(|m| read(m).0 == LEAGUE)).await;
    assert!(sent.iter().map(read).any(|(to, s, _, _)| to == LEAGUE && !s.contains("登录")), "an English login mail");
    app.stop().await;
}

#[tokio::test]
async fn after_a_login_only_our_own_paths_are_followed() {
    let app = spawn(Backend::Sqlite, "br_next").await;
    for next in ["//evil.test", "/\\evil.test", "/\r\n/evil.test", "/\t/evil.test", "https://evil.test", "/a//b"] {
        // the login form keeps only a safe `next`…
        let r = app.http.get(format!("{}/login", app.base)).query(&[("next", next)]).send().await.unwrap();
        let page = r.text().await.unwrap();
        assert!(next_of(&page) == "/", "{next:?}: {page}");
    }
    // …and so does the link mailed for it (a tab or line break inside is dropped by browsers)
    let r = app
        .http
        .post(format!("{}/login", app.base))
        .form(&[("email", LEAGUE), ("next", "/\t/evil.test")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mail = mail_text(&app, LEAGUE, "【登录】", 0).await;
    let login = link(&mail, &format!("{}/login/", app.base), "");
    let r = no_redirects().post(&login).header("origin", &app.base).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/");
    app.stop().await;
}

#[tokio::test]
async fn a_spent_link_shows_what_became_of_its_task_not_the_later_history() {
    let app = spawn(Backend::Postgres, "br_spent").await;
    let id = submit(&app, "办理记录的边界").await;
    let mail = mail_text(&app, LEAGUE, "【待审批】", 0).await;
    let approve = link(&mail, &format!("{}/a/", app.base), "?do=approve");
    // the secretary decides by the link
    let http = reqwest::Client::new();
    let page = http.get(&approve).send().await.unwrap();
    let cookie = page.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let form = [("decision", "approve"), ("comment", "我的意见"), ("csrf", &csrf_of(&page.text().await.unwrap()))];
    let r = http
        .post(approve.split('?').next().unwrap())
        .header("cookie", cookie)
        .header("origin", &app.base)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // later, another reviewer decides with a comment of their own
    let open =
        app.get(&app.admin_token, &format!("/api/v1/requests/{id}")).await.1["open_tasks"].as_array().unwrap().clone();
    assert!(!open.is_empty(), "others still have tasks");
    if let Some(t) = open.first() {
        let person = t["assignee"].as_str().unwrap();
        let token = app.token_for(person).await;
        let (path, body) = if t["kind"] == "acknowledge" {
            ("acknowledge", json!({ "comment": "后来者的机密意见" }))
        } else {
            ("decision", json!({ "decision": "approve", "comment": "后来者的机密意见" }))
        };
        let (status, r) = app.post(&token, &format!("/api/v1/requests/{id}/tasks/{}/{path}", t["task"]), body).await;
        assert!(status < 300, "{r}");
    }
    assert!(events(&app, &id).await.iter().any(|e| e["kind"]["comment"] == "后来者的机密意见"));
    let r = http.get(&approve).send().await.unwrap();
    let page = r.text().await.unwrap();
    assert!(page.contains("链接已失效") && page.contains("我的意见"), "what became of the own task: {page}");
    assert!(page.contains("办理记录的边界"), "which matter it was: {page}");
    assert!(!page.contains("后来者的机密意见"), "not the later history: {page}");
    assert!(!page.contains("办结") && !page.contains("本学期调整了工作部门设置"), "nor the form or outcome: {page}");
    app.stop().await;
}

#[tokio::test]
async fn an_expired_link_says_so_without_the_later_history() {
    let app = spawn(Backend::Sqlite, "br_expired").await;
    let id = submit(&app, "过期链接的边界").await;
    let mail = mail_text(&app, LEAGUE, "【待审批】", 0).await;
    let approve = link(&mail, &format!("{}/a/", app.base), "?do=approve");
    // later, the submitter comments; then the link's days run out
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let (status, r) =
        app.post(&president, &format!("/api/v1/requests/{id}/comments"), json!({ "text": "后来补充的机密说明" })).await;
    assert!(status < 300, "{r}");
    let db = &app.app.db;
    use entities::sea_orm::{ConnectionTrait, Statement};
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        "UPDATE action_tokens SET expires_at = 1".to_string(),
    ))
    .await
    .unwrap();
    let r = reqwest::get(&approve).await.unwrap();
    assert_eq!(r.status(), 410);
    let page = r.text().await.unwrap();
    assert!(page.contains("链接已过期") && page.contains("过期链接的边界"), "{page}");
    assert!(page.replace("&#x2f;", "/").contains(&format!("/requests/{id}")), "a link to the request: {page}");
    assert!(!page.contains("后来补充的机密说明") && !page.contains("本学期调整了工作部门设置"), "{page}");
    app.stop().await;
}

/// Approves every open task of `step` of request `id` through the API.
async fn pass_step(app: &TestApp, id: &str, step: &str) {
    loop {
        let req = app.request(id).await;
        let Some(t) = req["open_tasks"].as_array().unwrap().iter().find(|t| t["step"] == step).cloned() else {
            return;
        };
        let token = app.token_for(t["assignee"].as_str().unwrap()).await;
        let path = format!("/api/v1/requests/{id}/tasks/{}/decision", t["task"]);
        let (status, body) = app.post(&token, &path, json!({ "decision": "approve" })).await;
        assert_eq!(status, 200, "{step}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_classify_form_on_a_phone_asks_for_the_offices() {
    use liandong_tests::browser::thirtyfour::prelude::By;
    use workflows::org::Directory as _;
    let app = spawn(Backend::Sqlite, "classifyphone").await;
    let browser = Browser::start(shots()).await;
    let org = workflows::org::generate::demo_directory();
    let day = chrono::Local::now().date_naive();
    let delegate = org.holders("student_congress", &[workflows::catalog::Role::Delegate], day)[0].person.clone();
    let token = app.token_for(&delegate).await;
    let form = json!({ "title": "关于延长图书馆开放时间的提案", "area": "study", "body": "……" });
    let id = app.submit(&token, "proposal_handling", form).await["id"].as_str().unwrap().to_string();
    pass_step(&app, &id, "department_review").await;
    pass_step(&app, &id, "committee_review").await;
    // The rights division head's task mail leads to the classify form.
    let head = org.person(dp::RIGHTS_DIVISION_HEAD).unwrap().email.clone();
    let mail = mail_text(&app, &head, "【待审批】", 0).await;
    let approve = link(&mail, &format!("{}/a/", app.base), "?do=approve");
    let w = browser.open("classify-phone", PHONE).await;
    w.goto(&approve).await;
    let page = w.wait_for_text("主办部门").await;
    assert!(page.contains("协办部门") && page.contains("校学生会分类交办"), "{page}");
    assert!(!w.overflows_sideways().await, "the decision form fits a 360 px phone");
    w.shot("1-classify-form").await;
    // Approving without a lead office: the browser keeps the form (the field is required).
    w.click("button[value=approve]").await;
    assert!(w.text().await.contains("主办部门"));
    let option = w.driver.find(By::Css("#f-lead_office option[value=library]")).await.expect("the library is a choice");
    option.click().await.unwrap();
    w.click("button[value=approve]").await;
    let done = w.wait_for_text("已办理").await;
    assert!(done.contains("您已办理：同意"), "{done}");
    w.shot("2-done").await;
    let req = app.request(&id).await;
    assert_eq!(req["form"]["lead_office"], "library", "{req}");
    assert!(req["open_tasks"].as_array().unwrap().iter().any(|t| t["step"] == "lead_reply"), "{req}");
    w.close().await;
    app.stop().await;
}

/// Logs `email` in through the login page and the mailed link, starting from `url` (a page that
/// asks who you are); waits until the page after the login shows `shows`.
async fn log_in(w: &liandong_tests::browser::Window, app: &TestApp, url: &str, email: &str, shows: &str) -> String {
    w.goto(url).await;
    w.wait_for_text("登录联动").await;
    w.type_into("#email", email).await;
    w.click("button").await;
    w.wait_for_text("请查收邮件").await;
    let login_mail = mail_text(app, email, "【登录】", 0).await;
    w.goto(&link(&login_mail, &format!("{}/login/", app.base), "")).await;
    w.wait_for_text("点击下面的按钮完成登录").await;
    w.click("button").await;
    w.wait_for_text(shows).await
}

/// M1 incidents: the submitter (at a desktop) and the department SU president (on a phone) add
/// follow-up reports (续报) from the request page; each is on the page's history and on the
/// timeline, and the form fits the window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_report_is_added_on_the_request_page() {
    let app = spawn(Backend::Sqlite, "br_follow_up").await;
    let browser = Browser::start(shots()).await;
    let submitter = dp::CS_SU_VICE_PRESIDENT;
    let token = app.token_for(submitter).await;
    let occurred = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).to_rfc3339();
    let form = json!({ "incident_type": "emergency_incident", "title": "宿舍楼停电突发事件首报",
                       "occurred_at": occurred, "body": "今晚宿舍楼突发停电，已联系后勤。" });
    let id = app.submit(&token, "incident_report", form).await["id"].as_str().unwrap().to_string();
    let page_url = format!("{}/requests/{id}", app.base);
    // the submitter at a desktop; the department SU president (whom `follow_ups.who` names) on
    // a phone
    let president = format!("{}@stu.nanyue.edu.cn", dp::CS_SU_PRESIDENT);
    let submitter_email = format!("{submitter}@stu.nanyue.edu.cn");
    for (size, label, email, text) in [
        (DESKTOP, "desktop", submitter_email.as_str(), "供电已恢复一半，后勤正在排查线路。"),
        (PHONE, "phone", president.as_str(), "供电已全部恢复。"),
    ] {
        let w = browser.open(&format!("br_follow_up-{label}"), size).await;
        let page = log_in(&w, &app, &page_url, email, "宿舍楼停电突发事件首报").await;
        assert!(page.contains("续报内容"), "the follow-up form for {email}: {page}");
        assert!(!w.overflows_sideways().await, "{label}");
        w.shot("1-form").await;
        w.type_into("#follow_up_text", text).await;
        // (the page has the submitter's own written-report task above it: not that form's button)
        w.click("form[action$='/follow-ups'] button").await;
        let after = w.wait_for_text(text).await;
        assert!(after.contains("续报："), "the follow-up in the page's history: {after}");
        assert_eq!(w.path().await, format!("/requests/{id}"), "back on the request (POST-redirect-GET)");
        w.shot("2-added").await;
        if email == submitter_email {
            // the submitter's own written report (书面报告): the box says it is required, an
            // empty one is refused with the reason on the page, with its text it is filed
            assert!(after.contains("书面报告（必填）") && !after.contains("意见（可选）"), "{after}");
            w.click("form[action*='/tasks/'] button[value='acknowledge']").await;
            let refused = w.wait_for_text("未能办理").await;
            assert!(refused.contains("请填写书面报告（必填）"), "{refused}");
            w.shot("3-written-report-empty").await;
            w.goto(&page_url).await;
            w.wait_for_text("书面报告（必填）").await;
            let report = "停电系配电箱故障，已更换，后续将排查全楼线路。";
            w.type_into("#comment", report).await;
            w.shot("4-written-report").await;
            w.click("form[action*='/tasks/'] button[value='acknowledge']").await;
            let filed = w.wait_for_text(report).await;
            assert!(!filed.contains("书面报告（必填）"), "the written report is filed: {filed}");
            w.shot("5-written-report-filed").await;
        }
        w.close().await;
    }
    let followed: Vec<String> = events(&app, &id)
        .await
        .iter()
        .filter(|e| e["kind"]["type"] == "followed_up")
        .map(|e| e["kind"]["text"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(followed, ["供电已恢复一半，后勤正在排查线路。", "供电已全部恢复。"], "both on the timeline");
    app.stop().await;
}

/// The public assessment results page (M10) with no login: the demo's published 2025 results at
/// phone and desktop widths, in zh-CN and English, fitting a 360 px phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_assessment_results_page_in_chromium() {
    let app = spawn(Backend::Sqlite, "browser_assessment").await;
    let browser = Browser::start(shots()).await;
    for (label, size) in [("phone", PHONE), ("desktop", DESKTOP)] {
        let w = browser.open(&format!("assessment-2025-{label}"), size).await;
        w.goto(&format!("{}/public/assessments/2025", app.base)).await;
        let text = w.wait_for_text("2025年度院系学生会组织考核结果").await;
        for shown in ["名次", "院系", "等次", "加权总分", "计算机学院", "版本 1"] {
            assert!(text.contains(shown), "{shown} in:\n{text}");
        }
        assert!(!w.overflows_sideways().await, "the results fit {label} width");
        w.shot("1-zh").await;
        w.goto(&format!("{}/public/assessments/2025?lang=en", app.base)).await;
        let text = w.wait_for_text("Annual assessment of department SUs, 2025").await;
        assert!(text.contains("School of Computer Science") && text.contains("Rank"), "{text}");
        w.shot("2-en").await;
        w.goto(&format!("{}/public/assessments/2030", app.base)).await;
        w.wait_for_text("2030年度考核结果尚未公布").await;
        w.shot("3-not-published").await;
        w.close().await;
    }
    app.stop().await;
}

/// A review panel member scores a duty report (述职评议, M10) from the link in their task mail, on
/// a phone: the form asks for every criterion with its range, a score out of range is kept by
/// the browser, and the filled sheet is stored as the member's score decision.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panel_member_scores_a_duty_report_from_the_mailed_link() {
    use workflows::org::Directory as _;
    let app = spawn(Backend::Sqlite, "br_score").await;
    let browser = Browser::start(shots()).await;
    // 计算机学院学生会办公室部长 submits the duty report to the CS review panel.
    let head = app.token_for("2023010205").await;
    let r = app
        .submit(&head, "duty_review", json!({ "semester": "2025—2026学年第一学期", "report": "本学期组织例会12次。" }))
        .await;
    let id = r["id"].as_str().unwrap().to_string();
    let task = r["open_tasks"][0].clone();
    assert_eq!(task["kind"], "score", "{r}");
    let member = task["assignee"].as_str().unwrap().to_string();
    let email = workflows::org::generate::demo_directory().person(&member).unwrap().email.clone();
    let mail = mail_text(&app, &email, "【待审批】", 0).await;
    assert!(!mail.contains("?do=approve"), "a score sheet is not decided by a one-click link:\n{mail}");
    let form = link(&mail, &format!("{}/a/", app.base), "");
    let w = browser.open("score-phone", PHONE).await;
    w.goto(&form).await;
    let page = w.wait_for_text("提交评分").await;
    for label in ["思想作风", "工作实绩", "联系同学"] {
        assert!(page.contains(label), "{label} in {page}");
    }
    assert!(!w.overflows_sideways().await, "the score sheet fits a 360 px phone");
    w.shot("1-sheet").await;
    // out of range: the browser keeps the form
    w.type_into("#s-conduct", "120").await;
    w.type_into("#s-results", "90").await;
    w.type_into("#s-contact", "85").await;
    w.click("button[value=score]").await;
    assert!(w.text().await.contains("提交评分"));
    assert_eq!(
        app.request(&id).await["open_tasks"].as_array().unwrap().len(),
        r["open_tasks"].as_array().unwrap().len()
    );
    w.eval("document.querySelector('#s-conduct').value = ''").await;
    w.type_into("#s-conduct", "80").await;
    w.type_into("#comment", "工作扎实。").await;
    w.click("button[value=score]").await;
    let done = w.wait_for_text("已办理").await;
    assert!(done.contains("您已办理：评分。"), "{done}");
    w.shot("2-done").await;
    let events = events(&app, &id).await;
    let scored = events
        .iter()
        .find(|e| e["actor"]["id"] == member.as_str() && e["kind"]["type"] == "task_decided")
        .unwrap_or_else(|| panic!("the member's sheet in {events:?}"));
    let text = scored.to_string();
    assert!(text.contains("80") && text.contains("90") && text.contains("85"), "{text}");
    w.close().await;
    app.stop().await;
}
