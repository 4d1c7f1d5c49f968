//! `student_congress` (召开学生代表大会) against the demo university: who approves it, and its
//! guard — blocked while a department SU lacks this year's term transition (domain.md §3 M3),
//! naming the department SUs, unless the school League committee overrides it with a reason.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use serde_json::{Value, json};
use workflows::WorkCalendar;
use workflows::builtin::builtin;
use workflows::compliance::demo::{demo_day, demo_records, demo_requests};
use workflows::compliance::{Finding, findings};
use workflows::engine::{self, Channel, Command, EngineError, Env, EventKind, Status};
use workflows::guard::GuardFacts;
use workflows::model::Outcome;
use workflows::org::OrgDirectory;
use workflows::org::checks::CheckSettings;
use workflows::org::generate::{demo_directory, demo_people as dp};
use workflows::records::{RecordSet, TermTransition};

/// Monday 2025-11-24 09:00 (the demo's day).
fn monday() -> DateTime<Utc> {
    Shanghai.with_ymd_and_hms(2025, 11, 24, 9, 0, 0).unwrap().with_timezone(&Utc)
}

fn form() -> Value {
    json!({ "title": "关于召开南粤示例大学第十次学生代表大会的请示", "session": 10, "congress_date": "2026-03-20",
            "delegates": 40, "delegates_without_posts": 28, "agenda": "一、听取校学生会工作报告；二、选举新一届主席团。" })
}

fn findings_of(dir: &OrgDirectory, records: &RecordSet) -> Vec<Finding> {
    findings(dir, records, &demo_requests(), demo_day(), &CheckSettings::default(), &WorkCalendar::builtin())
}

fn submit(
    dir: &OrgDirectory,
    who: &str,
    found: &[Finding],
    reason: Option<&str>,
) -> Result<engine::Output, EngineError> {
    let def = builtin("student_congress").unwrap();
    let cal = WorkCalendar::builtin();
    let env = Env { def: &def, dir, cal: &cal, now: monday() };
    let facts = GuardFacts { findings: found.to_vec(), override_reason: reason.map(String::from) };
    engine::submit_guarded(&env, "C1", who, Channel::Api, &form(), &facts)
}

#[test]
fn the_congress_is_blocked_naming_the_department_without_its_term_transition() {
    let dir = demo_directory();
    let found = findings_of(&dir, &demo_records());
    // given the demo's art department SU has no term transition for 2025–26
    let err = submit(&dir, dp::SCHOOL_SU_SECRETARY_GENERAL, &found, None).unwrap_err();
    assert_eq!(err.code(), "guard_blocked");
    let EngineError::GuardBlocked { message, findings } = &err else { panic!("{err:?}") };
    assert_eq!(findings.len(), 1, "only the term transition blocks: {findings:?}");
    assert_eq!(findings[0].code, "m3_term_transition_missing");
    assert_eq!((findings[0].subject.id.as_str(), findings[0].subject.name.as_str()), ("art", "艺术学院学生会"));
    assert_eq!(
        message.zh, "以下院系学生会尚未完成本学年换届，校级学生代表大会暂不能召开：艺术学院学生会",
        "{message:?}"
    );
    assert!(message.en.contains("cannot be convened yet: 艺术学院学生会"), "{message:?}");
    // when art's transition is recorded, the congress is submitted with nothing overridden
    let mut records = demo_records();
    records.term_transitions.push(TermTransition {
        department: "art".into(),
        date: NaiveDate::from_ymd_opt(2025, 11, 20).unwrap(),
        term: 2025,
        request: None,
    });
    let found = findings_of(&dir, &records);
    assert!(found.iter().all(|f| f.code != "m3_term_transition_missing"));
    let out = submit(&dir, dp::SCHOOL_SU_SECRETARY_GENERAL, &found, None).unwrap();
    assert!(!out.events.iter().any(|e| matches!(e.kind, EventKind::GuardOverridden { .. })));
    assert_eq!(out.state.open_tasks().next().unwrap().assignee, dp::SCHOOL_SU_PRESIDENT);
    // an override reason given when nothing blocks is not recorded
    let out = submit(&dir, dp::LEAGUE_COMMITTEE_SECRETARY, &found, Some("无需覆盖")).unwrap();
    assert!(!out.events.iter().any(|e| matches!(e.kind, EventKind::GuardOverridden { .. })));
}

