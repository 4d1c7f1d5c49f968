//! `GET /api/v1/stats` as its users call it (issue 12 item 5), on SQLite and PostgreSQL: two
//! major-matter reports of the computer science department SU submitted and decided over HTTP,
//! their moments then moved to a known week of March 2025 (the daemon has no clock to set), and
//! the exact figures; who may see them; bad ranges; the gauges in `/metrics`.

use chrono::{DateTime, TimeZone, Utc};
use entities::entity::workflow::request;
use entities::sea_orm::sea_query::Expr;
use entities::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use liandong_tests::{Backend, TestApp, spawn};
use serde_json::{Value, json};
use workflows::engine::TaskState;
use workflows::org::generate::demo_people as dp;

const WEEK: &str = "from=2025-03-03&to=2025-03-07";

/// A moment of March 2025 in Asia/Shanghai.
fn mar(d: u32, h: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai.with_ymd_and_hms(2025, 3, d, h, 0, 0).unwrap().with_timezone(&Utc)
}

/// One step's moments: entered (and its tasks created), due, decided.
type Moments<'a> = (&'a str, DateTime<Utc>, DateTime<Utc>, Option<DateTime<Utc>>);

/// Moves the request's moments: submitted (and created) at `submitted`, each step of `steps` as
/// given, other steps entered and decided at `submitted`, finished at `finished` if it is.
async fn retime(app: &TestApp, id: &str, submitted: DateTime<Utc>, steps: &[Moments<'_>], finished: DateTime<Utc>) {
    let mut st = entities::store::requests::load(&app.app.db, id).await.unwrap().unwrap().state;
    st.submitted_at = Some(submitted);
    if st.finished_at.is_some() {
        st.finished_at = Some(finished);
    }
    let find = |step: &str| steps.iter().find(|s| s.0 == step).copied();
    for r in st.runs.values_mut() {
        match find(&r.step) {
            Some((_, entered, due, _)) => (r.entered_at, r.due_at) = (entered, Some(due)),
            None => r.entered_at = submitted,
        }
    }
    for t in st.tasks.values_mut() {
        let (created, due, decided) = match find(&t.step) {
            Some((_, entered, due, decided)) => (entered, Some(due), decided),
            None => (submitted, None, Some(submitted)),
        };
        (t.created_at, t.due_at) = (created, due);
        if let TaskState::Decided { at, .. } = &mut t.state {
            *at = decided.unwrap_or_else(|| panic!("{id}: {} was decided", t.step));
        }
    }
    request::Entity::update_many()
        .col_expr(request::Column::State, Expr::value(serde_json::to_string(&st).unwrap()))
        .col_expr(request::Column::CreatedAt, Expr::value(submitted.timestamp_millis()))
        .filter(request::Column::Id.eq(id))
        .exec(&app.app.db)
        .await
        .unwrap();
}

/// Decides the open task of `step` of request `id` as its assignee.
async fn decide(app: &TestApp, id: &str, step: &str) {
    let req = app.request(id).await;
    let task = req["open_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["step"] == step)
        .unwrap_or_else(|| panic!("{step} open in {req}"))
        .clone();
    let token = app.token_for(task["assignee"].as_str().unwrap()).await;
    let (path, body) = if task["kind"] == "acknowledge" {
        (format!("/api/v1/requests/{id}/tasks/{}/acknowledge", task["task"]), json!({ "comment": "已阅" }))
    } else {
        (format!("/api/v1/requests/{id}/tasks/{}/decision", task["task"]), json!({ "decision": "approve" }))
    };
    let (status, body) = app.post(&token, &path, body).await;
    assert_eq!(status, 200, "{step}: {body}");
}

fn step<'a>(w: &'a Value, name: &str) -> &'a Value {
    w["steps"].as_array().unwrap().iter().find(|s| s["step"] == name).unwrap_or_else(|| panic!("{name} in {w}"))
}

