//! Each built-in definition driven end to end against the demo university (南粤示例大学), asserting
//! what the people involved would see: who is asked at each step, when, and how it ends.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use workflows::WorkCalendar;
use workflows::builtin::builtin;
use workflows::catalog::Role;
use workflows::engine::{self, Channel, Command, Env, EventKind, Instance, Status, TaskKind};
use workflows::model::Outcome;
use workflows::org::generate::{demo_directory, demo_people as dp};
use workflows::org::{Directory, OrgDirectory};
use workflows::simulate::{Choice, Script, Transcript, simulate};

fn sh(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Shanghai.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap().with_timezone(&Utc)
}

/// Monday 2025-11-24 09:00.
fn monday() -> DateTime<Utc> {
    sh(2025, 11, 24, 9)
}

fn run(key: &str, submitter: &str, form: Value, at: DateTime<Utc>, script: Script) -> Transcript {
    let def = builtin(key).expect("built-in");
    simulate(&def, &demo_directory(), &WorkCalendar::builtin(), submitter, &form, at, &script).expect("accepted")
}

/// Step → the people asked there, in order.
fn asked(t: &Transcript) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut steps = BTreeMap::new();
    for e in &t.events {
        match &e.kind {
            EventKind::StepEntered { run, step, .. } => {
                steps.insert(*run, step.clone());
            }
            EventKind::TaskCreated { run, assignee, .. } => {
                out.entry(steps[run].clone()).or_default().push(assignee.clone())
            }
            _ => {}
        }
    }
    out
}

fn outcome(t: &Transcript) -> Status {
    t.state.status
}

fn holders(body: &str, role: Role) -> Vec<String> {
    let day = chrono::NaiveDate::from_ymd_opt(2025, 11, 24).unwrap();
    demo_directory().holders(body, &[role], day).into_iter().map(|p| p.person.clone()).collect()
}

fn m1_form(kind: &str) -> Value {
    json!({ "kind": kind, "matter_type": "major_meeting", "title": "计算机学院学生会关于召开第五次学生代表大会的请示",
            "body": "拟于2025年12月召开第五次学生代表大会。", "event_date": "2026-01-20" })
}

#[test]
fn m1_opens_both_branches_at_once_and_reaches_the_liaison() {
    // given the vice-president of the CS department SU submits a request on Friday 26 Sep 2025, 17:00
    let def = builtin("major_matter_report").unwrap();
    let dir = demo_directory();
    let cal = WorkCalendar::builtin();
    let env = Env { def: &def, dir: &dir, cal: &cal, now: sh(2025, 9, 26, 17) };
    let out = engine::submit(&env, "R1", dp::CS_SU_VICE_PRESIDENT, Channel::Api, &m1_form("request")).unwrap();
    // the president signs first
    let sign = out.state.open_tasks().next().unwrap().clone();
    assert_eq!(sign.assignee, dp::CS_SU_PRESIDENT);
    // when the president approves
    let out = engine::handle(
        &env,
        &out.state,
        dp::CS_SU_PRESIDENT,
        Channel::Api,
        Command::Approve { task: sign.id, comment: None },
    )
    .unwrap();
    // then both branches' tasks are created in this one command, at the same instant
    let created: Vec<(&str, DateTime<Utc>)> = out
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TaskCreated { assignee, .. } => Some((assignee.as_str(), e.at)),
            _ => None,
        })
        .collect();
    let who: Vec<&str> = created.iter().map(|c| c.0).collect();
    assert!(who.contains(&dp::CS_LEAGUE_SECRETARY), "{who:?}");
    assert!(who.contains(&dp::SCHOOL_SU_PRESIDENT), "the school SU branch reaches the cs liaison: {who:?}");
    assert!(created.iter().all(|c| c.1 == created[0].1));
    // and the liaison is exactly the department's M2 contacts (a presidium member and a division head)
    let liaisons: Vec<String> = dir
        .liaisons_of("cs", chrono::NaiveDate::from_ymd_opt(2025, 9, 26).unwrap())
        .iter()
        .map(|l| l.person.clone())
        .collect();
    let ack: Vec<&str> =
        out.state.open_tasks().filter(|t| t.step == "school_su_ack").map(|t| t.assignee.as_str()).collect();
    assert_eq!(ack, liaisons.iter().map(String::as_str).collect::<Vec<_>>());
}

#[test]
fn m1_escalates_to_the_secretary_general_then_the_league_committee() {
    // given nobody at the school SU acknowledges; the college decides at once
    let t = run(
        "major_matter_report",
        dp::CS_SU_PRESIDENT,
        m1_form("report"),
        sh(2025, 9, 26, 17),
        Script::default().with("school_su_ack", &[Choice::Wait, Choice::Wait, Choice::Approve]),
    );
    // then the escalations come on working-day time: Sun 28 Sep is a 调休 working day, Oct 1–8 are off
    let escalations: Vec<(String, DateTime<Utc>)> = t
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Escalated { to, .. } => Some((to.join(","), e.at)),
            _ => None,
        })
        .collect();
    assert_eq!(
        escalations,
        [
            (dp::SCHOOL_SU_SECRETARY_GENERAL.to_string(), sh(2025, 9, 28, 17)),
            (dp::LEAGUE_COMMITTEE_SECRETARY.to_string(), sh(2025, 9, 30, 17)),
        ]
    );
    // and the case closes approved only once the school SU branch is acknowledged
    assert_eq!(outcome(&t), Status::Finished(Outcome::Approved));
    assert_eq!(t.state.finished_at, Some(sh(2025, 9, 30, 17)));
    // a report goes to the Party org for acknowledgement, not a decision
    assert_eq!(asked(&t)["party_ack"], [dp::CS_PARTY_DEPUTY]);
    assert!(!asked(&t).contains_key("party_approve"));
}

