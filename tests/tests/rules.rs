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
        ("/metrics", "get", &["200", "401"][..]),
    ] {
        for s in statuses {
            assert!(doc["paths"][path][method]["responses"].get(*s).is_some(), "{method} {path} documents {s}");
        }
    }
    app.stop().await;
}
