//! The policy's records under hostile input, over HTTP on SQLite and PostgreSQL (issue 11,
//! reviewed): a paging cursor is good only for the list that gave it (another list's, or a
//! forged one, is 422 `bad_cursor` naming `cursor`), a record list refuses a filter its kind has
//! not got instead of answering the whole list as if filtered, and a list filtered by a class
//! among a symposium's attending classes pages through every match; volunteer hours sent twice
//! with one `Idempotency-Key` count once; an XLSX that unpacks past 32 MiB (a real ZIP bomb, its headers honest or
//! understating) is refused before it is read whole.

use liandong_tests::{Backend, TestApp, spawn, spawn_with};
use serde_json::Value;
use std::collections::BTreeSet;

/// A demo daemon with its records and planted requests (`[seed] records`).
async fn demo(backend: Backend, test: &str) -> TestApp {
    spawn_with(backend, test, vec![("LIANDONG__SEED__RECORDS".into(), "true".into())]).await
}

/// The `next` of the first page (one item) of `list`.
async fn first_next(app: &TestApp, list: &str) -> String {
    let (status, page) = app.get(&app.admin_token, &format!("{list}?limit=1")).await;
    assert_eq!(status, 200, "{page}");
    page["next"].as_str().unwrap_or_else(|| panic!("{list} has one page only: {page}")).to_string()
}

async fn cursors_belong_to_their_list(backend: Backend) {
    let app = demo(backend, "cursor_lists").await;
    // given a page of the requests and of the work ledger (the demo has both)
    let requests = first_next(&app, "/api/v1/requests").await;
    let ledger = first_next(&app, "/api/v1/ledger").await;
    // their own cursors page on
    for (list, next) in [("/api/v1/requests", &requests), ("/api/v1/ledger", &ledger)] {
        let (status, page) = app.get(&app.admin_token, &format!("{list}?limit=1&cursor={next}")).await;
        assert_eq!(status, 200, "{list}: {page}");
        assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    }
    // when a cursor is taken to another list, or forged (hex of a made-up key, not hex at all)
    let forged: String = "9999999999999:x".bytes().map(|b| format!("{b:02x}")).collect();
    for (list, cursor) in [
        ("/api/v1/ledger", requests.as_str()),
        ("/api/v1/requests", ledger.as_str()),
        ("/api/v1/volunteer-hours", ledger.as_str()),
        ("/api/v1/ledger", forged.as_str()),
        ("/api/v1/ledger", "%E2%9C%93"),
    ] {
        let (status, p) = app.get(&app.admin_token, &format!("{list}?cursor={cursor}")).await;
        // then it is refused, naming the cursor
        assert_eq!((status, p["code"].as_str()), (422, Some("bad_cursor")), "{list} {cursor}: {p}");
        assert_eq!(p["errors"][0]["field"], "cursor", "{p}");
    }
    app.stop().await;
}

#[tokio::test]
async fn cursors_belong_to_their_list_on_sqlite() {
    cursors_belong_to_their_list(Backend::Sqlite).await;
}

#[tokio::test]
async fn cursors_belong_to_their_list_on_postgres() {
    cursors_belong_to_their_list(Backend::Postgres).await;
}

fn items(page: &Value) -> Vec<Value> {
    page["items"].as_array().unwrap().clone()
}

