//! Return and resubmit on every built-in with a parallel fork (issue 10): from every point where a
//! reviewer may return the request (to the submitter or to each earlier step on the path), the
//! request is returned, resubmitted with the same form and with a form that routes elsewhere, and
//! driven to its end. At every moment no branch is left open behind a return, no fork opens inside
//! itself, nobody holds two open tasks of one step, and every switch that carried the request
//! routes by the form it ended with.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use workflows::WorkCalendar;
use workflows::engine::{self, Channel, Command, Env, EventKind, Instance, Output, RunStatus, Status, TaskKind};
use workflows::model::{Definition, Next, Outcome, StepKind};
use workflows::org::generate::{demo_directory, demo_people as dp};
use workflows::org::{Directory, OrgDirectory};

/// A submitter, a valid form, and a second form that a switch routes elsewhere (if the
/// definition has a switch a form field decides).
fn sample(key: &str) -> (String, Value, Option<Value>) {
    let delegate = {
        let day = chrono::NaiveDate::from_ymd_opt(2025, 11, 24).unwrap();
        demo_directory().holders("student_congress", &[workflows::catalog::Role::Delegate], day)[0].person.clone()
    };
    match key {
        "major_matter_report" => {
            let f = |kind: &str| json!({ "kind": kind, "matter_type": "major_meeting", "title": "请示", "body": "……", "event_date": "2026-01-20" });
            (dp::CS_SU_VICE_PRESIDENT.to_string(), f("request"), Some(f("report")))
        }
        "incident_report" => (
            dp::CS_SU_VICE_PRESIDENT.into(),
            json!({ "incident_type": "emergency_incident", "title": "突发事件首报", "occurred_at": "2025-11-24T08:00:00+08:00", "body": "……" }),
            None,
        ),
        "class_major_matter_report" => {
            let f = |kind: &str| json!({ "kind": kind, "title": "请示", "body": "……" });
            (dp::CS_2023_1_MONITOR.into(), f("request"), Some(f("report")))
        }
        "staff_selection" => {
            let f = |position: &str| json!({ "candidate": "2023010215", "candidate_name": "某", "position": position, "top_30_percent": true, "no_failed_courses": true, "reasons": "……", "appointment_date": "2025-12-08" });
            (dp::CS_SU_PRESIDENT.into(), f("presidium"), Some(f("division_head")))
        }
        "proposal_handling" => (delegate, json!({ "title": "提案", "area": "study", "body": "……" }), None),
        "activity_cohost" => {
            let f = |major: bool| json!({ "title": "活动", "event_date": "2026-03-20", "plan": "……", "major": major, "cohost_departments": ["ee"], "key_classes": ["cs-2023-1"] });
            (dp::CS_SU_PRESIDENT.into(), f(true), Some(f(false)))
        }
        other => panic!("{other} has a parallel fork: give it a sample here"),
    }
}

/// What the reviewer of `step` fills when deciding (the step's `fields:`), if it asks.
fn fill(key: &str, step: &str) -> Option<serde_json::Map<String, Value>> {
    let v = match (key, step) {
        ("proposal_handling", "classify") => json!({ "lead_office": "library", "co_offices": ["academic_affairs"] }),
        ("proposal_handling", "proposer_rating") => json!({ "rating": "satisfied" }),
        _ => return None,
    };
    v.as_object().cloned()
}

fn start() -> DateTime<Utc> {
    Shanghai.with_ymd_and_hms(2025, 11, 24, 9, 0, 0).unwrap().with_timezone(&Utc)
}

struct World {
    def: Definition,
    dir: OrgDirectory,
    cal: WorkCalendar,
    submitter: String,
}

#[derive(Clone)]
struct Case {
    st: Instance,
    events: Vec<engine::Event>,
    now: DateTime<Utc>,
}

