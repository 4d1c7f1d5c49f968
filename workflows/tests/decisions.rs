//! Decision forms, named options, extensions and bounded visits (`fields:`, `options:`,
//! `extension:`, `comment_required:`, `visits:`): what the checker says about them, with `line:col`,
//! and what the engine does with them, on the built-in proposal handling (M5) against the demo
//! university.

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use serde_json::{Value, json};
use workflows::WorkCalendar;
use workflows::builtin::builtin;
use workflows::catalog::Role;
use workflows::engine::{self, Channel, Command, EngineError, Env, EventKind, Instance, Output, TimerKind};
use workflows::model::{Definition, Outcome};
use workflows::org::generate::{demo_directory, demo_people as dp};
use workflows::org::{Directory, OrgDirectory};
use workflows::validate::check_source;

fn codes_at(src: &str) -> Vec<(String, u32, u32)> {
    check_source(src).diagnostics.into_iter().map(|d| (d.code.to_string(), d.pos.line, d.pos.col)).collect()
}

const HEAD: &str = "key: t\nversion: 1\nname: 测试\nform:\n  title: { type: text }\nstart: a\nsteps:\n";

#[test]
fn a_selector_reading_a_field_no_earlier_step_fills_is_an_error_at_its_place() {
    // `b` reads form.office before `c` (which fills it) ever ran.
    let src = format!(
        "{HEAD}  a: {{ approve: {{ who: submitter }}, next: {{ approve: b, reject: no }} }}\n  \
         b:\n    approve: {{ who: {{ body: functional_office, of: form.office, roles: [handler] }} }}\n    \
         next: {{ approve: c, reject: no }}\n  \
         c:\n    approve: {{ who: submitter }}\n    fields: {{ office: {{ type: office, required: true }} }}\n    \
         next: {{ approve: ok, reject: no }}\n  \
         ok: {{ end: approved }}\n  no: {{ end: rejected }}\n"
    );
    let d = codes_at(&src);
    assert!(d.contains(&("field_not_filled".into(), 10, 21)), "{d:?}");
    // Filled first (at `a` too), read after: fine.
    let ok = src.replace(
        "a: { approve: { who: submitter }, next:",
        "a: { approve: { who: submitter }, fields: { office: { type: office } }, next:",
    );
    assert_ne!(ok, src);
    assert!(!codes_at(&ok).iter().any(|(c, ..)| c == "field_not_filled"));
}

#[test]
fn a_switch_reading_a_rating_filled_later_is_an_error() {
    let src = format!(
        "{HEAD}  a:\n    switch:\n      \"form.rating == 'bad'\": b\n      else: b\n  \
         b:\n    acknowledge: {{ who: submitter }}\n    \
         fields: {{ rating: {{ type: enum, of: [good, bad], required: true }} }}\n    next: ok\n  \
         ok: {{ end: approved }}\n"
    );
    let d = codes_at(&src);
    assert!(d.iter().any(|(c, l, _)| c == "field_not_filled" && *l == 10), "{d:?}");
}

#[test]
fn the_decision_keys_are_checked_where_they_are_written() {
    let src = format!(
        "{HEAD}  a:\n    notify: {{ who: submitter }}\n    fields: {{ x: {{ type: text }} }}\n    next: b\n  \
         b:\n    approve: {{ who: submitter }}\n    extension: {{ max: 1, by: 30d }}\n    \
         options:\n      reject: {{ next: ok }}\n      merge: {{ next: nowhere }}\n    \
         comment_required: [approve, convert]\n    fields: {{ title: {{ type: text }} }}\n    \
         next: {{ approve: ok, reject: ok }}\n  \
         ok: {{ end: merged }}\n"
    );
    let d = codes_at(&src);
    let has = |code: &str, line: u32| d.iter().any(|(c, l, _)| c == code && *l == line);
    assert!(has("misplaced_key", 10), "fields on a notify step: {d:?}");
    assert!(has("extension_without_due", 14), "{d:?}");
    assert!(has("reserved_option", 16), "{d:?}");
    assert!(has("unknown_step", 17), "{d:?}");
    assert!(has("unknown_decision", 18), "{d:?}");
    assert!(has("field_conflict", 19), "a step field named like a submit field: {d:?}");
    assert!(check_source(&src).definition.is_none());
}

#[test]
fn the_builtin_proposal_handling_is_valid() {
    let checked = check_source(include_str!("../definitions/proposal_handling.yaml"));
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| workflows::validate::is_error(d)).collect();
    assert!(errors.is_empty(), "{errors:?}");
}