#[test]
fn m1_request_is_decided_by_the_party_org_and_a_rejection_ends_it() {
    let t = run("major_matter_report", dp::CS_SU_PRESIDENT, m1_form("request"), monday(), Script::default());
    assert_eq!(asked(&t)["party_approve"], [dp::CS_PARTY_DEPUTY]);
    assert_eq!(outcome(&t), Status::Finished(Outcome::Approved));

    let t = run(
        "major_matter_report",
        dp::CS_SU_PRESIDENT,
        m1_form("request"),
        monday(),
        Script::default().with("league_review", &[Choice::Reject]),
    );
    assert_eq!(outcome(&t), Status::Finished(Outcome::Rejected));
    assert!(t.state.open_tasks().next().is_none(), "the school SU branch is closed too");
}

#[test]
fn m1_return_and_resubmit_resumes_where_it_stood() {
    let t = run(
        "major_matter_report",
        dp::CS_SU_PRESIDENT,
        m1_form("request"),
        monday(),
        Script::default().with("league_review", &[Choice::Return, Choice::Approve]),
    );
    let kinds: Vec<&str> = t
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::ReturnedToSubmitter { .. } => Some("returned"),
            EventKind::Resubmitted { .. } => Some("resubmitted"),
            _ => None,
        })
        .collect();
    assert_eq!(kinds, ["returned", "resubmitted"]);
    assert_eq!(asked(&t)["league_review"], [dp::CS_LEAGUE_SECRETARY, dp::CS_LEAGUE_SECRETARY]);
    assert_eq!(t.state.round, 2);
    assert_eq!(outcome(&t), Status::Finished(Outcome::Approved));
}

#[test]
fn m1_violations_are_need_to_know_and_late_meetings_warned() {
    let def = builtin("major_matter_report").unwrap();
    let mut incident = m1_form("report");
    incident["matter_type"] = json!("sensitive_incident");
    let mut form = m1_form("report");
    form["matter_type"] = json!("major_violation_handling");
    let dir = demo_directory();
    let cal = WorkCalendar::builtin();
    let env = Env { def: &def, dir: &dir, cal: &cal, now: monday() };
    // incidents have their own workflow (incident_report): this form no longer offers them
    assert!(matches!(
        engine::submit(&env, "R0", dp::CS_SU_PRESIDENT, Channel::Api, &incident),
        Err(engine::EngineError::InvalidForm(f)) if f[0].field == "matter_type"
    ));
    let out = engine::submit(&env, "R1", dp::CS_SU_PRESIDENT, Channel::Api, &form).unwrap();
    assert!(out.state.need_to_know);
    assert!(out.state.on_path(dp::CS_LEAGUE_SECRETARY) && !out.state.on_path(dp::CS_PARTY_SECRETARY));

    let mut late = m1_form("request");
    late["event_date"] = json!("2025-12-05");
    let out = engine::submit(&env, "R2", dp::CS_SU_PRESIDENT, Channel::Api, &late).unwrap();
    assert!(
        out.events.iter().any(|e| matches!(e.kind, EventKind::LeadTimeWarning { .. })),
        "20 working days before a major meeting"
    );
}

#[test]
fn class_report_reaches_the_contact_and_a_counselor() {
    let t = run(
        "class_major_matter_report",
        dp::CS_2023_1_MONITOR,
        json!({ "kind": "request", "title": "班级团日活动经费请示", "body": "申请经费500元。" }),
        monday(),
        Script::default(),
    );
    let a = asked(&t);
    let contact = &a["contact_ack"];
    assert_eq!(contact.len(), 1);
    assert!(
        holders("department_su@cs", Role::VicePresident).contains(&contact[0])
            || holders("department_su@cs", Role::President).contains(&contact[0])
    );
    assert_eq!(a["counselor_ack"], holders("department_party_org@cs", Role::Counselor));
    assert_eq!(a["president_decision"], [dp::CS_SU_PRESIDENT]);
    assert_eq!(outcome(&t), Status::Finished(Outcome::Approved));
}

