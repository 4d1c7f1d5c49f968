//! Congress proposals as the policy says (M5, issue 11) over HTTP, on SQLite and PostgreSQL: the
//! school SU chooses the lead and co-handling offices when it classifies; the lead office asks
//! once for an extension; the committee merges a proposal into another one; the proposer rates
//! the reply and an unsatisfied rating sends it back for handling once.

use liandong_tests::{Backend, TestApp, spawn};
use serde_json::{Value, json};
use workflows::catalog::Role;
use workflows::org::Directory as _;
use workflows::org::generate::{demo_directory, demo_people as dp};

fn holders(body: &str, role: Role) -> Vec<String> {
    let day = chrono::Local::now().date_naive();
    demo_directory().holders(body, &[role], day).into_iter().map(|p| p.person.clone()).collect()
}

fn proposal(title: &str) -> Value {
    json!({ "title": title, "area": "study", "body": "建议考试周图书馆延长开放至23点。" })
}

/// The open tasks of `step` on request `id`: (task number, assignee).
async fn open_tasks(app: &TestApp, id: &str, step: &str) -> Vec<(u64, String)> {
    let req = app.request(id).await;
    req["open_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["step"] == step)
        .map(|t| (t["task"].as_u64().unwrap(), t["assignee"].as_str().unwrap().to_string()))
        .collect()
}

async fn open_task(app: &TestApp, id: &str, step: &str) -> (u64, String) {
    open_tasks(app, id, step).await.into_iter().next().unwrap_or_else(|| panic!("no open task at {step}"))
}

/// POSTs a decision on `task` of `id` as `person`.
async fn decide(app: &TestApp, person: &str, id: &str, task: u64, body: Value) -> (u16, Value) {
    let token = app.token_for(person).await;
    app.post(&token, &format!("/api/v1/requests/{id}/tasks/{task}/decision"), body).await
}

/// Approves every open task of `step` until the step has passed.
async fn pass(app: &TestApp, id: &str, step: &str) {
    while let Some((task, who)) = open_tasks(app, id, step).await.into_iter().next() {
        let (status, body) = decide(app, &who, id, task, json!({ "decision": "approve", "comment": "同意" })).await;
        assert_eq!(status, 200, "{step}: {body}");
    }
}

/// A delegate submits a proposal; the department SU and the committee accept it.
async fn accepted(app: &TestApp, delegate: &str, title: &str) -> String {
    let token = app.token_for(delegate).await;
    let r = app.submit(&token, "proposal_handling", proposal(title)).await;
    let id = r["id"].as_str().unwrap().to_string();
    pass(app, &id, "department_review").await;
    pass(app, &id, "committee_review").await;
    id
}

/// The text part of the first mail to `person` whose subject starts with `tag` and names `title`.
async fn mail_to(app: &TestApp, person: &str, tag: &str, title: &str) -> String {
    let email = demo_directory().person(person).unwrap().email.clone();
    let read = |m: &lettre::Message| {
        let p = mail_parser::MessageParser::default()
            .parse(&m.formatted())
            .map(|p| (p.subject().unwrap_or_default().to_string(), p.body_text(0).unwrap_or_default().to_string()));
        let to = m.envelope().to().iter().map(|a| a.to_string()).collect::<Vec<_>>();
        (to, p.unwrap_or_default())
    };
    let pick = |sent: &[lettre::Message]| {
        sent.iter().map(read).find(|(to, (s, _))| to.contains(&email) && s.starts_with(tag) && s.contains(title))
    };
    let sent = app.wait_for_mail(|s| pick(s).is_some()).await;
    pick(&sent).unwrap().1.1
}

/// The page behind the mail's `/a/…?do=approve` link.
async fn link_page(app: &TestApp, mail: &str) -> String {
    let start = mail.find(&format!("{}/a/", app.base)).expect("a link in the mail");
    let url: String = mail[start..].chars().take_while(|c| !c.is_whitespace() && !"\"'<>）)".contains(*c)).collect();
    app.http.get(url).send().await.unwrap().text().await.unwrap()
}

async fn events(app: &TestApp, id: &str) -> Vec<Value> {
    app.get(&app.admin_token, &format!("/api/v1/requests/{id}/events")).await.1.as_array().unwrap().clone()
}

/// The proposer rates the reply (acknowledging with the rating's fields).
async fn rate(app: &TestApp, id: &str, delegate: &str, rating: &str) -> (u16, Value) {
    let (task, who) = open_task(app, id, "proposer_rating").await;
    assert_eq!(who, delegate);
    let token = app.token_for(&who).await;
    app.post(
        &token,
        &format!("/api/v1/requests/{id}/tasks/{task}/acknowledge"),
        json!({ "fields": { "rating": rating, "rating_comment": "开放时间仍不够" } }),
    )
    .await
}

/// The lead office replies, the co-handling office gives its opinion, the rights division compiles.
async fn handle(app: &TestApp, id: &str) {
    pass(app, id, "lead_reply").await;
    let (task, who) = open_task(app, id, "co_opinions").await;
    let token = app.token_for(&who).await;
    let (s, b) = app.post(&token, &format!("/api/v1/requests/{id}/tasks/{task}/acknowledge"), json!({})).await;
    assert_eq!(s, 200, "{b}");
    pass(app, id, "compile").await;
}

async fn classify_extend_and_rate(backend: Backend) {
    let app = spawn(backend, "proposals").await;
    let delegate = holders("student_congress", Role::Delegate)[0].clone();
    let id = accepted(&app, &delegate, "关于延长图书馆开放时间的提案").await;

    // The school SU's rights division classifies: the lead office is required when approving.
    let (task, head) = open_task(&app, &id, "classify").await;
    assert_eq!(head, dp::RIGHTS_DIVISION_HEAD);
    let shown = app.request(&id).await["open_tasks"][0].clone();
    assert_eq!(shown["fields"], json!(["lead_office", "co_offices"]), "the API says what the task asks for: {shown}");
    let (status, body) = decide(&app, &head, &id, task, json!({ "decision": "approve" })).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_form")), "{body}");
    assert_eq!(body["errors"][0]["field"], "lead_office", "{body}");
    let (status, body) =
        decide(&app, &head, &id, task, json!({ "decision": "approve", "fields": { "lead_office": "nowhere" } })).await;
    assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some("unknown_reference")), "{body}");
    assert_eq!(open_task(&app, &id, "classify").await.0, task, "a refused decision changes nothing");
    let fields = json!({ "lead_office": "library", "co_offices": ["academic_affairs"] });
    let (status, body) =
        decide(&app, &head, &id, task, json!({ "decision": "approve", "comment": "交图书馆办理", "fields": fields }))
            .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["form"]["lead_office"], "library", "the offices chosen are part of the request: {body}");

    // The chosen lead office replies, the co-handling office gives its opinion.
    let library = holders("functional_office:library", Role::Handler);
    let (lead_task, lead) = open_task(&app, &id, "lead_reply").await;
    assert_eq!(lead, library[0]);
    assert_eq!(open_task(&app, &id, "co_opinions").await.1, dp::ACADEMIC_AFFAIRS_HANDLER);
    let decided = events(&app, &id).await;
    assert!(
        decided.iter().any(|e| e["kind"]["type"] == "task_decided" && e["kind"]["fields"]["lead_office"] == "library"),
        "the decision event records what was filled"
    );

    // The lead office asks once for 30 more days: the due date moves; a second ask is refused.
    let due = |req: &Value| {
        req["open_tasks"].as_array().unwrap().iter().find(|t| t["step"] == "lead_reply").unwrap()["due_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    };
    let before = due(&app.request(&id).await);
    let head_token = app.token_for(&head).await;
    let path = format!("/api/v1/requests/{id}/tasks/{lead_task}/extension");
    // The lead office's task mail leads to a page offering the extension.
    let mail = mail_to(&app, &lead, "【待审批】", "关于延长图书馆开放时间的提案").await;
    let page = link_page(&app, &mail).await;
    assert!(page.contains("申请延期（30天）"), "{page}");
    let shown = app.request(&id).await["open_tasks"].as_array().unwrap().clone();
    let lead_shown = shown.iter().find(|t| t["step"] == "lead_reply").unwrap();
    assert_eq!(lead_shown["extensions_left"], 1, "{lead_shown}");
    let (status, body) = app.post(&head_token, &path, json!({})).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")), "only the office asks: {body}");
    let lead_token = app.token_for(&lead).await;
    let (status, body) = app.post(&lead_token, &path, json!({ "comment": "需与教务处协调开放时间" })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(due(&body) - before, chrono::Duration::days(30), "30 days + 30 = the policy's 60");
    let lead_view =
        |req: &Value| req["open_tasks"].as_array().unwrap().iter().find(|t| t["step"] == "lead_reply").unwrap().clone();
    assert_eq!(lead_view(&body)["extensions_left"], 0, "{body}");
    let page = link_page(&app, &mail).await;
    assert!(!page.contains("申请延期（30天）"), "no extension left: {page}");
    assert!(page.contains("申请延期 30天，办理时限延至"), "the extension is on the page's history: {page}");
    let (status, body) = app.post(&lead_token, &path, json!({ "comment": "再延期" })).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("extension_exhausted")), "{body}");
    assert_eq!(due(&app.request(&id).await) - before, chrono::Duration::days(30), "refused: nothing moved");
    let timeline = events(&app, &id).await;
    assert_eq!(timeline.iter().filter(|e| e["kind"]["type"] == "extended").count(), 1);
    assert!(
        timeline.iter().any(|e| e["kind"]["type"] == "copied"
            && e["kind"]["to"].as_array().unwrap().iter().any(|p| p == dp::RIGHTS_DIVISION_HEAD)),
        "the school SU's rights division is copied"
    );

    // Handled, compiled; the proposer is not satisfied: it goes back to the lead office once.
    handle(&app, &id).await;
    let (task, _) = open_task(&app, &id, "proposer_rating").await;
    let token = app.token_for(&delegate).await;
    let (status, body) = app.post(&token, &format!("/api/v1/requests/{id}/tasks/{task}/acknowledge"), json!({})).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (422, Some("rating")), "a rating is required: {body}");
    let (status, body) = rate(&app, &id, &delegate, "unsatisfied").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "running", "{body}");
    assert_eq!(open_task(&app, &id, "lead_reply").await.1, library[0], "back to the lead office");
    handle(&app, &id).await;
    let (status, body) = rate(&app, &id, &delegate, "unsatisfied").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "approved", "the second rating ends it: {body}");
    assert_eq!(body["form"]["rating"], "unsatisfied", "the rating is part of the request's data");
    let timeline = events(&app, &id).await;
    let ratings: Vec<&Value> = timeline
        .iter()
        .filter(|e| e["kind"]["type"] == "task_decided" && e["kind"]["fields"]["rating"].is_string())
        .collect();
    assert_eq!(ratings.len(), 2, "both ratings are on the timeline");
    assert!(timeline.iter().any(|e| e["kind"]["type"] == "visits_exhausted"));
    app.stop().await;
}

