//! Properties of every built-in definition under random decisions and timer firings: every request
//! ends within a bound, no task is ever assigned to nobody, and replaying the events gives the state.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use proptest::prelude::*;
use serde_json::{Value, json};
use workflows::WorkCalendar;
use workflows::engine::{self, Channel, Command, EngineError, Env, EventKind, Instance, Status, TaskKind};
use workflows::org::Directory;
use workflows::org::generate::{demo_directory, demo_people as dp};

/// A submitter and a valid form for each built-in definition.
fn sample(key: &str) -> (String, Value) {
    let delegate = {
        let day = chrono::NaiveDate::from_ymd_opt(2025, 11, 24).unwrap();
        demo_directory().holders("student_congress", &[workflows::catalog::Role::Delegate], day)[0].person.clone()
    };
    let (who, form) = match key {
        "major_matter_report" => (
            dp::CS_SU_VICE_PRESIDENT.to_string(),
            json!({ "kind": "request", "matter_type": "major_meeting", "title": "请示", "body": "……", "event_date": "2026-01-20" }),
        ),
        "class_major_matter_report" => {
            (dp::CS_2023_1_MONITOR.into(), json!({ "kind": "request", "title": "请示", "body": "……" }))
        }
        "incident_report" => (
            dp::CS_SU_VICE_PRESIDENT.into(),
            json!({ "incident_type": "emergency_incident", "title": "突发事件首报", "occurred_at": "2025-11-24T08:00:00+08:00", "body": "……" }),
        ),
        "liaison_assignment" => (
            dp::SCHOOL_SU_PRESIDENT.into(),
            json!({ "term": "2025秋", "plan": "……", "departments": ["cs", "law"], "from": "2025-12-01", "liaisons": [{ "person": "2023010215", "department": "cs" }] }),
        ),
        "staff_selection" => (
            dp::CS_SU_PRESIDENT.into(),
            json!({ "candidate": "2023010215", "candidate_name": "某", "position": "presidium", "top_30_percent": true, "no_failed_courses": true, "reasons": "……", "appointment_date": "2025-12-08" }),
        ),
        "training_filing" => (
            dp::CS_SU_PRESIDENT.into(),
            json!({ "title": "培训计划", "phase": "plan", "semester": "autumn", "first_session": "2026-01-10", "content": "……" }),
        ),
        "onboarding" => (
            dp::CS_SU_PRESIDENT.into(),
            json!({ "new_staff": "2023010215", "new_staff_name": "某", "appointed_on": "2025-11-20" }),
        ),
        "proposal_handling" => (delegate, json!({ "title": "提案", "area": "study", "body": "……" })),
        "activity_undertaking" => (
            dp::SCHOOL_SU_PRESIDENT.into(),
            json!({ "title": "活动", "department": "art", "event_date": "2026-03-20", "major": true, "plan": "……" }),
        ),
        "activity_cohost" => (
            dp::CS_SU_PRESIDENT.into(),
            json!({ "title": "活动", "event_date": "2026-03-20", "plan": "……", "cohost_departments": ["ee"], "key_classes": ["cs-2023-1"] }),
        ),
        "support_request" => {
            (dp::CS_SU_PRESIDENT.into(), json!({ "title": "支持", "support": ["venue"], "detail": "……" }))
        }
        "service_project" => (
            dp::CS_SU_VICE_PRESIDENT.into(),
            json!({ "title": "项目", "plan": "……", "co_design_input": "……", "co_design_students": 5, "evaluation_students": 40 }),
        ),
        "annual_work_report" => (
            dp::CS_SU_PRESIDENT.into(),
            json!({ "year": 2025, "title": "报告", "report": "……", "symposium_date": "2025-11-10", "classes_attended": 5, "non_graduating_classes": 6 }),
        ),
        "federation_annual_summary" => (
            dp::SCHOOL_SU_PRESIDENT.into(),
            json!({ "year": 2025, "next_year": 2026, "summary": "……", "plan": "……", "internal_deadline": "2025-12-15" }),
        ),
        "annual_assessment" => (
            dp::SCHOOL_SU_PRESIDENT.into(),
            json!({ "year": 2025, "department": "econ", "total": 50, "grade": "poor", "findings": "……" }),
        ),
        "duty_review" => {
            (dp::SCHOOL_SU_PRESIDENT.into(), json!({ "semester": "2025秋", "report": "……", "ledger_entries": 3 }))
        }
        "term_transition" => (
            dp::CS_SU_PRESIDENT.into(),
            json!({ "title": "换届", "transition_date": "2025-12-01", "congress_held": "2025-11-28", "report": "……", "cohort": [{ "person": "2023010215", "role": "president" }] }),
        ),
        "student_congress" => (
            dp::SCHOOL_SU_SECRETARY_GENERAL.into(),
            json!({ "title": "关于召开第十次学生代表大会的请示", "session": 10, "congress_date": "2026-03-20", "delegates": 40, "agenda": "……" }),
        ),
        "department_staff_selection" => (
            dp::CS_SU_PRESIDENT.into(),
            json!({ "candidate": "2023010215", "candidate_name": "某", "role": "division_member", "class_cadre": false, "appointment_date": "2025-12-08", "reasons": "……" }),
        ),
        other => panic!("no sample for {other}"),
    };
    (who, form)
}