impl World {
    fn env(&self, now: DateTime<Utc>) -> Env<'_> {
        Env { def: &self.def, dir: &self.dir, cal: &self.cal, now }
    }

    fn take(&self, c: &mut Case, out: Output, what: &str) {
        c.events.extend(out.events);
        c.st = out.state;
        self.invariants(c, what);
    }

    fn cmd(&self, c: &mut Case, actor: &str, cmd: Command, what: &str) {
        let out = engine::handle(&self.env(c.now), &c.st, actor, Channel::Api, cmd.clone())
            .unwrap_or_else(|e| panic!("{}: {what}: {cmd:?} by {actor}: {e}", self.def.key));
        self.take(c, out, what);
    }

    /// Whether every ancestor fork of `run` is still running.
    fn live(&self, st: &Instance, run: u32) -> bool {
        let mut cur = st.runs.get(&run).and_then(|r| r.parent.clone());
        while let Some((p, _)) = cur {
            if st.runs[&p].status != RunStatus::Active {
                return false;
            }
            cur = st.runs[&p].parent.clone();
        }
        true
    }

    fn invariants(&self, c: &Case, what: &str) {
        let key = &self.def.key;
        let st = &c.st;
        let mut seats = BTreeSet::new();
        for t in st.open_tasks() {
            let r = &st.runs[&t.run];
            assert!(
                r.status == RunStatus::Active && self.live(st, t.run),
                "{key}: {what}: open task {} of `{}` is left in a run that no longer runs",
                t.id,
                t.step
            );
            assert!(
                seats.insert((t.step.clone(), t.assignee.clone())),
                "{key}: {what}: {} holds two open `{}` tasks",
                t.assignee,
                t.step
            );
        }
        for r in st.runs.values() {
            let mut cur = r.parent.clone();
            while let Some((p, _)) = cur {
                assert_ne!(st.runs[&p].step, r.step, "{key}: {what}: the fork `{}` opened inside itself", r.step);
                cur = st.runs[&p].parent.clone();
            }
        }
        if st.status == Status::Returned {
            assert!(st.open_tasks().next().is_none(), "{key}: {what}: tasks open while it waits for the submitter");
        }
    }

    /// Everyone approves or acknowledges (timers fire when nobody is asked) until the end.
    fn finish(&self, c: &mut Case, what: &str) {
        for _ in 0..200 {
            if c.st.is_finished() {
                return;
            }
            let next = c.st.open_tasks().next().map(|t| (t.id, t.assignee.clone(), t.kind, t.step.clone()));
            match next {
                Some((task, who, kind, step)) => self.cmd(c, &who, self.approve(task, kind, &step), what),
                None => {
                    let t = c.st.timers.values().min_by_key(|t| (t.at, t.id.clone())).cloned().expect("a timer");
                    c.now = c.now.max(t.at);
                    let out = engine::fire(&self.env(c.now), &c.st, &t.id).unwrap();
                    self.take(c, out, what);
                }
            }
        }
        panic!("{}: {what}: not finished", self.def.key);
    }

    /// The returns an open task allows: to the definition's target, and to each earlier step on
    /// the task's path.
    fn returns(&self, c: &Case) -> Vec<(u32, String, Option<String>)> {
        let mut out = Vec::new();
        for t in c.st.open_tasks().filter(|t| t.kind == TaskKind::Approve) {
            let step = self.def.step(&t.step).unwrap();
            if !matches!(&step.next, Next::On { ret: Some(_), .. }) {
                continue;
            }
            out.push((t.id, t.assignee.clone(), None));
            let earlier: BTreeSet<String> =
                c.st.runs.values().filter(|r| r.id < t.run && r.step != t.step).map(|r| r.step.clone()).collect();
            for s in earlier {
                out.push((t.id, t.assignee.clone(), Some(s)));
            }
        }
        out
    }
}

