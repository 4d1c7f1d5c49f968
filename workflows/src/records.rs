//! The policy's records (domain.md §1 "Acts and records", §3): what the ten measures oblige
//! people to keep, as plain data.
//!
//! Records are written two ways (architecture.md "Records and compliance"): by a person directly
//! through their API (a ledger entry, a co-design entry), or by a workflow's outcome (an approved
//! staff selection appoints; an acknowledged training filing records the session). The store keeps
//! each kind in its own table; [`RecordSet`] is the snapshot of them that the compliance checks
//! read for one day. Posts and liaison assignments are records too, but they live in the org
//! ([`crate::org::Post`], [`crate::org::Liaison`]) because routing reads them.
//!
//! Dates are calendar days in Asia/Shanghai (`NaiveDate`, ISO 8601 `YYYY-MM-DD` in JSON);
//! moments are UTC (`DateTime<Utc>`, RFC 3339 in JSON). Ids of people, departments and classes
//! are those of the org.

pub mod merge;
pub mod outcome;

use crate::org::PersonId;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// What a ledger entry or a liaison assignment points at: a department SU (by department code)
/// or a class (by class code). JSON: `{"kind": "department", "id": "cs"}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Target {
    /// A department SU or a class.
    pub kind: TargetKind,
    /// The department's or the class's code.
    pub id: String,
}

/// The kind of a [`Target`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// A department SU (院系学生会).
    Department,
    /// A class (班级, `class_unit`).
    Class,
}

/// How a liaison met the unit (M2 工作台账 "mode").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactMode {
    /// 走访 — a visit.
    Visit,
    /// 会议 — a meeting.
    Meeting,
    /// 线上 — online.
    Online,
    /// 电话 — by phone.
    Phone,
}

/// One entry of a liaison's work ledger (M2 工作台账, `contact_ledger`): date, target, mode,
/// problem, help, resolution. The author is the liaison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// Stable id.
    pub id: String,
    /// The liaison who wrote it.
    pub liaison: PersonId,
    /// The unit met.
    pub target: Target,
    /// The day of the contact.
    pub date: NaiveDate,
    /// How.
    pub mode: ContactMode,
    /// The problem raised (may be empty).
    pub problem: String,
    /// The help given (may be empty).
    pub help: String,
    /// How it was resolved; a non-empty resolution counts as a problem solved.
    pub resolution: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

/// The latest ledger entry of one liaison for one target: what the M2 staleness check reads
/// (the store computes it with one grouped query, never by loading a year of entries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerLatest {
    /// The liaison.
    pub liaison: PersonId,
    /// The unit.
    pub target: Target,
    /// The day of their latest entry for it.
    pub date: NaiveDate,
}

/// A half of the academic year (学期): autumn starts the academic year, spring ends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Semester {
    /// The calendar year the academic year starts in (2026 for 2026—2027学年).
    pub year: i32,
    /// 秋季 (first) or 春季 (second).
    pub half: SemesterHalf,
}

/// 秋季学期 or 春季学期.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SemesterHalf {
    /// 秋季学期 (第一学期), from 1 September [default].
    Autumn,
    /// 春季学期 (第二学期), from 1 March [default].
    Spring,
}

impl Semester {
    /// The semester a day falls in, with autumn from 1 September and spring from 1 March
    /// (domain.md §5; the days between January and February count to the autumn semester).
    pub fn of(day: NaiveDate) -> Semester {
        let (y, m) = (day.year(), day.month());
        if m >= 9 {
            Semester { year: y, half: SemesterHalf::Autumn }
        } else if m >= 3 {
            Semester { year: y - 1, half: SemesterHalf::Spring }
        } else {
            Semester { year: y - 1, half: SemesterHalf::Autumn }
        }
    }

    /// The zh-CN name, e.g. `2026—2027学年第一学期`.
    pub fn zh(&self) -> String {
        let n = match self.half {
            SemesterHalf::Autumn => "一",
            SemesterHalf::Spring => "二",
        };
        format!("{}—{}学年第{n}学期", self.year, self.year + 1)
    }

    /// The English name, e.g. `autumn semester 2026–27`.
    pub fn en(&self) -> String {
        let h = match self.half {
            SemesterHalf::Autumn => "autumn",
            SemesterHalf::Spring => "spring",
        };
        format!("{h} semester {}–{:02}", self.year, (self.year + 1) % 100)
    }
}

/// A term transition (换届) of a department SU (M3): the old cohort's posts end and the new
/// cohort's start on `date`. The school congress is blocked until every department SU has one
/// for the current term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermTransition {
    /// The department whose SU changed its cohort.
    pub department: String,
    /// The day the new cohort took office.
    pub date: NaiveDate,
    /// The academic year it is for (the year it starts in: 2026 for 2026—2027学年).
    pub term: i32,
    /// The request whose outcome recorded it, if any.
    pub request: Option<String>,
}

/// An onboarding education (入门教育, M4) completed by a new staff member for the post they
/// were appointed to on `appointed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnboardingDone {
    /// The new staff member.
    pub person: PersonId,
    /// The body of the post (org body id).
    pub body: String,
    /// The appointment day of that post.
    pub appointed: NaiveDate,
    /// The day it was completed (the acknowledgement).
    pub date: NaiveDate,
    /// The request whose outcome recorded it, if any.
    pub request: Option<String>,
}

