//! What the policy asks of pages, mails, duties and the working-day calendar, end to end: form
//! values by their labels, dates in zh-CN, deadlines that read as the day they end; duty notices
//! counted from the first look; a warning while next year's holidays are missing.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use liandong_tests::{Backend, TestApp};
use serde_json::json;
use workflows::calendar::{format_date, format_deadline};
use workflows::catalog::Lang;
use workflows::org::generate::demo_people as dp;

fn today() -> NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

/// The plain-text part of a mail.
fn text(m: &lettre::Message) -> String {
    let raw = m.formatted();
    let parsed = mail_parser::MessageParser::default().parse(&raw).expect("a mail");
    parsed.body_text(0).unwrap_or_default().to_string()
}

fn to(m: &lettre::Message) -> String {
    m.envelope().to().iter().map(|a| a.to_string()).collect::<Vec<_>>().join(",")
}

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let r = app.http.get(format!("{}{path}", app.base)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn labels_dates_and_deadlines(backend: Backend) {
    let app = liandong_tests::spawn_with(
        backend,
        "labels",
        vec![("LIANDONG__SERVER__PUBLIC_URL".into(), "http://liandong.test".into())],
    )
    .await;
    // given an M1 request (请示, 召开本级学代会等重大会议) about a meeting in five months
    let event = today() + chrono::Duration::days(150);
    let vice = app.token_for(dp::CS_SU_VICE_PRESIDENT).await;
    let form = json!({ "kind": "request", "matter_type": "major_meeting", "title": "计算机学院学生会关于召开第五次学生代表大会的请示",
                       "body": "拟召开第五次学生代表大会。", "event_date": event.format("%Y-%m-%d").to_string() });
    let (status, r) =
        app.post(&vice, "/api/v1/requests", json!({ "workflow": "major_matter_report", "form": form })).await;
    assert_eq!(status, 201, "{r}");
    let due: DateTime<Utc> = serde_json::from_value(r["open_tasks"][0]["due_at"].clone()).unwrap();
    // then the president's task mail shows the form by its labels, the date and the deadline in zh-CN
    let president = format!("{}@stu.nanyue.edu.cn", dp::CS_SU_PRESIDENT);
    let sent = app.wait_for_mail(|m| m.iter().any(|m| to(m) == president)).await;
    let body = text(sent.iter().find(|m| to(m) == president).unwrap());
    for line in [
        "文种：请示".to_string(),
        "事项类型：召开本级学代会等重大会议".to_string(),
        format!("事项日期：{}", format_date(event, Lang::Zh)),
        format!("办理时限：{}（北京时间）", format_deadline(due, Lang::Zh)),
    ] {
        assert!(body.contains(&line), "the mail says {line}:\n{body}");
    }
    assert!(!body.contains("major_meeting") && !body.contains(&event.format("%Y-%m-%d").to_string()), "{body}");
    // and the link page too
    let link = body
        .split_whitespace()
        .find_map(|w| w.find("http://liandong.test/a/").map(|i| w[i..].to_string()))
        .expect("an action link")
        .trim_start_matches("http://liandong.test")
        .to_string();
    let (status, zh) = page(&app, &link).await;
    assert_eq!(status, 200);
    for s in [
        "<td>请示</td>".to_string(),
        "<td>召开本级学代会等重大会议</td>".to_string(),
        format!("<td>{}</td>", format_date(event, Lang::Zh)),
        format_deadline(due, Lang::Zh),
    ] {
        assert!(zh.contains(&s), "the page shows {s}:\n{zh}");
    }
    assert!(!zh.contains("major_meeting") && !zh.contains(">request<"), "{zh}");
    // in English, the English labels and dates
    let (_, en) = page(&app, &format!("{link}&lang=en")).await;
    for s in ["<td>major meeting</td>".to_string(), format!("<td>{}</td>", format_date(event, Lang::En))] {
        assert!(en.contains(&s), "the English page shows {s}:\n{en}");
    }
    app.stop().await;
}

#[tokio::test]
async fn pages_and_mails_show_labels_dates_and_deadlines_on_sqlite() {
    labels_dates_and_deadlines(Backend::Sqlite).await;
}

#[tokio::test]
async fn pages_and_mails_show_labels_dates_and_deadlines_on_postgres() {
    labels_dates_and_deadlines(Backend::Postgres).await;
}

/// The value of a metric line `name v`.
fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(&format!("{name} "))).and_then(|v| v.trim().parse().ok())
}

