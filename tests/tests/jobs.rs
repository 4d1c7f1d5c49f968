//! The background workers in the daemon: every notification the engine emits becomes a mail
//! (zh-CN by default, text + HTML, a stable Message-ID), and due timers fire through the engine.

use entities::sea_orm::{ConnectionTrait, Statement};
use liandong_tests::{Backend, spawn};
use serde_json::{Value, json};
use workflows::org::generate::demo_people as dp;

fn subject(m: &lettre::Message) -> String {
    let raw = String::from_utf8_lossy(&m.formatted()).to_string();
    // the header, unfolded: continuation lines start with white space
    let mut lines = raw.lines().skip_while(|l| !l.starts_with("Subject: "));
    let mut value = lines.next().unwrap_or_default().trim_start_matches("Subject: ").to_string();
    for l in lines.take_while(|l| l.starts_with(' ') || l.starts_with('\t')) {
        value.push(' ');
        value.push_str(l.trim());
    }
    decode(&value)
}

/// Decodes RFC 2047 `=?utf-8?b?…?=` words (what lettre writes for non-ASCII subjects).
fn decode(s: &str) -> String {
    use base64::Engine;
    s.split_whitespace()
        .map(|w| match w.strip_prefix("=?utf-8?b?").and_then(|x| x.strip_suffix("?=")) {
            Some(b) => {
                String::from_utf8_lossy(&base64::engine::general_purpose::STANDARD.decode(b).unwrap_or_default())
                    .into_owned()
            }
            None => w.to_string(),
        })
        .collect::<Vec<_>>()
        .join("")
}

fn to(m: &lettre::Message) -> String {
    m.envelope().to().iter().map(|a| a.to_string()).collect::<Vec<_>>().join(",")
}

async fn mail_and_timers(backend: Backend) {
    let app = spawn(backend, "jobs").await;
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let form = json!({ "kind": "report", "matter_type": "reform_progress", "title": "计算机学院学生会改革推进情况报告", "body": "……" });
    let (status, r) =
        app.post(&president, "/api/v1/requests", json!({ "workflow": "major_matter_report", "form": form })).await;
    assert_eq!(status, 201);
    let id = r["id"].as_str().unwrap().to_string();
    // the League secretary and the two liaisons are told, in zh-CN, with the 【待审批】/【备案】 subjects
    let sent = app.wait_for_mail(|m| m.len() >= 3).await;
    let league = sent.iter().find(|m| to(m) == "t0102@nanyue.edu.cn").expect("mail to the League secretary");
    assert_eq!(subject(league), "【待审批】计算机学院学生会改革推进情况报告");
    let raw = String::from_utf8_lossy(&league.formatted()).to_string();
    assert!(raw.contains("multipart/alternative") && raw.contains("text/plain") && raw.contains("text/html"));
    assert!(raw.contains(&format!("Message-ID: <{id}.")), "a Message-ID made from the notification's key:\n{raw}");
    let acks: Vec<String> = sent.iter().filter(|m| subject(m).starts_with("【备案】")).map(to).collect();
    assert_eq!(acks.len(), 2, "both liaisons");
    // a timer that fell due fires through the engine: the reminder is an event by "timer" and a mail
    let db = &app.app.db;
    let sql = format!(
        "UPDATE timers SET due_at = 0 WHERE request_id = '{id}' AND timer_id LIKE '%:remind:0' AND status = 'pending'"
    );
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    let sent = app.wait_for_mail(|m| m.iter().any(|x| subject(x).starts_with("【催办】"))).await;
    assert!(sent.iter().filter(|x| subject(x).starts_with("【催办】")).count() >= 1);
    let (_, events) = app.get(&president, &format!("/api/v1/requests/{id}/events")).await;
    let reminded: Vec<&Value> = events.as_array().unwrap().iter().filter(|e| e["kind"]["type"] == "reminded").collect();
    assert!(!reminded.is_empty());
    assert!(reminded.iter().all(|e| e["actor"]["type"] == "timer" && e["channel"] == "timer"));
    // nothing twice: each outbox row is sent once
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let n = app.mail.lock().unwrap().len();
    let rows = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM outbox WHERE status = 'sent'".to_string(),
        ))
        .await
        .unwrap()
        .unwrap();
    let sent_rows: i64 = rows.try_get("", "n").unwrap();
    assert_eq!(sent_rows as usize, n, "one mail per outbox row");
    // each through an apalis job in the same database (MariaDB has no apalis storage: the
    // relay delivered directly)
    if backend != Backend::Mariadb {
        app.wait_for_delivery_jobs().await;
        let jobs = app
            .count(&format!("SELECT COUNT(*) AS n FROM {} WHERE job_type = 'liandong.deliver'", app.jobs_table()))
            .await;
        let notifications = app.count("SELECT COUNT(*) AS n FROM outbox").await;
        assert_eq!(jobs, notifications, "one delivery job per notification");
    }
    app.stop().await;
}

