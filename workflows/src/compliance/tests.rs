//! One test per rule: the finding appears, then disappears when the record is added; and the
//! demo university's findings are exactly its planted defects.

use super::demo::*;
use super::*;
use crate::org::generate::demo_directory;
use crate::org::{Liaison, Org};
use crate::records::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    use chrono::TimeZone;
    Utc.with_ymd_and_hms(y, m, d, 2, 0, 0).unwrap()
}

struct World {
    dir: OrgDirectory,
    records: RecordSet,
    requests: Vec<RequestFacts>,
    day: NaiveDate,
    cfg: CheckSettings,
}

impl World {
    fn demo() -> Self {
        World {
            dir: demo_directory(),
            records: demo_records(),
            requests: demo_requests(),
            day: demo_day(),
            cfg: CheckSettings::default(),
        }
    }
    fn findings(&self) -> Vec<Finding> {
        findings(&self.dir, &self.records, &self.requests, self.day, &self.cfg, &WorkCalendar::builtin())
    }
    fn with(&self, code: &str) -> Vec<Finding> {
        self.findings().into_iter().filter(|f| f.code == code).collect()
    }
    fn subjects(&self, code: &str) -> Vec<String> {
        self.with(code).into_iter().map(|f| f.subject.id).collect()
    }
    fn edit_org(&mut self, f: impl FnOnce(&mut Org)) {
        let mut org = self.dir.org().clone();
        f(&mut org);
        self.dir = OrgDirectory::new(org);
    }
}

#[test]
fn the_demo_shows_exactly_the_planted_defects() {
    let w = World::demo();
    let got: Vec<(String, Severity, String)> =
        w.findings().into_iter().map(|f| (f.code, f.severity, f.subject.id)).collect();
    let dir = demo_directory();
    let ee_late: Vec<String> = dir
        .holders("department_su@ee", &[], demo_day())
        .into_iter()
        .filter(|p| p.from == day(2025, 10, 10))
        .map(|p| p.person.clone())
        .collect();
    assert_eq!(ee_late.len(), 3);
    let mut want: Vec<(String, Severity, String)> = vec![
        ("m1_branch_b_late".into(), Severity::Error, "cs".into()),
        ("m2_class_uncovered".into(), Severity::Error, "law-2025-2".into()),
        ("m2_ledger_stale".into(), Severity::Warning, "math".into()),
        ("m3_department_su_cadres".into(), Severity::Warning, "econ".into()),
        ("m3_term_transition_missing".into(), Severity::Block, "art".into()),
    ];
    let mut ee = ee_late.clone();
    ee.sort();
    for p in ee {
        want.push(("m4_onboarding_overdue".into(), Severity::Warning, p));
    }
    want.push(("m4_untrained".into(), Severity::Error, untrained_member(&dir, demo_day()).unwrap()));
    want.push(("m9_no_symposium".into(), Severity::Error, "fl".into()));
    assert_eq!(got, want);
}