/// What the reviewer of `step` fills when deciding (the step's `fields:`), if it asks.
fn fill(key: &str, step: &str) -> Option<serde_json::Map<String, Value>> {
    let v = match (key, step) {
        ("proposal_handling", "classify") => json!({ "lead_office": "library", "co_offices": ["academic_affairs"] }),
        // Always unsatisfied: the loop back to handling must still end.
        ("proposal_handling", "proposer_rating") => json!({ "rating": "unsatisfied", "rating_comment": "未解决" }),
        _ => return None,
    };
    v.as_object().cloned()
}

fn start() -> DateTime<Utc> {
    Shanghai.with_ymd_and_hms(2025, 11, 24, 9, 0, 0).unwrap().with_timezone(&Utc)
}

/// One move of the random process.
#[derive(Debug, Clone, Copy)]
enum Move {
    /// Act on the open task at this index (mod the count) with this decision (0 approve, 1 reject, 2 return).
    Act(usize, u8),
    /// Let time pass to the next timer.
    Wait,
}

fn moves() -> impl Strategy<Value = Vec<Move>> {
    prop::collection::vec(
        prop_oneof![4 => (0usize..8, 0u8..3).prop_map(|(i, d)| Move::Act(i, d)), 1 => Just(Move::Wait)],
        1..400,
    )
}

const BOUND: usize = 400;

