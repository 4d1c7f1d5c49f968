//! What the engine records (events, replayable into state) and asks the world to do (effects).

use crate::catalog::Lang;
use crate::duration::DurationSpec;
use crate::model::{AutoAction, Outcome, StepName};
use crate::org::{PersonId, PostRef, SubmitterInfo};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Number of a step run within a request.
pub type RunId = u32;
/// Number of a task within a request.
pub type TaskId = u32;

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    /// A person, possibly standing in for someone (delegation).
    Person {
        /// Who acted.
        id: PersonId,
        /// On whose behalf, when acting as a delegate.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on_behalf_of: Option<PersonId>,
    },
    /// A timer (reminder, escalation, auto-action).
    Timer,
    /// The engine itself (policies applied on someone's behalf).
    System,
}

impl Actor {
    /// A person acting for themselves.
    pub fn person(id: impl Into<String>) -> Self {
        Actor::Person { id: id.into(), on_behalf_of: None }
    }
    /// The id of the acting person, if a person.
    pub fn person_id(&self) -> Option<&str> {
        match self {
            Actor::Person { id, .. } => Some(id),
            _ => None,
        }
    }
}

/// Through which channel a command came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The HTTP API.
    #[default]
    Api,
    /// The web pages.
    Web,
    /// An action link in a mail.
    EmailLink,
    /// A reply to a mail.
    EmailReply,
    /// A timer.
    Timer,
    /// The command line (simulator, admin tools).
    Cli,
    /// The engine itself.
    System,
}

/// A decision on a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// 同意
    Approve,
    /// 驳回
    Reject,
    /// 退回
    Return,
    /// 已阅 / 收到
    Acknowledge,
    /// One of the step's named options (`options:`; the name is in the event's `option`).
    Option,
    /// 评分: a score sheet of a `score:` step (the scores are in the event's `scores`).
    Score,
}

/// Why a task stopped being open without its reviewer's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// Another reviewer's decision (or a timer) decided the step.
    StepDecided,
    /// The branch or the parallel step it was in ended.
    BranchEnded,
    /// The request was withdrawn.
    Withdrawn,
    /// The request was returned.
    Returned,
    /// The task moved up the escalation ladder.
    Escalated,
    /// The reviewer handed it to someone else.
    Transferred,
    /// It was held by a delegate whose delegation ended; it went back to the person away.
    DelegationEnded,
    /// The post that made its reviewer one ended (its `to:` date passed, or an import gave it to
    /// someone else); it moved, by the system (issue 10).
    PostEnded,
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepResult {
    /// Approved (or passed, for notify).
    Approved,
    /// Rejected.
    Rejected,
    /// Acknowledged.
    Acknowledged,
    /// Skipped by a policy or an auto-action.
    Skipped,
    /// A reviewer picked one of the step's named options (the run's `option`); it goes to that
    /// option's `next`.
    Option,
}

impl StepResult {
    /// Whether the result lets the request go on along the approve path.
    pub fn passes(self) -> bool {
        !matches!(self, StepResult::Rejected)
    }
}

/// A policy application, recorded on the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "snake_case")]
pub enum PolicyNote {
    /// Nobody found; the step was skipped.
    EmptySkipped,
    /// Nobody found; the task went to the admins.
    EmptyToAdmins,
    /// Nobody found; the task went up the ladder at once.
    EmptyEscalated,
    /// The submitter is a reviewer; the step was skipped.
    SelfSkipped,
    /// The submitter's own task was approved automatically.
    SelfAutoApproved,
    /// The submitter was taken off the step.
    SelfRemoved,
    /// The same person approved the previous step; approved automatically.
    Deduped {
        /// Who.
        person: PersonId,
    },
    /// `person`'s delegate is the submitter, who may not decide here: the task stays with `person`.
    SelfDelegationIgnored {
        /// The delegator, who keeps the task.
        person: PersonId,
    },
    /// An escalation rung reached the submitter, who was taken off it.
    SelfRemovedFromRung,
}

