//! Faults: the database going away and coming back while requests come in. Through a proxy the
//! test cuts (the machine's PostgreSQL keeps serving the other tests): meanwhile the API answers
//! 503 with Retry-After, never 500; nothing it accepted is lost; it recovers without a restart.

use liandong_tests::{Backend, proxy};
use serde_json::json;
use std::time::{Duration, Instant};
use workflows::org::generate::demo_people as dp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_going_away_answers_503_and_comes_back_without_a_restart() {
    let _ = tracing_subscriber::fmt().with_env_filter("warn").try_init();
    let proxy = proxy::start("127.0.0.1:5432").await;
    let port = proxy.port;
    let app = liandong_tests::spawn_through(
        Backend::Postgres,
        "dbaway",
        move |url| url.replace("127.0.0.1:5432", &format!("127.0.0.1:{port}")),
        vec![("LIANDONG__DATABASE__ACQUIRE_TIMEOUT_MS".into(), "500".into())],
    )
    .await;
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let submit = |i: usize| {
        let form =
            json!({ "kind": "report", "matter_type": "reform_progress", "title": format!("报告{i}"), "body": "……" });
        app.http
            .post(format!("{}/api/v1/requests", app.base))
            .bearer_auth(&president)
            .json(&json!({ "workflow": "major_matter_report", "form": form }))
            .timeout(Duration::from_secs(10))
            .send()
    };
    let mut accepted = Vec::new();
    for i in 0..3 {
        let r = submit(i).await.unwrap();
        assert_eq!(r.status(), 201);
        accepted.push(r.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_string());
    }
    // the database goes away: answers are 503 problems that say to come back, never 500
    proxy.cut();
    let mut unavailable = 0;
    for i in 3..6 {
        let t0 = Instant::now();
        let r = submit(i).await.unwrap();
        let status = r.status().as_u16();
        assert!(t0.elapsed() < Duration::from_secs(5), "answered promptly");
        assert_ne!(status, 500, "{}", r.text().await.unwrap());
        if status == 503 {
            unavailable += 1;
            assert_eq!(r.headers()["retry-after"], "2");
            assert_eq!(r.headers()["content-type"], "application/problem+json");
            assert_eq!(r.json::<serde_json::Value>().await.unwrap()["code"], "unavailable");
        } else {
            assert_eq!(status, 201, "anything else must be a request accepted");
            accepted.push(r.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_string());
        }
    }
    assert!(unavailable >= 2, "the outage was seen");
    let (status, _) = app.get(&president, "/readyz").await;
    assert_eq!(status, 503, "not ready while the database is away");
    // it comes back: the same daemon serves again, and nothing accepted was lost
    proxy.restore();
    let mut back = false;
    for i in 6..60 {
        let r = submit(i).await.unwrap();
        if r.status() == 201 {
            accepted.push(r.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_string());
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(back, "recovered without a restart");
    for id in &accepted {
        let (status, r) = app.get(&president, &format!("/api/v1/requests/{id}")).await;
        assert_eq!((status, r["status"].as_str()), (200, Some("running")), "{id} was accepted and is kept");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_hanging_smtp_server_does_not_hold_up_the_api() {
    let sink = liandong_tests::smtp::start().await;
    sink.stalled.store(true, std::sync::atomic::Ordering::SeqCst);
    let app = liandong_tests::spawn_with(
        Backend::Sqlite,
        "smtphang",
        vec![
            ("LIANDONG__MAIL__TRANSPORT".into(), "smtp".into()),
            ("LIANDONG__MAIL__SMTP_HOST".into(), "127.0.0.1".into()),
            ("LIANDONG__MAIL__SMTP_PORT".into(), sink.port.to_string()),
            ("LIANDONG__MAIL__SMTP_SECURITY".into(), "none".into()),
        ],
    )
    .await;
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let league = app.token_for(dp::CS_LEAGUE_SECRETARY).await;
    // the server takes connections and says nothing: submits and decisions still go through
    let mut ids = Vec::new();
    for i in 0..3 {
        let form =
            json!({ "kind": "report", "matter_type": "reform_progress", "title": format!("报告{i}"), "body": "……" });
        let (status, r) =
            app.post(&president, "/api/v1/requests", json!({ "workflow": "major_matter_report", "form": form })).await;
        assert_eq!(status, 201);
        ids.push(r["id"].as_str().unwrap().to_string());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, tasks) = app.get(&league, "/api/v1/tasks").await;
    assert_eq!(status, 200);
    let t = &tasks["items"][0];
    let path = format!("/api/v1/requests/{}/tasks/{}/decision", t["request"].as_str().unwrap(), t["task"]);
    assert_eq!(app.post(&league, &path, json!({ "decision": "approve" })).await.0, 200);
    assert!(sink.received.lock().unwrap().is_empty(), "nothing could be sent meanwhile");
    // the server wakes up: the mail goes out
    sink.stalled.store(false, std::sync::atomic::Ordering::SeqCst);
    for _ in 0..300 {
        if app.count("SELECT COUNT(*) AS n FROM outbox WHERE status <> 'sent'").await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM outbox WHERE status <> 'sent'").await, 0);
    let rows = app.count("SELECT COUNT(*) AS n FROM outbox").await;
    assert_eq!(sink.received.lock().unwrap().len() as i64, rows);
    app.stop().await;
}

/// Needs root (CI and the test machines run as root): the SQLite file lives on a small tmpfs.
#[tokio::test]
async fn a_full_disk_under_sqlite_is_a_clear_error_and_nothing_is_corrupt() {
    let dir = std::env::temp_dir().join(format!("ld_full_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let st = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16m", "tmpfs"])
        .arg(&dir)
        .status()
        .expect("mount");
    assert!(st.success(), "mounting a tmpfs needs root");
    let file = dir.join("liandong.sqlite");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let app = liandong_tests::spawn_through(Backend::Sqlite, "diskfull", move |_| url.clone(), vec![]).await;
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let submit = |i: usize| {
        let form =
            json!({ "kind": "report", "matter_type": "reform_progress", "title": format!("报告{i}"), "body": "……" });
        app.post(&president, "/api/v1/requests", json!({ "workflow": "major_matter_report", "form": form }))
    };
    let (status, first) = submit(0).await;
    assert_eq!(status, 201);
    // fill the disk
    let filler = dir.join("filler");
    let _ = std::process::Command::new("dd")
        .args(["if=/dev/zero", &format!("of={}", filler.display()), "bs=64k"])
        .stderr(std::process::Stdio::null())
        .status();
    let mut full = None;
    for i in 1..200 {
        let (status, body) = submit(i).await;
        if status != 201 {
            full = Some((status, body));
            break;
        }
    }
    let (status, body) = full.expect("the disk filled up");
    assert_eq!(status, 507, "{body}");
    assert_eq!(body["code"], "storage_full");
    // space comes back: the same daemon goes on, and the database is whole
    std::fs::remove_file(&filler).unwrap();
    let (status, _) = submit(999).await;
    assert_eq!(status, 201);
    let (status, r) = app.get(&president, &format!("/api/v1/requests/{}", first["id"].as_str().unwrap())).await;
    assert_eq!((status, r["status"].as_str()), (200, Some("running")));
    let db = &app.app.db;
    use entities::sea_orm::{ConnectionTrait, Statement};
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), "PRAGMA integrity_check".to_string()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "integrity_check").unwrap(), "ok");
    let (_, breaks) = entities::store::requests::verify_chains(db).await.unwrap();
    assert!(breaks.is_empty(), "every hash chain holds");
    app.stop().await;
    let _ = std::process::Command::new("umount").arg(&dir).status();
    let _ = std::fs::remove_dir_all(&dir);
}
