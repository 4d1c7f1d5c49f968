//! The typed model of a workflow definition: what `parse` builds from YAML and the engine runs.
//!
//! Every node that a diagnostic may point at carries the `Pos` of its YAML source.
//! The YAML grammar is documented in `workflows/README.md`; the names here follow it one to one.

use crate::catalog::{BodyKind, Label, Role};
use crate::diag::Pos;
use crate::duration::DurationSpec;
use crate::expr::Expr;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A step's name, unique in its definition.
pub type StepName = String;

/// A whole workflow definition (one YAML file).
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    /// Stable key, e.g. `major_matter_report`.
    pub key: String,
    /// Integer version; running requests stay on theirs.
    pub version: u32,
    /// Display name.
    pub name: Label,
    /// Optional longer description.
    pub description: Option<Label>,
    /// Who may submit; empty means anyone in the org.
    pub submitters: Vec<Selector>,
    /// The typed form of a request, in declaration order.
    pub form: Vec<FormField>,
    /// Need-to-know visibility.
    pub visibility: Visibility,
    /// "Submit at least N before form.X" rules (the first that applies counts).
    pub lead_time: Vec<LeadTime>,
    /// "Report within N after form.X" rules (M1 incidents: first report within 2 hours); the
    /// first that applies counts.
    pub report_within: Vec<ReportWithin>,
    /// Follow-up reports (续报) on an open request, when the definition allows them.
    pub follow_ups: Option<FollowUps>,
    /// Compliance findings that block a submission unless overridden (`guards:`), in file order.
    pub guards: Vec<crate::guard::Guard>,
    /// Default policies for every step.
    pub policies: Policies,
    /// How the request's title is composed (a template over form fields); default `{form.title}`.
    pub title: Option<String>,
    /// The first step.
    pub start: Spanned<StepName>,
    /// The steps, by name (in file order).
    pub steps: Vec<Step>,
    /// What the request's outcome records (`records:`), in file order.
    pub records: Vec<RecordSpec>,
    /// Position of the `key:` line.
    pub pos: Pos,
}

impl Definition {
    /// The step called `name`.
    pub fn step(&self, name: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.name == name)
    }
    /// The form field called `name`: a submit field, or else a field a step's reviewer fills
    /// (`fields:` of a step or of one of its options).
    pub fn field(&self, name: &str) -> Option<&FormField> {
        self.form.iter().find(|f| f.name == name).or_else(|| self.step_fields().find(|f| f.name == name))
    }
    /// The fields reviewers fill at steps (`fields:` of steps and of their options), in file order;
    /// a name filled at several steps appears once per step.
    pub fn step_fields(&self) -> impl Iterator<Item = &FormField> {
        self.steps
            .iter()
            .flat_map(|s| s.decision.fields.iter().chain(s.decision.options.iter().flat_map(|o| o.fields.iter())))
    }
    /// The submit fields followed by the step-filled fields (first of each name): what conditions
    /// and selectors may read.
    pub fn all_fields(&self) -> Vec<FormField> {
        let mut out = self.form.clone();
        for f in self.step_fields() {
            if !out.iter().any(|o| o.name == f.name) {
                out.push(f.clone());
            }
        }
        out
    }
}

/// A value with the position it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub pos: Pos,
}

impl<T> Spanned<T> {
    /// Wraps a value with its position.
    pub fn new(value: T, pos: Pos) -> Self {
        Self { value, pos }
    }
}

/// One step of the graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Its name (the key under `steps:`).
    pub name: StepName,
    /// Optional display label; defaults to the name.
    pub label: Option<Label>,
    /// What the step does.
    pub kind: StepKind,
    /// Deadline of the step's tasks, counted from when the step is entered.
    pub due: Option<Spanned<DurationSpec>>,
    /// Reminders, as fractions of `due` (50% → 0.5, 100% → 1.0) or absolute durations.
    pub remind: Vec<Spanned<Reminder>>,
    /// The escalation ladder, rung by rung.
    pub escalate: Vec<Rung>,
    /// `clock_from: form.<date field>`: the step's clock (`due`, absolute reminders, escalation
    /// rungs) runs from that date instead of from when the step is entered — M4's "一个月内" counts
    /// from the appointment (任职) date. A date counts at the local time of day the step was entered
    /// (Asia/Shanghai); a datetime counts from its instant. Missing or unreadable value: entry time.
    pub clock_from: Option<Spanned<String>>,
    /// Per-step overrides of the definition's policies.
    pub policies: PolicyOverrides,
    /// Where to go next.
    pub next: Next,
    /// The decision form, named options, extension, required comments and visit bound
    /// (`fields:`, `options:`, `extension:`, `comment_required:`, `visits:`).
    pub decision: crate::decision::DecisionSpec,
    /// Position of the step's name.
    pub pos: Pos,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq)]
