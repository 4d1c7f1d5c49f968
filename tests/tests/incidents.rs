//! M1 incidents over HTTP (issue 11, domain §3): a department SU reports a sensitive or emergency
//! incident through `incident_report` — a first report later than 2 hours after the incident is
//! on record as late, follow-up reports (续报) go on the timeline and to everyone on the path by mail,
//! the final report (终报) is owed from the closure for 5 working days, and only people on the
//! path see the case — on SQLite and on PostgreSQL.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Asia::Shanghai;
use liandong_tests::{Backend, TestApp, spawn};
use serde_json::{Value, json};
use workflows::duration::{DurationSpec, DurationUnit};
use workflows::org::generate::demo_people as dp;

/// The submitter: a vice president (the president may add follow-ups too).
const SUBMITTER: &str = dp::CS_SU_VICE_PRESIDENT;
/// A CS student with no post on the path.
const MEMBER: &str = "2023010105";

fn incident(title: &str, occurred_at: &str) -> Value {
    json!({ "incident_type": "emergency_incident", "title": title, "occurred_at": occurred_at,
            "location": "计算机学院实验楼", "body": "实验楼突发停电，学生已有序疏散，学院已联系后勤抢修。" })
}

async fn events(app: &TestApp, id: &str) -> Vec<Value> {
    app.get(&app.admin_token, &format!("/api/v1/requests/{id}/events")).await.1.as_array().unwrap().clone()
}

fn of_type<'a>(events: &'a [Value], ty: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["kind"]["type"] == ty).collect()
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

