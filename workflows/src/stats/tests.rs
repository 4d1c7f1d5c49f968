//! The figures of requests with known moments: exact working hours, medians, p90s and rates.

use super::*;
use crate::engine::{Actor, Decision, StepResult, StepRun, Task, TaskKind};
use chrono::TimeZone;

/// A moment in Asia/Shanghai.
fn at(m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai.with_ymd_and_hms(2025, m, d, h, min, 0).unwrap().with_timezone(&Utc)
}

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, m, d).unwrap()
}

struct Req(Instance);

/// A task: assignee, due, decided.
type TaskAt<'a> = (&'a str, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// An M5 row: office, term, counts, rates.
type M5Row<'a> = (&'a str, &'a str, [usize; 5], [Option<f64>; 3]);

impl Req {
    fn new(id: &str, key: &str, dept: &str, submitted: DateTime<Utc>) -> Self {
        let mut i = Instance { id: id.into(), key: key.into(), submitted_at: Some(submitted), ..Instance::default() };
        i.submitter.id = format!("sub-{id}");
        i.submitter.department = Some(dept.into());
        Req(i)
    }
    fn finished(mut self, t: DateTime<Utc>) -> Self {
        self.0.finished_at = Some(t);
        self
    }
    fn form(mut self, k: &str, v: serde_json::Value) -> Self {
        self.0.form.insert(k.into(), v);
        self
    }
    /// A step run, entered at `entered`, with one task per `(assignee, due, decided)`.
    fn step(mut self, step: &str, entered: DateTime<Utc>, rungs: usize, tasks: &[TaskAt<'_>]) -> Self {
        let run = self.0.runs.len() as u32 + 1;
        let done = tasks.iter().all(|t| t.2.is_some());
        self.0.runs.insert(
            run,
            StepRun {
                id: run,
                step: step.into(),
                parent: None,
                entered_at: entered,
                due_at: None,
                reviewers: tasks.iter().map(|t| t.0.to_string()).collect(),
                needed: None,
                escalated_rungs: rungs,
                status: if done { RunStatus::Done(StepResult::Approved) } else { RunStatus::Active },
                branches: BTreeMap::new(),
                posts: BTreeMap::new(),
                extensions: 0,
                option: None,
                sheets: BTreeMap::new(),
            },
        );
        for (who, due, decided) in tasks {
            let id = self.0.tasks.len() as u32 + 1;
            let state = match decided {
                Some(t) => {
                    TaskState::Decided { decision: Decision::Approve, by: Actor::person(*who), at: *t, comment: None }
                }
                None => TaskState::Open,
            };
            self.0.tasks.insert(
                id,
                Task {
                    id,
                    run,
                    step: step.into(),
                    assignee: who.to_string(),
                    on_behalf_of: None,
                    kind: TaskKind::Approve,
                    round: 1,
                    created_at: entered,
                    due_at: *due,
                    post: None,
                    state,
                },
            );
        }
        self
    }
}

fn scope() -> Scope {
    Scope { from: day(11, 1), to: day(11, 30), department: None, workflow: None }
}

fn run(reqs: Vec<Req>, scope: &Scope) -> Figures {
    let reqs: Vec<Instance> = reqs.into_iter().map(|r| r.0).collect();
    figures(&reqs, scope, at(11, 28, 12, 0), &CheckSettings::default(), &WorkCalendar::builtin())
}

#[test]
fn working_time_counts_office_hours_of_working_days_only() {
    let cal = WorkCalendar::builtin();
    // Friday 7 November 2025 17:00 → Monday 10 November 09:00: 1 h + 1 h.
    assert_eq!(cal.working_seconds(at(11, 7, 17, 0), at(11, 10, 9, 0)), 2 * 3600);
    // Within one day, at night, backwards.
    assert_eq!(cal.working_seconds(at(11, 3, 9, 0), at(11, 3, 9, 30)), 1800);
    assert_eq!(cal.working_seconds(at(11, 3, 19, 0), at(11, 4, 7, 0)), 0);
    assert_eq!(cal.working_seconds(at(11, 4, 9, 0), at(11, 3, 9, 0)), 0);
    // National Day 1–8 October 2025 are off; Saturday 11 October is a 调休 make-up day.
    assert_eq!(cal.working_seconds(at(9, 30, 18, 0), at(10, 9, 8, 0)), 0);
    assert_eq!(cal.working_seconds(at(10, 10, 18, 0), at(10, 11, 18, 0)), 10 * 3600);
}

#[test]
fn median_and_p90_are_exact() {
    let h = |v: &[i64]| Handling::of(v.iter().map(|x| x * 3600).collect());
    assert_eq!(h(&[]), Handling { count: 0, median_hours: None, p90_hours: None });
    assert_eq!(h(&[5]), Handling { count: 1, median_hours: Some(5.0), p90_hours: Some(5.0) });
    // Even count: the mean of the two middle ones; p90 of 4 is the 4th.
    assert_eq!(h(&[4, 1, 3, 2]), Handling { count: 4, median_hours: Some(2.5), p90_hours: Some(4.0) });
    // Ten values: p90 is the 9th smallest.
    assert_eq!(h(&[10, 9, 8, 7, 6, 5, 4, 3, 2, 1]).p90_hours, Some(9.0));
    // Nearest rank: of nine, the 9th (the largest); of twelve, the 11th.
    assert_eq!(h(&[1; 8].iter().chain(&[50]).copied().collect::<Vec<_>>()).p90_hours, Some(50.0));
    assert_eq!(h(&[1; 11].iter().chain(&[50]).copied().collect::<Vec<_>>()).p90_hours, Some(1.0));
    assert_eq!(Handling::of(vec![1800, 5400]).median_hours, Some(1.0));
    assert_eq!(Handling::of(vec![100]).median_hours, Some(0.03));
    assert_eq!(rate(1, 3), Some(0.3333));
    assert_eq!(rate(0, 0), None);
}

#[test]
fn per_workflow_step_and_reviewer() {
    let mon = |h, m| at(11, 3, h, m);
    let reqs = vec![
        // Decided in 2 h, on time; finished after 3 working hours.
        Req::new("a", "support_request", "cs", mon(9, 0))
            .step("review", mon(9, 0), 0, &[("t1", Some(mon(18, 0)), Some(mon(11, 0)))])
            .finished(mon(12, 0)),
        // Decided on Tuesday at 10:00 after its due (Monday 18:00), after an escalation: 9 + 2 = 11 h.
        Req::new("b", "support_request", "cs", mon(9, 0))
            .step("review", mon(9, 0), 1, &[("t1", Some(mon(18, 0)), Some(at(11, 4, 10, 0)))])
            .finished(at(11, 4, 10, 0)),
        // Still open with t2 and t3; t2's is overdue at `now` (28 November, noon).
        Req::new("c", "support_request", "ee", at(11, 20, 9, 0))
            .step("review", at(11, 20, 9, 0), 0, &[("t1", None, Some(at(11, 20, 13, 0)))])
            .step("second", at(11, 20, 13, 0), 0, &[("t2", Some(at(11, 21, 18, 0)), None), ("t3", None, None)]),
        Req::new("d", "training_filing", "ee", at(11, 24, 9, 0)).step(
            "ack",
            at(11, 24, 9, 0),
            0,
            &[("t3", Some(at(12, 5, 18, 0)), None)],
        ),
        // Out of range: submitted in October.
        Req::new("e", "support_request", "cs", at(10, 20, 9, 0)).finished(at(10, 20, 10, 0)),
    ];
    let f = run(reqs, &scope());
    assert_eq!(f.workflows.len(), 2);
    let s = &f.workflows[0];
    assert_eq!(s.workflow, "support_request");
    assert_eq!((s.submitted, s.finished), (3, 2));
    // 3 h and 11 h: median 7, p90 the 2nd.
    assert_eq!(s.handling, Handling { count: 2, median_hours: Some(7.0), p90_hours: Some(11.0) });
    assert_eq!((s.with_due, s.overdue, s.overdue_rate, s.escalations), (2, 1, Some(0.5), 1));
    let review = &s.steps.iter().find(|x| x.step == "review").unwrap();
    assert_eq!((review.entered, review.decided), (3, 3));
    // 2 h, 11 h, 4 h.
    assert_eq!(review.handling, Handling { count: 3, median_hours: Some(4.0), p90_hours: Some(11.0) });
    assert_eq!((review.with_due, review.overdue, review.overdue_rate, review.escalations), (2, 1, Some(0.5), 1));
    let second = &s.steps.iter().find(|x| x.step == "second").unwrap();
    assert_eq!((second.entered, second.decided, second.overdue_rate), (1, 0, None));
    assert_eq!(f.workflows[1].workflow, "training_filing");
    // Reviewers with open tasks, the oldest pending first.
    let r: Vec<(&str, usize, DateTime<Utc>, usize)> =
        f.reviewers.iter().map(|r| (r.person.as_str(), r.open_tasks, r.oldest_pending, r.overdue)).collect();
    assert_eq!(r, vec![("t2", 1, at(11, 20, 13, 0), 1), ("t3", 2, at(11, 20, 13, 0), 0)]);

    // Filtered by department and by workflow.
    let ee = run(
        vec![
            Req::new("a", "support_request", "cs", mon(9, 0)),
            Req::new("c", "support_request", "ee", mon(9, 0)),
            Req::new("d", "training_filing", "ee", mon(9, 0)),
        ],
        &Scope { department: Some("ee".into()), workflow: Some("support_request".into()), ..scope() },
    );
    assert_eq!(
        ee.workflows.iter().map(|w| (w.workflow.as_str(), w.submitted)).collect::<Vec<_>>(),
        vec![("support_request", 1)]
    );
}

#[test]
fn m1_branch_b_lateness_and_late_filing() {
    let mon = at(11, 3, 10, 0);
    let mm =
        |id: &str, b_done: Option<DateTime<Utc>>| {
            Req::new(id, "major_matter_report", "cs", mon)
                .step("league_review", mon, 0, &[("lg", None, Some(mon))])
                .step("school_su_ack", mon, 0, &[("li", None, b_done)])
        };
    let f = run(
        vec![
            // Acknowledged the next working day: in time (1 working day).
            mm("a", Some(at(11, 4, 10, 0))),
            // On Thursday: 3 working days, late.
            mm("b", Some(at(11, 6, 10, 0))),
            // Not yet acknowledged: not counted in the rate.
            mm("c", None),
            // A 请示 for 10 November filed on 3 November (5 wd < 10): late; one for 1 December: in time.
            mm("d", Some(mon)).form("kind", "request".into()).form("event_date", "2025-11-10".into()),
            mm("e", Some(mon)).form("kind", "request".into()).form("event_date", "2025-12-01".into()),
        ],
        &scope(),
    );
    assert_eq!(
        f.m1,
        M1Figures {
            reports: 5,
            branch_b_acknowledged: 4,
            branch_b_late: 1,
            branch_b_late_rate: Some(0.25),
            branch_b_working_days: 1,
            with_lead_time: 2,
            late_filings: 1,
            late_filing_rate: Some(0.5),
        }
    );
}

#[test]
fn m5_per_office_and_term() {
    let p = |id: &str, office: &str, sub: DateTime<Utc>, reply: Option<DateTime<Utc>>| {
        Req::new(id, "proposal_handling", "cs", sub).form("lead_office", office.into()).step(
            "lead_reply",
            sub,
            0,
            &[("office", None, reply)],
        )
    };
    let s = Scope { from: day(3, 1), to: day(11, 30), department: None, workflow: None };
    let f = run(
        vec![
            // Replied in 5 days and rated satisfied; replied in 40 days (late) and rated unsatisfied.
            p("a", "jwc", at(10, 1, 9, 0), Some(at(10, 6, 9, 0))).form("rating", "satisfied".into()),
            p("b", "jwc", at(10, 1, 9, 0), Some(at(11, 10, 9, 0))).form("rating", "unsatisfied".into()),
            // Not yet replied.
            p("c", "jwc", at(10, 2, 9, 0), None),
            // Spring term, basically satisfied.
            p("d", "jwc", at(4, 1, 9, 0), Some(at(4, 3, 9, 0))).form("rating", "basically_satisfied".into()),
            // Another office.
            p("e", "lib", at(10, 1, 9, 0), Some(at(10, 2, 9, 0))),
        ],
        &s,
    );
    let got: Vec<M5Row<'_>> =
        f.m5.iter()
            .map(|m| {
                (
                    m.office.as_str(),
                    m.term.as_str(),
                    [m.proposals, m.handled, m.on_time, m.rated, m.satisfied],
                    [m.handling_rate, m.on_time_rate, m.satisfaction_rate],
                )
            })
            .collect();
    assert_eq!(
        got,
        vec![
            ("jwc", "2024-spring", [1, 1, 1, 1, 1], [Some(1.0), Some(1.0), Some(1.0)]),
            ("jwc", "2025-autumn", [3, 2, 1, 2, 1], [Some(0.6667), Some(0.5), Some(0.5)]),
            ("lib", "2025-autumn", [1, 1, 1, 0, 0], [Some(1.0), Some(1.0), None]),
        ]
    );
    assert_eq!(f.m5[1].term_name, "2025—2026学年第一学期");
}
