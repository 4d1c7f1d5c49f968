//! M1 and M4 records kept directly (issue 11 requirement 2), end to end over HTTP on SQLite and
//! PostgreSQL: a class's reporting-system adoption recorded by its class committee clears the
//! `m1_reporting_system_missing` finding (others refused, a second one 409); the reporting
//! checklist's new version is a draft until 校团委 signs it off, and only then do the M1 request
//! forms take its matter types; training attendance imported from JSON, CSV and XLSX lists,
//! all or nothing, clears `m4_untrained`.

use chrono::{NaiveDate, Utc};
use entities::sea_orm::{ConnectionTrait, Statement};
use liandong_tests::{Backend, TestApp, spawn, spawn_with};
use serde_json::{Value, json};
use workflows::catalog::Role;
use workflows::org::Directory;
use workflows::org::generate::{demo_directory, demo_people as dp};
use workflows::records::Semester;

/// A CS student who holds no post in the demo.
const NOBODY_IN_CHARGE: &str = "2023010215";
const CLASS: &str = "cs-2023-1";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn today() -> NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

async fn findings(app: &TestApp, code: &str) -> Vec<Value> {
    let (status, r) = app.get(&app.admin_token, "/api/v1/compliance").await;
    assert_eq!(status, 200, "{r}");
    r["items"].as_array().unwrap().iter().filter(|f| f["code"] == code).cloned().collect()
}

async fn exec(app: &TestApp, sql: &str) {
    let db = &app.app.db;
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql.to_string())).await.unwrap();
}

/// POSTs `body` as `content_type`; (status, content type, JSON body).
async fn upload(app: &TestApp, token: &str, path: &str, content_type: &str, body: Vec<u8>) -> (u16, String, Value) {
    let r = app
        .http
        .post(format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, ct, r.json().await.unwrap_or(Value::Null))
}

trait Patch {
    async fn patch(&self, token: &str, path: &str, body: Value) -> (u16, Value);
}

