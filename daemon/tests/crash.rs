//! Nothing lost, nothing twice: the real `liandong` binary is killed with SIGKILL at random
//! moments, 20 times, while requests are submitted and decided and their reminders fall due;
//! after a last restart every committed notification is delivered exactly once (the file
//! transport names each mail by its notification key), every due timer fired once, and every
//! hash chain holds. On SQLite and on PostgreSQL.

use entities::sea_orm::{ConnectionTrait, Statement};
use entities::store::{self, DbOptions};
use serde_json::{Value, json};
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Daemon {
    child: Child,
    base: String,
    admin: Option<String>,
}

fn start(url: &str, outbox: &std::path::Path) -> Daemon {
    let mut child = Command::new(env!("CARGO_BIN_EXE_liandong"))
        .arg("serve")
        .env("LIANDONG__DATABASE__URL", url)
        .env("LIANDONG__SERVER__LISTEN", "127.0.0.1:0")
        .env("LIANDONG__MAIL__TRANSPORT", "file")
        .env("LIANDONG__MAIL__OUTBOX_DIR", outbox)
        .env("LIANDONG__JOBS__POLL_INTERVAL_MS", "30")
        .env("LIANDONG__JOBS__STALE_AFTER_MS", "400")
        .env("LIANDONG__JOBS__HEARTBEAT_MS", "500")
        .env("LIANDONG__JOBS__RETRY_BASE_MS", "100")
        .env("LIANDONG__JOBS__DUTIES", "false")
        .env("LIANDONG__LOG__LEVEL", "error")
        .stdout(Stdio::piped())
        .spawn()
        .expect("the daemon starts");
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let (mut admin, mut base) = (None, String::new());
    let mut line = String::new();
    while out.read_line(&mut line).unwrap_or(0) > 0 {
        if let Some(t) = line.split_whitespace().find(|w| w.starts_with("ld_")) {
            admin = Some(t.to_string());
        }
        if let Some(rest) = line.split("listening on ").nth(1) {
            base = rest.split_whitespace().next().unwrap().to_string();
            break;
        }
        line.clear();
    }
    assert!(!base.is_empty(), "the daemon said where it listens");
    Daemon { child, base, admin }
}

async fn post(http: &reqwest::Client, base: &str, token: &str, path: &str, body: Value) -> Option<(u16, Value)> {
    let r = http
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()?;
    let status = r.status().as_u16();
    Some((status, r.json().await.unwrap_or(Value::Null)))
}

