//! The state of one request, and `apply`: the only way it changes (so events rebuild it exactly).

use super::events::*;
use crate::model::{Outcome, StepName};
use crate::org::{PersonId, PostRef, SubmitterInfo};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not submitted yet (empty state before the first event).
    #[default]
    Draft,
    /// Reviewers are at work.
    Running,
    /// Returned to the submitter, who may resubmit, withdraw or abandon it.
    Returned,
    /// Done.
    Finished(Outcome),
}

/// Where a step run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Waiting for decisions (or branches).
    Active,
    /// Returned to the submitter: it resumes on resubmission.
    Suspended,
    /// Ended with a result.
    Done(StepResult),
    /// Ended because its branch or request ended, or it was superseded.
    Cancelled,
}

/// One visit of a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRun {
    /// Run id.
    pub id: RunId,
    /// The step.
    pub step: StepName,
    /// The parallel run and branch it belongs to.
    pub parent: Option<(RunId, String)>,
    /// When it was entered.
    pub entered_at: DateTime<Utc>,
    /// When its tasks are due.
    pub due_at: Option<DateTime<Utc>>,
    /// Reviewers in order (sequence order), including added ones.
    pub reviewers: Vec<PersonId>,
    /// Approvals needed (quorum).
    pub needed: Option<u32>,
    /// Rungs climbed so far.
    pub escalated_rungs: usize,
    /// Where it stands.
    pub status: RunStatus,
    /// Branch name → outcome, for a parallel run.
    pub branches: BTreeMap<String, Option<Outcome>>,
    /// The post that made each reviewer one (entry or the last rung climbed), for the tasks a
    /// sequence creates later.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub posts: BTreeMap<PersonId, PostRef>,
    /// Extensions taken on this run (`extension:`).
    #[serde(default)]
    pub extensions: u32,
    /// The named option that decided the run, if one did.
    #[serde(default)]
    pub option: Option<String>,
    /// The score sheets given on this run (`score:` steps), by task.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sheets: BTreeMap<TaskId, crate::score::Sheet>,
}

/// A task: one person asked to decide or acknowledge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Task id.
    pub id: TaskId,
    /// Its step run.
    pub run: RunId,
    /// Its step.
    pub step: StepName,
    /// Who must act.
    pub assignee: PersonId,
    /// Whom the assignee stands in for.
    pub on_behalf_of: Option<PersonId>,
    /// Approve or acknowledge.
    pub kind: TaskKind,
    /// The request's round when it was created (a return starts a new round).
    pub round: u32,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Due at.
    pub due_at: Option<DateTime<Utc>>,
    /// The post that made the reviewer (`on_behalf_of`, else `assignee`) one; `None` for a task
    /// given by name. See `EventKind::TaskCreated::post`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post: Option<PostRef>,
    /// Where it stands.
    pub state: TaskState,
}

/// Where a task stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TaskState {
    /// Waiting for its reviewer.
    Open,
    /// Decided.
    Decided {
        /// The decision.
        decision: Decision,
        /// Who decided (the assignee, their delegate, or the system).
        by: Actor,
        /// When.
        at: DateTime<Utc>,
        /// Comment.
        comment: Option<String>,
    },
    /// Ended without a decision.
    Cancelled {
        /// Why.
        reason: CancelReason,
        /// When.
        at: DateTime<Utc>,
    },
}

impl Task {
    /// Whether the task still waits for its reviewer.
    pub fn is_open(&self) -> bool {
        self.state == TaskState::Open
    }
    /// The decision, if decided.
    pub fn decision(&self) -> Option<Decision> {
        match &self.state {
            TaskState::Decided { decision, .. } => Some(*decision),
            _ => None,
        }
    }
}

/// The whole state of one request: rebuilt by applying its events in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Instance {
    /// Request id.
    pub id: String,
    /// Definition key.
    pub key: String,
    /// Definition version.
    pub version: u32,
    /// The submitter.
    pub submitter: SubmitterInfo,
    /// The form.
    pub form: serde_json::Map<String, serde_json::Value>,
    /// Title.
    pub title: String,
    /// Need-to-know.
    pub need_to_know: bool,
    /// Where it stands.
    pub status: Status,
    /// Round: 1, then one more after each return.
    pub round: u32,
    /// Submitted at.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Finished at.
    pub finished_at: Option<DateTime<Utc>>,
    /// Step runs by id.
    pub runs: BTreeMap<RunId, StepRun>,
    /// Tasks by id.
    pub tasks: BTreeMap<TaskId, Task>,
    /// Pending timers by id.
    pub timers: BTreeMap<String, Timer>,
    /// People on the path (see need-to-know).
    pub viewers: BTreeSet<PersonId>,
    /// Number of events applied.
    pub seq: u64,
    /// Last id handed out (runs and tasks share the counter).
    pub last_id: u32,
    /// The result of the latest score step (`score:`), if one finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<crate::score::ScoreResult>,
}