#[test]
fn liaison_assignment_needs_three_of_five_and_copies_departments() {
    let t = run(
        "liaison_assignment",
        dp::SCHOOL_SU_PRESIDENT,
        json!({ "term": "2025—2026学年第一学期", "plan": "主席团成员、工作部门负责人联系各院系。", "departments": ["cs", "law"],
                "from": "2025-12-01", "liaisons": [{ "person": "2023010215", "department": "cs" }, { "person": "2023010215", "class": "cs-2023-1" }] }),
        monday(),
        Script::default(),
    );
    let approvals = t.events.iter().filter(|e| matches!(e.kind, EventKind::TaskDecided { .. })).count();
    assert_eq!(asked(&t)["presidium_agree"].len(), 5);
    assert!(approvals >= 4, "3 presidium approvals and the League committee");
    let copied: Vec<String> = t
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Copied { to, .. } => Some(to.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(
        copied,
        [
            holders("department_su@cs", Role::President)[0].clone(),
            holders("department_su@law", Role::President)[0].clone()
        ]
    );
    assert_eq!(outcome(&t), Status::Finished(Outcome::Approved));
}

fn selection_form(top: bool) -> Value {
    json!({ "candidate": "2023010215", "candidate_name": "候选人", "position": "division_member",
            "top_30_percent": top, "no_failed_courses": true, "class_cadre": true, "reasons": "工作积极。",
            "appointment_date": "2025-12-08" })
}

#[test]
fn staff_selection_chain_and_public_notice_that_passes_by_itself() {
    let t = run(
        "staff_selection",
        dp::CS_SU_PRESIDENT,
        selection_form(true),
        monday(),
        Script::default().with("public_notice", &[Choice::Wait]),
    );
    let a = asked(&t);
    assert_eq!(a["league_recommend"], [dp::CS_LEAGUE_SECRETARY]);
    assert_eq!(a["affairs_review"], holders("student_affairs_office", Role::Reviewer));
    assert_eq!(a["public_notice"], [dp::SCHOOL_SU_SECRETARY_GENERAL]);
    assert!(
        t.events.iter().any(|e| matches!(e.kind, EventKind::AutoActed { .. })),
        "公示 ends by itself after 5 working days"
    );
    assert_eq!(outcome(&t), Status::Finished(Outcome::Approved));
    assert_eq!(t.state.finished_at, Some(sh(2025, 12, 1, 9)));

    let t = run("staff_selection", dp::CS_SU_PRESIDENT, selection_form(false), monday(), Script::default());
    assert_eq!(outcome(&t), Status::Finished(Outcome::Rejected));
    assert!(asked(&t).is_empty(), "an ineligible candidate asks nobody");
}

#[test]
fn training_filing_is_acknowledged_not_approved() {
    let form = json!({ "title": "2025年秋季学期院系学生会培训计划", "phase": "plan", "semester": "autumn",
                       "first_session": "2025-11-26", "trainees": 40, "content": "履职培训三次。" });
    let t = run("training_filing", dp::CS_SU_PRESIDENT, form, monday(), Script::default());
    assert!(
        t.events.iter().any(|e| matches!(e.kind, EventKind::LeadTimeWarning { .. })),
        "plans are filed 5 working days ahead"
    );
    assert!(t.events.iter().all(|e| !matches!(&e.kind, EventKind::TaskCreated { kind: TaskKind::Approve, .. })));
    assert_eq!(asked(&t)["filing"].len(), 2, "the cs liaisons");
    assert_eq!(outcome(&t), Status::Finished(Outcome::Approved));
}

#[test]
fn onboarding_escalates_after_a_month() {
    let form = json!({ "new_staff": "2023010215", "new_staff_name": "新干事", "appointed_on": "2025-11-24" });
    let t = run(
        "onboarding",
        dp::CS_SU_PRESIDENT,
        form,
        monday(),
        Script::default().with("complete", &[Choice::Wait, Choice::Approve]),
    );
    let reminders: Vec<DateTime<Utc>> =
        t.events.iter().filter(|e| matches!(e.kind, EventKind::Reminded { .. })).map(|e| e.at).collect();
    assert_eq!(reminders[0], sh(2025, 12, 15, 9), "day 21");
    let esc = t.events.iter().find(|e| matches!(e.kind, EventKind::Escalated { .. })).unwrap();
    assert_eq!(esc.at, sh(2025, 12, 24, 9), "one calendar month");
    assert_eq!(outcome(&t), Status::Finished(Outcome::Approved));
}

/// (rung, people, when) of every escalation of a transcript.
fn escalations(t: &Transcript) -> Vec<(usize, Vec<String>, DateTime<Utc>)> {
    t.events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Escalated { rung, to, .. } => Some((*rung, to.clone(), e.at)),
            _ => None,
        })
        .collect()
}

#[test]
fn onboarding_clock_runs_from_the_appointment_date_and_rungs_are_distinct_people() {
    // given the CS department SU president submits on Monday 24 Nov 2025 an onboarding for a member
    // appointed two weeks earlier, on 10 Nov, and nobody acts
    let form = json!({ "new_staff": "2023010215", "new_staff_name": "新干事", "appointed_on": "2025-11-10" });
    let t = run("onboarding", dp::CS_SU_PRESIDENT, form, monday(), Script::default().with("complete", &[Choice::Wait]));
    // then the month runs from 10 Nov: due 10 Dec, day-21 reminder on 1 Dec
    let due = t.state.runs.values().find(|r| r.step == "complete").unwrap().due_at;
    assert_eq!(due, Some(sh(2025, 12, 10, 9)));
    let reminders: Vec<DateTime<Utc>> =
        t.events.iter().filter(|e| matches!(e.kind, EventKind::Reminded { .. })).map(|e| e.at).collect();
    assert_eq!(reminders[0], sh(2025, 12, 1, 9), "day 21 after the appointment");
    // and the ladder: the submitter (the president) at one month; the president again at 35 days
    // asks nobody new, so it goes straight on to the League secretary — three distinct people
    assert_eq!(
        escalations(&t),
        [
            (0, vec![dp::CS_SU_PRESIDENT.to_string()], sh(2025, 12, 10, 9)),
            (2, vec![dp::CS_LEAGUE_SECRETARY.to_string()], sh(2025, 12, 15, 9)),
        ]
    );
}

#[test]
fn onboarding_of_school_su_staff_climbs_the_school_su() {
    // given a school SU division head (a student of a department) submits an onboarding
    let head = holders("school_su", Role::DivisionHead)[0].clone();
    let form = json!({ "new_staff": "2023010215", "new_staff_name": "新干事", "appointed_on": "2025-11-24" });
    let t = run("onboarding", &head, form, monday(), Script::default().with("complete_school", &[Choice::Wait]));
    // then it climbs division head → school SU president → 校团委, never the home department
    let people: Vec<Vec<String>> = escalations(&t).into_iter().map(|(_, p, _)| p).collect();
    assert_eq!(
        people,
        [
            vec![head.clone()],
            vec![dp::SCHOOL_SU_PRESIDENT.to_string()],
            vec![dp::LEAGUE_COMMITTEE_SECRETARY.to_string()]
        ]
    );
    let home = demo_directory().person(&head).unwrap().department.clone().unwrap();
    let home_people: Vec<String> = [Role::President, Role::Secretary]
        .into_iter()
        .flat_map(|r| {
            holders(&format!("department_su@{home}"), r)
                .into_iter()
                .chain(holders(&format!("department_league_org@{home}"), r))
        })
        .collect();
    assert!(!home_people.is_empty());
    assert!(
        !t.events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::TaskCreated { assignee, .. } if home_people.contains(assignee))),
        "nobody of the home department {home} is asked"
    );
}

