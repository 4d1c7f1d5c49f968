//! [`RequestFacts`]: the few things the compliance checks need to know of one request, taken
//! from its state ([`Instance`]) so the checks never read a whole request.

use crate::engine::{Actor, Instance, RunStatus, Status, TaskState};
use crate::model::Outcome;
use crate::org::PersonId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The definition keys whose requests the checks read (M1, M4, M5, M9, and the M10 annual
/// assessment the publication reads). The store loads the facts of these only.
pub const FACT_KEYS: &[&str] = &[
    "major_matter_report",
    "training_filing",
    "proposal_handling",
    "annual_work_report",
    "federation_annual_summary",
    "annual_assessment",
];

/// The form fields kept in [`RequestFacts::form`] (the rest of a form is never read by a check;
/// `department`, `total` and `grade` are the annual assessment's).
pub const FACT_FORM_FIELDS: &[&str] = &[
    "kind",
    "matter_type",
    "event_date",
    "semester",
    "phase",
    "year",
    "symposium_date",
    "department",
    "total",
    "grade",
];

/// Where a request stands, for the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactState {
    /// Reviewers are at work.
    Running,
    /// Returned to the submitter.
    Returned,
    /// Finished: approved (filed, acknowledged, answered).
    Approved,
    /// Finished: rejected.
    Rejected,
    /// Withdrawn or abandoned by the submitter.
    Withdrawn,
    /// Finished otherwise: merged into another request or converted to a suggestion (M5).
    Closed,
}

/// One visit of a step: when it was entered, due and done, and who still has to act.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepFact {
    /// The step's name in the definition (e.g. `school_su_ack`).
    pub step: String,
    /// When the step was entered (UTC).
    pub entered_at: DateTime<Utc>,
    /// When its tasks fall due, if the step has a deadline (UTC).
    pub due_at: Option<DateTime<Utc>>,
    /// When it ended with a decision or an acknowledgement (the last decision of its tasks);
    /// `None` while open, or when it was cancelled.
    pub done_at: Option<DateTime<Utc>>,
    /// Who made that last decision.
    pub done_by: Option<PersonId>,
    /// The assignees of its open tasks.
    pub open: Vec<PersonId>,
    /// Extensions taken on it (`extension:`; an M5 office's 30 more days).
    #[serde(default)]
    pub extensions: u32,
}

/// What the checks need from one request: definition key, state, submitter, department,
/// submitted/ended moments, the steps' moments, and a few form values ([`FACT_FORM_FIELDS`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestFacts {
    /// Request id.
    pub id: String,
    /// Definition key (one of [`FACT_KEYS`]).
    pub key: String,
    /// Title as submitted.
    pub title: String,
    /// Where it stands.
    pub state: FactState,
    /// The submitter.
    pub submitter: PersonId,
    /// The submitter's department, when they have one.
    pub department: Option<String>,
    /// First submitted (UTC).
    pub submitted_at: Option<DateTime<Utc>>,
    /// Finished (UTC).
    pub ended_at: Option<DateTime<Utc>>,
    /// Step visits in the order they were entered.
    pub steps: Vec<StepFact>,
    /// The form values of [`FACT_FORM_FIELDS`] the form has.
    pub form: BTreeMap<String, serde_json::Value>,
}

impl RequestFacts {
    /// The facts of a request's state.
    pub fn from_instance(i: &Instance) -> Self {
        let state = match i.status {
            Status::Draft | Status::Running => FactState::Running,
            Status::Returned => FactState::Returned,
            Status::Finished(Outcome::Approved) => FactState::Approved,
            Status::Finished(Outcome::Rejected) => FactState::Rejected,
            Status::Finished(Outcome::Withdrawn | Outcome::Abandoned) => FactState::Withdrawn,
            Status::Finished(Outcome::Merged | Outcome::Converted) => FactState::Closed,
        };
        let steps = i
            .runs
            .values()
            .map(|r| {
                let mut done: Option<(DateTime<Utc>, Option<PersonId>)> = None;
                let mut open = Vec::new();
                for t in i.tasks_of(r.id) {
                    match &t.state {
                        TaskState::Open => open.push(t.assignee.clone()),
                        TaskState::Decided { by, at, .. } => {
                            let who = match by {
                                Actor::Person { id, .. } => Some(id.clone()),
                                _ => Some(t.assignee.clone()),
                            };
                            if done.as_ref().is_none_or(|(d, _)| at >= d) {
                                done = Some((*at, who));
                            }
                        }
                        TaskState::Cancelled { .. } => {}
                    }
                }
                let finished = matches!(r.status, RunStatus::Done(_));
                let (done_at, done_by) = match done {
                    Some((at, by)) if finished => (Some(at), by),
                    _ => (None, None),
                };
                StepFact {
                    step: r.step.clone(),
                    entered_at: r.entered_at,
                    due_at: r.due_at,
                    done_at,
                    done_by,
                    open,
                    extensions: r.extensions,
                }
            })
            .collect();
        let form = i
            .form
            .iter()
            .filter(|(k, _)| FACT_FORM_FIELDS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        RequestFacts {
            id: i.id.clone(),
            key: i.key.clone(),
            title: i.title.clone(),
            state,
            submitter: i.submitter.id.clone(),
            department: i.submitter.department.clone(),
            submitted_at: i.submitted_at,
            ended_at: i.finished_at,
            steps,
            form,
        }
    }

    /// The latest visit of `step`, if it was entered.
    pub fn step(&self, step: &str) -> Option<&StepFact> {
        self.steps.iter().rev().find(|s| s.step == step)
    }

    /// A form value as text.
    pub fn text(&self, field: &str) -> Option<&str> {
        self.form.get(field).and_then(|v| v.as_str())
    }

    /// A form value as an integer.
    pub fn int(&self, field: &str) -> Option<i64> {
        self.form.get(field).and_then(|v| v.as_i64())
    }

    /// A form value as a date (`YYYY-MM-DD`).
    pub fn date(&self, field: &str) -> Option<chrono::NaiveDate> {
        self.text(field).and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
    }

    /// Whether it is still open (running or returned).
    pub fn is_open(&self) -> bool {
        matches!(self.state, FactState::Running | FactState::Returned)
    }
}