impl Patch for TestApp {
    /// PATCH JSON; returns (status, body).
    async fn patch(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        let r = self.http.patch(format!("{}{path}", self.base)).bearer_auth(token).json(&body).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

fn fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map_or(Vec::new(), |e| e.iter().map(|f| f["field"].as_str().unwrap().to_string()).collect())
}

async fn a_class_records_its_reporting_system(backend: Backend) {
    let app = spawn(backend, "adoption").await;
    // given the class has no adoption on record: the check names it
    exec(&app, &format!("DELETE FROM reporting_adoptions WHERE class = '{CLASS}'")).await;
    let missing = findings(&app, "m1_reporting_system_missing").await;
    assert!(missing.iter().any(|f| f["subject"]["id"] == CLASS), "{missing:?}");
    let good = json!({ "class": CLASS, "date": today().to_string(),
                       "contact_person": dp::CS_SU_VICE_PRESIDENT, "counselor": dp::CS_COUNSELOR_2023 });
    let path = "/api/v1/records/reporting_adoptions";
    // a student outside the class committee and the department SU presidium: 403
    let student = app.token_for(NOBODY_IN_CHARGE).await;
    let (status, body) = app.post(&student, path, good.clone()).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("not_class_or_department_su")), "{body}");
    // the monitor with the contacts swapped and a future date: 422 naming each field, nothing stored
    let monitor = app.token_for(dp::CS_2023_1_MONITOR).await;
    let tomorrow = today().succ_opt().unwrap().to_string();
    let bad = json!({ "class": CLASS, "date": tomorrow, "contact_person": dp::CS_COUNSELOR_2023,
                      "counselor": dp::CS_SU_VICE_PRESIDENT, "colour": "red" });
    let (status, body) = app.post(&monitor, path, bad).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_reporting_adoption")), "{body}");
    let mut f = fields(&body);
    f.sort();
    assert_eq!(f, ["colour", "contact_person", "counselor", "date"], "{body}");
    let (status, body) = app.post(&monitor, path, json!({ "class": "cs-1999-9", "date": "2026-01-01" })).await;
    assert_eq!(status, 422, "{body}");
    assert!(fields(&body).contains(&"class".to_string()), "{body}");
    assert_eq!(app.count(&format!("SELECT COUNT(*) AS n FROM reporting_adoptions WHERE class = '{CLASS}'")).await, 0);
    // the monitor records it: 201 with the contacts and the term
    let (status, body) = app.post(&monitor, path, good.clone()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["class_name"].as_str().map(|s| s.is_empty()), Some(false), "{body}");
    assert_eq!(body["term"], Semester::of(today()).year, "{body}");
    assert_eq!(body["counselor"], dp::CS_COUNSELOR_2023);
    // a second one for the same class and term, even by the department SU president: 409
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let (status, body) = app.post(&president, path, good).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("already_adopted")), "{body}");
    // the list shows who keeps the class's reporting, and the finding is gone
    let (status, list) = app.get(&app.admin_token, &format!("{path}?class={CLASS}")).await;
    assert_eq!(status, 200, "{list}");
    let item = &list["items"][0];
    assert_eq!(
        (&item["contact_person"], &item["counselor"], &item["recorded_by"], &item["request"]),
        (&json!(dp::CS_SU_VICE_PRESIDENT), &json!(dp::CS_COUNSELOR_2023), &json!(dp::CS_2023_1_MONITOR), &Value::Null)
    );
    let missing = findings(&app, "m1_reporting_system_missing").await;
    assert!(!missing.iter().any(|f| f["subject"]["id"] == CLASS), "{missing:?}");
    // the contacts change with the committee: the department SU president names himself
    let one = format!("{path}/{CLASS}");
    let (status, body) = app.patch(&student, &one, json!({ "contact_person": dp::CS_SU_PRESIDENT })).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("not_class_or_department_su")), "{body}");
    let (status, body) = app.patch(&president, &one, json!({ "contact_person": dp::CS_COUNSELOR_2023 })).await;
    assert_eq!((status, fields(&body)), (422, vec!["contact_person".to_string()]), "{body}");
    let (status, body) = app.patch(&president, &one, json!({ "contact_person": dp::CS_SU_PRESIDENT })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["contact_person"], &body["counselor"]),
        (&json!(dp::CS_SU_PRESIDENT), &json!(dp::CS_COUNSELOR_2023))
    );
    let (status, _) =
        app.patch(&app.admin_token, &format!("{path}/cs-1999-9"), json!({ "counselor": dp::CS_COUNSELOR_2023 })).await;
    assert_eq!(status, 404);
    // the other record kinds are written by workflow outcomes only
    let (status, _) = app.post(&app.admin_token, "/api/v1/records/symposiums", json!({})).await;
    assert_eq!(status, 405);
    app.stop().await;
}