pub enum StepKind {
    /// 审批: reviewers approve, reject or return.
    Approve(TaskSpec),
    /// 知悉/备案: reviewers acknowledge receipt; cannot reject.
    Acknowledge(TaskSpec),
    /// 抄送: people are copied; no task.
    Notify {
        /// Who is copied.
        who: Vec<Selector>,
    },
    /// Named branches that run at the same time, then a join.
    Parallel {
        /// Branch name → first step of the branch.
        branches: Vec<(String, Spanned<StepName>)>,
        /// How the branches' outcomes make the step's outcome.
        join: Spanned<Join>,
    },
    /// Route on the first expression that holds.
    Switch {
        /// Expression → target step, in order.
        cases: Vec<(Expr, Spanned<StepName>)>,
        /// Target when no case holds.
        default: Option<Spanned<StepName>>,
    },
    /// 评分: each reviewer fills their own score sheet (one score per criterion); the step passes
    /// when the weighted mean reaches `pass` (M10 述职评议, the annual assessment).
    Score(ScoreSpec),
    /// The request (or the branch it is in) ends with this outcome.
    End(Outcome),
}

impl StepKind {
    /// The reviewers and mode of a step with tasks (approve, acknowledge, score).
    pub fn task_spec(&self) -> Option<&TaskSpec> {
        match self {
            StepKind::Approve(s) | StepKind::Acknowledge(s) => Some(s),
            StepKind::Score(s) => Some(&s.task),
            _ => None,
        }
    }
}

/// A `score:` step: who scores, on which criteria, and what passes.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreSpec {
    /// The panel (`who:`); every member who is not recused gets a score sheet (mode `all`).
    pub task: TaskSpec,
    /// The criteria, in file order.
    pub criteria: Vec<Criterion>,
    /// The weighted mean (0–100) that passes.
    pub pass: Spanned<f64>,
    /// Who sits out (`recuse:`).
    pub recuse: Vec<Spanned<Recusal>>,
}

/// One criterion of a score sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    /// Its key (`conduct`), unique in the step.
    pub key: Spanned<String>,
    /// What the reviewer reads.
    pub label: Label,
    /// Its weight in percent; the weights of a step sum to 100.
    pub weight: Spanned<u32>,
    /// The highest score (the lowest is 0).
    pub max: Spanned<u32>,
}

/// Why a panel member sits out a score step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recusal {
    /// The member is the reported person (the submitter).
    Subject,
    /// The member works in the same work division of the same student union as the submitter.
    SameDivision,
}

impl Recusal {
    /// As written in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            Recusal::Subject => "subject",
            Recusal::SameDivision => "same_division",
        }
    }
    /// The zh-CN / en label.
    pub fn label(self) -> Label {
        match self {
            Recusal::Subject => Label::new("本人为被评议人", "the reported person"),
            Recusal::SameDivision => Label::new("与被评议人同一工作部门", "same work division as the reported person"),
        }
    }
}

/// Who acts on an approve or acknowledge step, and how their decisions combine.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSpec {
    /// Selectors; their results are concatenated in order, duplicates removed.
    pub who: Vec<Selector>,
    /// How decisions combine.
    pub mode: Mode,
    /// Position of `who:`.
    pub pos: Pos,
}

/// How several reviewers' decisions combine.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// 或签: the first to decide decides.
    Any,
    /// 会签: everyone must approve; one reject (or return) decides at once.
    All,
    /// 依次: one after another in selector order.
    Sequence,
    /// k of n must approve; rejected when k can no longer be reached.
    Quorum(Quorum),
}

/// The size of a quorum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quorum {
    /// At least this many approvals.
    Count(u32),
    /// At least this share (0 < p ≤ 100) of the reviewers, rounded up.
    Percent(u32),
}