#[test]
fn the_league_committee_overrides_with_a_reason_the_school_su_may_not() {
    let dir = demo_directory();
    let found = findings_of(&dir, &demo_records());
    // the school SU secretary-general and president may not override
    for who in [dp::SCHOOL_SU_SECRETARY_GENERAL, dp::SCHOOL_SU_PRESIDENT] {
        let err = submit(&dir, who, &found, Some("时间紧")).unwrap_err();
        assert_eq!(err.code(), "guard_override_forbidden", "{who}: {err:?}");
    }
    // an empty reason is refused, whoever asks
    for reason in ["", "   "] {
        let err = submit(&dir, dp::LEAGUE_COMMITTEE_SECRETARY, &found, Some(reason)).unwrap_err();
        assert_eq!(err, EngineError::BadGuardOverride("required", err.to_string()));
    }
    let long = "理".repeat(workflows::guard::REASON_MAX_CHARS + 1);
    assert_eq!(
        submit(&dir, dp::LEAGUE_COMMITTEE_SECRETARY, &found, Some(&long)).unwrap_err().code(),
        "invalid_guard_override"
    );
    // the League committee's secretary overrides with a reason: submitted, the override on record
    let reason = "艺术学院换届大会已定于下周召开，经校团委研究同意先行筹备";
    let out = submit(&dir, dp::LEAGUE_COMMITTEE_SECRETARY, &found, Some(reason)).unwrap();
    let overridden: Vec<_> = out
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::GuardOverridden { guard, reason, findings } => Some((e.actor.clone(), *guard, reason, findings)),
            _ => None,
        })
        .collect();
    assert_eq!(overridden.len(), 1, "{:?}", out.events);
    let (actor, guard, said, what) = &overridden[0];
    assert_eq!(actor.person_id(), Some(dp::LEAGUE_COMMITTEE_SECRETARY));
    assert_eq!((*guard, said.as_str()), (0, reason));
    assert_eq!(what.iter().map(|f| f.subject.name.as_str()).collect::<Vec<_>>(), ["艺术学院学生会"]);
    assert!(matches!(out.events[0].kind, EventKind::Submitted { .. }), "submitted first, then the override");
    // and the request replays to the same state (the event changes nothing else)
    let replayed = workflows::engine::Instance::replay(&out.events);
    assert_eq!(replayed, out.state);
    assert_eq!(out.state.status, Status::Running);
}

#[test]
fn the_school_su_president_then_the_league_committee_approve_and_the_party_committee_is_copied() {
    let dir = demo_directory();
    let def = builtin("student_congress").unwrap();
    let cal = WorkCalendar::builtin();
    let env = Env { def: &def, dir: &dir, cal: &cal, now: monday() };
    let mut out = submit(&dir, dp::SCHOOL_SU_SECRETARY_GENERAL, &[], None).unwrap();
    let mut asked = Vec::new();
    loop {
        let Some(t) = out.state.open_tasks().next().cloned() else { break };
        asked.push((t.step.clone(), out.state.open_tasks().map(|t| t.assignee.clone()).collect::<Vec<_>>()));
        out =
            engine::handle(&env, &out.state, &t.assignee, Channel::Api, Command::Approve { task: t.id, comment: None })
                .unwrap();
    }
    assert_eq!(
        asked,
        [
            ("su_president_approve".to_string(), vec![dp::SCHOOL_SU_PRESIDENT.to_string()]),
            (
                "league_committee_approve".to_string(),
                vec![dp::LEAGUE_COMMITTEE_SECRETARY.to_string(), dp::LEAGUE_COMMITTEE_DEPUTY.to_string()]
            ),
        ]
    );
    assert_eq!(out.state.status, Status::Finished(Outcome::Approved));
    let copied: Vec<&String> = out
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Copied { to, .. } => Some(to),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(copied, [dp::PARTY_COMMITTEE_DEPUTY]);
    // submitted by the school SU president, the president's own step is skipped
    let out = submit(&dir, dp::SCHOOL_SU_PRESIDENT, &[], None).unwrap();
    assert_eq!(out.state.open_tasks().next().unwrap().step, "league_committee_approve");
    // a department SU president may not submit it
    assert_eq!(submit(&dir, dp::CS_SU_PRESIDENT, &[], None).unwrap_err().code(), "not_a_submitter");
}