#[tokio::test]
async fn a_class_records_its_reporting_system_on_sqlite() {
    a_class_records_its_reporting_system(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_class_records_its_reporting_system_on_postgres() {
    a_class_records_its_reporting_system(Backend::Postgres).await;
}

fn matter(matter_type: &str) -> Value {
    json!({ "kind": "report", "matter_type": matter_type, "title": "计算机学院学生会关于校园安全演练的报告", "body": "……" })
}

async fn a_checklist_version_counts_once_the_league_committee_signs_it_off(backend: Backend) {
    let app = spawn(backend, "checklist").await;
    // the built-in checklist is version 1, signed off, and anyone signed in can read it
    let monitor = app.token_for(dp::CS_2023_1_MONITOR).await;
    let (status, v1) = app.get(&monitor, "/api/v1/reporting-checklist").await;
    assert_eq!(status, 200, "{v1}");
    assert_eq!((v1["version"].as_i64(), v1["status"].as_str()), (Some(1), Some("signed_off")), "{v1}");
    let codes: Vec<&str> = v1["items"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"major_meeting") && codes.contains(&"major_commendation"), "{v1}");
    assert_eq!(v1["items"][0]["name"]["zh"], "召开本级学代会等重大会议");
    // version 2 drops commendations and adds safety drills
    let mut items: Vec<Value> =
        v1["items"].as_array().unwrap().iter().filter(|i| i["code"] != "major_commendation").cloned().collect();
    items.push(json!({ "code": "safety_drill", "name": { "zh": "校园安全演练", "en": "safety drill" },
                       "kinds": ["report"], "lead_time": "normal" }));
    let draft = json!({ "items": items, "note": "删去重大表彰，增加安全演练" });
    let path = "/api/v1/reporting-checklist/versions";
    // a department SU president may not draft it
    let cs = app.token_for(dp::CS_SU_PRESIDENT).await;
    let (status, body) = app.post(&cs, path, draft.clone()).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("not_checklist_maintainer")), "{body}");
    // a broken item is refused with its field
    let school = app.token_for(dp::SCHOOL_SU_PRESIDENT).await;
    let broken = json!({ "items": [{ "code": "Safety Drill", "name": { "zh": "演练", "en": "drill" },
                                     "kinds": ["report"], "lead_time": "normal" }] });
    let (status, body) = app.post(&school, path, broken).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_checklist")), "{body}");
    assert_eq!(fields(&body), ["items[0].code"]);
    // the school SU president drafts it
    let (status, v2) = app.post(&school, path, draft).await;
    assert_eq!(status, 201, "{v2}");
    assert_eq!(
        (v2["version"].as_i64(), v2["status"].as_str(), &v2["signed_by"]),
        (Some(2), Some("draft"), &Value::Null)
    );
    // an unsigned draft is not used: the current version is still 1, and the new type is refused
    let (_, current) = app.get(&monitor, "/api/v1/reporting-checklist").await;
    assert_eq!(current["version"], 1);
    let (status, body) = app
        .post(&cs, "/api/v1/requests", json!({ "workflow": "major_matter_report", "form": matter("safety_drill") }))
        .await;
    assert_eq!((status, body["code"].as_str()), (422, Some("not_in_checklist")), "{body}");
    assert_eq!(fields(&body), ["matter_type"]);
    // the draft is hidden from a class monitor, shown to 校团委
    let (status, _) = app.get(&monitor, "/api/v1/reporting-checklist?version=2").await;
    assert_eq!(status, 404);
    let league = app.token_for(dp::LEAGUE_COMMITTEE_SECRETARY).await;
    let (status, seen) = app.get(&league, "/api/v1/reporting-checklist?version=2").await;
    assert_eq!((status, seen["status"].as_str()), (200, Some("draft")), "{seen}");
    // neither an admin nor the school SU signs it off: only 校团委
    let sign = "/api/v1/reporting-checklist/versions/2/sign-off";
    for token in [&app.admin_token, &school] {
        let (status, body) = app.post(token, sign, json!({})).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("not_league_committee")), "{body}");
    }
    let (status, signed) = app.post(&league, sign, json!({})).await;
    assert_eq!(status, 200, "{signed}");
    assert_eq!(
        (signed["status"].as_str(), &signed["signed_by"]),
        (Some("signed_off"), &json!(dp::LEAGUE_COMMITTEE_SECRETARY))
    );
    assert!(signed["signed_at"].as_str().is_some(), "{signed}");
    let (status, body) = app.post(&league, sign, json!({})).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("already_signed_off")), "{body}");
    // now version 2 is current: the dropped type is refused, the new one is filed
    let (_, current) = app.get(&monitor, "/api/v1/reporting-checklist").await;
    assert_eq!((current["version"].as_i64(), &current["signed_by"]), (Some(2), &json!(dp::LEAGUE_COMMITTEE_SECRETARY)));
    let (status, body) = app
        .post(
            &cs,
            "/api/v1/requests",
            json!({ "workflow": "major_matter_report", "form": matter("major_commendation") }),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (422, Some("not_in_checklist")), "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("version 2"), "{body}");
    let filed = app.submit(&cs, "major_matter_report", matter("safety_drill")).await;
    assert_eq!(filed["form"]["matter_type"], "safety_drill", "{filed}");
    // a type only reported may not be requested
    let mut request = matter("safety_drill");
    request["kind"] = json!("request");
    let (status, body) =
        app.post(&cs, "/api/v1/requests", json!({ "workflow": "major_matter_report", "form": request })).await;
    assert_eq!((status, fields(&body)), (422, vec!["kind".to_string()]), "{body}");
    // the versions page one at a time
    let (status, page) = app.get(&monitor, "/api/v1/reporting-checklist/versions?limit=1").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!((page["items"][0]["version"].as_i64(), page["next"].as_str()), (Some(1), Some("1")), "{page}");
    let (_, page) = app.get(&monitor, "/api/v1/reporting-checklist/versions?limit=1&cursor=1").await;
    assert_eq!((page["items"][0]["version"].as_i64(), &page["next"]), (Some(2), &Value::Null), "{page}");
    app.stop().await;
}

