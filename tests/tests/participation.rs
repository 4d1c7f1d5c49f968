//! Taking part (issue 11, requirement 2) over HTTP on SQLite and PostgreSQL (one case on
//! MariaDB): volunteer hours (M7) logged by the volunteer or the organiser of their request,
//! listed by need-to-know and summed per department and school with the share of class cadres
//! among the volunteers, checked against numbers worked out by hand; bad hours are 422 with the
//! field and store nothing; a service project (M8) whose approval waits until a student records
//! co-design input and whose closure passes only with evaluations from 3 classes, the counts
//! being Liandong's, not typed; an approved co-hosted activity (M6) is listed as a record.

use chrono::{Duration, NaiveDate, Utc};
use liandong_tests::{Backend, TestApp};
use serde_json::{Value, json};
use workflows::org::generate::demo_people as dp;

/// 计算机2023级1班, seat 2: a class committee member (a class cadre).
const CS_CADRE: &str = "2023010102";
/// 计算机2023级1班, seats 15 and 16: no class post.
const CS_STUDENT: &str = "2023010115";
const CS_STUDENT_2: &str = "2023010116";
/// 计算机2023级2班, seat 15.
const CS_2023_2_STUDENT: &str = "2023010215";
/// 计算机2024级1班, seat 15.
const CS_2024_1_STUDENT: &str = "2024010115";
/// 电子信息学院, 2023级1班, seat 15.
const EE_STUDENT: &str = "2023020115";

fn today() -> NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn hours(date: NaiveDate, h: f64, activity: &str) -> Value {
    json!({ "date": ymd(date), "hours": h, "activity": activity })
}

async fn log(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, h) = app.post(token, "/api/v1/volunteer-hours", body).await;
    assert_eq!(status, 201, "{h}");
    h
}

fn people(list: &Value) -> Vec<String> {
    let mut v: Vec<String> =
        list["items"].as_array().unwrap().iter().map(|e| e["person"].as_str().unwrap().to_string()).collect();
    v.sort();
    v
}

async fn stored_hours(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) AS n FROM volunteer_hours").await
}