#[test]
fn proposal_goes_to_the_offices_the_school_su_chose_in_parallel() {
    let delegate = holders("student_congress", Role::Delegate)[0].clone();
    let form = json!({ "title": "关于延长图书馆开放时间的提案", "area": "study", "body": "建议考试周延长至23点。" });
    let script = Script::default()
        .fill("classify", &[json!({ "lead_office": "library", "co_offices": ["academic_affairs", "hospital"] })])
        .fill("proposer_rating", &[json!({ "rating": "satisfied", "rating_comment": "已延长" })]);
    let t = run("proposal_handling", &delegate, form, monday(), script);
    let a = asked(&t);
    assert_eq!(a["lead_reply"], holders("functional_office:library", Role::Handler));
    assert_eq!(
        a["co_opinions"],
        [dp::ACADEMIC_AFFAIRS_HANDLER.to_string(), holders("functional_office:hospital", Role::Handler)[0].clone()]
    );
    assert_eq!(a["compile"], [dp::RIGHTS_DIVISION_HEAD]);
    assert_eq!(a["proposer_rating"], [delegate]);
    assert_eq!(t.state.form["lead_office"], "library", "the offices chosen are part of the request's data");
    assert_eq!(t.state.form["rating"], "satisfied");
    assert_eq!(outcome(&t), Status::Finished(Outcome::Approved));
}

#[test]
fn overdue_offices_are_chased_up_to_the_school_leader() {
    let delegate = holders("student_congress", Role::Delegate)[1].clone();
    let form = json!({ "title": "关于食堂的提案", "area": "health", "body": "……" });
    let t = run(
        "proposal_handling",
        &delegate,
        form,
        monday(),
        Script::default()
            .with("lead_reply", &[Choice::Wait, Choice::Wait, Choice::Approve])
            .fill("classify", &[json!({ "lead_office": "logistics" })])
            .fill("proposer_rating", &[json!({ "rating": "basically_satisfied" })]),
    );
    let to: Vec<String> = t
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Escalated { to, .. } => Some(to.join(",")),
            _ => None,
        })
        .collect();
    assert_eq!(to, [dp::LEAGUE_COMMITTEE_SECRETARY, dp::PARTY_COMMITTEE_DEPUTY]);
    assert!(!asked(&t).contains_key("co_opinions"), "no co-handling office: that branch passes");
    assert_eq!(outcome(&t), Status::Finished(Outcome::Approved));
}

#[test]
fn an_unsatisfied_proposer_sends_it_back_once_and_the_second_rating_ends_it() {
    let delegate = holders("student_congress", Role::Delegate)[0].clone();
    let form = json!({ "title": "关于宿舍热水的提案", "area": "health", "body": "……" });
    let script = Script::default()
        .fill("classify", &[json!({ "lead_office": "logistics" })])
        .fill("proposer_rating", &[json!({ "rating": "unsatisfied", "rating_comment": "未解决" })]);
    let t = run("proposal_handling", &delegate, form, monday(), script);
    let entered = |step: &str| {
        t.events.iter().filter(|e| matches!(&e.kind, EventKind::StepEntered { step: s, .. } if s == step)).count()
    };
    assert_eq!(entered("lead_reply"), 2, "handled twice: once, and once more after the unsatisfied rating");
    assert_eq!(entered("proposer_rating"), 2, "rated twice");
    assert!(t.events.iter().any(
        |e| matches!(&e.kind, EventKind::VisitsExhausted { step, visits: 2, to } if step == "handling" && to == "done")
    ));
    assert_eq!(outcome(&t), Status::Finished(Outcome::Approved));
    assert_eq!(t.state.form["rating"], "unsatisfied");
}

#[test]
fn the_committee_merges_or_converts_a_proposal() {
    let delegate = holders("student_congress", Role::Delegate)[0].clone();
    let form = json!({ "title": "关于食堂的提案", "area": "health", "body": "……" });
    let merge = Script::default()
        .with("committee_review", &[Choice::Option("merge".into())])
        .fill("committee_review", &[json!({ "merged_into": "R-2025-0001" })]);
    let t = run("proposal_handling", &delegate, form.clone(), monday(), merge);
    assert_eq!(outcome(&t), Status::Finished(Outcome::Merged));
    assert_eq!(t.state.form["merged_into"], "R-2025-0001");
    assert!(!asked(&t).contains_key("classify"));
    let convert = Script::default().with("committee_review", &[Choice::Option("convert".into())]);
    let t = run("proposal_handling", &delegate, form, monday(), convert);
    assert_eq!(outcome(&t), Status::Finished(Outcome::Converted));
}