/// How a parallel step's branches join.
#[derive(Debug, Clone, PartialEq)]
pub enum Join {
    /// Every branch must approve; one rejection rejects.
    All,
    /// The first approved branch decides; the others are cancelled.
    Any,
    /// k branches must approve.
    Count(u32),
    /// Branch `decides` gives the outcome; the step also waits for every branch in `waits_for`
    /// (typically an acknowledgement) before it completes.
    Decides {
        /// The deciding branch.
        decides: Spanned<String>,
        /// Branches that must complete too.
        waits_for: Vec<Spanned<String>>,
    },
}

/// Outcomes of a step, a branch or a whole request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 已通过
    Approved,
    /// 已驳回
    Rejected,
    /// 已撤回
    Withdrawn,
    /// 退回后放弃
    Abandoned,
    /// 已并案: merged into another request (a named option's end, e.g. M5's 并案).
    Merged,
    /// 已转为建议: converted to another kind of handling (M5: a proposal turned into a suggestion).
    Converted,
}

impl Outcome {
    /// The snake_case identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Approved => "approved",
            Outcome::Rejected => "rejected",
            Outcome::Withdrawn => "withdrawn",
            Outcome::Abandoned => "abandoned",
            Outcome::Merged => "merged",
            Outcome::Converted => "converted",
        }
    }
    /// The zh-CN / en label.
    pub fn label(self) -> Label {
        match self {
            Outcome::Approved => Label::new("已通过", "approved"),
            Outcome::Rejected => Label::new("未通过", "rejected"),
            Outcome::Withdrawn => Label::new("已撤回", "withdrawn"),
            Outcome::Abandoned => Label::new("退回后未再提交", "returned and abandoned"),
            Outcome::Merged => Label::new("已并案", "merged"),
            Outcome::Converted => Label::new("已转为建议", "converted to a suggestion"),
        }
    }
}

/// Where a step goes next.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Next {
    /// No `next:`: inside a branch the branch completes; at top level the validator reports it
    /// unless the step is an `end`, `switch` or `parallel` with its own routing.
    #[default]
    None,
    /// One target whatever happened (acknowledge, notify).
    Always(Spanned<StepName>),
    /// Targets by what happened.
    On {
        /// After approval (or acknowledgement).
        approve: Option<Spanned<StepName>>,
        /// After rejection.
        reject: Option<Spanned<StepName>>,
        /// Where a return goes: the submitter or an earlier step.
        ret: Option<Spanned<ReturnTarget>>,
    },
}

/// Where `return` sends a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReturnTarget {
    /// Back to the submitter, who may resubmit; it resumes at the returning step.
    Submitter,
    /// Back to an earlier step.
    Step(StepName),
}

/// A reminder time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reminder {
    /// A share of the due duration, in percent (50 → halfway).
    Percent(u32),
    /// An absolute offset from the step's start.
    After(DurationSpec),
}

/// One rung of an escalation ladder.
#[derive(Debug, Clone, PartialEq)]
pub struct Rung {
    /// Counted from the step's start.
    pub after: Spanned<DurationSpec>,
    /// Who the open tasks move to (the current reviewers' tasks end as escalated).
    pub to: Vec<Selector>,
    /// Or: decide automatically (the last rung).
    pub action: Option<AutoAction>,
    /// `notify:` instead of `to:`: the rung's people are told the step is overdue (督办), the
    /// open tasks stay with their holders (a report owed by the submitter cannot move).
    pub notify_only: bool,
    /// Position of the rung.
    pub pos: Pos,
}

/// What a timer may decide on its own at the last rung.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AutoAction {
    /// Approve (or acknowledge) the step.
    Approve,
    /// Reject the step.
    Reject,
    /// Skip the step: it passes as approved, recorded as skipped.
    Skip,
}

/// An assignee selector: who must act.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    /// What it selects.
    pub kind: SelectorKind,
    /// Where it was written.
    pub pos: Pos,
}

