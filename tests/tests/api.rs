//! The daemon over HTTP, as its users drive it: the M1 dual report from submit to approved, return
//! and resubmit, withdraw, a new definition version while an old request finishes on its own,
//! concurrent decisions, who may call what, and bad input — on SQLite and on PostgreSQL.

use liandong_tests::{Backend, TestApp, spawn};
use serde_json::{Value, json};
use workflows::org::generate::demo_people as dp;

fn m1_form() -> Value {
    json!({ "kind": "request", "matter_type": "reform_progress", "title": "计算机学院学生会改革推进情况的请示", "body": "拟调整工作部门设置。" })
}

/// Decides (or acknowledges) every open task of `step` as its assignee.
async fn act_on(
    app: &TestApp,
    tokens: &mut std::collections::HashMap<String, String>,
    id: &str,
    step: &str,
    decision: &str,
) -> Value {
    let (_, req) = app.get(&app.admin_token, &format!("/api/v1/requests/{id}")).await;
    let task = req["open_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["step"] == step)
        .unwrap_or_else(|| panic!("no open task at {step}: {req}"))
        .clone();
    let who = task["assignee"].as_str().unwrap().to_string();
    if !tokens.contains_key(&who) {
        let t = app.token_for(&who).await;
        tokens.insert(who.clone(), t);
    }
    let token = &tokens[&who];
    let n = task["task"].as_u64().unwrap();
    let (status, body) = if task["kind"] == "acknowledge" {
        app.post(token, &format!("/api/v1/requests/{id}/tasks/{n}/acknowledge"), json!({ "comment": "已阅" })).await
    } else {
        app.post(
            token,
            &format!("/api/v1/requests/{id}/tasks/{n}/decision"),
            json!({ "decision": decision, "comment": "意见" }),
        )
        .await
    };
    assert_eq!(status, 200, "{body}");
    body
}

async fn m1_from_submit_to_approved(backend: Backend) {
    let app = spawn(backend, "m1").await;
    let mut tokens = std::collections::HashMap::new();
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    // submit, twice with the same Idempotency-Key: one request
    let submit = |key: &'static str| {
        app.http
            .post(format!("{}/api/v1/requests", app.base))
            .bearer_auth(&president)
            .header("Idempotency-Key", key)
            .json(&json!({ "workflow": "major_matter_report", "form": m1_form() }))
            .send()
    };
    let first = submit("m1-1").await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again: Value = submit("m1-1").await.unwrap().json().await.unwrap();
    assert_eq!(first["id"], again["id"], "a retried submit returns the same request");
    let id = first["id"].as_str().unwrap().to_string();
    // both branches are open at once: the League secretary and the department's school-SU liaison
    let steps: Vec<&str> =
        first["open_tasks"].as_array().unwrap().iter().map(|t| t["step"].as_str().unwrap()).collect();
    assert!(steps.contains(&"league_review") && steps.contains(&"school_su_ack"), "{steps:?}");
    // the League secretary sees it in their inbox
    let league = app.token_for(dp::CS_LEAGUE_SECRETARY).await;
    let (_, inbox) = app.get(&league, "/api/v1/tasks?assignee=me").await;
    assert_eq!(inbox["items"][0]["request"], id.as_str());
    tokens.insert(dp::CS_LEAGUE_SECRETARY.to_string(), league);
    act_on(&app, &mut tokens, &id, "league_review", "approve").await;
    act_on(&app, &mut tokens, &id, "party_approve", "approve").await;
    let (_, mid) = app.get(&app.admin_token, &format!("/api/v1/requests/{id}")).await;
    assert_eq!(mid["status"], "running", "the school SU has not acknowledged yet");
    let done = act_on(&app, &mut tokens, &id, "school_su_ack", "approve").await;
    assert_eq!(done["status"], "approved");
    // the timeline: hash-chained events, with who did what
    let (status, events) = app.get(&president, &format!("/api/v1/requests/{id}/events")).await;
    assert_eq!(status, 200);
    let events = events.as_array().unwrap();
    assert_eq!(events.first().unwrap()["kind"]["type"], "submitted");
    assert_eq!(events.last().unwrap()["kind"]["type"], "finished");
    assert!(events.iter().all(|e| e["hash"].as_str().is_some_and(|h| h.len() == 64)));
    // a decision on a finished request is a conflict
    let (status, body) = app
        .post(
            &tokens[dp::CS_LEAGUE_SECRETARY],
            &format!("/api/v1/requests/{id}/tasks/4/decision"),
            json!({ "decision": "approve" }),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("task_not_open")));
    app.stop().await;
}

