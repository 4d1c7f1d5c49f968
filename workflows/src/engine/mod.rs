//! The pure engine: `(definition, state, command or timer, directory, calendar, now) → events + effects`.
//!
//! Every change goes through [`Instance::apply`], so the events returned rebuild the state exactly.
//! Nothing here reads a clock or does I/O; the caller commits events and effects in one transaction.

mod commands;
mod decision;
pub mod events;
mod guards;
mod machine;
mod reassign;
pub mod reporting;
pub mod state;
#[cfg(test)]
mod tests;

pub use events::*;
pub use reassign::{Reassign, ended_post_tasks, post_ended, reviewer_of};
pub use state::{Instance, RunStatus, Status, StepRun, Task, TaskState};

use crate::calendar::WorkCalendar;
use crate::duration::DurationSpec;
use crate::form::FieldError;
use crate::model::{Definition, StepName};
use crate::org::{Directory, PersonId};
use chrono::{DateTime, Utc};
use machine::Machine;

/// What the engine needs besides the state: the definition version the request runs on, the org,
/// the calendar and the current time.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    /// The definition (the version the request started on).
    pub def: &'a Definition,
    /// The org.
    pub dir: &'a dyn Directory,
    /// Working days.
    pub cal: &'a WorkCalendar,
    /// Now.
    pub now: DateTime<Utc>,
}

/// The result of a command: the new state, the events that led there, and what to do after commit.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// The state after the events.
    pub state: Instance,
    /// New events, in order (their `seq` continue the request's history).
    pub events: Vec<Event>,
    /// Notifications and timers to write in the same transaction.
    pub effects: Vec<Effect>,
}

/// A command from a person on a running request.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// 同意 a task.
    Approve {
        /// Task.
        task: TaskId,
        /// Optional comment.
        comment: Option<String>,
    },
    /// 驳回 a task.
    Reject {
        /// Task.
        task: TaskId,
        /// Optional comment.
        comment: Option<String>,
    },
    /// 退回 a task: to the submitter, or to an earlier step when `to` names one and the step allows it.
    Return {
        /// Task.
        task: TaskId,
        /// Optional comment.
        comment: Option<String>,
        /// An earlier step instead of the definition's return target.
        to: Option<StepName>,
    },
    /// 已阅 an acknowledge task.
    Acknowledge {
        /// Task.
        task: TaskId,
        /// Optional comment.
        comment: Option<String>,
    },
    /// A comment on the request (submitter, anyone on the path, or an admin).
    Comment {
        /// The text.
        text: String,
    },
    /// 撤回 by the submitter while not finished.
    Withdraw,
    /// The submitter sends a returned request again, with a corrected form if given.
    Resubmit {
        /// The new form (the old one when absent).
        form: Option<serde_json::Value>,
        /// What the definition's `guards:` read, as at a submission: the day's findings and the
        /// submitter's override reason (a resubmission goes through the same guards).
        guard: crate::guard::GuardFacts,
    },
    /// The submitter gives up a returned request.
    Abandon,
    /// 续报: a follow-up report on a running request, by the submitter (or whom the definition's
    /// `follow_ups.who` names), on definitions with `follow_ups:`.
    FollowUp {
        /// The report (1 to 20,000 characters).
        text: String,
    },
    /// 转交: the reviewer (or an admin) hands an open task to someone else.
    Transfer {
        /// Task.
        task: TaskId,
        /// The new reviewer.
        to: PersonId,
        /// Optional comment.
        comment: Option<String>,
    },
    /// A decision with a decision form or a named option: `decision` is `approve`, `reject`,
    /// `return`, `acknowledge` or the name of one of the step's `options:`; `fields` are the values
    /// of the step's (or the option's) `fields:`, checked like submit fields and merged into the
    /// form. Fields are ignored on reject and return.
    Decide {
        /// Task.
        task: TaskId,
        /// The decision or option name.
        decision: String,
        /// Optional comment (required where `comment_required:` names the decision).
        comment: Option<String>,
        /// The filled fields.
        fields: serde_json::Map<String, serde_json::Value>,
    },
    /// The assignee of an open task asks for more time (`extension:`): the step's due time moves
    /// by `by`, its reminders and escalations are armed again from there. At most `max` times per
    /// visit of the step; one more is [`EngineError::ExtensionExhausted`].
    Extend {
        /// Task.
        task: TaskId,
        /// Why (recorded as a comment).
        comment: Option<String>,
    },
    /// 加签: the reviewer (or an admin) adds a co-reviewer to the step of an open task.
    AddReviewer {
        /// Task.
        task: TaskId,
        /// The added reviewer.
        person: PersonId,
        /// Optional comment.
        comment: Option<String>,
    },
}