#[tokio::test]
async fn notifications_become_mail_and_timers_fire_on_sqlite() {
    mail_and_timers(Backend::Sqlite).await;
}

#[tokio::test]
async fn notifications_become_mail_and_timers_fire_on_postgres() {
    mail_and_timers(Backend::Postgres).await;
}

#[tokio::test]
async fn notifications_become_mail_and_timers_fire_on_mariadb() {
    mail_and_timers(Backend::Mariadb).await;
}

#[tokio::test]
async fn three_daemons_on_one_postgres_share_the_work_once() {
    let first = spawn(Backend::Postgres, "three").await;
    let second = liandong_tests::spawn_beside(&first).await;
    let third = liandong_tests::spawn_beside(&first).await;
    let daemons = [&first, &second, &third];
    let president = first.token_for(dp::CS_SU_PRESIDENT).await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let form =
            json!({ "kind": "report", "matter_type": "reform_progress", "title": format!("报告{i}"), "body": "……" });
        let (status, r) = daemons[i % 3]
            .post(&president, "/api/v1/requests", json!({ "workflow": "major_matter_report", "form": form }))
            .await;
        assert_eq!(status, 201);
        ids.push(r["id"].as_str().unwrap().to_string());
    }
    // every reminder falls due at once
    let db = &first.app.db;
    let q = |sql: &str| Statement::from_string(db.get_database_backend(), sql.to_string());
    db.execute_raw(q("UPDATE timers SET due_at = 0 WHERE timer_id LIKE '%:remind:0' AND status = 'pending'"))
        .await
        .unwrap();
    let count = |sql: &'static str| async move {
        let row = db.query_one_raw(q(sql)).await.unwrap().unwrap();
        row.try_get::<i64>("", "n").unwrap()
    };
    for _ in 0..1200 {
        if count("SELECT COUNT(*) AS n FROM outbox WHERE status <> 'sent'").await == 0
            && count("SELECT COUNT(*) AS n FROM timers WHERE status = 'claimed' OR (status = 'pending' AND due_at = 0)")
                .await
                == 0
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let rows = count("SELECT COUNT(*) AS n FROM outbox").await as usize;
    let mut ids_seen = std::collections::BTreeSet::new();
    let mut total = 0;
    for d in daemons {
        for m in d.mail.lock().unwrap().iter() {
            let raw = String::from_utf8_lossy(&m.formatted()).to_string();
            let mid = raw.lines().find(|l| l.starts_with("Message-ID: ")).unwrap().to_string();
            assert!(ids_seen.insert(mid.clone()), "a mail went out twice: {mid}");
            total += 1;
        }
    }
    assert_eq!(total, rows, "each notification delivered exactly once across the three daemons");
    first.wait_for_delivery_jobs().await;
    let jobs = first
        .count(&format!("SELECT COUNT(*) AS n FROM {} WHERE job_type = 'liandong.deliver'", first.jobs_table()))
        .await;
    assert_eq!(jobs as usize, rows, "one apalis job per notification, whichever daemon queued it");
    let busy = daemons.iter().filter(|d| !d.mail.lock().unwrap().is_empty()).count();
    assert!(busy >= 1);
    // each request's first reminder fired once
    for id in &ids {
        let (_, events) = first.get(&first.admin_token, &format!("/api/v1/requests/{id}/events")).await;
        let reminded = events.as_array().unwrap().iter().filter(|e| e["kind"]["type"] == "reminded").count();
        assert!(reminded >= 1, "{id}: the due reminders fired");
        let cleared: Vec<&Value> =
            events.as_array().unwrap().iter().filter(|e| e["kind"]["type"] == "timer_cleared").collect();
        let unique: std::collections::BTreeSet<String> =
            cleared.iter().map(|e| e["kind"]["timer"].to_string()).collect();
        assert_eq!(unique.len(), cleared.len(), "{id}: no timer fired twice");
    }
    third.stop().await;
    second.stop().await;
    first.stop().await;
}