async fn metrics(app: &TestApp) -> String {
    app.http.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn the_duty_notices_sent_at_start_are_counted() {
    // given the duties on with the daily schedule (08:00), so only the look at start runs
    let app = liandong_tests::spawn_with(
        Backend::Sqlite,
        "dutystart",
        vec![("LIANDONG__JOBS__DUTIES".into(), "true".into())],
    )
    .await;
    let due = daemon::jobs::duties::notices(&app.app, today())
        .await
        .unwrap()
        .iter()
        .map(|n| (n.duty, n.period.clone(), n.person.clone()))
        .collect::<std::collections::HashSet<_>>()
        .len() as i64;
    let mut m = String::new();
    for _ in 0..1200 {
        m = metrics(&app).await;
        if metric(&m, "liandong_duty_runs_total") >= Some(1.0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // then the metric counts what was recorded
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM duty_notices").await, due);
    assert_eq!(metric(&m, "liandong_duty_notices_total"), Some(due as f64), "{m}");
    assert_eq!(metric(&m, "liandong_duty_runs_total"), Some(1.0), "{m}");
    app.stop().await;
}

async fn readyz(app: &TestApp) -> (u16, String) {
    page(app, "/readyz").await
}

#[tokio::test]
async fn a_missing_year_of_holidays_is_warned_about_and_a_file_adds_it() {
    // given the built-in years only
    let app = liandong_tests::spawn(Backend::Sqlite, "calwarn").await;
    let missing = workflows::WorkCalendar::builtin().missing_year(today());
    let (status, body) = readyz(&app).await;
    assert_eq!(status, 200, "a warning, not unready");
    let m = metrics(&app).await;
    match missing {
        Some(y) => {
            assert!(
                body.starts_with("ready\nwarning: no holiday data for ") && body.contains(&y.to_string()),
                "{body}"
            );
            assert_eq!(metric(&m, "liandong_calendar_data_missing"), Some(1.0), "{m}");
        }
        None => {
            assert_eq!(body, "ready");
            assert_eq!(metric(&m, "liandong_calendar_data_missing"), Some(0.0), "{m}");
        }
    }
    app.stop().await;
    // when the calendar directory has files for this year and next (test data: no holidays)
    let dir = tempfile::tempdir().unwrap();
    for y in [today().year(), today().year() + 1] {
        std::fs::write(dir.path().join(format!("{y}.yaml")), format!("year: {y}\nholidays: []\n")).unwrap();
    }
    let app = liandong_tests::spawn_with(
        Backend::Sqlite,
        "calfiles",
        vec![("LIANDONG__CALENDAR__DIR".into(), dir.path().display().to_string())],
    )
    .await;
    // then nothing is missing, without a rebuild
    assert!(app.app.calendar.covers(today().year() + 1));
    assert_eq!(readyz(&app).await, (200, "ready".to_string()));
    assert_eq!(metric(&metrics(&app).await, "liandong_calendar_data_missing"), Some(0.0));
    app.stop().await;
}

#[tokio::test]
async fn duty_mails_name_units_and_write_dates_in_chinese() {
    let app = liandong_tests::spawn(Backend::Sqlite, "dutymail").await;
    let day = NaiveDate::from_ymd_opt(2025, 11, 24).unwrap();
    let n = daemon::jobs::duties::on(&app.app, day).await.unwrap();
    assert!(n > 0);
    let is = |m: &lettre::Message, what: &str| text(m).contains(what);
    // the three new ee staff appointed on 10 October are reminded before their onboarding is due
    let before = NaiveDate::from_ymd_opt(2025, 11, 3).unwrap();
    assert!(daemon::jobs::duties::on(&app.app, before).await.unwrap() > 0);
    let sent = app
        .wait_for_mail(|m| m.iter().any(|m| is(m, "您联系的数学学院学生会")) && m.iter().any(|m| is(m, "完成入门教育")))
        .await;
    // the silent ledger names the department SU, not `math`, and its last day in zh-CN
    let ledger = text(sent.iter().find(|m| is(m, "您联系的数学学院学生会")).unwrap());
    assert!(ledger.contains("您联系的数学学院学生会自2025年"), "{ledger}");
    assert!(!ledger.contains("math"), "{ledger}");
    // the onboarding reminder writes both days as 2025年…月…日
    let onboarding = text(sent.iter().find(|m| is(m, "完成入门教育")).unwrap());
    let line = onboarding.lines().find(|l| l.contains("任职")).unwrap_or_default().to_string();
    assert!(line.starts_with("您于2025年") && line.contains("日任职，请在") && !line.contains("2025-"), "{onboarding}");
    app.stop().await;
}