/// Volunteers log their hours, the CS SU president logs them for a participant of the support
/// request they submitted; each reader sees what they may; the summary's figures are the ones
/// worked out by hand below.
async fn volunteer_hours_are_logged_listed_and_summed(backend: Backend) {
    let app = liandong_tests::spawn(backend, "vh_summary").await;
    let (day, yesterday) = (today(), today() - Duration::days(1));
    let cadre = app.token_for(CS_CADRE).await;
    let student = app.token_for(CS_STUDENT).await;
    let ee = app.token_for(EE_STUDENT).await;
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let h = log(&app, &cadre, hours(day, 2.0, "图书馆志愿服务")).await;
    assert_eq!((h["person"].as_str(), h["hours"].as_f64()), (Some(CS_CADRE), Some(2.0)), "{h}");
    assert_eq!((h["department"].as_str(), h["class"].as_str()), (Some("cs"), Some("cs-2023-1")));
    assert_eq!(h["class_name"], "计算机2023级1班");
    log(&app, &cadre, hours(yesterday, 1.5, "迎新志愿服务")).await;
    log(&app, &student, hours(day, 3.0, "运动会志愿服务")).await;
    log(&app, &ee, hours(day, 4.0, "社区支教")).await;
    // the organiser of a support request logs the hours of someone who served in it
    let support = app
        .submit(
            &president,
            "support_request",
            json!({ "title": "申请志愿者支持", "support": ["volunteers"], "volunteers_needed": 5, "detail": "迎新" }),
        )
        .await;
    let request = support["id"].as_str().unwrap().to_string();
    let mut for_other = hours(day, 0.5, "迎新引导");
    for_other["person"] = json!(CS_STUDENT_2);
    for_other["request"] = json!(request);
    let h = log(&app, &president, for_other.clone()).await;
    assert_eq!((h["person"].as_str(), h["logged_by"].as_str()), (Some(CS_STUDENT_2), Some(dp::CS_SU_PRESIDENT)));
    // … but nobody logs another's hours without being the organiser of the request named
    for body in
        [for_other.clone(), { json!({ "person": CS_STUDENT_2, "date": ymd(day), "hours": 1, "activity": "x" }) }]
    {
        let (status, p) = app.post(&student, "/api/v1/volunteer-hours", body).await;
        assert_eq!((status, p["code"].as_str()), (403, Some("not_the_organiser")), "{p}");
    }
    assert_eq!(stored_hours(&app).await, 5);

    // need-to-know: a student their own; the CS League secretary CS's; the admin everything
    let (_, own) = app.get(&student, "/api/v1/volunteer-hours").await;
    assert_eq!(people(&own), [CS_STUDENT]);
    let (_, own) = app.get(&president, "/api/v1/volunteer-hours?person=me").await;
    assert!(people(&own).is_empty(), "the president served none: {own}");
    let league = app.token_for(dp::CS_LEAGUE_SECRETARY).await;
    let (_, cs) = app.get(&league, "/api/v1/volunteer-hours").await;
    assert_eq!(people(&cs), [CS_CADRE, CS_CADRE, CS_STUDENT, CS_STUDENT_2]);
    let (_, all) = app.get(&app.admin_token, "/api/v1/volunteer-hours?limit=200").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 5);
    let (_, filtered) =
        app.get(&app.admin_token, &format!("/api/v1/volunteer-hours?department=cs&from={}", ymd(day))).await;
    assert_eq!(people(&filtered), [CS_CADRE, CS_STUDENT, CS_STUDENT_2]);
    let (_, by_request) = app.get(&app.admin_token, &format!("/api/v1/volunteer-hours?request={request}")).await;
    assert_eq!(people(&by_request), [CS_STUDENT_2]);
    let ee_entry = all["items"].as_array().unwrap().iter().find(|e| e["person"] == EE_STUDENT).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = app.get(&student, &format!("/api/v1/volunteer-hours/{ee_entry}")).await;
    assert_eq!(status, 404, "another student's hours are not theirs to read");
    let (status, _) = app.get(&ee, &format!("/api/v1/volunteer-hours/{ee_entry}")).await;
    assert_eq!(status, 200);
    // paging returns every entry once, newest first
    let mut seen = Vec::new();
    let mut path = "/api/v1/volunteer-hours?limit=2".to_string();
    loop {
        let (status, page) = app.get(&app.admin_token, &path).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(page["items"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_string()));
        match page["next"].as_str() {
            Some(n) => path = format!("/api/v1/volunteer-hours?limit=2&cursor={n}"),
            None => break,
        }
    }
    let newest_first: Vec<String> =
        all["items"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(seen, newest_first);

    // the summary, by hand: cs has 3 volunteers (the cadre 2 + 1.5 h, two students 3 h and 0.5 h)
    // of whom 1 class cadre: 7 h, 1/3; ee 1 volunteer, no cadre, 4 h; the school 4 volunteers, 1
    // cadre, 11 h: 1/4
    let (status, s) = app.get(&app.admin_token, "/api/v1/volunteer-hours/summary").await;
    assert_eq!(status, 200, "{s}");
    let line = |d: &str| s["departments"].as_array().unwrap().iter().find(|l| l["department"] == d).cloned().unwrap();
    let cs = line("cs");
    assert_eq!(
        (cs["hours"].as_f64(), cs["entries"].as_i64(), cs["volunteers"].as_i64(), cs["class_cadres"].as_i64()),
        (Some(7.0), Some(4), Some(3), Some(1)),
        "{s}"
    );
    assert_eq!(cs["class_cadre_share"].as_f64(), Some(0.3333));
    assert_eq!(cs["name"], "计算机学院");
    let ee_line = line("ee");
    assert_eq!((ee_line["hours"].as_f64(), ee_line["class_cadre_share"].as_f64()), (Some(4.0), Some(0.0)));
    assert_eq!(
        (s["school"]["hours"].as_f64(), s["school"]["volunteers"].as_i64(), s["school"]["class_cadre_share"].as_f64()),
        (Some(11.0), Some(4), Some(0.25))
    );
    assert_eq!(s["departments"].as_array().unwrap().len(), 2);
    // the League secretary of CS sees CS's line only; a student no summary; another semester is empty
    let (_, mine) = app.get(&league, "/api/v1/volunteer-hours/summary").await;
    assert_eq!(mine["departments"].as_array().unwrap().len(), 1, "{mine}");
    assert_eq!((mine["departments"][0]["department"].as_str(), mine["school"].is_null()), (Some("cs"), true));
    let (status, p) = app.get(&student, "/api/v1/volunteer-hours/summary").await;
    assert_eq!((status, p["code"].as_str()), (403, Some("forbidden")));
    let (_, old) = app.get(&app.admin_token, "/api/v1/volunteer-hours/summary?semester=2024-spring").await;
    assert_eq!((old["departments"].as_array().unwrap().len(), old["school"]["volunteers"].as_i64()), (0, Some(0)));
    assert_eq!((old["from"].as_str(), old["to"].as_str()), (Some("2025-03-01"), Some("2025-08-31")));
    assert_eq!(old["semester_name"], "2024—2025学年第二学期");
    let (status, p) = app.get(&app.admin_token, "/api/v1/volunteer-hours/summary?semester=autumn").await;
    assert_eq!((status, p["code"].as_str()), (400, Some("bad_query")), "{p}");
    app.stop().await;
}