impl Instance {
    /// Open tasks, in id order.
    pub fn open_tasks(&self) -> impl Iterator<Item = &Task> {
        self.tasks.values().filter(|t| t.is_open())
    }
    /// Active step runs, in id order.
    pub fn active_runs(&self) -> impl Iterator<Item = &StepRun> {
        self.runs.values().filter(|r| r.status == RunStatus::Active)
    }
    /// The tasks of one run.
    pub fn tasks_of(&self, run: RunId) -> impl Iterator<Item = &Task> {
        self.tasks.values().filter(move |t| t.run == run)
    }
    /// Whether the request is finished.
    pub fn is_finished(&self) -> bool {
        matches!(self.status, Status::Finished(_))
    }
    /// Whether `person` may see the request when it is need-to-know.
    pub fn on_path(&self, person: &str) -> bool {
        self.submitter.id == person || self.viewers.contains(person)
    }

    /// A delegate whose stand-in task `task` went back (the delegation ended) no longer sees the
    /// request, unless they are on its path some other way: the submitter, a reviewer of a step,
    /// or the assignee (or principal) of a task they did not just lose.
    fn forget_delegate(&mut self, task: TaskId) {
        let Some(p) = self.tasks.get(&task).map(|t| t.assignee.clone()) else { return };
        let lost = |t: &Task| matches!(t.state, TaskState::Cancelled { reason: CancelReason::DelegationEnded, .. });
        let still = self.submitter.id == p
            || self.runs.values().any(|r| r.reviewers.contains(&p))
            || self
                .tasks
                .values()
                .any(|t| (t.on_behalf_of.as_deref() == Some(p.as_str())) || (t.assignee == p && !lost(t)));
        if !still {
            self.viewers.remove(&p);
        }
    }