#[test]
fn activities_undertaken_and_cohosted() {
    let form = json!({ "title": "校园十佳歌手大赛", "department": "art", "event_date": "2026-03-20", "major": true, "plan": "……" });
    let t = run("activity_undertaking", dp::SCHOOL_SU_PRESIDENT, form, monday(), Script::default());
    let a = asked(&t);
    assert_eq!(a["department_accepts"], holders("department_su@art", Role::President));
    assert_eq!(a["league_approval"], [dp::LEAGUE_COMMITTEE_SECRETARY]);
    assert_eq!(outcome(&t), Status::Finished(Outcome::Approved));

    let head = holders("department_su@cs", Role::DivisionHead)[0].clone();
    let key_class =
        demo_directory().org().classes.iter().find(|c| c.department == "cs" && c.key_class).unwrap().code.clone();
    let form = json!({ "title": "计算机学院编程马拉松", "event_date": "2026-01-10", "major": false, "plan": "……",
                       "cohost_departments": ["ee"], "key_classes": [key_class] });
    let t = run("activity_cohost", &head, form, monday(), Script::default());
    let a = asked(&t);
    assert_eq!(a["approval_chain"], [dp::CS_SU_PRESIDENT, "T0103", dp::CS_PARTY_DEPUTY], "one after another");
    assert_eq!(a["cohost_confirm"], holders("department_su@ee", Role::President));
    assert_eq!(a["class_confirm"].len(), 1);
    assert_eq!(outcome(&t), Status::Finished(Outcome::Approved));
    // the approved activity records its co-hosts (M6 共同主办)
    match &t.records[..] {
        [workflows::records::outcome::Record::CoHost(c)] => {
            assert_eq!((c.host.as_str(), c.title.as_str()), ("department_su@cs", "计算机学院编程马拉松"));
            assert_eq!((c.cohosts.clone(), c.co_undertakers.clone()), (vec!["ee".to_string()], vec![key_class]));
            assert_eq!(c.date.to_string(), "2026-01-10");
        }
        other => panic!("one co_host record, not {other:?}"),
    }
    // an activity with neither co-hosts nor co-undertakers records none
    let form = json!({ "title": "计算机学院迎新晚会", "event_date": "2026-01-10", "plan": "……" });
    let t = run("activity_cohost", &head, form, monday(), Script::default());
    assert_eq!(outcome(&t), Status::Finished(Outcome::Approved));
    assert!(t.records.is_empty(), "{:?}", t.records);

    // a school SU activity invites featured department SUs to co-host it (M6 共同主办): the
    // school's chain approves, the co-hosts' presidents confirm, the school SU is the host
    let school_head = holders("school_su", Role::DivisionHead)[0].clone();
    let form = json!({ "title": "校园文化艺术节", "event_date": "2026-04-20", "major": true, "plan": "……",
                       "cohost_departments": ["cs", "art"] });
    let t = run("activity_cohost", &school_head, form, monday(), Script::default());
    let a = asked(&t);
    let chain = &a["school_chain"];
    assert_eq!(chain[0], dp::SCHOOL_SU_PRESIDENT, "the presidium first");
    assert!(
        holders("school_su", Role::SecretaryGeneral).iter().all(|p| chain.contains(p)),
        "then the 秘书长: {chain:?}"
    );
    assert!(holders("school_league_committee", Role::DeputySecretary).iter().any(|p| chain.contains(p)), "{chain:?}");
    assert_eq!(a["school_league_secretary"], [dp::LEAGUE_COMMITTEE_SECRETARY], "major: the League secretary too");
    assert!(!a.contains_key("approval_chain"), "not the department chain");
    let mut presidents = holders("department_su@cs", Role::President);
    presidents.extend(holders("department_su@art", Role::President));
    assert_eq!(a["cohost_confirm"], presidents);
    assert_eq!(outcome(&t), Status::Finished(Outcome::Approved));
    match &t.records[..] {
        [workflows::records::outcome::Record::CoHost(c)] => {
            assert_eq!(c.host, "school_su");
            assert_eq!(c.cohosts, ["art".to_string(), "cs".to_string()]);
        }
        other => panic!("one co_host record, not {other:?}"),
    }
}

#[test]
fn support_request_runs_through_contact_presidium_and_fulfilment() {
    let form = json!({ "title": "申请宣传支持", "support": ["publicity", "volunteers"], "volunteers_needed": 20, "detail": "……" });
    let t = run(
        "support_request",
        dp::CS_SU_PRESIDENT,
        form.clone(),
        monday(),
        Script::default().with("contact_forward", &[Choice::Reject]),
    );
    assert_eq!(outcome(&t), Status::Finished(Outcome::Rejected));
    let t = run("support_request", dp::CS_SU_PRESIDENT, form, monday(), Script::default());
    // the cs liaison is the school SU president, who forwarded it: the presidium decision is theirs already (dedupe)
    assert!(t.events.iter().any(|e| matches!(&e.kind, EventKind::PolicyApplied { note: engine::PolicyNote::Deduped { person }, .. } if person == dp::SCHOOL_SU_PRESIDENT)));
    assert_eq!(asked(&t)["presidium_decision"], [dp::SCHOOL_SU_PRESIDENT], "the other presidium members are not asked");
    assert_eq!(asked(&t)["fulfilment"], holders("school_su", Role::DivisionHead)[..1]);
    assert_eq!(outcome(&t), Status::Finished(Outcome::Approved));
}