async fn crash_and_recover(url: &str, name: &str) {
    let outbox = std::env::temp_dir().join(format!("liandong-crash-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&outbox);
    let http = reqwest::Client::new();
    let db = store::connect(&DbOptions::new(url)).await.unwrap();
    let mut admin = String::new();
    let mut tokens: Option<(String, String)> = None;
    let mut committed = Vec::new();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for round in 0..20 {
        let mut d = start(url, &outbox);
        if let Some(a) = d.admin.take() {
            admin = a;
        }
        if tokens.is_none() {
            let t = |p: &str| post(&http, &d.base, &admin, "/api/v1/tokens", json!({ "person": p }));
            let president = t("2023010201").await.unwrap().1["token"].as_str().unwrap().to_string();
            let league = t("T0102").await.unwrap().1["token"].as_str().unwrap().to_string();
            tokens = Some((president, league));
        }
        let (president, league) = tokens.clone().unwrap();
        // work: submit, decide what the League secretary has, let reminders fall due
        let form = json!({ "kind": "request", "matter_type": "reform_progress", "title": format!("请示{round}"), "body": "……" });
        if let Some((201, r)) = post(
            &http,
            &d.base,
            &president,
            "/api/v1/requests",
            json!({ "workflow": "major_matter_report", "form": form }),
        )
        .await
        {
            committed.push(r["id"].as_str().unwrap().to_string());
        }
        if let Ok(r) = http.get(format!("{}/api/v1/tasks", d.base)).bearer_auth(&league).send().await
            && let Ok(v) = r.json::<Value>().await
            && let Some(t) = v["items"].as_array().and_then(|a| a.first())
        {
            let path = format!("/api/v1/requests/{}/tasks/{}/decision", t["request"].as_str().unwrap(), t["task"]);
            let _ = post(&http, &d.base, &league, &path, json!({ "decision": "approve" })).await;
        }
        let sql = "UPDATE timers SET due_at = 0 WHERE status = 'pending' AND timer_id LIKE '%:remind:%'";
        db.execute_raw(Statement::from_string(db.get_database_backend(), sql.to_string())).await.unwrap();
        // … and die at a random moment
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        tokio::time::sleep(Duration::from_millis(seed % 250)).await;
        d.child.kill().unwrap();
        d.child.wait().unwrap();
    }
    // a last start drains what was committed
    let mut d = start(url, &outbox);
    let count = |sql: &str| {
        let (db, sql) = (&db, sql.to_string());
        async move {
            let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
            row.try_get::<i64>("", "n").unwrap()
        }
    };
    let jobs = if url.starts_with("sqlite") { "Jobs" } else { "apalis.jobs" };
    // a job killed after its mail went out but before its ack runs again (and finds the row
    // sent) once its worker has missed two heartbeats
    let unacked = format!("SELECT COUNT(*) AS n FROM {jobs} WHERE job_type = 'liandong.deliver' AND status <> 'Done'");
    for _ in 0..300 {
        let busy = count("SELECT COUNT(*) AS n FROM outbox WHERE status <> 'sent'").await
            + count("SELECT COUNT(*) AS n FROM timers WHERE status = 'claimed' OR (status = 'pending' AND due_at = 0)")
                .await
            + count(&unacked).await;
        if busy == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = Command::new("kill").args(["-TERM", &d.child.id().to_string()]).status();
    d.child.wait().unwrap();
    assert!(committed.len() >= 15, "most submits got through: {}", committed.len());
    // every committed notification delivered, exactly one file per notification
    let rows = count("SELECT COUNT(*) AS n FROM outbox").await;
    let unsent = count("SELECT COUNT(*) AS n FROM outbox WHERE status <> 'sent'").await;
    let files = std::fs::read_dir(&outbox)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
        .count();
    assert_eq!(unsent, 0, "every notification was delivered");
    // … each through an apalis job in the same database, acknowledged as done
    let sql = format!(
        "SELECT COUNT(*) AS n FROM outbox o WHERE NOT EXISTS (SELECT 1 FROM {jobs} j WHERE j.job_type = 'liandong.deliver' \
         AND j.status = 'Done' AND j.idempotency_key LIKE o.idempotency_key || '#%')"
    );
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 0, "every notification went through a delivery job");
    assert_eq!(files as i64, rows, "one mail per notification, none twice");
    // every request committed is there, its due reminders fired once, its chain holds
    for id in &committed {
        let events = store::requests::events(&db, id).await.unwrap();
        assert!(!events.is_empty(), "{id} was committed and kept");
        let mut cleared = std::collections::BTreeSet::new();
        for (e, _) in &events {
            if let workflows::engine::EventKind::TimerCleared { timer } = &e.kind {
                assert!(cleared.insert(timer.clone()), "{id}: timer {timer} cleared twice");
            }
        }
        let loaded = store::requests::load(&db, id).await.unwrap().unwrap();
        assert_eq!(workflows::engine::Instance::replay(events.iter().map(|(e, _)| e)), loaded.state);
    }
    assert_eq!(
        count("SELECT COUNT(*) AS n FROM timers WHERE status = 'pending' AND due_at = 0").await,
        0,
        "every due timer fired"
    );
    let (_, breaks) = store::requests::verify_chains(&db).await.unwrap();
    assert!(breaks.is_empty(), "{breaks:?}");
    let _ = std::fs::remove_dir_all(&outbox);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_kills_on_sqlite() {
    let file = std::env::temp_dir().join(format!("liandong-crash-{}.sqlite", std::process::id()));
    let url = format!("sqlite://{}?mode=rwc", file.display());
    crash_and_recover(&url, "sqlite").await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_kills_on_postgres() {
    let name = format!("ld_crash_{}", std::process::id());
    let admin = store::connect(&DbOptions::new("postgres://postgres@127.0.0.1:5432/postgres")).await.unwrap();
    let q = |s: String| Statement::from_string(admin.get_database_backend(), s);
    admin.execute_raw(q(format!("DROP DATABASE IF EXISTS {name}"))).await.unwrap();
    admin.execute_raw(q(format!("CREATE DATABASE {name}"))).await.unwrap();
    crash_and_recover(&format!("postgres://postgres@127.0.0.1:5432/{name}"), "pg").await;
    admin.execute_raw(q(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_on_one_postgres_handle_each_job_once() {
    let name = format!("ld_three_{}", std::process::id());
    let admin_db = store::connect(&DbOptions::new("postgres://postgres@127.0.0.1:5432/postgres")).await.unwrap();
    let q = |s: String| Statement::from_string(admin_db.get_database_backend(), s);
    admin_db.execute_raw(q(format!("DROP DATABASE IF EXISTS {name}"))).await.unwrap();
    admin_db.execute_raw(q(format!("CREATE DATABASE {name}"))).await.unwrap();
    let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
    let outbox = std::env::temp_dir().join(format!("liandong-three-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&outbox);
    let mut first = start(&url, &outbox);
    let admin = first.admin.take().expect("first start");
    let mut daemons = vec![first, start(&url, &outbox), start(&url, &outbox)];
    let http = reqwest::Client::new();
    let president = post(&http, &daemons[0].base, &admin, "/api/v1/tokens", json!({ "person": "2023010201" }))
        .await
        .unwrap()
        .1["token"]
        .as_str()
        .unwrap()
        .to_string();
    let db = store::connect(&DbOptions::new(&url)).await.unwrap();
    for i in 0..9 {
        let form =
            json!({ "kind": "request", "matter_type": "reform_progress", "title": format!("请示{i}"), "body": "……" });
        let (status, _) = post(
            &http,
            &daemons[i % 3].base,
            &president,
            "/api/v1/requests",
            json!({ "workflow": "major_matter_report", "form": form }),
        )
        .await
        .unwrap();
        assert_eq!(status, 201);
    }
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        "UPDATE timers SET due_at = 0 WHERE status = 'pending'".to_string(),
    ))
    .await
    .unwrap();
    let count = |sql: &'static str| {
        let db = &db;
        async move {
            let row = db
                .query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_string()))
                .await
                .unwrap()
                .unwrap();
            row.try_get::<i64>("", "n").unwrap()
        }
    };
    for _ in 0..300 {
        if count("SELECT COUNT(*) AS n FROM outbox WHERE status <> 'sent'").await == 0
            && count("SELECT COUNT(*) AS n FROM timers WHERE status <> 'done' AND due_at = 0").await == 0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for d in &mut daemons {
        let _ = Command::new("kill").args(["-TERM", &d.child.id().to_string()]).status();
        d.child.wait().unwrap();
    }
    let rows = count("SELECT COUNT(*) AS n FROM outbox").await;
    let files = std::fs::read_dir(&outbox)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
        .count();
    assert_eq!(count("SELECT COUNT(*) AS n FROM outbox WHERE status <> 'sent'").await, 0);
    assert_eq!(files as i64, rows, "each notification handled once across the three processes");
    assert_eq!(
        count("SELECT COUNT(*) AS n FROM apalis.jobs WHERE job_type = 'liandong.deliver' AND status = 'Done'").await,
        rows,
        "one apalis job per notification, done once"
    );
    // every timer that fell due fired exactly once: one `timer_cleared` event per timer and request
    let ids = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT id FROM requests".to_string()))
        .await
        .unwrap();
    let mut fired = 0;
    for row in ids {
        let id: String = row.try_get("", "id").unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for (e, _) in store::requests::events(&db, &id).await.unwrap() {
            if let workflows::engine::EventKind::TimerCleared { timer } = e.kind {
                assert!(seen.insert(timer.clone()), "{id}: timer {timer} handled twice");
                fired += 1;
            }
        }
    }
    assert!(fired >= 9 * 3, "the reminders of every request fired ({fired})");
    assert_eq!(
        count("SELECT COUNT(*) AS n FROM timers WHERE status <> 'done' AND due_at = 0").await,
        0,
        "every due timer fired"
    );
    let _ = std::fs::remove_dir_all(&outbox);
    admin_db.execute_raw(q(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await.unwrap();
}
