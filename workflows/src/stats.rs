//! Oversight figures (issue 12 item 5): how well the linkage works, from the requests' states.
//!
//! Pure: no clock (the caller passes `now` for the age of pending tasks), no I/O. The input is the
//! requests submitted in a date range ([`Scope`]); the output ([`Figures`]) is:
//! - per workflow and per step: requests submitted and finished, handling time (median and p90,
//!   in **working hours**), tasks decided after their due (overdue count and rate), escalations;
//! - per reviewer: open tasks and the oldest pending one;
//! - M1: branch-B lateness (the school SU acknowledged more than `branch_b_working_days` working
//!   days after the college was asked) and late filing (less lead time than needed);
//! - M5: per lead office and term, the handling rate, on-time rate and satisfaction.
//!
//! **Working hours** are the calendar's office hours, [`WORK_DAY_START`]–[`WORK_DAY_END`]
//! (08:00–18:00 Asia/Shanghai) of its working days (holidays off, 调休 make-up days on); see
//! [`WorkCalendar::working_seconds`]. A request's handling time runs from its submission to its
//! end; a step's, from a task's creation to its decision.
//!
//! **Median** of an even count is the mean of the two middle values; **p90** is the nearest rank
//! (the ⌈0.9·n⌉-th smallest). Hours are rounded to 2 decimals, rates (0–1) to 4; a rate with
//! nothing to count is `null`.
//!
//! [`WORK_DAY_START`]: crate::calendar::WORK_DAY_START
//! [`WORK_DAY_END`]: crate::calendar::WORK_DAY_END

use crate::WorkCalendar;
use crate::compliance::{FactState, RequestFacts, lead_time};
use crate::engine::{Instance, RunStatus, TaskState};
use crate::org::PersonId;
use crate::org::checks::CheckSettings;
use crate::records::{Semester, SemesterHalf};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// The proposal ratings that count as satisfied (满意, 基本满意).
const SATISFIED: &[&str] = &["satisfied", "basically_satisfied"];

/// Which requests the figures count: those submitted from `from` to `to` (days in Asia/Shanghai,
/// both included), optionally of one department (the submitter's) and one workflow (its key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Department code.
    pub department: Option<String>,
    /// Definition key.
    pub workflow: Option<String>,
}

impl Scope {
    /// Whether a request is counted.
    pub fn contains(&self, i: &Instance) -> bool {
        let Some(sub) = i.submitted_at else { return false };
        let day = local_day(sub);
        day >= self.from
            && day <= self.to
            && self.department.as_ref().is_none_or(|d| i.submitter.department.as_ref() == Some(d))
            && self.workflow.as_ref().is_none_or(|w| &i.key == w)
    }
}

/// Handling times in working hours.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Handling {
    /// How many were measured.
    pub count: usize,
    /// Median, in working hours.
    pub median_hours: Option<f64>,
    /// 90th percentile (nearest rank), in working hours.
    pub p90_hours: Option<f64>,
}

impl Handling {
    /// The figures of these durations (seconds of working time).
    pub fn of(mut seconds: Vec<i64>) -> Self {
        seconds.sort_unstable();
        let n = seconds.len();
        if n == 0 {
            return Handling::default();
        }
        let median =
            if n % 2 == 1 { seconds[n / 2] as f64 } else { (seconds[n / 2 - 1] + seconds[n / 2]) as f64 / 2.0 };
        let p90 = seconds[(n * 9).div_ceil(10) - 1] as f64;
        Handling { count: n, median_hours: Some(hours(median)), p90_hours: Some(hours(p90)) }
    }
}

/// Figures of one step of a workflow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepFigures {
    /// The step's name in the definition.
    pub step: String,
    /// Times the step was entered.
    pub entered: usize,
    /// Tasks decided (an approval, a rejection, a return, an acknowledgement…).
    pub decided: usize,
    /// From a task's creation to its decision.
    pub handling: Handling,
    /// Decided tasks that had a due time.
    pub with_due: usize,
    /// Of those, decided after it.
    pub overdue: usize,
    /// `overdue / with_due`.
    pub overdue_rate: Option<f64>,
    /// Escalation rungs climbed.
    pub escalations: usize,
}