#[test]
fn service_project_waits_for_recorded_co_design_and_evaluation() {
    // given a project submitted before any student recorded co-design input (the daemon fills the
    // computed counts: 0 at submit)
    let def = builtin("service_project").unwrap();
    let dir: OrgDirectory = demo_directory();
    let cal = WorkCalendar::builtin();
    let env = Env { def: &def, dir: &dir, cal: &cal, now: monday() };
    let counts = |co: i64, classes: i64, students: i64| {
        let v = json!({ "co_design_students": co, "co_design_classes": co.min(1),
                        "evaluation_classes": classes, "evaluation_students": students });
        v.as_object().unwrap().clone()
    };
    let mut form = json!({ "title": "宿舍维修反馈小程序", "plan": "……" });
    form.as_object_mut().unwrap().extend(counts(0, 0, 0));
    let mut st: Instance = engine::submit(&env, "R1", dp::CS_SU_VICE_PRESIDENT, Channel::Api, &form).unwrap().state;
    let act = |st: &Instance, who: &str, cmd: Command| engine::handle(&env, st, who, Channel::Api, cmd).unwrap().state;
    // then approval waits: the president holds the co-design gate, the League secretary nothing
    let gate = st.open_tasks().next().unwrap().clone();
    assert_eq!((gate.step.as_str(), gate.assignee.as_str()), ("co_design_missing", dp::CS_SU_PRESIDENT));
    assert_eq!(st.open_tasks().count(), 1);
    st = act(&st, dp::CS_SU_PRESIDENT, Command::Approve { task: gate.id, comment: None });
    let again = st.open_tasks().next().unwrap().clone();
    assert_eq!(again.step, "co_design_missing", "continuing without a recorded entry comes back to the gate");
    // when a student's entry is counted (the daemon's Recomputed event) the gate lets it through
    let (refreshed, ev) = engine::recompute(&st, &counts(1, 0, 0), monday()).unwrap();
    assert!(matches!(&ev.kind, EventKind::Recomputed { fields } if fields.len() == 2), "{ev:?}");
    assert!(engine::recompute(&refreshed, &counts(1, 0, 0), monday()).is_none(), "nothing new: no event");
    st = act(&refreshed, dp::CS_SU_PRESIDENT, Command::Approve { task: again.id, comment: None });
    let mut approvers: Vec<String> = st.open_tasks().map(|t| t.assignee.clone()).collect();
    approvers.sort();
    assert_eq!(approvers, [dp::CS_SU_PRESIDENT, dp::CS_LEAGUE_SECRETARY]);
    for who in [dp::CS_SU_PRESIDENT, dp::CS_LEAGUE_SECRETARY] {
        let task = st.open_tasks().find(|t| t.assignee == who).unwrap().id;
        st = act(&st, who, Command::Approve { task, comment: None });
    }
    // then closure waits for the students' evaluation: 2 classes and 29 students are not enough
    let gate = st.open_tasks().next().unwrap().clone();
    assert_eq!((gate.step.as_str(), gate.assignee.as_str()), ("evaluation_missing", dp::CS_SU_PRESIDENT));
    let (refreshed, _) = engine::recompute(&st, &counts(1, 2, 29), monday()).unwrap();
    st = act(&refreshed, dp::CS_SU_PRESIDENT, Command::Approve { task: gate.id, comment: None });
    let again = st.open_tasks().next().unwrap().clone();
    assert_eq!(again.step, "evaluation_missing");
    // 3 classes are
    let (refreshed, _) = engine::recompute(&st, &counts(1, 3, 29), monday()).unwrap();
    st = act(&refreshed, dp::CS_SU_PRESIDENT, Command::Approve { task: again.id, comment: None });
    let review = st.open_tasks().next().unwrap().clone();
    assert_eq!(review.step, "closure_review");
    st = act(&st, dp::CS_LEAGUE_SECRETARY, Command::Approve { task: review.id, comment: None });
    assert_eq!(st.status, Status::Finished(Outcome::Approved));
    assert!(engine::recompute(&st, &counts(5, 5, 50), monday()).is_none(), "a finished request is not refreshed");
}

#[test]
fn service_project_closure_review_is_never_skipped_by_dedupe() {
    // given a project submitted with its evaluation already there: the League secretary approves it
    // and is also the closure reviewer behind the gate
    let form = json!({ "title": "宿舍维修反馈小程序", "plan": "……", "co_design_input": "三次同学座谈",
                       "co_design_students": 24, "evaluation_classes": 3 });
    let t = run("service_project", dp::CS_SU_VICE_PRESIDENT, form, monday(), Script::default());
    // then the League secretary is asked again at closure, and nothing is decided by dedupe
    assert_eq!(asked(&t)["closure_review"], [dp::CS_LEAGUE_SECRETARY]);
    assert!(
        !t.events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::PolicyApplied { note: engine::PolicyNote::Deduped { .. }, .. }))
    );
    let closure = t.state.tasks.values().find(|x| x.step == "closure_review").unwrap().id;
    let decided_by = t.events.iter().find_map(|e| match &e.kind {
        EventKind::TaskDecided { task, .. } if *task == closure => Some(e.actor.clone()),
        _ => None,
    });
    assert!(
        matches!(&decided_by, Some(engine::Actor::Person { id, .. }) if id == dp::CS_LEAGUE_SECRETARY),
        "decided by the secretary, not by the system: {decided_by:?}"
    );
    assert_eq!(outcome(&t), Status::Finished(Outcome::Approved));
}

#[test]
fn school_su_service_project_is_approved_inside_the_school_su() {
    let head = holders("school_su", Role::DivisionHead)[0].clone();
    let form = json!({ "title": "校园志愿服务地图", "plan": "……", "co_design_input": "问卷", "co_design_students": 40,
                       "evaluation_students": 45 });
    let t = run("service_project", &head, form, monday(), Script::default());
    let a = asked(&t);
    assert_eq!(a["approval_school"], [dp::SCHOOL_SU_PRESIDENT, dp::SCHOOL_SU_SECRETARY_GENERAL]);
    assert_eq!(a["closure_review_school"], [dp::SCHOOL_SU_SECRETARY_GENERAL]);
    assert!(!a.contains_key("approval") && !a.contains_key("closure_review"), "{a:?}");
    assert_eq!(outcome(&t), Status::Finished(Outcome::Approved));
}

