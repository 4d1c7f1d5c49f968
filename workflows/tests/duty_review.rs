//! The semester duty review (述职评议, M10) as the engine runs it: a `score:` step where each
//! panel member fills their own score sheet, recusals, the aggregated result, the escalation that
//! closes the scoring, and the `duty_review_result` record the outcome writes.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use serde_json::{Value, json};
use workflows::WorkCalendar;
use workflows::builtin::builtin;
use workflows::catalog::Role;
use workflows::engine::{self, Channel, Command, Effect, EngineError, Env, EventKind, Instance, Status, TaskKind};
use workflows::model::{Definition, Outcome, Recusal};
use workflows::org::generate::{DEMO_ORG_FILE, demo_people as dp};
use workflows::org::{Directory, OrgDirectory, Post};
use workflows::records::outcome::Record;

fn sh(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Shanghai.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap().with_timezone(&Utc)
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 11, 24).unwrap()
}

/// The demo org with the CS department SU's first division head (the reported person) and a
/// member of their division put on the CS review panel; returns (directory, head, colleague).
fn org_with_recusals() -> (OrgDirectory, String, String) {
    let mut org = workflows::org::file::load_org(DEMO_ORG_FILE).unwrap();
    let su = "department_su@cs";
    let head = org.posts.iter().find(|p| p.body == su && p.role == Role::DivisionHead).unwrap().clone();
    let colleague = org
        .posts
        .iter()
        .find(|p| p.body == su && p.division == head.division && p.person != head.person)
        .unwrap()
        .clone();
    for person in [&head.person, &colleague.person] {
        org.posts.push(Post {
            person: person.clone(),
            body: "review_panel@cs".into(),
            role: Role::Member,
            division: None,
            ..head.clone()
        });
    }
    (OrgDirectory::new(org), head.person, colleague.person)
}

struct Review {
    def: Definition,
    dir: OrgDirectory,
    cal: WorkCalendar,
    st: Instance,
    effects: Vec<Effect>,
    events: Vec<EventKind>,
}

impl Review {
    fn submit(dir: OrgDirectory, submitter: &str) -> Review {
        let def = builtin("duty_review").unwrap();
        let cal = WorkCalendar::builtin();
        let form = json!({ "semester": "2025—2026学年第一学期", "report": "本学期……", "ledger_entries": 6,
                           "ledger_summary": "联系台账共6条", "trainings_summary": "参加培训1次" });
        let env = Env { def: &def, dir: &dir, cal: &cal, now: sh(2025, 11, 24, 9) };
        let out = engine::submit(&env, "R1", submitter, Channel::Api, &form).expect("submitted");
        let events = out.events.into_iter().map(|e| e.kind).collect();
        Review { st: out.state, effects: out.effects, events, def, dir, cal }
    }

    fn act(&mut self, at: DateTime<Utc>, who: &str, cmd: Command) -> Result<(), EngineError> {
        let env = Env { def: &self.def, dir: &self.dir, cal: &self.cal, now: at };
        let out = engine::handle(&env, &self.st, who, Channel::Api, cmd)?;
        self.st = out.state;
        self.effects.extend(out.effects);
        self.events.extend(out.events.into_iter().map(|e| e.kind));
        Ok(())
    }

    fn fire(&mut self, at: DateTime<Utc>, timer: &str) {
        let env = Env { def: &self.def, dir: &self.dir, cal: &self.cal, now: at };
        let out = engine::fire(&env, &self.st, timer).unwrap();
        self.st = out.state;
        self.effects.extend(out.effects);
        self.events.extend(out.events.into_iter().map(|e| e.kind));
    }

    /// The open score sheets: (task, assignee).
    fn sheets(&self) -> Vec<(u32, String)> {
        self.st.open_tasks().filter(|t| t.kind == TaskKind::Score).map(|t| (t.id, t.assignee.clone())).collect()
    }

    fn score(&mut self, task: u32, who: &str, scores: Value) -> Result<(), EngineError> {
        let fields = scores.as_object().cloned().unwrap_or_default();
        self.act(sh(2025, 11, 25, 10), who, Command::Decide { task, decision: "score".into(), comment: None, fields })
    }

    fn publish(&mut self) {
        let (task, who) = self.st.open_tasks().map(|t| (t.id, t.assignee.clone())).next().expect("a publish task");
        self.act(sh(2025, 11, 26, 10), &who, Command::Acknowledge { task, comment: None }).unwrap();
    }
}

fn sheet(conduct: u32, results: u32, contact: u32) -> Value {
    json!({ "conduct": conduct, "results": results, "contact": contact })
}