/// A command that is not allowed. Each has a stable code for the API.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    /// The actor is not in the org.
    #[error("unknown person `{0}`")]
    UnknownPerson(String),
    /// The actor may not submit this workflow.
    #[error("`{0}` may not submit this workflow")]
    NotASubmitter(String),
    /// The form breaks the schema.
    #[error("the form has {} problem(s)", .0.len())]
    InvalidForm(Vec<FieldError>),
    /// Submitted later than the definition's lead time allows, and it blocks.
    #[error("too late: this must be submitted at least {at_least} before the date (by {deadline})")]
    TooLate {
        /// The lead time.
        at_least: DurationSpec,
        /// The last moment that would have been in time.
        deadline: DateTime<Utc>,
    },
    /// Submitted later than the definition's `report_within` allows, and it blocks.
    #[error("too late: this must be reported within {within} of the moment in the form (by {deadline})")]
    ReportTooLate {
        /// The rule's `within`.
        within: DurationSpec,
        /// The last moment that was in time.
        deadline: DateTime<Utc>,
    },
    /// The definition has no `follow_ups:`.
    #[error("this workflow takes no follow-up reports")]
    FollowUpsNotAllowed,
    /// A follow-up report that is empty (`required`) or too long (`too_long`): the field code and
    /// the reason.
    #[error("{1}")]
    BadFollowUp(&'static str, String),
    /// No such task in this request.
    #[error("no task {0} in this request")]
    UnknownTask(TaskId),
    /// The task was already decided, cancelled or moved.
    #[error("task {0} is no longer open")]
    TaskNotOpen(TaskId),
    /// The actor is neither the reviewer nor their delegate (nor an admin where admins may act).
    #[error("task {0} is not assigned to you")]
    NotYourTask(TaskId),
    /// The request is finished.
    #[error("the request is already finished")]
    Finished,
    /// The request is waiting for its submitter (returned), not for reviewers.
    #[error("the request is waiting for its submitter to resubmit")]
    WaitingForSubmitter,
    /// Resubmit or abandon on a request that was not returned.
    #[error("the request was not returned")]
    NotReturned,
    /// Only the submitter may do this.
    #[error("only the submitter may do this")]
    OnlySubmitter,
    /// The step or task does not allow this action.
    #[error("{0}")]
    NotAllowed(String),
    /// The definition does not match the request.
    #[error("the request runs on {0}, not on this definition")]
    WrongDefinition(String),
    /// The step's `self_approval` policy keeps the submitter from deciding here (a transfer or an
    /// added reviewer naming the submitter, or the submitter acting on someone's task).
    #[error("{0}")]
    SelfApproval(String),
    /// The person already holds, or has decided, a task of this step in this round: one vote per
    /// person.
    #[error("{0}")]
    AlreadyOnStep(String),
    /// The step's extensions are used up for this visit (`extension: { max }`).
    #[error("{0}")]
    ExtensionExhausted(String),
    /// A guard of the definition (`guards:`) blocks the submission: compliance findings of the
    /// day that nobody overrode. `message` is the guards' message followed by the subjects'
    /// names; `findings` lists each with its subject.
    #[error("{}", .message.zh)]
    GuardBlocked {
        /// What the submitter is told (zh-CN and English), naming the subjects.
        message: crate::catalog::Label,
        /// The findings that block, in the order of the guards.
        findings: Vec<crate::guard::GuardFinding>,
    },
    /// The submitter asked to override a guard they may not override (not in its
    /// `override.who` on the day, or the guard has no `override:`).
    #[error("{0}")]
    GuardOverrideForbidden(String),
    /// The override's reason is empty or longer than [`crate::guard::REASON_MAX_CHARS`]: the
    /// field code (`required`, `too_long`) and the reason.
    #[error("{1}")]
    BadGuardOverride(&'static str, String),
}

impl EngineError {
    /// A stable code, e.g. `task_not_open`.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::UnknownPerson(_) => "unknown_person",
            EngineError::NotASubmitter(_) => "not_a_submitter",
            EngineError::InvalidForm(_) => "invalid_form",
            EngineError::TooLate { .. } => "too_late",
            EngineError::ReportTooLate { .. } => "report_too_late",
            EngineError::FollowUpsNotAllowed => "follow_ups_not_allowed",
            EngineError::BadFollowUp(..) => "invalid_follow_up",
            EngineError::UnknownTask(_) => "unknown_task",
            EngineError::TaskNotOpen(_) => "task_not_open",
            EngineError::NotYourTask(_) => "not_your_task",
            EngineError::Finished => "request_finished",
            EngineError::WaitingForSubmitter => "waiting_for_submitter",
            EngineError::NotReturned => "not_returned",
            EngineError::OnlySubmitter => "only_submitter",
            EngineError::NotAllowed(_) => "not_allowed",
            EngineError::WrongDefinition(_) => "wrong_definition",
            EngineError::SelfApproval(_) => "self_approval_forbidden",
            EngineError::AlreadyOnStep(_) => "already_on_step",
            EngineError::ExtensionExhausted(_) => "extension_exhausted",
            EngineError::GuardBlocked { .. } => "guard_blocked",
            EngineError::GuardOverrideForbidden(_) => "guard_override_forbidden",
            EngineError::BadGuardOverride(..) => "invalid_guard_override",
        }
    }
}