/// A training session (履职培训, M4) with its attendance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingSession {
    /// Stable id.
    pub id: String,
    /// The organising body (org body id: the school SU, or a department SU).
    pub organiser: String,
    /// The semester it counts for.
    pub semester: Semester,
    /// The day it was held.
    pub date: NaiveDate,
    /// Topic (free text).
    pub topic: String,
    /// Who it was for (free text, e.g. 全体工作人员及院系主席团).
    pub audience: String,
    /// The people who attended.
    pub attendees: Vec<PersonId>,
    /// The filing request it belongs to, if any.
    pub request: Option<String>,
}

/// A class symposium (班级座谈交流会, M9) held by a department SU, with the classes that attended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Symposium {
    /// Stable id.
    pub id: String,
    /// The department whose SU held it.
    pub department: String,
    /// The day it was held.
    pub date: NaiveDate,
    /// The classes that attended (class codes).
    pub classes: Vec<String>,
    /// The request whose outcome recorded it, if any.
    pub request: Option<String>,
}

/// A school or department SU activity co-hosted (共同主办, M6 `co_host`) by invited featured
/// department SUs, with the key classes that co-undertook it (共同承办), as its approved request
/// recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoHost {
    /// Stable id (`<request>:<records item>`).
    pub id: String,
    /// The hosting body (`school_su`, `department_su@cs`).
    pub host: String,
    /// The activity's title.
    pub title: String,
    /// The day of the activity.
    pub date: NaiveDate,
    /// The co-hosting department SUs (department codes).
    pub cohosts: Vec<String>,
    /// The co-undertaking classes (class codes).
    pub co_undertakers: Vec<String>,
    /// The request whose outcome recorded it, if any.
    pub request: Option<String>,
}

/// The result of one semester duty review (述职评议, M10): the panel's means of the reported
/// person's score sheets, kept for elections, selection and commendations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DutyReviewResult {
    /// Stable id (`<request>:<records item>`).
    pub id: String,
    /// The reported person.
    pub person: PersonId,
    /// Their student union (`school_su`, `department_su@cs`).
    pub su: String,
    /// The semester, as the duty report names it.
    pub semester: String,
    /// The day the review ended.
    pub date: NaiveDate,
    /// The weighted total (0–100).
    pub total: f64,
    /// The mean per criterion.
    pub means: std::collections::BTreeMap<String, f64>,
    /// The score sheets that counted.
    pub sheets: u32,
    /// The panel members who had a sheet.
    pub panel: u32,
    /// 合格 (the total reached the pass mark) or 不合格.
    pub satisfactory: bool,
    /// The request whose outcome recorded it, if any.
    pub request: Option<String>,
}

/// Volunteer hours (M7) a person gave to an activity or project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolunteerHours {
    /// Stable id.
    pub id: String,
    /// The volunteer.
    pub person: PersonId,
    /// The day.
    pub date: NaiveDate,
    /// Hours, in tenths of an hour (15 = 1.5 h).
    pub tenths: u32,
    /// The activity or service project (request id), if any.
    pub request: Option<String>,
}

/// What a student's entry on a service project is (M8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipationKind {
    /// Co-design input before approval (学生参与设计).
    CoDesign,
    /// Evaluation at closure (学生评价).
    Evaluation,
}

/// A student's own co-design or evaluation entry on a service project (M8), submitted by the
/// student; the M8 gates count these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipationEntry {
    /// Stable id.
    pub id: String,
    /// The service project (request id).
    pub project: String,
    /// Co-design or evaluation.
    pub kind: ParticipationKind,
    /// The student who wrote it.
    pub student: PersonId,
    /// The student's class (class code), when known.
    pub class: Option<String>,
    /// The day.
    pub date: NaiveDate,
    /// What they said.
    pub text: String,
}

/// A class's adoption of the reporting system (M1: class matters go to its department SU's
/// contact person and the counselor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportingAdoption {
    /// The class code.
    pub class: String,
    /// The day it was adopted.
    pub date: NaiveDate,
}

/// What the checks read for a day: every record kind the org does not already hold. Built by
/// the store from its tables (or by the demo generator); the compliance function is pure over
/// it, the org and the requests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordSet {
    /// The latest ledger entry per liaison and target.
    pub ledger_latest: Vec<LedgerLatest>,
    /// Term transitions.
    pub term_transitions: Vec<TermTransition>,
    /// Onboarding educations completed.
    pub onboarding: Vec<OnboardingDone>,
    /// Training sessions with attendance.
    pub trainings: Vec<TrainingSession>,
    /// Class symposiums.
    pub symposiums: Vec<Symposium>,
    /// Volunteer hours.
    pub volunteer_hours: Vec<VolunteerHours>,
    /// Co-design and evaluation entries.
    pub participation: Vec<ParticipationEntry>,
    /// Reporting-system adoptions per class.
    pub reporting_adoptions: Vec<ReportingAdoption>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semesters_start_on_1_september_and_1_march() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(Semester::of(d("2026-11-29")), Semester { year: 2026, half: SemesterHalf::Autumn });
        assert_eq!(Semester::of(d("2027-01-15")), Semester { year: 2026, half: SemesterHalf::Autumn });
        assert_eq!(Semester::of(d("2027-03-01")), Semester { year: 2026, half: SemesterHalf::Spring });
        assert_eq!(Semester::of(d("2027-08-31")), Semester { year: 2026, half: SemesterHalf::Spring });
        assert_eq!(Semester::of(d("2026-11-29")).zh(), "2026—2027学年第一学期");
        assert_eq!(Semester::of(d("2027-04-01")).en(), "spring semester 2026–27");
    }

    #[test]
    fn a_target_reads_as_the_api_writes_it() {
        let t: Target = serde_json::from_str(r#"{"kind": "department", "id": "cs"}"#).unwrap();
        assert_eq!(t, Target { kind: TargetKind::Department, id: "cs".into() });
    }
}