impl PolicyNote {
    /// What was done, in words.
    pub fn words(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        match self {
            PolicyNote::EmptySkipped => {
                if zh { "无人可审批，跳过此步" } else { "nobody to ask: step skipped" }.into()
            }
            PolicyNote::EmptyToAdmins => {
                if zh { "无人可审批，转管理员" } else { "nobody to ask: sent to the admins" }.into()
            }
            PolicyNote::EmptyEscalated => {
                if zh { "无人可审批，直接升级" } else { "nobody to ask: escalated at once" }.into()
            }
            PolicyNote::SelfSkipped => {
                if zh { "提交人即审批人，跳过此步" } else { "the submitter is the reviewer: step skipped" }.into()
            }
            PolicyNote::SelfAutoApproved => if zh {
                "提交人即审批人，自动同意"
            } else {
                "the submitter is a reviewer: approved automatically"
            }
            .into(),
            PolicyNote::SelfRemoved => if zh {
                "提交人不能审批自己的申请，已移出"
            } else {
                "the submitter cannot review their own request: taken off"
            }
            .into(),
            PolicyNote::Deduped { person } => {
                if zh {
                    format!("{person} 已在上一步同意，自动同意")
                } else {
                    format!("{person} approved the previous step: approved again automatically")
                }
            }
            PolicyNote::SelfDelegationIgnored { person } => {
                if zh {
                    format!("{person} 的代理人是提交人本人，不能审批自己的申请：任务仍由 {person} 办理")
                } else {
                    format!(
                        "{person}'s delegate is the submitter, who cannot review their own request: the task stays with {person}"
                    )
                }
            }
            PolicyNote::SelfRemovedFromRung => if zh {
                "升级对象包含提交人，提交人不能审批自己的申请，已移出"
            } else {
                "the escalation reached the submitter, who cannot review their own request: taken off"
            }
            .into(),
        }
    }
}

/// The kind of a timer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TimerKind {
    /// Remind the open reviewers (`percent` ≥ 100 means overdue).
    Remind {
        /// The step run.
        run: RunId,
        /// Share of `due` (None for an absolute reminder).
        percent: Option<u32>,
    },
    /// Climb to rung `rung` (0-based) of the ladder.
    Escalate {
        /// The step run.
        run: RunId,
        /// Which rung.
        rung: usize,
    },
}

/// A pending timer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timer {
    /// Deterministic id, unique in its request: `run:kind:index`.
    pub id: String,
    /// When it is due.
    pub at: DateTime<Utc>,
    /// What it does.
    pub kind: TimerKind,
}

/// The kind of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Approve / reject / return.
    Approve,
    /// Acknowledge.
    Acknowledge,
    /// Fill a score sheet (`score:` steps).
    Score,
}