/// The kinds of assignee selector.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectorKind {
    /// Holders of `roles` in the body of `body` kind found at `of` (and with `code`, e.g. an office;
    /// with `division`, a work division of a student union).
    Body {
        /// The body kind.
        body: BodyKind,
        /// The roles; empty means any current post in the body.
        roles: Vec<Role>,
        /// Relative to what.
        of: ScopeRef,
        /// A specific body of that kind by code (offices, the federation).
        code: Option<String>,
        /// A work division (`rights`, `office`, …) of a student union.
        division: Option<String>,
    },
    /// The school-SU liaison(s) of a department (M2); if none, the school SU presidium.
    LiaisonOf(ScopeRef),
    /// From the scope upward (class → department → school), the first level where one of `bodies`
    /// has a holder of one of `roles` (DingTalk 连续多级主管, stopping at role X).
    UpUntil {
        /// Where the climb starts.
        from: ScopeRef,
        /// Bodies to look in at each level.
        bodies: Vec<BodyKind>,
        /// Roles that stop the climb.
        roles: Vec<Role>,
    },
    /// One person by id or email.
    Person(String),
    /// The person (or people) named in a form field of type `person`.
    Field(String),
    /// The submitter.
    Submitter,
}

/// A scope that a selector is relative to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeRef {
    /// The submitter's own class.
    SubmitterClass,
    /// The submitter's own department.
    SubmitterDepartment,
    /// The student union the submitter serves in (`submitter.su`): the school's bodies for
    /// someone with a school-level post, else their department's.
    SubmitterSu,
    /// The school.
    School,
    /// The department (or class, or list of them) named in a form field.
    Field(String),
}

/// A field of the request form.
#[derive(Debug, Clone, PartialEq)]
pub struct FormField {
    /// Field name (the key under `form:`).
    pub name: String,
    /// Its type.
    pub ty: FieldType,
    /// Must be given.
    pub required: bool,
    /// Display label; defaults to the name.
    pub label: Option<Label>,
    /// Filled in by the daemon at submit (`computed:`), never typed by the submitter.
    pub computed: Option<Computed>,
    /// Where it was written.
    pub pos: Pos,
}

/// What the daemon computes into a form field (`computed:` in the definition) when a request is
/// submitted or resubmitted, from its own records; the submitter may not type it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Computed {
    /// `ledger.entries`: how many work-ledger entries (M2 工作台账) the submitter wrote in the
    /// current semester (an `integer` field).
    LedgerEntries,
    /// `ledger.summary`: the submitter's ledger in the current semester per target — entries,
    /// problems raised, problems solved — as text (a `text` or `longtext` field).
    LedgerSummary,
    /// `records.co_design.students`: how many distinct students recorded co-design input on this
    /// request (M8 学生参与设计; `POST /api/v1/requests/{id}/co-design`; an `integer` field).
    CoDesignStudents,
    /// `records.co_design.classes`: from how many distinct classes (an `integer` field).
    CoDesignClasses,
    /// `records.evaluations.students`: how many distinct students evaluated this request's
    /// project (M8 学生评价; `POST /api/v1/requests/{id}/evaluations`; an `integer` field).
    EvaluationStudents,
    /// `records.evaluations.classes`: from how many distinct classes (an `integer` field).
    EvaluationClasses,
    /// `assessment.total`: the weighted total of the score sheets of the form's `department`
    /// and `year` (M10 年度考核; a `number` field).
    AssessmentTotal,
    /// `assessment.grade`: the grade that total earns by the `[assessment]` thresholds (an
    /// `enum` field of `good`, `fairly_good`, `average`, `poor`).
    AssessmentGrade,
    /// `trainings.summary`: the training sessions (M4 履职培训) the submitter attended in the
    /// current semester, as text (a `text` or `longtext` field).
    TrainingsSummary,
    /// `duty_review.latest`: the latest duty review results (M10 述职评议) of the person in the
    /// form's `candidate` field (else the submitter), as text (a `text` or `longtext` field).
    DutyReviewLatest,
}

