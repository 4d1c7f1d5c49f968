//! The workflow's own rules that a member could walk around, and the API's doors that must close:
//! a delegation's end gives the tasks back, people removed from the org lose their tasks (moved
//! where the import says) and their tokens, an idempotency key reused with another body is
//! refused, tokens can be revoked, and `/metrics` can ask for a token — on SQLite and PostgreSQL.

use liandong_tests::{Backend, TestApp, spawn, spawn_with};
use serde_json::{Value, json};
use workflows::org::generate::demo_people as dp;

fn m1_form() -> Value {
    json!({ "kind": "request", "matter_type": "reform_progress", "title": "计算机学院学生会改革推进情况的请示", "body": "拟调整工作部门设置。" })
}

async fn delete(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let r = app.http.delete(format!("{}{path}", app.base)).bearer_auth(token).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn submit_with_key(app: &TestApp, token: &str, key: &str, form: Value) -> (u16, Value) {
    let r = app
        .http
        .post(format!("{}/api/v1/requests", app.base))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&json!({ "workflow": "major_matter_report", "form": form }))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    assert!(status >= 400 || r.headers()["content-type"] == "application/json", "{:?}", r.headers());
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn idempotency_key_with_another_body(backend: Backend) {
    let app = spawn(backend, "idem").await;
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let (s1, first) = submit_with_key(&app, &president, "k-1", m1_form()).await;
    assert_eq!(s1, 201, "{first}");
    // the same key and the same body: the first request
    let (s2, again) = submit_with_key(&app, &president, "k-1", m1_form()).await;
    assert_eq!((s2, &again["id"]), (201, &first["id"]));
    // the same key with another body: 422, and nothing new
    let mut other = m1_form();
    other["title"] = json!("另一份请示");
    let (s3, problem) = submit_with_key(&app, &president, "k-1", other.clone()).await;
    assert_eq!(s3, 422, "{problem}");
    assert_eq!(problem["code"], "idempotency_key_reused");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM requests").await, 1);
    // a new key with that body is a new request
    let (s4, fresh) = submit_with_key(&app, &president, "k-2", other).await;
    assert_eq!(s4, 201);
    assert_ne!(fresh["id"], first["id"]);
    app.stop().await;
}

#[tokio::test]
async fn an_idempotency_key_reused_with_another_body_is_refused_on_sqlite() {
    idempotency_key_with_another_body(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_idempotency_key_reused_with_another_body_is_refused_on_postgres() {
    idempotency_key_with_another_body(Backend::Postgres).await;
}

async fn tokens_revoked(backend: Backend) {
    let app = spawn(backend, "revoke").await;
    let member = app.token_for(dp::CS_SU_PRESIDENT).await;
    let other = app.token_for(dp::CS_LEAGUE_SECRETARY).await;
    assert_eq!(app.get(&member, "/api/v1/tasks").await.0, 200);
    // a member lists their own tokens, without secrets; an admin lists all
    let (s, mine) = app.get(&member, "/api/v1/tokens").await;
    assert_eq!(s, 200);
    let mine = mine["items"].as_array().unwrap().clone();
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["person"], dp::CS_SU_PRESIDENT);
    assert!(mine[0].get("token").is_none() && !mine[0].to_string().contains("ld_"));
    let (_, all) = app.get(&app.admin_token, "/api/v1/tokens").await;
    assert!(all["items"].as_array().unwrap().len() >= 3);
    let id = mine[0]["id"].as_i64().unwrap();
    // someone else cannot revoke it (it does not exist for them)
    let (s, problem) = delete(&app, &other, &format!("/api/v1/tokens/{id}")).await;
    assert_eq!((s, problem["code"].as_str()), (404, Some("not_found")));
    assert_eq!(app.get(&member, "/api/v1/tasks").await.0, 200, "still works");
    // the owner revokes it: 401 at once
    assert_eq!(delete(&app, &member, &format!("/api/v1/tokens/{id}")).await.0, 204);
    assert_eq!(app.get(&member, "/api/v1/tasks").await.0, 401);
    // an admin revokes another's
    let (_, theirs) = app.get(&other, "/api/v1/tokens").await;
    let oid = theirs["items"][0]["id"].as_i64().unwrap();
    assert_eq!(delete(&app, &app.admin_token, &format!("/api/v1/tokens/{oid}")).await.0, 204);
    assert_eq!(app.get(&other, "/api/v1/tasks").await.0, 401);
    let (_, listed) = app.get(&app.admin_token, "/api/v1/tokens").await;
    let row = listed["items"].as_array().unwrap().iter().find(|t| t["id"] == oid).unwrap().clone();
    assert!(row["revoked_at"].is_string(), "{row}");
    assert_eq!(delete(&app, &app.admin_token, "/api/v1/tokens/999999").await.0, 404);
    app.stop().await;
}

#[tokio::test]
async fn a_revoked_token_gets_401_at_once_on_sqlite() {
    tokens_revoked(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_revoked_token_gets_401_at_once_on_postgres() {
    tokens_revoked(Backend::Postgres).await;
}

#[tokio::test]
async fn metrics_can_ask_for_a_token() {
    // off by default: the quick start reads /metrics without a token
    let open = spawn(Backend::Sqlite, "metrics_open").await;
    let r = open.http.get(format!("{}/metrics", open.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    open.stop().await;
    let token = "metrics-secret-7f3a";
    let hash = daemon::app::tokens::token_hash(token);
    let app =
        spawn_with(Backend::Sqlite, "metrics_token", vec![("LIANDONG__SERVER__METRICS_TOKEN_SHA256".into(), hash)])
            .await;
    let get = |auth: Option<&str>| {
        let mut r = app.http.get(format!("{}/metrics", app.base));
        if let Some(a) = auth {
            r = r.bearer_auth(a);
        }
        r.send()
    };
    let none = get(None).await.unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(none.headers()["content-type"], "application/problem+json");
    assert_eq!(get(Some("wrong")).await.unwrap().status(), 401);
    assert_eq!(get(Some(&app.admin_token)).await.unwrap().status(), 401, "an API token is not the metrics token");
    let ok = get(Some(token)).await.unwrap();
    assert_eq!(ok.status(), 200);
    assert!(ok.text().await.unwrap().contains("liandong_http_requests_total"));
    app.stop().await;
}

#[tokio::test]
async fn the_new_routes_are_described_with_their_statuses() {
    let app = spawn(Backend::Sqlite, "rules_doc").await;
    let doc: Value =
        app.http.get(format!("{}/api/v1/openapi.json", app.base)).send().await.unwrap().json().await.unwrap();
    for (path, method, statuses) in [
        ("/api/v1/tokens", "get", &["200", "401"][..]),
        ("/api/v1/tokens/{id}", "delete", &["204", "400", "401", "404"][..]),
        ("/api/v1/org/delegations", "post", &["201", "401", "403", "422"][..]),
        ("/api/v1/org/delegations", "get", &["200", "401"][..]),
        ("/api/v1/org/delegations/{id}", "delete", &["204", "400", "401", "403", "404", "409"][..]),
        ("/api/v1/org", "put", &["200", "401", "403", "422"][..]),
        ("/api/v1/requests", "post", &["201", "422"][..]),
        ("/api/v1/requests/{id}/tasks/{task}/extension", "post", &["200", "401", "403", "404", "409"][..]),
        ("/metrics", "get", &["200", "401"][..]),
    ] {
        for s in statuses {
            assert!(doc["paths"][path][method]["responses"].get(*s).is_some(), "{method} {path} documents {s}");
        }
    }
    app.stop().await;
}

fn open_task<'a>(r: &'a Value, step: &str) -> &'a Value {
    r["open_tasks"].as_array().unwrap().iter().find(|t| t["step"] == step).unwrap_or_else(|| panic!("{step}: {r}"))
}

/// A sensitive M1 report (need-to-know) by the CS SU president; its `league_review` task is the
/// League secretary's.
async fn sensitive_report(app: &TestApp, president: &str) -> String {
    let mut form = m1_form();
    form["matter_type"] = json!("major_violation_handling");
    let r = app.submit(president, "major_matter_report", form).await;
    assert_eq!(r["need_to_know"], true);
    r["id"].as_str().unwrap().to_string()
}

async fn delegate(app: &TestApp, token: &str, from: &str, to: &str, ends_in_days: i64) -> (u16, Value) {
    let now = chrono::Utc::now();
    app.post(
        token,
        "/api/v1/org/delegations",
        json!({ "from": from, "to": to, "starts": now - chrono::Duration::hours(1),
                "ends": now + chrono::Duration::days(ends_in_days) }),
    )
    .await
}

/// The delegate holds the task while the delegation runs; its end timer (time moved the way the
/// timer tests move it) gives the task back, and the delegate no longer sees the request.
async fn delegation_end_gives_tasks_back(backend: Backend) {
    let app = spawn(backend, "deleg_end").await;
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let league = app.token_for(dp::CS_LEAGUE_SECRETARY).await;
    let counselor = app.token_for(dp::CS_COUNSELOR_2023).await;
    // an end already past is refused
    let (s, problem) = delegate(&app, &league, dp::CS_LEAGUE_SECRETARY, dp::CS_COUNSELOR_2023, -1).await;
    assert_eq!((s, problem["code"].as_str()), (422, Some("bad_delegation")), "{problem}");
    let (s, d) = delegate(&app, &league, dp::CS_LEAGUE_SECRETARY, dp::CS_COUNSELOR_2023, 7).await;
    assert_eq!(s, 201, "{d}");
    let did = d["id"].as_i64().unwrap();
    assert_eq!(app.count(&format!("SELECT COUNT(*) AS n FROM timers WHERE request_id = '' AND timer_id = 'delegation:{did}' AND status = 'pending'")).await, 1);
    let id = sensitive_report(&app, &president).await;
    let r = app.request(&id).await;
    let t = open_task(&r, "league_review");
    assert_eq!(
        (t["assignee"].as_str(), t["on_behalf_of"].as_str()),
        (Some(dp::CS_COUNSELOR_2023), Some(dp::CS_LEAGUE_SECRETARY))
    );
    assert_eq!(app.get(&counselor, &format!("/api/v1/requests/{id}")).await.0, 200, "the delegate sees it");
    // the delegation's end falls due
    let db = &app.app.db;
    use entities::sea_orm::{ConnectionTrait, Statement};
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        format!("UPDATE timers SET due_at = 0 WHERE request_id = '' AND timer_id = 'delegation:{did}'"),
    ))
    .await
    .unwrap();
    // the timer is done once the tasks went back
    let done = format!(
        "SELECT COUNT(*) AS n FROM timers WHERE request_id = '' AND timer_id = 'delegation:{did}' AND status = 'done'"
    );
    for _ in 0..1200 {
        if app.count(&done).await == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let back = app.request(&id).await;
    assert_eq!(open_task(&back, "league_review")["assignee"], dp::CS_LEAGUE_SECRETARY, "{back}");
    let t = open_task(&back, "league_review");
    assert!(t["on_behalf_of"].is_null(), "{back}");
    assert_eq!(
        app.get(&counselor, &format!("/api/v1/requests/{id}")).await.0,
        404,
        "need-to-know ends with the delegation"
    );
    let (_, events) = app.get(&president, &format!("/api/v1/requests/{id}/events")).await;
    let cancelled = events.as_array().unwrap().iter().find(|e| e["kind"]["type"] == "task_cancelled").unwrap().clone();
    assert_eq!(
        (cancelled["kind"]["reason"].as_str(), cancelled["actor"]["type"].as_str()),
        (Some("delegation_ended"), Some("system")),
        "{cancelled}"
    );
    // the delegation shows as over; the League secretary decides their own task
    let (_, list) = app.get(&league, "/api/v1/org/delegations").await;
    let row = list["items"].as_array().unwrap().iter().find(|x| x["id"] == did).unwrap().clone();
    assert_eq!(row["active"], false, "{row}");
    let n = t["task"].as_u64().unwrap();
    let (s, _) = app
        .post(&counselor, &format!("/api/v1/requests/{id}/tasks/{n}/decision"), json!({ "decision": "approve" }))
        .await;
    assert!(s == 403 || s == 404, "the former delegate cannot decide: {s}");
    let (s, body) =
        app.post(&league, &format!("/api/v1/requests/{id}/tasks/{n}/decision"), json!({ "decision": "approve" })).await;
    assert_eq!(s, 200, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn a_delegations_end_gives_the_tasks_back_on_sqlite() {
    delegation_end_gives_tasks_back(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_delegations_end_gives_the_tasks_back_on_postgres() {
    delegation_end_gives_tasks_back(Backend::Postgres).await;
}

/// `DELETE /api/v1/org/delegations/{id}`: the delegator or an admin ends it; the tasks go back at once.
async fn delegation_ended_early(backend: Backend) {
    let app = spawn(backend, "deleg_early").await;
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let league = app.token_for(dp::CS_LEAGUE_SECRETARY).await;
    let counselor = app.token_for(dp::CS_COUNSELOR_2023).await;
    let (_, d) = delegate(&app, &league, dp::CS_LEAGUE_SECRETARY, dp::CS_COUNSELOR_2023, 7).await;
    let did = d["id"].as_i64().unwrap();
    let id = sensitive_report(&app, &president).await;
    assert_eq!(open_task(&app.request(&id).await, "league_review")["assignee"], dp::CS_COUNSELOR_2023);
    let path = format!("/api/v1/org/delegations/{did}");
    let (s, p) = delete(&app, &president, &path).await;
    assert_eq!((s, p["code"].as_str()), (404, Some("not_found")), "a stranger does not see it");
    let (s, p) = delete(&app, &counselor, &path).await;
    assert_eq!((s, p["code"].as_str()), (403, Some("forbidden")), "the delegate cannot end it");
    assert_eq!(delete(&app, &league, "/api/v1/org/delegations/abc").await.0, 400);
    assert_eq!(delete(&app, &league, &path).await.0, 204);
    let r = app.request(&id).await;
    let t = open_task(&r, "league_review");
    assert_eq!((t["assignee"].as_str(), t["on_behalf_of"].as_str()), (Some(dp::CS_LEAGUE_SECRETARY), None), "at once");
    assert_eq!(app.get(&counselor, &format!("/api/v1/requests/{id}")).await.0, 404);
    let (s, p) = delete(&app, &league, &path).await;
    assert_eq!((s, p["code"].as_str()), (409, Some("delegation_ended")));
    // an admin may end someone's delegation; new tasks then go to the person themselves
    let (_, d2) = delegate(&app, &league, dp::CS_LEAGUE_SECRETARY, dp::CS_COUNSELOR_2023, 7).await;
    assert_eq!(delete(&app, &app.admin_token, &format!("/api/v1/org/delegations/{}", d2["id"])).await.0, 204);
    let id2 = sensitive_report(&app, &president).await;
    assert_eq!(open_task(&app.request(&id2).await, "league_review")["assignee"], dp::CS_LEAGUE_SECRETARY);
    app.stop().await;
}

#[tokio::test]
async fn a_delegation_ended_early_gives_the_tasks_back_at_once_on_sqlite() {
    delegation_ended_early(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_delegation_ended_early_gives_the_tasks_back_at_once_on_postgres() {
    delegation_ended_early(Backend::Postgres).await;
}

async fn put_org(app: &TestApp, query: &str, yaml: String) -> (u16, Value) {
    let r = app
        .http
        .put(format!("{}/api/v1/org{query}", app.base))
        .bearer_auth(&app.admin_token)
        .body(yaml)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// An import that drops a person holding open tasks is refused with the list, unless told where the
/// tasks go; then tasks, org and the person's credentials change in one go.
async fn removing_people_with_open_tasks(backend: Backend) {
    let app = spawn(backend, "org_remove").await;
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let league = app.token_for(dp::CS_LEAGUE_SECRETARY).await;
    // a web session of the League secretary
    let session = "rules-daemon-test-session";
    let db = &app.app.db;
    use entities::sea_orm::{ConnectionTrait, Statement};
    let far = chrono::Utc::now().timestamp_millis() + 3_600_000;
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        format!(
            "INSERT INTO web_sessions (token_hash, person_id, created_at, expires_at) VALUES ('{}', '{}', 0, {far})",
            daemon::app::tokens::token_hash(session),
            dp::CS_LEAGUE_SECRETARY
        ),
    ))
    .await
    .unwrap();
    let r = app.submit(&president, "major_matter_report", m1_form()).await;
    let id = r["id"].as_str().unwrap().to_string();
    let page = |id: String| {
        app.http.get(format!("{}/requests/{id}", app.base)).header("cookie", format!("ld_session={session}")).send()
    };
    assert_eq!(page(id.clone()).await.unwrap().status(), 200);
    let yaml = app.org_yaml().await;
    assert!(yaml.contains("T0102"), "{}", &yaml[..200]);
    // T0102 leaves; T0199 becomes League secretary in their place
    let without: String = yaml
        .lines()
        .map(|l| {
            if l.contains("id: T0102,") {
                l.replace("T0102", "T0199").replace("郭远子", "新书记").replace("t0102@", "t0199@")
            } else {
                l.replace("person: T0102,", "person: T0199,")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    assert!(!without.contains("T0102"));
    let (s, problem) = put_org(&app, "", without.clone()).await;
    assert_eq!((s, problem["code"].as_str()), (422, Some("open_tasks_of_removed_people")), "{problem}");
    let listed = problem["errors"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    let msg = listed[0]["message"].as_str().unwrap();
    assert!(msg.contains(&id) && msg.contains("league_review") && msg.contains("T0102"), "{msg}");
    assert_eq!(app.org_yaml().await, yaml, "nothing changed");
    assert_eq!(app.get(&league, "/api/v1/tasks").await.0, 200);
    let (s, problem) = put_org(&app, "?move_open_tasks_to=somewhere", without.clone()).await;
    assert_eq!((s, problem["code"].as_str()), (422, Some("bad_move_open_tasks_to")));
    let (s, problem) = put_org(&app, "?move_open_tasks_to=person:T0102", without.clone()).await;
    assert_eq!((s, problem["code"].as_str()), (422, Some("unknown_person")), "not to someone who leaves");
    // back to the step's selector, resolved on the new org: the new League secretary
    let (s, body) = put_org(&app, "?move_open_tasks_to=selector", without.clone()).await;
    assert_eq!(s, 200, "{body}");
    let r = app.request(&id).await;
    assert_eq!(open_task(&r, "league_review")["assignee"], "T0199", "{r}");
    assert_eq!(r["open_tasks"].as_array().unwrap().iter().filter(|t| t["step"] == "league_review").count(), 1);
    // the person who left: token and session stop working
    assert_eq!(app.get(&league, "/api/v1/tasks").await.0, 401);
    assert_eq!(page(id.clone()).await.unwrap().status(), 401);
    // to a named person: T0199 leaves again (the original file), their task goes to the counselor
    let (s, body) = put_org(&app, &format!("?move_open_tasks_to=person:{}", dp::CS_COUNSELOR_2023), yaml.clone()).await;
    assert_eq!(s, 200, "{body}");
    let r = app.request(&id).await;
    assert_eq!(open_task(&r, "league_review")["assignee"], dp::CS_COUNSELOR_2023, "{r}");
    assert_eq!(
        app.get(&league, "/api/v1/tasks").await.0,
        401,
        "a revoked token stays revoked when the person comes back"
    );
    let counselor = app.token_for(dp::CS_COUNSELOR_2023).await;
    let n = open_task(&r, "league_review")["task"].as_u64().unwrap();
    let (s, b) = app
        .post(&counselor, &format!("/api/v1/requests/{id}/tasks/{n}/decision"), json!({ "decision": "approve" }))
        .await;
    assert_eq!(s, 200, "{b}");
    app.stop().await;
}

#[tokio::test]
async fn removing_people_with_open_tasks_says_where_the_tasks_go_on_sqlite() {
    removing_people_with_open_tasks(Backend::Sqlite).await;
}

#[tokio::test]
async fn removing_people_with_open_tasks_says_where_the_tasks_go_on_postgres() {
    removing_people_with_open_tasks(Backend::Postgres).await;
}

/// A school project offered to the CS department SU: its first task (`department_accepts`) is the
/// CS SU president's, through the post `department_su@cs/president`.
async fn undertaking(app: &TestApp) -> (String, u64) {
    let school = app.token_for(dp::SCHOOL_SU_PRESIDENT).await;
    let day = chrono::Utc::now().date_naive() + chrono::Duration::days(90);
    let form = json!({ "title": "校园十佳歌手大赛", "department": "cs", "event_date": day.to_string(), "plan": "初赛、复赛、决赛三轮。" });
    let r = app.submit(&school, "activity_undertaking", form).await;
    let id = r["id"].as_str().unwrap().to_string();
    let t = open_task(&r, "department_accepts");
    assert_eq!(t["assignee"], dp::CS_SU_PRESIDENT, "{r}");
    (id, t["task"].as_u64().unwrap())
}

/// The org as exported, changed by `edit`, as an org file.
async fn edited_org(app: &TestApp, edit: impl FnOnce(&mut workflows::org::Org)) -> String {
    let mut org = workflows::org::file::load_org(&app.org_yaml().await).expect("the export loads");
    edit(&mut org);
    workflows::org::file::dump_org(&org)
}

/// The text part of the `nth` mail to `to` whose subject starts with `tag` (memory transport).
async fn mail_text(app: &TestApp, to: &str, tag: &str, nth: usize) -> String {
    let pick = |sent: &[lettre::Message]| -> Vec<String> {
        sent.iter()
            .filter(|m| m.envelope().to().iter().any(|a| a.to_string() == to))
            .filter_map(|m| {
                let raw = m.formatted();
                let p = mail_parser::MessageParser::default().parse(&raw)?;
                p.subject().is_some_and(|s| s.starts_with(tag)).then(|| p.body_text(0).unwrap_or_default().to_string())
            })
            .collect()
    };
    let sent = app.wait_for_mail(|s| pick(s).len() > nth).await;
    pick(&sent).swap_remove(nth)
}

/// The path of the mail's one-click link for `action`.
fn action_link(text: &str, action: &str) -> String {
    let start = text.find("/a/").unwrap_or_else(|| panic!("no action link in:\n{text}"));
    let rest = &text[start..];
    let suffix = format!("?do={action}");
    rest.split_whitespace()
        .map(|w| w.split(['"', '<', '>', ')', '）']).next().unwrap_or_default())
        .find(|w| w.starts_with("/a/") && w.ends_with(&suffix))
        .or_else(|| {
            text.split_whitespace().filter_map(|w| w.find("/a/").map(|i| &w[i..])).find(|w| w.ends_with(&suffix))
        })
        .unwrap_or_else(|| panic!("no {action} link in:\n{text}"))
        .to_string()
}

/// The old holder's link: it shows why the task is gone and has no form to decide with; a POST
/// decides nothing.
async fn link_is_dead(app: &TestApp, path: &str) {
    let r = app.http.get(format!("{}{path}", app.base)).send().await.unwrap();
    let status = r.status().as_u16();
    let page = r.text().await.unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("审批人的任职已结束") && !page.contains("name=\"csrf\""), "{page}");
    let r = app.http.post(format!("{}{path}", app.base)).form(&[("decision", "approve")]).send().await.unwrap();
    assert!(r.status().is_client_error(), "a dead link decides nothing: {}", r.status());
}

fn mail_of(person: &str) -> String {
    format!("{person}@stu.nanyue.edu.cn")
}

/// (a) An import that gives the CS SU presidency to the vice-president, while the old president
/// stays (as vice-president): refused with the task listed; told `selector`, the new president
/// holds the task and the old president's link no longer decides.
async fn an_import_that_ends_a_post(backend: Backend) {
    let app = spawn(backend, "post_import").await;
    let (id, n) = undertaking(&app).await;
    let old_link = action_link(&mail_text(&app, &mail_of(dp::CS_SU_PRESIDENT), "【待审批】", 0).await, "approve");
    let yaml = app.org_yaml().await;
    let swapped = edited_org(&app, |org| {
        for p in org.posts.iter_mut().filter(|p| p.body == "department_su@cs") {
            if p.person == dp::CS_SU_PRESIDENT && p.role == workflows::catalog::Role::President {
                p.person = dp::CS_SU_VICE_PRESIDENT.into();
            } else if p.person == dp::CS_SU_VICE_PRESIDENT && p.role == workflows::catalog::Role::VicePresident {
                p.person = dp::CS_SU_PRESIDENT.into();
            }
        }
    })
    .await;
    let (s, problem) = put_org(&app, "", swapped.clone()).await;
    assert_eq!((s, problem["code"].as_str()), (422, Some("open_tasks_of_removed_people")), "{problem}");
    assert!(problem["detail"].as_str().unwrap_or_default().contains("post ended"), "{problem}");
    let listed = problem["errors"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["code"], "post_ended");
    assert_eq!(listed[0]["field"], format!("requests/{id}/tasks/{n}"));
    let msg = listed[0]["message"].as_str().unwrap();
    assert!(
        msg.contains(&id)
            && msg.contains("department_accepts")
            && msg.contains(dp::CS_SU_PRESIDENT)
            && msg.contains("department_su@cs/president"),
        "{msg}"
    );
    assert_eq!(app.org_yaml().await, yaml, "nothing was imported");
    assert_eq!(open_task(&app.request(&id).await, "department_accepts")["assignee"], dp::CS_SU_PRESIDENT);
    // the step's selector on the new org: the new president
    let (s, body) = put_org(&app, "?move_open_tasks_to=selector", swapped).await;
    assert_eq!(s, 200, "{body}");
    let r = app.request(&id).await;
    let tasks: Vec<&Value> =
        r["open_tasks"].as_array().unwrap().iter().filter(|t| t["step"] == "department_accepts").collect();
    assert_eq!(tasks.len(), 1, "{r}");
    assert_eq!(tasks[0]["assignee"], dp::CS_SU_VICE_PRESIDENT, "{r}");
    // the new president got the task mail; the old one's link is dead
    task_mail_queued(&app, &id, tasks[0]["task"].as_u64().unwrap(), dp::CS_SU_VICE_PRESIDENT).await;
    link_is_dead(&app, &old_link).await;
    let (_, events) = app.get(&app.admin_token, &format!("/api/v1/requests/{id}/events")).await;
    let cancelled = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"]["type"] == "task_cancelled" && e["kind"]["task"] == n)
        .unwrap_or_else(|| panic!("{events}"))
        .clone();
    assert_eq!(
        (cancelled["kind"]["reason"].as_str(), cancelled["actor"]["type"].as_str()),
        (Some("post_ended"), Some("system")),
        "{cancelled}"
    );
    // the old president cannot decide it, the new one can
    let old = app.token_for(dp::CS_SU_PRESIDENT).await;
    let new = app.token_for(dp::CS_SU_VICE_PRESIDENT).await;
    let m = tasks[0]["task"].as_u64().unwrap();
    let decide = format!("/api/v1/requests/{id}/tasks/{m}/decision");
    let (s, _) = app.post(&old, &decide, json!({ "decision": "approve" })).await;
    assert!(s == 403 || s == 404, "the old president: {s}");
    let (s, b) = app.post(&new, &decide, json!({ "decision": "approve" })).await;
    assert_eq!(s, 200, "{b}");
    app.stop().await;
}

#[tokio::test]
async fn an_import_that_gives_a_post_to_someone_else_moves_its_tasks_on_sqlite() {
    an_import_that_ends_a_post(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_import_that_gives_a_post_to_someone_else_moves_its_tasks_on_postgres() {
    an_import_that_ends_a_post(Backend::Postgres).await;
}

/// The CS SU presidency ends today (`to:`) and the vice-president's starts tomorrow: the import
/// moves nothing (the post still holds today).
async fn presidency_handed_over_tomorrow(app: &TestApp) {
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let yaml = edited_org(app, |org| {
        let i = org
            .posts
            .iter()
            .position(|p| p.body == "department_su@cs" && p.role == workflows::catalog::Role::President)
            .expect("a CS SU president");
        org.posts[i].to = Some(today);
        let mut next = org.posts[i].clone();
        next.person = dp::CS_SU_VICE_PRESIDENT.into();
        next.from = today + chrono::Duration::days(1);
        next.to = None;
        org.posts.push(next);
    })
    .await;
    let (s, body) = put_org(app, "", yaml).await;
    assert_eq!(s, 200, "the post holds today: nothing to move yet: {body}");
}

/// (b) A post whose `to:` date has passed: the daily check (here the look a daemon takes at
/// start, and two more by hand) gives its task to the post's successor, the old holder's link
/// dies, the successor gets the task mail; nothing moves twice.
async fn a_posts_end_date_passing(backend: Backend) {
    let app = spawn(backend, "post_ends").await;
    let (id, n) = undertaking(&app).await;
    let old_link = action_link(&mail_text(&app, &mail_of(dp::CS_SU_PRESIDENT), "【待审批】", 0).await, "approve");
    presidency_handed_over_tomorrow(&app).await;
    assert_eq!(daemon::jobs::posts::on(&app.app, chrono::Utc::now()).await.unwrap(), 0, "today the post holds");
    assert_eq!(open_task(&app.request(&id).await, "department_accepts")["assignee"], dp::CS_SU_PRESIDENT);
    // Days later: the presidency ended yesterday and the successor's began today (the org as that
    // import left it, written straight to the database); a daemon started now looks at once.
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let mut org = workflows::org::file::load_org(&app.org_yaml().await).expect("the export loads");
    for p in
        org.posts.iter_mut().filter(|p| p.body == "department_su@cs" && p.role == workflows::catalog::Role::President)
    {
        if p.person == dp::CS_SU_PRESIDENT {
            p.to = Some(today - chrono::Duration::days(1));
        } else {
            p.from = today;
        }
    }
    entities::store::org::replace_org(&app.app.db, &org, |_, _| {}).await.unwrap();
    let other = liandong_tests::spawn_beside(&app).await;
    // and by hand, at the same time, twice
    let (a, b) = tokio::join!(
        daemon::jobs::posts::on(&other.app, chrono::Utc::now()),
        daemon::jobs::posts::on(&other.app, chrono::Utc::now())
    );
    assert!(a.unwrap() + b.unwrap() <= 1);
    let mut r = app.request(&id).await;
    for _ in 0..1200 {
        if open_task(&r, "department_accepts")["assignee"] == dp::CS_SU_VICE_PRESIDENT {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        r = app.request(&id).await;
    }
    let tasks: Vec<&Value> =
        r["open_tasks"].as_array().unwrap().iter().filter(|t| t["step"] == "department_accepts").collect();
    assert_eq!(tasks.len(), 1, "{r}");
    assert_eq!(tasks[0]["assignee"], dp::CS_SU_VICE_PRESIDENT, "the successor holds it: {r}");
    let events = format!("SELECT COUNT(*) AS n FROM events WHERE request_id = '{id}'");
    let before = app.count(&events).await;
    assert_eq!(daemon::jobs::posts::on(&other.app, chrono::Utc::now()).await.unwrap(), 0, "again: nothing");
    assert_eq!(app.count(&events).await, before);
    let (_, evs) = app.get(&app.admin_token, &format!("/api/v1/requests/{id}/events")).await;
    let moves: Vec<&Value> = evs.as_array().unwrap().iter().filter(|e| e["kind"]["type"] == "task_cancelled").collect();
    assert_eq!(moves.len(), 1, "moved once: {evs}");
    assert_eq!(
        (&moves[0]["kind"]["task"], moves[0]["kind"]["reason"].as_str(), moves[0]["actor"]["type"].as_str()),
        (&json!(n), Some("post_ended"), Some("system"))
    );
    link_is_dead(&app, &old_link).await;
    task_mail_queued(&app, &id, tasks[0]["task"].as_u64().unwrap(), dp::CS_SU_VICE_PRESIDENT).await;
    other.stop().await;
    app.stop().await;
}

/// The new holder's task mail (【待审批】) was queued with the move, in its transaction (the mail
/// tests follow such a row to the inbox).
async fn task_mail_queued(app: &TestApp, request: &str, task: u64, to: &str) {
    let sql = format!(
        "SELECT COUNT(*) AS n FROM outbox WHERE request_id = '{request}' AND task_no = {task} \
         AND recipient = '{to}' AND template = 'task_assigned'"
    );
    assert_eq!(app.count(&sql).await, 1, "the task mail to {to}");
}

#[tokio::test]
async fn a_posts_end_date_passing_moves_its_tasks_to_the_successor_once_on_sqlite() {
    a_posts_end_date_passing(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_posts_end_date_passing_moves_its_tasks_to_the_successor_once_on_postgres() {
    a_posts_end_date_passing(Backend::Postgres).await;
}

/// (c) A task given by transfer stays with its receiver when the receiver's (unrelated) post
/// ends: no post made them its reviewer.
async fn a_transferred_task_stays(backend: Backend) {
    let app = spawn(backend, "post_transfer").await;
    let (id, n) = undertaking(&app).await;
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let (s, b) = app
        .post(
            &president,
            &format!("/api/v1/requests/{id}/tasks/{n}/transfer"),
            json!({ "to": dp::RIGHTS_DIVISION_HEAD }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let r = app.request(&id).await;
    assert_eq!(open_task(&r, "department_accepts")["assignee"], dp::RIGHTS_DIVISION_HEAD, "{r}");
    // the receiver's school SU post ends today; the CS presidency moves on tomorrow too
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let yaml = edited_org(&app, |org| {
        for p in org.posts.iter_mut().filter(|p| p.person == dp::RIGHTS_DIVISION_HEAD) {
            p.to = Some(today);
        }
    })
    .await;
    let (s, body) = put_org(&app, "", yaml).await;
    assert_eq!(s, 200, "{body}");
    presidency_handed_over_tomorrow(&app).await;
    let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
    assert_eq!(daemon::jobs::posts::on(&app.app, tomorrow).await.unwrap(), 0);
    let after = app.request(&id).await;
    assert_eq!(open_task(&after, "department_accepts")["assignee"], dp::RIGHTS_DIVISION_HEAD, "{after}");
    assert_eq!(after["open_tasks"], r["open_tasks"], "nothing moved");
    app.stop().await;
}

#[tokio::test]
async fn a_transferred_task_stays_when_the_receivers_post_ends_on_sqlite() {
    a_transferred_task_stays(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_transferred_task_stays_when_the_receivers_post_ends_on_postgres() {
    a_transferred_task_stays(Backend::Postgres).await;
}
