//! The liaisons' work ledger (M2 工作台账) over HTTP: a liaison writes an entry and finds it
//! listed; anyone else is refused; bad fields are 422 with the field and store nothing; the
//! author edits within the window and not after; paging returns every entry once; who reads
//! what; the latest entry per (liaison, target) over a few thousand entries; the duty report
//! (述职) carries the semester's ledger without the submitter typing it.

use chrono::{Duration, NaiveDate, Utc};
use liandong_tests::{Backend, TestApp};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use workflows::org::generate::demo_people as dp;

fn today() -> NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// An entry's body.
fn entry(kind: &str, id: &str, date: NaiveDate, mode: &str, problem: &str, resolution: &str) -> Value {
    json!({ "target": { "kind": kind, "id": id }, "date": ymd(date), "mode": mode,
            "problem": problem, "help": "讲解了流程", "resolution": resolution })
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: Option<Value>,
    key: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut r = app.http.request(method, format!("{}{path}", app.base)).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    let r = r.send().await.unwrap();
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    (status, headers, r.json().await.unwrap_or(Value::Null))
}

async fn write(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, _, e) = send(app, reqwest::Method::POST, token, "/api/v1/ledger", Some(body), None).await;
    assert_eq!(status, 201, "{e}");
    e
}

async fn stored(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) AS n FROM ledger_entries").await
}

fn ids(list: &Value) -> Vec<String> {
    list["items"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_string()).collect()
}

/// The school SU president, liaison of the cs department SU, writes an entry: 201 with the entry
/// and its Location; it is listed and readable; a retry with the same Idempotency-Key returns it,
/// the key with another body is refused.
async fn a_liaison_writes_an_entry(backend: Backend) {
    let app = liandong_tests::spawn(backend, "ledger_add").await;
    let president = app.token_for(dp::SCHOOL_SU_PRESIDENT).await;
    let day = today() - Duration::days(1);
    let body = entry("department", "cs", day, "visit", "活动场地不足", "已协调教室");
    let post = |key: &'static str, body: Value| {
        let (app, president) = (&app, &president);
        async move { send(app, reqwest::Method::POST, president, "/api/v1/ledger", Some(body), Some(key)).await }
    };
    let (status, headers, e) = post("k-1", body.clone()).await;
    assert_eq!(status, 201, "{e}");
    let id = e["id"].as_str().unwrap().to_string();
    assert_eq!(headers["location"], format!("/api/v1/ledger/{id}").as_str());
    assert_eq!(e["liaison"], dp::SCHOOL_SU_PRESIDENT);
    assert_eq!(e["target"], json!({ "kind": "department", "id": "cs", "name": "计算机学院学生会" }));
    assert_eq!((e["date"].as_str(), e["mode"].as_str()), (Some(ymd(day).as_str()), Some("visit")));
    assert_eq!((e["problem"].as_str(), e["resolution"].as_str()), (Some("活动场地不足"), Some("已协调教室")));
    assert_eq!(e["department"], "cs");
    // listed and readable
    let (_, list) = app.get(&president, "/api/v1/ledger?liaison=me").await;
    assert_eq!(ids(&list), vec![id.clone()], "{list}");
    let (status, one) = app.get(&president, &format!("/api/v1/ledger/{id}")).await;
    assert_eq!((status, one["id"].as_str()), (200, Some(id.as_str())));
    // a retry with the same key is the same entry; the key with another body is refused
    let (status, _, again) = post("k-1", body.clone()).await;
    assert_eq!((status, again["id"].as_str()), (201, Some(id.as_str())));
    let mut other = body.clone();
    other["mode"] = json!("phone");
    let (status, _, p) = post("k-1", other).await;
    assert_eq!((status, p["code"].as_str()), (422, Some("idempotency_key_reused")), "{p}");
    assert_eq!(stored(&app).await, 1);
    // a department SU leader writes for a class of their department (M2: every class is covered
    // by its department SU's leaders), not for the department SU itself
    let cs_president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let e = write(&app, &cs_president, entry("class", "cs-2023-1", today(), "meeting", "", "")).await;
    assert_eq!(e["target"]["name"], "计算机2023级1班");
    let (_, summary) = app.get(&president, "/api/v1/ledger/summary").await;
    assert_eq!(summary["items"][0]["target"]["id"], "cs", "{summary}");
    assert_eq!(summary["total"], json!({ "entries": 1, "problems": 1, "solved": 1 }));
    app.stop().await;
}

