//! Submit guards (`guards:` in a definition): compliance findings that block a submission until
//! they are fixed or overridden with a recorded reason (issue 11 requirement 4; domain.md §3 M3:
//! "school congress **blocked** until every department SU finishes `term_transition` (校团委 may
//! override with a reason)").
//!
//! The engine stays pure: the caller computes the day's findings
//! ([`crate::compliance::findings`]) and hands them to [`crate::engine::submit_guarded`] in a
//! [`GuardFacts`]; each guard keeps the findings it names ([`Guard::matches`]). Any left refuse
//! the submission ([`crate::engine::EngineError::GuardBlocked`], listing each finding's subject by
//! name), unless the submission carries an override reason and the submitter is one of the
//! guard's `override.who` on the day: then it is accepted and a `GuardOverridden` event records
//! who, why and what was overridden.

use crate::catalog::Label;
use crate::compliance::{Finding, Severity, Subject, SubjectKind};
use crate::diag::Pos;
use crate::model::{Selector, Spanned};
use serde::{Deserialize, Serialize};

/// The longest override reason, in characters.
pub const REASON_MAX_CHARS: usize = 2000;

/// One `guards:` item.
#[derive(Debug, Clone, PartialEq)]
pub struct Guard {
    /// The finding codes that block (`findings:`), each one of [`crate::compliance::CODES`].
    pub findings: Vec<Spanned<String>>,
    /// Only findings at least this severe (`severity:`); every severity when absent.
    pub severity: Option<Severity>,
    /// Only findings about these kinds of subject (`subjects:`); every kind when empty.
    pub subjects: Vec<SubjectKind>,
    /// What the submitter is told (`message:`), before the list of subjects; a default naming
    /// the findings when absent.
    pub message: Option<Label>,
    /// Who may submit anyway, with a reason (`override:`); nobody when absent.
    pub overriders: Option<GuardOverride>,
    /// Where the item was written.
    pub pos: Pos,
}

/// `override: { who: [selectors] }`: who may override a guard.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardOverride {
    /// The people who may override, resolved on the day of the submission relative to the
    /// submitter (like `submitters:`).
    pub who: Vec<Selector>,
    /// Where it was written.
    pub pos: Pos,
}

impl Guard {
    /// Whether `f` is one of the findings this guard blocks on.
    pub fn matches(&self, f: &Finding) -> bool {
        self.findings.iter().any(|c| c.value == f.code)
            && self.severity.is_none_or(|s| f.severity >= s)
            && (self.subjects.is_empty() || self.subjects.contains(&f.subject.kind))
    }

    /// The message of the guard, or the default one.
    pub fn message(&self) -> Label {
        self.message.clone().unwrap_or_else(|| {
            Label::new("存在未整改的合规问题，暂不能提交", "open compliance findings block this submission")
        })
    }
}

/// What the caller knows at a submission: the findings of the day, and the override the
/// submitter asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GuardFacts {
    /// The compliance findings on the day of the submission (all of them, or at least those of
    /// the codes the definition's guards name).
    pub findings: Vec<Finding>,
    /// The submitter's reason to override the guards that block, if they ask to.
    pub override_reason: Option<String>,
}

/// A finding as a guard reports it (in the refusal and in the `GuardOverridden` event).
///
/// JSON: `{"code": "m3_term_transition_missing", "severity": "block", "subject": {"kind":
/// "department", "id": "art", "name": "艺术学院学生会"}, "message": {"zh": "…", "en": "…"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardFinding {
    /// The finding code.
    pub code: String,
    /// Its severity.
    pub severity: Severity,
    /// What it is about, with its name.
    pub subject: Subject,
    /// The finding's own message.
    pub message: Label,
}

impl From<&Finding> for GuardFinding {
    fn from(f: &Finding) -> Self {
        Self { code: f.code.clone(), severity: f.severity, subject: f.subject.clone(), message: f.message.clone() }
    }
}

/// The subject kinds a guard's `subjects:` may name, as written.
pub const SUBJECT_KINDS: &[(&str, SubjectKind)] = &[
    ("school", SubjectKind::School),
    ("department", SubjectKind::Department),
    ("class", SubjectKind::Class),
    ("person", SubjectKind::Person),
    ("request", SubjectKind::Request),
];

/// The severities a guard's `severity:` may name, as written.
pub const SEVERITIES: &[(&str, Severity)] =
    &[("warning", Severity::Warning), ("error", Severity::Error), ("block", Severity::Block)];

/// The names of the subjects, zh-CN joined with 、 and English with commas: "艺术学院学生会、法学院学生会".
pub fn subject_names(found: &[GuardFinding]) -> (String, String) {
    let mut names: Vec<&str> = Vec::new();
    for f in found {
        if !names.contains(&f.subject.name.as_str()) {
            names.push(&f.subject.name);
        }
    }
    (names.join("、"), names.join(", "))
}
