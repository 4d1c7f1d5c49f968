//! Closing the loop (issue 11 item 6), end to end over HTTP on SQLite and PostgreSQL, from the
//! demo university as a fresh daemon seeds it (its records and planted requests): each planted
//! finding disappears from `GET /api/v1/compliance` when the people concerned do what the policy
//! asks, through the calls they would make — and every other finding stays as it was.
//!
//! - the school SU liaison of `math` writes a ledger entry (M2): the stale pair is gone;
//! - a department SU appoints a new member through a staff selection approved by its real
//!   approvers; the onboarding request the appointment starts is overdue a month later until the
//!   new member acknowledges it (M4);
//! - `chem` files the report of a make-up training attended by its untrained vice-president,
//!   the school SU liaison acknowledges the filing, and the attendance clears them (M4).

use chrono::{Duration, Months, NaiveDate};
use liandong_tests::{Backend, TestApp, spawn_with};
use serde_json::{Value, json};
use workflows::catalog::Role;
use workflows::org::Directory as _;
use workflows::org::generate::demo_directory;
use workflows::records::{Semester, SemesterHalf};

/// A CS student who holds no post in the demo.
const CANDIDATE: &str = "2023010215";

fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

/// A fresh demo daemon with its records and planted requests seeded, as on a first start.
async fn demo(backend: Backend, test: &str) -> TestApp {
    spawn_with(backend, test, vec![("LIANDONG__SEED__RECORDS".into(), "true".into())]).await
}

/// The report of `day` as the admin sees it: its findings.
async fn report(app: &TestApp, day: NaiveDate) -> Vec<Value> {
    let (status, body) = app.get(&app.admin_token, &format!("/api/v1/compliance?day={day}")).await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

/// The finding of `code` about `subject`, which must be there.
fn finding<'a>(found: &'a [Value], code: &str, subject: &str) -> &'a Value {
    found
        .iter()
        .find(|f| f["code"] == code && f["subject"]["id"] == subject)
        .unwrap_or_else(|| panic!("{code} about {subject} in {found:#?}"))
}

/// `after` is `before` without `gone`: that finding disappeared, every other stayed as it was.
fn only_gone(before: &[Value], after: &[Value], gone: &Value) {
    assert!(!after.contains(gone), "still listed: {gone}");
    let kept: Vec<&Value> = before.iter().filter(|f| *f != gone).collect();
    assert_eq!(after.iter().collect::<Vec<_>>(), kept, "the other findings are unchanged");
    assert!(!kept.is_empty(), "the other planted defects are still reported");
}

macro_rules! on_both {
    ($scenario:ident, $sqlite:ident, $postgres:ident) => {
        #[tokio::test]
        async fn $sqlite() {
            $scenario(Backend::Sqlite).await;
        }
        #[tokio::test]
        async fn $postgres() {
            $scenario(Backend::Postgres).await;
        }
    };
}

/// M2: the liaison whose ledger has been silent for 75 days records a visit.
async fn a_ledger_entry_clears_the_stale_pair(backend: Backend) {
    let app = demo(backend, "loop_ledger").await;
    let day = today();
    let before = report(&app, day).await;
    let stale = finding(&before, "m2_ledger_stale", "math").clone();
    let liaison = stale["people"][0].as_str().unwrap().to_string();
    // the liaison writes the entry as themselves
    let token = app.token_for(&liaison).await;
    let entry = json!({ "target": { "kind": "department", "id": "math" }, "date": day.to_string(), "mode": "visit",
                        "problem": "学生会换届后工作部门分工尚未明确", "help": "介绍了其他学院的分工做法",
                        "resolution": "下周召开主席团会议明确分工" });
    let (status, body) = app.post(&token, "/api/v1/ledger", entry).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["liaison"], liaison, "{body}");
    only_gone(&before, &report(&app, day).await, &stale);
    app.stop().await;
}

on_both!(
    a_ledger_entry_clears_the_stale_pair,
    a_ledger_entry_clears_the_stale_pair_sqlite,
    a_ledger_entry_clears_the_stale_pair_postgres
);

