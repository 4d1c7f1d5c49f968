//! `GET /api/v1/compliance` as its users call it (issue 11 item 3), on SQLite and PostgreSQL:
//! who may see the report, its filters, bad filters, the gauge per code in `/metrics`, and a
//! live request whose branch B is missing until the school SU liaison acknowledges it.

use liandong_tests::{Backend, TestApp, spawn, spawn_with};
use serde_json::{Value, json};
use workflows::org::generate::demo_people as dp;

const DAY: &str = "2025-11-24";

fn items(body: &Value) -> &Vec<Value> {
    body["items"].as_array().unwrap_or_else(|| panic!("no items: {body}"))
}

async fn who_may_see_the_report(backend: Backend) {
    let app = spawn(backend, "compliance_auth").await;
    // no token: 401
    let r = app.http.get(format!("{}/api/v1/compliance", app.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    // a member (a class monitor) and a department SU president: 403, problem+json
    for person in [dp::CS_2023_1_MONITOR, dp::CS_SU_PRESIDENT] {
        let token = app.token_for(person).await;
        let r =
            app.http.get(format!("{}/api/v1/compliance?day={DAY}", app.base)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 403, "{person}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/problem+json"));
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "forbidden", "{body}");
    }
    // the admin, 校团委, the school SU president and secretary-general: the same findings
    let (status, admin) = app.get(&app.admin_token, &format!("/api/v1/compliance?day={DAY}")).await;
    assert_eq!(status, 200, "{admin}");
    assert_eq!(admin["day"], DAY);
    assert!(!items(&admin).is_empty());
    assert_eq!(admin["total"].as_u64().unwrap() as usize, items(&admin).len());
    let c = &admin["counts"];
    let sum = c["warning"].as_u64().unwrap() + c["error"].as_u64().unwrap() + c["block"].as_u64().unwrap();
    assert_eq!(sum, admin["total"].as_u64().unwrap());
    for person in [dp::LEAGUE_COMMITTEE_SECRETARY, dp::SCHOOL_SU_PRESIDENT, dp::SCHOOL_SU_SECRETARY_GENERAL] {
        let token = app.token_for(person).await;
        let (status, seen) = app.get(&token, &format!("/api/v1/compliance?day={DAY}")).await;
        assert_eq!(status, 200, "{person}: {seen}");
        assert_eq!(seen["items"], admin["items"], "{person}");
    }
    // every finding has the documented shape; the art department's missing term transition
    // blocks the congress
    for f in items(&admin) {
        for k in ["code", "measure", "severity", "subject", "people", "message", "since"] {
            assert!(f.get(k).is_some(), "{k} in {f}");
        }
        assert!(f["message"]["zh"].as_str().is_some_and(|s| !s.is_empty()), "{f}");
        assert!(["warning", "error", "block"].contains(&f["severity"].as_str().unwrap()), "{f}");
    }
    let art = items(&admin)
        .iter()
        .find(|f| f["code"] == "m3_term_transition_missing" && f["subject"]["id"] == "art")
        .unwrap_or_else(|| panic!("art's term transition: {admin}"));
    assert_eq!((art["severity"].as_str(), art["measure"].as_str()), (Some("block"), Some("M3")));
    assert_eq!(art["subject"], json!({ "kind": "department", "id": "art", "name": "艺术学院学生会" }));
    assert!(art["message"]["zh"].as_str().unwrap().contains("校级学代会召开前应完成"), "{art}");
    // GET changes nothing: the same answer again
    let (_, again) = app.get(&app.admin_token, &format!("/api/v1/compliance?day={DAY}")).await;
    assert_eq!(again, admin);
    app.stop().await;
}

#[tokio::test]
async fn who_may_see_the_report_sqlite() {
    who_may_see_the_report(Backend::Sqlite).await;
}

#[tokio::test]
async fn who_may_see_the_report_postgres() {
    who_may_see_the_report(Backend::Postgres).await;
}

