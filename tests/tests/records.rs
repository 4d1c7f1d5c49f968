//! Outcomes write the policy's records (issue 11), end to end over HTTP on SQLite and
//! PostgreSQL: an approved staff selection appoints (the post shows in the org) and starts the
//! new staff member's onboarding, whose acknowledgement records it done; a term transition ends
//! the old cohort's posts and records the transition; a liaison assignment replaces the
//! liaisons; an acknowledged training report records the session with its attendees; a
//! rejected request writes nothing.

use chrono::{Months, NaiveDate, Utc};
use liandong_tests::{Backend, TestApp, spawn};
use serde_json::{Value, json};
use workflows::org::generate::demo_people as dp;

/// A CS student who holds no post in the demo.
const CANDIDATE: &str = "2023010215";

fn today() -> NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

/// Decides every open task of request `id` as its assignee (approve, or acknowledge) until the
/// request is finished, or only tasks of `stop_at` are left; returns the request.
async fn approve_all(app: &TestApp, id: &str, stop_at: Option<&str>) -> Value {
    for _ in 0..40 {
        let req = app.request(id).await;
        let next = req["open_tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| Some(t["step"].as_str().unwrap()) != stop_at)
            .cloned();
        let Some(t) = next else { return req };
        let token = app.token_for(t["assignee"].as_str().unwrap()).await;
        let task = t["task"].as_u64().unwrap();
        let (status, body) = if t["kind"] == "acknowledge" {
            app.post(&token, &format!("/api/v1/requests/{id}/tasks/{task}/acknowledge"), json!({})).await
        } else {
            app.post(&token, &format!("/api/v1/requests/{id}/tasks/{task}/decision"), json!({ "decision": "approve" }))
                .await
        };
        assert_eq!(status, 200, "{}: {body}", t["step"]);
    }
    panic!("request {id} did not finish")
}

/// The first open task of `person` on a request of `workflow`.
async fn task_of(app: &TestApp, person: &str, workflow: &str) -> Option<(String, u64, Value)> {
    let token = app.token_for(person).await;
    let (_, tasks) = app.get(&token, "/api/v1/tasks").await;
    for t in tasks["items"].as_array().unwrap() {
        let id = t["request"].as_str().unwrap();
        let req = app.request(id).await;
        if req["workflow"] == workflow {
            return Some((id.to_string(), t["task"].as_u64().unwrap(), req));
        }
    }
    None
}

async fn posts_of(app: &TestApp, person: &str) -> Vec<Value> {
    let (status, r) = app.get(&app.admin_token, &format!("/api/v1/org/posts?person={person}")).await;
    assert_eq!(status, 200, "{r}");
    r["items"].as_array().unwrap().clone()
}

async fn an_approved_staff_selection_appoints_and_starts_onboarding(backend: Backend) {
    let app = spawn(backend, "appoint").await;
    let day = today();
    assert!(posts_of(&app, CANDIDATE).await.is_empty(), "the candidate holds no post yet");
    // given the CS department SU president recommends a candidate for the school SU, from today
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let form = json!({ "candidate": CANDIDATE, "candidate_name": "候选人", "position": "division_member",
                       "top_30_percent": true, "no_failed_courses": true, "class_cadre": true,
                       "reasons": "工作积极。", "appointment_date": day.to_string() });
    let r = app.submit(&president, "staff_selection", form).await;
    let id = r["id"].as_str().unwrap().to_string();
    // when every step approves (the public notice is approved by the secretary-general)
    let done = approve_all(&app, &id, None).await;
    assert_eq!(done["status"], "approved", "{done}");
    // then the candidate holds the post in the school SU from today
    let posts = posts_of(&app, CANDIDATE).await;
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(
        (&posts[0]["body"], &posts[0]["role"], &posts[0]["from"]),
        (&json!("school_su"), &json!("division_member"), &json!(day.to_string()))
    );
    assert!(app.org_yaml().await.contains(CANDIDATE), "the export has the post");
    // and an onboarding request waits for the candidate, due a month from the appointment day
    let (onboarding, task, req) = task_of(&app, CANDIDATE, "onboarding").await.expect("an onboarding task");
    assert_eq!(req["form"]["appointed_on"], day.to_string());
    assert_eq!(req["form"]["body"], "school_su");
    assert_eq!(req["submitter"], dp::SCHOOL_SU_PRESIDENT, "filed on behalf of the school SU president");
    let due: chrono::DateTime<Utc> = serde_json::from_value(req["open_tasks"][0]["due_at"].clone()).unwrap();
    let due_day = due.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    assert_eq!(due_day, day.checked_add_months(Months::new(1)).unwrap());
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM onboarding_records").await, 0);
    // when the new staff member acknowledges it
    let me = app.token_for(CANDIDATE).await;
    let (status, body) =
        app.post(&me, &format!("/api/v1/requests/{onboarding}/tasks/{task}/acknowledge"), json!({})).await;
    assert_eq!(status, 200, "{body}");
    // then the onboarding is recorded as done, for that post
    let (status, list) = app.get(&app.admin_token, &format!("/api/v1/records/onboarding?person={CANDIDATE}")).await;
    assert_eq!(status, 200, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!((&items[0]["appointed"], &items[0]["body"]), (&json!(day.to_string()), &json!("school_su")));
    // and deciding the finished request again writes nothing twice
    let (status, _) =
        app.post(&me, &format!("/api/v1/requests/{onboarding}/tasks/{task}/acknowledge"), json!({})).await;
    assert_eq!(status, 409);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM onboarding_records").await, 1);
    assert_eq!(posts_of(&app, CANDIDATE).await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn an_approved_staff_selection_appoints_and_starts_onboarding_on_sqlite() {
    an_approved_staff_selection_appoints_and_starts_onboarding(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_approved_staff_selection_appoints_and_starts_onboarding_on_postgres() {
    an_approved_staff_selection_appoints_and_starts_onboarding(Backend::Postgres).await;
}

async fn a_rejected_request_writes_nothing(backend: Backend) {
    let app = spawn(backend, "rejected").await;
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let form = json!({ "candidate": CANDIDATE, "candidate_name": "候选人", "role": "division_member",
                       "class_cadre": true, "appointment_date": today().to_string(), "reasons": "班委。" });
    let r = app.submit(&president, "department_staff_selection", form).await;
    let id = r["id"].as_str().unwrap();
    let req = app.request(id).await;
    let t = &req["open_tasks"][0];
    assert_eq!(t["step"], "league_approve", "a class cadre goes straight to the college League org");
    let league = app.token_for(t["assignee"].as_str().unwrap()).await;
    let (status, body) = app
        .post(&league, &format!("/api/v1/requests/{id}/tasks/{}/decision", t["task"]), json!({ "decision": "reject" }))
        .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("rejected")), "{body}");
    assert!(posts_of(&app, CANDIDATE).await.is_empty(), "no post");
    assert!(task_of(&app, CANDIDATE, "onboarding").await.is_none(), "no onboarding");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM requests WHERE key = 'onboarding'").await, 0);
    app.stop().await;
}

#[tokio::test]
async fn a_rejected_request_writes_nothing_on_sqlite() {
    a_rejected_request_writes_nothing(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_rejected_request_writes_nothing_on_postgres() {
    a_rejected_request_writes_nothing(Backend::Postgres).await;
}

async fn a_term_transition_ends_the_old_cohort(backend: Backend) {
    let app = spawn(backend, "transition").await;
    let day = today();
    let body_posts = |r: Value| r["items"].as_array().unwrap().clone();
    let (_, before) = app.get(&app.admin_token, "/api/v1/org/posts?body=department_su@cs").await;
    let before = body_posts(before);
    assert!(before.iter().any(|p| p["person"] == dp::CS_SU_PRESIDENT));
    // given the CS department SU reports its transition, taking effect today
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let form = json!({ "title": "计算机学院学生会换届", "transition_date": day.to_string(),
                       "congress_held": day.to_string(), "report": "第六次学生代表大会选举产生新一届。",
                       "cohort": [{ "person": CANDIDATE, "role": "president" },
                                  { "person": "2023010216", "role": "division_member", "division": "rights" }] });
    let r = app.submit(&president, "term_transition", form).await;
    let id = r["id"].as_str().unwrap().to_string();
    // when the college League org approves
    let done = approve_all(&app, &id, None).await;
    assert_eq!(done["status"], "approved", "{done}");
    // then only the new cohort holds posts in the CS department SU
    let (_, after) = app.get(&app.admin_token, "/api/v1/org/posts?body=department_su@cs").await;
    let mut holders: Vec<String> =
        body_posts(after).iter().map(|p| p["person"].as_str().unwrap().to_string()).collect();
    holders.sort();
    assert_eq!(holders, [CANDIDATE, "2023010216"]);
    assert!(posts_of(&app, dp::CS_SU_PRESIDENT).await.iter().all(|p| p["body"] != "department_su@cs"));
    // the transition is recorded for this academic year
    let (status, list) = app.get(&app.admin_token, "/api/v1/records/term_transitions?department=cs").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["items"][0]["date"], day.to_string(), "{list}");
    assert_eq!(list["items"][0]["request"], id.as_str());
    // and each member of the new cohort has an onboarding request
    assert!(task_of(&app, CANDIDATE, "onboarding").await.is_some());
    assert!(task_of(&app, "2023010216", "onboarding").await.is_some());
    app.stop().await;
}

#[tokio::test]
async fn a_term_transition_ends_the_old_cohort_on_sqlite() {
    a_term_transition_ends_the_old_cohort(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_term_transition_ends_the_old_cohort_on_postgres() {
    a_term_transition_ends_the_old_cohort(Backend::Postgres).await;
}

async fn a_liaison_assignment_replaces_the_liaisons(backend: Backend) {
    let app = spawn(backend, "liaisons").await;
    let liaisons = |r: Value| {
        let mut v: Vec<String> =
            r["items"].as_array().unwrap().iter().map(|l| l["person"].as_str().unwrap().to_string()).collect();
        v.sort();
        v
    };
    let (_, before) = app.get(&app.admin_token, "/api/v1/org/liaisons?department=cs").await;
    let before = liaisons(before);
    assert!(!before.is_empty() && !before.contains(&CANDIDATE.to_string()));
    // given the school SU assigns one liaison to CS and one to law, from today
    let president = app.token_for(dp::SCHOOL_SU_PRESIDENT).await;
    let form = json!({ "term": "2026—2027学年第一学期", "departments": ["cs", "law"], "from": today().to_string(),
                       "liaisons": [{ "person": CANDIDATE, "department": "cs" },
                                    { "person": dp::RIGHTS_DIVISION_HEAD, "department": "law" }] });
    let r = app.submit(&president, "liaison_assignment", form).await;
    let id = r["id"].as_str().unwrap().to_string();
    // a table row with neither a person nor a known class is refused with the cell named
    let (status, bad) = app
        .post(
            &president,
            "/api/v1/requests",
            json!({ "workflow": "liaison_assignment", "form": {
            "term": "x", "departments": ["cs"], "from": today().to_string(), "liaisons": [{ "class": "nowhere" }] } }),
        )
        .await;
    assert_eq!(status, 422, "{bad}");
    let fields: Vec<&str> = bad["errors"]
        .as_array()
        .or(bad["fields"].as_array())
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"liaisons[0].person") && fields.contains(&"liaisons[0].class"), "{bad}");
    // when the presidium and the school League committee approve
    let done = approve_all(&app, &id, None).await;
    assert_eq!(done["status"], "approved", "{done}");
    // then the school SU's liaisons of CS are the new one only
    let (_, after) = app.get(&app.admin_token, "/api/v1/org/liaisons?department=cs").await;
    assert_eq!(liaisons(after), [CANDIDATE]);
    let (_, law) = app.get(&app.admin_token, "/api/v1/org/liaisons?department=law").await;
    assert_eq!(liaisons(law), [dp::RIGHTS_DIVISION_HEAD]);
    app.stop().await;
}

#[tokio::test]
async fn a_liaison_assignment_replaces_the_liaisons_on_sqlite() {
    a_liaison_assignment_replaces_the_liaisons(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_liaison_assignment_replaces_the_liaisons_on_postgres() {
    a_liaison_assignment_replaces_the_liaisons(Backend::Postgres).await;
}

async fn an_acknowledged_training_report_records_the_session(backend: Backend) {
    let app = spawn(backend, "training").await;
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let held = today() - chrono::Duration::days(2);
    let form = json!({ "title": "计算机学院学生会履职培训", "phase": "report", "semester": "autumn",
                       "first_session": held.to_string(), "content": "履职培训一次。", "audience": "全体工作人员",
                       "attendees": [dp::CS_SU_VICE_PRESIDENT, CANDIDATE] });
    let r = app.submit(&president, "training_filing", form).await;
    let id = r["id"].as_str().unwrap().to_string();
    let (_, none) = app.get(&app.admin_token, "/api/v1/records/trainings").await;
    assert_eq!(none["items"], json!([]), "nothing before the filing is acknowledged");
    let done = approve_all(&app, &id, None).await;
    assert_eq!(done["status"], "approved", "{done}");
    let (status, list) = app.get(&app.admin_token, "/api/v1/records/trainings?organiser=department_su@cs").await;
    assert_eq!(status, 200, "{list}");
    let s = &list["items"][0];
    assert_eq!(
        (&s["date"], &s["topic"], &s["request"]),
        (&json!(held.to_string()), &json!("计算机学院学生会履职培训"), &json!(id))
    );
    let mut attendees: Vec<&str> = s["attendees"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    attendees.sort();
    assert_eq!(attendees, [dp::CS_SU_VICE_PRESIDENT, CANDIDATE]);
    // a member of the org who is neither an admin nor an oversight role may not list them
    let member = app.token_for(dp::CS_2023_1_MONITOR).await;
    let (status, body) = app.get(&member, "/api/v1/records/trainings").await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn an_acknowledged_training_report_records_the_session_on_sqlite() {
    an_acknowledged_training_report_records_the_session(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_acknowledged_training_report_records_the_session_on_postgres() {
    an_acknowledged_training_report_records_the_session(Backend::Postgres).await;
}

#[tokio::test]
async fn the_validate_api_names_a_broken_record_by_line_and_column() {
    let app = spawn(Backend::Sqlite, "records_validate").await;
    let yaml = "key: t\nversion: 1\nname: 测试\nform:\n  who: { type: person }\n  on: { type: date, required: true }\nstart: s\nsteps:\n  s:\n    approve: { who: submitter }\n    next: { approve: done, reject: done }\n  done: { end: approved }\nrecords:\n  - when: rejected\n    kind: appointment\n    fields: { person: form.who, body: 'school_su', role: 'chief', from: form.on }\n";
    let (status, r) = app.post(&app.admin_token, "/api/v1/definitions/validate", json!({ "yaml": yaml })).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["valid"], false);
    let got: Vec<(String, u64, u64)> = r["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["pos"]["line"].as_u64().unwrap(),
                d["pos"]["col"].as_u64().unwrap(),
            )
        })
        .collect();
    let want = [("unreachable_outcome", 14, 11), ("type_mismatch", 16, 23), ("type_mismatch", 16, 58)];
    assert_eq!(got, want.map(|(c, l, k)| (c.to_string(), l, k)), "{r}");
    app.stop().await;
}

/// Sorted non-comment lines of an org export, to compare two exports whatever their order.
fn org_lines(yaml: &str) -> Vec<String> {
    let mut v: Vec<String> = yaml.lines().filter(|l| !l.starts_with('#')).map(String::from).collect();
    v.sort();
    v
}

async fn put_org(app: &TestApp, yaml: String) -> (u16, Value) {
    let r =
        app.http.put(format!("{}/api/v1/org", app.base)).bearer_auth(&app.admin_token).body(yaml).send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn findings(app: &TestApp, code: &str) -> Vec<String> {
    let (status, r) = app.get(&app.admin_token, "/api/v1/compliance").await;
    assert_eq!(status, 200, "{r}");
    r["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .map(|f| f["subject"]["id"].as_str().unwrap().to_string())
        .collect()
}

/// Re-importing the org file keeps what approved outcomes wrote into the org (issue 11): the
/// appointed post, the new liaisons, a term transition's new cohort and the old cohort's ends;
/// the M3 cadre share counts the record-written posts before and after; an import that drops the
/// person of a current record-written post is refused with the list.
async fn an_org_import_keeps_what_outcomes_wrote(backend: Backend) {
    let app = spawn(backend, "import_keeps").await;
    let day = today();
    // the org file as the admin keeps it, before any outcome
    let file = app.org_yaml().await;
    assert_eq!(findings(&app, "m3_department_su_cadres").await, ["econ"], "the demo's planted 40 %");
    // given an approved staff selection (CANDIDATE into the school SU) …
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let form = json!({ "candidate": CANDIDATE, "candidate_name": "候选人", "position": "division_member",
                       "top_30_percent": true, "no_failed_courses": true, "class_cadre": true,
                       "reasons": "工作积极。", "appointment_date": day.to_string() });
    let selection = app.submit(&president, "staff_selection", form).await["id"].as_str().unwrap().to_string();
    assert_eq!(approve_all(&app, &selection, None).await["status"], "approved");
    // … a school SU liaison assignment (CANDIDATE → CS) …
    let school = app.token_for(dp::SCHOOL_SU_PRESIDENT).await;
    let form = json!({ "term": "2026—2027学年第一学期", "departments": ["cs"], "from": day.to_string(),
                       "liaisons": [{ "person": CANDIDATE, "department": "cs" }] });
    let assignment = app.submit(&school, "liaison_assignment", form).await["id"].as_str().unwrap().to_string();
    assert_eq!(approve_all(&app, &assignment, None).await["status"], "approved");
    // … and the economics SU's term transition whose new cohort are two class monitors
    let (_, econ) = app.get(&app.admin_token, "/api/v1/org/posts?body=department_su@econ").await;
    let econ_president = econ["items"].as_array().unwrap().iter().find(|p| p["role"] == "president").unwrap()["person"]
        .as_str()
        .unwrap()
        .to_string();
    let mut monitors = Vec::new();
    for class in ["econ-2023-1", "econ-2024-1"] {
        let (_, c) = app.get(&app.admin_token, &format!("/api/v1/org/posts?body=class_committee@{class}")).await;
        let m = c["items"].as_array().unwrap().iter().find(|p| p["role"] == "class_monitor").unwrap();
        monitors.push(m["person"].as_str().unwrap().to_string());
    }
    let econ_token = app.token_for(&econ_president).await;
    let form = json!({ "title": "经济管理学院学生会换届", "transition_date": day.to_string(),
                       "congress_held": day.to_string(), "report": "学生代表大会选举产生新一届。",
                       "cohort": [{ "person": monitors[0], "role": "president" },
                                  { "person": monitors[1], "role": "vice_president" }] });
    let transition = app.submit(&econ_token, "term_transition", form).await["id"].as_str().unwrap().to_string();
    assert_eq!(approve_all(&app, &transition, None).await["status"], "approved");
    let econ_holders = |r: Value| {
        let mut v: Vec<String> =
            r["items"].as_array().unwrap().iter().map(|p| p["person"].as_str().unwrap().to_string()).collect();
        v.sort();
        v
    };
    let mut cohort = monitors.clone();
    cohort.sort();
    // the new cohort are class cadres: the M3 share is met (derived from the posts held)
    assert!(findings(&app, "m3_department_su_cadres").await.is_empty());
    let before = app.org_yaml().await;
    // the export says which posts and liaisons come from records
    assert!(before.lines().nth(1).unwrap().contains("`request:` were written by"), "{}", &before[..400]);
    let line = before.lines().find(|l| l.contains(&format!("person: \"{CANDIDATE}\", body: school_su"))).unwrap();
    assert!(
        line.contains(&format!("request: \"{selection}\"")) || line.contains(&format!("request: {selection}")),
        "{line}"
    );
    assert!(
        before.contains(&format!("ended_by: \"{transition}\"")) || before.contains(&format!("ended_by: {transition}"))
    );

    // when the admin re-imports the org file they had
    let (status, r) = put_org(&app, file.clone()).await;
    assert_eq!(status, 200, "{r}");
    assert!(r["outcome_liaisons"].as_u64().unwrap() >= 2, "the new liaison and those it ended: {r}");
    assert!(r["outcome_posts"].as_u64().unwrap() >= 4, "{r}");
    // then the appointed post, the liaison and the new cohort are still there
    let posts = posts_of(&app, CANDIDATE).await;
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!((&posts[0]["body"], &posts[0]["request"]), (&json!("school_su"), &json!(selection)));
    let (_, cs) = app.get(&app.admin_token, "/api/v1/org/liaisons?department=cs").await;
    let cs: Vec<&str> = cs["items"].as_array().unwrap().iter().map(|l| l["person"].as_str().unwrap()).collect();
    assert_eq!(cs, [CANDIDATE]);
    let (_, econ) = app.get(&app.admin_token, "/api/v1/org/posts?body=department_su@econ").await;
    assert_eq!(econ_holders(econ), cohort, "the old cohort stays ended");
    assert!(findings(&app, "m3_department_su_cadres").await.is_empty(), "and the cadre share still counts them");
    let (_, list) = app.get(&app.admin_token, "/api/v1/records/term_transitions?department=econ").await;
    assert_eq!(list["items"][0]["request"], transition.as_str());
    // and re-importing the same file changed nothing
    assert_eq!(org_lines(&app.org_yaml().await), org_lines(&before));
    let (status, _) = put_org(&app, file.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(org_lines(&app.org_yaml().await), org_lines(&before));

    // when a file drops the appointed person
    let without: String = file.lines().filter(|l| !l.contains(CANDIDATE)).map(|l| format!("{l}\n")).collect();
    let (status, r) = put_org(&app, without).await;
    // then it is refused with the post and the liaison, and nothing changes
    assert_eq!((status, r["code"].as_str()), (422, Some("records_refer_to_removed")), "{r}");
    let mut fields: Vec<(String, String)> = r["errors"]
        .as_array()
        .or(r["fields"].as_array())
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_string(), e["code"].as_str().unwrap().to_string()))
        .collect();
    fields.sort();
    let mut want = vec![
        (format!("records/{selection}"), "outcome_post".to_string()),
        (format!("records/{assignment}"), "outcome_liaison".to_string()),
    ];
    want.sort();
    assert_eq!(fields, want, "{r}");
    assert!(
        r["errors"].to_string().contains(&format!("person {CANDIDATE}"))
            || r.to_string().contains(&format!("person {CANDIDATE}")),
        "{r}"
    );
    assert_eq!(posts_of(&app, CANDIDATE).await.len(), 1);
    assert_eq!(org_lines(&app.org_yaml().await), org_lines(&before));
    app.stop().await;
}

#[tokio::test]
async fn an_org_import_keeps_what_outcomes_wrote_on_sqlite() {
    an_org_import_keeps_what_outcomes_wrote(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_org_import_keeps_what_outcomes_wrote_on_postgres() {
    an_org_import_keeps_what_outcomes_wrote(Backend::Postgres).await;
}