/// Figures of one workflow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkflowFigures {
    /// The definition key.
    pub workflow: String,
    /// Requests submitted in the range.
    pub submitted: usize,
    /// Of those, finished (any outcome).
    pub finished: usize,
    /// From submission to the end, of the finished ones.
    pub handling: Handling,
    /// Decided tasks with a due time, over all steps.
    pub with_due: usize,
    /// Of those, decided after it.
    pub overdue: usize,
    /// `overdue / with_due`.
    pub overdue_rate: Option<f64>,
    /// Escalation rungs climbed, over all steps.
    pub escalations: usize,
    /// Per step, by name.
    pub steps: Vec<StepFigures>,
}

/// One reviewer's pending work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewerFigures {
    /// Person id.
    pub person: PersonId,
    /// Open tasks.
    pub open_tasks: usize,
    /// When the oldest of them was created.
    pub oldest_pending: DateTime<Utc>,
    /// Of them, past their due time at `now`.
    pub overdue: usize,
}

/// M1: the dual reporting of major matters.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct M1Figures {
    /// Major-matter reports whose branches A and B were both asked.
    pub reports: usize,
    /// Of those, branch B acknowledged.
    pub branch_b_acknowledged: usize,
    /// Of those, more than `branch_b_working_days` working days after branch A was asked.
    pub branch_b_late: usize,
    /// `branch_b_late / branch_b_acknowledged`.
    pub branch_b_late_rate: Option<f64>,
    /// The allowance, in working days.
    pub branch_b_working_days: u32,
    /// Reports with a lead time (a 请示 or a major meeting, with an event date).
    pub with_lead_time: usize,
    /// Of those, filed with less lead time than needed.
    pub late_filings: usize,
    /// `late_filings / with_lead_time`.
    pub late_filing_rate: Option<f64>,
}

/// M5: the proposals of one lead office in one term.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct M5Figures {
    /// The lead office (its code).
    pub office: String,
    /// The term, e.g. `2025-autumn`.
    pub term: String,
    /// Its zh-CN name, e.g. `2025—2026学年第一学期`.
    pub term_name: String,
    /// Proposals that reached the lead office.
    pub proposals: usize,
    /// Of those, replied to.
    pub handled: usize,
    /// `handled / proposals`.
    pub handling_rate: Option<f64>,
    /// Of the replies, within the office's days (`office_reply_days`, or the extended ones).
    pub on_time: usize,
    /// `on_time / handled`.
    pub on_time_rate: Option<f64>,
    /// Proposals the proposer rated.
    pub rated: usize,
    /// Of those, 满意 or 基本满意.
    pub satisfied: usize,
    /// `satisfied / rated`.
    pub satisfaction_rate: Option<f64>,
}

/// Every figure of a scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    /// Per workflow, by key.
    pub workflows: Vec<WorkflowFigures>,
    /// Per reviewer with open tasks, the oldest pending first.
    pub reviewers: Vec<ReviewerFigures>,
    /// M1.
    pub m1: M1Figures,
    /// M5, by office and term.
    pub m5: Vec<M5Figures>,
}

fn local_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

fn hours(seconds: f64) -> f64 {
    (seconds / 36.0).round() / 100.0
}

/// `n / d`, rounded to 4 decimals; `None` when `d` is 0.
pub fn rate(n: usize, d: usize) -> Option<f64> {
    (d > 0).then(|| (n as f64 / d as f64 * 10_000.0).round() / 10_000.0)
}

#[derive(Default)]
struct StepAcc {
    entered: usize,
    times: Vec<i64>,
    with_due: usize,
    overdue: usize,
    escalations: usize,
}

#[derive(Default)]
struct FlowAcc {
    submitted: usize,
    finished: usize,
    times: Vec<i64>,
    steps: BTreeMap<String, StepAcc>,
}