    /// Applies one event. Every change of state goes through here.
    pub fn apply(&mut self, ev: &Event) {
        self.seq = ev.seq;
        match &ev.kind {
            EventKind::Submitted { request, key, version, submitter, form, title, need_to_know } => {
                self.id.clone_from(request);
                self.key.clone_from(key);
                self.version = *version;
                self.submitter = submitter.clone();
                self.form = form.clone();
                self.title.clone_from(title);
                self.need_to_know = *need_to_know;
                self.status = Status::Running;
                self.round = 1;
                self.submitted_at = Some(ev.at);
            }
            EventKind::Recomputed { fields } => {
                for (k, v) in fields {
                    self.form.insert(k.clone(), v.clone());
                }
            }
            EventKind::LeadTimeWarning { .. }
            | EventKind::GuardOverridden { .. }
            | EventKind::LateReport { .. }
            | EventKind::FollowedUp { .. }
            | EventKind::Routed { .. }
            | EventKind::PolicyApplied { .. }
            | EventKind::Commented { .. }
            | EventKind::AutoActed { .. }
            | EventKind::LoopStopped { .. }
            | EventKind::VisitsExhausted { .. }
            | EventKind::DeliveryFailed { .. }
            | EventKind::Recused { .. } => {}
            EventKind::Scored { result, .. } => self.score = Some(result.clone()),
            EventKind::StepEntered { run, step, parent, due_at, reviewers, needed, posts } => {
                self.last_id = self.last_id.max(*run);
                self.runs.insert(
                    *run,
                    StepRun {
                        id: *run,
                        step: step.clone(),
                        parent: parent.clone(),
                        entered_at: ev.at,
                        due_at: *due_at,
                        reviewers: reviewers.clone(),
                        needed: *needed,
                        escalated_rungs: 0,
                        status: RunStatus::Active,
                        branches: BTreeMap::new(),
                        posts: posts.clone(),
                        extensions: 0,
                        option: None,
                        sheets: BTreeMap::new(),
                    },
                );
            }
            EventKind::TaskCreated { task, run, assignee, on_behalf_of, kind, due_at, post } => {
                self.last_id = self.last_id.max(*task);
                let step = self.runs.get(run).map(|r| r.step.clone()).unwrap_or_default();
                self.viewers.insert(assignee.clone());
                if let Some(p) = on_behalf_of {
                    self.viewers.insert(p.clone());
                }
                self.tasks.insert(
                    *task,
                    Task {
                        id: *task,
                        run: *run,
                        step,
                        assignee: assignee.clone(),
                        on_behalf_of: on_behalf_of.clone(),
                        kind: *kind,
                        round: self.round,
                        created_at: ev.at,
                        due_at: *due_at,
                        post: post.clone(),
                        state: TaskState::Open,
                    },
                );
            }
            EventKind::TaskDecided { task, decision, comment, option, fields, scores } => {
                self.apply_decision_details(*task, option.as_deref(), fields.as_ref());
                if let Some(s) = scores
                    && let Some(run) = self.tasks.get(task).map(|t| t.run)
                    && let Some(r) = self.runs.get_mut(&run)
                {
                    r.sheets.insert(*task, s.clone());
                }
                if let Some(t) = self.tasks.get_mut(task) {
                    t.state = TaskState::Decided {
                        decision: *decision,
                        by: ev.actor.clone(),
                        at: ev.at,
                        comment: comment.clone(),
                    };
                }
            }
            EventKind::TaskCancelled { task, reason } => {
                if let Some(t) = self.tasks.get_mut(task) {
                    t.state = TaskState::Cancelled { reason: *reason, at: ev.at };
                }
                if *reason == CancelReason::DelegationEnded {
                    self.forget_delegate(*task);
                }
            }
            EventKind::ReviewerAdded { run, person, after } => {
                if let Some(r) = self.runs.get_mut(run) {
                    let at = after
                        .as_ref()
                        .and_then(|a| r.reviewers.iter().position(|p| p == a))
                        .map_or(r.reviewers.len(), |i| i + 1);
                    r.reviewers.insert(at, person.clone());
                }
            }
            EventKind::Copied { to, .. } => {
                self.viewers.extend(to.iter().cloned());
            }
            EventKind::Overseen { run, rung, to } => {
                // They oversee it from now on: they see the request; later rungs go on from here.
                self.viewers.extend(to.iter().cloned());
                if let Some(r) = self.runs.get_mut(run) {
                    r.escalated_rungs = r.escalated_rungs.max(rung + 1);
                }
            }
            EventKind::Reminded { .. } => {}
            EventKind::Extended { run, due_at, count, .. } => self.apply_extension(*run, *due_at, *count),
            EventKind::Escalated { run, rung, to, posts } => {
                if let Some(r) = self.runs.get_mut(run) {
                    r.escalated_rungs = rung + 1;
                    r.reviewers.clone_from(to);
                    r.posts.clone_from(posts);
                    r.needed = None;
                }
            }
            EventKind::StepCompleted { run, result } => {
                if let Some(r) = self.runs.get_mut(run) {
                    r.status = RunStatus::Done(*result);
                }
            }
            EventKind::RunCancelled { run } => {
                if let Some(r) = self.runs.get_mut(run) {
                    r.status = RunStatus::Cancelled;
                }
            }
            EventKind::ParallelOpened { run, branches } => {
                if let Some(r) = self.runs.get_mut(run) {
                    r.branches = branches.iter().map(|b| (b.clone(), None)).collect();
                }
            }
            EventKind::BranchReopened { run, branch } => {
                if let Some(r) = self.runs.get_mut(run) {
                    r.branches.insert(branch.clone(), None);
                }
            }
            EventKind::BranchCompleted { run, branch, outcome } => {
                if let Some(r) = self.runs.get_mut(run) {
                    r.branches.insert(branch.clone(), Some(*outcome));
                }
            }
            EventKind::TimerScheduled { timer } => {
                self.timers.insert(timer.id.clone(), timer.clone());
            }
            EventKind::TimerCleared { timer } => {
                self.timers.remove(timer);
            }
            EventKind::ReturnedToSubmitter { .. } => {
                self.status = Status::Returned;
                for r in self.runs.values_mut() {
                    if r.status == RunStatus::Active && r.branches.is_empty() {
                        r.status = RunStatus::Suspended;
                    }
                }
            }
            EventKind::Resubmitted { form, title, need_to_know } => {
                self.form = form.clone();
                if let Some(t) = title {
                    self.title.clone_from(t);
                }
                if let Some(n) = need_to_know {
                    self.need_to_know |= *n;
                }
                self.status = Status::Running;
                self.round += 1;
                for r in self.runs.values_mut() {
                    if r.status == RunStatus::Suspended {
                        r.status = RunStatus::Cancelled;
                    }
                }
            }
            EventKind::Finished { outcome } => {
                self.status = Status::Finished(*outcome);
                self.finished_at = Some(ev.at);
                for r in self.runs.values_mut() {
                    if matches!(r.status, RunStatus::Active | RunStatus::Suspended) {
                        r.status = RunStatus::Cancelled;
                    }
                }
            }
        }
    }

    /// A decision's filled fields join the form; a named option is noted on its run.
    fn apply_decision_details(
        &mut self,
        task: TaskId,
        option: Option<&str>,
        fields: Option<&serde_json::Map<String, serde_json::Value>>,
    ) {
        if let Some(f) = fields {
            self.form.extend(f.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if let Some(o) = option
            && let Some(run) = self.tasks.get(&task).map(|t| t.run)
            && let Some(r) = self.runs.get_mut(&run)
        {
            r.option = Some(o.to_string());
        }
    }

    /// An extension moves the run's due time and its open tasks'.
    fn apply_extension(&mut self, run: RunId, due_at: DateTime<Utc>, count: u32) {
        if let Some(r) = self.runs.get_mut(&run) {
            r.due_at = Some(due_at);
            r.extensions = count;
        }
        for t in self.tasks.values_mut().filter(|t| t.run == run && t.state == TaskState::Open) {
            t.due_at = Some(due_at);
        }
    }

    /// Rebuilds a request's state from its events.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Instance {
        let mut st = Instance::default();
        for ev in events {
            st.apply(ev);
        }
        st
    }
}