/// One recorded change to a request. Applying the events in order rebuilds its state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// 1-based position in the request's history.
    pub seq: u64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: Actor,
    /// Through which channel.
    pub channel: Channel,
    /// What.
    pub kind: EventKind,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// The request was submitted.
    Submitted {
        /// Request id.
        request: String,
        /// Definition key.
        key: String,
        /// Definition version.
        version: u32,
        /// The submitter and what was known of them then.
        submitter: SubmitterInfo,
        /// The checked form.
        form: serde_json::Map<String, serde_json::Value>,
        /// The request's title.
        title: String,
        /// Need-to-know visibility.
        need_to_know: bool,
    },
    /// Submitted later than the definition's lead time (accepted with a warning).
    LeadTimeWarning {
        /// The lead time asked for.
        at_least: DurationSpec,
        /// The latest moment that would have been in time.
        deadline: DateTime<Utc>,
    },
    /// Reported later than the definition's `report_within` allows (M1: first report within 2 hours
    /// of the incident); accepted and on record, for the late-filing checks.
    LateReport {
        /// The rule's `within`.
        within: DurationSpec,
        /// The moment in the form it counts from.
        occurred: DateTime<Utc>,
        /// The last moment that was in time.
        deadline: DateTime<Utc>,
    },
    /// A guard of the definition (`guards:`) would have blocked the submission; the submitter
    /// (the event's actor), one of the guard's `override.who`, overrode it with a reason.
    GuardOverridden {
        /// The guard's index in the definition's `guards:`.
        guard: usize,
        /// Why (as the submitter wrote it).
        reason: String,
        /// The findings overridden, each with its subject's name.
        findings: Vec<crate::guard::GuardFinding>,
    },
    /// 续报: a follow-up report added to a running request (the actor wrote it).
    FollowedUp {
        /// The report.
        text: String,
    },
    /// A `notify:` escalation rung told these people that the step is overdue (督办); the open
    /// tasks stayed with their holders.
    Overseen {
        /// The step run.
        run: RunId,
        /// Rung index.
        rung: usize,
        /// Who was told.
        to: Vec<PersonId>,
    },
    /// A step was entered.
    StepEntered {
        /// New run id.
        run: RunId,
        /// The step.
        step: StepName,
        /// The parallel run and branch it belongs to.
        parent: Option<(RunId, String)>,
        /// When its tasks are due.
        due_at: Option<DateTime<Utc>>,
        /// The reviewers resolved (in order; for `sequence` the order they are asked in).
        reviewers: Vec<PersonId>,
        /// The number of approvals needed (quorum), if it applies.
        needed: Option<u32>,
        /// The post that made each reviewer one (those the `who:` selector found through a
        /// post); absent on events older than the field.
        #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        posts: std::collections::BTreeMap<PersonId, PostRef>,
    },
    /// A switch took a route.
    Routed {
        /// The switch's run.
        run: RunId,
        /// The case taken (its expression), or `else`.
        case: String,
        /// The target step.
        to: StepName,
    },
    /// A task was created.
    TaskCreated {
        /// Task id.
        task: TaskId,
        /// The step run.
        run: RunId,
        /// Who must act.
        assignee: PersonId,
        /// The reviewer the assignee stands in for (delegation).
        on_behalf_of: Option<PersonId>,
        /// Approve or acknowledge.
        kind: TaskKind,
        /// Due time.
        due_at: Option<DateTime<Utc>>,
        /// The post that made the reviewer (the assignee, or whom they stand in for) one, when
        /// the task comes from the step's `who:` selector or an escalation rung; `None` for a task
        /// given by name (a transfer, an added reviewer, an admin's move, the admins as fallback)
        /// and on events older than the field. When the post ends, the task moves (issue 10).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        post: Option<PostRef>,
    },
    /// A reviewer (or a policy) decided a task.
    TaskDecided {
        /// Task id.
        task: TaskId,
        /// The decision.
        decision: Decision,
        /// Optional comment.
        comment: Option<String>,
        /// The named option picked, for [`Decision::Option`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        option: Option<String>,
        /// The checked values of the step's (or option's) `fields:` the reviewer filled; merged
        /// into the request's form.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fields: Option<serde_json::Map<String, serde_json::Value>>,
        /// The score sheet, for [`Decision::Score`]: criterion key → score.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scores: Option<crate::score::Sheet>,
    },
    /// Panel members of a score step sit out (`recuse:`): they get no score sheet.
    Recused {
        /// The step run.
        run: RunId,
        /// Who, and why.
        members: Vec<crate::score::Recused>,
    },
    /// A score step's sheets were aggregated (before its `StepCompleted`).
    Scored {
        /// The step run.
        run: RunId,
        /// The result.
        result: crate::score::ScoreResult,
    },
    /// The assignee took an extension (`extension:`): the step's due time moved.
    Extended {
        /// The step run.
        run: RunId,
        /// By how much.
        by: DurationSpec,
        /// The new due time.
        due_at: DateTime<Utc>,
        /// Extensions taken on this run so far, this one included.
        count: u32,
    },
    /// A step with `visits:` had run its `max` times: the request went to `then` instead.
    VisitsExhausted {
        /// The step not entered again.
        step: StepName,
        /// How often it had run.
        visits: u32,
        /// Where the request went instead.
        to: StepName,
    },
    /// A task ended without a decision.
    TaskCancelled {
        /// Task id.
        task: TaskId,
        /// Why.
        reason: CancelReason,
    },
    /// A policy was applied.
    PolicyApplied {
        /// The step run.
        run: RunId,
        /// Which.
        note: PolicyNote,
    },
    /// A reviewer was added to a step (加签), or a task was transferred (转交) — see the TaskCreated.
    ReviewerAdded {
        /// The step run.
        run: RunId,
        /// Who.
        person: PersonId,
        /// Inserted right after this position in a sequence.
        after: Option<PersonId>,
    },
    /// People were copied (抄送).
    Copied {
        /// The notify step's run.
        run: RunId,
        /// Who.
        to: Vec<PersonId>,
    },
    /// A reminder went out.
    Reminded {
        /// The step run.
        run: RunId,
        /// To whom.
        to: Vec<PersonId>,
        /// Overdue (at or past due) rather than a friendly reminder.
        overdue: bool,
    },
    /// The step climbed a rung.
    Escalated {
        /// The step run.
        run: RunId,
        /// Rung index.
        rung: usize,
        /// The new reviewers.
        to: Vec<PersonId>,
        /// The post that made each new reviewer one (see `StepEntered::posts`).
        #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        posts: std::collections::BTreeMap<PersonId, PostRef>,
    },
    /// The last rung decided by itself.
    AutoActed {
        /// The step run.
        run: RunId,
        /// What it did.
        action: AutoAction,
    },
    /// A step ended.
    StepCompleted {
        /// The step run.
        run: RunId,
        /// How.
        result: StepResult,
    },
    /// The engine stopped a loop that went round without a human decision; the request ends rejected.
    LoopStopped {
        /// The step it was about to enter.
        step: StepName,
    },
    /// A notification could not be delivered, for good (recorded by the delivery worker).
    DeliveryFailed {
        /// The recipient.
        to: PersonId,
        /// Which mail.
        template: Template,
        /// Why.
        reason: String,
    },
    /// A step run ended without a result (its branch ended, or a return went past it).
    RunCancelled {
        /// The step run.
        run: RunId,
    },
    /// A parallel step opened its branches.
    ParallelOpened {
        /// The parallel run (its StepEntered came first).
        run: RunId,
        /// Branch names.
        branches: Vec<String>,
    },
    /// A branch of a parallel step ended.
    BranchCompleted {
        /// The parallel run.
        run: RunId,
        /// The branch.
        branch: String,
        /// Its outcome.
        outcome: Outcome,
    },
    /// A timer was scheduled.
    TimerScheduled {
        /// The timer.
        timer: Timer,
    },
    /// A timer was cancelled or fired.
    TimerCleared {
        /// Timer id.
        timer: String,
    },
    /// The request went back to the submitter.
    ReturnedToSubmitter {
        /// The returning step run.
        run: RunId,
    },
    /// The submitter sent it again (possibly with a corrected form).
    Resubmitted {
        /// The form now.
        form: serde_json::Map<String, serde_json::Value>,
        /// The title composed from the form now (absent in events written before it was kept).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        /// Need-to-know after this form: once need-to-know, always (absent in older events).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        need_to_know: Option<bool>,
    },
    /// A completed branch of a still-running parallel step runs again, because the routing that
    /// carried it was decided on a form that has since changed.
    BranchReopened {
        /// The parallel run.
        run: RunId,
        /// The branch.
        branch: String,
    },
    /// Liandong refreshed the request's `computed:` fields that count entries kept outside it
    /// (M8: the students' co-design and evaluation entries), before a command, so the switch
    /// that command may reach reads them as they stand; the values are kept here, so replaying
    /// the events rebuilds the same form.
    Recomputed {
        /// The fields whose values changed, with their new values.
        fields: serde_json::Map<String, serde_json::Value>,
    },
    /// A comment.
    Commented {
        /// The text.
        text: String,
    },
    /// The request finished.
    Finished {
        /// Its outcome.
        outcome: Outcome,
    },
}