#[test]
fn annual_reports_and_the_federation_summary() {
    let form = json!({ "year": 2025, "title": "工作报告", "report": "……", "symposium_date": "2025-11-10",
                       "classes_attended": 5, "non_graduating_classes": 6 });
    let t = run("annual_work_report", dp::CS_SU_PRESIDENT, form, monday(), Script::default());
    assert_eq!(asked(&t)["hearing"].len(), 5);
    assert!(t.events.iter().any(
        |e| matches!(&e.kind, EventKind::Copied { to, .. } if to == &[dp::SCHOOL_SU_SECRETARY_GENERAL.to_string()])
    ));
    assert_eq!(outcome(&t), Status::Finished(Outcome::Approved));

    let form =
        json!({ "year": 2025, "next_year": 2026, "summary": "……", "plan": "……", "internal_deadline": "2025-12-15" });
    let t = run("federation_annual_summary", dp::SCHOOL_SU_PRESIDENT, form, sh(2025, 11, 14, 10), Script::default());
    assert_eq!(asked(&t)["send_to_federation"], ["F0001"]);
    assert!(!t.events.iter().any(|e| matches!(e.kind, EventKind::LeadTimeWarning { .. })));
    assert_eq!(outcome(&t), Status::Finished(Outcome::Approved));
}

#[test]
fn a_poor_assessment_leads_to_an_admonition() {
    let form =
        json!({ "year": 2025, "department": "econ", "total": 52.5, "grade": "poor", "findings": "自身管理不严。" });
    let t = run("annual_assessment", dp::SCHOOL_SU_PRESIDENT, form, monday(), Script::default());
    assert_eq!(t.state.title, "2025年度经济管理学院学生会考核", "the department by name, not its code");
    let a = asked(&t);
    assert_eq!(
        a["admonition"],
        [
            holders("department_su@econ", Role::President)[0].clone(),
            holders("department_league_org@econ", Role::Secretary)[0].clone()
        ]
    );
    assert_eq!(outcome(&t), Status::Finished(Outcome::Approved));
}

#[test]
fn duty_review_is_scored_by_the_whole_panel() {
    let form = json!({ "semester": "2025—2026学年第一学期", "report": "……", "ledger_entries": 14 });
    // every member of the school panel gets a score sheet; full marks pass
    let t = run("duty_review", dp::SCHOOL_SU_PRESIDENT, form.clone(), monday(), Script::default());
    let run = t.state.runs.values().find(|r| r.step == "panel_review").unwrap();
    assert_eq!((run.reviewers.len(), run.needed), (15, None));
    assert_eq!(t.state.score.as_ref().map(|s| (s.sheets, s.total)), Some((15, 100.0)));
    assert_eq!(outcome(&t), Status::Finished(Outcome::Approved));

    let t = run_rejecting_panel(form);
    assert_eq!(outcome(&t), Status::Finished(Outcome::Rejected));
}

fn run_rejecting_panel(form: Value) -> Transcript {
    run(
        "duty_review",
        dp::SCHOOL_SU_PRESIDENT,
        form,
        monday(),
        Script::default().with("panel_review", &[Choice::Reject]),
    )
}

mod records {
    //! What each built-in's outcome records (issue 11): the effects the engine emits when the
    //! request ends, read back from the simulator.
    use super::*;
    use workflows::records::outcome::{Appointment, Record};

