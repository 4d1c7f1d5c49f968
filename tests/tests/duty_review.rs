//! The semester duty review (述职评议, M10) at department level, end to end over HTTP on SQLite
//! and PostgreSQL: a CS SU division head submits their duty report (ledger and trainings filled
//! in by Liandong); the CS review panel scores it on score sheets, the reported person and their
//! division colleague recused; a sheet missing a criterion is refused naming it; the committee
//! chair publishes; the result is a `duty_review_result` record read by need-to-know, and the
//! candidate's staff selection shows it. A panel without a class-representative majority is
//! refused with the count.

use liandong_tests::{Backend, TestApp};
use serde_json::{Value, json};
use workflows::org::generate::demo_people as dp;

/// 计算机学院学生会 办公室 部长 (a division head): the reported person.
const HEAD: &str = "2023010205";
/// 计算机学院学生会 办公室 副部长: the same division.
const DEPUTY: &str = "2023010206";
/// A CS student with no post.
const STUDENT: &str = "2023010215";
/// 电子信息学院学生会 办公室 部长.
const EE_HEAD: &str = "2023020205";
const SEMESTER: &str = "2025—2026学年第一学期";

/// Puts the head and their deputy on the CS review panel as class representatives, and leaves
/// the EE panel with two class representatives among seven, through the admin's org import.
async fn arrange_panels(app: &TestApp) {
    let yaml = app.org_yaml().await;
    let line = yaml.lines().find(|l| l.contains("\"2025010227\"") && l.contains("review_panel@cs")).unwrap();
    let mut extra = String::new();
    for p in [HEAD, DEPUTY] {
        extra.push_str(&line.replace("2025010227", p).replace("role: member", "role: class_representative"));
        extra.push('\n');
    }
    let mut out = String::new();
    for l in yaml.lines() {
        let demoted =
            ["\"2025020233\"", "\"2025020232\""].iter().any(|p| l.contains(p)) && l.contains("review_panel@ee");
        out.push_str(&if demoted { l.replace("role: class_representative", "role: member") } else { l.to_string() });
        out.push('\n');
        if l == line {
            out.push_str(&extra);
        }
    }
    let r =
        app.http.put(format!("{}/api/v1/org", app.base)).bearer_auth(&app.admin_token).body(out).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

fn report() -> Value {
    json!({ "semester": SEMESTER, "report": "本学期负责办公室日常工作，组织例会12次。" })
}

async fn score(app: &TestApp, id: &str, task: &Value, body: Value) -> (u16, Value) {
    let token = app.token_for(task["assignee"].as_str().unwrap()).await;
    app.post(&token, &format!("/api/v1/requests/{id}/tasks/{}/decision", task["task"]), body).await
}

async fn duty_review_at_department_level(backend: Backend) {
    let app = liandong_tests::spawn(backend, "duty_review").await;
    arrange_panels(&app).await;
    let head = app.token_for(HEAD).await;

    // a panel without a class-representative majority is refused, with the count, and nothing is stored
    let ee = app.token_for(EE_HEAD).await;
    let before = app.count("SELECT COUNT(*) AS n FROM requests").await;
    let (s, p) = app.post(&ee, "/api/v1/requests", json!({ "workflow": "duty_review", "form": report() })).await;
    assert_eq!((s, p["code"].as_str()), (422, Some("panel_composition")), "{p}");
    assert!(p["detail"].as_str().unwrap().contains("评议会 7 人中班级代表 2 人，须超过半数"), "{p}");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM requests").await, before);

    // the head submits; the ledger and the trainings are Liandong's
    let r = app.submit(&head, "duty_review", report()).await;
    let id = r["id"].as_str().unwrap().to_string();
    let trainings = r["form"]["trainings_summary"].as_str().unwrap();
    assert!(trainings.contains("学年") && trainings.ends_with("未参加履职培训。"), "{r}");
    assert!(r["form"]["ledger_summary"].is_string(), "{r}");
    // the CS panel scores it: nine members, the head and their deputy recused
    let tasks = r["open_tasks"].as_array().unwrap().clone();
    assert_eq!(tasks.len(), 7, "{r}");
    assert!(tasks.iter().all(|t| t["kind"] == "score" && t["decisions"] == json!(["score"])));
    assert!(!tasks.iter().any(|t| t["assignee"] == HEAD || t["assignee"] == DEPUTY));
    assert_eq!(tasks[0]["criteria"][1]["label"]["zh"], "工作实绩");
    assert_eq!(
        (tasks[0]["criteria"][1]["weight"].as_u64(), tasks[0]["criteria"][1]["max"].as_u64()),
        (Some(40), Some(100))
    );

    // a sheet without 联系同学 is refused naming it, and changes nothing
    let (s, p) =
        score(&app, &id, &tasks[0], json!({ "decision": "score", "scores": { "conduct": 80, "results": 70 } })).await;
    assert_eq!((s, p["code"].as_str()), (422, Some("invalid_form")), "{p}");
    assert_eq!(p["errors"][0]["field"], "scores.contact", "{p}");
    // an approval is not a score sheet
    let (s, p) = score(&app, &id, &tasks[0], json!({ "decision": "approve" })).await;
    assert_eq!(s, 409, "{p}");
    assert_eq!(app.request(&id).await["open_tasks"].as_array().unwrap().len(), 7);

    // every member scores: six give 80/70/90, one 50/60/70
    for (i, t) in tasks.iter().enumerate() {
        let sheet = if i == 0 {
            json!({ "conduct": 50, "results": 60, "contact": 70 })
        } else {
            json!({ "conduct": 80, "results": 70, "contact": 90 })
        };
        let (s, p) = score(&app, &id, t, json!({ "decision": "score", "scores": sheet, "comment": "认真负责" })).await;
        assert_eq!(s, 200, "{p}");
    }
    // the committee chair publishes it
    let req = app.request(&id).await;
    let publish = req["open_tasks"][0].clone();
    assert_eq!(publish["step"], "publish", "{req}");
    let chair = app.token_for(publish["assignee"].as_str().unwrap()).await;
    let (s, p) =
        app.post(&chair, &format!("/api/v1/requests/{id}/tasks/{}/acknowledge", publish["task"]), json!({})).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(app.request(&id).await["status"], "approved");

    // the result is kept: the person reads their own
    let path = format!("/api/v1/records/duty_review_results?person={HEAD}&semester={}", urlencode(SEMESTER));
    let (s, list) = app.get(&head, &path).await;
    assert_eq!(s, 200, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    let d = &items[0];
    // 0.3 × 75.71 + 0.4 × 68.57 + 0.3 × 87.14 = 76.29
    assert_eq!(
        (d["total"].as_f64(), d["sheets"].as_u64(), d["panel"].as_u64()),
        (Some(76.29), Some(7), Some(7)),
        "{d}"
    );
    assert_eq!((d["su"].as_str(), d["satisfactory"].as_bool()), (Some("department_su@cs"), Some(true)));
    assert_eq!(d["means"]["conduct"].as_f64(), Some(75.71));
    assert_eq!(d["request"], id.as_str());
    // their SU's presidium reads it; another SU's presidium sees none of it; a student may not
    let president = app.token_for(dp::CS_SU_PRESIDENT).await;
    assert_eq!(app.get(&president, &path).await.1["items"].as_array().unwrap().len(), 1);
    let ee_president = app.token_for("2023020201").await;
    let (s, other) = app.get(&ee_president, &path).await;
    assert_eq!((s, other["items"].as_array().unwrap().len()), (200, 0), "{other}");
    let student = app.token_for(STUDENT).await;
    assert_eq!(app.get(&student, &path).await.0, 403);

    // the candidate's staff selection shows it
    let sel = app
        .submit(
            &president,
            "staff_selection",
            json!({ "candidate": HEAD, "candidate_name": "候选人", "position": "division_head", "top_30_percent": true,
                    "no_failed_courses": true, "class_cadre": true, "reasons": "述职评议合格。", "appointment_date": "2026-03-02" }),
        )
        .await;
    let shown = sel["form"]["duty_reviews"].as_str().unwrap();
    assert!(shown.contains(SEMESTER) && shown.contains("加权均分76.29，合格"), "{shown}");
    assert!(shown.contains("计算机学院"), "{shown}");
    app.stop().await;
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn duty_review_at_department_level_sqlite() {
    duty_review_at_department_level(Backend::Sqlite).await;
}

#[tokio::test]
async fn duty_review_at_department_level_postgres() {
    duty_review_at_department_level(Backend::Postgres).await;
}
