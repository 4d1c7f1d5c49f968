//! The records and request facts of the generated universities (`org::generate`): a compliant
//! [`RecordSet`] for any generated org ([`records_for`]), and the demo
//! university's with its planted defects ([`demo_records`], [`demo_requests`]), so that its
//! findings on [`demo_day`] are exactly the planted kinds of domain.md §4 and issue 11 item 5:
//!
//! | planted defect | finding |
//! |---|---|
//! | `econ`'s department SU at 40 % class or branch cadres (org posts) | `m3_department_su_cadres` |
//! | `art` has no term transition for 2025–26 | `m3_term_transition_missing` (block) |
//! | 3 `ee` department SU members appointed 2025-10-10, no onboarding | 3 × `m4_onboarding_overdue` |
//! | a `chem` department SU vice-president attended no training | `m4_untrained` |
//! | class `law-2025-2` has no department SU contact (org liaisons) | `m2_class_uncovered` |
//! | `fl` held no class symposium | `m9_no_symposium` |
//! | a `cs` major matter acknowledged by the school SU 3 working days after the college | `m1_branch_b_late` |
//! | the school SU presidium liaison of `math`: last ledger entry 2025-09-10 | `m2_ledger_stale` |
//!
//! Every other liaison pair has a ledger entry within the last weeks. The output is plain data,
//! ready to be seeded into the records tables of a fresh daemon.

use super::{FactState, RequestFacts, StepFact, semester_start};
use crate::catalog::Role;
use crate::org::generate::demo_directory;
use crate::org::{Directory, Org, OrgDirectory};
use crate::records::*;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use std::collections::BTreeMap;

/// The demo's reference day: 2025-11-24 (a Monday of the autumn semester 2025–26).
pub fn demo_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 11, 24).expect("valid date")
}

/// 10:00 Asia/Shanghai of `day`, in UTC.
fn at10(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(2, 0, 0).expect("valid time"))
}

fn su_body(body: &str) -> bool {
    body == "school_su" || body.starts_with("department_su@")
}

/// A compliant record set for an org made by `org::generate` on `day`: the current term's
/// transitions, onboarding 20 days after each SU appointment (when that is not after `day`),
/// the semester's trainings of the school SU and of every department SU attended by everyone who
/// must attend (M4; a department SU's session records its training filing, as the filing's
/// outcome does), a symposium per department SU attended by every non-graduating class, a
/// recent ledger entry for every current liaison pair, and every class's reporting adoption.
pub fn records_for(dir: &OrgDirectory, day: NaiveDate) -> RecordSet {
    let org: &Org = dir.org();
    let sem = Semester::of(day);
    let start = semester_start(sem);
    let term = Semester::of(day).year;
    let ay = NaiveDate::from_ymd_opt(term, 9, 1).expect("valid date");
    let mut rs = RecordSet::default();
    for d in &org.departments {
        rs.term_transitions.push(TermTransition {
            department: d.code.clone(),
            date: ay + Duration::days(4),
            term,
            request: None,
        });
    }
    let teacher =
        |p: &crate::org::Post| p.role == Role::Advisor || p.role == Role::SecretaryGeneral && p.body == "school_su";
    let current: Vec<&crate::org::Post> = org.posts.iter().filter(|p| p.current_on(day) && !teacher(p)).collect();
    for p in current.iter().filter(|p| su_body(&p.body)) {
        let done = p.from + Duration::days(20);
        if done <= day {
            rs.onboarding.push(OnboardingDone {
                person: p.person.clone(),
                body: p.body.clone(),
                appointed: p.from,
                date: done,
                request: None,
            });
        }
    }
    // Trainings: the school SU's (its staff and every department presidium), each department SU's
    // (its staff, class monitors and new class committee members).
    let mut attendees: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let class_dept: BTreeMap<&str, &str> =
        org.classes.iter().map(|c| (c.code.as_str(), c.department.as_str())).collect();
    for p in &current {
        if p.body == "school_su" {
            attendees.entry("school_su".into()).or_default().push(p.person.clone());
        } else if p.body.starts_with("department_su@") {
            attendees.entry(p.body.clone()).or_default().push(p.person.clone());
            if p.role.is_presidium() {
                attendees.entry("school_su".into()).or_default().push(p.person.clone());
            }
        } else if let Some(c) = p.body.strip_prefix("class_committee@")
            && (p.role == Role::ClassMonitor || p.from >= start)
            && let Some(d) = class_dept.get(c)
        {
            attendees.entry(format!("department_su@{d}")).or_default().push(p.person.clone());
        }
    }
    let held = (start + Duration::days(44)).min(day);
    for (organiser, mut people) in attendees {
        people.sort();
        people.dedup();
        rs.trainings.push(TrainingSession {
            id: format!("training:{organiser}:{}", start),
            organiser: organiser.clone(),
            semester: sem,
            date: held,
            topic: "履职能力培训".into(),
            audience: if organiser == "school_su" {
                "校学生会全体工作人员及院系学生会主席团成员".into()
            } else {
                "院系学生会全体工作人员、班长及新任班委".into()
            },
            request: (organiser != "school_su").then(|| format!("training-filing:{organiser}:{start}")),
            attendees: people,
        });
    }
    let mut by_dept: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for c in org.classes.iter().filter(|c| !c.graduating) {
        by_dept.entry(&c.department).or_default().push(c.code.clone());
    }
    for d in &org.departments {
        rs.symposiums.push(Symposium {
            id: format!("symposium:{}:{term}", d.code),
            department: d.code.clone(),
            date: (ay + Duration::days(65)).min(day),
            classes: by_dept.remove(d.code.as_str()).unwrap_or_default(),
            request: None,
        });
    }
    for (i, l) in org.liaisons.iter().filter(|l| l.current_on(day)).enumerate() {
        let target = match (&l.department, &l.class) {
            (Some(d), _) => Target { kind: TargetKind::Department, id: d.clone() },
            (None, Some(c)) => Target { kind: TargetKind::Class, id: c.clone() },
            _ => continue,
        };
        let date = (day - Duration::days(3 + (i % 20) as i64)).max(l.from);
        rs.ledger_latest.push(LedgerLatest { liaison: l.person.clone(), target, date });
    }
    for c in &org.classes {
        rs.reporting_adoptions.push(ReportingAdoption { class: c.code.clone(), date: ay + Duration::days(14) });
    }
    rs
}

