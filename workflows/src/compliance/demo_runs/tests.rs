//! The demo's planted requests: each stands in its status, and with the demo's records they
//! give exactly the planted kinds of findings whatever day the demo starts.

use super::*;
use crate::compliance::demo::{demo_records_on, untrained_member};
use crate::compliance::{RequestFacts, findings, semester_start};
use crate::engine::Status;
use crate::org::checks::CheckSettings;
use crate::org::generate::demo_directory;
use std::collections::BTreeSet;

fn defs() -> BTreeMap<String, Arc<Definition>> {
    KEYS.iter().map(|k| (k.to_string(), Arc::new(crate::builtin::builtin(k).expect("built in")))).collect()
}

fn runs_at(dir: &OrgDirectory, now: DateTime<Utc>) -> DemoRuns {
    let mut n = 0;
    demo_runs(dir, &WorkCalendar::builtin(), &defs(), now, &mut |_| {
        n += 1;
        format!("demo-{n:03}")
    })
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// (status, open steps) of the run named `name`.
fn standing(runs: &DemoRuns, name: &str) -> (String, Vec<String>) {
    let run = runs.runs.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("{name}: {:?}", runs.skipped));
    let st = run.state();
    let status = match st.status {
        Status::Finished(o) => o.as_str().to_string(),
        s => serde_json::to_value(s).unwrap().as_str().unwrap().to_string(),
    };
    let mut open: Vec<String> = st.open_tasks().map(|t| t.step.clone()).collect();
    open.sort();
    open.dedup();
    (status, open)
}

#[test]
fn each_planted_request_stands_in_its_status() {
    let dir = demo_directory();
    // Monday 30 November 2026, 08:00 in Shanghai.
    let runs = runs_at(&dir, local(day(2026, 11, 30), 8, 0));
    assert!(runs.skipped.is_empty(), "{:?}", runs.skipped);
    let want: &[(&str, &str, &[&str])] = &[
        ("proposal_handling:department_review", "running", &["department_review"]),
        ("proposal_handling:returned", "returned", &[]),
        ("proposal_handling:committee_review", "running", &["committee_review"]),
        ("proposal_handling:classify", "running", &["classify"]),
        ("proposal_handling:handling", "running", &["lead_reply"]),
        ("proposal_handling:compile", "running", &["compile"]),
        ("proposal_handling:proposer_rating", "running", &["proposer_rating"]),
        ("proposal_handling:satisfied", "approved", &[]),
        ("proposal_handling:rehandled", "approved", &[]),
        ("proposal_handling:rejected", "rejected", &[]),
        ("proposal_handling:merged", "merged", &[]),
        ("proposal_handling:converted", "converted", &[]),
        ("major_matter_report:cs", "approved", &[]),
        ("major_matter_report:ee", "approved", &[]),
        ("federation_annual_summary:2025", "approved", &[]),
    ];
    for (name, status, open) in want {
        let (s, o) = standing(&runs, name);
        assert_eq!((s.as_str(), o), (*status, open.iter().map(|x| x.to_string()).collect::<Vec<_>>()), "{name}");
    }
    assert_eq!(runs.runs.len(), want.len(), "no annual reports before 10 December");
    // The committee has two of the four acceptances it needs; the co-handling office answered.
    let committee = runs.runs.iter().find(|r| r.name == "proposal_handling:committee_review").unwrap().state();
    assert_eq!(committee.open_tasks().count(), 5);
    let rehandled = runs.runs.iter().find(|r| r.name == "proposal_handling:rehandled").unwrap().state();
    assert_eq!(rehandled.runs.values().filter(|r| r.step == "lead_reply").count(), 2, "handled twice");
    assert_eq!(rehandled.form["rating"], "basically_satisfied");
    let merged = runs.runs.iter().find(|r| r.name == "proposal_handling:merged").unwrap().state();
    let into = runs.runs.iter().find(|r| r.name == "proposal_handling:handling").unwrap().state();
    assert_eq!(merged.form["merged_into"], serde_json::json!(into.id));
    // The late branch B: escalated to the secretary-general, who acknowledged it.
    let cs =
        RequestFacts::from_instance(runs.runs.iter().find(|r| r.name == "major_matter_report:cs").unwrap().state());
    let b = cs.step("school_su_ack").unwrap();
    assert_eq!(b.done_by.as_deref(), Some(crate::org::generate::demo_people::SCHOOL_SU_SECRETARY_GENERAL));
    let a = cs.step("league_review").unwrap();
    let cal = WorkCalendar::builtin();
    let late = cal.working_days_between(
        a.entered_at.with_timezone(&chrono_tz::Asia::Shanghai).date_naive(),
        b.done_at.unwrap().with_timezone(&chrono_tz::Asia::Shanghai).date_naive(),
    );
    assert_eq!(late, 2);
    // Every moment is before the start, and nothing is left due.
    for r in &runs.runs {
        for o in &r.outputs {
            for e in &o.events {
                assert!(e.at < local(day(2026, 11, 30), 8, 0), "{}: {e:?}", r.name);
            }
        }
        assert!(r.state().timers.values().all(|t| t.at > local(day(2026, 11, 30), 8, 0)), "{}", r.name);
    }
    // After 12 December, every department's report of the year is heard too.
    let runs = runs_at(&dir, local(day(2026, 12, 20), 9, 0));
    let heard = runs.runs.iter().filter(|r| r.name.starts_with("annual_work_report:")).count();
    assert_eq!(heard, dir.org().departments.len());
    assert_eq!(standing(&runs, "annual_work_report:fl:2026").0, "approved");
}

