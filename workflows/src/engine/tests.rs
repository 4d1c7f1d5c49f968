//! Engine behaviour, mode by mode and command by command, against a small hand-made org.

use super::*;
use crate::calendar::WorkCalendar;
use crate::catalog::{BodyKind, Lang, Level, Role};
use crate::org::{Body, ClassUnit, Delegation, Department, Directory, Liaison, Person, Post, Scope, SubmitterInfo};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::json;

/// Ten people `a`…`j`, `admin` an admin, and an optional delegation.
struct People {
    people: Vec<Person>,
    delegation: Option<Delegation>,
}

impl People {
    fn new() -> Self {
        let mut people: Vec<Person> = "abcdefghij"
            .chars()
            .map(|c| Person {
                id: c.to_string(),
                name: format!("Person {c}"),
                email: format!("{c}@example.edu.cn"),
                number: None,
                department: Some("cs".into()),
                class: None,
                lang: if c == 'e' { Lang::En } else { Lang::Zh },
                admin: false,
            })
            .collect();
        people.push(Person {
            id: "admin".into(),
            name: "Admin".into(),
            email: "admin@example.edu.cn".into(),
            number: None,
            department: None,
            class: None,
            lang: Lang::Zh,
            admin: true,
        });
        Self { people, delegation: None }
    }
}

impl Directory for People {
    fn person(&self, id: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.id == id || p.email == id)
    }
    fn person_by_email(&self, email: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.email == email)
    }
    fn department(&self, _: &str) -> Option<&Department> {
        None
    }
    fn class(&self, _: &str) -> Option<&ClassUnit> {
        None
    }
    fn body(&self, _: BodyKind, _: &Scope, _: Option<&str>) -> Option<&Body> {
        None
    }
    fn holders(&self, _: &str, _: &[Role], _: NaiveDate) -> Vec<&Post> {
        Vec::new()
    }
    fn posts_of(&self, _: &str, _: NaiveDate) -> Vec<&Post> {
        Vec::new()
    }
    fn liaisons_of(&self, _: &str, _: NaiveDate) -> Vec<&Liaison> {
        Vec::new()
    }
    fn delegate_of(&self, person: &str, _: &str, at: DateTime<Utc>) -> Option<&Delegation> {
        self.delegation.as_ref().filter(|d| d.from == person && d.starts <= at && at < d.ends)
    }
    fn admins(&self) -> Vec<&Person> {
        self.people.iter().filter(|p| p.admin).collect()
    }
    fn submitter_info(&self, person: &str, _: NaiveDate) -> Option<SubmitterInfo> {
        self.person(person).map(|p| SubmitterInfo {
            id: p.id.clone(),
            department: p.department.clone(),
            level: Some(Level::Department),
            ..SubmitterInfo::default()
        })
    }
}

fn def(yaml: &str) -> crate::model::Definition {
    let checked = crate::validate::check_source(yaml);
    assert!(checked.definition.is_some(), "invalid test definition: {:#?}", checked.diagnostics);
    checked.definition.unwrap()
}

/// Monday 2025-11-24 09:00 Asia/Shanghai.
fn monday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 24, 1, 0, 0).unwrap()
}

/// A one-step definition around `approve:`/`acknowledge:` body `step`.
fn one_step(step: &str) -> String {
    format!(
        "key: t\nversion: 1\nname: {{ zh: 测试, en: Test }}\nform:\n  title: {{ type: text }}\nstart: s\nsteps:\n  s:\n{step}\n    next: {{ approve: done, reject: no, return: submitter }}\n  done: {{ end: approved }}\n  no: {{ end: rejected }}\n"
    )
}

struct Run {
    def: crate::model::Definition,
    dir: People,
    cal: WorkCalendar,
    now: DateTime<Utc>,
    st: Instance,
    events: Vec<Event>,
    effects: Vec<Effect>,
}

impl Run {
    fn start(yaml: &str, dir: People, submitter: &str) -> Run {
        let mut r = Run {
            def: def(yaml),
            dir,
            cal: WorkCalendar::builtin(),
            now: monday(),
            st: Instance::default(),
            events: Vec::new(),
            effects: Vec::new(),
        };
        let env = Env { def: &r.def, dir: &r.dir, cal: &r.cal, now: r.now };
        let out = submit(&env, "R1", submitter, Channel::Api, &json!({ "title": "测试申请" })).unwrap();
        r.take(out);
        r
    }
    fn take(&mut self, out: Output) {
        self.st = out.state;
        self.events.extend(out.events);
        self.effects = out.effects;
    }
    fn cmd(&mut self, actor: &str, cmd: Command) -> Result<(), EngineError> {
        let env = Env { def: &self.def, dir: &self.dir, cal: &self.cal, now: self.now };
        let out = handle(&env, &self.st, actor, Channel::Api, cmd)?;
        self.take(out);
        Ok(())
    }
    fn fire_next(&mut self) -> String {
        let t = self.st.timers.values().min_by_key(|t| t.at).unwrap().clone();
        self.now = t.at;
        let env = Env { def: &self.def, dir: &self.dir, cal: &self.cal, now: self.now };
        let out = fire(&env, &self.st, &t.id).unwrap();
        self.take(out);
        t.id
    }
    fn open(&self) -> Vec<(TaskId, String)> {
        self.st.open_tasks().map(|t| (t.id, t.assignee.clone())).collect()
    }
    fn task_of(&self, person: &str) -> TaskId {
        self.st.open_tasks().find(|t| t.assignee == person).map(|t| t.id).unwrap()
    }
    fn approve(&mut self, person: &str) {
        let task = self.task_of(person);
        self.cmd(person, Command::Approve { task, comment: None }).unwrap();
    }
    fn status(&self) -> Status {
        self.st.status
    }
    fn replays(&self) {
        assert_eq!(Instance::replay(&self.events), self.st, "replaying the events must give the live state");
    }
}