#[tokio::test]
async fn a_proposal_is_classified_extended_once_and_rated_on_sqlite() {
    classify_extend_and_rate(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_proposal_is_classified_extended_once_and_rated_on_postgres() {
    classify_extend_and_rate(Backend::Postgres).await;
}

async fn merge_into_another(backend: Backend) {
    let app = spawn(backend, "merge").await;
    let delegates = holders("student_congress", Role::Delegate);
    let first = accepted(&app, &delegates[0], "关于延长图书馆开放时间的提案").await;
    let token = app.token_for(&delegates[1]).await;
    let second = app.submit(&token, "proposal_handling", proposal("关于图书馆通宵自习室的提案")).await;
    let second = second["id"].as_str().unwrap().to_string();
    pass(&app, &second, "department_review").await;
    let (task, member) = open_task(&app, &second, "committee_review").await;
    let shown = app.request(&second).await["open_tasks"][0].clone();
    assert_eq!(shown["decisions"], json!(["approve", "reject", "return", "merge", "convert"]), "{shown}");
    // The request merged into must exist.
    let (status, body) = decide(
        &app,
        &member,
        &second,
        task,
        json!({ "decision": "merge", "comment": "与同类提案合并", "fields": { "merged_into": "no-such-request" } }),
    )
    .await;
    assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some("unknown_reference")), "{body}");
    // A rejection needs its reason.
    let (status, body) = decide(&app, &member, &second, task, json!({ "decision": "reject" })).await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (422, Some("comment")), "{body}");
    // An option the step does not have.
    let (status, body) = decide(&app, &member, &second, task, json!({ "decision": "postpone" })).await;
    assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some("unknown_decision")), "{body}");
    let (status, body) = decide(
        &app,
        &member,
        &second,
        task,
        json!({ "decision": "merge", "comment": "与同类提案合并办理", "fields": { "merged_into": first } }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "merged", "{body}");
    assert_eq!(body["form"]["merged_into"], first.as_str(), "it names the other request");
    assert!(body["open_tasks"].as_array().unwrap().is_empty(), "the other members' tasks are closed: {body}");
    let timeline = events(&app, &second).await;
    assert!(timeline.iter().any(|e| e["kind"]["type"] == "task_decided" && e["kind"]["option"] == "merge"));
    assert!(timeline.iter().any(|e| e["kind"] == json!({ "type": "finished", "outcome": "merged" })));
    app.stop().await;
}

#[tokio::test]
async fn the_committee_merges_a_proposal_into_another_on_sqlite() {
    merge_into_another(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_committee_merges_a_proposal_into_another_on_postgres() {
    merge_into_another(Backend::Postgres).await;
}