/// Submits a new request `request_id` on `env.def` for `submitter`.
pub fn submit(
    env: &Env<'_>,
    request_id: &str,
    submitter: &str,
    channel: Channel,
    form: &serde_json::Value,
) -> Result<Output, EngineError> {
    submit_guarded(env, request_id, submitter, channel, form, &crate::guard::GuardFacts::default())
}

/// Submits like [`submit`], with the facts the definition's `guards:` read: the compliance
/// findings of the day (computed by the caller) and the submitter's override reason, if any.
///
/// Findings that a guard names refuse the submission with [`EngineError::GuardBlocked`] (every
/// guard's findings at once), unless `guard.override_reason` is given and the submitter is one of
/// each blocking guard's `override.who` on the day: then the request is submitted and a
/// `GuardOverridden` event per guard records the reason and the findings overridden.
/// A reason that is empty or longer than [`crate::guard::REASON_MAX_CHARS`] characters is
/// [`EngineError::BadGuardOverride`]; an override by anyone else, or of a guard without
/// `override:`, is [`EngineError::GuardOverrideForbidden`]. A reason given when nothing blocks is
/// not recorded.
pub fn submit_guarded(
    env: &Env<'_>,
    request_id: &str,
    submitter: &str,
    channel: Channel,
    form: &serde_json::Value,
    guard: &crate::guard::GuardFacts,
) -> Result<Output, EngineError> {
    let mut m = Machine::new(env, Instance::default(), Actor::person(submitter), channel);
    m.submit(request_id, submitter, form, guard)?;
    Ok(m.finish())
}

/// Submits request `request_id` on `env.def` for `submitter`, as the system: the follow-up an
/// outcome starts (an appointment's onboarding, M4). The events say "system"; `submitters:` is
/// not asked (the system files it on the submitter's behalf); the form is checked as for a person.
pub fn submit_by_system(
    env: &Env<'_>,
    request_id: &str,
    submitter: &str,
    form: &serde_json::Value,
) -> Result<Output, EngineError> {
    let mut m = Machine::new(env, Instance::default(), Actor::System, Channel::System);
    m.submit(request_id, submitter, form, &crate::guard::GuardFacts::default())?;
    Ok(m.finish())
}