/// The figures being counted, one request at a time ([`Tally::add`]), so a caller reading pages
/// of requests keeps only the counts (and one duration per decided task) in memory.
pub struct Tally<'a> {
    scope: &'a Scope,
    now: DateTime<Utc>,
    cfg: &'a CheckSettings,
    cal: &'a WorkCalendar,
    flows: BTreeMap<String, FlowAcc>,
    reviewers: BTreeMap<PersonId, ReviewerFigures>,
    m1: M1Figures,
    /// `[proposals, handled, on_time, rated, satisfied]` per (office, term).
    m5: BTreeMap<(String, Semester), [usize; 5]>,
}

/// The figures of the requests in `scope` (others are skipped) at `now`.
pub fn figures(
    requests: &[Instance],
    scope: &Scope,
    now: DateTime<Utc>,
    cfg: &CheckSettings,
    cal: &WorkCalendar,
) -> Figures {
    let mut t = Tally::new(scope, now, cfg, cal);
    for i in requests {
        t.add(i);
    }
    t.finish()
}

impl<'a> Tally<'a> {
    /// Nothing counted yet.
    pub fn new(scope: &'a Scope, now: DateTime<Utc>, cfg: &'a CheckSettings, cal: &'a WorkCalendar) -> Self {
        Tally {
            scope,
            now,
            cfg,
            cal,
            flows: BTreeMap::new(),
            reviewers: BTreeMap::new(),
            m1: M1Figures { branch_b_working_days: cfg.branch_b_working_days, ..M1Figures::default() },
            m5: BTreeMap::new(),
        }
    }

    /// Counts one request, if it is in the scope.
    pub fn add(&mut self, i: &Instance) {
        if !self.scope.contains(i) {
            return;
        }
        let cal = self.cal;
        let flow = self.flows.entry(i.key.clone()).or_default();
        flow.submitted += 1;
        if let (Some(s), Some(f)) = (i.submitted_at, i.finished_at) {
            flow.finished += 1;
            flow.times.push(cal.working_seconds(s, f));
        }
        for r in i.runs.values() {
            let st = flow.steps.entry(r.step.clone()).or_default();
            st.entered += 1;
            st.escalations += r.escalated_rungs;
        }
        for t in i.tasks.values() {
            match &t.state {
                TaskState::Decided { at, .. } => {
                    let st = flow.steps.entry(t.step.clone()).or_default();
                    st.times.push(cal.working_seconds(t.created_at, *at));
                    if let Some(due) = t.due_at {
                        st.with_due += 1;
                        st.overdue += usize::from(*at > due);
                    }
                }
                TaskState::Open => {
                    let r = self.reviewers.entry(t.assignee.clone()).or_insert_with(|| ReviewerFigures {
                        person: t.assignee.clone(),
                        open_tasks: 0,
                        oldest_pending: t.created_at,
                        overdue: 0,
                    });
                    r.open_tasks += 1;
                    r.oldest_pending = r.oldest_pending.min(t.created_at);
                    r.overdue += usize::from(t.due_at.is_some_and(|d| d < self.now));
                }
                TaskState::Cancelled { .. } => {}
            }
        }
        match i.key.as_str() {
            "major_matter_report" => m1_count(&mut self.m1, &RequestFacts::from_instance(i), self.cfg, cal),
            "proposal_handling" => m5_count(&mut self.m5, i, self.cfg),
            _ => {}
        }
    }

    /// The figures counted.
    pub fn finish(self) -> Figures {
        let mut m1 = self.m1;
        m1.branch_b_late_rate = rate(m1.branch_b_late, m1.branch_b_acknowledged);
        m1.late_filing_rate = rate(m1.late_filings, m1.with_lead_time);
        let workflows = self.flows.into_iter().map(|(workflow, f)| flow_figures(workflow, f)).collect();
        let mut reviewers: Vec<ReviewerFigures> = self.reviewers.into_values().collect();
        reviewers.sort_by(|a, b| (a.oldest_pending, &a.person).cmp(&(b.oldest_pending, &b.person)));
        let m5 = self
            .m5
            .into_iter()
            .map(|((office, term), [proposals, handled, on_time, rated, satisfied])| M5Figures {
                office,
                term: format!(
                    "{}-{}",
                    term.year,
                    match term.half {
                        SemesterHalf::Autumn => "autumn",
                        SemesterHalf::Spring => "spring",
                    }
                ),
                term_name: term.zh(),
                proposals,
                handled,
                handling_rate: rate(handled, proposals),
                on_time,
                on_time_rate: rate(on_time, handled),
                rated,
                satisfied,
                satisfaction_rate: rate(satisfied, rated),
            })
            .collect();
        Figures { workflows, reviewers, m1, m5 }
    }
}