#[tokio::test]
async fn mail_goes_out_over_real_smtp_and_a_bounce_is_final() {
    let sink = liandong_tests::smtp::start().await;
    let app = liandong_tests::spawn_with(
        Backend::Sqlite,
        "smtp",
        vec![
            ("LIANDONG__MAIL__TRANSPORT".into(), "smtp".into()),
            ("LIANDONG__MAIL__SMTP_HOST".into(), "127.0.0.1".into()),
            ("LIANDONG__MAIL__SMTP_PORT".into(), sink.port.to_string()),
            ("LIANDONG__MAIL__SMTP_SECURITY".into(), "none".into()),
            ("LIANDONG__SERVER__PUBLIC_URL".into(), "http://liandong.test".into()),
        ],
    )
    .await;
    // the League secretary's address bounces (a permanent 550)
    readdress(&app, "t0102@nanyue.edu.cn", "bounce-t0102@nanyue.edu.cn").await;
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let form = json!({ "kind": "report", "matter_type": "reform_progress", "title": "计算机学院学生会改革推进情况报告", "body": "……" });
    let (_, r) =
        app.post(&president, "/api/v1/requests", json!({ "workflow": "major_matter_report", "form": form })).await;
    let id = r["id"].as_str().unwrap().to_string();
    // the two liaisons' mails arrive over SMTP: headers, both parts, zh-CN, the link
    let mut got = Vec::new();
    for _ in 0..1200 {
        got = sink.received.lock().unwrap().clone();
        if got.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(got.len(), 2, "{got:?}");
    let m = &got[0];
    assert_eq!(m.from, "liandong@nanyue.edu.cn");
    assert!(m.data.contains("Subject: =?utf-8?b?"), "an encoded zh-CN subject");
    assert!(m.data.contains("Content-Type: multipart/alternative"));
    assert!(
        m.data.contains("Content-Type: text/plain; charset=utf-8")
            && m.data.contains("Content-Type: text/html; charset=utf-8")
    );
    assert!(m.data.contains(&format!("Message-ID: <{id}.")));
    // read as a mail client does: the zh-CN subject, both parts, the link to the request
    let parsed = mail_parser::MessageParser::default().parse(m.data.as_bytes()).expect("a parseable mail");
    assert_eq!(parsed.subject(), Some("【备案】计算机学院学生会改革推进情况报告"));
    let text = parsed.body_text(0).expect("a text part");
    let html = parsed.body_html(0).expect("an HTML part");
    let link = format!("http://liandong.test/requests/{id}");
    assert!(text.contains("您好") && text.contains(&link), "{text}");
    assert!(html.contains("查看详情") && html.contains("liandong.test"), "{html}");
    // the bounce is final: no retry, the row says why, and the admin can see it
    let db = &app.app.db;
    let mut failed = 0;
    for _ in 0..100 {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM outbox WHERE status = 'failed'".to_string(),
            ))
            .await
            .unwrap()
            .unwrap();
        failed = row.try_get::<i64>("", "n").unwrap();
        if failed == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(failed, 1, "the bounced notification failed for good");
    let (status, list) = app.get(&app.admin_token, "/api/v1/deliveries?status=failed").await;
    assert_eq!(status, 200);
    let item = &list["items"][0];
    assert_eq!(item["recipient"], dp::CS_LEAGUE_SECRETARY);
    assert!(item["last_error"].as_str().unwrap().contains("550"), "{item}");
    let (_, events) = app.get(&app.admin_token, &format!("/api/v1/requests/{id}/events")).await;
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"]["type"] == "delivery_failed" && e["kind"]["to"] == dp::CS_LEAGUE_SECRETARY),
        "on the timeline"
    );
    let (status, _) = app.get(&president, "/api/v1/deliveries?status=failed").await;
    assert_eq!(status, 403);
    let (status, r) = app.post(&app.admin_token, &format!("/api/v1/deliveries/{}/retry", item["id"]), json!({})).await;
    assert_eq!((status, r["status"].as_str()), (200, Some("pending")));
    app.stop().await;
}