    fn day(s: &str) -> chrono::NaiveDate {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn an_approved_staff_selection_appoints_and_an_ineligible_one_records_nothing() {
        let t = run(
            "staff_selection",
            dp::CS_SU_PRESIDENT,
            selection_form(true),
            monday(),
            Script::default().with("public_notice", &[Choice::Wait]),
        );
        assert_eq!(
            t.records,
            [Record::Appointment(Appointment {
                person: "2023010215".into(),
                body: "school_su".into(),
                role: Role::DivisionMember,
                division: None,
                from: day("2025-12-08"),
                to: None,
                request: Some("SIM-1".into()),
            })]
        );
        // the simulator's transcript says it, as people read it
        let text = t.render(&builtin("staff_selection").unwrap(), &demo_directory(), workflows::catalog::Lang::Zh);
        let line = text.lines().find(|l| l.contains("✎")).expect("a record line");
        assert!(line.contains("记录 任职：") && line.contains("干事，自2025年12月8日起"), "{line}");
        let t = run("staff_selection", dp::CS_SU_PRESIDENT, selection_form(false), monday(), Script::default());
        assert_eq!(outcome(&t), Status::Finished(Outcome::Rejected));
        assert!(t.records.is_empty(), "a rejected request writes nothing");
        let t = run(
            "staff_selection",
            dp::CS_SU_PRESIDENT,
            selection_form(true),
            monday(),
            Script::default().with("league_recommend", &[Choice::Reject]),
        );
        assert_eq!((outcome(&t), t.records.len()), (Status::Finished(Outcome::Rejected), 0));
    }

    #[test]
    fn a_training_report_records_the_session_with_its_attendees_a_plan_does_not() {
        let form = |phase: &str| {
            json!({ "title": "2025年秋季学期第一次履职培训", "phase": phase, "semester": "autumn",
                    "first_session": "2025-11-20", "content": "履职培训。", "audience": "全体工作人员",
                    "attendees": [dp::CS_SU_VICE_PRESIDENT, dp::CS_SU_PRESIDENT, dp::CS_SU_VICE_PRESIDENT] })
        };
        let t = run("training_filing", dp::CS_SU_PRESIDENT, form("report"), monday(), Script::default());
        let [Record::TrainingSession(s)] = t.records.as_slice() else { panic!("{:?}", t.records) };
        assert_eq!(s.organiser, "department_su@cs");
        assert_eq!(s.date, day("2025-11-20"));
        assert_eq!(s.semester.zh(), "2025—2026学年第一学期");
        assert_eq!(s.attendees, [dp::CS_SU_PRESIDENT, dp::CS_SU_VICE_PRESIDENT], "each attendee once");
        assert_eq!(s.id, "SIM-1:0");
        let t = run("training_filing", dp::CS_SU_PRESIDENT, form("plan"), monday(), Script::default());
        assert_eq!(outcome(&t), Status::Finished(Outcome::Approved));
        assert!(t.records.is_empty(), "a plan is not a session held");
    }

    #[test]
    fn a_term_transition_is_approved_by_the_college_league_and_records_the_new_cohort() {
        let form = json!({ "title": "计算机学院学生会换届", "transition_date": "2025-12-01", "congress_held": "2025-11-28",
                           "report": "第六次学生代表大会选举产生新一届主席团。",
                           "cohort": [{ "person": "2023010215", "role": "president" },
                                      { "person": "2023010216", "role": "division_member", "division": "rights" }] });
        let t = run("term_transition", dp::CS_SU_PRESIDENT, form, monday(), Script::default());
        assert!(asked(&t)["league_approve"].contains(&dp::CS_LEAGUE_SECRETARY.to_string()));
        let [Record::TermTransition { transition, cohort }] = t.records.as_slice() else { panic!("{:?}", t.records) };
        assert_eq!((transition.department.as_str(), transition.date, transition.term), ("cs", day("2025-12-01"), 2025));
        assert_eq!(cohort.len(), 2);
        assert_eq!((cohort[1].body.as_str(), cohort[1].division.as_deref()), ("department_su@cs", Some("rights")));
        let rejected = run(
            "term_transition",
            dp::CS_SU_PRESIDENT,
            json!({ "title": "换届", "transition_date": "2025-12-01", "congress_held": "2025-11-28", "report": "……",
                    "cohort": [{ "person": "2023010215", "role": "president" }] }),
            monday(),
            Script::default().with("league_approve", &[Choice::Reject]),
        );
        assert!(rejected.records.is_empty());
    }

    #[test]
    fn a_department_staff_selection_prefers_class_cadres_and_appoints_in_the_department_su() {
        let form = |cadre: bool| {
            json!({ "candidate": "2023010215", "candidate_name": "候选人", "role": "division_member", "division": "rights",
                    "class_cadre": cadre, "appointment_date": "2025-12-08", "reasons": "班委，工作积极。" })
        };
        let t = run("department_staff_selection", dp::CS_SU_PRESIDENT, form(true), monday(), Script::default());
        assert_eq!(
            asked(&t).keys().collect::<Vec<_>>(),
            ["league_approve"],
            "a class cadre goes straight to the League"
        );
        let [Record::Appointment(a)] = t.records.as_slice() else { panic!("{:?}", t.records) };
        assert_eq!((a.body.as_str(), a.role, a.from), ("department_su@cs", Role::DivisionMember, day("2025-12-08")));
        let t = run("department_staff_selection", dp::CS_SU_PRESIDENT, form(false), monday(), Script::default());
        assert_eq!(
            asked(&t).keys().collect::<Vec<_>>(),
            ["league_approve", "party_agree"],
            "anyone else needs the Party org"
        );
    }

    #[test]
    fn a_liaison_assignment_records_the_table_for_its_assigner() {
        let t = run(
            "liaison_assignment",
            dp::SCHOOL_SU_PRESIDENT,
            json!({ "term": "2025—2026学年第一学期", "departments": ["cs"], "from": "2025-12-01",
                    "liaisons": [{ "person": "2023010215", "department": "cs" }, { "person": "2023010215", "class": "cs-2023-1" }] }),
            monday(),
            Script::default(),
        );
        let [Record::LiaisonAssignment(la)] = t.records.as_slice() else { panic!("{:?}", t.records) };
        assert_eq!((la.assigner.clone(), la.from, la.liaisons.len()), (None, day("2025-12-01"), 2));
        // a department SU assigns its own leaders to its classes; its League org approves
        let t = run(
            "liaison_assignment",
            dp::CS_SU_PRESIDENT,
            json!({ "term": "2025—2026学年第一学期", "departments": ["cs"], "from": "2025-12-01",
                    "liaisons": [{ "person": dp::CS_SU_VICE_PRESIDENT, "class": "cs-2023-1" }] }),
            monday(),
            Script::default(),
        );
        assert!(asked(&t)["department_league_approve"].contains(&dp::CS_LEAGUE_SECRETARY.to_string()));
        let [Record::LiaisonAssignment(la)] = t.records.as_slice() else { panic!("{:?}", t.records) };
        assert_eq!(la.assigner.as_deref(), Some("cs"));
    }

    #[test]
    fn an_acknowledged_onboarding_records_it_done() {
        let form = json!({ "new_staff": "2023010215", "new_staff_name": "某", "appointed_on": "2025-11-20",
                           "body": "department_su@cs" });
        let t = run("onboarding", dp::CS_SU_PRESIDENT, form, monday(), Script::default());
        let [Record::OnboardingDone(o)] = t.records.as_slice() else { panic!("{:?}", t.records) };
        assert_eq!((o.person.as_str(), o.appointed, o.date), ("2023010215", day("2025-11-20"), day("2025-11-24")));
        assert_eq!(o.body, "department_su@cs");
    }
}