#[tokio::test]
async fn volunteer_hours_are_logged_listed_and_summed_sqlite() {
    volunteer_hours_are_logged_listed_and_summed(Backend::Sqlite).await;
}

#[tokio::test]
async fn volunteer_hours_are_logged_listed_and_summed_postgres() {
    volunteer_hours_are_logged_listed_and_summed(Backend::Postgres).await;
}

#[tokio::test]
async fn volunteer_hours_are_logged_listed_and_summed_mariadb() {
    volunteer_hours_are_logged_listed_and_summed(Backend::Mariadb).await;
}

/// Each broken field is 422 `invalid_volunteer_hours` naming it with its reason; a day over 24
/// hours is refused; nothing is stored.
async fn bad_hours_store_nothing(backend: Backend) {
    let app = liandong_tests::spawn(backend, "vh_bad").await;
    let student = app.token_for(CS_STUDENT).await;
    let day = today();
    for (body, field, code) in [
        (hours(day, 0.25, "x"), "hours", "out_of_range"),
        (hours(day, 25.0, "x"), "hours", "out_of_range"),
        (hours(day, 1.2, "x"), "hours", "bad_step"),
        (json!({ "date": ymd(day), "hours": "2", "activity": "x" }), "hours", "wrong_type"),
        (json!({ "date": ymd(day), "activity": "x" }), "hours", "required"),
        (hours(day + Duration::days(1), 1.0, "x"), "date", "in_future"),
        (hours(day - Duration::days(367), 1.0, "x"), "date", "too_old"),
        (json!({ "date": "1900-01-01", "hours": 1, "activity": "x" }), "date", "too_old"),
        (json!({ "date": "2026-02-30", "hours": 1, "activity": "x" }), "date", "bad_date"),
        (hours(day, 1.0, "  "), "activity", "required"),
        (hours(day, 1.0, &"长".repeat(201)), "activity", "too_long"),
        (json!({ "date": ymd(day), "hours": 1, "activity": "x", "minutes": 3 }), "minutes", "unknown_field"),
        (json!({ "person": "nobody", "date": ymd(day), "hours": 1, "activity": "x" }), "person", "unknown_reference"),
        (
            json!({ "date": ymd(day), "hours": 1, "activity": "x", "request": "no-such" }),
            "request",
            "unknown_reference",
        ),
    ] {
        let (status, p) = app.post(&student, "/api/v1/volunteer-hours", body.clone()).await;
        assert_eq!((status, p["code"].as_str()), (422, Some("invalid_volunteer_hours")), "{body}: {p}");
        assert_eq!(
            (p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()),
            (Some(field), Some(code)),
            "{p}"
        );
    }
    let (status, p) = app.post(&student, "/api/v1/volunteer-hours", json!([1])).await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(stored_hours(&app).await, 0);
    // 20 hours, then 5 more the same day: a day has 24
    log(&app, &student, hours(day, 20.0, "通宵值守")).await;
    let (status, p) = app.post(&student, "/api/v1/volunteer-hours", hours(day, 5.0, "再值守")).await;
    assert_eq!((status, p["errors"][0]["code"].as_str()), (422, Some("too_many_hours")), "{p}");
    log(&app, &student, hours(day, 4.0, "收尾")).await;
    assert_eq!(stored_hours(&app).await, 2);
    app.stop().await;
}