fn flow_figures(workflow: String, f: FlowAcc) -> WorkflowFigures {
    let steps: Vec<StepFigures> = f
        .steps
        .into_iter()
        .map(|(step, s)| StepFigures {
            step,
            entered: s.entered,
            decided: s.times.len(),
            handling: Handling::of(s.times),
            with_due: s.with_due,
            overdue: s.overdue,
            overdue_rate: rate(s.overdue, s.with_due),
            escalations: s.escalations,
        })
        .collect();
    let (with_due, overdue) = (steps.iter().map(|s| s.with_due).sum(), steps.iter().map(|s| s.overdue).sum());
    WorkflowFigures {
        workflow,
        submitted: f.submitted,
        finished: f.finished,
        handling: Handling::of(f.times),
        with_due,
        overdue,
        overdue_rate: rate(overdue, with_due),
        escalations: steps.iter().map(|s| s.escalations).sum(),
        steps,
    }
}

/// Counts one major-matter report into the M1 figures (as the compliance check reads it).
fn m1_count(m1: &mut M1Figures, r: &RequestFacts, cfg: &CheckSettings, cal: &WorkCalendar) {
    if let (Some(a), Some(b)) = (r.step("league_review"), r.step("school_su_ack")) {
        m1.reports += 1;
        if let Some(done) = b.done_at {
            m1.branch_b_acknowledged += 1;
            let late = cal.working_days_between(local_day(a.entered_at), local_day(done));
            m1.branch_b_late += usize::from(late > i64::from(cfg.branch_b_working_days));
        }
    }
    if r.state != FactState::Withdrawn
        && let Some((had, need)) = lead_time(r, cfg, cal)
    {
        m1.with_lead_time += 1;
        m1.late_filings += usize::from(had < i64::from(need));
    }
}

/// Counts one proposal into the M5 figures of its lead office and term:
/// `[proposals, handled, on_time, rated, satisfied]`.
fn m5_count(m5: &mut BTreeMap<(String, Semester), [usize; 5]>, i: &Instance, cfg: &CheckSettings) {
    let Some(office) = i.form.get("lead_office").and_then(|v| v.as_str()) else { return };
    let Some(sub) = i.submitted_at else { return };
    // The lead office's reply: the latest visit of `lead_reply` (a second handling after an
    // unsatisfied rating counts once, as it ended).
    let Some(run) = i.runs.values().filter(|r| r.step == "lead_reply").max_by_key(|r| (r.entered_at, r.id)) else {
        return;
    };
    let c = m5.entry((office.to_string(), Semester::of(local_day(sub)))).or_default();
    c[0] += 1;
    if matches!(run.status, RunStatus::Done(_)) {
        let done = i
            .tasks_of(run.id)
            .filter_map(|t| match &t.state {
                TaskState::Decided { at, .. } => Some(*at),
                _ => None,
            })
            .max();
        if let Some(done) = done {
            c[1] += 1;
            let days = if run.extensions > 0 { cfg.office_reply_extended_days } else { cfg.office_reply_days };
            let due = local_day(run.entered_at) + chrono::Duration::days(i64::from(days));
            c[2] += usize::from(local_day(done) <= due);
        }
    }
    if let Some(rating) = i.form.get("rating").and_then(|v| v.as_str()) {
        c[3] += 1;
        c[4] += usize::from(SATISFIED.contains(&rating));
    }
}

#[cfg(test)]
mod tests;