#[test]
fn the_reported_person_and_their_division_recuse_and_the_rest_of_their_own_panel_score() {
    // given a CS division head on the CS review panel, with a member of their division
    let (dir, head, colleague) = org_with_recusals();
    let panel: Vec<String> = dir.holders("review_panel@cs", &[], day()).into_iter().map(|p| p.person.clone()).collect();
    assert_eq!(panel.len(), 9);
    // when the head submits their duty report
    let r = Review::submit(dir, &head);
    // then the panel of their own department SU scores it, without them and their colleague
    let asked: Vec<String> = r.sheets().into_iter().map(|(_, p)| p).collect();
    assert_eq!(asked.len(), 7, "{asked:?}");
    assert!(!asked.contains(&head) && !asked.contains(&colleague));
    assert!(asked.iter().all(|p| panel.contains(p)));
    // and the timeline says who recused and why
    let recused = r.events.iter().find_map(|e| match e {
        EventKind::Recused { members, .. } => Some(members.iter().map(|m| (m.person.clone(), m.reason)).collect()),
        _ => None,
    });
    assert_eq!(recused, Some(vec![(head.clone(), Recusal::Subject), (colleague, Recusal::SameDivision)]));
}

#[test]
fn a_sheet_missing_a_criterion_or_out_of_range_is_refused_naming_it() {
    let (dir, head, _) = org_with_recusals();
    let mut r = Review::submit(dir, &head);
    let (task, who) = r.sheets()[0].clone();
    // when a member leaves out 联系同学
    let err = r.score(task, &who, json!({ "conduct": 80, "results": 90 })).unwrap_err();
    // then nothing is recorded and the error names the criterion
    let EngineError::InvalidForm(fields) = &err else { panic!("{err:?}") };
    let named: Vec<(&str, &str)> = fields.iter().map(|f| (f.field.as_str(), f.code)).collect();
    assert_eq!(named, [("scores.contact", "required")]);
    assert!(fields[0].message.contains("联系同学"), "{}", fields[0].message);
    // and a score above the max, or a criterion the step does not have, too
    let err = r.score(task, &who, json!({ "conduct": 101, "results": 90, "contact": 70, "style": 1 })).unwrap_err();
    let EngineError::InvalidForm(fields) = &err else { panic!("{err:?}") };
    let named: Vec<(&str, &str)> = fields.iter().map(|f| (f.field.as_str(), f.code)).collect();
    assert_eq!(named, [("scores.conduct", "out_of_range"), ("scores.style", "unknown_criterion")]);
    assert!(r.st.tasks[&task].is_open());
    // and a score sheet cannot be approved instead
    let err = r.act(sh(2025, 11, 25, 10), &who, Command::Approve { task, comment: None }).unwrap_err();
    assert_eq!(err.code(), "not_allowed");
}

#[test]
fn when_every_member_scored_the_weighted_mean_decides_and_the_result_is_recorded() {
    let (dir, head, _) = org_with_recusals();
    let mut r = Review::submit(dir, &head);
    let sheets = r.sheets();
    // when six members give 80/70/90 and the last 50/60/70
    for (i, (task, who)) in sheets.iter().enumerate() {
        let s = if i + 1 == sheets.len() { sheet(50, 60, 70) } else { sheet(80, 70, 90) };
        r.score(*task, who, s).unwrap();
        // the step waits for everyone
        if i + 1 < sheets.len() {
            assert_eq!(r.st.score, None);
        }
    }
    // then the means per criterion and the weighted total are on the request
    let s = r.st.score.clone().expect("scored");
    assert_eq!((s.sheets, s.panel), (7, 7));
    assert_eq!(s.means["conduct"], 75.71);
    assert_eq!(s.means["results"], 68.57);
    assert_eq!(s.means["contact"], 87.14);
    // 0.3 × 75.714 + 0.4 × 68.571 + 0.3 × 87.143 = 76.29
    assert_eq!(s.total, 76.29);
    assert!(s.satisfactory);
    // and the committee chair publishes it; the request ends 评议合格
    assert_eq!(r.st.open_tasks().next().unwrap().step, "publish");
    r.publish();
    assert_eq!(r.st.status, Status::Finished(Outcome::Approved));
    // and the outcome records the result for the person and their SU
    let rec = r.effects.iter().find_map(|e| match e {
        Effect::Record { record: Record::DutyReviewResult(d), .. } => Some(d.clone()),
        _ => None,
    });
    let rec = rec.expect("a duty_review_result record");
    assert_eq!(
        (rec.person.as_str(), rec.su.as_str(), rec.semester.as_str()),
        (head.as_str(), "department_su@cs", "2025—2026学年第一学期")
    );
    assert_eq!((rec.total, rec.sheets, rec.satisfactory), (76.29, 7, true));
}