#[tokio::test]
async fn bad_hours_store_nothing_sqlite() {
    bad_hours_store_nothing(Backend::Sqlite).await;
}

#[tokio::test]
async fn bad_hours_store_nothing_postgres() {
    bad_hours_store_nothing(Backend::Postgres).await;
}

/// The open tasks of a request as (step, assignee).
fn open_tasks(req: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = req["open_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["step"].as_str().unwrap().to_string(), t["assignee"].as_str().unwrap().to_string()))
        .collect();
    v.sort();
    v
}

/// `person` approves their open task on request `id`.
async fn approve(app: &TestApp, id: &str, person: &str) -> Value {
    let req = app.request(id).await;
    let task = req["open_tasks"].as_array().unwrap().iter().find(|t| t["assignee"] == person).cloned();
    let task = task.unwrap_or_else(|| panic!("{person} has no task: {req}"))["task"].as_u64().unwrap();
    let token = app.token_for(person).await;
    let (status, r) = app
        .post(&token, &format!("/api/v1/requests/{id}/tasks/{task}/decision"), json!({ "decision": "approve" }))
        .await;
    assert_eq!(status, 200, "{r}");
    r
}

/// A service project's approval waits until a student has recorded co-design input, and its
/// closure until students of 3 classes have evaluated it; the counts are Liandong's.
async fn service_project_gates_count_the_students_entries(backend: Backend) {
    let app = liandong_tests::spawn(backend, "m8_gates").await;
    let vice = app.token_for(dp::CS_SU_VICE_PRESIDENT).await;
    // typing a count is refused
    let (status, p) = app
        .post(
            &vice,
            "/api/v1/requests",
            json!({ "workflow": "service_project", "form": { "title": "宿舍维修反馈小程序", "plan": "……", "co_design_students": 30 } }),
        )
        .await;
    assert_eq!((status, p["errors"][0]["code"].as_str()), (422, Some("computed")), "{p}");
    let r = app.submit(&vice, "service_project", json!({ "title": "宿舍维修反馈小程序", "plan": "……" })).await;
    let id = r["id"].as_str().unwrap().to_string();
    assert_eq!(r["form"]["co_design_students"], 0);
    // approval waits: only the president's "co-design needed" task, none for the League secretary
    let president = dp::CS_SU_PRESIDENT;
    assert_eq!(open_tasks(&app.request(&id).await), [("co_design_missing".to_string(), president.to_string())]);
    let r = approve(&app, &id, president).await;
    assert_eq!(open_tasks(&r), [("co_design_missing".to_string(), president.to_string())], "no entry yet");
    // who may not write an entry
    let path = format!("/api/v1/requests/{id}/co-design");
    let league = app.token_for(dp::CS_LEAGUE_SECRETARY).await;
    for (token, status, code) in [(&league, 403, "not_a_student"), (&vice, 403, "own_project")] {
        let (s, p) = app.post(token, &path, json!({ "text": "建议增加夜间报修" })).await;
        assert_eq!((s, p["code"].as_str()), (status, Some(code)), "{p}");
    }
    let student = app.token_for(CS_STUDENT).await;
    let (s, p) = app.post(&student, &path, json!({ "text": "  " })).await;
    assert_eq!((s, p["code"].as_str(), p["errors"][0]["field"].as_str()), (422, Some("invalid_entry"), Some("text")));
    // a student records co-design input: the request shows it counted at once; writing again rewrites it
    let (s, e) = app.post(&student, &path, json!({ "text": "建议增加夜间报修" })).await;
    assert_eq!((s, e["person"].as_str(), e["class"].as_str()), (201, Some(CS_STUDENT), Some("cs-2023-1")), "{e}");
    let (s, e) = app.post(&student, &path, json!({ "text": "建议增加夜间报修和进度提醒" })).await;
    assert_eq!((s, e["text"].as_str()), (200, Some("建议增加夜间报修和进度提醒")));
    let req = app.request(&id).await;
    assert_eq!(
        (req["form"]["co_design_students"].as_i64(), req["form"]["co_design_classes"].as_i64()),
        (Some(1), Some(1))
    );
    // now the gate lets it through to the approval
    let r = approve(&app, &id, president).await;
    assert_eq!(
        open_tasks(&r),
        [
            ("approval".to_string(), president.to_string()),
            ("approval".to_string(), dp::CS_LEAGUE_SECRETARY.to_string())
        ]
    );
    approve(&app, &id, president).await;
    let r = approve(&app, &id, dp::CS_LEAGUE_SECRETARY).await;
    assert_eq!(open_tasks(&r), [("evaluation_missing".to_string(), president.to_string())]);
    // evaluations: a rating is needed, 1 to 5
    let eval = format!("/api/v1/requests/{id}/evaluations");
    for (body, field, code) in [
        (json!({ "text": "好" }), "rating", "required"),
        (json!({ "text": "好", "rating": 6 }), "rating", "out_of_range"),
    ] {
        let (s, p) = app.post(&student, &eval, body).await;
        assert_eq!(
            (s, p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()),
            (422, Some(field), Some(code))
        );
    }
    // two classes (three students) are not enough …
    for who in [CS_STUDENT, CS_STUDENT_2, CS_2023_2_STUDENT] {
        let t = app.token_for(who).await;
        let (s, p) = app.post(&t, &eval, json!({ "text": "报修更快了", "rating": 4 })).await;
        assert_eq!(s, 201, "{p}");
    }
    let r = approve(&app, &id, president).await;
    assert_eq!(open_tasks(&r), [("evaluation_missing".to_string(), president.to_string())], "2 classes");
    assert_eq!(
        (r["form"]["evaluation_classes"].as_i64(), r["form"]["evaluation_students"].as_i64()),
        (Some(2), Some(3))
    );
    // … a third class is
    let t = app.token_for(CS_2024_1_STUDENT).await;
    let (s, _) = app.post(&t, &eval, json!({ "text": "希望推广到全校", "rating": 5 })).await;
    assert_eq!(s, 201);
    let r = approve(&app, &id, president).await;
    assert_eq!(open_tasks(&r), [("closure_review".to_string(), dp::CS_LEAGUE_SECRETARY.to_string())]);
    let r = approve(&app, &id, dp::CS_LEAGUE_SECRETARY).await;
    assert_eq!(r["status"], "approved", "{r}");
    // the entries are listed with what was counted; a student who is not on the path sees their own
    let (_, list) = app.get(&vice, &eval).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 4);
    assert_eq!(list["counted"], json!({ "students": 4, "classes": 3 }));
    let (_, own) = app.get(&student, &eval).await;
    assert_eq!(own["items"].as_array().unwrap().len(), 1, "{own}");
    assert_eq!(own["items"][0]["rating"], 4);
    // a finished project takes no more entries; a request of another workflow takes none
    let (s, p) = app.post(&student, &eval, json!({ "text": "补充", "rating": 5 })).await;
    assert_eq!((s, p["code"].as_str()), (409, Some("request_finished")));
    let cs_president = app.token_for(president).await;
    let other = app
        .submit(
            &cs_president,
            "support_request",
            json!({ "title": "申请宣传支持", "support": ["publicity"], "detail": "……" }),
        )
        .await;
    let (s, p) = app
        .post(
            &student,
            &format!("/api/v1/requests/{}/co-design", other["id"].as_str().unwrap()),
            json!({ "text": "x" }),
        )
        .await;
    assert_eq!((s, p["code"].as_str()), (409, Some("entries_not_accepted")));
    // the counts the gates read are on the request's record, so replaying it gives the same form
    let (_, events) = app.get(&app.admin_token, &format!("/api/v1/requests/{id}/events")).await;
    let recomputed: Vec<&Value> =
        events.as_array().unwrap().iter().filter(|e| e["kind"]["type"] == "recomputed").collect();
    assert!(recomputed.len() >= 3, "{events}");
    assert_eq!(recomputed.last().unwrap()["kind"]["fields"]["evaluation_classes"], 3);
    app.stop().await;
}