impl Computed {
    /// Every computed source, as written in a definition.
    pub const ALL: &'static [(&'static str, Computed)] = &[
        ("ledger.entries", Computed::LedgerEntries),
        ("ledger.summary", Computed::LedgerSummary),
        ("records.co_design.students", Computed::CoDesignStudents),
        ("records.co_design.classes", Computed::CoDesignClasses),
        ("records.evaluations.students", Computed::EvaluationStudents),
        ("records.evaluations.classes", Computed::EvaluationClasses),
        ("assessment.total", Computed::AssessmentTotal),
        ("assessment.grade", Computed::AssessmentGrade),
        ("trainings.summary", Computed::TrainingsSummary),
        ("duty_review.latest", Computed::DutyReviewLatest),
    ];

    /// Whether it counts the entries students attach to the request itself (`records.*`): the
    /// daemon refreshes these before every command on the request, since entries keep coming
    /// after the submit.
    pub fn reads_request_entries(self) -> bool {
        matches!(
            self,
            Computed::CoDesignStudents
                | Computed::CoDesignClasses
                | Computed::EvaluationStudents
                | Computed::EvaluationClasses
        )
    }

    /// Whether it fits a field of type `ty`, and if not, what it needs.
    pub fn fits(self, ty: &FieldType) -> Result<(), &'static str> {
        let (ok, want) = match self {
            Computed::LedgerSummary | Computed::TrainingsSummary | Computed::DutyReviewLatest => {
                (matches!(ty, FieldType::Text { .. } | FieldType::Longtext { .. }), "a text or longtext")
            }
            Computed::AssessmentTotal => (matches!(ty, FieldType::Number { .. }), "a number"),
            Computed::AssessmentGrade => (matches!(ty, FieldType::Enum { .. }), "an enum"),
            _ => (matches!(ty, FieldType::Integer { .. }), "an integer"),
        };
        if ok { Ok(()) } else { Err(want) }
    }

    /// The name written in a definition (`ledger.entries`).
    pub fn as_str(self) -> &'static str {
        Computed::ALL.iter().find(|(_, c)| *c == self).map_or("", |(n, _)| n)
    }
}

/// Types of form fields.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldType {
    /// One line of text, with an optional maximum length in characters.
    Text {
        /// Maximum characters.
        max: Option<u32>,
    },
    /// Multi-line text.
    Longtext {
        /// Maximum characters.
        max: Option<u32>,
    },
    /// A whole number.
    Integer {
        /// Smallest allowed.
        min: Option<i64>,
        /// Largest allowed.
        max: Option<i64>,
    },
    /// A decimal number.
    Number {
        /// Smallest allowed.
        min: Option<f64>,
        /// Largest allowed.
        max: Option<f64>,
    },
    /// true / false.
    Bool,
    /// A calendar date (ISO 8601), Asia/Shanghai.
    Date,
    /// A date and time (RFC 3339).
    Datetime,
    /// One of a list of values (with `multi`, a list of them).
    Enum {
        /// Allowed values.
        of: Vec<String>,
        /// Labels of the values, if given.
        labels: BTreeMap<String, Label>,
        /// Several values allowed.
        multi: bool,
    },
    /// A department code of the org (with `multi`, a list of them).
    Department {
        /// Several allowed.
        multi: bool,
    },
    /// A class code of the org.
    Class {
        /// Several allowed.
        multi: bool,
    },
    /// A person id or email of the org.
    Person {
        /// Several allowed.
        multi: bool,
    },
    /// An office (functional_office / school_party_admin_office / student_affairs_office) code.
    Office {
        /// Several allowed.
        multi: bool,
    },
    /// The id of another request of this system (e.g. the proposal one is merged into). The form
    /// check reads its shape; the daemon checks that the request exists and that the person
    /// filling it may see it.
    Request,
    /// A structured list (`type: table`): rows of the typed `columns` (no nested tables), e.g.
    /// the liaisons of an assignment, one row per {person, department | class}. JSON: a list of
    /// objects.
    Table {
        /// The columns, in declaration order.
        columns: Vec<FormField>,
    },
}

/// One `records:` item: what the request's outcome writes (issue 11).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordSpec {
    /// The outcomes of the request that write it (`when: approved` or a list).
    pub when: Vec<Spanned<Outcome>>,
    /// The record kind, one of [`crate::records::outcome::KINDS`].
    pub kind: Spanned<String>,
    /// Only when this holds on the final form (`if:`).
    pub condition: Option<Expr>,
    /// Record field → where its value comes from.
    pub fields: Vec<RecordField>,
    /// Where the item was written.
    pub pos: Pos,
}

/// One field of a [`RecordSpec`].
#[derive(Debug, Clone, PartialEq)]
pub struct RecordField {
    /// The record field's name.
    pub name: Spanned<String>,
    /// Where its value comes from.
    pub source: Spanned<ValueSource>,
}

