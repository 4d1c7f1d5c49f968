//! The org model of the three levels and the `Directory` trait the engine asks "who must act".
//!
//! `memory` holds an in-memory directory indexed by body and scope, `file` loads it from an org
//! YAML file, `generate` builds the demo and the large synthetic universities, `resolve` turns an
//! assignee selector into people.

use crate::catalog::{BodyKind, Label, Lang, Level, Role};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub mod checks;
pub mod file;
pub mod generate;
pub mod memory;
pub mod resolve;

pub use memory::{Org, OrgDirectory, University, body_id};

/// A person's id in the org (stable, e.g. `p00042` or a 学号).
pub type PersonId = String;

/// Where a body sits: the school, a department or a class (by code).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The school level.
    School,
    /// A department, by code.
    Department(String),
    /// A class, by code.
    Class(String),
}

impl Scope {
    /// The level of this scope.
    pub fn level(&self) -> Level {
        match self {
            Scope::School => Level::School,
            Scope::Department(_) => Level::Department,
            Scope::Class(_) => Level::Class,
        }
    }
}

/// A department (院系).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Department {
    /// Code, e.g. `cs`.
    pub code: String,
    /// Name.
    pub name: Label,
    /// Number of students (an all-student assembly replaces the congress below 400).
    #[serde(default)]
    pub students: u32,
    /// Term transition (换届) done for the current term.
    /// **Deprecated** for the checks: the record of it is a `TermTransition` (`workflows::records`); kept for the org file.
    #[serde(default)]
    pub term_transition_done: bool,
    /// Date of the last class symposium (M9), if any.
    /// **Deprecated** for the checks: the record of it is a `Symposium` (`workflows::records`); kept for the org file.
    #[serde(default)]
    pub last_symposium: Option<NaiveDate>,
}

/// A class (班级, entity `class_unit`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassUnit {
    /// Code, e.g. `cs-2023-1`.
    pub code: String,
    /// Department code.
    pub department: String,
    /// Name.
    pub name: Label,
    /// Year of entry.
    pub grade: u16,
    /// 重点班级.
    #[serde(default)]
    pub key_class: bool,
    /// 毕业班.
    #[serde(default)]
    pub graduating: bool,
    /// Has adopted a major-matter reporting system (M1).
    /// **Deprecated** for the checks: the record of it is a `ReportingAdoption` (`workflows::records`); kept for the org file.
    #[serde(default)]
    pub reporting_system: bool,
}

/// A body: a kind at a scope, optionally with a code (offices) and a name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Body {
    /// Stable id: `kind` for school bodies, `kind@scope_code`, or `kind:code` for coded bodies.
    pub id: String,
    /// Its kind.
    pub kind: BodyKind,
    /// Where it sits.
    pub scope: Scope,
    /// A code for bodies of which there are several at one scope (offices).
    pub code: Option<String>,
    /// Name.
    pub name: Label,
}

/// A person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// Id.
    pub id: PersonId,
    /// 姓名.
    pub name: String,
    /// Registered email address (replies must come from it).
    pub email: String,
    /// 学号 / 工号.
    #[serde(default)]
    pub number: Option<String>,
    /// Department code, if the person belongs to one.
    #[serde(default)]
    pub department: Option<String>,
    /// Class code, if a student in a class.
    #[serde(default)]
    pub class: Option<String>,
    /// Preferred language.
    #[serde(default, skip_serializing_if = "is_zh")]
    pub lang: Lang,
    /// May administer workflows and the org.
    #[serde(default)]
    pub admin: bool,
}

/// A post: a person holding a role in a body for a term.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Post {
    /// Holder.
    pub person: PersonId,
    /// Body id.
    pub body: String,
    /// Role.
    pub role: Role,
    /// Work division (for SU division posts), e.g. `rights`.
    #[serde(default)]
    pub division: Option<String>,
    /// First day of the term.
    pub from: NaiveDate,
    /// Last day of the term (inclusive); open-ended when absent.
    #[serde(default)]
    pub to: Option<NaiveDate>,
    /// Came from a department SU (M3).
    /// **Deprecated** for the checks: derived from the department SU posts held (domain.md §7.3).
    #[serde(default)]
    pub from_department_su: bool,
    /// Is a class or branch cadre (M3).
    /// **Deprecated** for the checks: derived from the class committee and League branch posts held.
    #[serde(default)]
    pub is_class_cadre: bool,
    /// Onboarding education (入门教育) done on this date (M4).
    /// **Deprecated** for the checks: the record of it is an `OnboardingDone` (`workflows::records`); kept for the org file.
    #[serde(default)]
    pub onboarded: Option<NaiveDate>,
    /// Last duty training (履职培训) attended (M4).
    /// **Deprecated** for the checks: the record of it is a `TrainingSession`'s attendance (`workflows::records`); kept for the org file.
    #[serde(default)]
    pub trained: Option<NaiveDate>,
    /// The request whose approved outcome wrote this post (an appointment, a term transition's
    /// cohort); absent for the org file's own posts. Such a post survives an org import
    /// ([`crate::records::merge`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// The request whose outcome ended this post (a term transition ends the old cohort's posts);
    /// the end survives an import of a file that still lists the post open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_by: Option<String>,
}

impl Post {
    /// Whether the post is held on `day`.
    pub fn current_on(&self, day: NaiveDate) -> bool {
        self.from <= day && self.to.is_none_or(|to| day <= to)
    }
}