#[tokio::test]
async fn a_liaison_writes_an_entry_sqlite() {
    a_liaison_writes_an_entry(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_liaison_writes_an_entry_postgres() {
    a_liaison_writes_an_entry(Backend::Postgres).await;
}

/// Someone who is no current liaison of the target is refused 403 `not_a_liaison`; bad fields
/// are 422 with the field and the reason; nothing is stored.
async fn others_are_refused_and_bad_fields_store_nothing(backend: Backend) {
    let app = liandong_tests::spawn(backend, "ledger_refuse").await;
    let president = app.token_for(dp::SCHOOL_SU_PRESIDENT).await;
    let member = app.token_for("2023010105").await;
    let cs_president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let day = today();
    let refused = |token: String, body: Value| {
        let app = &app;
        async move {
            let (status, _, p) = send(app, reqwest::Method::POST, &token, "/api/v1/ledger", Some(body), None).await;
            (status, p["code"].as_str().unwrap_or_default().to_string())
        }
    };
    // a member who is no liaison, the admin, and a department SU leader for another department
    for (token, body) in [
        (member.clone(), entry("department", "cs", day, "visit", "", "")),
        (app.admin_token.clone(), entry("department", "cs", day, "visit", "", "")),
        (cs_president.clone(), entry("class", "ee-2023-1", day, "visit", "", "")),
        (cs_president.clone(), entry("department", "cs", day, "visit", "", "")),
        (president.clone(), entry("department", "ee", day, "visit", "", "")),
    ] {
        assert_eq!(refused(token, body).await, (403, "not_a_liaison".to_string()));
    }
    // each broken field is named with its reason
    let long = "问".repeat(2001);
    for (body, field, code) in [
        (
            json!({ "target": { "kind": "department", "id": "cs" }, "date": "2026-13-01", "mode": "visit" }),
            "date",
            "bad_date",
        ),
        (entry("department", "cs", day + Duration::days(1), "visit", "", ""), "date", "in_future"),
        (
            entry("department", "cs", NaiveDate::from_ymd_opt(2025, 8, 1).unwrap(), "visit", "", ""),
            "date",
            "before_assignment",
        ),
        (entry("department", "cs", day, "fax", "", ""), "mode", "not_allowed"),
        (entry("department", "nowhere", day, "visit", "", ""), "target.id", "unknown_reference"),
        (entry("school", "cs", day, "visit", "", ""), "target.kind", "not_allowed"),
        (entry("department", "cs", day, "visit", &long, ""), "problem", "too_long"),
        (json!({ "date": ymd(day), "mode": "visit" }), "target", "required"),
        (json!({ "target": { "kind": "department", "id": "cs" }, "mode": "visit" }), "date", "required"),
        (
            json!({ "target": { "kind": "department", "id": "cs" }, "date": ymd(day), "mode": "visit", "colour": "red" }),
            "colour",
            "unknown_field",
        ),
    ] {
        let (status, _, p) = send(&app, reqwest::Method::POST, &president, "/api/v1/ledger", Some(body), None).await;
        assert_eq!((status, p["code"].as_str()), (422, Some("invalid_ledger_entry")), "{p}");
        assert_eq!(p["errors"][0]["field"], field, "{p}");
        assert_eq!(p["errors"][0]["code"], code, "{p}");
        assert!(!p["errors"][0]["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(stored(&app).await, 0, "nothing was stored");
    app.stop().await;
}

#[tokio::test]
async fn others_are_refused_and_bad_fields_store_nothing_sqlite() {
    others_are_refused_and_bad_fields_store_nothing(Backend::Sqlite).await;
}

#[tokio::test]
async fn others_are_refused_and_bad_fields_store_nothing_postgres() {
    others_are_refused_and_bad_fields_store_nothing(Backend::Postgres).await;
}

/// The author edits an entry within `[ledger] edit_days`; others may not; a bad edit changes
/// nothing; once the window is over it is a record (409 `ledger_entry_locked`).
async fn edits_within_the_window_only(backend: Backend) {
    let app = liandong_tests::spawn(backend, "ledger_edit").await;
    let president = app.token_for(dp::SCHOOL_SU_PRESIDENT).await;
    let e = write(&app, &president, entry("department", "cs", today(), "visit", "经费紧张", "")).await;
    let path = format!("/api/v1/ledger/{}", e["id"].as_str().unwrap());
    let patch = |token: String, body: Value| {
        let (app, path) = (&app, &path);
        async move { send(app, reqwest::Method::PATCH, &token, path, Some(body), None).await }
    };
    let (status, _, edited) = patch(president.clone(), json!({ "resolution": "已申请专项经费" })).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!((edited["resolution"].as_str(), edited["problem"].as_str()), (Some("已申请专项经费"), Some("经费紧张")));
    let (status, _, p) = patch(president.clone(), json!({ "mode": "fax" })).await;
    assert_eq!((status, p["errors"][0]["field"].as_str()), (422, Some("mode")), "{p}");
    let league = app.token_for(dp::CS_LEAGUE_SECRETARY).await;
    let (status, _, p) = patch(league, json!({ "resolution": "改写" })).await;
    assert_eq!((status, p["code"].as_str()), (403, Some("not_the_author")), "{p}");
    let (_, now) = app.get(&president, &path).await;
    assert_eq!((now["mode"].as_str(), now["resolution"].as_str()), (Some("visit"), Some("已申请专项经费")));
    // no DELETE: it is a record
    let (status, _, _) = send(&app, reqwest::Method::DELETE, &president, &path, None, None).await;
    assert_eq!(status, 405);
    // written eight days ago: locked
    let db = &app.app.db;
    let eight_days_ago = (Utc::now() - Duration::days(8)).timestamp_millis();
    entities::sea_orm::ConnectionTrait::execute_raw(
        db,
        entities::sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("UPDATE ledger_entries SET created_at = {eight_days_ago}"),
        ),
    )
    .await
    .unwrap();
    let (status, _, p) = patch(president.clone(), json!({ "resolution": "再改" })).await;
    assert_eq!((status, p["code"].as_str()), (409, Some("ledger_entry_locked")), "{p}");
    let (_, now) = app.get(&president, &path).await;
    assert_eq!(now["resolution"], "已申请专项经费");
    app.stop().await;
    // with `[ledger] edit_days = 0` an entry is a record from the start
    let app =
        liandong_tests::spawn_with(backend, "ledger_edit0", vec![("LIANDONG__LEDGER__EDIT_DAYS".into(), "0".into())])
            .await;
    let president = app.token_for(dp::SCHOOL_SU_PRESIDENT).await;
    let e = write(&app, &president, entry("department", "cs", today(), "visit", "", "")).await;
    let (status, _, p) = send(
        &app,
        reqwest::Method::PATCH,
        &president,
        &format!("/api/v1/ledger/{}", e["id"].as_str().unwrap()),
        Some(json!({ "resolution": "x" })),
        None,
    )
    .await;
    assert_eq!((status, p["code"].as_str()), (409, Some("ledger_entry_locked")), "{p}");
    app.stop().await;
}

#[tokio::test]
async fn edits_within_the_window_only_sqlite() {
    edits_within_the_window_only(Backend::Sqlite).await;
}

#[tokio::test]
async fn edits_within_the_window_only_postgres() {
    edits_within_the_window_only(Backend::Postgres).await;
}

/// Following `next` returns every entry exactly once, newest written first; a cursor the API did
/// not give is 422.
async fn paging_returns_every_entry_once(backend: Backend) {
    let app = liandong_tests::spawn(backend, "ledger_pages").await;
    let president = app.token_for(dp::SCHOOL_SU_PRESIDENT).await;
    let mut written = Vec::new();
    for i in 0..23 {
        let target = if i % 2 == 0 { "cs" } else { "fl" };
        let e = write(&app, &president, entry("department", target, today() - Duration::days(i % 5), "online", "", ""))
            .await;
        written.push(e["id"].as_str().unwrap().to_string());
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/ledger?limit=5".to_string();
    loop {
        let (status, page) = app.get(&president, &path).await;
        assert_eq!(status, 200, "{page}");
        assert!(page["items"].as_array().unwrap().len() <= 5);
        seen.extend(ids(&page));
        match page["next"].as_str() {
            Some(next) => path = format!("/api/v1/ledger?limit=5&cursor={next}"),
            None => break,
        }
    }
    written.reverse();
    assert_eq!(seen, written, "every entry once, newest first");
    // filters page too
    let (_, fl) = app.get(&president, "/api/v1/ledger?target_kind=department&target_id=fl&limit=200").await;
    assert_eq!(ids(&fl).len(), 11);
    let (status, p) = app.get(&president, "/api/v1/ledger?cursor=zz").await;
    assert_eq!((status, p["code"].as_str()), (422, Some("bad_cursor")));
    app.stop().await;
}

#[tokio::test]
async fn paging_returns_every_entry_once_sqlite() {
    paging_returns_every_entry_once(Backend::Sqlite).await;
}

#[tokio::test]
async fn paging_returns_every_entry_once_postgres() {
    paging_returns_every_entry_once(Backend::Postgres).await;
}

/// A department's League secretary reads the entries about their department and its classes,
/// not another department's; the oversight roles and admins read all; others only their own.
async fn who_reads_what(backend: Backend) {
    let app = liandong_tests::spawn(backend, "ledger_sight").await;
    let president = app.token_for(dp::SCHOOL_SU_PRESIDENT).await;
    let cs_president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let cs_entry = write(&app, &president, entry("department", "cs", today(), "visit", "", "")).await;
    let fl_entry = write(&app, &president, entry("department", "fl", today(), "phone", "", "")).await;
    let class_entry = write(&app, &cs_president, entry("class", "cs-2022-1", today(), "meeting", "", "")).await;
    let id = |e: &Value| e["id"].as_str().unwrap().to_string();
    let sees = |token: String| {
        let app = &app;
        async move {
            let (status, list) = app.get(&token, "/api/v1/ledger").await;
            assert_eq!(status, 200, "{list}");
            ids(&list).into_iter().collect::<BTreeSet<String>>()
        }
    };
    let set = |v: &[&Value]| v.iter().map(|e| id(e)).collect::<BTreeSet<String>>();
    let cs_league = app.token_for(dp::CS_LEAGUE_SECRETARY).await;
    let ee_league = app.token_for("T0202").await;
    let cs_party = app.token_for(dp::CS_PARTY_SECRETARY).await;
    let league_committee = app.token_for(dp::LEAGUE_COMMITTEE_SECRETARY).await;
    let secretary_general = app.token_for(dp::SCHOOL_SU_SECRETARY_GENERAL).await;
    let member = app.token_for("2023010105").await;
    assert_eq!(sees(cs_league.clone()).await, set(&[&cs_entry, &class_entry]));
    assert_eq!(sees(cs_party).await, set(&[&cs_entry, &class_entry]));
    assert_eq!(sees(ee_league.clone()).await, BTreeSet::new());
    assert_eq!(sees(member).await, BTreeSet::new());
    assert_eq!(sees(cs_president.clone()).await, set(&[&cs_entry, &class_entry]));
    let all = set(&[&cs_entry, &fl_entry, &class_entry]);
    for token in [app.admin_token.clone(), league_committee, secretary_general, president.clone()] {
        assert_eq!(sees(token).await, all);
    }
    // one entry: read by who may, 404 for who may not
    let path = format!("/api/v1/ledger/{}", id(&cs_entry));
    assert_eq!(app.get(&cs_league, &path).await.0, 200);
    assert_eq!(app.get(&ee_league, &path).await.0, 404);
    // the department filter
    let (_, list) = app.get(&app.admin_token, "/api/v1/ledger?department=fl").await;
    assert_eq!(ids(&list), [id(&fl_entry)]);
    // a summary shows only what the reader may read
    let (_, s) = app.get(&cs_league, &format!("/api/v1/ledger/summary?person={}", dp::SCHOOL_SU_PRESIDENT)).await;
    assert_eq!(s["total"]["entries"], 1, "{s}");
    app.stop().await;
}

#[tokio::test]
async fn who_reads_what_sqlite() {
    who_reads_what(Backend::Sqlite).await;
}

#[tokio::test]
async fn who_reads_what_postgres() {
    who_reads_what(Backend::Postgres).await;
}

/// Three thousand entries over three hundred (liaison, target) pairs: the grouped query gives
/// each pair's latest day, and with `until` the latest on or before it.
async fn the_latest_entry_per_pair(backend: Backend) {
    use entities::store::ledger::{self, EntryFields};
    use workflows::records::{ContactMode, Target, TargetKind};
    let app = liandong_tests::spawn(backend, "ledger_latest").await;
    let db = &app.app.db;
    let base = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let mut expected: BTreeMap<(String, String), NaiveDate> = BTreeMap::new();
    let mut expected_until: BTreeMap<(String, String), NaiveDate> = BTreeMap::new();
    let until = base + Duration::days(150);
    let txn = entities::sea_orm::TransactionTrait::begin(db).await.unwrap();
    let mut x: u64 = 42;
    for i in 0..3000u64 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let pair = i % 300;
        let (liaison, target) = (format!("p{:03}", pair / 3), format!("c{:03}", pair));
        let date = base + Duration::days(((x >> 33) % 300) as i64);
        let f = EntryFields {
            target: Target { kind: TargetKind::Class, id: target.clone() },
            department: "cs".into(),
            date,
            mode: ContactMode::Visit,
            problem: String::new(),
            help: String::new(),
            resolution: String::new(),
        };
        ledger::insert(&txn, &format!("e{i:05}"), &liaison, &f, i as i64, None).await.unwrap();
        let k = (liaison, target);
        expected.entry(k.clone()).and_modify(|d| *d = (*d).max(date)).or_insert(date);
        if date <= until {
            expected_until.entry(k).and_modify(|d| *d = (*d).max(date)).or_insert(date);
        }
    }
    txn.commit().await.unwrap();
    let got = |rows: Vec<workflows::records::LedgerLatest>| -> BTreeMap<(String, String), NaiveDate> {
        rows.into_iter().map(|l| ((l.liaison, l.target.id), l.date)).collect()
    };
    let latest = ledger::latest(db, None).await.unwrap();
    assert_eq!(latest.len(), 300);
    assert!(latest.iter().all(|l| l.target.kind == TargetKind::Class));
    assert_eq!(got(latest), expected);
    assert_eq!(got(ledger::latest(db, Some(until)).await.unwrap()), expected_until);
    app.stop().await;
}

#[tokio::test]
async fn the_latest_entry_per_pair_sqlite() {
    the_latest_entry_per_pair(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_latest_entry_per_pair_postgres() {
    the_latest_entry_per_pair(Backend::Postgres).await;
}

#[tokio::test]
async fn the_latest_entry_per_pair_mariadb() {
    the_latest_entry_per_pair(Backend::Mariadb).await;
}

/// The duty report (述职) carries the semester's ledger: the submitter does not type it (typing
/// it is refused), the daemon fills it at submit, and the request's API view and the panel's
/// task mail show it.
async fn the_duty_report_carries_the_ledger(backend: Backend) {
    let app = liandong_tests::spawn(backend, "ledger_duty").await;
    let president = app.token_for(dp::SCHOOL_SU_PRESIDENT).await;
    let day = today();
    let semester_start = daemon::app::ledger::semester_start(workflows::records::Semester::of(day));
    write(&app, &president, entry("department", "cs", day, "visit", "场地不足", "已协调")).await;
    write(&app, &president, entry("department", "cs", day, "meeting", "经费紧张", "")).await;
    write(&app, &president, entry("department", "fl", day, "online", "", "")).await;
    // last semester's entry does not count
    write(&app, &president, entry("department", "fl", semester_start - Duration::days(1), "phone", "旧问题", "旧解决"))
        .await;
    let form = json!({ "semester": "本学期", "report": "本学期履职情况……" });
    // typed ledger fields are refused by name
    let mut typed = form.clone();
    typed["ledger_entries"] = json!(99);
    let (status, p) =
        app.post(&president, "/api/v1/requests", json!({ "workflow": "duty_review", "form": typed })).await;
    assert_eq!(
        (status, p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()),
        (422, Some("ledger_entries"), Some("computed")),
        "{p}"
    );
    // left out, they are filled from the ledger
    let r = app.submit(&president, "duty_review", form).await;
    assert_eq!(r["form"]["ledger_entries"], 3, "{r}");
    let summary = r["form"]["ledger_summary"].as_str().unwrap().to_string();
    assert!(summary.contains("联系台账共3条，反映问题2个，已解决1个"), "{summary}");
    assert!(summary.contains("计算机学院学生会：2条，反映问题2个，已解决1个"), "{summary}");
    assert!(summary.contains("外国语学院学生会：1条，反映问题0个，已解决0个"), "{summary}");
    assert!(
        summary.contains(&workflows::calendar::format_date(semester_start, workflows::catalog::Lang::Zh)),
        "{summary}"
    );
    // stored with the request
    let again = app.request(r["id"].as_str().unwrap()).await;
    assert_eq!(again["form"]["ledger_summary"], summary.as_str());
    // and in the review panel's task mail, by its label
    let text = |m: &lettre::Message| {
        let raw = m.formatted();
        let parsed = mail_parser::MessageParser::default().parse(&raw).expect("a mail");
        parsed.body_text(0).unwrap_or_default().to_string()
    };
    let sent = app.wait_for_mail(|m| m.iter().any(|m| text(m).contains("联系台账条数：3"))).await;
    let mail = sent.iter().map(text).find(|t| t.contains("联系台账条数：3")).unwrap();
    assert!(mail.contains("计算机学院学生会：2条"), "{mail}");
    app.stop().await;
}

/// A report returned to its submitter is resubmitted with the ledger as it stands then: the
/// computed fields are filled again, whether a form is sent or not.
async fn a_resubmitted_report_carries_the_ledger_of_then(backend: Backend) {
    let app = liandong_tests::spawn(backend, "ledger_resubmit").await;
    // given a duty review whose panel approves (not scores) and may return the report
    let v1 = workflows::builtin::BUILTIN.iter().find(|(f, _)| *f == "duty_review.yaml").unwrap().1;
    let (from, to) = (v1.find("    score:\n").unwrap(), v1.find("    due: 10wd").unwrap());
    let v2 = format!(
        "{}    approve: {{ who: {{ body: review_panel, of: submitter.su }}, mode: any }}\n{}",
        &v1[..from],
        &v1[to..]
    )
    .replace(
        "next: { approve: publish, reject: publish_unsatisfactory }",
        "next: { approve: publish, reject: publish_unsatisfactory, return: submitter }",
    );
    // (and keeps no result record: that needs a score)
    let v2 = v2[..v2.find("records:").unwrap()].to_string();
    assert!(v2.contains("return: submitter") && !v2.contains("score:"), "{v2}");
    let (status, body) = app.post(&app.admin_token, "/api/v1/definitions", json!({ "yaml": v2 })).await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = app.post(&app.admin_token, "/api/v1/definitions/duty_review/2/publish", json!({})).await;
    assert_eq!(status, 200);
    let president = app.token_for(dp::SCHOOL_SU_PRESIDENT).await;
    write(&app, &president, entry("department", "cs", today(), "visit", "", "")).await;
    let r = app.submit(&president, "duty_review", json!({ "semester": "本学期", "report": "……" })).await;
    assert_eq!((r["version"].as_i64(), r["form"]["ledger_entries"].as_i64()), (Some(2), Some(1)));
    let id = r["id"].as_str().unwrap().to_string();
    let return_it = |r: Value| {
        let (app, id) = (&app, &id);
        async move {
            let task = &r["open_tasks"][0];
            let reviewer = app.token_for(task["assignee"].as_str().unwrap()).await;
            let path = format!("/api/v1/requests/{id}/tasks/{}/decision", task["task"]);
            let (status, r) = app.post(&reviewer, &path, json!({ "decision": "return", "comment": "请补充" })).await;
            assert_eq!((status, r["status"].as_str()), (200, Some("returned")), "{r}");
        }
    };
    // when it is returned, and the president writes another entry before resubmitting
    return_it(r).await;
    write(&app, &president, entry("department", "fl", today(), "phone", "问题", "")).await;
    let path = format!("/api/v1/requests/{id}/resubmit");
    let (status, r) =
        app.post(&president, &path, json!({ "form": { "semester": "本学期", "report": "补充后" } })).await;
    // then the resubmitted report counts both
    assert_eq!((status, r["form"]["ledger_entries"].as_i64()), (200, Some(2)), "{r}");
    assert!(r["form"]["ledger_summary"].as_str().unwrap().contains("外国语学院学生会：1条，反映问题1个"), "{r}");
    // and typing them on a resubmit is refused too
    return_it(r).await;
    let (status, p) = app
        .post(&president, &path, json!({ "form": { "semester": "本学期", "report": "……", "ledger_entries": 9 } }))
        .await;
    assert_eq!((status, p["errors"][0]["code"].as_str()), (422, Some("computed")), "{p}");
    // a resubmit without a form keeps the text and fills the ledger again
    write(&app, &president, entry("department", "cs", today(), "meeting", "", "")).await;
    let (status, r) = app.post(&president, &path, json!({})).await;
    assert_eq!(
        (status, r["form"]["ledger_entries"].as_i64(), r["form"]["report"].as_str()),
        (200, Some(3), Some("补充后")),
        "{r}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_resubmitted_report_carries_the_ledger_of_then_sqlite() {
    a_resubmitted_report_carries_the_ledger_of_then(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_resubmitted_report_carries_the_ledger_of_then_postgres() {
    a_resubmitted_report_carries_the_ledger_of_then(Backend::Postgres).await;
}

#[tokio::test]
async fn the_duty_report_carries_the_ledger_sqlite() {
    the_duty_report_carries_the_ledger(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_duty_report_carries_the_ledger_postgres() {
    the_duty_report_carries_the_ledger(Backend::Postgres).await;
}

#[tokio::test]
async fn the_ledger_routes_are_described_with_their_statuses() {
    let app = liandong_tests::spawn(Backend::Sqlite, "ledger_doc").await;
    let doc: Value =
        app.http.get(format!("{}/api/v1/openapi.json", app.base)).send().await.unwrap().json().await.unwrap();
    for (path, method, statuses) in [
        ("/api/v1/ledger", "post", &["201", "400", "401", "403", "422"][..]),
        ("/api/v1/ledger", "get", &["200", "400", "401", "422"][..]),
        ("/api/v1/ledger/{id}", "get", &["200", "401", "404"][..]),
        ("/api/v1/ledger/{id}", "patch", &["200", "401", "403", "404", "409", "422"][..]),
        ("/api/v1/ledger/summary", "get", &["200", "401", "404", "422"][..]),
    ] {
        for s in statuses {
            assert!(doc["paths"][path][method]["responses"].get(*s).is_some(), "{method} {path} documents {s}");
        }
    }
    assert!(doc["paths"]["/api/v1/ledger/{id}"].get("delete").is_none(), "an entry is a record");
    app.stop().await;
}

#[tokio::test]
async fn a_liaison_writes_an_entry_mariadb() {
    a_liaison_writes_an_entry(Backend::Mariadb).await;
}
