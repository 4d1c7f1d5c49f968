//! Hostile input (issue 10, "no input can stop the process"): one 8 KB body nested thousands of
//! levels deep aborted the whole daemon with a stack overflow. Such bodies are now answered with a
//! diagnostic or a problem, and the daemon keeps serving — on SQLite and on PostgreSQL.
//!
//! The daemon runs inside this test process, so before the bounds each of these inputs aborted
//! the test binary.

use liandong_tests::{Backend, TestApp, spawn};
use serde_json::{Value, json};
use workflows::org::generate::demo_people as dp;

/// A built-in definition whose `lead_time.when` condition is replaced by `expr`, and the
/// `line:col` of the expression's first character inside its quotes. (A `switch` case is a YAML
/// key, and YAML refuses keys over 1,024 characters by itself.)
fn definition_with_condition(expr: &str) -> (String, String) {
    let text = workflows::builtin::BUILTIN.iter().find(|(f, _)| *f == "activity_cohost.yaml").unwrap().1;
    let old = "when: \"form.major == true\"";
    let (n, line) = text.lines().enumerate().find(|(_, l)| l.contains(old)).unwrap();
    let col = line[..line.find(old).unwrap()].chars().count() + 8;
    (text.replacen(old, &format!("when: \"{expr}\""), 1), format!("{}:{col}", n + 1))
}

/// The bodies of issue 10, each about 8 KB: (what, YAML, expected code, expected `line:col`).
fn deep_bodies() -> Vec<(&'static str, String, &'static str, String)> {
    let mut out = Vec::new();
    for (what, expr) in [
        ("3,000 parentheses", format!("{}form.major{}", "(".repeat(3000), ")".repeat(3000))),
        ("5,000 × not", format!("{}form.major", "not ".repeat(5000))),
        ("a flat chain of 600 or terms", format!("{}form.major", "form.major or ".repeat(600))),
    ] {
        let (yaml, at) = definition_with_condition(&expr);
        out.push((what, yaml, "expr_too_long", at));
    }
    let (yaml, at) = definition_with_condition(&format!("{}form.major{}", "(".repeat(40), ")".repeat(40)));
    let at = at.replace(':', " ").split(' ').map(|s| s.parse::<usize>().unwrap()).collect::<Vec<_>>();
    out.push(("40 parentheses", yaml, "expr_too_deep", format!("{}:{}", at[0], at[1] + 32)));
    out.push((
        "5,000 block-style list levels",
        format!("key: deep\nsteps:\n  {}x\n", "- ".repeat(5000)),
        "yaml_too_deep",
        "3:129".into(),
    ));
    out
}

async fn send(app: &TestApp, token: &str, path: &str, body: &str) -> (u16, String, Value) {
    let r = app
        .http
        .post(format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, ct, r.json().await.unwrap_or(Value::Null))
}

async fn still_serving(app: &TestApp, token: &str) {
    let (status, _) = app.get(token, "/healthz").await;
    assert_eq!(status, 200);
    let form = json!({ "kind": "report", "matter_type": "reform_progress", "title": "仍在服务", "body": "……" });
    let (status, r) =
        app.post(token, "/api/v1/requests", json!({ "workflow": "major_matter_report", "form": form })).await;
    assert_eq!(status, 201, "{r}");
}