async fn filters_work(backend: Backend) {
    let app = spawn(backend, "compliance_filters").await;
    let get = |q: String| {
        let app = &app;
        async move { app.get(&app.admin_token, &format!("/api/v1/compliance?day={DAY}{q}")).await }
    };
    let (_, all) = get(String::new()).await;
    let total = items(&all).len();
    // severity
    let (status, block) = get("&severity=block".into()).await;
    assert_eq!(status, 200);
    assert!(!items(&block).is_empty() && items(&block).iter().all(|f| f["severity"] == "block"), "{block}");
    assert_eq!(items(&block).len(), all["counts"]["block"].as_u64().unwrap() as usize);
    // measure (case as written by people: m3 reads as M3)
    let (_, m3) = get("&measure=m3".into()).await;
    assert!(!items(&m3).is_empty() && items(&m3).iter().all(|f| f["measure"] == "M3"), "{m3}");
    let (_, m2) = get("&measure=M2".into()).await;
    assert!(items(&m2).iter().all(|f| f["measure"] == "M2"));
    assert!(items(&m3).len() + items(&m2).len() <= total);
    // department: its own findings, its classes' and its people's
    let (_, law) = get("&department=law".into()).await;
    assert!(items(&law).iter().all(|f| f["department"] == "law"), "{law}");
    assert!(items(&all).iter().filter(|f| f["department"] == "law").count() == items(&law).len());
    // all three at once: the one finding that blocks the congress for art
    let (_, one) = get("&department=art&measure=M3&severity=block".into()).await;
    let codes: Vec<&str> = items(&one).iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["m3_term_transition_missing"], "{one}");
    // bad filters: 400 problem+json naming the field, nothing else
    for (q, field) in [
        ("&measure=M11", Some("measure")),
        ("&measure=M", Some("measure")),
        ("&department=nowhere", Some("department")),
        ("&severity=fatal", None),
        ("&colour=red", None),
    ] {
        let (status, p) = get(q.into()).await;
        assert_eq!(status, 400, "{q}: {p}");
        assert_eq!(p["code"], "bad_query", "{q}: {p}");
        if let Some(field) = field {
            assert_eq!(p["errors"][0]["field"], field, "{q}: {p}");
        }
    }
    let (status, p) = app.get(&app.admin_token, "/api/v1/compliance?day=2025-13-01").await;
    assert_eq!((status, p["code"].as_str()), (400, Some("bad_query")), "{p}");
    // without a day: today
    let (status, today) = app.get(&app.admin_token, "/api/v1/compliance").await;
    assert_eq!(status, 200);
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    assert_eq!(today["day"], now.to_string());
    app.stop().await;
}

#[tokio::test]
async fn filters_work_sqlite() {
    filters_work(Backend::Sqlite).await;
}

#[tokio::test]
async fn filters_work_postgres() {
    filters_work(Backend::Postgres).await;
}

#[tokio::test]
async fn metrics_show_a_gauge_per_code() {
    let app = spawn(Backend::Sqlite, "compliance_metrics").await;
    let m = app.http.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(m.contains("# TYPE liandong_compliance_findings gauge"), "{m}");
    let value = |code: &str, severity: &str| -> f64 {
        let key = format!("liandong_compliance_findings{{code=\"{code}\",severity=\"{severity}\"}} ");
        m.lines().find_map(|l| l.strip_prefix(&key)).unwrap_or_else(|| panic!("{key} in {m}")).parse().unwrap()
    };
    // every code has its series; today's count equals the API's
    let (_, today) = app.get(&app.admin_token, "/api/v1/compliance?severity=block").await;
    let blocks = items(&today).iter().filter(|f| f["code"] == "m3_term_transition_missing").count();
    assert!(blocks >= 1);
    assert_eq!(value("m3_term_transition_missing", "block"), blocks as f64);
    let _ = value("m5_reply_overdue", "warning");
    app.stop().await;
}