// --- the engine, on the built-in ---

struct World {
    def: Definition,
    dir: OrgDirectory,
    cal: WorkCalendar,
}

fn monday() -> DateTime<Utc> {
    Shanghai.with_ymd_and_hms(2025, 11, 24, 9, 0, 0).unwrap().with_timezone(&Utc)
}

impl World {
    fn new() -> Self {
        Self { def: builtin("proposal_handling").unwrap(), dir: demo_directory(), cal: WorkCalendar::builtin() }
    }
    fn env(&self, now: DateTime<Utc>) -> Env<'_> {
        Env { def: &self.def, dir: &self.dir, cal: &self.cal, now }
    }
    fn delegate(&self) -> String {
        let day = chrono::NaiveDate::from_ymd_opt(2025, 11, 24).unwrap();
        self.dir.holders("student_congress", &[Role::Delegate], day)[0].person.clone()
    }
    fn submit(&self) -> (Instance, Vec<engine::Event>) {
        let form = json!({ "title": "关于延长图书馆开放时间的提案", "area": "study", "body": "……" });
        let out = engine::submit(&self.env(monday()), "P1", &self.delegate(), Channel::Api, &form).unwrap();
        (out.state, out.events)
    }
    /// The open task of `step` and its assignee.
    fn task(&self, st: &Instance, step: &str) -> (u32, String) {
        let t = st.open_tasks().find(|t| t.step == step).unwrap_or_else(|| panic!("no open `{step}` task"));
        (t.id, t.assignee.clone())
    }
    fn act(&self, st: &Instance, who: &str, cmd: Command, at: DateTime<Utc>) -> Result<Output, EngineError> {
        engine::handle(&self.env(at), st, who, Channel::Api, cmd)
    }
    /// Approves every open task of `step` until the step is passed.
    fn pass(&self, st: Instance, events: &mut Vec<engine::Event>, step: &str) -> Instance {
        let mut st = st;
        while st.open_tasks().any(|t| t.step == step) {
            let (task, who) = self.task(&st, step);
            let out = self.act(&st, &who, Command::Approve { task, comment: None }, monday()).unwrap();
            events.extend(out.events);
            st = out.state;
        }
        st
    }
}

fn decide(task: u32, decision: &str, comment: Option<&str>, fields: Value) -> Command {
    Command::Decide {
        task,
        decision: decision.into(),
        comment: comment.map(String::from),
        fields: fields.as_object().cloned().unwrap_or_default(),
    }
}

#[test]
fn classify_fills_the_offices_and_the_chosen_lead_office_is_asked() {
    let w = World::new();
    let (st, mut events) = w.submit();
    let st = w.pass(st, &mut events, "department_review");
    let st = w.pass(st, &mut events, "committee_review");
    let (task, head) = w.task(&st, "classify");
    assert_eq!(head, dp::RIGHTS_DIVISION_HEAD);
    // Approving without the required lead office is refused, naming the field.
    let Err(EngineError::InvalidForm(errs)) = w.act(&st, &head, Command::Approve { task, comment: None }, monday())
    else {
        panic!("approve without fields must be refused");
    };
    assert_eq!((errs[0].field.as_str(), errs[0].code), ("lead_office", "required"));
    // An office that does not exist is refused too.
    let Err(EngineError::InvalidForm(errs)) =
        w.act(&st, &head, decide(task, "approve", None, json!({ "lead_office": "no_such_office" })), monday())
    else {
        panic!("an unknown office must be refused");
    };
    assert_eq!(errs[0].code, "unknown_reference");
    let out = w
        .act(
            &st,
            &head,
            decide(task, "approve", None, json!({ "lead_office": "library", "co_offices": ["academic_affairs"] })),
            monday(),
        )
        .unwrap();
    let recorded = out.events.iter().find_map(|e| match &e.kind {
        EventKind::TaskDecided { fields: Some(f), .. } => Some(f.clone()),
        _ => None,
    });
    assert_eq!(recorded.unwrap()["lead_office"], "library", "the decision event records what was filled");
    events.extend(out.events);
    let st = out.state;
    assert_eq!(st.form["lead_office"], "library");
    let (_, lead) = w.task(&st, "lead_reply");
    let day = chrono::NaiveDate::from_ymd_opt(2025, 11, 24).unwrap();
    let library = w.dir.holders("functional_office:library", &[Role::Handler], day);
    assert_eq!(lead, library[0].person);
    let (_, co) = w.task(&st, "co_opinions");
    assert_eq!(co, dp::ACADEMIC_AFFAIRS_HANDLER);
    assert_eq!(Instance::replay(&events), st, "replaying the events gives the state, form included");
}