async fn deep_input_is_answered_and_the_daemon_keeps_serving(backend: Backend) {
    let app = spawn(backend, "hostile").await;
    let member = app.token_for("2023010105").await;
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    for (what, yaml, code, at) in deep_bodies() {
        let body = json!({ "yaml": yaml }).to_string();
        assert!(body.len() < 32_000, "{what}: {} bytes", body.len());
        // Validating is for authors: a member is refused before anything is parsed.
        let (status, ct, r) = send(&app, &member, "/api/v1/definitions/validate", &body).await;
        assert_eq!((status, ct.as_str(), &r["code"]), (403, "application/problem+json", &json!("forbidden")), "{what}");
        // An admin gets the diagnostic at its line:col.
        let (status, _, r) = send(&app, &app.admin_token, "/api/v1/definitions/validate", &body).await;
        assert_eq!(status, 200, "{what}: {r}");
        assert_eq!(r["valid"], false, "{what}");
        let d = r["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == code)
            .unwrap_or_else(|| panic!("{what}: {r}"));
        assert_eq!(d["severity"], "error");
        assert_eq!(format!("{}:{}", d["pos"]["line"], d["pos"]["col"]), at, "{what}: {d}");
        // Saving it is refused with a problem naming the same place; nothing is stored.
        let (status, ct, r) = send(&app, &app.admin_token, "/api/v1/definitions", &body).await;
        assert_eq!(
            (status, ct.as_str(), &r["code"]),
            (422, "application/problem+json", &json!("invalid_definition")),
            "{what}: {r}"
        );
        let errors = r["errors"].as_array().unwrap();
        assert!(errors.iter().any(|e| e["code"] == code && e["field"] == at.as_str()), "{what}: {r}");
        still_serving(&app, &president).await;
    }
    let (_, r) = app.get(&app.admin_token, "/api/v1/definitions").await;
    assert!(!r["items"].as_array().unwrap().iter().any(|d| d["key"] == "deep"), "nothing was saved");

    // JSON bodies keep serde_json's recursion limit (128): 10,000 nested arrays are a 400 problem.
    let deep_json =
        format!("{{\"workflow\": \"major_matter_report\", \"form\": {}{}}}", "[".repeat(10_000), "]".repeat(10_000));
    let (status, ct, r) = send(&app, &president, "/api/v1/requests", &deep_json).await;
    assert_eq!((status, ct.as_str(), &r["code"]), (400, "application/problem+json", &json!("bad_json")), "{r}");
    assert!(r["detail"].as_str().unwrap().contains("recursion limit"), "{r}");
    still_serving(&app, &president).await;
    app.stop().await;
}

#[tokio::test]
async fn deep_input_is_answered_and_the_daemon_keeps_serving_sqlite() {
    deep_input_is_answered_and_the_daemon_keeps_serving(Backend::Sqlite).await;
}

#[tokio::test]
async fn deep_input_is_answered_and_the_daemon_keeps_serving_postgres() {
    deep_input_is_answered_and_the_daemon_keeps_serving(Backend::Postgres).await;
}

/// Reads `raw` on a 256 KiB stack the way `mail::inbound::handle` reads a reply (and drops it).
fn read_on_small_stack(raw: String) -> String {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let msg = daemon::mail::nesting::parse(raw.as_bytes()).expect("parses");
            let _ = daemon::mail::reply::new_text(&msg);
            format!("{:?}", daemon::mail::reply::parse_reply(&msg))
        })
        .unwrap()
        .join()
        .expect("the reader does not panic")
}

const N: usize = 5000;

/// Multipart in multipart, 5,000 levels: mail-parser keeps multipart nesting on the heap.
#[test]
fn deeply_nested_multipart_mail_is_read_without_recursion() {
    let mut raw = String::from("From: a@example.edu.cn\r\nTo: r@reply.example.edu.cn\r\nSubject: Re\r\n");
    for i in 0..N {
        raw.push_str(&format!("Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"));
    }
    raw.push_str("Content-Type: text/plain\r\n\r\n同意\r\n");
    for i in (0..N).rev() {
        raw.push_str(&format!("--b{i}--\r\n"));
    }
    assert!(!read_on_small_stack(raw).is_empty());
}

/// A message in a message, 5,000 levels (220 KB): mail-parser nests whole messages and dropping
/// them recursed once per level, which overflowed the stack; `mail::nesting` drops them one by one.
#[test]
fn deeply_nested_message_mail_is_read_without_recursion() {
    let raw = format!(
        "From: a@example.edu.cn\r\nSubject: Re\r\n{}Content-Type: text/plain\r\n\r\n同意\r\n",
        "Content-Type: message/rfc822\r\n\r\nSubject: x\r\n".repeat(N)
    );
    assert!(!read_on_small_stack(raw).is_empty());
}

/// HTML 5,000 tags deep: the HTML reading of `mail::reply` counts tags instead of recursing.
#[test]
fn deeply_nested_html_mail_is_read_without_recursion() {
    let raw = format!(
        "From: a@example.edu.cn\r\nContent-Type: text/html\r\n\r\n<p>同意</p>{}x{}\r\n",
        "<div><blockquote>".repeat(N),
        "</blockquote></div>".repeat(N)
    );
    assert!(read_on_small_stack(raw).contains("Approve"));
}