fn who(list: &[&str]) -> String {
    format!("[{}]", list.iter().map(|p| format!("{{ person: {p} }}")).collect::<Vec<_>>().join(", "))
}

#[test]
fn any_mode_first_decision_decides_and_cancels_the_rest() {
    let mut r =
        Run::start(&one_step(&format!("    approve: {{ who: {}, mode: any }}", who(&["a", "b"]))), People::new(), "j");
    assert_eq!(r.open().iter().map(|(_, p)| p.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    r.approve("b");
    assert_eq!(r.status(), Status::Finished(crate::model::Outcome::Approved));
    assert!(r.open().is_empty());
    let a_task = r.st.tasks.values().find(|t| t.assignee == "a").unwrap();
    assert!(matches!(a_task.state, TaskState::Cancelled { reason: CancelReason::StepDecided, .. }));
    r.replays();
}

#[test]
fn all_mode_needs_everyone_and_one_reject_rejects() {
    let yaml = one_step(&format!("    approve: {{ who: {}, mode: all }}", who(&["a", "b", "c"])));
    let mut r = Run::start(&yaml, People::new(), "j");
    r.approve("a");
    r.approve("b");
    assert_eq!(r.status(), Status::Running);
    r.approve("c");
    assert_eq!(r.status(), Status::Finished(crate::model::Outcome::Approved));

    let mut r = Run::start(&yaml, People::new(), "j");
    r.approve("a");
    let t = r.task_of("b");
    r.cmd("b", Command::Reject { task: t, comment: Some("不同意".into()) }).unwrap();
    assert_eq!(r.status(), Status::Finished(crate::model::Outcome::Rejected));
    r.replays();
}

#[test]
fn sequence_mode_asks_one_after_another() {
    let mut r = Run::start(
        &one_step(&format!("    approve: {{ who: {}, mode: sequence }}", who(&["a", "b", "c"]))),
        People::new(),
        "j",
    );
    assert_eq!(r.open(), vec![(r.task_of("a"), "a".to_string())]);
    r.approve("a");
    assert_eq!(r.open().len(), 1);
    assert_eq!(r.open()[0].1, "b");
    r.approve("b");
    r.approve("c");
    assert_eq!(r.status(), Status::Finished(crate::model::Outcome::Approved));
    r.replays();
}

#[test]
fn quorum_two_of_three_and_rejection_when_out_of_reach() {
    let yaml = one_step(&format!("    approve: {{ who: {}, mode: quorum, quorum: 2 }}", who(&["a", "b", "c"])));
    let mut r = Run::start(&yaml, People::new(), "j");
    r.approve("a");
    assert_eq!(r.status(), Status::Running);
    r.approve("c");
    assert_eq!(r.status(), Status::Finished(crate::model::Outcome::Approved));

    let mut r = Run::start(&yaml, People::new(), "j");
    let t = r.task_of("a");
    r.cmd("a", Command::Reject { task: t, comment: None }).unwrap();
    assert_eq!(r.status(), Status::Running);
    let t = r.task_of("b");
    r.cmd("b", Command::Reject { task: t, comment: None }).unwrap();
    assert_eq!(r.status(), Status::Finished(crate::model::Outcome::Rejected), "2 of 3 can no longer be reached");
}

#[test]
fn quorum_percent_rounds_up() {
    let yaml = one_step(&format!("    approve: {{ who: {}, mode: quorum, quorum: 60% }}", who(&["a", "b", "c", "d"])));
    let r = Run::start(&yaml, People::new(), "j");
    let run = r.st.active_runs().next().unwrap();
    assert_eq!(run.needed, Some(3), "60% of 4 is 2.4, rounded up to 3");
}

#[test]
fn wrong_person_and_decided_task_are_typed_errors() {
    let mut r = Run::start(&one_step(&format!("    approve: {{ who: {} }}", who(&["a"]))), People::new(), "j");
    let t = r.task_of("a");
    assert_eq!(r.cmd("b", Command::Approve { task: t, comment: None }), Err(EngineError::NotYourTask(t)));
    assert_eq!(r.cmd("a", Command::Approve { task: 999, comment: None }), Err(EngineError::UnknownTask(999)));
    r.approve("a");
    assert_eq!(r.cmd("a", Command::Approve { task: t, comment: None }), Err(EngineError::TaskNotOpen(t)));
    assert_eq!(r.cmd("j", Command::Withdraw), Err(EngineError::Finished));
}

#[test]
fn acknowledge_tasks_cannot_be_rejected() {
    let mut r = Run::start(&one_step(&format!("    acknowledge: {{ who: {} }}", who(&["a"]))), People::new(), "j");
    let t = r.task_of("a");
    assert!(matches!(r.cmd("a", Command::Reject { task: t, comment: None }), Err(EngineError::NotAllowed(_))));
    r.cmd("a", Command::Acknowledge { task: t, comment: Some("收到".into()) }).unwrap();
    assert_eq!(r.status(), Status::Finished(crate::model::Outcome::Approved));
}

#[test]
fn return_to_submitter_then_resubmit_resumes_at_the_step() {
    let mut r = Run::start(&one_step(&format!("    approve: {{ who: {} }}", who(&["a"]))), People::new(), "j");
    let t = r.task_of("a");
    r.cmd("a", Command::Return { task: t, comment: Some("请补充材料".into()), to: None }).unwrap();
    assert_eq!(r.status(), Status::Returned);
    assert!(
        r.effects.iter().any(|e| matches!(e, Effect::Notify { to, template: Template::Returned, .. } if to == "j"))
    );
    assert_eq!(r.cmd("a", Command::Approve { task: t, comment: None }), Err(EngineError::TaskNotOpen(t)));
    assert_eq!(
        r.cmd("a", Command::Resubmit { form: None, guard: Default::default() }),
        Err(EngineError::OnlySubmitter)
    );
    r.cmd("j", Command::Resubmit { form: Some(json!({ "title": "补充后的申请" })), guard: Default::default() })
        .unwrap();
    assert_eq!(r.st.round, 2);
    assert_eq!(r.st.form["title"], "补充后的申请");
    assert_eq!(r.open().len(), 1);
    assert_eq!(r.st.tasks[&r.task_of("a")].round, 2);
    r.approve("a");
    assert_eq!(r.status(), Status::Finished(crate::model::Outcome::Approved));
    r.replays();
}

#[test]
fn withdraw_cancels_open_tasks_and_tells_reviewers() {
    let mut r =
        Run::start(&one_step(&format!("    approve: {{ who: {}, mode: all }}", who(&["a", "b"]))), People::new(), "j");
    assert_eq!(r.cmd("a", Command::Withdraw), Err(EngineError::OnlySubmitter));
    r.cmd("j", Command::Withdraw).unwrap();
    assert_eq!(r.status(), Status::Finished(crate::model::Outcome::Withdrawn));
    let told: Vec<&str> = r
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::Notify { to, template: Template::Withdrawn, .. } => Some(to.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(told, ["a", "b"]);
    assert!(r.st.timers.is_empty());
}

#[test]
fn transfer_moves_the_task_and_add_reviewer_adds_one() {
    let mut r =
        Run::start(&one_step(&format!("    approve: {{ who: {}, mode: all }}", who(&["a"]))), People::new(), "j");
    let t = r.task_of("a");
    assert!(r.cmd("c", Command::Transfer { task: t, to: "b".into(), comment: None }).is_err());
    r.cmd("a", Command::Transfer { task: t, to: "b".into(), comment: Some("请b处理".into()) }).unwrap();
    assert_eq!(r.open().iter().map(|(_, p)| p.as_str()).collect::<Vec<_>>(), ["b"]);
    let tb = r.task_of("b");
    r.cmd("b", Command::AddReviewer { task: tb, person: "c".into(), comment: None }).unwrap();
    r.approve("b");
    assert_eq!(r.status(), Status::Running, "the added reviewer must approve too (会签)");
    r.approve("c");
    assert_eq!(r.status(), Status::Finished(crate::model::Outcome::Approved));
    r.replays();
}

#[test]
fn admin_may_transfer_but_not_decide() {
    let mut r = Run::start(&one_step(&format!("    approve: {{ who: {} }}", who(&["a"]))), People::new(), "j");
    let t = r.task_of("a");
    assert_eq!(r.cmd("admin", Command::Approve { task: t, comment: None }), Err(EngineError::NotYourTask(t)));
    r.cmd("admin", Command::Transfer { task: t, to: "d".into(), comment: None }).unwrap();
    assert_eq!(r.open()[0].1, "d");
}

#[test]
fn delegation_sends_the_task_to_the_stand_in_and_records_both() {
    let mut people = People::new();
    people.delegation = Some(Delegation {
        from: "a".into(),
        to: "f".into(),
        starts: monday() - chrono::Duration::days(1),
        ends: monday() + chrono::Duration::days(7),
        definitions: vec![],
    });
    let mut r = Run::start(&one_step(&format!("    approve: {{ who: {} }}", who(&["a"]))), people, "j");
    let task = &r.st.tasks[&r.task_of("f")];
    assert_eq!(task.on_behalf_of.as_deref(), Some("a"));
    let t = task.id;
    r.cmd("f", Command::Approve { task: t, comment: None }).unwrap();
    let decided = r.events.iter().find(|e| matches!(e.kind, EventKind::TaskDecided { .. })).unwrap();
    assert_eq!(decided.actor, Actor::Person { id: "f".into(), on_behalf_of: Some("a".into()) });
}

#[test]
fn self_approval_policies() {
    let base = |policy: &str| {
        one_step(&format!("    approve: {{ who: {} }}\n    policies: {{ self_approval: {policy} }}", who(&["j", "a"])))
    };
    // forbid: the submitter is taken off the step
    let r = Run::start(&base("forbid"), People::new(), "j");
    assert_eq!(r.open().iter().map(|(_, p)| p.as_str()).collect::<Vec<_>>(), ["a"]);
    // skip: the whole step passes
    let r = Run::start(&base("skip"), People::new(), "j");
    assert_eq!(r.status(), Status::Finished(crate::model::Outcome::Approved));
    // auto_approve: the submitter's task is approved, which decides an `any` step
    let r = Run::start(&base("auto_approve"), People::new(), "j");
    assert_eq!(r.status(), Status::Finished(crate::model::Outcome::Approved));
    assert!(
        r.events.iter().any(|e| matches!(&e.kind, EventKind::PolicyApplied { note: PolicyNote::SelfAutoApproved, .. }))
    );
}

#[test]
fn empty_assignee_goes_to_admins_or_is_skipped() {
    let yaml = |policy: &str| {
        one_step(&format!(
            "    approve: {{ who: {{ body: school_su, roles: [president] }} }}\n    policies: {{ empty_assignee: {policy} }}"
        ))
    };
    let r = Run::start(&yaml("admin"), People::new(), "j");
    assert_eq!(r.open().iter().map(|(_, p)| p.as_str()).collect::<Vec<_>>(), ["admin"]);
    let r = Run::start(&yaml("skip"), People::new(), "j");
    assert_eq!(r.status(), Status::Finished(crate::model::Outcome::Approved));
    assert!(
        r.events.iter().any(|e| matches!(&e.kind, EventKind::PolicyApplied { note: PolicyNote::EmptySkipped, .. }))
    );
}

#[test]
fn dedupe_approves_the_same_person_on_the_next_step() {
    let yaml = format!(
        "key: t\nversion: 1\nname: {{ zh: 测试, en: T }}\nform:\n  title: {{ type: text }}\nstart: one\nsteps:\n  one:\n    approve: {{ who: {} }}\n    next: {{ approve: two }}\n  two:\n    approve: {{ who: {} }}\n    next: {{ approve: done }}\n  done: {{ end: approved }}\n",
        who(&["a"]),
        who(&["a"])
    );
    let mut r = Run::start(&yaml, People::new(), "j");
    r.approve("a");
    assert_eq!(r.status(), Status::Finished(crate::model::Outcome::Approved));
    assert!(r.events.iter().any(
        |e| matches!(&e.kind, EventKind::PolicyApplied { note: PolicyNote::Deduped { person }, .. } if person == "a")
    ));
}

#[test]
fn a_percentage_reminder_falls_at_that_share_of_the_working_time() {
    // given a 3wd step entered on Friday 21 Nov 2025 at 17:00 (due Wednesday 17:00); elapsed time
    // put the 50% reminder at Monday 05:00 and 25% on Saturday
    let yaml = one_step(&format!("    approve: {{ who: {} }}\n    due: 3wd\n    remind: [25%, 50%]", who(&["a"])));
    let def = def(&yaml);
    let (dir, cal) = (People::new(), WorkCalendar::builtin());
    let friday = Utc.with_ymd_and_hms(2025, 11, 21, 9, 0, 0).unwrap();
    let env = Env { def: &def, dir: &dir, cal: &cal, now: friday };
    let st = submit(&env, "R1", "j", Channel::Api, &json!({ "title": "测试申请" })).unwrap().state;
    let run = st.active_runs().next().unwrap().id;
    // then: 30 working hours (08:00–18:00), 25% = 7.5h → Monday 14:30, 50% = 15h → Tuesday 12:00
    let sh = |d, h, m| Utc.with_ymd_and_hms(2025, 11, d, h, m, 0).unwrap() - chrono::Duration::hours(8);
    assert_eq!(st.runs[&run].due_at, Some(sh(26, 17, 0)));
    assert_eq!(st.timers[&format!("{run}:remind:0")].at, sh(24, 14, 30));
    assert_eq!(st.timers[&format!("{run}:remind:1")].at, sh(25, 12, 0));
}

#[test]
fn reminders_then_escalation_then_auto_action_in_working_days() {
    let yaml = one_step(&format!(
        "    approve: {{ who: {} }}\n    due: 2wd\n    remind: [50%, 100%]\n    escalate:\n      - {{ after: 3wd, to: {{ person: b }} }}\n      - {{ after: 5wd, action: approve }}",
        who(&["a"])
    ));
    let mut r = Run::start(&yaml, People::new(), "j");
    // Monday 09:00 + 2wd = Wednesday 09:00; 50% = Tuesday 09:00.
    let at = |id: &str| r.st.timers[id].at;
    let run = r.st.active_runs().next().unwrap().id;
    assert_eq!(at(&format!("{run}:remind:0")), Utc.with_ymd_and_hms(2025, 11, 25, 1, 0, 0).unwrap());
    assert_eq!(at(&format!("{run}:remind:1")), Utc.with_ymd_and_hms(2025, 11, 26, 1, 0, 0).unwrap());
    assert_eq!(at(&format!("{run}:rung:0")), Utc.with_ymd_and_hms(2025, 11, 27, 1, 0, 0).unwrap());
    assert_eq!(at(&format!("{run}:rung:1")), Utc.with_ymd_and_hms(2025, 12, 1, 1, 0, 0).unwrap());
    r.fire_next();
    assert!(
        r.effects.iter().any(|e| matches!(e, Effect::Notify { to, template: Template::Reminder, .. } if to == "a"))
    );
    r.fire_next();
    assert!(r.effects.iter().any(|e| matches!(e, Effect::Notify { to, template: Template::Overdue, .. } if to == "a")));
    r.fire_next();
    assert_eq!(r.open().iter().map(|(_, p)| p.as_str()).collect::<Vec<_>>(), ["b"], "escalated past a to b");
    assert!(
        r.effects.iter().any(|e| matches!(e, Effect::Notify { to, template: Template::TaskMoved, .. } if to == "a"))
    );
    r.fire_next();
    assert_eq!(r.status(), Status::Finished(crate::model::Outcome::Approved));
    assert!(r.events.iter().any(|e| e.actor == Actor::Timer && matches!(e.kind, EventKind::AutoActed { .. })));
    r.replays();
}

#[test]
fn a_timer_whose_step_was_decided_does_nothing() {
    let yaml = one_step(&format!("    approve: {{ who: {} }}\n    due: 1d", who(&["a"])));
    let mut r = Run::start(&yaml, People::new(), "j");
    let timer = r.st.timers.keys().next().unwrap().clone();
    let before = r.st.clone();
    r.approve("a");
    let env = Env { def: &r.def, dir: &r.dir, cal: &r.cal, now: r.now + chrono::Duration::days(2) };
    let out = fire(&env, &r.st, &timer).unwrap();
    assert!(out.events.is_empty() && out.effects.is_empty());
    assert!(before.timers.contains_key(&timer));
}

#[test]
fn return_to_an_earlier_step() {
    let yaml = format!(
        "key: t\nversion: 1\nname: {{ zh: 测试, en: T }}\nform:\n  title: {{ type: text }}\nstart: one\npolicies: {{ dedupe: false }}\nsteps:\n  one:\n    approve: {{ who: {} }}\n    next: {{ approve: two }}\n  two:\n    approve: {{ who: {} }}\n    next: {{ approve: done, return: one }}\n  done: {{ end: approved }}\n",
        who(&["a"]),
        who(&["b"])
    );
    let mut r = Run::start(&yaml, People::new(), "j");
    r.approve("a");
    let t = r.task_of("b");
    r.cmd("b", Command::Return { task: t, comment: None, to: None }).unwrap();
    assert_eq!(r.status(), Status::Running);
    assert_eq!(r.open()[0].1, "a", "back at step one");
    r.approve("a");
    r.approve("b");
    assert_eq!(r.status(), Status::Finished(crate::model::Outcome::Approved));
    r.replays();
}

#[test]
fn parallel_join_decides_waits_for_acknowledgement() {
    let yaml = format!(
        "key: t\nversion: 1\nname: {{ zh: 测试, en: T }}\nform:\n  title: {{ type: text }}\nstart: both\nsteps:\n  both:\n    parallel: {{ college: review, school: ack }}\n    join: {{ decides: college, waits_for: [school] }}\n    next: {{ approve: done, reject: no }}\n  review:\n    approve: {{ who: {} }}\n    next: {{ return: submitter }}\n  ack:\n    acknowledge: {{ who: {} }}\n  done: {{ end: approved }}\n  no: {{ end: rejected }}\n",
        who(&["a"]),
        who(&["b"])
    );
    let mut r = Run::start(&yaml, People::new(), "j");
    let created: Vec<_> = r.events.iter().filter(|e| matches!(e.kind, EventKind::TaskCreated { .. })).collect();
    assert_eq!(created.len(), 2);
    assert_eq!(created[0].at, created[1].at, "both branches open at the same moment");
    r.approve("a");
    assert_eq!(r.status(), Status::Running, "still waiting for the acknowledgement");
    let t = r.task_of("b");
    r.cmd("b", Command::Acknowledge { task: t, comment: None }).unwrap();
    assert_eq!(r.status(), Status::Finished(crate::model::Outcome::Approved));
    r.replays();
}

#[test]
fn comments_come_from_people_on_the_path_or_admins() {
    let mut r = Run::start(&one_step(&format!("    approve: {{ who: {} }}", who(&["a"]))), People::new(), "j");
    r.cmd("j", Command::Comment { text: "补充：场地已落实".into() }).unwrap();
    r.cmd("a", Command::Comment { text: "收到".into() }).unwrap();
    r.cmd("admin", Command::Comment { text: "请尽快处理".into() }).unwrap();
    assert!(matches!(r.cmd("c", Command::Comment { text: "路过".into() }), Err(EngineError::NotAllowed(_))));
    assert!(matches!(r.cmd("j", Command::Comment { text: "  ".into() }), Err(EngineError::NotAllowed(_))));
    let comments: Vec<(&str, &str)> = r
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Commented { text } => Some((e.actor.person_id().unwrap(), text.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(comments, [("j", "补充：场地已落实"), ("a", "收到"), ("admin", "请尽快处理")]);
    r.replays();
}

#[test]
fn a_returned_request_can_be_abandoned_or_withdrawn() {
    let mut r = Run::start(&one_step(&format!("    approve: {{ who: {} }}", who(&["a"]))), People::new(), "j");
    assert_eq!(r.cmd("j", Command::Abandon), Err(EngineError::NotReturned));
    let t = r.task_of("a");
    r.cmd("a", Command::Return { task: t, comment: None, to: None }).unwrap();
    r.cmd("j", Command::Abandon).unwrap();
    assert_eq!(r.status(), Status::Finished(crate::model::Outcome::Abandoned));
    r.replays();
}

fn delegation(from: &str, to: &str, starts: DateTime<Utc>) -> Delegation {
    Delegation {
        from: from.into(),
        to: to.into(),
        starts,
        ends: monday() + chrono::Duration::days(30),
        definitions: vec![],
    }
}

/// Regression (issue 10): `self_approval: forbid` held only when a step was entered; a transfer
/// or an added reviewer naming the submitter is refused with `self_approval_forbidden`.
#[test]
fn self_approval_holds_for_transfer_and_added_reviewers() {
    let yaml = one_step(&format!("    approve: {{ who: {}, mode: all }}", who(&["a", "b"])));
    let mut r = Run::start(&yaml, People::new(), "j");
    let t = r.task_of("a");
    for cmd in [
        Command::Transfer { task: t, to: "j".into(), comment: None },
        Command::AddReviewer { task: t, person: "j".into(), comment: None },
    ] {
        let e = r.cmd("a", cmd.clone()).unwrap_err();
        assert_eq!(e.code(), "self_approval_forbidden", "{cmd:?}: {e}");
        assert!(e.to_string().contains("self_approval: forbid"), "{e}");
        let e = r.cmd("admin", cmd).unwrap_err();
        assert_eq!(e.code(), "self_approval_forbidden", "not even an admin may hand it to the submitter");
    }
    assert_eq!(r.open().iter().map(|(_, p)| p.as_str()).collect::<Vec<_>>(), ["a", "b"], "nothing changed");
    // where the step allows it, the submitter may take the task
    let allow = one_step(&format!("    approve: {{ who: {} }}\n    policies: {{ self_approval: allow }}", who(&["a"])));
    let mut r = Run::start(&allow, People::new(), "j");
    let t = r.task_of("a");
    r.cmd("a", Command::Transfer { task: t, to: "j".into(), comment: None }).unwrap();
    r.approve("j");
    assert_eq!(r.status(), Status::Finished(crate::model::Outcome::Approved));
}

/// A delegation to the submitter: the task stays with the delegator (recorded), and a delegation
/// that begins after the task was made does not let the submitter decide it either.
#[test]
fn self_approval_holds_for_delegation_to_the_submitter() {
    let mut people = People::new();
    people.delegation = Some(delegation("a", "j", monday() - chrono::Duration::days(1)));
    let yaml = one_step(&format!("    approve: {{ who: {} }}", who(&["a"])));
    let mut r = Run::start(&yaml, people, "j");
    let task = r.st.open_tasks().next().unwrap().clone();
    assert_eq!((task.assignee.as_str(), task.on_behalf_of.as_deref()), ("a", None), "the task stays with a");
    assert!(r.events.iter().any(|e| matches!(&e.kind,
        EventKind::PolicyApplied { note: PolicyNote::SelfDelegationIgnored { person }, .. } if person == "a")));
    assert_eq!(
        r.cmd("j", Command::Approve { task: task.id, comment: None }).unwrap_err().code(),
        "self_approval_forbidden"
    );
    // the delegation begins only after the task was made
    let mut r = Run::start(&yaml, People::new(), "j");
    let t = r.task_of("a");
    r.dir.delegation = Some(delegation("a", "j", monday()));
    r.now = monday() + chrono::Duration::hours(1);
    let e = r.cmd("j", Command::Approve { task: t, comment: None }).unwrap_err();
    assert_eq!(e.code(), "self_approval_forbidden");
    assert_eq!(r.status(), Status::Running);
    // a transfer to someone whose delegate is the submitter leaves the task with that person
    let mut r = Run::start(&yaml, People::new(), "j");
    r.dir.delegation = Some(delegation("b", "j", monday() - chrono::Duration::days(1)));
    let t = r.task_of("a");
    r.cmd("a", Command::Transfer { task: t, to: "b".into(), comment: None }).unwrap();
    assert_eq!(r.open().iter().map(|(_, p)| p.as_str()).collect::<Vec<_>>(), ["b"]);
    r.replays();
}

/// An escalation rung that resolves to the submitter takes them off (to the admins when nobody
/// is left), under `forbid`; under `skip` the step passes as skipped.
#[test]
fn self_approval_holds_on_escalation_rungs() {
    let yaml = |policy: &str| {
        one_step(&format!(
            "    approve: {{ who: {} }}\n    policies: {{ self_approval: {policy} }}\n    escalate:\n      - {{ after: 1wd, to: {{ person: j }} }}",
            who(&["a"])
        ))
    };
    let mut r = Run::start(&yaml("forbid"), People::new(), "j");
    r.fire_next();
    assert_eq!(r.open().iter().map(|(_, p)| p.as_str()).collect::<Vec<_>>(), ["admin"]);
    assert!(
        r.events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::PolicyApplied { note: PolicyNote::SelfRemovedFromRung, .. }))
    );
    r.replays();
    let mut r = Run::start(&yaml("skip"), People::new(), "j");
    r.fire_next();
    assert_eq!(r.status(), Status::Finished(crate::model::Outcome::Approved));
    assert!(r.open().is_empty());
    let mut r = Run::start(&yaml("allow"), People::new(), "j");
    r.fire_next();
    assert_eq!(r.open().iter().map(|(_, p)| p.as_str()).collect::<Vec<_>>(), ["j"]);
}

/// Regression (issue 10): in a 2-of-3 step a reviewer handed their task to someone who had
/// already approved, who approved again, and the step passed on one person's two votes.
#[test]
fn one_vote_per_person_in_k_of_n() {
    let yaml = one_step(&format!("    approve: {{ who: {}, mode: quorum, quorum: 2 }}", who(&["a", "b", "c"])));
    let mut r = Run::start(&yaml, People::new(), "j");
    r.approve("a");
    let tb = r.task_of("b");
    for (actor, cmd) in [
        ("b", Command::Transfer { task: tb, to: "a".into(), comment: None }),
        ("b", Command::AddReviewer { task: tb, person: "a".into(), comment: None }),
        ("admin", Command::Transfer { task: tb, to: "a".into(), comment: None }),
        ("b", Command::Transfer { task: tb, to: "c".into(), comment: None }),
    ] {
        assert_eq!(r.cmd(actor, cmd.clone()).unwrap_err().code(), "already_on_step", "{cmd:?}");
    }
    // someone whose delegate already approved cannot be handed the task either
    r.dir.delegation = Some(delegation("d", "a", monday() - chrono::Duration::days(1)));
    assert_eq!(
        r.cmd("b", Command::Transfer { task: tb, to: "d".into(), comment: None }).unwrap_err().code(),
        "already_on_step"
    );
    // a delegation that begins later does not give `a` a second vote through b's task
    r.dir.delegation = Some(delegation("b", "a", monday()));
    r.now = monday() + chrono::Duration::hours(1);
    assert_eq!(r.cmd("a", Command::Approve { task: tb, comment: None }).unwrap_err().code(), "already_on_step");
    assert_eq!(r.status(), Status::Running, "one person's approval is one vote");
    r.dir.delegation = None;
    r.approve("b");
    assert_eq!(r.status(), Status::Finished(crate::model::Outcome::Approved), "two people approved");
    r.replays();
}

/// A delegate who is a reviewer of the step themself does not also get the delegator's task.
#[test]
fn a_delegate_on_the_same_step_does_not_hold_two_seats() {
    let mut people = People::new();
    people.delegation = Some(delegation("b", "a", monday() - chrono::Duration::days(1)));
    let yaml = one_step(&format!("    approve: {{ who: {}, mode: quorum, quorum: 2 }}", who(&["a", "b", "c"])));
    let mut r = Run::start(&yaml, people, "j");
    assert_eq!(r.open().iter().map(|(_, p)| p.as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);
    r.approve("a");
    assert_eq!(r.status(), Status::Running);
}

/// Regression (issue 10): a return from one branch to a step before the fork left the other
/// branch open, and the fork then opened again inside its own branch.
#[test]
fn a_return_from_a_branch_to_before_the_fork_closes_every_branch() {
    let yaml = format!(
        "key: t\nversion: 1\nname: {{ zh: 测试, en: T }}\nform:\n  title: {{ type: text }}\nstart: sign\npolicies: {{ dedupe: false }}\nsteps:\n  sign:\n    approve: {{ who: {} }}\n    next: {{ approve: both }}\n  both:\n    parallel: {{ college: review, school: ack }}\n    join: {{ decides: college, waits_for: [school] }}\n    next: {{ approve: done, reject: no }}\n  review:\n    approve: {{ who: {} }}\n    next: {{ return: submitter }}\n  ack:\n    acknowledge: {{ who: {} }}\n  done: {{ end: approved }}\n  no: {{ end: rejected }}\n",
        who(&["a"]),
        who(&["b"]),
        who(&["c", "d"])
    );
    let mut r = Run::start(&yaml, People::new(), "j");
    r.approve("a");
    assert_eq!(r.open().len(), 3);
    let t = r.task_of("b");
    r.cmd("b", Command::Return { task: t, comment: None, to: Some("sign".into()) }).unwrap();
    assert_eq!(r.open().iter().map(|(_, p)| p.as_str()).collect::<Vec<_>>(), ["a"], "every branch closed");
    r.approve("a");
    let open: Vec<(String, String)> = r.st.open_tasks().map(|t| (t.step.clone(), t.assignee.clone())).collect();
    assert_eq!(open.len(), 3, "one fork again, not a fork inside the fork: {open:?}");
    let forks: Vec<_> = r.st.runs.values().filter(|x| x.step == "both").collect();
    assert!(forks.iter().all(|f| f.parent.is_none()), "{forks:?}");
    let acks =
        r.effects.iter().filter(|e| matches!(e, Effect::Notify { template: Template::AckRequested, .. })).count();
    assert_eq!(acks, 2, "each liaison is asked once");
    r.approve("b");
    let t = r.task_of("c");
    r.cmd("c", Command::Acknowledge { task: t, comment: None }).unwrap();
    assert_eq!(r.status(), Status::Finished(crate::model::Outcome::Approved));
    r.replays();
}

/// A resubmitted form is routed again: a budget raised from 500 to 50,000 goes to the step a
/// large budget needs, even though the small-budget path was already approved.
#[test]
fn resubmit_reroutes_a_switch_the_new_form_decides_otherwise() {
    let yaml = format!(
        "key: t\nversion: 1\nname: {{ zh: 测试, en: T }}\nform:\n  title: {{ type: text }}\n  budget: {{ type: number }}\nstart: size\npolicies: {{ dedupe: false }}\nsteps:\n  size:\n    switch:\n      \"form.budget >= 10000\": big\n      else: small\n  small:\n    approve: {{ who: {} }}\n    next: {{ approve: final }}\n  big:\n    approve: {{ who: {} }}\n    next: {{ approve: final }}\n  final:\n    approve: {{ who: {} }}\n    next: {{ approve: done, return: submitter }}\n  done: {{ end: approved }}\n",
        who(&["a"]),
        who(&["b"]),
        who(&["c"])
    );
    let mut r = Run {
        def: def(&yaml),
        dir: People::new(),
        cal: WorkCalendar::builtin(),
        now: monday(),
        st: Instance::default(),
        events: Vec::new(),
        effects: Vec::new(),
    };
    let env = Env { def: &r.def, dir: &r.dir, cal: &r.cal, now: r.now };
    let out = submit(&env, "R1", "j", Channel::Api, &json!({ "title": "活动", "budget": 500 })).unwrap();
    r.take(out);
    r.approve("a");
    let t = r.task_of("c");
    r.cmd("c", Command::Return { task: t, comment: None, to: None }).unwrap();
    // unchanged routing: resumes at `final`
    r.cmd("j", Command::Resubmit { form: Some(json!({ "title": "活动", "budget": 800 })), guard: Default::default() })
        .unwrap();
    assert_eq!(r.open().iter().map(|(_, p)| p.as_str()).collect::<Vec<_>>(), ["c"]);
    let t = r.task_of("c");
    r.cmd("c", Command::Return { task: t, comment: None, to: None }).unwrap();
    // the budget now needs `big`: `final` is not resumed on the small-budget approval
    r.cmd(
        "j",
        Command::Resubmit { form: Some(json!({ "title": "活动", "budget": 50000 })), guard: Default::default() },
    )
    .unwrap();
    assert_eq!(r.open().iter().map(|(_, p)| p.as_str()).collect::<Vec<_>>(), ["b"]);
    r.approve("b");
    r.approve("c");
    assert_eq!(r.status(), Status::Finished(crate::model::Outcome::Approved));
    r.replays();
}

/// Regression (issue 10): need-to-know and the title were computed at submit only.
#[test]
fn resubmit_recomputes_title_and_need_to_know_once_sensitive_always() {
    let yaml = "key: t\nversion: 1\nname: { zh: 测试, en: T }\ntitle: \"{form.title}（{form.kind}）\"\nform:\n  title: { type: text }\n  kind: { type: enum, of: [normal, sensitive] }\nvisibility: { need_to_know: \"form.kind == 'sensitive'\" }\nstart: s\nsteps:\n  s:\n    approve: { who: [{ person: a }] }\n    next: { approve: done, return: submitter }\n  done: { end: approved }\n";
    let mut r = Run {
        def: def(yaml),
        dir: People::new(),
        cal: WorkCalendar::builtin(),
        now: monday(),
        st: Instance::default(),
        events: Vec::new(),
        effects: Vec::new(),
    };
    let env = Env { def: &r.def, dir: &r.dir, cal: &r.cal, now: r.now };
    let out = submit(&env, "R1", "j", Channel::Api, &json!({ "title": "活动", "kind": "normal" })).unwrap();
    r.take(out);
    assert!(!r.st.need_to_know);
    let ret = |r: &mut Run| {
        let t = r.task_of("a");
        r.cmd("a", Command::Return { task: t, comment: None, to: None }).unwrap();
    };
    ret(&mut r);
    r.cmd(
        "j",
        Command::Resubmit { form: Some(json!({ "title": "事件", "kind": "sensitive" })), guard: Default::default() },
    )
    .unwrap();
    assert!(r.st.need_to_know);
    assert_eq!(r.st.title, "事件（sensitive）");
    ret(&mut r);
    r.cmd(
        "j",
        Command::Resubmit { form: Some(json!({ "title": "事件", "kind": "normal" })), guard: Default::default() },
    )
    .unwrap();
    assert!(r.st.need_to_know, "once need-to-know, always");
    assert_eq!(r.st.title, "事件（normal）");
    r.replays();
}

#[test]
fn a_step_behind_a_switch_is_never_passed_automatically() {
    // given a definition whose policies would dedupe and auto-approve the submitter everywhere
    let yaml = format!(
        "key: t\nversion: 1\nname: {{ zh: 测试, en: T }}\nform:\n  title: {{ type: text }}\nstart: one\npolicies: {{ dedupe: true, self_approval: auto_approve }}\nsteps:\n  one:\n    approve: {{ who: {} }}\n    next: {{ approve: gate }}\n  gate:\n    switch: {{ \"form.title == 'x'\": two, else: two }}\n  two:\n    approve: {{ who: {} }}\n    next: {{ approve: done }}\n  done: {{ end: approved }}\n",
        who(&["a"]),
        who(&["a", "j"])
    );
    let mut r = Run::start(&yaml, People::new(), "j");
    // when a approves the first step
    r.approve("a");
    // then behind the gate a is asked again (no dedupe) and the submitter j is taken off (no
    // auto-approval of their own task): a person decides
    assert_eq!(r.open().into_iter().map(|(_, p)| p).collect::<Vec<_>>(), ["a"]);
    assert!(!r.events.iter().any(|e| matches!(
        &e.kind,
        EventKind::PolicyApplied { note: PolicyNote::Deduped { .. } | PolicyNote::SelfAutoApproved, .. }
    )));
    r.approve("a");
    assert_eq!(r.status(), Status::Finished(crate::model::Outcome::Approved));
}