/// The open tasks of `step`: (task number, assignee).
async fn open_at(app: &TestApp, id: &str, step: &str) -> Vec<(u64, String)> {
    let req = app.request(id).await;
    req["open_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["step"] == step)
        .map(|t| (t["task"].as_u64().unwrap(), t["assignee"].as_str().unwrap().to_string()))
        .collect()
}

/// The holder of the first open task of `step` decides it (approve or acknowledge).
async fn decide(app: &TestApp, id: &str, step: &str, comment: &str) {
    let (task, who) = open_at(app, id, step).await.into_iter().next().unwrap_or_else(|| panic!("no task at {step}"));
    let token = app.token_for(&who).await;
    let req = app.request(id).await;
    let kind = req["open_tasks"].as_array().unwrap().iter().find(|t| t["task"] == task).unwrap()["kind"].clone();
    let (path, body) = if kind == "acknowledge" {
        ("acknowledge", json!({ "comment": comment }))
    } else {
        ("decision", json!({ "decision": "approve", "comment": comment }))
    };
    let (status, r) = app.post(&token, &format!("/api/v1/requests/{id}/tasks/{task}/{path}"), body).await;
    assert_eq!(status, 200, "{step}: {r}");
}

/// (recipient, subject, text part) of every mail sent so far.
fn mails(sent: &[lettre::Message]) -> Vec<(String, String, String)> {
    sent.iter()
        .map(|m| {
            let raw = m.formatted();
            let p = mail_parser::MessageParser::default().parse(&raw).expect("a mail");
            let to = m.envelope().to().first().map(|a| a.to_string()).unwrap_or_default();
            (to, p.subject().unwrap_or_default().to_string(), p.body_text(0).unwrap_or_default().to_string())
        })
        .collect()
}

fn email_of(person: &str) -> String {
    if person.starts_with('T') {
        format!("{}@nanyue.edu.cn", person.to_lowercase())
    } else {
        format!("{person}@stu.nanyue.edu.cn")
    }
}

async fn incidents_follow_the_policy_timing(backend: Backend) {
    let app = spawn(backend, "incidents").await;
    let submitter = app.token_for(SUBMITTER).await;
    let now = Utc::now();

    // the major-matter form no longer takes incidents: they have their own workflow
    let (status, body) = app
        .post(
            &submitter,
            "/api/v1/requests",
            json!({ "workflow": "major_matter_report", "form": { "kind": "report", "matter_type": "emergency_incident", "title": "停电", "body": "……" } }),
        )
        .await;
    // (the matter types are the reporting checklist's, which has no incidents)
    assert_eq!((status, body["code"].as_str()), (422, Some("not_in_checklist")), "{body}");
    assert_eq!(body["errors"][0]["field"], "matter_type", "{body}");

    // three hours after the incident (written with its +08:00 offset): accepted, on record as late
    let occurred = (now - Duration::hours(3)).with_timezone(&Shanghai);
    let late = app.submit(&submitter, "incident_report", incident("实验楼停电事件首报", &occurred.to_rfc3339())).await;
    let late_id = late["id"].as_str().unwrap().to_string();
    assert_eq!((late["status"].as_str(), late["need_to_know"].as_bool()), (Some("running"), Some(true)), "{late}");
    let ev = events(&app, &late_id).await;
    let found = of_type(&ev, "late_report");
    assert_eq!(found.len(), 1, "{ev:?}");
    let deadline = time(&found[0]["kind"]["deadline"]);
    assert_eq!(deadline.timestamp(), (occurred + Duration::hours(2)).timestamp());
    assert_eq!(found[0]["kind"]["within"], json!({ "amount": 2, "unit": "hours" }));
    // half an hour after (written in UTC): in time, nothing on record
    let recent = (now - Duration::minutes(30)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let ok = app.submit(&submitter, "incident_report", incident("宿舍楼火情首报", &recent)).await;
    let id = ok["id"].as_str().unwrap().to_string();
    assert!(of_type(&events(&app, &id).await, "late_report").is_empty());
    // the submitter is told of the late filing
    let sent = app.wait_for_mail(|s| mails(s).iter().any(|(_, subj, _)| subj.starts_with("【迟报】"))).await;
    let (to, _, text) = mails(&sent).into_iter().find(|(_, s, _)| s.starts_with("【迟报】")).unwrap();
    assert_eq!(to, email_of(SUBMITTER));
    assert!(text.contains("2小时"), "{text}");

    // the three branches are open: the League secretary, the school-SU liaison, the written report
    assert_eq!(open_at(&app, &id, "league_review").await[0].1, dp::CS_LEAGUE_SECRETARY);
    let liaisons: Vec<String> = open_at(&app, &id, "school_su_ack").await.into_iter().map(|t| t.1).collect();
    assert!(!liaisons.is_empty());
    let written = app.request(&id).await["open_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["step"] == "written_report")
        .cloned()
        .expect("the written report is owed");
    assert_eq!(written["assignee"], SUBMITTER);
    let submitted_at = time(&app.request(&id).await["submitted_at"]);
    assert_eq!(time(&written["due_at"]), submitted_at + Duration::hours(24), "24 hours after the first report");

    // need-to-know: an unrelated member sees nothing and cannot report on it
    let member = app.token_for(MEMBER).await;
    assert_eq!(app.get(&member, &format!("/api/v1/requests/{id}")).await.0, 404);
    let (status, _) =
        app.post(&member, &format!("/api/v1/requests/{id}/follow-ups"), json!({ "text": "我也来续报" })).await;
    assert_eq!(status, 404);

    // a follow-up report: on the timeline, mailed 【续报】 to every reviewer reached and the president copied
    let text = "续报：停电原因已查明，系线路老化，预计今晚恢复供电。";
    let (status, r) = app.post(&submitter, &format!("/api/v1/requests/{id}/follow-ups"), json!({ "text": text })).await;
    assert_eq!(status, 200, "{r}");
    let ev = events(&app, &id).await;
    let f = of_type(&ev, "followed_up");
    assert_eq!(
        (f.len(), f[0]["kind"]["text"].as_str(), f[0]["actor"]["id"].as_str()),
        (1, Some(text), Some(SUBMITTER))
    );
    let mut reviewers: Vec<String> = liaisons.iter().map(|p| email_of(p)).collect();
    reviewers.push(email_of(dp::CS_LEAGUE_SECRETARY));
    reviewers.push(email_of(dp::CS_SU_PRESIDENT)); // copied at the start
    let follow_up_mails = |s: &[lettre::Message]| -> Vec<(String, String, String)> {
        mails(s).into_iter().filter(|(_, subj, _)| subj.starts_with("【续报】")).collect()
    };
    let sent = app.wait_for_mail(|s| follow_up_mails(s).len() >= reviewers.len()).await;
    let got = follow_up_mails(&sent);
    let mut to: Vec<String> = got.iter().map(|m| m.0.clone()).collect();
    to.sort();
    reviewers.sort();
    assert_eq!(to, reviewers, "everyone on the path, not the author");
    assert!(got.iter().all(|(_, s, t)| s == "【续报】宿舍楼火情首报" && t.contains(text)), "{got:?}");
    // the wrong people, an empty text, a workflow without follow-ups
    let league = app.token_for(dp::CS_LEAGUE_SECRETARY).await;
    let (status, body) = app.post(&league, &format!("/api/v1/requests/{id}/follow-ups"), json!({ "text": "x" })).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("not_allowed")), "{body}");
    let (status, body) =
        app.post(&submitter, &format!("/api/v1/requests/{id}/follow-ups"), json!({ "text": "  " })).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_follow_up")), "{body}");
    assert!(body.to_string().contains("\"text\""), "names the field: {body}");
    let m1 = app
        .submit(
            &submitter,
            "major_matter_report",
            json!({ "kind": "report", "matter_type": "reform_progress", "title": "报告", "body": "……" }),
        )
        .await;
    let (status, body) = app
        .post(
            &submitter,
            &format!("/api/v1/requests/{}/follow-ups", m1["id"].as_str().unwrap()),
            json!({ "text": "x" }),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("follow_ups_not_allowed")), "{body}");
    assert_eq!(of_type(&events(&app, &id).await, "followed_up").len(), 1, "nothing changed");
    // the department SU president may add one as well
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    let (status, r) =
        app.post(&president, &format!("/api/v1/requests/{id}/follow-ups"), json!({ "text": "续报二" })).await;
    assert_eq!(status, 200, "{r}");

    // closure: written report, school SU, League review, Party acknowledgement → the final report
    decide(&app, &id, "written_report", "书面报告：事件经过、原因、处置措施及后续安排。").await;
    decide(&app, &id, "school_su_ack", "已知悉").await;
    decide(&app, &id, "league_review", "同意，请做好后续工作").await;
    assert!(open_at(&app, &id, "final_report").await.is_empty(), "not before the case is closed");
    decide(&app, &id, "party_ack", "已阅").await;
    let req = app.request(&id).await;
    assert_eq!(req["status"], "running", "open until the final report: {req}");
    let fin =
        req["open_tasks"].as_array().unwrap().iter().find(|t| t["step"] == "final_report").cloned().expect("owed");
    assert_eq!(fin["assignee"], SUBMITTER);
    let ev = events(&app, &id).await;
    let entered = ev
        .iter()
        .rev()
        .find(|e| e["kind"]["type"] == "step_entered" && e["kind"]["step"] == "final_report")
        .expect("entered");
    let closed_at = time(&entered["at"]);
    let due = time(&fin["due_at"]);
    let cal = workflows::WorkCalendar::builtin();
    assert_eq!(due, cal.add(closed_at, DurationSpec::new(5, DurationUnit::WorkingDays)));
    let (from, to) = (closed_at.with_timezone(&Shanghai).date_naive(), due.with_timezone(&Shanghai).date_naive());
    let working = cal.working_days_between(from, to);
    assert!((5..=6).contains(&working) && due - closed_at >= Duration::days(5), "{closed_at} → {due}: {working}");
    // follow-ups still go in while the final report is owed; filing it ends the case
    decide(&app, &id, "final_report", "终报：供电已恢复，相关线路已全面排查。").await;
    assert_eq!(app.request(&id).await["status"], "approved");
    let (status, body) =
        app.post(&submitter, &format!("/api/v1/requests/{id}/follow-ups"), json!({ "text": "x" })).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("request_finished")), "{body}");
    assert_eq!(app.get(&member, &format!("/api/v1/requests/{id}")).await.0, 404, "still need-to-know");
    if backend == Backend::Sqlite {
        the_request_page_shows_follow_ups_and_takes_one(&app, &late_id).await;
    }
    app.stop().await;
}