async fn record_filters_are_the_kinds_own(backend: Backend) {
    let app = demo(backend, "record_filters").await;
    // a filter the kind has not got: 400 naming it, not the whole list
    for (path, field) in [
        ("/api/v1/records/onboarding?department=cs", "department"),
        ("/api/v1/records/trainings?class=cs-2023-1", "class"),
        ("/api/v1/records/term_transitions?person=2023010215", "person"),
        ("/api/v1/records/reporting_adoptions?organiser=department_su@cs", "organiser"),
    ] {
        let (status, p) = app.get(&app.admin_token, path).await;
        assert_eq!((status, p["code"].as_str()), (400, Some("bad_query")), "{path}: {p}");
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    // a symposium list filtered by an attending class pages through every match, one a page
    let (status, all) = app.get(&app.admin_token, "/api/v1/records/symposiums?limit=500").await;
    assert_eq!(status, 200, "{all}");
    let all = items(&all);
    assert!(all.len() >= 2, "the demo has symposiums: {all:?}");
    // a class that attended a symposium other than the first
    let class = all[1..]
        .iter()
        .flat_map(|s| s["classes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()))
        .find(|c| !all[0]["classes"].as_array().unwrap().iter().any(|x| x == c.as_str()))
        .expect("a class that did not attend the first symposium");
    let expected: Vec<String> = all
        .iter()
        .filter(|s| s["classes"].as_array().unwrap().iter().any(|c| c == class.as_str()))
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    let mut seen = Vec::new();
    let mut path = format!("/api/v1/records/symposiums?class={class}&limit=1");
    for _ in 0..50 {
        let (status, page) = app.get(&app.admin_token, &path).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(items(&page).iter().map(|s| s["id"].as_str().unwrap().to_string()));
        match page["next"].as_str() {
            Some(next) => path = format!("/api/v1/records/symposiums?class={class}&limit=1&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(seen, expected, "every symposium {class} attended, once");
    // LIKE's wildcards are no class: none attended as `%` or `_`
    for odd in ["%25", "_", "%22"] {
        let (status, page) = app.get(&app.admin_token, &format!("/api/v1/records/symposiums?class={odd}")).await;
        assert_eq!(status, 200, "{page}");
        assert!(items(&page).is_empty(), "{odd}: {page}");
        let (status, page) = app.get(&app.admin_token, &format!("/api/v1/records/co_hosts?class={odd}")).await;
        assert_eq!((status, items(&page).len()), (200, 0), "{odd}: {page}");
    }
    let ids: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(ids.len(), seen.len());
    app.stop().await;
}

#[tokio::test]
async fn record_filters_are_the_kinds_own_on_sqlite() {
    record_filters_are_the_kinds_own(Backend::Sqlite).await;
}

#[tokio::test]
async fn record_filters_are_the_kinds_own_on_postgres() {
    record_filters_are_the_kinds_own(Backend::Postgres).await;
}

/// Logs volunteer hours as `token` with an `Idempotency-Key`.
async fn log_hours(app: &TestApp, token: &str, key: &str, body: &Value) -> (u16, Value) {
    app.post_keyed(token, "/api/v1/volunteer-hours", body.clone(), Some(key)).await
}

async fn volunteer_hours_sent_twice_count_once(backend: Backend) {
    let app = spawn(backend, "hours_twice").await;
    let student = app.token_for("2023010215").await;
    let day = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let body = serde_json::json!({ "date": day.to_string(), "hours": 2.5, "activity": "社区助老服务" });
    let stored = || app.count("SELECT COUNT(*) AS n FROM volunteer_hours WHERE person = '2023010215'");
    let before = stored().await;
    // when the same log is sent twice with one key (the answer to the first was lost)
    let (status, first) = log_hours(&app, &student, "hours-1", &body).await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = log_hours(&app, &student, "hours-1", &body).await;
    // then the second gets the first entry back and the hours count once
    assert_eq!((status, &again["id"]), (201, &first["id"]), "{again}");
    assert_eq!(stored().await, before + 1);
    let (_, summary) = app.get(&student, "/api/v1/volunteer-hours?person=me").await;
    let mine: f64 = items(&summary).iter().map(|h| h["hours"].as_f64().unwrap()).sum();
    assert_eq!(mine, 2.5, "{summary}");
    // the same key with another body is refused and stores nothing
    let mut other = body.clone();
    other["hours"] = serde_json::json!(3);
    let (status, p) = log_hours(&app, &student, "hours-1", &other).await;
    assert_eq!((status, p["code"].as_str()), (422, Some("idempotency_key_reused")), "{p}");
    assert_eq!(p["errors"][0]["field"], "Idempotency-Key", "{p}");
    assert_eq!(stored().await, before + 1);
    // another person's same key is their own
    let other_student = app.token_for("2023010216").await;
    let (status, theirs) = log_hours(&app, &other_student, "hours-1", &body).await;
    assert_eq!(status, 201, "{theirs}");
    assert_ne!(theirs["id"], first["id"]);
    app.stop().await;
}

#[tokio::test]
async fn volunteer_hours_sent_twice_count_once_on_sqlite() {
    volunteer_hours_sent_twice_count_once(Backend::Sqlite).await;
}

#[tokio::test]
async fn volunteer_hours_sent_twice_count_once_on_postgres() {
    volunteer_hours_sent_twice_count_once(Backend::Postgres).await;
}

/// A real ZIP bomb shaped as an XLSX: one part, `xl/worksheets/sheet1.xml`, of 64 MiB of zeros
/// deflated to about 64 KiB (under the 2 MiB upload limit). With `understated`, its directory
/// and local header say the part unpacks to 100 bytes, so that only unpacking tells.
fn zip_bomb(understated: bool) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    w.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        w.write_all(&zeros).unwrap();
    }
    let mut bytes = w.finish().unwrap().into_inner();
    assert!(bytes.len() < 2 << 20, "{} bytes", bytes.len());
    if understated {
        let at = |sig: &[u8]| bytes.windows(4).position(|x| x == sig).unwrap();
        let (local, central) = (at(b"PK\x03\x04"), at(b"PK\x01\x02"));
        bytes[local + 22..local + 26].copy_from_slice(&100u32.to_le_bytes());
        bytes[central + 24..central + 28].copy_from_slice(&100u32.to_le_bytes());
    }
    bytes
}

async fn an_xlsx_that_unpacks_to_gigabytes_is_refused_unread(backend: Backend) {
    let app = demo(backend, "xlsx_bomb").await;
    let (status, sessions) = app.get(&app.admin_token, "/api/v1/records/trainings?limit=1").await;
    assert_eq!(status, 200, "{sessions}");
    let id = sessions["items"][0]["id"].as_str().expect("the demo has trainings").to_string();
    let before = app.count("SELECT COUNT(*) AS n FROM training_attendance").await;
    let upload = |body: Vec<u8>| {
        let r = app
            .http
            .post(format!("{}/api/v1/records/trainings/{id}/attendance", app.base))
            .bearer_auth(&app.admin_token)
            .header("content-type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .body(body);
        async move {
            let r = r.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, p) = upload(zip_bomb(false)).await;
    assert_eq!((status, p["code"].as_str()), (413, Some("too_large")), "{p}");
    assert!(p["detail"].as_str().unwrap().contains("more than 32 MiB"), "{p}");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM training_attendance").await, before);
    // a bomb whose headers understate what it unpacks to is refused as well (the unpacking count
    // stops at the cap; calamine would meet a part longer than it says)
    let (status, p) = upload(zip_bomb(true)).await;
    assert!(status == 413 || status == 422, "{status} {p}");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM training_attendance").await, before);
    // and the daemon still serves
    assert_eq!(app.get(&app.admin_token, "/api/v1/records/trainings?limit=1").await.0, 200);
    app.stop().await;
}

#[tokio::test]
async fn an_xlsx_that_unpacks_to_gigabytes_is_refused_unread_on_sqlite() {
    an_xlsx_that_unpacks_to_gigabytes_is_refused_unread(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_xlsx_that_unpacks_to_gigabytes_is_refused_unread_on_postgres() {
    an_xlsx_that_unpacks_to_gigabytes_is_refused_unread(Backend::Postgres).await;
}