#[test]
fn the_demo_shows_the_planted_kinds_on_other_days_too() {
    // e.g. the day a fresh daemon seeds them: 29 November 2026 and 1 December 2025
    for d in [day(2026, 11, 29), day(2025, 12, 1), day(2026, 6, 15), day(2025, 12, 20), day(2026, 1, 12)] {
        let dir = demo_directory();
        let f = findings(
            &dir,
            &demo_records_on(&dir, d),
            &demo_requests_on(&dir, d),
            d,
            &CheckSettings::default(),
            &WorkCalendar::builtin(),
        );
        let kinds: BTreeSet<(String, String)> = f
            .iter()
            .map(|x| {
                (x.code.clone(), if x.code == "m4_onboarding_overdue" { "ee".into() } else { x.subject.id.clone() })
            })
            .collect();
        let mut want: BTreeSet<(String, String)> = [
            ("m1_branch_b_late", "cs"),
            ("m2_class_uncovered", "law-2025-2"),
            ("m2_ledger_stale", "math"),
            ("m3_department_su_cadres", "econ"),
            ("m3_term_transition_missing", "art"),
            ("m4_onboarding_overdue", "ee"),
            ("m9_no_symposium", "fl"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        want.insert(("m4_untrained".into(), untrained_member(&dir, d).unwrap()));
        assert_eq!(kinds, want, "on {d}");
        assert_eq!(f.len(), 10, "on {d}: {f:#?}");
    }
}

#[test]
fn findings_name_who_must_act_and_say_it_in_both_languages() {
    let w = World::demo();
    let all = w.findings();
    for f in &all {
        assert!(!f.people.is_empty(), "{f:?}");
        assert!(!f.message.zh.is_empty() && !f.message.en.is_empty());
        assert!(!f.subject.name.is_empty());
    }
    let stale = &w.with("m2_ledger_stale")[0];
    assert_eq!(stale.subject.kind, SubjectKind::Department);
    assert_eq!(stale.subject.name, "数学学院学生会");
    let liaison = &stale.people[0];
    assert!(w.dir.holders("school_su", &[], w.day).iter().any(|p| &p.person == liaison && p.role.is_presidium()));
    assert!(stale.message.zh.contains("2025年9月10日"), "{}", stale.message.zh);
    assert_eq!(stale.since, Some(day(2025, 11, 10)));
    let econ = &w.with("m3_department_su_cadres")[0];
    assert!(econ.message.zh.contains("8人（共20人，40%）"), "{}", econ.message.zh);
    let json = serde_json::to_value(&all[0]).unwrap();
    for k in ["code", "measure", "severity", "subject", "people", "message", "since"] {
        assert!(json.get(k).is_some(), "{k} in {json}");
    }
    assert_eq!(json["measure"], "M1");
    assert_eq!(json["severity"], "error");
}

#[test]
fn m2_a_ledger_entry_clears_the_stale_pair() {
    let mut w = World::demo();
    let stale = w.with("m2_ledger_stale").remove(0);
    for l in &mut w.records.ledger_latest {
        if l.liaison == stale.people[0] && l.target.id == "math" {
            l.date = day(2025, 11, 20);
        }
    }
    assert!(w.with("m2_ledger_stale").is_empty());
    // A pair with no entry at all is stale once the assignment is older than the window.
    w.records.ledger_latest.retain(|l| l.target.id != "cs-2022-1");
    assert_eq!(w.subjects("m2_ledger_stale"), vec!["cs-2022-1"]);
    // The window is a setting.
    w.cfg.ledger_silent_days = 100;
    assert!(w.with("m2_ledger_stale").is_empty());
}

#[test]
fn m2_coverage_of_classes_departments_and_key_classes() {
    let mut w = World::demo();
    assert_eq!(w.subjects("m2_class_uncovered"), vec!["law-2025-2"]);
    let leader = w.dir.holders("department_su@law", &[Role::President], w.day)[0].person.clone();
    let (from, to) = (day(2025, 9, 1), Some(day(2027, 8, 31)));
    w.edit_org(|o| {
        o.liaisons.push(Liaison {
            person: leader.clone(),
            department: None,
            class: Some("law-2025-2".into()),
            from,
            to,
            last_ledger_entry: None,
            assigner: None,
            request: None,
            ended_by: None,
        })
    });
    w.records.ledger_latest.push(LedgerLatest {
        liaison: leader,
        target: Target { kind: TargetKind::Class, id: "law-2025-2".into() },
        date: day(2025, 11, 20),
    });
    assert!(w.with("m2_class_uncovered").is_empty());
    assert!(w.with("m2_ledger_stale").len() == 1, "only the planted one");

    // A department nobody of the school SU's leaders covers.
    let mut w = World::demo();
    w.edit_org(|o| o.liaisons.retain(|l| l.department.as_deref() != Some("cs")));
    assert_eq!(w.subjects("m2_department_uncovered"), vec!["cs"]);
    // A school SU leader who covers no department SU (theirs stay covered by the division heads).
    let mut w = World::demo();
    let pres = w.dir.holders("school_su", &[Role::President], w.day)[0].person.clone();
    w.edit_org(|o| o.liaisons.retain(|l| !(l.person == pres && l.department.is_some())));
    assert_eq!(w.subjects("m2_leader_without_department"), vec![pres.clone()]);
    assert!(w.with("m2_department_uncovered").is_empty());
    // `each` asks for a presidium member and a division head: remove cs's head only.
    let mut w = World::demo();
    let heads: Vec<String> =
        w.dir.holders("school_su", &[Role::DivisionHead], w.day).iter().map(|p| p.person.clone()).collect();
    w.edit_org(|o| o.liaisons.retain(|l| !(l.department.as_deref() == Some("cs") && heads.contains(&l.person))));
    assert!(w.with("m2_department_uncovered").is_empty(), "collective: the presidium member covers it");
    w.cfg.department_coverage = Coverage::Each;
    assert_eq!(w.subjects("m2_department_uncovered"), vec!["cs"]);

    // A division member with two key classes, then with none.
    let mut w = World::demo();
    let member = w.dir.holders("school_su", &[Role::DivisionMember], w.day)[0].person.clone();
    let extra = w.dir.org().classes.iter().rfind(|c| c.key_class).unwrap().code.clone();
    w.edit_org(|o| {
        o.liaisons.push(Liaison {
            person: member.clone(),
            department: None,
            class: Some(extra),
            from,
            to,
            last_ledger_entry: None,
            assigner: None,
            request: None,
            ended_by: None,
        })
    });
    assert_eq!(w.subjects("m2_member_key_class"), vec![member.clone()]);
    w.edit_org(|o| o.liaisons.retain(|l| l.person != member));
    let f = w.with("m2_member_key_class");
    assert!(f[0].message.zh.contains("0个"), "{}", f[0].message.zh);
}

#[test]
fn m3_term_transition_blocks_until_recorded() {
    let mut w = World::demo();
    let f = w.with("m3_term_transition_missing");
    assert_eq!((f.len(), f[0].severity, f[0].subject.id.as_str()), (1, Severity::Block, "art"));
    w.records.term_transitions.push(TermTransition {
        department: "art".into(),
        date: day(2025, 11, 20),
        term: 2025,
        request: None,
    });
    assert!(w.with("m3_term_transition_missing").is_empty());
    // Last year's transition does not count for this term.
    w.records.term_transitions.retain(|t| t.department != "cs");
    w.records.term_transitions.push(TermTransition {
        department: "cs".into(),
        date: day(2024, 9, 5),
        term: 2024,
        request: None,
    });
    assert_eq!(w.subjects("m3_term_transition_missing"), vec!["cs"]);
}

#[test]
fn m3_ratios_count_people_from_posts_held() {
    let mut w = World::demo();
    assert_eq!(w.subjects("m3_department_su_cadres"), vec!["econ"]);
    // Two of econ's non-cadre staff join their class's League branch: 10 of 20 = 50 %.
    let staff: Vec<String> = w.dir.holders("department_su@econ", &[], w.day).iter().map(|p| p.person.clone()).collect();
    let non_cadres: Vec<(String, String)> = staff
        .iter()
        .filter(|p| w.dir.posts_of(p, w.day).iter().all(|x| x.body.starts_with("department_su@")))
        .map(|p| (p.clone(), w.dir.person(p).unwrap().class.clone().unwrap()))
        .take(2)
        .collect();
    let base = w.dir.org().posts.iter().find(|p| p.body.starts_with("league_branch@")).unwrap().clone();
    w.edit_org(|o| {
        for (p, c) in &non_cadres {
            let mut post = base.clone();
            post.person = p.clone();
            post.body = format!("league_branch@{c}");
            post.is_class_cadre = false; // the flag is not read
            o.posts.push(post);
        }
    });
    assert!(w.with("m3_department_su_cadres").is_empty());
    // School SU staff from department SUs: drop the previous-term posts → 0 of 35.
    let mut w = World::demo();
    assert!(w.with("m3_school_su_from_departments").is_empty());
    w.edit_org(|o| o.posts.retain(|p| !(p.body.starts_with("department_su@") && p.to == Some(day(2025, 8, 31)))));
    let f = w.with("m3_school_su_from_departments");
    assert!(f[0].message.zh.contains("仅0人（共35人）"), "{}", f[0].message.zh);
    // Only the terms of the setting count: with the appointment's term only, the term before does not.
    let mut w2 = World::demo();
    w2.cfg.from_department_su_terms = 1;
    assert_eq!(w2.with("m3_school_su_from_departments").len(), 1);
}

#[test]
fn m3_caps_are_settings() {
    let mut w = World::demo();
    w.cfg.school_su_max_staff = 30;
    w.cfg.school_su_max_presidium = 4;
    w.cfg.school_su_max_divisions = 5;
    let codes: Vec<String> = w.findings().into_iter().filter(|f| f.subject.id == "school_su").map(|f| f.code).collect();
    assert_eq!(codes, vec!["m3_school_su_division_cap", "m3_school_su_presidium_cap", "m3_school_su_staff_cap"]);
}

#[test]
fn m4_onboarding_records_clear_the_overdue_ones() {
    let mut w = World::demo();
    let late = w.with("m4_onboarding_overdue");
    assert_eq!(late.len(), 3);
    assert_eq!(late[0].since, Some(day(2025, 11, 11)));
    assert!(late[0].message.zh.contains("2025年11月10日前完成"), "{}", late[0].message.zh);
    for f in &late[..2] {
        w.records.onboarding.push(OnboardingDone {
            person: f.subject.id.clone(),
            body: "department_su@ee".into(),
            appointed: day(2025, 10, 10),
            date: day(2025, 11, 20),
            request: None,
        });
    }
    assert_eq!(w.subjects("m4_onboarding_overdue"), vec![late[2].subject.id.clone()]);
    // An onboarding for another post does not count.
    w.records.onboarding.push(OnboardingDone {
        person: late[2].subject.id.clone(),
        body: "department_su@ee".into(),
        appointed: day(2025, 9, 1),
        date: day(2025, 11, 20),
        request: None,
    });
    assert_eq!(w.with("m4_onboarding_overdue").len(), 1);
    w.cfg.onboarding_months = 2;
    assert!(w.with("m4_onboarding_overdue").is_empty(), "due on 2025-12-10 with two months");
}

#[test]
fn m4_attendance_clears_the_untrained_member() {
    let mut w = World::demo();
    let f = w.with("m4_untrained");
    let vp = f[0].subject.id.clone();
    assert!(
        f[0].message.zh.contains("未参加化学化工学院学生会的履职培训"),
        "the planted member missed the department's training only: {}",
        f[0].message.zh
    );
    for t in w.records.trainings.iter_mut().filter(|t| t.organiser == "school_su") {
        t.attendees.retain(|a| *a != vp);
    }
    let f = w.with("m4_untrained");
    assert!(f[0].message.zh.contains("、"), "both trainings are missing now: {}", f[0].message.zh);
    for t in w.records.trainings.iter_mut() {
        t.attendees.push(vp.clone());
    }
    assert!(w.with("m4_untrained").is_empty());
    // A class monitor must attend their department SU's training.
    let monitor = w.dir.holders("class_committee@cs-2023-1", &[Role::ClassMonitor], w.day)[0].person.clone();
    for t in w.records.trainings.iter_mut() {
        t.attendees.retain(|a| *a != monitor);
    }
    assert_eq!(w.subjects("m4_untrained"), vec![monitor]);
    // Before the training is due, coverage is not looked at.
    w.day = day(2025, 10, 20);
    assert!(w.with("m4_untrained").is_empty());
}

#[test]
fn m4_missing_training_filings() {
    let mut w = World::demo();
    for t in w.records.trainings.iter_mut().filter(|t| t.organiser == "department_su@cs") {
        t.request = None;
    }
    assert_eq!(w.subjects("m4_training_filing_missing"), vec!["cs"]);
    let sem = Semester::of(w.day);
    let mut filing = w.requests[0].clone();
    filing.key = "training_filing".into();
    filing.department = Some("cs".into());
    filing.submitted_at = Some(at(2025, 9, 10));
    filing.form = [("semester".to_string(), serde_json::json!("autumn"))].into_iter().collect();
    w.requests.push(filing);
    assert!(w.with("m4_training_filing_missing").is_empty(), "filed in {}", sem.zh());
    w.requests.pop();
    w.day = day(2025, 9, 15);
    assert!(w.with("m4_training_filing_missing").is_empty(), "in the filing window");
}

fn proposal(step: &str, entered: DateTime<Utc>, extended: bool) -> RequestFacts {
    RequestFacts {
        id: "p1".into(),
        key: "proposal_handling".into(),
        title: "食堂延长营业时间".into(),
        state: FactState::Running,
        submitter: "2023010101".into(),
        department: Some("cs".into()),
        submitted_at: Some(entered),
        ended_at: None,
        steps: vec![StepFact {
            step: step.into(),
            entered_at: entered,
            due_at: None,
            done_at: None,
            done_by: None,
            open: vec!["T0021".into()],
            extensions: u32::from(extended),
        }],
        form: BTreeMap::new(),
    }
}

/// `step`, after checking the built-in `proposal_handling` has it: the checks read steps by name.
fn workflows_step_exists(step: &'static str) -> &'static str {
    let (_, text) = crate::builtin::BUILTIN.iter().find(|(f, _)| *f == "proposal_handling.yaml").unwrap();
    let def = crate::parse::parse_definition(text).definition.expect("the built-in parses");
    assert!(def.steps.iter().any(|s| s.name == step), "proposal_handling has no step {step}");
    // also over the lead office's and co-handlers' steps the overdue check reads
    for read in ["lead_reply", "co_opinions"] {
        assert!(def.steps.iter().any(|s| s.name == read), "proposal_handling has no step {read}");
    }
    step
}

#[test]
fn m5_overdue_replies_and_unrated_ones() {
    let mut w = World::demo();
    w.requests.push(proposal("lead_reply", at(2025, 10, 20), false));
    let f = w.with("m5_reply_overdue");
    assert_eq!((f.len(), f[0].people.clone(), f[0].subject.kind), (1, vec!["T0021".to_string()], SubjectKind::Request));
    w.requests.pop();
    w.requests.push(proposal("lead_reply", at(2025, 10, 20), true));
    assert!(w.with("m5_reply_overdue").is_empty(), "extended to 60 days");
    w.requests.pop();
    let mut answered = proposal("lead_reply", at(2025, 10, 20), false);
    answered.steps[0].done_at = Some(at(2025, 11, 1));
    answered.steps[0].open.clear();
    w.requests.push(answered);
    assert!(w.with("m5_reply_overdue").is_empty());
    // the step the built-in proposal_handling names
    let rating = workflows_step_exists("proposer_rating");
    w.requests.push(proposal(rating, at(2025, 11, 1), false));
    assert_eq!(w.with("m5_reply_unrated").len(), 1);
    w.requests.last_mut().unwrap().steps[0].done_at = Some(at(2025, 11, 5));
    assert!(w.with("m5_reply_unrated").is_empty());
}

#[test]
fn m1_branch_b_late_missing_and_in_time() {
    let mut w = World::demo();
    assert_eq!(w.subjects("m1_branch_b_late"), vec!["cs"]);
    let cs = w.requests.iter_mut().find(|r| r.id == "demo-major-matter-cs").unwrap();
    let b = cs.steps.iter_mut().find(|s| s.step == "school_su_ack").unwrap();
    b.done_at = Some(at(2025, 11, 4));
    assert!(w.with("m1_branch_b_late").is_empty(), "one working day later is in time");
    // Still open two working days after A was asked: missing.
    let cs = w.requests.iter_mut().find(|r| r.id == "demo-major-matter-cs").unwrap();
    cs.state = FactState::Running;
    let b = cs.steps.iter_mut().find(|s| s.step == "school_su_ack").unwrap();
    b.done_at = None;
    b.open = vec!["2023010130".into()];
    let f = w.with("m1_branch_b_missing");
    assert_eq!((f.len(), f[0].people.clone()), (1, vec!["2023010130".to_string()]));
    w.day = day(2025, 11, 4);
    assert!(w.with("m1_branch_b_missing").is_empty(), "B has one working day");
}

#[test]
fn m1_late_filing_and_reporting_adoption() {
    let mut w = World::demo();
    let mut r = w.requests.iter().find(|r| r.id == "demo-major-matter-ee").unwrap().clone();
    r.id = "late".into();
    r.form.insert("matter_type".into(), serde_json::json!("major_meeting"));
    r.form.insert("event_date".into(), serde_json::json!("2025-11-14"));
    w.requests.push(r);
    let f = w.with("m1_late_filing");
    assert_eq!(f.len(), 1);
    assert!(f[0].message.zh.contains("应至少提前20个工作日"), "{}", f[0].message.zh);
    w.requests.last_mut().unwrap().form.insert("event_date".into(), serde_json::json!("2026-01-20"));
    assert!(w.with("m1_late_filing").is_empty());

    w.records.reporting_adoptions.retain(|a| a.class != "me-2024-2");
    assert_eq!(w.subjects("m1_reporting_system_missing"), vec!["me-2024-2"]);
    w.records.reporting_adoptions.push(ReportingAdoption { class: "me-2024-2".into(), date: day(2025, 11, 1) });
    assert!(w.with("m1_reporting_system_missing").is_empty());
}

#[test]
fn m9_symposiums_hearings_and_the_federation_summary() {
    let mut w = World::demo();
    assert_eq!(w.subjects("m9_no_symposium"), vec!["fl"]);
    let classes: Vec<String> =
        w.dir.org().classes.iter().filter(|c| c.department == "fl" && !c.graduating).map(|c| c.code.clone()).collect();
    w.records.symposiums.push(Symposium {
        id: "s-fl".into(),
        department: "fl".into(),
        date: day(2025, 11, 20),
        classes: classes[1..].to_vec(),
        request: None,
    });
    assert!(w.with("m9_no_symposium").is_empty());
    assert_eq!(w.subjects("m9_class_absent"), vec![classes[0].clone()]);
    w.records.symposiums.last_mut().unwrap().classes = classes.clone();
    assert!(w.with("m9_class_absent").is_empty());
    // Graduating classes need not attend: the department's graduating classes were never listed.
    assert!(w.dir.org().classes.iter().any(|c| c.department == "fl" && c.graduating));
    // A symposium of last academic year does not count for this one.
    w.records.symposiums.last_mut().unwrap().date = day(2025, 6, 20);
    assert_eq!(w.subjects("m9_no_symposium"), vec!["fl"]);
    // Before the report window, no symposium is not yet a finding.
    w.records.symposiums.retain(|s| s.department != "fl");
    w.day = day(2025, 11, 10);
    assert!(w.with("m9_no_symposium").is_empty());

    // After the internal deadline (15 Dec), every department SU's report must have been heard.
    w.day = day(2025, 12, 20);
    assert_eq!(w.with("m9_department_unheard").len(), 12);
    let mut heard = w.requests.iter().find(|r| r.key == "major_matter_report").unwrap().clone();
    heard.key = "annual_work_report".into();
    heard.department = Some("cs".into());
    heard.form = [("year".to_string(), serde_json::json!(2025))].into_iter().collect();
    heard.steps = vec![StepFact {
        step: "hearing".into(),
        entered_at: at(2025, 12, 1),
        due_at: None,
        done_at: Some(at(2025, 12, 3)),
        done_by: None,
        open: vec![],
        extensions: 0,
    }];
    w.requests.push(heard);
    assert_eq!(w.with("m9_department_unheard").len(), 11);
    assert!(!w.subjects("m9_department_unheard").contains(&"cs".to_string()));
    // A report rejected at the hearing (or withdrawn) was not heard.
    w.requests.last_mut().unwrap().state = FactState::Rejected;
    assert_eq!(w.with("m9_department_unheard").len(), 12);
    w.requests.last_mut().unwrap().state = FactState::Approved;
    // Before the internal deadline it is not yet a finding.
    w.day = day(2025, 12, 15);
    assert!(w.with("m9_department_unheard").is_empty());
    w.day = day(2025, 12, 20);

    // The federation summary is looked at after 31 December, until the next window.
    assert!(w.with("m9_federation_summary_missing").is_empty());
    w.day = day(2026, 1, 5);
    assert_eq!(w.subjects("m9_federation_summary_missing"), vec!["school_su"]);
    let mut sent = w.requests.last().unwrap().clone();
    sent.key = "federation_annual_summary".into();
    sent.steps[0].step = "send_to_federation".into();
    sent.steps[0].done_at = Some(at(2025, 12, 28));
    w.requests.push(sent);
    assert!(w.with("m9_federation_summary_missing").is_empty());
    assert!(w.with("m9_federation_receipt_missing").is_empty());
    // Sent by 31 December, receipt logged in January: in time.
    w.requests.last_mut().unwrap().steps[0].done_at = Some(at(2026, 1, 3));
    assert!(w.with("m9_federation_summary_missing").is_empty());
    assert!(w.with("m9_federation_receipt_missing").is_empty());
    // Sent, but no receipt logged yet: the school SU is told to log it.
    {
        let s = &mut w.requests.last_mut().unwrap().steps[0];
        s.done_at = None;
        s.open = vec!["someone".into()];
    }
    w.requests.last_mut().unwrap().state = FactState::Running;
    let f = w.with("m9_federation_receipt_missing");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!((f[0].severity, f[0].subject.kind), (Severity::Warning, SubjectKind::Request));
    assert_eq!(f[0].message.zh, "2025年度工作总结和工作计划已报送上级学联，尚未登记回执");
    assert_eq!(f[0].since, Some(day(2026, 1, 1)));
    assert!(w.with("m9_federation_summary_missing").is_empty());
    // Sent only in January: late, whatever the receipt.
    w.requests.last_mut().unwrap().steps[0].entered_at = at(2026, 1, 2);
    assert_eq!(w.subjects("m9_federation_summary_missing"), vec!["school_su"]);
    assert!(w.with("m9_federation_receipt_missing").is_empty());
    // A rejected summary was not sent.
    w.requests.last_mut().unwrap().steps[0].entered_at = at(2025, 12, 28);
    w.requests.last_mut().unwrap().state = FactState::Rejected;
    assert_eq!(w.subjects("m9_federation_summary_missing"), vec!["school_su"]);
    // From the next window on, last year's summary is no longer looked at.
    w.day = day(2026, 11, 15);
    assert!(w.with("m9_federation_summary_missing").is_empty());
}

#[test]
fn facts_come_from_a_request_state() {
    use crate::engine::{self, Channel, Env};
    let def = crate::builtin::builtin("major_matter_report").unwrap();
    let dir = demo_directory();
    let cal = WorkCalendar::builtin();
    let now = at(2025, 11, 3);
    let env = Env { def: &def, dir: &dir, cal: &cal, now };
    let form = serde_json::json!({"kind": "report", "matter_type": "reform_progress", "title": "t", "body": "b"});
    let out =
        engine::submit(&env, "r1", crate::org::generate::demo_people::CS_SU_PRESIDENT, Channel::Api, &form).unwrap();
    let facts = RequestFacts::from_instance(&out.state);
    assert_eq!(facts.key, "major_matter_report");
    assert_eq!(facts.department.as_deref(), Some("cs"));
    assert_eq!(facts.text("kind"), Some("report"));
    assert!(!facts.form.contains_key("body"), "only the fields the checks read");
    let b = facts.step("school_su_ack").expect("branch B entered at submit (self-approval skips the sign)");
    assert!(b.done_at.is_none() && !b.open.is_empty());
}

#[test]
fn the_large_university_computes_quickly_and_cleanly() {
    let dir = OrgDirectory::new(crate::org::generate::large(crate::org::generate::LARGE_SEED));
    let d = day(2025, 11, 24);
    let records = records_for(&dir, d);
    let requests = Vec::new();
    assert!(records.ledger_latest.len() > 4000, "{}", records.ledger_latest.len());
    let t = std::time::Instant::now();
    let f = findings(&dir, &records, &requests, d, &CheckSettings::default(), &WorkCalendar::builtin());
    let took = t.elapsed();
    let codes: BTreeSet<&str> = f.iter().map(|x| x.code.as_str()).collect();
    assert!(f.is_empty(), "{} findings: {codes:?}", f.len());
    eprintln!("the large university: {} ledger pairs, findings in {took:?} (debug build)", records.ledger_latest.len());
    // Debug builds are ~10× slower than the release limit of 2 s (bench B9).
    assert!(took.as_secs() < 30, "{took:?}");
}

#[test]
fn the_hand_typed_org_fields_are_not_read() {
    // Flip every deprecated field of the org: the findings stay the same.
    let mut w = World::demo();
    let before = w.findings();
    w.edit_org(|o| {
        for d in &mut o.departments {
            d.term_transition_done = !d.term_transition_done;
            d.last_symposium = None;
        }
        for c in &mut o.classes {
            c.reporting_system = !c.reporting_system;
        }
        for p in &mut o.posts {
            p.onboarded = None;
            p.trained = None;
            p.from_department_su = !p.from_department_su;
            p.is_class_cadre = !p.is_class_cadre;
        }
        for l in &mut o.liaisons {
            l.last_ledger_entry = None;
        }
    });
    assert_eq!(w.findings(), before);
}

#[test]
fn m10_a_review_panel_without_a_class_representative_majority_is_a_finding() {
    // the demo's panels have a majority (school 10 of 15, each department 4 of 7)
    let mut w = World::demo();
    assert!(w.with("m10_panel_composition").is_empty());
    // when two of the law panel's class representatives become plain members (2 of 7)
    w.edit_org(|org| {
        for p in org.posts.iter_mut().filter(|p| p.body == "review_panel@law").take(2) {
            p.role = Role::Member;
        }
    });
    // then the law department SU has the finding, naming the count, for the committee chair
    let f = w.with("m10_panel_composition");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!((f[0].subject.id.as_str(), f[0].severity, f[0].measure.as_str()), ("law", Severity::Error, "M10"));
    assert!(f[0].message.zh.contains("评议会 7 人中班级代表 2 人，须超过半数"), "{}", f[0].message.zh);
    assert_eq!(
        f[0].people,
        w.dir.holders("su_committee@law", &[Role::Chair], w.day).iter().map(|p| p.person.clone()).collect::<Vec<_>>()
    );
    // and with a share of one third, 2 of 7 is not enough either, 3 of 7 is
    w.cfg.panel_class_rep_share = 1.0 / 3.0;
    assert_eq!(w.subjects("m10_panel_composition"), vec!["law"]);
    w.edit_org(|org| {
        if let Some(p) = org.posts.iter_mut().find(|p| p.body == "review_panel@law" && p.role == Role::Member) {
            p.role = Role::ClassRepresentative;
        }
    });
    assert!(w.with("m10_panel_composition").is_empty());
}