#[tokio::test]
async fn a_checklist_version_counts_once_the_league_committee_signs_it_off_on_sqlite() {
    a_checklist_version_counts_once_the_league_committee_signs_it_off(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_checklist_version_counts_once_the_league_committee_signs_it_off_on_postgres() {
    a_checklist_version_counts_once_the_league_committee_signs_it_off(Backend::Postgres).await;
}

fn xlsx(rows: &[&str]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "学号").unwrap();
    sheet.write_string(0, 1, "姓名").unwrap();
    for (i, id) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        // 学号 typed as numbers, as spreadsheets keep them
        match id.parse::<f64>() {
            Ok(n) => sheet.write_number(r, 0, n).unwrap(),
            Err(_) => sheet.write_string(r, 0, *id).unwrap(),
        };
        sheet.write_string(r, 1, "某同学").unwrap();
    }
    book.save_to_buffer().unwrap()
}

async fn attendees(app: &TestApp, session: &str, organiser: &str) -> Vec<Value> {
    let (status, list) = app.get(&app.admin_token, &format!("/api/v1/records/trainings?organiser={organiser}")).await;
    assert_eq!(status, 200, "{list}");
    let s = list["items"].as_array().unwrap().iter().find(|s| s["id"] == session).cloned();
    s.unwrap_or_else(|| panic!("no session {session}: {list}"))["attendees"].as_array().unwrap().clone()
}

/// The id of `organiser`'s latest recorded training session.
async fn session_of(app: &TestApp, organiser: &str) -> String {
    let (status, list) = app.get(&app.admin_token, &format!("/api/v1/records/trainings?organiser={organiser}")).await;
    assert_eq!(status, 200, "{list}");
    let items = list["items"].as_array().unwrap();
    items.last().unwrap_or_else(|| panic!("no session of {organiser}: {list}"))["id"].as_str().unwrap().to_string()
}

async fn attendance_is_imported_from_lists(backend: Backend) {
    // the demo's records as they stand today: the chem vice-president attended no training
    let app = spawn_with(backend, "attendance", vec![("LIANDONG__SEED__RECORDS".into(), "true".into())]).await;
    let (dir, day) = (demo_directory(), today());
    let vp = workflows::compliance::demo::untrained_member(&dir, day).expect("the planted untrained member");
    let chem = dir.holders("department_su@chem", &[Role::President], day)[0].person.clone();
    let (chem_session, school_session) =
        (session_of(&app, "department_su@chem").await, session_of(&app, "school_su").await);
    let untrained = findings(&app, "m4_untrained").await;
    assert!(untrained.iter().any(|f| f["subject"]["id"] == vp.as_str()), "{untrained:?}");
    let path = |s: &str| format!("/api/v1/records/trainings/{s}/attendance");
    // the CS department SU president does not organise chem's training
    let cs = app.token_for(dp::CS_SU_PRESIDENT).await;
    let (status, body) = app.post(&cs, &path(&chem_session), json!([vp])).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("not_organiser")), "{body}");
    // a CSV with an unknown 学号 on row 3: 422 naming the row, nothing added
    let president = app.token_for(&chem).await;
    let csv = format!("学号,姓名\n{vp},某同学\n2099999999,查无此人\n");
    let (status, ct, body) = upload(&app, &president, &path(&chem_session), "text/csv", csv.into_bytes()).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("unknown_people")), "{body}");
    assert!(ct.starts_with("application/problem+json"), "{ct}");
    assert_eq!(fields(&body), ["row 3"]);
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("2099999999"), "{body}");
    let before = attendees(&app, &chem_session, "department_su@chem").await;
    assert!(!before.contains(&json!(vp)), "nothing was added");
    // the same list without the stranger, the vice-president twice and one already there: 200
    let already = before[0].as_str().unwrap();
    let csv = format!("学号\n{vp}\n{vp}\n{already}\n");
    let (status, _, body) =
        upload(&app, &president, &path(&chem_session), "text/csv; charset=utf-8", csv.into_bytes()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["added"].as_u64(), body["duplicates"].as_u64(), body["already_attending"].as_u64()),
        (Some(1), Some(1), Some(1)),
        "{body}"
    );
    assert_eq!(body["attendees"].as_u64(), Some(before.len() as u64 + 1));
    assert!(attendees(&app, &chem_session, "department_su@chem").await.contains(&json!(vp)));
    // the school SU's session from an XLSX: an unknown id on row 3 refused, then the good list
    // (the vice-president attended the school SU's training already; a chem division member who
    // did not is added)
    let school_before = attendees(&app, &school_session, "school_su").await;
    let newcomer = dir
        .holders("department_su@chem", &[Role::DivisionMember], day)
        .into_iter()
        .map(|p| p.person.clone())
        .find(|p| !school_before.contains(&json!(p)))
        .expect("a chem division member who missed the school SU's training");
    let (status, _, body) =
        upload(&app, &app.admin_token, &path(&school_session), XLSX, xlsx(&[&newcomer, "nobody-here"])).await;
    assert_eq!((status, fields(&body)), (422, vec!["row 3".to_string()]), "{body}");
    let (status, _, body) = upload(&app, &app.admin_token, &path(&school_session), XLSX, xlsx(&[&newcomer, &vp])).await;
    assert_eq!((status, body["added"].as_u64(), body["already_attending"].as_u64()), (200, Some(1), Some(1)), "{body}");
    assert!(attendees(&app, &school_session, "school_su").await.contains(&json!(newcomer)));
    // the vice-president is trained now
    let untrained = findings(&app, "m4_untrained").await;
    assert!(!untrained.iter().any(|f| f["subject"]["id"] == vp.as_str()), "{untrained:?}");
    // other media types: 415; too many rows: 413; an unknown session: 404
    let (status, _, body) = upload(&app, &app.admin_token, &path(&school_session), "text/plain", b"x".to_vec()).await;
    assert_eq!((status, body["code"].as_str()), (415, Some("unsupported_media_type")), "{body}");
    let many: Vec<String> = (0..20_001).map(|i| format!("p{i}")).collect();
    let (status, body) = app.post(&app.admin_token, &path(&school_session), json!({ "people": many })).await;
    assert_eq!((status, body["code"].as_str()), (413, Some("too_many_rows")), "{body}");
    let (status, _) = app.post(&app.admin_token, &path("training:nowhere"), json!([vp])).await;
    assert_eq!(status, 404);
    app.stop().await;
}