#[tokio::test]
async fn periodic_duties_are_told_once_per_period() {
    let app = spawn(Backend::Sqlite, "duties").await;
    let nov = |d: u32| chrono::NaiveDate::from_ymd_opt(2025, 11, d).unwrap();
    let first = daemon::jobs::duties::on(&app.app, nov(24)).await.unwrap();
    assert!(
        first >= 12 + 1 + 3,
        "12 annual reports, the federation summary, 3 onboardings and the silent ledger: {first}"
    );
    assert_eq!(daemon::jobs::duties::on(&app.app, nov(25)).await.unwrap(), 0, "the same periods: nobody is told twice");
    let sent = app.wait_for_mail(|m| m.len() >= first).await;
    let subjects: Vec<String> = sent.iter().map(subject).collect();
    assert!(subjects.iter().any(|s| s == "【提醒】2025年度院系学生会工作报告"), "{subjects:?}");
    assert!(subjects.iter().any(|s| s == "【提醒】2025年度工作总结和工作计划报送"));
    assert!(subjects.iter().any(|s| s == "【提醒】联系工作台账提醒"));
    let to_president = sent
        .iter()
        .filter(|m| to(m) == format!("{}@stu.nanyue.edu.cn", dp::CS_SU_PRESIDENT))
        .filter(|m| subject(m) == "【提醒】2025年度院系学生会工作报告")
        .count();
    assert_eq!(to_president, 1, "the CS president gets the annual report reminder once");
    app.stop().await;
}