/// The demo university's records on [`demo_day`], with the planted defects (module doc).
pub fn demo_records() -> RecordSet {
    let dir = demo_directory();
    let day = demo_day();
    let mut rs = records_for(&dir, day);
    // art: no term transition.
    rs.term_transitions.retain(|t| t.department != "art");
    // ee: the three members appointed on 2025-10-10 have no onboarding.
    let late = NaiveDate::from_ymd_opt(2025, 10, 10).expect("valid date");
    rs.onboarding.retain(|o| !(o.body == "department_su@ee" && o.appointed == late));
    // chem: the second vice-president attended no training.
    if let Some(vp) = untrained_member(&dir, day) {
        for t in &mut rs.trainings {
            t.attendees.retain(|a| *a != vp);
        }
    }
    // fl: no symposium.
    rs.symposiums.retain(|s| s.department != "fl");
    // math: the school SU presidium liaison's ledger silent since 2025-09-10.
    let presidium: Vec<String> = dir
        .holders("school_su", &[Role::President, Role::VicePresident, Role::ExecutivePresident], day)
        .into_iter()
        .map(|p| p.person.clone())
        .collect();
    for l in &mut rs.ledger_latest {
        if l.target.kind == TargetKind::Department && l.target.id == "math" && presidium.contains(&l.liaison) {
            l.date = NaiveDate::from_ymd_opt(2025, 9, 10).expect("valid date");
        }
    }
    rs
}

/// The planted untrained department presidium member: `chem`'s second vice-president.
pub fn untrained_member(dir: &OrgDirectory, day: NaiveDate) -> Option<String> {
    dir.holders("department_su@chem", &[Role::VicePresident], day).get(1).map(|p| p.person.clone())
}

/// The demo university's request facts on [`demo_day`]: a `cs` major
/// matter whose branch B was acknowledged 3 working days after branch A was asked (the planted
/// late branch B), and an `ee` one acknowledged the same day.
pub fn demo_requests() -> Vec<RequestFacts> {
    let dir = demo_directory();
    let day = demo_day();
    let mut out = Vec::new();
    let d = |m: u32, dd: u32| NaiveDate::from_ymd_opt(2025, m, dd).expect("valid date");
    for (dept, b_done) in [("cs", d(11, 6)), ("ee", d(11, 3))] {
        let body = format!("department_su@{dept}");
        let Some(president) = dir.holders(&body, &[Role::President], day).first().map(|p| p.person.clone()) else {
            continue;
        };
        let league = dir
            .holders(&format!("department_league_org@{dept}"), &[Role::Secretary], day)
            .first()
            .map(|p| p.person.clone());
        let party = dir
            .holders(&format!("department_party_org@{dept}"), &[Role::DeputySecretary], day)
            .first()
            .map(|p| p.person.clone());
        let liaison = dir.liaisons_of(dept, day).first().map(|l| l.person.clone());
        let asked = at10(d(11, 3));
        let step = |name: &str, entered: DateTime<Utc>, done: DateTime<Utc>, by: Option<String>| StepFact {
            step: name.into(),
            entered_at: entered,
            due_at: None,
            done_at: Some(done),
            done_by: by,
            open: vec![],
        };
        let name = dir.department(dept).map(|x| x.name.zh.clone()).unwrap_or_default();
        out.push(RequestFacts {
            id: format!("demo-major-matter-{dept}"),
            key: "major_matter_report".into(),
            title: format!("{name}学生会改革推进情况报告"),
            state: FactState::Approved,
            submitter: president.clone(),
            department: Some(dept.into()),
            submitted_at: Some(at10(d(10, 31))),
            ended_at: Some(at10(b_done.max(d(11, 4)))),
            steps: vec![
                step("president_sign", at10(d(10, 31)), asked, Some(president)),
                step("league_review", asked, at10(d(11, 4)), league),
                step("school_su_ack", asked, at10(b_done), liaison),
                step("party_ack", at10(d(11, 4)), at10(d(11, 4)), party),
            ],
            form: [
                ("kind".to_string(), serde_json::json!("report")),
                ("matter_type".to_string(), serde_json::json!("reform_progress")),
            ]
            .into_iter()
            .collect(),
        });
    }
    out
}