/// A department SU's major-matter report whose branch B (the school SU liaison) is not
/// acknowledged: missing once a working day has passed, gone once the liaison acknowledges.
async fn branch_b_missing_until_acknowledged(backend: Backend) {
    let app: TestApp = spawn(backend, "compliance_b").await;
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let r = app
        .submit(
            &president,
            "major_matter_report",
            json!({ "kind": "report", "matter_type": "reform_progress", "title": "计算机学院学生会改革推进情况报告", "body": "本学期调整了工作部门设置。" }),
        )
        .await;
    let id = r["id"].as_str().unwrap().to_string();
    // two weeks on (at least two working days in any season), branch B is missing
    let later = (chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
        + chrono::Duration::days(14))
    .to_string();
    let path = format!("/api/v1/compliance?day={later}&measure=M1&department=cs");
    let (status, found) = app.get(&app.admin_token, &path).await;
    assert_eq!(status, 200, "{found}");
    let missing: Vec<&Value> = items(&found).iter().filter(|f| f["code"] == "m1_branch_b_missing").collect();
    assert_eq!(missing.len(), 1, "{found}");
    assert_eq!(missing[0]["severity"], "error");
    assert!(missing[0]["message"]["zh"].as_str().unwrap().contains("计算机学院学生会改革推进情况报告"));
    let people: Vec<String> =
        missing[0]["people"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string()).collect();
    assert!(people.contains(&dp::SCHOOL_SU_PRESIDENT.to_string()), "the cs liaison must act: {people:?}");
    // the liaison acknowledges (today): nothing is missing or late any more
    let req = app.request(&id).await;
    let task = req["open_tasks"].as_array().unwrap().iter().find(|t| t["step"] == "school_su_ack").unwrap().clone();
    let liaison = app.token_for(task["assignee"].as_str().unwrap()).await;
    let (status, body) = app
        .post(
            &liaison,
            &format!("/api/v1/requests/{id}/tasks/{}/acknowledge", task["task"]),
            json!({ "comment": "已阅" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, found) = app.get(&app.admin_token, &path).await;
    assert!(
        items(&found).iter().all(|f| f["code"] != "m1_branch_b_missing" && f["code"] != "m1_branch_b_late"),
        "{found}"
    );
    app.stop().await;
}

#[tokio::test]
async fn branch_b_missing_until_acknowledged_sqlite() {
    branch_b_missing_until_acknowledged(Backend::Sqlite).await;
}

#[tokio::test]
async fn branch_b_missing_until_acknowledged_postgres() {
    branch_b_missing_until_acknowledged(Backend::Postgres).await;
}

/// The kinds a fresh demo reports on `day` (code, subject; the three `ee` onboardings as one):
/// its planted defects whose check is in season that day — M4 coverage from the 60th day of a
/// semester, M9's symposium from 15 November, the late branch B once the academic year has had
/// three working days (the check looks at this year's matters only).
fn planted_kinds(day: chrono::NaiveDate) -> std::collections::BTreeSet<(String, String)> {
    use workflows::records::Semester;
    let sem = Semester::of(day);
    let ymd = |m, d| chrono::NaiveDate::from_ymd_opt(sem.year, m, d).unwrap();
    let start = match sem.half {
        workflows::records::SemesterHalf::Autumn => ymd(9, 1),
        workflows::records::SemesterHalf::Spring => chrono::NaiveDate::from_ymd_opt(sem.year + 1, 3, 1).unwrap(),
    };
    let mut want: Vec<(&str, String)> = vec![
        ("m2_class_uncovered", "law-2025-2".into()),
        ("m2_ledger_stale", "math".into()),
        ("m3_department_su_cadres", "econ".into()),
        ("m3_term_transition_missing", "art".into()),
        ("m4_onboarding_overdue", "ee".into()),
    ];
    if day >= start + chrono::Duration::days(60) {
        let dir = workflows::org::generate::demo_directory();
        want.push(("m4_untrained", workflows::compliance::demo::untrained_member(&dir, day).unwrap()));
    }
    if day >= ymd(11, 15) {
        want.push(("m9_no_symposium", "fl".into()));
    }
    let cal = workflows::WorkCalendar::builtin();
    if cal.working_days_between(ymd(8, 31), day - chrono::Duration::days(1)) >= 3 {
        want.push(("m1_branch_b_late", "cs".into()));
    }
    want.into_iter().map(|(c, s)| (c.to_string(), s)).collect()
}

/// The planted proposals (M5) by title: status, and the steps whose tasks are open.
const PROPOSALS: &[(&str, &str, &[&str])] = &[
    ("关于增设自习室夜间开放时段的提案", "running", &["department_review"]),
    ("关于改善宿舍热水供应的提案", "returned", &[]),
    ("关于设立学生心理互助小组的提案", "running", &["committee_review"]),
    ("关于优化选课系统的提案", "running", &["classify"]),
    ("关于延长图书馆开放时间的提案", "running", &["lead_reply"]),
    ("关于增加校园夜间照明的提案", "running", &["compile"]),
    ("关于食堂增加清真窗口的提案", "running", &["proposer_rating"]),
    ("关于完善校园网认证方式的提案", "approved", &[]),
    ("关于体育场馆预约开放的提案", "approved", &[]),
    ("关于取消期末考试的提案", "rejected", &[]),
    ("关于考试周图书馆通宵开放的提案", "merged", &[]),
    ("关于在学生会公众号开设学习经验专栏的提案", "converted", &[]),
];

/// A fresh demo daemon has its records and its planted requests (issue 11 item 5): today's
/// report names exactly the planted kinds in season — nothing else, whatever the day — and the
/// planted requests are listed, each in its status, with their open tasks in the inboxes of
/// their reviewers. Nobody is mailed about them, and seeding again writes nothing twice.
async fn a_fresh_demo_reports_its_planted_defects(backend: Backend) {
    let app = spawn_with(backend, "compliance_fresh", vec![("LIANDONG__SEED__RECORDS".into(), "true".into())]).await;
    let (status, body) = app.get(&app.admin_token, "/api/v1/compliance").await;
    assert_eq!(status, 200, "{body}");
    let day: chrono::NaiveDate = body["day"].as_str().unwrap().parse().unwrap();
    let kinds: std::collections::BTreeSet<(String, String)> = items(&body)
        .iter()
        .map(|f| {
            let code = f["code"].as_str().unwrap().to_string();
            let subject = f["subject"]["id"].as_str().unwrap().to_string();
            let subject =
                if code == "m4_onboarding_overdue" { f["department"].as_str().unwrap().to_string() } else { subject };
            (code, subject)
        })
        .collect();
    let want = planted_kinds(day);
    assert_eq!(kinds, want, "on {day}: {body}");
    let onboarding = items(&body).iter().filter(|f| f["code"] == "m4_onboarding_overdue").count();
    assert_eq!(onboarding, 3, "three overdue onboardings in ee: {body}");
    assert_eq!(items(&body).len(), want.len() + 2, "one finding per planted defect: {body}");

    // The proposals: one per status, listed with the other requests.
    let (status, list) = app.get(&app.admin_token, "/api/v1/requests?workflow=proposal_handling&limit=100").await;
    assert_eq!(status, 200, "{list}");
    let listed = list["items"].as_array().unwrap();
    assert_eq!(listed.len(), PROPOSALS.len(), "{list}");
    for (title, want_status, steps) in PROPOSALS {
        let row = listed.iter().find(|r| r["title"] == *title).unwrap_or_else(|| panic!("{title}: {list}"));
        assert_eq!(row["status"], *want_status, "{title}");
        let id = row["id"].as_str().unwrap();
        let req = app.request(id).await;
        let open = req["open_tasks"].as_array().unwrap();
        let mut open_steps: Vec<&str> = open.iter().map(|t| t["step"].as_str().unwrap()).collect();
        open_steps.dedup();
        assert_eq!(&open_steps, steps, "{title}: {req}");
        // each open task is in its reviewer's inbox
        for t in open {
            let token = app.token_for(t["assignee"].as_str().unwrap()).await;
            let (_, mine) = app.get(&token, "/api/v1/tasks").await;
            assert!(
                mine["items"].as_array().unwrap().iter().any(|m| m["request"] == id && m["task"] == t["task"]),
                "{title}: {t} not in {mine}"
            );
        }
        // it happened before today
        let created: chrono::DateTime<chrono::Utc> = row["created_at"].as_str().unwrap().parse().unwrap();
        assert!(created.with_timezone(&chrono_tz::Asia::Shanghai).date_naive() < day, "{row}");
    }
    // The major matters: both closed; cs's branch B reached the secretary-general by escalation.
    let (_, m1) = app.get(&app.admin_token, "/api/v1/requests?workflow=major_matter_report").await;
    let m1 = m1["items"].as_array().unwrap().clone();
    assert_eq!(m1.len(), 2, "{m1:?}");
    assert!(m1.iter().all(|r| r["status"] == "approved"), "{m1:?}");
    let cs = m1.iter().find(|r| r["title"] == "计算机学院学生会改革推进情况报告").expect("cs's report");
    let (_, events) =
        app.get(&app.admin_token, &format!("/api/v1/requests/{}/events", cs["id"].as_str().unwrap())).await;
    let events = events.as_array().unwrap();
    assert!(events.iter().any(|e| e["kind"]["type"] == "escalated"), "{events:?}");
    // Their events are hash-chained like any command's (`liandong audit verify`).
    let (_, breaks) = entities::store::requests::verify_chains(&app.app.db).await.unwrap();
    assert!(breaks.is_empty(), "{breaks:?}");
    // Nothing was mailed about the past, and a second seeding writes nothing twice.
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM outbox").await, 0);
    let requests = app.count("SELECT COUNT(*) AS n FROM requests").await;
    assert!(requests >= 15, "{requests}");
    assert_eq!(app.app.seed_demo_requests(chrono::Utc::now()).await.unwrap(), 0);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM requests").await, requests);
    let (_, again) = app.get(&app.admin_token, "/api/v1/compliance").await;
    assert_eq!(again["items"], body["items"]);
    app.stop().await;
}

#[tokio::test]
async fn a_fresh_demo_reports_its_planted_defects_sqlite() {
    a_fresh_demo_reports_its_planted_defects(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_fresh_demo_reports_its_planted_defects_postgres() {
    a_fresh_demo_reports_its_planted_defects(Backend::Postgres).await;
}
