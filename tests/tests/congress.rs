//! The congress gate (issue 11 requirements 4 and 6), end to end over HTTP on SQLite and
//! PostgreSQL: convening the school student congress (`student_congress`) is refused with 422
//! `guard_blocked` naming the department SU that has not finished this year's term transition;
//! once that department's `term_transition` is submitted and approved by its college League
//! secretary, the congress is submitted. The school League committee (校团委) may submit it anyway
//! with a recorded reason; a school SU member may not (403), and an empty reason is 422.

use chrono::{NaiveDate, Utc};
use liandong_tests::{Backend, TestApp, spawn};
use serde_json::{Value, json};
use workflows::org::generate::{demo_directory, demo_people as dp};

fn today() -> NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

fn congress_form() -> Value {
    json!({ "title": "关于召开南粤示例大学第十次学生代表大会的请示", "session": 10,
            "congress_date": (today() + chrono::Duration::days(60)).to_string(), "delegates": 40,
            "delegates_without_posts": 28, "agenda": "一、听取校学生会工作报告；二、选举新一届主席团。" })
}

fn congress(reason: Option<&str>) -> Value {
    match reason {
        None => json!({ "workflow": "student_congress", "form": congress_form() }),
        Some(r) => {
            json!({ "workflow": "student_congress", "form": congress_form(), "guard_override": { "reason": r } })
        }
    }
}

/// The department codes of the demo university.
fn departments() -> Vec<String> {
    demo_directory().org().departments.iter().map(|d| d.code.clone()).collect()
}

/// Decides every open task of request `id` as its assignee until it is finished.
async fn approve_all(app: &TestApp, id: &str) -> Value {
    for _ in 0..20 {
        let req = app.request(id).await;
        let Some(t) = req["open_tasks"].as_array().unwrap().first().cloned() else { return req };
        let token = app.token_for(t["assignee"].as_str().unwrap()).await;
        let (status, body) = app
            .post(
                &token,
                &format!("/api/v1/requests/{id}/tasks/{}/decision", t["task"]),
                json!({ "decision": "approve" }),
            )
            .await;
        assert_eq!(status, 200, "{}: {body}", t["step"]);
    }
    panic!("request {id} did not finish")
}

/// The department SU of `dept` reports its term transition, effective today, and its college
/// League org approves it: the transition is recorded for this academic year.
async fn finish_term_transition(app: &TestApp, dept: &str) -> String {
    let (status, posts) = app.get(&app.admin_token, &format!("/api/v1/org/posts?body=department_su@{dept}")).await;
    assert_eq!(status, 200, "{posts}");
    let president = posts["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["role"] == "president")
        .and_then(|p| p["person"].as_str())
        .unwrap_or_else(|| panic!("{dept} has a president: {posts}"))
        .to_string();
    let token = app.token_for(&president).await;
    let day = today().to_string();
    let form = json!({ "title": format!("{dept}学生会换届"), "transition_date": day, "congress_held": day,
                       "report": "学生代表大会选举产生新一届主席团。",
                       "cohort": [{ "person": president, "role": "president" }] });
    let r = app.submit(&token, "term_transition", form).await;
    let id = r["id"].as_str().unwrap().to_string();
    let done = approve_all(app, &id).await;
    assert_eq!(done["status"], "approved", "{done}");
    id
}

async fn requests_stored(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) AS n FROM requests").await
}

async fn post_raw(app: &TestApp, token: &str, body: Value) -> (u16, String, Value) {
    let r = app.http.post(format!("{}/api/v1/requests", app.base)).bearer_auth(token).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, ct, r.json().await.unwrap_or(Value::Null))
}