fn drive(key: &str, script: &[Move]) -> Result<(), TestCaseError> {
    let def = workflows::builtin::builtin(key).unwrap();
    let dir = demo_directory();
    let cal = WorkCalendar::builtin();
    let (submitter, form) = sample(key);
    let mut now = start();
    let env = Env { def: &def, dir: &dir, cal: &cal, now };
    let out = engine::submit(&env, "R", &submitter, Channel::Api, &form)
        .map_err(|e| TestCaseError::fail(format!("{key}: {e}")))?;
    let mut events = out.events;
    let mut st: Instance = out.state;
    let mut returns = 0;
    for step in 0..BOUND {
        if st.is_finished() {
            break;
        }
        let env = Env { def: &def, dir: &dir, cal: &cal, now };
        let out = if st.status == Status::Returned {
            returns += 1;
            let cmd = if returns > 3 {
                Command::Abandon
            } else {
                Command::Resubmit { form: None, guard: Default::default() }
            };
            engine::handle(&env, &st, &submitter, Channel::Api, cmd)
        } else {
            let open: Vec<(u32, String, TaskKind, String)> =
                st.open_tasks().map(|t| (t.id, t.assignee.clone(), t.kind, t.step.clone())).collect();
            // Past the script, everyone approves: the bound is about the process, not the dice.
            let mv = script.get(step).copied().unwrap_or(Move::Act(0, 0));
            match (mv, open.is_empty()) {
                (Move::Act(i, d), false) => {
                    let (task, who, kind, step) = open[i % open.len()].clone();
                    // with the comment the step requires (an incident's written and final reports)
                    let decision = if kind == TaskKind::Acknowledge { "acknowledge" } else { "approve" };
                    let comment = def
                        .step(&step)
                        .filter(|s| s.decision.needs_comment(decision))
                        .map(|_| "（测试）书面报告内容".to_string());
                    let approve = || match fill(key, &step) {
                        Some(fields) => {
                            Command::Decide { task, decision: decision.into(), comment: comment.clone(), fields }
                        }
                        None if kind == TaskKind::Acknowledge => {
                            Command::Acknowledge { task, comment: comment.clone() }
                        }
                        None => Command::Approve { task, comment: comment.clone() },
                    };
                    // A score sheet: high or low marks on every criterion (d decides which).
                    let cmd = match (kind, d) {
                        (TaskKind::Score, d) => {
                            let fields = workflows::score::uniform_sheet(&def, &step, d != 1);
                            Command::Decide { task, decision: "score".into(), comment: None, fields }
                        }
                        (TaskKind::Acknowledge, _) => approve(),
                        (_, 1) => Command::Reject { task, comment: Some("理由".into()) },
                        (_, 2) => Command::Return { task, comment: None, to: None },
                        _ => approve(),
                    };
                    match engine::handle(&env, &st, &who, Channel::Api, cmd.clone()) {
                        Err(EngineError::NotAllowed(_)) => engine::handle(&env, &st, &who, Channel::Api, approve()),
                        other => other,
                    }
                }
                _ => {
                    let Some(t) = st.timers.values().min_by_key(|t| (t.at, t.id.clone())).cloned() else {
                        if open.is_empty() {
                            return Err(TestCaseError::fail(format!("{key}: running with no task and no timer")));
                        }
                        continue;
                    };
                    now = now.max(t.at);
                    let env = Env { def: &def, dir: &dir, cal: &cal, now };
                    engine::fire(&env, &st, &t.id)
                }
            }
        }
        .map_err(|e| TestCaseError::fail(format!("{key}: {e}")))?;
        events.extend(out.events);
        st = out.state;
        // Nobody holds two open tasks of one step, and no fork runs inside one of its own branches.
        let mut seats = std::collections::BTreeSet::new();
        for t in st.open_tasks() {
            prop_assert!(
                seats.insert((t.step.clone(), t.assignee.clone())),
                "{key}: {} holds two `{}` tasks",
                t.assignee,
                t.step
            );
        }
        for r in st.runs.values() {
            let mut cur = r.parent.clone();
            while let Some((p, _)) = cur {
                prop_assert!(st.runs[&p].step != r.step, "{key}: `{}` opened inside itself", r.step);
                cur = st.runs[&p].parent.clone();
            }
        }
    }
    prop_assert!(st.is_finished(), "{key}: not finished after {BOUND} moves: {:?}", st.status);
    for e in &events {
        if let EventKind::TaskCreated { assignee, .. } = &e.kind {
            prop_assert!(
                !assignee.is_empty() && dir.person(assignee).is_some(),
                "{key}: task for unknown `{assignee}`"
            );
        }
    }
    prop_assert_eq!(Instance::replay(&events), st, "{}: replaying the events gives the state", key);
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    prop_assert_eq!(seqs, (1..=events.len() as u64).collect::<Vec<_>>());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn every_builtin_ends_assigns_real_people_and_replays(script in moves()) {
        for (file, _) in workflows::builtin::BUILTIN {
            drive(file.trim_end_matches(".yaml"), &script)?;
        }
    }
}