#[tokio::test]
async fn attendance_is_imported_from_lists_on_sqlite() {
    attendance_is_imported_from_lists(Backend::Sqlite).await;
}

#[tokio::test]
async fn attendance_is_imported_from_lists_on_postgres() {
    attendance_is_imported_from_lists(Backend::Postgres).await;
}

#[tokio::test]
async fn a_class_records_its_reporting_system_on_mariadb() {
    a_class_records_its_reporting_system(Backend::Mariadb).await;
}

#[tokio::test]
async fn a_checklist_version_counts_once_the_league_committee_signs_it_off_on_mariadb() {
    a_checklist_version_counts_once_the_league_committee_signs_it_off(Backend::Mariadb).await;
}

#[tokio::test]
async fn the_routes_are_described_with_their_statuses() {
    let app = spawn(Backend::Sqlite, "reporting_doc").await;
    let doc: Value =
        app.http.get(format!("{}/api/v1/openapi.json", app.base)).send().await.unwrap().json().await.unwrap();
    for (path, method, statuses) in [
        ("/api/v1/records/{kind}", "post", &["201", "400", "401", "403", "405", "409", "422"][..]),
        ("/api/v1/records/reporting_adoptions/{class}", "patch", &["200", "400", "401", "403", "404", "422"][..]),
        (
            "/api/v1/records/trainings/{id}/attendance",
            "post",
            &["200", "400", "401", "403", "404", "413", "415", "422"][..],
        ),
        ("/api/v1/reporting-checklist", "get", &["200", "400", "401", "404"][..]),
        ("/api/v1/reporting-checklist/versions", "get", &["200", "400", "401"][..]),
        ("/api/v1/reporting-checklist/versions", "post", &["201", "400", "401", "403", "422"][..]),
        (
            "/api/v1/reporting-checklist/versions/{version}/sign-off",
            "post",
            &["200", "400", "401", "403", "404", "409"][..],
        ),
    ] {
        for s in statuses {
            assert!(doc["paths"][path][method]["responses"].get(*s).is_some(), "{method} {path} documents {s}");
        }
    }
    app.stop().await;
}