#[test]
fn a_mean_below_the_pass_mark_is_published_as_unsatisfactory() {
    let (dir, head, _) = org_with_recusals();
    let mut r = Review::submit(dir, &head);
    for (task, who) in r.sheets() {
        r.score(task, &who, sheet(60, 50, 60)).unwrap();
    }
    // 0.3 × 60 + 0.4 × 50 + 0.3 × 60 = 56 < 60
    assert_eq!(r.st.score.as_ref().map(|s| (s.total, s.satisfactory)), Some((56.0, false)));
    assert_eq!(r.st.open_tasks().next().unwrap().step, "publish_unsatisfactory");
    r.publish();
    assert_eq!(r.st.status, Status::Finished(Outcome::Rejected));
    assert!(
        r.effects
            .iter()
            .any(|e| matches!(e, Effect::Record { record: Record::DutyReviewResult(d), .. } if !d.satisfactory))
    );
}

#[test]
fn after_the_due_the_sheets_present_count_when_half_the_panel_scored() {
    let (dir, head, _) = org_with_recusals();
    let mut r = Review::submit(dir.clone(), &head);
    let rung = r.st.timers.values().find(|t| t.id.contains(":rung:")).expect("the rung").clone();
    // given four of seven members scored by the due
    for (task, who) in r.sheets().into_iter().take(4) {
        r.score(task, &who, sheet(90, 90, 90)).unwrap();
    }
    // when the rung fires
    r.fire(rung.at, &rung.id);
    // then the four sheets count, noted as closed early; the three open sheets are closed
    let s = r.st.score.clone().expect("scored");
    assert_eq!((s.sheets, s.panel, s.total, s.closed_early), (4, 7, 90.0, true));
    assert!(r.sheets().is_empty());
    assert_eq!(r.st.open_tasks().next().unwrap().step, "publish");

    // given only three of seven scored
    let mut r = Review::submit(dir, &head);
    for (task, who) in r.sheets().into_iter().take(3) {
        r.score(task, &who, sheet(90, 90, 90)).unwrap();
    }
    r.fire(rung.at, &rung.id);
    // then the review is unsatisfactory with no result and nothing is recorded
    assert_eq!(r.st.score, None);
    assert_eq!(r.st.open_tasks().next().unwrap().step, "publish_unsatisfactory");
    r.publish();
    assert_eq!(r.st.status, Status::Finished(Outcome::Rejected));
    assert!(!r.effects.iter().any(|e| matches!(e, Effect::Record { .. })));
}

#[test]
fn a_school_su_leader_is_scored_by_the_school_panel() {
    let dir = OrgDirectory::new(workflows::org::file::load_org(DEMO_ORG_FILE).unwrap());
    let panel: Vec<String> = dir.holders("review_panel", &[], day()).into_iter().map(|p| p.person.clone()).collect();
    let r = Review::submit(dir, dp::SCHOOL_SU_PRESIDENT);
    let mut asked: Vec<String> = r.sheets().into_iter().map(|(_, p)| p).collect();
    asked.sort();
    let mut panel = panel;
    panel.sort();
    assert_eq!(asked, panel);
    assert_eq!(asked.len(), 15);
}

#[test]
fn check_reports_a_bad_score_block_at_its_line_and_column() {
    // given a score step whose weights sum to 90, with a key twice, a max of 0, an unknown
    // recusal and a rung that would hand the sheets to someone else
    let src = r#"key: t
version: 1
name: { zh: 测试, en: Test }
start: s
steps:
  s:
    score:
      who: { body: review_panel, of: submitter.su }
      criteria:
        - { key: conduct, label: { zh: 思想作风, en: Conduct }, weight: 30, max: 100 }
        - { key: conduct, label: { zh: 工作实绩, en: Results }, weight: 60, max: 0 }
      pass: 60
      recuse: [subject, friends]
    escalate:
      - { after: 10wd, to: { body: su_committee, roles: [chair] } }
    next: { approve: ok, reject: no }
  ok: { end: approved }
  no: { end: rejected }
"#;
    let checked = workflows::validate::check_source(src);
    let got: Vec<(String, &str)> =
        checked.diagnostics.iter().map(|d| (format!("{}:{}", d.pos.line, d.pos.col), d.code)).collect();
    // then each problem is reported where it is written
    assert_eq!(
        got,
        [
            ("10:69".to_string(), "bad_weights"),
            ("11:18".to_string(), "duplicate_criterion"),
            ("11:78".to_string(), "bad_value"),
            ("13:25".to_string(), "bad_value"),
            ("15:9".to_string(), "bad_value"),
        ],
        "{:#?}",
        checked.diagnostics
    );
    assert!(checked.definition.is_none());
    let text: Vec<&str> = checked.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert!(text[0].contains("sum to 90"), "{text:?}");
    assert!(text[3].contains("`friends`"), "{text:?}");
}