#[test]
fn an_office_extends_once_and_the_second_ask_is_refused() {
    let w = World::new();
    let (st, mut events) = w.submit();
    let st = w.pass(st, &mut events, "department_review");
    let st = w.pass(st, &mut events, "committee_review");
    let (task, head) = w.task(&st, "classify");
    let out = w.act(&st, &head, decide(task, "approve", None, json!({ "lead_office": "library" })), monday()).unwrap();
    events.extend(out.events);
    let st = out.state;
    let (task, lead) = w.task(&st, "lead_reply");
    let run = st.tasks[&task].run;
    let due = st.runs[&run].due_at.unwrap();
    assert_eq!(due, monday() + Duration::days(30));
    let rung_at = |st: &Instance, rung: usize| {
        st.timers
            .values()
            .find(|t| matches!(t.kind, TimerKind::Escalate { run: r, rung: g } if r == run && g == rung))
            .map(|t| t.at)
    };
    assert_eq!(rung_at(&st, 0), Some(monday() + Duration::days(30)));
    // Someone else may not ask for the lead office.
    assert!(matches!(
        w.act(&st, &head, Command::Extend { task, comment: None }, monday()),
        Err(EngineError::NotYourTask(_))
    ));
    let later = monday() + Duration::days(20);
    let out = w.act(&st, &lead, Command::Extend { task, comment: Some("需协调多个部门".into()) }, later).unwrap();
    assert!(out.events.iter().any(|e| matches!(&e.kind, EventKind::Extended { count: 1, .. })));
    assert!(
        out.events.iter().any(
            |e| matches!(&e.kind, EventKind::Copied { to, .. } if to == &vec![dp::RIGHTS_DIVISION_HEAD.to_string()])
        ),
        "the school SU's rights division is copied"
    );
    events.extend(out.events);
    let st = out.state;
    assert_eq!(st.runs[&run].due_at, Some(monday() + Duration::days(60)), "30 days + 30 = the policy's 60");
    assert_eq!(st.tasks[&task].due_at, Some(monday() + Duration::days(60)));
    assert_eq!(rung_at(&st, 0), Some(monday() + Duration::days(60)), "the escalation moves with the due time");
    assert_eq!(rung_at(&st, 1), Some(monday() + Duration::days(70)));
    let overdue =
        st.timers.values().find(|t| matches!(t.kind, TimerKind::Remind { run: r, percent: Some(100) } if r == run));
    assert_eq!(overdue.map(|t| t.at), Some(monday() + Duration::days(60)));
    let second = w.act(&st, &lead, Command::Extend { task, comment: None }, later);
    let Err(e) = second else { panic!("a second extension must be refused") };
    assert_eq!(e.code(), "extension_exhausted");
    assert_eq!(Instance::replay(&events), st);
}

#[test]
fn the_committee_merges_into_another_proposal_and_the_request_ends_merged() {
    let w = World::new();
    let (st, mut events) = w.submit();
    let st = w.pass(st, &mut events, "department_review");
    let (task, member) = w.task(&st, "committee_review");
    // Merging names the other request.
    let Err(EngineError::InvalidForm(errs)) = w.act(&st, &member, decide(task, "merge", None, json!({})), monday())
    else {
        panic!("merge without the other request must be refused");
    };
    assert_eq!(errs[0].field, "merged_into");
    // An option the step does not have is refused.
    let Err(EngineError::InvalidForm(errs)) = w.act(&st, &member, decide(task, "postpone", None, json!({})), monday())
    else {
        panic!("an unknown option must be refused");
    };
    assert_eq!((errs[0].field.as_str(), errs[0].code), ("decision", "unknown_decision"));
    // A rejection needs a reason here.
    let Err(EngineError::InvalidForm(errs)) = w.act(&st, &member, Command::Reject { task, comment: None }, monday())
    else {
        panic!("a rejection without a reason must be refused");
    };
    assert_eq!(errs[0].field, "comment");
    let out = w
        .act(&st, &member, decide(task, "merge", Some("与第12号提案合并"), json!({ "merged_into": "P0" })), monday())
        .unwrap();
    events.extend(out.events);
    let st = out.state;
    assert_eq!(st.status, engine::Status::Finished(Outcome::Merged));
    assert_eq!(st.form["merged_into"], "P0");
    assert!(st.open_tasks().next().is_none(), "the other committee members' tasks are closed");
    assert_eq!(Instance::replay(&events), st);
}

