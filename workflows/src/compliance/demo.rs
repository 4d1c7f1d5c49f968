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
//! | a `chem` department SU vice-president missed the department SU's training | `m4_untrained` |
//! | class `law-2025-2` has no department SU contact (org liaisons) | `m2_class_uncovered` |
//! | `fl` held no class symposium | `m9_no_symposium` |
//! | a `cs` major matter acknowledged by the school SU 3 working days after the college | `m1_branch_b_late` |
//! | the school SU presidium liaison of `math`: last ledger entry 75 days before (2025-09-10) | `m2_ledger_stale` |
//!
//! Every other liaison pair has a ledger entry within the last weeks. The output is plain data,
//! ready to be seeded into the records tables of a fresh daemon: [`demo_records_on`] and
//! [`demo_requests_on`] make them for any day of the demo's terms (the day it starts), so that
//! day's findings are the planted kinds too (those whose check is in season: M9's symposium from
//! 15 November, M4's coverage from the 60th day of a semester).

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
            date: (ay + Duration::days(4)).min(day),
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
        rs.reporting_adoptions
            .push(ReportingAdoption { class: c.code.clone(), date: (ay + Duration::days(14)).min(day) });
    }
    rs
}

/// The demo university's records on [`demo_day`], with the planted defects (module doc).
pub fn demo_records() -> RecordSet {
    demo_records_on(&demo_directory(), demo_day())
}

/// The demo university's records as they stand on `day` (any day of its terms, e.g. the day a
/// fresh daemon seeds them), with the planted defects: [`records_for`] less `art`'s term
/// transition, the onboarding of the three `ee` members appointed on 2025-10-10, the attendance
/// of [`untrained_member`] at `chem`'s department SU training and `fl`'s symposium, and the `math` pair of the school
/// SU presidium last written 75 days before `day`.
pub fn demo_records_on(dir: &OrgDirectory, day: NaiveDate) -> RecordSet {
    let mut rs = records_for(dir, day);
    // art: no term transition.
    rs.term_transitions.retain(|t| t.department != "art");
    // ee: the three members appointed on 2025-10-10 have no onboarding.
    let late = NaiveDate::from_ymd_opt(2025, 10, 10).expect("valid date");
    rs.onboarding.retain(|o| !(o.body == "department_su@ee" && o.appointed == late));
    // chem: the second vice-president missed the department SU's training (they attended the
    // school SU's), so a training report of `chem` that lists them clears it.
    if let Some(vp) = untrained_member(dir, day) {
        for t in rs.trainings.iter_mut().filter(|t| t.organiser == "department_su@chem") {
            t.attendees.retain(|a| *a != vp);
        }
    }
    // fl: no symposium.
    rs.symposiums.retain(|s| s.department != "fl");
    // math: the school SU presidium liaison's ledger silent for 75 days.
    let presidium: Vec<String> = dir
        .holders("school_su", &[Role::President, Role::VicePresident, Role::ExecutivePresident], day)
        .into_iter()
        .map(|p| p.person.clone())
        .collect();
    for l in &mut rs.ledger_latest {
        if l.target.kind == TargetKind::Department && l.target.id == "math" && presidium.contains(&l.liaison) {
            l.date = day - Duration::days(75);
        }
    }
    rs
}

/// The planted untrained department presidium member: `chem`'s second vice-president.
pub fn untrained_member(dir: &OrgDirectory, day: NaiveDate) -> Option<String> {
    dir.holders("department_su@chem", &[Role::VicePresident], day).get(1).map(|p| p.person.clone())
}

/// The demo university's request facts on [`demo_day`]: a `cs` major matter whose branch B was
/// acknowledged 3 working days after branch A was asked (the planted late branch B), and an `ee`
/// one acknowledged the same day.
pub fn demo_requests() -> Vec<RequestFacts> {
    demo_requests_on(&demo_directory(), demo_day())
}