/// Which post made a person a reviewer of a task: the post's body, role and work division (a
/// post is named by these, not by its term, so a new term of the same post still counts). Recorded
/// on tasks that come from a step's `who:` selector or an escalation rung; when the person no
/// longer holds such a post (its `to:` date passed, or an import moved it to someone else), the
/// task moves (issue 10).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PostRef {
    /// Body id, e.g. `department_su@cs`.
    pub body: String,
    /// Role.
    pub role: Role,
    /// Work division, for SU division posts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
}

impl PostRef {
    /// The reference to `post`.
    pub fn of(post: &Post) -> Self {
        Self { body: post.body.clone(), role: post.role, division: post.division.clone() }
    }

    /// Whether `person` holds this post (any term of it) on `day` in `dir`.
    pub fn held_by(&self, person: &str, dir: &dyn Directory, day: NaiveDate) -> bool {
        dir.posts_of(person, day)
            .iter()
            .any(|p| p.body == self.body && p.role == self.role && p.division == self.division)
    }
}

impl std::fmt::Display for PostRef {
    /// `body/role` or `body/role/division`, e.g. `department_su@cs/president`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.body, self.role.as_str())?;
        if let Some(d) = &self.division {
            write!(f, "/{d}")?;
        }
        Ok(())
    }
}

/// A liaison assignment (M2): a school SU leader or member linked to a department SU or a key class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Liaison {
    /// The school SU person.
    pub person: PersonId,
    /// The department (for presidium members and division heads).
    #[serde(default)]
    pub department: Option<String>,
    /// The key class (for division members).
    #[serde(default)]
    pub class: Option<String>,
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive).
    #[serde(default)]
    pub to: Option<NaiveDate>,
    /// Date of the last ledger entry (台账), if any.
    /// **Deprecated** for the checks: the record of it is the ledger (`LedgerLatest`) (`workflows::records`); kept for the org file.
    #[serde(default)]
    pub last_ledger_entry: Option<NaiveDate>,
    /// Who assigned it: a department code for a department SU's own assignment (its leaders →
    /// its classes); absent for the school SU's (presidium and divisions → department SUs and
    /// key classes). A liaison assignment outcome replaces the liaisons of one assigner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigner: Option<String>,
    /// The request whose approved liaison assignment wrote it; absent for the org file's own.
    /// Such a liaison survives an org import ([`crate::records::merge`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// The request whose liaison assignment ended it (replaced by its own); the end survives an
    /// import of a file that still lists it open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_by: Option<String>,
}

impl Liaison {
    /// Whether the assignment holds on `day`.
    pub fn current_on(&self, day: NaiveDate) -> bool {
        self.from <= day && self.to.is_none_or(|to| day <= to)
    }
}

/// A delegation: a dated, audited stand-in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delegation {
    /// Who is away.
    pub from: PersonId,
    /// Who stands in.
    pub to: PersonId,
    /// Start (inclusive).
    pub starts: DateTime<Utc>,
    /// End (exclusive).
    pub ends: DateTime<Utc>,
    /// Only tasks of these definition keys; all when empty.
    #[serde(default)]
    pub definitions: Vec<String>,
}

/// What expressions and selectors may know about the submitter.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SubmitterInfo {
    /// Person id.
    pub id: PersonId,
    /// Department code.
    pub department: Option<String>,
    /// Class code.
    pub class: Option<String>,
    /// Highest level at which the person holds a post (class if none).
    pub level: Option<Level>,
    /// Roles held today (any body).
    pub roles: Vec<Role>,
    /// Holds a class or branch cadre post.
    pub is_class_cadre: bool,
    /// Came from a department SU.
    pub from_department_su: bool,
}

/// The org queries the engine needs. Implementations must answer without scanning the whole org
/// (index by body and scope): the engine calls these on every submit and decision.
pub trait Directory {
    /// A person by id.
    fn person(&self, id: &str) -> Option<&Person>;
    /// A person by registered email (case-insensitive).
    fn person_by_email(&self, email: &str) -> Option<&Person>;
    /// A department by code.
    fn department(&self, code: &str) -> Option<&Department>;
    /// A class by code.
    fn class(&self, code: &str) -> Option<&ClassUnit>;
    /// The body of `kind` at `scope` (with `code` when several exist there).
    fn body(&self, kind: BodyKind, scope: &Scope, code: Option<&str>) -> Option<&Body>;
    /// The posts current on `day` in body `body_id`, with one of `roles` (any role when empty).
    fn holders(&self, body_id: &str, roles: &[Role], day: NaiveDate) -> Vec<&Post>;
    /// The posts a person holds on `day`.
    fn posts_of(&self, person: &str, day: NaiveDate) -> Vec<&Post>;
    /// The liaisons of a department, or of a class, by its code, on `day` (M2).
    fn liaisons_of(&self, department_or_class: &str, day: NaiveDate) -> Vec<&Liaison>;
    /// The active stand-in of `person` at `at` for definition `key`, if any.
    fn delegate_of(&self, person: &str, key: &str, at: DateTime<Utc>) -> Option<&Delegation>;
    /// The workflow admins (receive tasks nobody else can take).
    fn admins(&self) -> Vec<&Person>;
    /// What expressions may know of a person on `day`.
    fn submitter_info(&self, person: &str, day: NaiveDate) -> Option<SubmitterInfo>;
}

fn is_zh(l: &Lang) -> bool {
    *l == Lang::Zh
}
#[cfg(test)]
mod tests;