/// M3 → M4: an appointment starts the new member's onboarding; a month on it is overdue until
/// the new member acknowledges it.
async fn an_acknowledged_onboarding_clears_the_overdue_finding(backend: Backend) {
    let app = demo(backend, "loop_onboarding").await;
    let day = today();
    let dir = demo_directory();
    let president = dir.holders("department_su@cs", &[Role::President], day)[0].person.clone();
    let name = dir.person(CANDIDATE).unwrap().name.clone();
    // the CS department SU president proposes a member who holds no class post (so the college
    // Party org agrees first, then the League org approves), from today
    let token = app.token_for(&president).await;
    let form = json!({ "candidate": CANDIDATE, "candidate_name": name, "role": "division_member", "division": "rights",
                       "class_cadre": false, "appointment_date": day.to_string(),
                       "reasons": "该同学热心服务同学，曾参与多次权益调研，推荐任权益部干事。" });
    let r = app.submit(&token, "department_staff_selection", form).await;
    let done = app.approve_all(r["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "approved", "{done}");
    // the appointment started the onboarding request, in the new member's inbox
    let me = app.token_for(CANDIDATE).await;
    let (_, tasks) = app.get(&me, "/api/v1/tasks").await;
    let task = tasks["items"].as_array().unwrap().iter().find(|t| t["step"] == "complete").cloned();
    let task = task.unwrap_or_else(|| panic!("no onboarding task: {tasks}"));
    // a month and a day after the appointment, the report lists it as overdue
    let later = day.checked_add_months(Months::new(1)).unwrap() + Duration::days(1);
    let before = report(&app, later).await;
    let overdue = finding(&before, "m4_onboarding_overdue", CANDIDATE).clone();
    assert_eq!(overdue["department"], "cs", "{overdue}");
    // the new member acknowledges it
    let path = format!("/api/v1/requests/{}/tasks/{}/acknowledge", task["request"].as_str().unwrap(), task["task"]);
    let (status, body) = app.post(&me, &path, json!({ "comment": "已完成入门教育" })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "approved", "{body}");
    only_gone(&before, &report(&app, later).await, &overdue);
    app.stop().await;
}

on_both!(
    an_acknowledged_onboarding_clears_the_overdue_finding,
    an_acknowledged_onboarding_clears_the_overdue_finding_sqlite,
    an_acknowledged_onboarding_clears_the_overdue_finding_postgres
);

/// M4: `chem` files the report of a make-up session its untrained vice-president attended.
async fn recorded_attendance_clears_the_untrained_member(backend: Backend) {
    let app = demo(backend, "loop_training").await;
    let day = today();
    // training coverage is looked at from the 60th day of a semester
    let sem = Semester::of(day);
    let (start, half) = match sem.half {
        SemesterHalf::Autumn => (NaiveDate::from_ymd_opt(sem.year, 9, 1).unwrap(), "autumn"),
        SemesterHalf::Spring => (NaiveDate::from_ymd_opt(sem.year + 1, 3, 1).unwrap(), "spring"),
    };
    let check = day.max(start + Duration::days(60));
    let before = report(&app, check).await;
    let untrained = before.iter().find(|f| f["code"] == "m4_untrained").cloned();
    let untrained = untrained.unwrap_or_else(|| panic!("the untrained member: {before:#?}"));
    let vp = untrained["subject"]["id"].as_str().unwrap().to_string();
    assert_eq!(untrained["department"], "chem", "{untrained}");
    let dir = demo_directory();
    let president = dir.holders("department_su@chem", &[Role::President], day)[0].person.clone();
    let token = app.token_for(&president).await;
    let form = json!({ "title": "化学化工学院学生会履职能力补训", "phase": "report", "semester": half,
                       "first_session": day.to_string(), "trainees": 1, "audience": "未参训的主席团成员",
                       "content": "补训：学生会组织改革要求、工作台账与重大事项请示报告制度。", "attendees": [vp] });
    let r = app.submit(&token, "training_filing", form).await;
    // the school SU liaison of chem files it
    let done = app.approve_all(r["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "approved", "{done}");
    only_gone(&before, &report(&app, check).await, &untrained);
    app.stop().await;
}

on_both!(
    recorded_attendance_clears_the_untrained_member,
    recorded_attendance_clears_the_untrained_member_sqlite,
    recorded_attendance_clears_the_untrained_member_postgres
);