/// Replaces one address in the org chart through the admin API.
async fn readdress(app: &liandong_tests::TestApp, from: &str, to: &str) {
    let yaml = app.org_yaml().await;
    assert!(yaml.contains(&format!("email: {from}")));
    let yaml = yaml.replacen(&format!("email: {from}"), &format!("email: {to}"), 1);
    let r =
        app.http.put(format!("{}/api/v1/org", app.base)).bearer_auth(&app.admin_token).body(yaml).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

async fn greylisted_mail_is_retried_with_backoff(backend: Backend) {
    let sink = liandong_tests::smtp::start().await;
    let app = liandong_tests::spawn_with(
        backend,
        "greylist",
        vec![
            ("LIANDONG__MAIL__TRANSPORT".into(), "smtp".into()),
            ("LIANDONG__MAIL__SMTP_HOST".into(), "127.0.0.1".into()),
            ("LIANDONG__MAIL__SMTP_PORT".into(), sink.port.to_string()),
            ("LIANDONG__MAIL__SMTP_SECURITY".into(), "none".into()),
            ("LIANDONG__JOBS__RETRY_BASE_MS".into(), "300".into()),
        ],
    )
    .await;
    readdress(&app, "t0102@nanyue.edu.cn", "tempfail-t0102@nanyue.edu.cn").await;
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let form = json!({ "kind": "report", "matter_type": "reform_progress", "title": "计算机学院学生会改革推进情况报告", "body": "……" });
    let (status, _) =
        app.post(&president, "/api/v1/requests", json!({ "workflow": "major_matter_report", "form": form })).await;
    assert_eq!(status, 201);
    let mut got = Vec::new();
    for _ in 0..1200 {
        got = sink.received.lock().unwrap().clone();
        if got.iter().any(|m| m.to.iter().any(|t| t.starts_with("tempfail"))) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mail = got.iter().find(|m| m.to.iter().any(|t| t.starts_with("tempfail"))).expect("delivered in the end");
    assert!(mail.data.contains("Subject: =?utf-8?b?"));
    // three tries: refused twice with 451, then accepted; 300 ms, then 600 ms apart
    let tries: Vec<std::time::Instant> =
        sink.attempts.lock().unwrap().iter().filter(|(a, _)| a.starts_with("tempfail")).map(|(_, t)| *t).collect();
    assert_eq!(tries.len(), 3, "two refusals and the delivery");
    let (first, second) = (tries[1] - tries[0], tries[2] - tries[1]);
    assert!(first >= std::time::Duration::from_millis(300), "first retry after the base delay: {first:?}");
    assert!(second >= std::time::Duration::from_millis(600), "then twice as long: {second:?}");
    // the row says it took three attempts; nothing failed for good, nothing went out twice
    app.wait_for_delivery_jobs().await;
    let row = app
        .count("SELECT CAST(attempts AS BIGINT) AS n FROM outbox WHERE recipient = 'T0102' AND status = 'sent'")
        .await;
    assert_eq!(row, 3);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM outbox WHERE status = 'failed'").await, 0);
    let received = sink.received.lock().unwrap().len() as i64;
    assert_eq!(received, app.count("SELECT COUNT(*) AS n FROM outbox").await, "one mail per notification");
    let metrics = app.http.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("liandong_mail_delivery_failures_total 2"), "{metrics}");
    assert!(metrics.contains("liandong_outbox_notifications{status=\"sent\"} 3"), "{metrics}");
    app.stop().await;
}

#[tokio::test]
async fn greylisted_mail_is_retried_with_backoff_on_sqlite() {
    greylisted_mail_is_retried_with_backoff(Backend::Sqlite).await;
}

#[tokio::test]
async fn greylisted_mail_is_retried_with_backoff_on_postgres() {
    greylisted_mail_is_retried_with_backoff(Backend::Postgres).await;
}

#[tokio::test]
async fn the_duty_schedule_runs_in_the_daemon() {
    // every second, for the test (the default is 08:00 each day, Asia/Shanghai)
    let app = liandong_tests::spawn_with(
        Backend::Sqlite,
        "cron",
        vec![
            ("LIANDONG__JOBS__DUTIES".into(), "true".into()),
            ("LIANDONG__JOBS__DUTIES_SCHEDULE".into(), "* * * * * *".into()),
        ],
    )
    .await;
    let runs = |m: &str| -> u64 {
        m.lines()
            .find_map(|l| l.strip_prefix("liandong_duty_runs_total "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0) as u64
    };
    let mut metrics = String::new();
    for _ in 0..100 {
        metrics = app.http.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
        if runs(&metrics) >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(runs(&metrics) >= 3, "the schedule ran each second: {metrics}");
    // whatever today asks for was recorded once, however many times the schedule looked
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let due = daemon::jobs::duties::notices(&app.app, today)
        .await
        .unwrap()
        .iter()
        .map(|n| (n.duty, n.period.clone(), n.person.clone()))
        .collect::<std::collections::HashSet<_>>()
        .len() as i64;
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM duty_notices").await, due);
    app.stop().await;
}
