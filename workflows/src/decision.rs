//! What a reviewer may do at a task step besides approve, reject and return, as the definition
//! language declares it (`workflows/README.md`, "Decision forms, options, extensions and visits"):
//!
//! - `fields:` — a decision form: fields the reviewer fills when deciding (M5: the school SU
//!   chooses the lead and co-handling offices when it classifies; the proposer rates the reply).
//!   Typed like `form:` fields; `required` ones are required on approve / acknowledge. The values
//!   are recorded in the decision event and merged into the request's form, so later selectors
//!   (`of: form.lead_office`) and conditions read them.
//! - `options:` — named decisions with their own `next` (M5: the committee merges a proposal into
//!   another one, or converts it to a suggestion), each with its own fields.
//! - `extension:` — the assignee may ask for more time a bounded number of times (M5: an office
//!   may ask once for a 60-day extension: `due: 30d` + `extension: { max: 1, by: 30d }`).
//! - `comment_required:` — decisions that need a comment (a reason), e.g. `[reject]`.
//! - `comment_label:` — what the comment is, when it is more than an opinion (M1 incidents: the
//!   written report 书面报告 and the final report 终报 are the text of an acknowledgement): pages
//!   and mails label the comment box with it, （必填） when `comment_required:` names the decision.
//! - `visits:` — a bounded loop: a step entered `max` times already goes to `then` instead.
//!
//! Kept apart from `model.rs` so that the step's other parts stay as they were; a [`Step`]
//! holds one [`DecisionSpec`].
//!
//! [`Step`]: crate::model::Step

use crate::catalog::Label;
use crate::diag::Pos;
use crate::duration::DurationSpec;
use crate::model::{FormField, Selector, Spanned, StepName};

/// Names a named option may not take: they are the built-in decisions.
pub const RESERVED: &[&str] = &["approve", "reject", "return", "acknowledge", "extend"];

/// A task step's decision form, named options, extension, required comments and visit bound.
/// All empty by default (a step as it always was).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DecisionSpec {
    /// `fields:` filled by the reviewer when approving (or acknowledging), in declaration order.
    pub fields: Vec<FormField>,
    /// `options:` named decisions besides approve / reject / return, in declaration order.
    pub options: Vec<DecisionOption>,
    /// `extension:` how often and by how much the assignee may push the due time back.
    pub extension: Option<Extension>,
    /// `comment_required:` decisions (`reject`, `return`, `approve`, `acknowledge` or an option's
    /// name) that are refused without a comment.
    pub comment_required: Vec<Spanned<String>>,
    /// `comment_label:` the name of the comment box (pages, mails, the error of a missing one);
    /// `None`: an opinion (意见).
    pub comment_label: Option<Spanned<Label>>,
    /// `visits:` the bound on how often the step is entered.
    pub visits: Option<Visits>,
}

impl DecisionSpec {
    /// The named option `name`.
    pub fn option(&self, name: &str) -> Option<&DecisionOption> {
        self.options.iter().find(|o| o.name == name)
    }
    /// Whether the decision (or option) called `name` needs a comment.
    pub fn needs_comment(&self, name: &str) -> bool {
        self.comment_required.iter().any(|c| c.value == name)
    }
    /// Whether the spec adds nothing to the step.
    pub fn is_empty(&self) -> bool {
        self == &DecisionSpec::default()
    }
}

/// A named decision (`options: { merge: { label, next, fields } }`).
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionOption {
    /// Its name (the key under `options:`), what the API's `decision` carries.
    pub name: String,
    /// The button's label; defaults to the name.
    pub label: Option<Label>,
    /// Where the request goes when a reviewer picks it.
    pub next: Spanned<StepName>,
    /// Fields the reviewer fills with it (`required` ones are required).
    pub fields: Vec<FormField>,
    /// Where it was written.
    pub pos: Pos,
}

/// `extension: { max: 1, by: 30d, notify: [selectors] }`: the assignee of an open task may push
/// the step's due time back by `by`, at most `max` times per visit of the step. Recorded, with no
/// approval; the people in `notify` are copied.
#[derive(Debug, Clone, PartialEq)]
pub struct Extension {
    /// How many times per visit (≥ 1).
    pub max: u32,
    /// How much later each time.
    pub by: Spanned<DurationSpec>,
    /// Who is copied when an extension is taken.
    pub notify: Vec<Selector>,
    /// Where it was written.
    pub pos: Pos,
}

/// `visits: { max: 2, then: done }`: the step runs at most `max` times in a request; entering it
/// once more goes to `then` instead (a bounded loop, e.g. one re-handling after an unsatisfied
/// rating).
#[derive(Debug, Clone, PartialEq)]
pub struct Visits {
    /// How many times the step may run (≥ 1).
    pub max: u32,
    /// Where the request goes instead once the step has run `max` times.
    pub then: Spanned<StepName>,
    /// Where it was written.
    pub pos: Pos,
}