#[tokio::test]
async fn service_project_gates_count_the_students_entries_sqlite() {
    service_project_gates_count_the_students_entries(Backend::Sqlite).await;
}

#[tokio::test]
async fn service_project_gates_count_the_students_entries_postgres() {
    service_project_gates_count_the_students_entries(Backend::Postgres).await;
}

/// An approved activity with co-hosts is listed as a `co_hosts` record (M6), readable by anyone
/// in the org and filtered by department.
async fn cohosted_activities_are_recorded(backend: Backend) {
    let app = liandong_tests::spawn(backend, "m6_cohost").await;
    let president = app.token_for(dp::CS_SU_VICE_PRESIDENT).await;
    let event_date = today() + Duration::days(40);
    let r = app
        .submit(
            &president,
            "activity_cohost",
            json!({ "title": "计算机学院编程马拉松", "event_date": ymd(event_date), "plan": "……",
                    "cohost_departments": ["ee"] }),
        )
        .await;
    let id = r["id"].as_str().unwrap().to_string();
    for _ in 0..10 {
        let req = app.request(&id).await;
        let Some(t) = req["open_tasks"].as_array().unwrap().first().cloned() else { break };
        let token = app.token_for(t["assignee"].as_str().unwrap()).await;
        let task = t["task"].as_u64().unwrap();
        let (s, b) = if t["kind"] == "acknowledge" {
            app.post(&token, &format!("/api/v1/requests/{id}/tasks/{task}/acknowledge"), json!({})).await
        } else {
            app.post(&token, &format!("/api/v1/requests/{id}/tasks/{task}/decision"), json!({ "decision": "approve" }))
                .await
        };
        assert_eq!(s, 200, "{b}");
    }
    assert_eq!(app.request(&id).await["status"], "approved");
    let student = app.token_for(EE_STUDENT).await;
    let (s, list) = app.get(&student, "/api/v1/records/co_hosts?department=ee").await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    let c = &list["items"][0];
    assert_eq!((c["host"].as_str(), c["title"].as_str()), (Some("department_su@cs"), Some("计算机学院编程马拉松")));
    assert_eq!((c["cohosts"].clone(), c["date"].as_str()), (json!(["ee"]), Some(ymd(event_date).as_str())));
    assert_eq!(c["request"], id.as_str());
    let (_, none) = app.get(&student, "/api/v1/records/co_hosts?department=fl").await;
    assert!(none["items"].as_array().unwrap().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn cohosted_activities_are_recorded_sqlite() {
    cohosted_activities_are_recorded(Backend::Sqlite).await;
}

#[tokio::test]
async fn cohosted_activities_are_recorded_postgres() {
    cohosted_activities_are_recorded(Backend::Postgres).await;
}