async fn figures_of_a_known_week(backend: Backend) {
    let app = spawn(backend, "stats_week").await;
    let path = format!("/api/v1/stats?{WEEK}&workflow=major_matter_report");
    // Nothing was submitted that week yet: no workflow, rates null.
    let (status, empty) = app.get(&app.admin_token, &path).await;
    assert_eq!(status, 200, "{empty}");
    assert_eq!(empty["workflows"], json!([]), "{empty}");
    assert_eq!(empty["m1"]["branch_b_late_rate"], Value::Null);

    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    // A: a report, decided by the college League, the college Party and the school SU liaison.
    let a = app
        .submit(
            &president,
            "major_matter_report",
            json!({ "kind": "report", "matter_type": "reform_progress", "title": "计算机学院学生会改革推进情况报告", "body": "本学期调整了工作部门设置。" }),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    for s in ["league_review", "party_ack", "school_su_ack"] {
        decide(&app, &a, s).await;
    }
    // B: a 请示 for a meeting six days on, decided by the college; the liaison has not acknowledged.
    let b = app
        .submit(
            &president,
            "major_matter_report",
            json!({ "kind": "request", "matter_type": "major_commendation", "title": "关于表彰优秀学生干部的请示", "body": "拟表彰十名优秀学生干部。", "event_date": "2025-03-10" }),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    for s in ["league_review", "party_approve"] {
        decide(&app, &b, s).await;
    }
    let liaisons: Vec<String> = app.request(&b).await["open_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["step"] == "school_su_ack")
        .map(|t| t["assignee"].as_str().unwrap().to_string())
        .collect();
    assert!(!liaisons.is_empty());
    // A: Monday 3 March 09:00; the League took 2 h, the Party 4 h, the liaison Wednesday 10:00 —
    // 21 working hours (09–18, 08–18, 08–10), after its due on Tuesday 09:00 and 2 working days
    // after branch A was asked: late.
    retime(
        &app,
        &a,
        mar(3, 9),
        &[
            ("league_review", mar(3, 9), mar(6, 9), Some(mar(3, 11))),
            ("party_ack", mar(3, 11), mar(5, 11), Some(mar(3, 15))),
            ("school_su_ack", mar(3, 9), mar(4, 9), Some(mar(5, 10))),
        ],
        mar(5, 10),
    )
    .await;
    // B: Tuesday 4 March 09:00 (four working days before the meeting, ten needed); the League
    // took 1 h, the Party 7 h; the liaison's task, due Wednesday 09:00, is still open.
    retime(
        &app,
        &b,
        mar(4, 9),
        &[
            ("league_review", mar(4, 9), mar(7, 9), Some(mar(4, 10))),
            ("party_approve", mar(4, 10), mar(6, 10), Some(mar(4, 17))),
            ("school_su_ack", mar(4, 9), mar(5, 9), None),
        ],
        mar(4, 9),
    )
    .await;

    let (status, f) = app.get(&app.admin_token, &path).await;
    assert_eq!(status, 200, "{f}");
    assert_eq!((f["from"].as_str(), f["to"].as_str()), (Some("2025-03-03"), Some("2025-03-07")));
    assert_eq!(f["working_hours"], json!({ "start": "08:00", "end": "18:00", "time_zone": "Asia/Shanghai" }));
    let ws = f["workflows"].as_array().unwrap();
    assert_eq!(ws.len(), 1, "{f}");
    let w = &ws[0];
    assert_eq!(w["workflow"], "major_matter_report");
    assert_eq!(w["name"]["zh"], "院系学生会重大事项请示报告");
    assert_eq!((w["submitted"].as_u64(), w["finished"].as_u64()), (Some(2), Some(1)), "{w}");
    assert_eq!(w["handling"], json!({ "count": 1, "median_hours": 21.0, "p90_hours": 21.0 }));
    let league = step(w, "league_review");
    assert_eq!(league["name"]["zh"], "学院团组织审核");
    assert_eq!((league["entered"].as_u64(), league["decided"].as_u64()), (Some(2), Some(2)));
    assert_eq!(league["handling"], json!({ "count": 2, "median_hours": 1.5, "p90_hours": 2.0 }));
    assert_eq!((league["with_due"].as_u64(), league["overdue"].as_u64()), (Some(2), Some(0)));
    assert_eq!(league["overdue_rate"], 0.0);
    assert_eq!(step(w, "party_ack")["handling"], json!({ "count": 1, "median_hours": 4.0, "p90_hours": 4.0 }));
    assert_eq!(step(w, "party_approve")["handling"], json!({ "count": 1, "median_hours": 7.0, "p90_hours": 7.0 }));
    let ack = step(w, "school_su_ack");
    assert_eq!((ack["entered"].as_u64(), ack["decided"].as_u64()), (Some(2), Some(1)));
    assert_eq!(ack["handling"], json!({ "count": 1, "median_hours": 21.0, "p90_hours": 21.0 }));
    assert_eq!((ack["overdue"].as_u64(), ack["overdue_rate"].as_f64()), (Some(1), Some(1.0)));
    assert_eq!(
        (w["with_due"].as_u64(), w["overdue"].as_u64(), w["overdue_rate"].as_f64()),
        (Some(5), Some(1), Some(0.2))
    );
    assert_eq!(w["escalations"], 0);
    // The liaisons of B: one open task each, pending since Tuesday 09:00, overdue.
    let mut people: Vec<&str> =
        f["reviewers"].as_array().unwrap().iter().map(|r| r["person"].as_str().unwrap()).collect();
    people.sort();
    let mut want: Vec<&str> = liaisons.iter().map(String::as_str).collect();
    want.sort();
    assert_eq!(people, want, "{f}");
    for r in f["reviewers"].as_array().unwrap() {
        assert_eq!((r["open_tasks"].as_u64(), r["overdue"].as_u64()), (Some(1), Some(1)), "{r}");
        assert_eq!(r["oldest_pending"], "2025-03-04T01:00:00Z");
        assert!(r["name"].as_str().is_some_and(|n| !n.is_empty()));
    }
    assert_eq!(
        f["m1"],
        json!({
            "reports": 2, "branch_b_acknowledged": 1, "branch_b_late": 1, "branch_b_late_rate": 1.0,
            "branch_b_working_days": 1, "with_lead_time": 1, "late_filings": 1, "late_filing_rate": 1.0,
        })
    );
    assert_eq!(f["m5"], json!([]));

    // The department's own leader sees the same for their department, and nothing of another.
    let (status, own) = app.get(&president, &format!("/api/v1/stats?{WEEK}&workflow=major_matter_report")).await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["department"], "cs");
    assert_eq!(own["workflows"], f["workflows"]);
    let (status, other) = app.get(&president, &format!("/api/v1/stats?{WEEK}&department=ee")).await;
    assert_eq!((status, other["code"].as_str()), (403, Some("forbidden")), "{other}");
    let (_, ee) =
        app.get(&app.admin_token, &format!("/api/v1/stats?{WEEK}&department=ee&workflow=major_matter_report")).await;
    assert_eq!(ee["workflows"], json!([]), "{ee}");
    // GET changes nothing: the same answer again.
    let (_, again) = app.get(&app.admin_token, &path).await;
    assert_eq!(again, f);
    app.stop().await;
}

#[tokio::test]
async fn figures_of_a_known_week_sqlite() {
    figures_of_a_known_week(Backend::Sqlite).await;
}

#[tokio::test]
async fn figures_of_a_known_week_postgres() {
    figures_of_a_known_week(Backend::Postgres).await;
}

async fn who_may_ask_and_bad_ranges(backend: Backend) {
    let app = spawn(backend, "stats_auth").await;
    let r = app.http.get(format!("{}/api/v1/stats", app.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    // A class member (a monitor): 403, problem+json.
    let monitor = app.token_for(dp::CS_2023_1_MONITOR).await;
    let r = app.http.get(format!("{}/api/v1/stats?{WEEK}", app.base)).bearer_auth(&monitor).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/problem+json"));
    // The oversight roles: 200, every department.
    for person in [dp::LEAGUE_COMMITTEE_SECRETARY, dp::SCHOOL_SU_PRESIDENT, dp::SCHOOL_SU_SECRETARY_GENERAL] {
        let token = app.token_for(person).await;
        let (status, body) = app.get(&token, &format!("/api/v1/stats?{WEEK}")).await;
        assert_eq!((status, &body["department"]), (200, &Value::Null), "{person}: {body}");
    }
    // Without a range: the 30 days up to today.
    let (status, body) = app.get(&app.admin_token, "/api/v1/stats").await;
    assert_eq!(status, 200, "{body}");
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    assert_eq!(body["to"], today.to_string());
    assert_eq!(body["from"], (today - chrono::Duration::days(29)).to_string());
    // Bad input: 422 naming the field, or 400 for a parameter that does not exist.
    for (q, status, code, field) in [
        ("from=2025-03-07&to=2025-03-03", 422, "bad_range", Some("from")),
        ("from=2025-02-30&to=2025-03-03", 422, "bad_date", Some("from")),
        ("from=2025-03-01&to=yesterday", 422, "bad_date", Some("to")),
        ("from=2024-01-01&to=2025-03-03", 422, "bad_range", Some("to")),
        ("department=nowhere", 422, "unknown_department", Some("department")),
        ("workflow=no_such_thing", 422, "unknown_workflow", Some("workflow")),
        ("colour=red", 400, "bad_query", None),
    ] {
        let (s, p) = app.get(&app.admin_token, &format!("/api/v1/stats?{q}")).await;
        assert_eq!((s, p["code"].as_str()), (status, Some(code)), "{q}: {p}");
        if let Some(field) = field {
            assert_eq!(p["errors"][0]["field"], field, "{q}: {p}");
        }
    }
    // The gauges per workflow in /metrics: the open tasks as the tasks table has them (a report
    // just submitted waits for the college League and the school SU liaison).
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    app.submit(
        &president,
        "major_matter_report",
        json!({ "kind": "report", "matter_type": "reform_progress", "title": "改革推进情况报告", "body": "正文" }),
    )
    .await;
    let m = app.http.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(m.contains("# TYPE liandong_workflow_open_tasks gauge"), "{m}");
    assert!(m.contains("# TYPE liandong_workflow_overdue_tasks gauge"), "{m}");
    let open = app
        .count(
            "SELECT COUNT(*) AS n FROM tasks t JOIN requests r ON r.id = t.request_id WHERE t.state = 'open' AND r.key = 'major_matter_report'",
        )
        .await;
    let line = format!("liandong_workflow_open_tasks{{workflow=\"major_matter_report\"}} {open}");
    assert!(open >= 2, "{open}");
    assert!(m.lines().any(|l| l == line), "{line} in {m}");
    app.stop().await;
}

#[tokio::test]
async fn who_may_ask_and_bad_ranges_sqlite() {
    who_may_ask_and_bad_ranges(Backend::Sqlite).await;
}

#[tokio::test]
async fn who_may_ask_and_bad_ranges_postgres() {
    who_may_ask_and_bad_ranges(Backend::Postgres).await;
}