/// A browser (no redirects followed) logged in on the web as `person` through the mailed
/// login link, and its session cookie.
async fn log_in(app: &TestApp, person: &str) -> (reqwest::Client, String) {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let email = email_of(person);
    let r = http.post(format!("{}/login", app.base)).form(&[("email", email.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let sent = app.wait_for_mail(|s| mails(s).iter().any(|(t, s, _)| *t == email && s.starts_with("【登录】"))).await;
    let (_, _, text) = mails(&sent).into_iter().find(|(t, s, _)| *t == email && s.starts_with("【登录】")).unwrap();
    let prefix = format!("{}/login/", app.base);
    let at = text.find(&prefix).expect("a login link");
    let link: String = text[at..].chars().take_while(|c| !c.is_whitespace()).collect();
    let r = http.post(&link).header("origin", &app.base).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let session = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    (http, session)
}

/// The submitter, logged in on the web, sees the late filing and follow-ups in the history and
/// adds one through the page's form.
async fn the_request_page_shows_follow_ups_and_takes_one(app: &TestApp, id: &str) {
    let (http, session) = log_in(app, SUBMITTER).await;
    let page = http.get(format!("{}/requests/{id}", app.base)).header("cookie", &session).send().await.unwrap();
    let csrf_cookie = page.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let html = page.text().await.unwrap();
    assert!(html.contains("迟报：事发于") && html.contains("应在2小时内"), "the late filing in the history: {html}");
    assert!(html.contains("提交续报") && html.contains(&format!("{id}&#x2f;follow-ups")), "the form: {html}");
    let at = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    let csrf = html[at..].split('"').next().unwrap().to_string();
    let r = http
        .post(format!("{}/requests/{id}/follow-ups", app.base))
        .header("cookie", format!("{session}; {csrf_cookie}"))
        .header("origin", &app.base)
        .form(&[("text", "网页续报：现场已处置完毕。"), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let html = http
        .get(format!("{}/requests/{id}", app.base))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("续报：网页续报：现场已处置完毕。"), "the follow-up in the history: {html}");
    let ev = events(app, id).await;
    assert_eq!(of_type(&ev, "followed_up").last().unwrap()["channel"], "web");
}

#[tokio::test]
async fn incidents_follow_the_policy_timing_on_sqlite() {
    incidents_follow_the_policy_timing(Backend::Sqlite).await;
}

#[tokio::test]
async fn incidents_follow_the_policy_timing_on_postgres() {
    incidents_follow_the_policy_timing(Backend::Postgres).await;
}

/// The text part of every mail to `to` so far.
fn texts_to(sent: &[lettre::Message], to: &str) -> Vec<String> {
    mails(sent).into_iter().filter(|(t, _, _)| t == to).map(|(_, _, text)| text).collect()
}

/// A written report (书面报告) must carry its text: an empty one is refused over the API (422,
/// `comment` named) and on the mail's page (the box is labelled 书面报告（必填）, the error is
/// shown), nothing changes; with its text it is filed and on the request's history.
async fn a_written_report_must_carry_its_text(backend: Backend) {
    let app = spawn(backend, "written_report").await;
    let submitter = app.token_for(SUBMITTER).await;
    let recent = (Utc::now() - Duration::minutes(20)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let id = app.submit(&submitter, "incident_report", incident("宿舍楼火情首报", &recent)).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (task, who) = open_at(&app, &id, "written_report").await[0].clone();
    assert_eq!(who, SUBMITTER);
    let path = format!("/api/v1/requests/{id}/tasks/{task}/acknowledge");
    // an empty one, or blanks: 422 naming the comment and the written report; nothing changes
    for body in [json!({}), json!({ "comment": "  \n " })] {
        let (status, r) = app.post(&submitter, &path, body).await;
        assert_eq!((status, r["code"].as_str()), (422, Some("invalid_form")), "{r}");
        let e = &r["errors"][0];
        assert_eq!((e["field"].as_str(), e["code"].as_str()), (Some("comment"), Some("required")), "{r}");
        assert!(e["message"].as_str().unwrap().contains("请填写书面报告（必填）"), "{r}");
    }
    assert_eq!(open_at(&app, &id, "written_report").await.len(), 1, "still owed");
    assert!(of_type(&events(&app, &id).await, "task_decided").is_empty());
    // the task mail asks for the written report by name, and its page labels the box so
    let me = email_of(SUBMITTER);
    let sent = app
        .wait_for_mail(|s| texts_to(s, &me).iter().any(|t| t.contains("/a/") && t.contains("书面报告（必填）")))
        .await;
    let text = texts_to(&sent, &me).into_iter().find(|t| t.contains("书面报告（必填）")).unwrap();
    assert!(text.contains("办理时请填写书面报告（必填）") && !text.contains("其后各行为意见"), "{text}");
    let start = text.find("/a/").unwrap();
    let link: String = text[start..].split_whitespace().next().unwrap().to_string();
    let r = app.http.get(format!("{}{link}", app.base)).send().await.unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let page = r.text().await.unwrap();
    assert!(page.contains("书面报告（必填）") && !page.contains("意见（可选）"), "{page}");
    // its button files the written report: 提交书面报告, not 已阅
    let button = page.find("value=\"acknowledge\" class=\"acknowledge").expect("the acknowledge button");
    assert!(page[button..].split("</button>").next().unwrap().ends_with(">提交书面报告"), "{page}");
    assert!(!page.contains(">已阅</button>"), "{page}");
    let i = page.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    let csrf = page[i..].split('"').next().unwrap().to_string();
    let post = |comment: &'static str| {
        app.http
            .post(format!("{}{link}", app.base))
            .header("cookie", &cookie)
            .form(&[("decision", "acknowledge"), ("comment", comment), ("csrf", csrf.as_str())])
            .send()
    };
    let r = post("").await.unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("请填写书面报告（必填）"), "the page says what is missing: {page}");
    assert_eq!(open_at(&app, &id, "written_report").await.len(), 1, "still owed");
    // with its text it is filed on the page, and the text is in the history
    let report = "起火原因系电动车违规充电，已扑灭，无人员受伤，后续将开展消防安全排查。";
    let r = post(report).await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert!(open_at(&app, &id, "written_report").await.is_empty());
    let ev = events(&app, &id).await;
    let decided = of_type(&ev, "task_decided");
    assert_eq!((decided.len(), decided[0]["kind"]["comment"].as_str()), (1, Some(report)), "{decided:?}");
    // the used link reads as the filing, the text under its name
    let spent = app.http.get(format!("{}{link}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(spent.contains("办理：提交书面报告。书面报告：起火原因系电动车违规充电"), "{spent}");
    assert!(!spent.contains("已阅") && !spent.contains("意见："), "{spent}");
    // the confirmation mail says what was filed
    let sent = app.wait_for_mail(|s| mails(s).iter().any(|(t, s, _)| *t == me && s.starts_with("【已办理】"))).await;
    let (_, _, text) = mails(&sent).into_iter().find(|(t, s, _)| *t == me && s.starts_with("【已办理】")).unwrap();
    assert!(text.contains("办理结果：提交书面报告（"), "{text}");
    assert!(text.contains(&format!("书面报告：{report}")) && !text.contains("意见："), "{text}");
    // and the request's history on the web
    let (http, session) = log_in(&app, SUBMITTER).await;
    let html =
        http.get(format!("{}/requests/{id}", app.base)).header("cookie", &session).send().await.unwrap().text().await;
    let html = html.unwrap();
    assert!(html.contains(&format!("办理：提交书面报告（邮件链接），书面报告：{report}")), "{html}");
    assert!(!html.contains("已阅（邮件链接）"), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn a_written_report_must_carry_its_text_on_sqlite() {
    a_written_report_must_carry_its_text(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_written_report_must_carry_its_text_on_postgres() {
    a_written_report_must_carry_its_text(Backend::Postgres).await;
}
