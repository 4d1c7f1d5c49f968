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
    for _ in 0..200 {
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
    let yaml = app
        .http
        .get(format!("{}/api/v1/org", app.base))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let yaml = yaml.replacen("email: t0102@nanyue.edu.cn", "email: bounce-t0102@nanyue.edu.cn", 1);
    let r =
        app.http.put(format!("{}/api/v1/org", app.base)).bearer_auth(&app.admin_token).body(yaml).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let form = json!({ "kind": "report", "matter_type": "reform_progress", "title": "计算机学院学生会改革推进情况报告", "body": "……" });
    let (_, r) =
        app.post(&president, "/api/v1/requests", json!({ "workflow": "major_matter_report", "form": form })).await;
    let id = r["id"].as_str().unwrap().to_string();
    // the two liaisons' mails arrive over SMTP: headers, both parts, zh-CN, the link
    let mut got = Vec::new();
    for _ in 0..200 {
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
    let first = daemon::jobs::timers::duties_on(&app.app, nov(24)).await.unwrap();
    assert!(
        first >= 12 + 1 + 3,
        "12 annual reports, the federation summary, 3 onboardings and the silent ledger: {first}"
    );
    assert_eq!(
        daemon::jobs::timers::duties_on(&app.app, nov(25)).await.unwrap(),
        0,
        "the same periods: nobody is told twice"
    );
    let sent = app.wait_for_mail(|m| m.len() >= first).await;
    let subjects: Vec<String> = sent.iter().map(subject).collect();
    assert!(subjects.iter().any(|s| s == "【提醒】2025年度院系学生会工作报告"), "{subjects:?}");
    assert!(subjects.iter().any(|s| s == "【提醒】2025年度工作总结和工作计划报送"));
    assert!(subjects.iter().any(|s| s == "【提醒】联系工作台账提醒"));
    let to_president = sent.iter().filter(|m| to(m) == format!("{}@stu.nanyue.edu.cn", dp::CS_SU_PRESIDENT)).count();
    assert_eq!(to_president, 1, "the CS president gets the annual report reminder once");
    app.stop().await;
}
