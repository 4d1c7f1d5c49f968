//! The workflow's own rules over HTTP (issue 10): the submitter cannot be handed their own task
//! by a transfer or an added reviewer, and a request resubmitted with a sensitive form becomes
//! need-to-know (and takes the new title) — on SQLite and on PostgreSQL.

use liandong_tests::{Backend, TestApp, spawn};
use serde_json::{Value, json};
use workflows::org::generate::demo_people as dp;

fn m1_form(matter: &str, title: &str) -> Value {
    json!({ "kind": "report", "matter_type": matter, "title": title, "body": "情况说明。" })
}

/// The open task of `step` on request `id`: (task number, assignee).
async fn open_task(app: &TestApp, id: &str, step: &str) -> (u64, String) {
    let req = app.request(id).await;
    let t = req["open_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["step"] == step)
        .unwrap_or_else(|| panic!("no open task at {step}: {req}"))
        .clone();
    (t["task"].as_u64().unwrap(), t["assignee"].as_str().unwrap().to_string())
}

async fn the_submitter_is_never_handed_their_own_request(backend: Backend) {
    let app = spawn(backend, "selfapp").await;
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let r = app.submit(&president, "major_matter_report", m1_form("reform_progress", "改革推进情况的报告")).await;
    let id = r["id"].as_str().unwrap().to_string();
    let (task, secretary) = open_task(&app, &id, "league_review").await;
    let secretary = app.token_for(&secretary).await;
    for (path, body) in [
        (format!("/api/v1/requests/{id}/tasks/{task}/transfer"), json!({ "to": dp::CS_SU_PRESIDENT })),
        (format!("/api/v1/requests/{id}/tasks/{task}/reviewers"), json!({ "person": dp::CS_SU_PRESIDENT })),
    ] {
        for token in [&secretary, &app.admin_token] {
            let (status, body) = app.post(token, &path, body.clone()).await;
            assert_eq!((status, body["code"].as_str()), (409, Some("self_approval_forbidden")), "{path}: {body}");
            assert!(body["detail"].as_str().unwrap_or_default().contains("self_approval"), "{body}");
        }
    }
    // nothing changed: the task is still the secretary's, and the submitter has no task
    let (_, req) = app.get(&president, &format!("/api/v1/requests/{id}")).await;
    assert!(req["open_tasks"].as_array().unwrap().iter().all(|t| t["assignee"] != dp::CS_SU_PRESIDENT), "{req}");
    assert_eq!(open_task(&app, &id, "league_review").await.0, task);
    app.stop().await;
}

#[tokio::test]
async fn the_submitter_is_never_handed_their_own_request_on_sqlite() {
    the_submitter_is_never_handed_their_own_request(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_submitter_is_never_handed_their_own_request_on_postgres() {
    the_submitter_is_never_handed_their_own_request(Backend::Postgres).await;
}

async fn a_sensitive_resubmission_becomes_need_to_know(backend: Backend) {
    let app = spawn(backend, "ntk").await;
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let outsider = app.token_for(dp::CS_PARTY_SECRETARY).await;
    let r = app.submit(&president, "major_matter_report", m1_form("reform_progress", "改革推进情况的报告")).await;
    let id = r["id"].as_str().unwrap().to_string();
    let (status, _) = app.get(&outsider, &format!("/api/v1/requests/{id}")).await;
    assert_eq!(status, 200, "an ordinary request is visible to the org");
    // returned, then resubmitted as a major violation (need-to-know) with a new title
    let (task, secretary) = open_task(&app, &id, "league_review").await;
    let secretary = app.token_for(&secretary).await;
    let (status, body) = app
        .post(
            &secretary,
            &format!("/api/v1/requests/{id}/tasks/{task}/decision"),
            json!({ "decision": "return", "comment": "请如实报告" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let form = m1_form("major_violation_handling", "关于重大违纪处理情况的报告");
    let (status, r) = app.post(&president, &format!("/api/v1/requests/{id}/resubmit"), json!({ "form": form })).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        (r["title"].as_str(), r["need_to_know"].as_bool()),
        (Some("关于重大违纪处理情况的报告"), Some(true)),
        "{r}"
    );
    // someone not on its path no longer sees it, by id or in a list
    let (status, body) = app.get(&outsider, &format!("/api/v1/requests/{id}")).await;
    assert_eq!(status, 404, "{body}");
    let (_, list) = app.get(&president, "/api/v1/requests").await;
    let row = list["items"].as_array().unwrap().iter().find(|i| i["id"] == id.as_str()).cloned().unwrap();
    assert_eq!(row["title"], "关于重大违纪处理情况的报告", "the list shows the new title");
    // the reviewer on the path still sees it
    let (status, _) = app.get(&secretary, &format!("/api/v1/requests/{id}")).await;
    assert_eq!(status, 200);
    app.stop().await;
}

#[tokio::test]
async fn a_sensitive_resubmission_becomes_need_to_know_on_sqlite() {
    a_sensitive_resubmission_becomes_need_to_know(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_sensitive_resubmission_becomes_need_to_know_on_postgres() {
    a_sensitive_resubmission_becomes_need_to_know(Backend::Postgres).await;
}