/// Where a record field's value comes from, read on the final form when the request ends.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueSource {
    /// `form.<field>`.
    Form(String),
    /// `submitter`: the submitter's person id.
    Submitter,
    /// `submitter.department`: the submitter's department code.
    SubmitterDepartment,
    /// `submitter.su`: the body id of the student union the submitter serves in (`school_su`,
    /// `department_su@cs`).
    SubmitterSu,
    /// `score`: the result of the request's latest score step (weighted means, sheets, passed).
    Score,
    /// `today`: the day the request ends (Asia/Shanghai).
    Today,
    /// `'text'`: a literal, with `{form.x}` / `{submitter.department}` placeholders filled in.
    Literal(String),
    /// `{ from: form.x, map: { a: b, … } }`: an enum field's value translated.
    Map {
        /// The form field.
        field: String,
        /// Value → value.
        map: BTreeMap<String, String>,
    },
}

/// Need-to-know visibility.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Visibility {
    /// Everyone with access to the system.
    #[default]
    Normal,
    /// Only people on the path (and admins), always.
    NeedToKnow,
    /// Only people on the path when the expression holds.
    NeedToKnowWhen(Expr),
}

/// "Submit at least N before form.X".
#[derive(Debug, Clone, PartialEq)]
pub struct LeadTime {
    /// The date field counted back from.
    pub before: Spanned<String>,
    /// How long before.
    pub at_least: Spanned<DurationSpec>,
    /// Only when this holds (e.g. `form.matter_type == 'major_meeting'`).
    pub when: Option<Expr>,
    /// What happens when it is too late.
    pub otherwise: LeadTimeAction,
    /// Where it was written.
    pub pos: Pos,
}

/// Too late for the lead time: warn (recorded) or refuse the submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadTimeAction {
    /// Accept, record a warning event and tell the reviewers.
    Warn,
    /// Refuse the submission.
    Block,
}

/// What happens when a selector finds nobody.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmptyAssignee {
    /// The step passes, recorded as skipped.
    Skip,
    /// The task goes to the org's workflow admins.
    Admin,
    /// The task goes to the first escalation rung at once (admins if there is none).
    Escalate,
}

/// What happens when the submitter is among a step's reviewers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelfApproval {
    /// The submitter decides like anyone else.
    Allow,
    /// The whole step passes, recorded as skipped.
    Skip,
    /// The submitter's own task is approved automatically (recorded).
    AutoApprove,
    /// The submitter is taken off the step; if nobody is left, the empty-assignee policy applies.
    Forbid,
}

/// Definition-wide policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policies {
    /// When nobody is found.
    pub empty_assignee: EmptyAssignee,
    /// When the submitter is a reviewer.
    pub self_approval: SelfApproval,
    /// The same person on consecutive approve steps decides once.
    pub dedupe: bool,
}

impl Default for Policies {
    fn default() -> Self {
        Self { empty_assignee: EmptyAssignee::Admin, self_approval: SelfApproval::Forbid, dedupe: true }
    }
}

/// Per-step overrides of [`Policies`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PolicyOverrides {
    /// Overrides `empty_assignee`.
    pub empty_assignee: Option<EmptyAssignee>,
    /// Overrides `self_approval`.
    pub self_approval: Option<SelfApproval>,
    /// Overrides `dedupe`.
    pub dedupe: Option<bool>,
}

impl PolicyOverrides {
    /// The effective policies of a step.
    pub fn apply(&self, base: Policies) -> Policies {
        Policies {
            empty_assignee: self.empty_assignee.unwrap_or(base.empty_assignee),
            self_approval: self.self_approval.unwrap_or(base.self_approval),
            dedupe: self.dedupe.unwrap_or(base.dedupe),
        }
    }
}

/// "Report within N after form.X" (M1: 事发后 2 小时内首报): the other direction of
/// [`LeadTime`]. A submission later than `within` after the moment in the field is recorded as a
/// late report (`LateReport` on the timeline, for the late-filing checks) or refused.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportWithin {
    /// The `date`/`datetime` field counted from (a date counts from its 00:00 in Asia/Shanghai).
    pub after: Spanned<String>,
    /// How long after (`2h`; any duration unit, `wd` on the working-day calendar).
    pub within: Spanned<DurationSpec>,
    /// Only when this holds.
    pub when: Option<Expr>,
    /// What happens when it is late.
    pub otherwise: LeadTimeAction,
    /// Where it was written.
    pub pos: Pos,
}

/// `follow_ups:`: who may add follow-up reports (续报) to a running request. The submitter always
/// may; `who` adds more people (e.g. the department SU president).
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUps {
    /// More people who may add follow-ups, besides the submitter.
    pub who: Vec<Selector>,
    /// Where it was written.
    pub pos: Pos,
}