/// The demo's request facts on `day`: both major matters were asked of the college on the Monday
/// three weeks before `day` (signed the Friday before), `cs`'s branch B acknowledged on the
/// Thursday (3 working days late, outside holidays), `ee`'s on the Monday; last year's federation
/// summary sent on 20 December; from 10 December, every department SU's work report of the year
/// heard that day.
pub fn demo_requests_on(dir: &OrgDirectory, day: NaiveDate) -> Vec<RequestFacts> {
    use chrono::Datelike;
    let mut out = Vec::new();
    let back = day - Duration::days(21);
    let monday = back - Duration::days(i64::from(back.weekday().num_days_from_monday()));
    let (signed, decided) = (monday - Duration::days(3), monday + Duration::days(1));
    for (dept, b_done) in [("cs", monday + Duration::days(3)), ("ee", monday)] {
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
        let asked = at10(monday);
        let step = |name: &str, entered: DateTime<Utc>, done: DateTime<Utc>, by: Option<String>| StepFact {
            step: name.into(),
            entered_at: entered,
            due_at: None,
            done_at: Some(done),
            done_by: by,
            open: vec![],
            extensions: 0,
        };
        let name = dir.department(dept).map(|x| x.name.zh.clone()).unwrap_or_default();
        out.push(RequestFacts {
            id: format!("demo-major-matter-{dept}"),
            key: "major_matter_report".into(),
            title: format!("{name}学生会改革推进情况报告"),
            state: FactState::Approved,
            submitter: president.clone(),
            department: Some(dept.into()),
            submitted_at: Some(at10(signed)),
            ended_at: Some(at10(b_done.max(decided))),
            steps: vec![
                step("president_sign", at10(signed), asked, Some(president)),
                step("league_review", asked, at10(decided), league),
                step("school_su_ack", asked, at10(b_done), liaison),
                step("party_ack", at10(decided), at10(decided), party),
            ],
            form: [
                ("kind".to_string(), serde_json::json!("report")),
                ("matter_type".to_string(), serde_json::json!("reform_progress")),
            ]
            .into_iter()
            .collect(),
        });
    }
    // M9: last year's summary and plan, sent to the federation on 20 December…
    let y = day.year();
    let school_president =
        dir.holders("school_su", &[Role::President], day).first().map(|p| p.person.clone()).unwrap_or_default();
    let d = |y: i32, m: u32, dd: u32| NaiveDate::from_ymd_opt(y, m, dd).expect("valid date");
    let year_facts = |id: String,
                      key: &str,
                      title: String,
                      who: String,
                      dept: Option<String>,
                      step: &str,
                      at: NaiveDate,
                      year: i32| {
        RequestFacts {
            id,
            key: key.into(),
            title,
            state: FactState::Approved,
            submitter: who,
            department: dept,
            submitted_at: Some(at10(at - Duration::days(10))),
            ended_at: Some(at10(at)),
            steps: vec![StepFact {
                step: step.into(),
                entered_at: at10(at - Duration::days(3)),
                due_at: None,
                done_at: Some(at10(at)),
                done_by: None,
                open: vec![],
                extensions: 0,
            }],
            form: [("year".to_string(), serde_json::json!(year))].into_iter().collect(),
        }
    };
    out.push(year_facts(
        format!("demo-federation-summary-{}", y - 1),
        "federation_annual_summary",
        format!("{}年度工作总结和{}年度工作计划", y - 1, y),
        school_president,
        None,
        "send_to_federation",
        d(y - 1, 12, 20),
        y - 1,
    ));
    // … and, from 10 December on, every department SU's work report of the year heard.
    if day >= d(y, 12, 10) {
        for dep in &dir.org().departments {
            let body = format!("department_su@{}", dep.code);
            let who = dir.holders(&body, &[Role::President], day).first().map(|p| p.person.clone()).unwrap_or_default();
            out.push(year_facts(
                format!("demo-annual-report-{}-{y}", dep.code),
                "annual_work_report",
                format!("{}学生会{y}年度工作报告", dep.name.zh),
                who,
                Some(dep.code.clone()),
                "hearing",
                d(y, 12, 10),
                y,
            ));
        }
    }
    out
}