// --- generic definitions ---

fn custom(steps: &str) -> Definition {
    let src = format!(
        "key: t\nversion: 1\nname: 测试\nform:\n  title: {{ type: text }}\npolicies: {{ dedupe: false }}\nstart: a\nsteps:\n{steps}"
    );
    let checked = check_source(&src);
    checked.definition.unwrap_or_else(|| panic!("{:?}", checked.diagnostics))
}

#[test]
fn a_bounded_loop_runs_its_step_max_times_then_goes_on() {
    let def = custom(
        "  a:\n    approve: { who: { person: T0102 } }\n    fields: { again: { type: bool, required: true } }\n    \
         visits: { max: 2, then: ok }\n    next: { approve: s, reject: no }\n  \
         s:\n    switch:\n      \"form.again == true\": a\n      else: ok\n  \
         ok: { end: approved }\n  no: { end: rejected }\n",
    );
    let (dir, cal) = (demo_directory(), WorkCalendar::builtin());
    let env = Env { def: &def, dir: &dir, cal: &cal, now: monday() };
    let out = engine::submit(&env, "L1", dp::CS_SU_PRESIDENT, Channel::Api, &json!({ "title": "循环" })).unwrap();
    let (mut st, mut events) = (out.state, out.events);
    let mut asked = 0;
    loop {
        let Some(t) = st.open_tasks().next().cloned() else { break };
        asked += 1;
        assert!(asked <= 2, "the loop must stop");
        let cmd = decide(t.id, "approve", None, json!({ "again": true }));
        let out = engine::handle(&env, &st, &t.assignee, Channel::Api, cmd).unwrap();
        events.extend(out.events);
        st = out.state;
    }
    assert_eq!(asked, 2, "`a` ran twice although every answer asked for it again");
    assert_eq!(st.status, engine::Status::Finished(Outcome::Approved));
    assert!(
        events.iter().any(
            |e| matches!(&e.kind, EventKind::VisitsExhausted { step, visits: 2, to } if step == "a" && to == "ok")
        )
    );
    assert_eq!(Instance::replay(&events), st);
}

#[test]
fn a_return_to_the_submitter_keeps_what_reviewers_filled() {
    let def = custom(
        "  a:\n    approve: { who: { person: T0102 } }\n    fields: { note: { type: text, required: true } }\n    \
         next: { approve: b, reject: no }\n  \
         b:\n    approve: { who: { person: T0102 } }\n    next: { approve: ok, reject: no, return: submitter }\n  \
         ok: { end: approved }\n  no: { end: rejected }\n",
    );
    let (dir, cal) = (demo_directory(), WorkCalendar::builtin());
    let env = Env { def: &def, dir: &dir, cal: &cal, now: monday() };
    let out = engine::submit(&env, "L2", dp::CS_SU_PRESIDENT, Channel::Api, &json!({ "title": "旧" })).unwrap();
    let t = out.state.open_tasks().next().unwrap().clone();
    let out = engine::handle(
        &env,
        &out.state,
        &t.assignee,
        Channel::Api,
        decide(t.id, "approve", None, json!({ "note": "已核实" })),
    )
    .unwrap();
    let t = out.state.open_tasks().next().unwrap().clone();
    let ret = Command::Return { task: t.id, comment: Some("标题有误".into()), to: None };
    let out = engine::handle(&env, &out.state, &t.assignee, Channel::Api, ret).unwrap();
    let resubmit = Command::Resubmit { form: Some(json!({ "title": "新" })), guard: Default::default() };
    let out = engine::handle(&env, &out.state, dp::CS_SU_PRESIDENT, Channel::Api, resubmit).unwrap();
    assert_eq!(out.state.form["title"], "新");
    assert_eq!(out.state.form["note"], "已核实", "the reviewer's note stays");
    // A submitter cannot fill a reviewer's field.
    let dir2 = demo_directory();
    let env2 = Env { def: &def, dir: &dir2, cal: &cal, now: monday() };
    let Err(EngineError::InvalidForm(errs)) =
        engine::submit(&env2, "L3", dp::CS_SU_PRESIDENT, Channel::Api, &json!({ "title": "x", "note": "自填" }))
    else {
        panic!("a step field in the submit form must be refused");
    };
    assert_eq!((errs[0].field.as_str(), errs[0].code), ("note", "unknown_field"));
}