#[tokio::test]
async fn m1_over_http_on_sqlite() {
    m1_from_submit_to_approved(Backend::Sqlite).await;
}

#[tokio::test]
async fn m1_over_http_on_postgres() {
    m1_from_submit_to_approved(Backend::Postgres).await;
}

#[tokio::test]
async fn m1_over_http_on_mariadb() {
    m1_from_submit_to_approved(Backend::Mariadb).await;
}

#[tokio::test]
async fn fifty_concurrent_decisions_on_mariadb() {
    fifty_decisions_at_once(Backend::Mariadb).await;
}

#[tokio::test]
async fn return_resubmit_and_withdraw_on_sqlite() {
    return_resubmit_and_withdraw(Backend::Sqlite).await;
}

#[tokio::test]
async fn return_resubmit_and_withdraw_on_postgres() {
    return_resubmit_and_withdraw(Backend::Postgres).await;
}

async fn return_resubmit_and_withdraw(backend: Backend) {
    let app = spawn(backend, "ret").await;
    let mut tokens = std::collections::HashMap::new();
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let (_, r) =
        app.post(&president, "/api/v1/requests", json!({ "workflow": "major_matter_report", "form": m1_form() })).await;
    let id = r["id"].as_str().unwrap().to_string();
    let returned = act_on(&app, &mut tokens, &id, "league_review", "return").await;
    assert_eq!(returned["status"], "returned");
    let mut form = m1_form();
    form["body"] = json!("补充了调整方案。");
    let (status, r) = app.post(&president, &format!("/api/v1/requests/{id}/resubmit"), json!({ "form": form })).await;
    assert_eq!((status, r["status"].as_str(), r["round"].as_u64()), (200, Some("running"), Some(2)));
    assert_eq!(r["form"]["body"], "补充了调整方案。");
    let (status, r) = app.post(&president, &format!("/api/v1/requests/{id}/withdraw"), json!({})).await;
    assert_eq!((status, r["status"].as_str()), (200, Some("withdrawn")));
    assert!(r["open_tasks"].as_array().unwrap().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_new_version_does_not_move_running_requests_on_sqlite() {
    a_new_version_does_not_move_running_requests(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_new_version_does_not_move_running_requests_on_postgres() {
    a_new_version_does_not_move_running_requests(Backend::Postgres).await;
}

async fn a_new_version_does_not_move_running_requests(backend: Backend) {
    let app = spawn(backend, "ver").await;
    let mut tokens = std::collections::HashMap::new();
    let submitter = app.token_for(dp::CS_SU_PRESIDENT).await;
    let (_, r1) = app
        .post(
            &submitter,
            "/api/v1/requests",
            json!({ "workflow": "support_request", "form": { "title": "v1", "support": ["venue"], "detail": "……" } }),
        )
        .await;
    assert_eq!(r1["version"], 1);
    // version 2 drops the contact step
    let v1 = workflows::builtin::BUILTIN.iter().find(|(f, _)| *f == "support_request.yaml").unwrap().1;
    let v2 = v1.replace("start: contact_forward", "start: presidium_decision");
    let (status, body) = app.post(&app.admin_token, "/api/v1/definitions", json!({ "yaml": v2 })).await;
    assert_eq!((status, body["version"].as_i64(), body["status"].as_str()), (201, Some(2), Some("draft")), "{body}");
    let (status, _) = app.post(&app.admin_token, "/api/v1/definitions/support_request/2/publish", json!({})).await;
    assert_eq!(status, 200);
    let (status, diff) = app.get(&app.admin_token, "/api/v1/definitions/support_request/diff?from=1&to=2").await;
    assert_eq!((status, diff["added"].as_u64(), diff["removed"].as_u64()), (200, Some(1), Some(1)));
    assert!(diff["diff"].as_str().unwrap().contains("-start: contact_forward\n+start: presidium_decision"), "{diff}");
    let (_, r2) = app
        .post(
            &submitter,
            "/api/v1/requests",
            json!({ "workflow": "support_request", "form": { "title": "v2", "support": ["venue"], "detail": "……" } }),
        )
        .await;
    assert_eq!(r2["version"], 2);
    assert_eq!(r2["open_tasks"][0]["step"], "presidium_decision");
    // the version-1 request finishes on version 1, through its contact step
    let id = r1["id"].as_str().unwrap().to_string();
    act_on(&app, &mut tokens, &id, "contact_forward", "approve").await;
    let (_, now) = app.get(&app.admin_token, &format!("/api/v1/requests/{id}")).await;
    if now["open_tasks"].as_array().unwrap().iter().any(|t| t["step"] == "presidium_decision") {
        act_on(&app, &mut tokens, &id, "presidium_decision", "approve").await;
    }
    let done = act_on(&app, &mut tokens, &id, "fulfilment", "approve").await;
    assert_eq!((done["status"].as_str(), done["version"].as_u64()), (Some("approved"), Some(1)));
    // a definition with errors is refused with its diagnostics and line:col
    let (status, body) = app
        .post(
            &app.admin_token,
            "/api/v1/definitions",
            json!({ "yaml": "key: x\nversion: 1\nname: 坏\nstart: a\nsteps:\n  a: { end: maybe }\n" }),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_definition")));
    assert_eq!(body["errors"][0]["field"], "6:13");
    app.stop().await;
}

#[tokio::test]
async fn a_restart_publishes_changed_built_ins_and_keeps_an_admins_own_on_sqlite() {
    a_restart_publishes_changed_built_ins_and_keeps_an_admins_own(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_restart_publishes_changed_built_ins_and_keeps_an_admins_own_on_postgres() {
    a_restart_publishes_changed_built_ins_and_keeps_an_admins_own(Backend::Postgres).await;
}

/// A release that changes a built-in definition reaches a database made by an older release: on
/// start, the new text is published as the next version; a key an admin has changed since stays
/// the admin's; a start with nothing new publishes nothing.
async fn a_restart_publishes_changed_built_ins_and_keeps_an_admins_own(backend: Backend) {
    use entities::store::definitions::versions;
    let app = spawn(backend, "builtin_sync").await;
    let text = |key: &str| {
        workflows::builtin::BUILTIN.iter().find(|(f, _)| *f == format!("{key}.yaml")).unwrap().1.to_string()
    };
    for (file, _) in workflows::builtin::BUILTIN {
        let key = file.trim_end_matches(".yaml");
        let v = versions(&app.app.db, key).await.unwrap();
        assert_eq!(v.len(), 1, "{key}: one version on first start");
    }
    // What an older release loaded: onboarding's newest version, loaded by Liandong, has another
    // text; support_request's newest version is an admin's.
    let older = text("onboarding").replace("name: { zh: ", "name: { zh: 旧版");
    entities::store::definitions::insert(&app.app.db, "onboarding", &older, None, true, chrono::Utc::now())
        .await
        .unwrap();
    let admins = text("support_request").replace("due: 5wd", "due: 4wd");
    assert_ne!(admins, text("support_request"));
    let (status, body) = app.post(&app.admin_token, "/api/v1/definitions", json!({ "yaml": admins })).await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = app.post(&app.admin_token, "/api/v1/definitions/support_request/2/publish", json!({})).await;
    assert_eq!(status, 200);

    let again = liandong_tests::spawn_beside(&app).await;
    let onboarding = versions(&app.app.db, "onboarding").await.unwrap();
    assert_eq!(onboarding.len(), 3, "the release's text is published as version 3");
    let newest = onboarding.last().unwrap();
    assert_eq!((newest.yaml.as_str(), newest.status.as_str()), (text("onboarding").as_str(), "published"));
    assert_eq!(newest.created_by, None);
    let support = versions(&app.app.db, "support_request").await.unwrap();
    assert_eq!(support.len(), 2, "the admin's version stays newest");
    assert!(support.last().unwrap().yaml.contains("due: 4wd"));
    // new requests take the newest published version
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let (_, r) = again
        .post(
            &president,
            "/api/v1/requests",
            json!({ "workflow": "support_request", "form": { "title": "场地", "support": ["venue"], "detail": "……" } }),
        )
        .await;
    assert_eq!(r["version"], 2, "{r}");
    again.stop().await;

    let third = liandong_tests::spawn_beside(&app).await;
    assert_eq!(versions(&app.app.db, "onboarding").await.unwrap().len(), 3, "nothing new: nothing published");
    third.stop().await;
    app.stop().await;
}

async fn fifty_decisions_at_once(backend: Backend) {
    let app = spawn(backend, "race").await;
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let league = app.token_for(dp::CS_LEAGUE_SECRETARY).await;
    let (_, r) =
        app.post(&president, "/api/v1/requests", json!({ "workflow": "major_matter_report", "form": m1_form() })).await;
    let id = r["id"].as_str().unwrap().to_string();
    let task = r["open_tasks"].as_array().unwrap().iter().find(|t| t["step"] == "league_review").unwrap()["task"]
        .as_u64()
        .unwrap();
    let (_, before) = app.get(&president, &format!("/api/v1/requests/{id}/events")).await;
    let mut handles = Vec::new();
    for i in 0..50 {
        let http = app.http.clone();
        let url = format!("{}/api/v1/requests/{id}/tasks/{task}/decision", app.base);
        let token = league.clone();
        let decision = if i % 2 == 0 { "approve" } else { "reject" };
        handles.push(tokio::spawn(async move {
            http.post(url)
                .bearer_auth(token)
                .json(&json!({ "decision": decision }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut codes = Vec::new();
    for h in handles {
        codes.push(h.await.unwrap());
    }
    assert_eq!(codes.iter().filter(|c| **c == 200).count(), 1, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == 409).count(), 49, "{codes:?}");
    let (_, after) = app.get(&president, &format!("/api/v1/requests/{id}/events")).await;
    let decided: Vec<&Value> = after
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"]["type"] == "task_decided" && e["kind"]["task"] == task)
        .collect();
    assert_eq!(decided.len(), 1, "one decision, one set of events");
    assert!(after.as_array().unwrap().len() > before.as_array().unwrap().len());
    app.stop().await;
}

#[tokio::test]
async fn fifty_concurrent_decisions_on_sqlite() {
    fifty_decisions_at_once(Backend::Sqlite).await;
}

#[tokio::test]
async fn fifty_concurrent_decisions_on_postgres() {
    fifty_decisions_at_once(Backend::Postgres).await;
}

#[tokio::test]
async fn every_route_checks_who_is_calling() {
    let app = spawn(Backend::Sqlite, "auth").await;
    let member = app.token_for("2023010105").await;
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let (_, r) =
        app.post(&president, "/api/v1/requests", json!({ "workflow": "major_matter_report", "form": m1_form() })).await;
    let id = r["id"].as_str().unwrap();
    let routes: Vec<(&str, String, Value, [u16; 4])> = vec![
        // (method, path, body, [no token, wrong token, member, admin])
        ("GET", "/api/v1/tasks".into(), Value::Null, [401, 401, 200, 200]),
        ("GET", format!("/api/v1/requests/{id}"), Value::Null, [401, 401, 200, 200]),
        ("GET", format!("/api/v1/requests/{id}/events"), Value::Null, [401, 401, 200, 200]),
        (
            "POST",
            "/api/v1/requests".into(),
            json!({ "workflow": "major_matter_report", "form": m1_form() }),
            [401, 401, 403, 403],
        ),
        ("POST", format!("/api/v1/requests/{id}/withdraw"), json!({}), [401, 401, 403, 403]),
        (
            "POST",
            format!("/api/v1/requests/{id}/tasks/4/decision"),
            json!({ "decision": "approve" }),
            [401, 401, 403, 403],
        ),
        ("GET", "/api/v1/definitions".into(), Value::Null, [401, 401, 200, 200]),
        ("POST", "/api/v1/definitions/validate".into(), json!({ "yaml": "key: x" }), [401, 401, 403, 200]),
        (
            "POST",
            "/api/v1/definitions".into(),
            json!({ "yaml": workflows::builtin::BUILTIN[0].1 }),
            [401, 401, 403, 201],
        ),
        ("POST", "/api/v1/definitions/support_request/1/publish".into(), json!({}), [401, 401, 403, 200]),
        ("POST", "/api/v1/tokens".into(), json!({ "person": "2023010106" }), [401, 401, 403, 201]),
        ("GET", "/api/v1/tasks?assignee=T0102".into(), Value::Null, [401, 401, 403, 200]),
        ("GET", "/api/v1/requests".into(), Value::Null, [401, 401, 200, 200]),
        ("POST", format!("/api/v1/requests/{id}/resubmit"), json!({}), [401, 401, 403, 403]),
        ("POST", format!("/api/v1/requests/{id}/comments"), json!({ "text": "路过" }), [401, 401, 409, 200]),
        ("POST", format!("/api/v1/requests/{id}/tasks/4/acknowledge"), json!({}), [401, 401, 403, 403]),
        ("POST", format!("/api/v1/requests/{id}/tasks/4/transfer"), json!({ "to": "T0103" }), [401, 401, 403, 200]),
        (
            "POST",
            format!("/api/v1/requests/{id}/tasks/6/reviewers"),
            json!({ "person": "T0104" }),
            [401, 401, 403, 200],
        ),
        ("GET", "/api/v1/definitions/support_request/1".into(), Value::Null, [401, 401, 200, 200]),
        ("GET", "/api/v1/org".into(), Value::Null, [401, 401, 403, 200]),
        ("GET", "/api/v1/org/people/T0102".into(), Value::Null, [401, 401, 200, 200]),
        ("GET", "/api/v1/org/posts?body=department_su@cs".into(), Value::Null, [401, 401, 200, 200]),
        ("GET", "/api/v1/org/liaisons?department=cs".into(), Value::Null, [401, 401, 200, 200]),
        ("GET", "/api/v1/definitions/support_request/diff?from=1&to=1".into(), Value::Null, [401, 401, 200, 200]),
        ("GET", "/api/v1/deliveries".into(), Value::Null, [401, 401, 403, 200]),
        ("POST", "/api/v1/deliveries/999/retry".into(), json!({}), [401, 401, 403, 409]),
        ("GET", "/api/v1/mail-actions".into(), Value::Null, [401, 401, 403, 200]),
        (
            "POST",
            "/api/v1/org/delegations".into(),
            json!({ "from": "T0102", "to": "T0103", "starts": "2030-01-01T00:00:00Z", "ends": "2030-01-08T00:00:00Z" }),
            [401, 401, 403, 201],
        ),
    ];
    for (method, path, body, expected) in routes {
        let mut got = Vec::new();
        for token in [None, Some("ld_wrong"), Some(member.as_str()), Some(app.admin_token.as_str())] {
            let url = format!("{}{path}", app.base);
            let mut req = if method == "GET" { app.http.get(url) } else { app.http.post(url).json(&body) };
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            got.push(req.send().await.unwrap().status().as_u16());
        }
        assert_eq!(got, expected, "{method} {path}");
    }
    let health = app.http.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn bad_input_gets_a_clear_problem_and_changes_nothing() {
    let app = spawn(Backend::Sqlite, "bad").await;
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let send = |body: String| {
        app.http
            .post(format!("{}/api/v1/requests", app.base))
            .bearer_auth(&president)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let r = send("{\"workflow\":".into()).await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let r = send(json!({ "workflow": 7, "form": {} }).to_string()).await.unwrap();
    assert_eq!(r.status(), 400);
    let r: Value =
        send(json!({ "workflow": "no_such_flow", "form": {} }).to_string()).await.unwrap().json().await.unwrap();
    assert_eq!((r["status"].as_u64(), r["code"].as_str()), (Some(404), Some("not_found")));
    let r: Value = send(json!({ "workflow": "major_matter_report", "form": { "kind": "x", "title": 3 } }).to_string())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((r["status"].as_u64(), r["code"].as_str()), (Some(422), Some("invalid_form")));
    let fields: Vec<&str> = r["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["kind", "matter_type", "title", "body"]);
    let big = format!("{{\"workflow\":\"major_matter_report\",\"form\":{{\"body\":\"{}\"}}}}", "x".repeat(1_100_000));
    let r = send(big).await.unwrap();
    assert_eq!(r.status(), 413);
    let (_, inbox) = app.get(&app.admin_token, &format!("/api/v1/tasks?assignee={}", dp::CS_LEAGUE_SECRETARY)).await;
    assert!(inbox["items"].as_array().unwrap().is_empty(), "nothing was submitted");
    // bad paths, query strings, routes and methods are problems too, never plain text
    let admin = app.admin_token.clone();
    for (method, path, status, code) in [
        ("GET", "/api/v1/tasks?limit=abc", 400, "bad_query"),
        ("GET", "/api/v1/requests?nosuchfilter=1", 400, "bad_query"),
        ("POST", "/api/v1/deliveries/abc/retry", 400, "bad_path"),
        ("GET", "/api/v1/definitions/major_matter_report/x", 400, "bad_path"),
        ("GET", "/api/v1/nosuchthing", 404, "not_found"),
        ("DELETE", "/api/v1/requests", 405, "method_not_allowed"),
    ] {
        let r = app
            .http
            .request(method.parse().unwrap(), format!("{}{path}", app.base))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{method} {path}");
        assert_eq!(r.headers()["content-type"], "application/problem+json", "{method} {path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], code, "{method} {path}: {body}");
    }
    let r = app
        .http
        .put(format!("{}/api/v1/org", app.base))
        .bearer_auth(&admin)
        .body(vec![0xffu8, 0xfe])
        .send()
        .await
        .unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (400, "application/problem+json"));
    app.stop().await;
}

#[tokio::test]
async fn lists_page_with_a_cursor_and_need_to_know_stays_hidden() {
    let app = spawn(Backend::Sqlite, "list").await;
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let mut form = m1_form();
        form["title"] = json!(format!("请示{i}"));
        if i == 2 {
            form["matter_type"] = json!("major_violation_handling");
        }
        let (_, r) =
            app.post(&president, "/api/v1/requests", json!({ "workflow": "major_matter_report", "form": form })).await;
        ids.push(r["id"].as_str().unwrap().to_string());
    }
    let (status, page1) = app.get(&president, "/api/v1/requests?limit=2").await;
    assert_eq!(status, 200);
    let titles: Vec<&str> = page1["items"].as_array().unwrap().iter().map(|r| r["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["请示2", "请示1"], "newest first");
    let next = page1["next"].as_str().unwrap();
    let (_, page2) = app.get(&president, &format!("/api/v1/requests?limit=2&cursor={next}")).await;
    let titles: Vec<&str> = page2["items"].as_array().unwrap().iter().map(|r| r["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["请示0"]);
    assert!(page2["next"].is_null());
    let (status, _) = app.get(&president, "/api/v1/requests?cursor=zz").await;
    assert_eq!(status, 422);
    // the violation report is need-to-know: a member who is not on its path cannot see it; the League secretary can
    let outsider = app.token_for("2023010105").await;
    let (status, _) = app.get(&outsider, &format!("/api/v1/requests/{}", ids[2])).await;
    assert_eq!(status, 404);
    let (status, _) = app.get(&outsider, &format!("/api/v1/requests/{}", ids[0])).await;
    assert_eq!(status, 200);
    let league = app.token_for(dp::CS_LEAGUE_SECRETARY).await;
    let (status, r) = app.get(&league, &format!("/api/v1/requests/{}", ids[2])).await;
    assert_eq!((status, r["need_to_know"].as_bool()), (200, Some(true)));
    app.stop().await;
}

#[tokio::test]
async fn org_import_is_all_or_nothing() {
    let app = spawn(Backend::Sqlite, "org").await;
    let export = app.http.get(format!("{}/api/v1/org", app.base)).bearer_auth(&app.admin_token).send().await.unwrap();
    assert_eq!(export.status(), 200);
    let yaml = export.text().await.unwrap();
    assert!(yaml.contains("nanyue_demo_u"));
    // a dangling reference and a role the body cannot have: every problem listed, nothing imported
    let broken = yaml
        .replacen("body: department_su@cs, role: president", "body: department_su@nowhere, role: president", 1)
        .replacen("role: class_monitor", "role: president", 1);
    let r = app
        .http
        .put(format!("{}/api/v1/org", app.base))
        .bearer_auth(&app.admin_token)
        .body(broken)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "invalid_org");
    let messages: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap()).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("department_su@nowhere")));
    assert!(body["errors"][0]["field"].as_str().unwrap().contains(':'), "line:col");
    assert_eq!(app.org_yaml().await, yaml, "nothing changed");
    // a good import replaces the org
    let renamed = yaml.replacen("南粤示例大学", "南粤示例大学（新）", 1);
    let r = app
        .http
        .put(format!("{}/api/v1/org", app.base))
        .bearer_auth(&app.admin_token)
        .body(renamed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let counts: Value = r.json().await.unwrap();
    assert_eq!(counts["departments"], 12);
    let member = app.token_for("2023010105").await;
    let r = app.http.put(format!("{}/api/v1/org", app.base)).bearer_auth(&member).body(yaml).send().await.unwrap();
    assert_eq!(r.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn operations_endpoints_and_the_api_description() {
    let app = spawn(Backend::Sqlite, "ops").await;
    let get = |path: &str| app.http.get(format!("{}{path}", app.base)).send();
    assert_eq!(get("/readyz").await.unwrap().status(), 200);
    let doc: Value = get("/api/v1/openapi.json").await.unwrap().json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/v1/requests",
        "/api/v1/requests/{id}",
        "/api/v1/requests/{id}/events",
        "/api/v1/requests/{id}/withdraw",
        "/api/v1/requests/{id}/resubmit",
        "/api/v1/requests/{id}/comments",
        "/api/v1/requests/{id}/follow-ups",
        "/api/v1/requests/{id}/tasks/{task}/decision",
        "/api/v1/requests/{id}/tasks/{task}/acknowledge",
        "/api/v1/requests/{id}/tasks/{task}/extension",
        "/api/v1/requests/{id}/tasks/{task}/transfer",
        "/api/v1/requests/{id}/tasks/{task}/reviewers",
        "/api/v1/tasks",
        "/api/v1/definitions",
        "/api/v1/definitions/validate",
        "/api/v1/definitions/{key}/{version}",
        "/api/v1/definitions/{key}/{version}/publish",
        "/api/v1/definitions/{key}/diff",
        "/api/v1/org",
        "/api/v1/org/people/{id}",
        "/api/v1/org/delegations",
        "/api/v1/org/posts",
        "/api/v1/org/liaisons",
        "/api/v1/deliveries",
        "/api/v1/deliveries/{id}/retry",
        "/api/v1/mail-actions",
        "/api/v1/tokens",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is described");
    }
    let page = get("/api/docs").await.unwrap().text().await.unwrap();
    assert!(page.contains("联动 API v1") && page.contains("/api/v1/requests/{id}/tasks/{task}/decision"));
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    app.post(&president, "/api/v1/requests", json!({ "workflow": "major_matter_report", "form": m1_form() })).await;
    let metrics = get("/metrics").await.unwrap().text().await.unwrap();
    assert!(metrics.contains("liandong_http_requests_total{class=\"2xx\"}"), "{metrics}");
    assert!(metrics.contains("liandong_open_tasks 3"), "{metrics}");
    assert!(metrics.contains("liandong_timers_pending"), "{metrics}");
    for name in [
        "liandong_outbox_pending",
        "liandong_mail_delivered_total",
        "liandong_mail_delivery_failures_total",
        "liandong_timer_lateness_seconds_max",
    ] {
        assert!(metrics.contains(name), "{name} in {metrics}");
    }
    app.stop().await;
}