/// The kinds of findings a fresh demo shows on `d` (its planted defects, those in season).
fn planted_on(dir: &OrgDirectory, d: NaiveDate) -> BTreeSet<(String, String)> {
    let mut want: BTreeSet<(String, String)> = [
        ("m2_class_uncovered", "law-2025-2"),
        ("m2_ledger_stale", "math"),
        ("m3_department_su_cadres", "econ"),
        ("m3_term_transition_missing", "art"),
        ("m4_onboarding_overdue", "ee"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    let sem = Semester::of(d);
    if d >= semester_start(sem) + Duration::days(60) {
        want.insert(("m4_untrained".into(), untrained_member(dir, d).unwrap()));
    }
    if d >= day(sem.year, 11, 15) {
        want.insert(("m9_no_symposium".into(), "fl".into()));
    }
    let cal = WorkCalendar::builtin();
    if cal.working_days_between(day(sem.year, 8, 31), d - Duration::days(1)) >= 3 {
        want.insert(("m1_branch_b_late".into(), "cs".into()));
    }
    want
}

#[test]
fn a_fresh_demo_shows_exactly_its_planted_kinds_whatever_the_day() {
    let dir = demo_directory();
    let cal = WorkCalendar::builtin();
    // Every sixth day of the demo's terms from January 2026, and the first days of September.
    let mut days: Vec<NaiveDate> =
        day(2026, 1, 2).iter_days().step_by(6).take_while(|d| *d <= day(2027, 8, 31)).collect();
    days.extend(day(2026, 9, 1).iter_days().take(5));
    let mut seen_b = (false, false);
    for (i, d) in days.into_iter().enumerate() {
        // Started just after midnight, or late in the afternoon.
        let (h, m) = if i % 2 == 0 { (0, 5) } else { (16, 30) };
        {
            let runs = runs_at(&dir, local(d, h, m));
            assert!(runs.skipped.is_empty(), "on {d}: {:?}", runs.skipped);
            let facts: Vec<RequestFacts> = runs.runs.iter().map(|r| RequestFacts::from_instance(r.state())).collect();
            let found = findings(&dir, &demo_records_on(&dir, d), &facts, d, &CheckSettings::default(), &cal);
            let kinds: BTreeSet<(String, String)> = found
                .iter()
                .map(|f| {
                    let id = if f.code == "m4_onboarding_overdue" { "ee".to_string() } else { f.subject.id.clone() };
                    (f.code.clone(), id)
                })
                .collect();
            let want = planted_on(&dir, d);
            assert_eq!(kinds, want, "on {d} at {h}:{m}");
            let onboarding = found.iter().filter(|f| f.code == "m4_onboarding_overdue").count();
            assert_eq!(onboarding, 3, "on {d}");
            let late = want.contains(&("m1_branch_b_late".into(), "cs".into()));
            if late { seen_b.0 = true } else { seen_b.1 = true }
        }
    }
    assert_eq!(seen_b, (true, true), "both sides of the early-September edge were looked at");
}