async fn the_missing_term_transition_blocks_the_congress_until_it_is_recorded(backend: Backend) {
    let app = spawn(backend, "congress_gate").await;
    // given every department SU but art's has finished this year's term transition
    for d in departments().iter().filter(|d| *d != "art") {
        finish_term_transition(&app, d).await;
    }
    let (_, found) = app.get(&app.admin_token, "/api/v1/compliance?severity=block").await;
    let missing: Vec<&str> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "m3_term_transition_missing")
        .map(|f| f["subject"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(missing, ["art"], "{found}");
    // when the school SU secretary-general submits the congress
    let sg = app.token_for(dp::SCHOOL_SU_SECRETARY_GENERAL).await;
    let before = requests_stored(&app).await;
    let (status, ct, p) = post_raw(&app, &sg, congress(None)).await;
    // then it is refused, naming the art department SU, and nothing is stored
    assert_eq!((status, p["code"].as_str()), (422, Some("guard_blocked")), "{p}");
    assert!(ct.starts_with("application/problem+json"), "{ct}");
    assert_eq!(p["detail"], "以下院系学生会尚未完成本学年换届，校级学生代表大会暂不能召开：艺术学院学生会", "{p}");
    assert!(p["message"]["en"].as_str().unwrap().ends_with(": 艺术学院学生会"), "{p}");
    let findings = p["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{p}");
    assert_eq!(findings[0]["code"], "m3_term_transition_missing");
    assert_eq!(findings[0]["severity"], "block");
    assert_eq!(findings[0]["subject"], json!({ "kind": "department", "id": "art", "name": "艺术学院学生会" }));
    assert_eq!(p["errors"][0]["field"], "guards", "{p}");
    assert_eq!(p["errors"][0]["code"], "m3_term_transition_missing", "{p}");
    assert!(p["errors"][0]["message"].as_str().unwrap().starts_with("艺术学院学生会："), "{p}");
    assert_eq!(requests_stored(&app).await, before, "a refused submission stores nothing");
    // when art's term transition is submitted and its college League secretary approves it
    let art = finish_term_transition(&app, "art").await;
    let (_, list) = app.get(&app.admin_token, "/api/v1/records/term_transitions?department=art").await;
    assert_eq!(list["items"][0]["request"], art.as_str(), "{list}");
    // then the congress is submitted, and the school SU president is asked first
    let (status, ct, r) = post_raw(&app, &sg, congress(None)).await;
    assert_eq!(status, 201, "{r}");
    assert!(ct.starts_with("application/json"), "{ct}");
    assert_eq!((r["workflow"].as_str(), r["status"].as_str()), (Some("student_congress"), Some("running")));
    assert_eq!(r["open_tasks"][0]["step"], "su_president_approve");
    assert_eq!(r["open_tasks"][0]["assignee"], dp::SCHOOL_SU_PRESIDENT);
    let (_, events) =
        app.get(&app.admin_token, &format!("/api/v1/requests/{}/events", r["id"].as_str().unwrap())).await;
    assert!(events.as_array().unwrap().iter().all(|e| e["kind"]["type"] != "guard_overridden"), "{events}");
    // and it runs to its end: the president, then the school League committee approve
    let done = approve_all(&app, r["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "approved", "{done}");
    app.stop().await;
}

#[tokio::test]
async fn the_missing_term_transition_blocks_the_congress_until_it_is_recorded_on_sqlite() {
    the_missing_term_transition_blocks_the_congress_until_it_is_recorded(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_missing_term_transition_blocks_the_congress_until_it_is_recorded_on_postgres() {
    the_missing_term_transition_blocks_the_congress_until_it_is_recorded(Backend::Postgres).await;
}

async fn the_league_committee_overrides_with_a_reason_a_school_su_member_may_not(backend: Backend) {
    let app = spawn(backend, "congress_override").await;
    // given no department SU has recorded this year's term transition
    let before = requests_stored(&app).await;
    // a school SU member who asks to override: 403, nothing stored
    for person in [dp::SCHOOL_SU_PRESIDENT, dp::SCHOOL_SU_SECRETARY_GENERAL] {
        let token = app.token_for(person).await;
        let (status, ct, p) = post_raw(&app, &token, congress(Some("时间紧，先开会"))).await;
        assert_eq!((status, p["code"].as_str()), (403, Some("guard_override_forbidden")), "{person}: {p}");
        assert!(ct.starts_with("application/problem+json"), "{ct}");
        assert!(p["detail"].as_str().unwrap().contains("艺术学院学生会"), "{p}");
    }
    // the League committee's secretary with an empty reason: 422 naming the field
    let league = app.token_for(dp::LEAGUE_COMMITTEE_SECRETARY).await;
    for reason in ["", "  "] {
        let (status, _, p) = post_raw(&app, &league, congress(Some(reason))).await;
        assert_eq!((status, p["code"].as_str()), (422, Some("invalid_guard_override")), "{p}");
        assert_eq!(
            (p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()),
            (Some("guard_override.reason"), Some("required"))
        );
    }
    // without an override the League committee is refused like anyone, naming every department
    let (status, _, p) = post_raw(&app, &league, congress(None)).await;
    assert_eq!((status, p["code"].as_str()), (422, Some("guard_blocked")), "{p}");
    let mut named: Vec<&str> =
        p["findings"].as_array().unwrap().iter().map(|f| f["subject"]["id"].as_str().unwrap()).collect();
    named.sort();
    let mut all = departments();
    all.sort();
    assert_eq!(named, all, "{p}");
    assert_eq!(requests_stored(&app).await, before, "nothing stored by the refusals");
    // when the secretary overrides with a reason
    let reason = "各院系换届大会均已定于下周召开，经校团委研究同意先行召开学代会";
    let (status, _, r) = post_raw(&app, &league, congress(Some(reason))).await;
    // then the congress is submitted, and the override is on its history with the reason and
    // what was overridden
    assert_eq!(status, 201, "{r}");
    let id = r["id"].as_str().unwrap();
    assert_eq!(r["open_tasks"][0]["assignee"], dp::SCHOOL_SU_PRESIDENT, "{r}");
    let (status, events) = app.get(&app.admin_token, &format!("/api/v1/requests/{id}/events")).await;
    assert_eq!(status, 200);
    let overrides: Vec<&Value> =
        events.as_array().unwrap().iter().filter(|e| e["kind"]["type"] == "guard_overridden").collect();
    assert_eq!(overrides.len(), 1, "{events}");
    let o = overrides[0];
    assert_eq!(o["actor"]["id"], dp::LEAGUE_COMMITTEE_SECRETARY, "{o}");
    assert_eq!(o["kind"]["reason"], reason, "{o}");
    let subjects = o["kind"]["findings"].as_array().unwrap();
    assert_eq!(subjects.len(), all.len(), "{o}");
    assert!(subjects.iter().any(|f| f["subject"]["name"] == "艺术学院学生会"), "{o}");
    assert_eq!(events[0]["kind"]["type"], "submitted", "the submission comes first: {events}");
    // the school SU president, asked next, sees it on the request's history too
    let president = app.token_for(dp::SCHOOL_SU_PRESIDENT).await;
    let (status, seen) = app.get(&president, &format!("/api/v1/requests/{id}/events")).await;
    assert_eq!(status, 200, "{seen}");
    assert!(seen.as_array().unwrap().iter().any(|e| e["kind"]["reason"] == reason), "{seen}");
    app.stop().await;
}

#[tokio::test]
async fn the_league_committee_overrides_with_a_reason_a_school_su_member_may_not_on_sqlite() {
    the_league_committee_overrides_with_a_reason_a_school_su_member_may_not(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_league_committee_overrides_with_a_reason_a_school_su_member_may_not_on_postgres() {
    the_league_committee_overrides_with_a_reason_a_school_su_member_may_not(Backend::Postgres).await;
}

/// A congress returned to its submitter goes through the same guard when it is sent again: the
/// League committee's secretary, who overrode the gate at submit, is refused (422
/// `guard_blocked`, the request stays returned) until they override again with a reason, which
/// the history records a second time.
async fn a_resubmitted_congress_meets_the_guard_again(backend: Backend) {
    let app = spawn(backend, "congress_resubmit").await;
    // given the secretary submitted the congress over the gate, and the school SU president
    // returned it to them
    let league = app.token_for(dp::LEAGUE_COMMITTEE_SECRETARY).await;
    let (status, _, r) = post_raw(&app, &league, congress(Some("校团委同意先行筹备"))).await;
    assert_eq!(status, 201, "{r}");
    let id = r["id"].as_str().unwrap().to_string();
    let president = app.token_for(dp::SCHOOL_SU_PRESIDENT).await;
    let task = r["open_tasks"][0]["task"].as_u64().unwrap();
    let (status, r) = app
        .post(
            &president,
            &format!("/api/v1/requests/{id}/tasks/{task}/decision"),
            json!({ "decision": "return", "comment": "请补充议程" }),
        )
        .await;
    assert_eq!((status, r["status"].as_str()), (200, Some("returned")), "{r}");
    let resubmit = format!("/api/v1/requests/{id}/resubmit");
    let mut form = congress_form();
    form["agenda"] = json!("一、听取校学生会工作报告；二、审议提案工作报告；三、选举新一届主席团。");
    // when they resubmit without an override: refused, naming the departments; still returned
    let (status, p) = app.post(&league, &resubmit, json!({ "form": form })).await;
    assert_eq!((status, p["code"].as_str()), (422, Some("guard_blocked")), "{p}");
    assert!(p["detail"].as_str().unwrap().contains("艺术学院学生会"), "{p}");
    // an empty reason: 422 naming the field
    let (status, p) = app.post(&league, &resubmit, json!({ "form": form, "guard_override": { "reason": " " } })).await;
    assert_eq!((status, p["code"].as_str()), (422, Some("invalid_guard_override")), "{p}");
    assert_eq!(app.request(&id).await["status"], "returned");
    let before = app.get(&app.admin_token, &format!("/api/v1/requests/{id}/events")).await.1;
    // then with a reason it goes again to the president, and the override is on the history
    let reason = "议程已补充，换届大会均定于下周召开";
    let (status, r) =
        app.post(&league, &resubmit, json!({ "form": form, "guard_override": { "reason": reason } })).await;
    assert_eq!((status, r["status"].as_str()), (200, Some("running")), "{r}");
    assert_eq!(r["open_tasks"][0]["assignee"], dp::SCHOOL_SU_PRESIDENT, "{r}");
    let (_, events) = app.get(&app.admin_token, &format!("/api/v1/requests/{id}/events")).await;
    let events = events.as_array().unwrap();
    let new = &events[before.as_array().unwrap().len()..];
    assert_eq!(new[0]["kind"]["type"], "resubmitted", "{new:?}");
    assert_eq!(new[1]["kind"]["type"], "guard_overridden", "{new:?}");
    assert_eq!(new[1]["kind"]["reason"], reason);
    assert_eq!(new[1]["actor"]["id"], dp::LEAGUE_COMMITTEE_SECRETARY);
    assert!(new[1]["kind"]["findings"].as_array().unwrap().iter().any(|f| f["subject"]["name"] == "艺术学院学生会"));
    app.stop().await;
}

#[tokio::test]
async fn a_resubmitted_congress_meets_the_guard_again_on_sqlite() {
    a_resubmitted_congress_meets_the_guard_again(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_resubmitted_congress_meets_the_guard_again_on_postgres() {
    a_resubmitted_congress_meets_the_guard_again(Backend::Postgres).await;
}