/// Handles a person's command on a request.
pub fn handle(
    env: &Env<'_>,
    state: &Instance,
    actor: &str,
    channel: Channel,
    cmd: Command,
) -> Result<Output, EngineError> {
    if state.key != env.def.key || state.version != env.def.version {
        return Err(EngineError::WrongDefinition(format!("{} v{}", state.key, state.version)));
    }
    let mut m = Machine::new(env, state.clone(), Actor::person(actor), channel);
    m.command(actor, cmd)?;
    Ok(m.finish())
}

/// Fires timer `timer_id` of a request. A timer that is no longer pending (its step was decided
/// meanwhile) does nothing: the output has no events.
pub fn fire(env: &Env<'_>, state: &Instance, timer_id: &str) -> Result<Output, EngineError> {
    if state.key != env.def.key || state.version != env.def.version {
        return Err(EngineError::WrongDefinition(format!("{} v{}", state.key, state.version)));
    }
    let mut m = Machine::new(env, state.clone(), Actor::Timer, Channel::Timer);
    m.fire(timer_id);
    Ok(m.finish())
}

/// Gives every open task `delegate` holds on behalf of `principal` back to `principal`, as the
/// system: the delegation ended (or was ended early). Nothing to give back: no events.
pub fn return_delegated(
    env: &Env<'_>,
    state: &Instance,
    delegate: &str,
    principal: &str,
) -> Result<Output, EngineError> {
    if state.key != env.def.key || state.version != env.def.version {
        return Err(EngineError::WrongDefinition(format!("{} v{}", state.key, state.version)));
    }
    let mut m = Machine::new(env, state.clone(), Actor::System, Channel::System);
    m.reclaim(delegate, principal);
    Ok(m.finish())
}

/// Moves, as `to` says and as the system, the open tasks held by (or on behalf of) the people in
/// `gone` — who left the org — and those whose qualifying post (the one that made their reviewer
/// one, `Task::post`) is no longer held on `env.now`'s day (Asia/Shanghai) in `env.dir`: its
/// `to:` date passed, or an import gave it to someone else (issue 10). Nothing to move: no events.
pub fn reassign_departed(
    env: &Env<'_>,
    state: &Instance,
    gone: &std::collections::BTreeSet<PersonId>,
    to: &Reassign,
) -> Result<Output, EngineError> {
    if state.key != env.def.key || state.version != env.def.version {
        return Err(EngineError::WrongDefinition(format!("{} v{}", state.key, state.version)));
    }
    let mut m = Machine::new(env, state.clone(), Actor::System, Channel::System);
    m.reassign(gone, to);
    Ok(m.finish())
}

/// Moves the open tasks whose qualifying post has ended on `env.now`'s day (see
/// `reassign_departed`), as `to` says, as the system: the daily check of posts' `to:` dates.
/// Nothing to move (run it again: nothing moves twice): no events.
pub fn reassign_ended_posts(env: &Env<'_>, state: &Instance, to: &Reassign) -> Result<Output, EngineError> {
    reassign_departed(env, state, &std::collections::BTreeSet::new(), to)
}

/// The event that brings a running request's `computed:` fields up to `values` (field → value,
/// as the daemon counted them from its records just now), applied to a copy of `st`: `None` when
/// the request is finished or every value is already in its form. Actor and channel: the system.
pub fn recompute(
    st: &Instance,
    values: &serde_json::Map<String, serde_json::Value>,
    now: DateTime<Utc>,
) -> Option<(Instance, Event)> {
    if st.is_finished() {
        return None;
    }
    let fields: serde_json::Map<String, serde_json::Value> =
        values.iter().filter(|(k, v)| st.form.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
    if fields.is_empty() {
        return None;
    }
    let ev = Event {
        seq: st.seq + 1,
        at: now,
        actor: Actor::System,
        channel: Channel::System,
        kind: EventKind::Recomputed { fields },
    };
    let mut state = st.clone();
    state.apply(&ev);
    Some((state, ev))
}