/// Which mail a notification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    /// 【待审批】 a task to decide.
    TaskAssigned,
    /// 【备案】 a task to acknowledge.
    AckRequested,
    /// 【催办】 a reminder before the due time.
    Reminder,
    /// 【逾期提醒】 past the due time.
    Overdue,
    /// 【已转交】 your task was escalated past or transferred away.
    TaskMoved,
    /// 【抄送】 a copy.
    Copied,
    /// 【已退回】 to the submitter.
    Returned,
    /// 【已通过】/【未通过】… to the submitter.
    Finished,
    /// 【已撤回】 to reviewers whose tasks died.
    Withdrawn,
    /// 【提醒】 submitted later than the lead time.
    LeadTimeWarning,
    /// 【迟报】 to the submitter: reported later than `report_within` allows.
    LateReport,
    /// 【续报】 to the reviewers: a follow-up report was added.
    FollowUp,
    /// 【督办】 to a `notify:` rung's people: a task is overdue with someone else.
    OverdueNotice,
    /// 【已办理】 to a reviewer: their own decision, confirmed (with the channel it came through).
    Confirmed,
    /// 【已延期】 to the people an extension copies: a step's due time moved.
    Extended,
}

/// Something the world must do after the command commits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Effect {
    /// Send a notification (one mail per person).
    Notify {
        /// Recipient.
        to: PersonId,
        /// In which language.
        lang: Lang,
        /// Which mail.
        template: Template,
        /// The task it is about, if any.
        task: Option<TaskId>,
    },
    /// Arm a timer.
    ScheduleTimer(Timer),
    /// Disarm a timer.
    CancelTimer {
        /// Timer id.
        id: String,
    },
    /// Write a record of the request's outcome (the definition's `records:` item `index`), in
    /// the same transaction as the event that ended the request.
    Record {
        /// The item's place in `records:` (with the request id, the record's stable source).
        index: usize,
        /// What to write.
        record: crate::records::outcome::Record,
    },
}