/// Where each switch routes on a form.
fn route(def: &Definition, st: &Instance, form: &Value) -> Vec<(String, String)> {
    let form = form.as_object().unwrap();
    def.steps
        .iter()
        .filter_map(|s| match &s.kind {
            StepKind::Switch { cases, default } => {
                let to = cases
                    .iter()
                    .find(|(e, _)| e.eval_bool(form, &st.submitter))
                    .map(|(_, t)| t.value.clone())
                    .or_else(|| default.as_ref().map(|t| t.value.clone()))?;
                Some((s.name.clone(), to))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn return_and_resubmit_restart_what_they_invalidate_on_every_builtin_with_a_fork() {
    let with_fork: Vec<Definition> = workflows::builtin::builtin_definitions()
        .into_iter()
        .filter(|d| d.steps.iter().any(|s| matches!(s.kind, StepKind::Parallel { .. })))
        .collect();
    assert!(
        with_fork.len() >= 5,
        "the built-ins with a fork: {:?}",
        with_fork.iter().map(|d| &d.key).collect::<Vec<_>>()
    );
    for def in with_fork {
        let key = def.key.clone();
        let (submitter, form, other) = sample(&key);
        let w = World { def, dir: demo_directory(), cal: WorkCalendar::builtin(), submitter };
        let out = engine::submit(&w.env(start()), "R", &w.submitter, Channel::Api, &form).unwrap();
        let mut base = Case { st: out.state.clone(), events: out.events, now: start() };
        w.invariants(&base, "submitted");
        let mut tried = 0;
        for _ in 0..200 {
            if base.st.is_finished() {
                break;
            }
            for (task, who, to) in w.returns(&base) {
                for resubmit in std::iter::once(&form).chain(other.as_ref()) {
                    let what = format!("return of task {task} by {who} to {to:?}, resubmitted with {resubmit}");
                    let mut c = base.clone();
                    let ret = engine::handle(
                        &w.env(c.now),
                        &c.st,
                        &who,
                        Channel::Api,
                        Command::Return { task, comment: None, to: to.clone() },
                    );
                    let Ok(out) = ret else { continue };
                    tried += 1;
                    w.take(&mut c, out, &what);
                    if c.st.status == Status::Returned {
                        let sub = w.submitter.clone();
                        w.cmd(
                            &mut c,
                            &sub,
                            Command::Resubmit { form: Some(resubmit.clone()), guard: Default::default() },
                            &what,
                        );
                    } else if resubmit != &form {
                        continue;
                    }
                    w.finish(&mut c, &what);
                    assert_eq!(c.st.status, Status::Finished(Outcome::Approved), "{key}: {what}");
                    assert_eq!(Instance::replay(&c.events), c.st, "{key}: {what}: replay");
                    // Every switch that was decided after the last resubmission, or still
                    // carries the request, routed by the final form.
                    let want = route(&w.def, &c.st, resubmit);
                    let mut last: std::collections::BTreeMap<String, String> = Default::default();
                    let mut steps = std::collections::BTreeMap::new();
                    for e in &c.events {
                        match &e.kind {
                            EventKind::StepEntered { run, step, .. } => {
                                steps.insert(*run, step.clone());
                            }
                            EventKind::Routed { run, to, .. } => {
                                last.insert(steps[run].clone(), to.clone());
                            }
                            _ => {}
                        }
                    }
                    for (switch, to) in want {
                        if let Some(got) = last.get(&switch) {
                            assert_eq!(got, &to, "{key}: {what}: `{switch}` routed by an old form");
                        }
                    }
                }
            }
            // the main line goes on: the first open task is approved
            let next = base.st.open_tasks().next().map(|t| (t.id, t.assignee.clone(), t.kind, t.step.clone()));
            let Some((task, who, kind, step)) = next else {
                let t = base.st.timers.values().min_by_key(|t| (t.at, t.id.clone())).cloned().expect("a timer");
                base.now = base.now.max(t.at);
                let out = engine::fire(&w.env(base.now), &base.st, &t.id).unwrap();
                w.take(&mut base, out, "timer");
                continue;
            };
            let cmd = w.approve(task, kind, &step);
            w.cmd(&mut base, &who, cmd, "main line");
        }
        assert!(base.st.is_finished(), "{key}: the main line ends");
        assert!(tried > 0, "{key}: no return was tried");
        let _ = w.dir.admins();
    }
}

/// The M1 case of the issue: the college League returns from its branch to the president's
/// signature; on re-approval one fork opens (not a fork inside the fork), each liaison is asked
/// to acknowledge once, and the school SU branch's first tasks were closed by the return.
#[test]
fn m1_return_from_the_college_branch_to_the_signature_opens_one_fork_again() {
    let (submitter, form, _) = sample("major_matter_report");
    let w = World {
        def: workflows::builtin::builtin("major_matter_report").unwrap(),
        dir: demo_directory(),
        cal: WorkCalendar::builtin(),
        submitter,
    };
    let out = engine::submit(&w.env(start()), "R", &w.submitter, Channel::Api, &form).unwrap();
    let mut c = Case { st: out.state, events: out.events, now: start() };
    w.finish_step(&mut c, "president_sign");
    let liaisons: Vec<String> =
        c.st.open_tasks().filter(|t| t.step == "school_su_ack").map(|t| t.assignee.clone()).collect();
    assert!(!liaisons.is_empty());
    let t = c.st.open_tasks().find(|t| t.step == "league_review").unwrap().clone();
    w.cmd(
        &mut c,
        &t.assignee,
        Command::Return { task: t.id, comment: None, to: Some("president_sign".into()) },
        "return",
    );
    let open: Vec<&str> = c.st.open_tasks().map(|t| t.step.as_str()).collect();
    assert_eq!(open, ["president_sign"], "the school SU branch closed with the return");
    let before = c.events.len();
    w.finish_step(&mut c, "president_sign");
    let open: Vec<&str> = c.st.open_tasks().map(|t| t.step.as_str()).collect();
    assert_eq!(open.len(), 1 + liaisons.len(), "{open:?}");
    let asked: Vec<&str> = c.events[before..]
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TaskCreated { assignee, kind: TaskKind::Acknowledge, .. } => Some(assignee.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(asked, liaisons.iter().map(String::as_str).collect::<Vec<_>>(), "each liaison asked once");
}

impl World {
    fn finish_step(&self, c: &mut Case, step: &str) {
        let t = c.st.open_tasks().find(|t| t.step == step).unwrap().clone();
        self.cmd(c, &t.assignee, self.approve(t.id, t.kind, step), step);
    }

    /// Approve (or acknowledge) `task`, filling the step's decision form when it has one.
    /// The comment the step requires (`comment_required:`, e.g. an incident's written report).
    fn approve(&self, task: u32, kind: TaskKind, step: &str) -> Command {
        let decision = if kind == TaskKind::Acknowledge { "acknowledge" } else { "approve" };
        let comment = self
            .def
            .step(step)
            .filter(|s| s.decision.needs_comment(decision))
            .map(|_| "（测试）书面报告内容".to_string());
        match (fill(&self.def.key, step), kind) {
            (Some(fields), _) => Command::Decide { task, decision: decision.into(), comment, fields },
            (None, TaskKind::Approve) => Command::Approve { task, comment },
            (None, TaskKind::Acknowledge) => Command::Acknowledge { task, comment },
            (None, TaskKind::Score) => {
                let sheet = serde_json::json!({ "conduct": 80, "results": 80, "contact": 80 });
                let fields = sheet.as_object().cloned().unwrap_or_default();
                Command::Decide { task, decision: "score".into(), comment, fields }
            }
        }
    }
}
