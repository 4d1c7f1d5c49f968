//! Compliance over live data (issue 11 item 3): the findings of the policy's checks for one day,
//! computed from the org, the records ([`RecordSet`]) and the requests ([`RequestFacts`]).
//!
//! Pure: no clock, no I/O. Each rule of domain.md §3 that can be checked from these is checked;
//! the severity is the policy's word strength (一般/原则上 → [`Severity::Warning`]; 全覆盖/应/需 →
//! [`Severity::Error`]; the congress gate → [`Severity::Block`]); [default] values (lead times,
//! staleness, windows) are warnings unless the policy's own word makes them errors. Every
//! threshold and window is a field of [`CheckSettings`] (the daemon's `[duties]` section).
//!
//! The function never reads the hand-typed org fields that records replace
//! (`Post::onboarded`, `Post::trained`, `Department::term_transition_done`,
//! `Department::last_symposium`, `Liaison::last_ledger_entry`, `ClassUnit::reporting_system`,
//! `Post::from_department_su`, `Post::is_class_cadre`): M3's person flags are derived from the
//! posts held (domain.md §7.3), the rest from records.
//!
//! Cost: linear in the org, the records and the requests (everything is indexed by id first).

pub mod demo;
pub mod demo_runs;
mod facts;
#[cfg(test)]
mod tests;

pub use facts::{FACT_FORM_FIELDS, FACT_KEYS, FactState, RequestFacts, StepFact};

use crate::WorkCalendar;
use crate::catalog::{Label, Role};
use crate::org::checks::{CheckSettings, Coverage, day_of_year};
use crate::org::{Directory, OrgDirectory, PersonId, Post};
use crate::records::{RecordSet, Semester, SemesterHalf, TargetKind};
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// How strongly the policy words the rule a finding breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// 一般 / 原则上, or a [default] of this project: should be fixed.
    Warning,
    /// 全覆盖 / 应 / 需: must be fixed.
    Error,
    /// Blocks another act (the school congress until every term transition is done).
    Block,
}

impl Severity {
    /// The identifier (`warning`, `error`, `block`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Block => "block",
        }
    }
    /// Parses the identifier.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            "block" => Some(Severity::Block),
            _ => None,
        }
    }
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// The school SU.
    School,
    /// A department SU (id: the department code).
    Department,
    /// A class (id: the class code).
    Class,
    /// A person (id: the person id).
    Person,
    /// A request (id: the request id).
    Request,
}

/// What a finding is about: kind, id, and its name (zh-CN, as the org names it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// The kind.
    pub kind: SubjectKind,
    /// The id of the school (`school_su`), department, class, person or request.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// One finding: a rule of the policy a unit or a person falls short of on the day.
///
/// JSON: `{"code": "m2_ledger_stale", "measure": "M2", "severity": "warning", "subject":
/// {"kind": "department", "id": "math", "name": "数学学院学生会"}, "people": ["2023…"],
/// "message": {"zh": "…", "en": "…"}, "since": "2025-10-15"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable code, e.g. `m3_term_transition_missing` (the list: [`CODES`]).
    pub code: String,
    /// The measure of the policy, `M1`..`M10`.
    pub measure: String,
    /// The policy's word strength.
    pub severity: Severity,
    /// What it is about.
    pub subject: Subject,
    /// The people who must act (person ids), in order.
    pub people: Vec<PersonId>,
    /// What is wrong and what to do, in both languages.
    pub message: Label,
    /// The first day it was true, when known.
    pub since: Option<NaiveDate>,
    /// The department it concerns (code): the subject's, a class's or a person's department, or
    /// a request's submitter's; `None` for the school level.
    pub department: Option<String>,
}

/// Every finding code, with its measure and severity.
pub const CODES: &[(&str, &str, Severity)] = &[
    ("m1_branch_b_missing", "M1", Severity::Error),
    ("m1_branch_b_late", "M1", Severity::Error),
    ("m1_late_filing", "M1", Severity::Warning),
    ("m1_reporting_system_missing", "M1", Severity::Warning),
    ("m2_department_uncovered", "M2", Severity::Error),
    ("m2_leader_without_department", "M2", Severity::Error),
    ("m2_member_key_class", "M2", Severity::Error),
    ("m2_class_uncovered", "M2", Severity::Error),
    ("m2_ledger_stale", "M2", Severity::Warning),
    ("m3_school_su_from_departments", "M3", Severity::Warning),
    ("m3_department_su_cadres", "M3", Severity::Warning),
    ("m3_term_transition_missing", "M3", Severity::Block),
    ("m3_school_su_staff_cap", "M3", Severity::Warning),
    ("m3_school_su_presidium_cap", "M3", Severity::Warning),
    ("m3_school_su_division_cap", "M3", Severity::Warning),
    ("m4_untrained", "M4", Severity::Error),
    ("m4_onboarding_overdue", "M4", Severity::Warning),
    ("m4_training_filing_missing", "M4", Severity::Error),
    ("m5_reply_overdue", "M5", Severity::Warning),
    ("m5_reply_unrated", "M5", Severity::Warning),
    ("m9_no_symposium", "M9", Severity::Error),
    ("m9_class_absent", "M9", Severity::Warning),
    ("m9_department_unheard", "M9", Severity::Error),
    ("m9_federation_summary_missing", "M9", Severity::Error),
    ("m9_federation_receipt_missing", "M9", Severity::Warning),
    ("m10_panel_composition", "M10", Severity::Error),
];

fn code_info(code: &str) -> (&'static str, Severity) {
    CODES.iter().find(|(c, _, _)| *c == code).map(|(_, m, s)| (*m, *s)).unwrap_or(("M1", Severity::Warning))
}

/// The day of a moment in Asia/Shanghai.
fn local_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

/// The first day of an academic year (1 September of `year`).
fn year_start(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 9, 1).unwrap_or_default()
}

/// The first day of a semester.
pub fn semester_start(s: Semester) -> NaiveDate {
    match s.half {
        SemesterHalf::Autumn => year_start(s.year),
        SemesterHalf::Spring => NaiveDate::from_ymd_opt(s.year + 1, 3, 1).unwrap_or_default(),
    }
}

/// The bodies whose posts make someone SU staff: the school SU and the department SUs.
fn su_body(body: &str) -> bool {
    body == "school_su" || body.starts_with("department_su@")
}

/// Teachers' posts in an SU (advisor; the school SU's secretary-general is a League cadre).
fn teacher_post(p: &Post) -> bool {
    p.role == Role::Advisor || p.role == Role::SecretaryGeneral && p.body == "school_su"
}

struct Ctx<'a> {
    dir: &'a OrgDirectory,
    day: NaiveDate,
    cfg: &'a CheckSettings,
    cal: &'a WorkCalendar,
    out: Vec<Finding>,
    /// The department of the request a rule is looking at.
    req_dept: Option<String>,
}

impl Ctx<'_> {
    fn person_name(&self, id: &str) -> String {
        self.dir.person(id).map_or_else(|| id.to_string(), |p| p.name.clone())
    }
    fn who(&self, id: &str) -> String {
        format!("{}（{id}）", self.person_name(id))
    }
    fn dept_name(&self, code: &str) -> Label {
        self.dir.department(code).map_or_else(
            || Label::new(code, code),
            |d| Label::new(format!("{}学生会", d.name.zh), format!("{} SU", d.name.en)),
        )
    }
    fn dept_or_school_en(&self, dept: Option<&str>) -> String {
        dept.map_or_else(|| "school SU".to_string(), |d| self.dept_name(d).en)
    }
    fn class_name(&self, code: &str) -> Label {
        self.dir.class(code).map_or_else(|| Label::new(code, code), |c| c.name.clone())
    }
    fn subject(&self, kind: SubjectKind, id: &str) -> Subject {
        let name = match kind {
            SubjectKind::School => "校学生会".to_string(),
            SubjectKind::Department => self.dept_name(id).zh,
            SubjectKind::Class => self.class_name(id).zh,
            SubjectKind::Person => self.person_name(id),
            SubjectKind::Request => id.to_string(),
        };
        Subject { kind, id: id.to_string(), name }
    }
    fn holders(&self, body: &str, roles: &[Role]) -> Vec<PersonId> {
        let mut v: Vec<PersonId> =
            self.dir.holders(body, roles, self.day).into_iter().map(|p| p.person.clone()).collect();
        v.dedup();
        v
    }
    fn presidents(&self, body: &str) -> Vec<PersonId> {
        self.holders(body, &[Role::President])
    }
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        code: &str,
        subject: Subject,
        people: Vec<PersonId>,
        zh: String,
        en: String,
        since: Option<NaiveDate>,
    ) {
        let (measure, severity) = code_info(code);
        let department = match subject.kind {
            SubjectKind::School => None,
            SubjectKind::Department => Some(subject.id.clone()),
            SubjectKind::Class => self.dir.class(&subject.id).map(|c| c.department.clone()),
            SubjectKind::Person => self.dir.person(&subject.id).and_then(|p| p.department.clone()),
            SubjectKind::Request => self.req_dept.clone(),
        };
        self.out.push(Finding {
            code: code.to_string(),
            measure: measure.to_string(),
            severity,
            subject,
            people,
            message: Label::new(zh, en),
            since,
            department,
        });
    }
}

/// The findings on `day` (Asia/Shanghai) of every check of domain.md §3 that the org, the
/// records and the requests can answer, sorted by measure, code and subject.
///
/// `requests` are the facts of the requests of [`FACT_KEYS`] (others are ignored); `cal` counts
/// the working days of M1. The result is deterministic for equal inputs.
pub fn findings(
    dir: &OrgDirectory,
    records: &RecordSet,
    requests: &[RequestFacts],
    day: NaiveDate,
    cfg: &CheckSettings,
    cal: &WorkCalendar,
) -> Vec<Finding> {
    let mut cx = Ctx { dir, day, cfg, cal, out: Vec::new(), req_dept: None };
    m1(&mut cx, records, requests);
    m2(&mut cx, records);
    m3(&mut cx, records);
    m4(&mut cx, records, requests);
    m5(&mut cx, requests);
    m9(&mut cx, records, requests);
    m10(&mut cx);
    let mut out = cx.out;
    let measure_no = |m: &str| m.trim_start_matches('M').parse::<u32>().unwrap_or(0);
    out.sort_by(|a, b| {
        (measure_no(&a.measure), &a.code, &a.subject.id, &a.people).cmp(&(
            measure_no(&b.measure),
            &b.code,
            &b.subject.id,
            &b.people,
        ))
    });
    out
}

fn m1(cx: &mut Ctx<'_>, records: &RecordSet, requests: &[RequestFacts]) {
    let year = year_start(Semester::of(cx.day).year);
    for r in requests.iter().filter(|r| r.key == "major_matter_report") {
        let Some(dept) = r.department.clone() else { continue };
        cx.req_dept = Some(dept.clone());
        // Branch A is asked when the college's first step is entered; branch B at the same moment.
        let (Some(a), Some(b)) = (r.step("league_review"), r.step("school_su_ack")) else { continue };
        let a_day = local_day(a.entered_at);
        if a_day < year {
            continue;
        }
        let limit = cx.cfg.branch_b_working_days;
        let due = add_working_days(cx.cal, a_day, limit);
        match b.done_at {
            Some(done) => {
                let b_day = local_day(done);
                let late = cx.cal.working_days_between(a_day, b_day);
                if late > i64::from(limit) {
                    let people = b.done_by.clone().into_iter().collect();
                    let (t, an) = (r.title.clone(), cx.dept_name(&dept));
                    cx.push(
                        "m1_branch_b_late",
                        cx.subject(SubjectKind::Department, &dept),
                        people,
                        format!(
                            "{}的重大事项“{t}”于{}报学院，校学生会于{}才知悉（晚{late}个工作日，应在{limit}个工作日内）",
                            an.zh,
                            zh_date(a_day),
                            zh_date(b_day)
                        ),
                        format!(
                            "{}: the school SU acknowledged “{t}” {late} working days after the college was asked (within {limit} expected)",
                            an.en
                        ),
                        Some(due.succ_opt().unwrap_or(due)),
                    );
                }
            }
            None if r.is_open() && !b.open.is_empty() && cx.day > due => {
                let (t, an) = (r.title.clone(), cx.dept_name(&dept));
                cx.push(
                    "m1_branch_b_missing",
                    cx.subject(SubjectKind::Department, &dept),
                    b.open.clone(),
                    format!("{}的重大事项“{t}”已报学院，校学生会联系人尚未知悉（应在{limit}个工作日内）", an.zh),
                    format!(
                        "{}: “{t}” went to the college but the school SU liaison has not acknowledged it (within {limit} working days expected)",
                        an.en
                    ),
                    Some(due.succ_opt().unwrap_or(due)),
                );
            }
            None => {}
        }
        // Late filing: the lead time of the definition (a 请示 10 wd, a major meeting 20 wd).
        if let (Some((had, need)), Some(sub)) = (lead_time(r, cx.cfg, cx.cal), r.submitted_at)
            && had < i64::from(need)
        {
            let sub_day = local_day(sub);
            let t = r.title.clone();
            cx.push(
                "m1_late_filing",
                cx.subject(SubjectKind::Request, &r.id),
                vec![r.submitter.clone()],
                format!("“{t}”提前{had}个工作日报送，应至少提前{need}个工作日"),
                format!("“{t}” was filed {had} working days ahead; at least {need} expected"),
                Some(sub_day),
            );
        }
    }
    // Each class adopts a reporting system (推动班委会建立重大事项请示报告制度).
    let adopted: HashSet<&str> =
        records.reporting_adoptions.iter().filter(|a| a.date <= cx.day).map(|a| a.class.as_str()).collect();
    let dir: &OrgDirectory = cx.dir;
    let org = dir.org();
    for c in org.classes.iter().filter(|c| !adopted.contains(c.code.as_str())) {
        let people = cx.holders(&format!("class_committee@{}", c.code), &[Role::ClassMonitor]);
        let n = c.name.clone();
        cx.push(
            "m1_reporting_system_missing",
            cx.subject(SubjectKind::Class, &c.code),
            people,
            format!("{}尚未建立重大事项请示报告制度", n.zh),
            format!("{} has not adopted a major-matter reporting system", n.en),
            None,
        );
    }
}

fn m2(cx: &mut Ctx<'_>, records: &RecordSet) {
    let dir: &OrgDirectory = cx.dir;
    let org = dir.org();
    let day = cx.day;
    let school_presidium: BTreeSet<PersonId> = cx
        .holders("school_su", &[Role::President, Role::VicePresident, Role::ExecutivePresident])
        .into_iter()
        .collect();
    let school_heads: BTreeSet<PersonId> = cx.holders("school_su", &[Role::DivisionHead]).into_iter().collect();
    let school_members: BTreeSet<PersonId> = cx.holders("school_su", &[Role::DivisionMember]).into_iter().collect();
    let school_presidents = cx.presidents("school_su");
    let current: Vec<&crate::org::Liaison> = org.liaisons.iter().filter(|l| l.current_on(day)).collect();
    let mut by_dept: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut by_class: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut depts_of: HashMap<&str, usize> = HashMap::new();
    let mut key_classes_of: HashMap<&str, usize> = HashMap::new();
    let key: HashSet<&str> = org.classes.iter().filter(|c| c.key_class).map(|c| c.code.as_str()).collect();
    for l in &current {
        if let Some(d) = &l.department {
            by_dept.entry(d).or_default().push(&l.person);
            *depts_of.entry(&l.person).or_default() += 1;
        }
        if let Some(c) = &l.class {
            by_class.entry(c).or_default().push(&l.person);
            if key.contains(c.as_str()) {
                *key_classes_of.entry(&l.person).or_default() += 1;
            }
        }
    }
    for d in &org.departments {
        let by = by_dept.get(d.code.as_str()).cloned().unwrap_or_default();
        let has_p = by.iter().any(|p| school_presidium.contains(*p));
        let has_h = by.iter().any(|p| school_heads.contains(*p));
        let covered = match cx.cfg.department_coverage {
            Coverage::Collective => has_p || has_h,
            Coverage::Each => has_p && has_h,
        };
        if !covered {
            let n = cx.dept_name(&d.code);
            cx.push(
                "m2_department_uncovered",
                cx.subject(SubjectKind::Department, &d.code),
                school_presidents.clone(),
                format!("{}没有校学生会主席团成员或工作部门负责人联系（应全覆盖）", n.zh),
                format!(
                    "{} is covered by no school SU presidium member or division head (full coverage required)",
                    n.en
                ),
                None,
            );
        }
    }
    for p in school_presidium.iter().chain(school_heads.iter()) {
        if depts_of.get(p.as_str()).copied().unwrap_or(0) == 0 {
            let w = cx.who(p);
            cx.push(
                "m2_leader_without_department",
                cx.subject(SubjectKind::Person, p),
                vec![p.clone()],
                format!("校学生会{w}未联系任何院系学生会（应全覆盖）"),
                format!("school SU leader {w} covers no department SU"),
                None,
            );
        }
    }
    for m in &school_members {
        let n = key_classes_of.get(m.as_str()).copied().unwrap_or(0);
        if n != 1 {
            let w = cx.who(m);
            cx.push(
                "m2_member_key_class",
                cx.subject(SubjectKind::Person, m),
                vec![m.clone()],
                format!("校学生会工作部门成员{w}联系重点班级{n}个（应为1个）"),
                format!("school SU division member {w} covers {n} key classes (exactly one expected)"),
                None,
            );
        }
    }
    // Every class covered by its department SU's presidium members and division heads.
    let mut dept_leaders: HashMap<String, HashSet<PersonId>> = HashMap::new();
    for d in &org.departments {
        let body = format!("department_su@{}", d.code);
        let leaders =
            cx.holders(&body, &[Role::President, Role::VicePresident, Role::ExecutivePresident, Role::DivisionHead]);
        dept_leaders.insert(d.code.clone(), leaders.into_iter().collect());
    }
    for c in &org.classes {
        let leaders = dept_leaders.get(&c.department);
        let covered =
            by_class.get(c.code.as_str()).is_some_and(|ps| ps.iter().any(|p| leaders.is_some_and(|l| l.contains(*p))));
        if !covered {
            let n = c.name.clone();
            cx.push(
                "m2_class_uncovered",
                cx.subject(SubjectKind::Class, &c.code),
                cx.presidents(&format!("department_su@{}", c.department)),
                format!("{}没有院系学生会主席团成员或工作部门负责人联系（应全覆盖）", n.zh),
                format!("{} has no department SU contact person (full coverage required)", n.en),
                None,
            );
        }
    }
    // Ledgers: no entry for an assignment in `ledger_silent_days`.
    let latest: HashMap<(&str, TargetKind, &str), NaiveDate> = records
        .ledger_latest
        .iter()
        .map(|l| ((l.liaison.as_str(), l.target.kind, l.target.id.as_str()), l.date))
        .collect();
    let window = i64::from(cx.cfg.ledger_silent_days);
    for l in &current {
        let (kind, target) = match (&l.department, &l.class) {
            (Some(d), _) => (TargetKind::Department, d.as_str()),
            (None, Some(c)) => (TargetKind::Class, c.as_str()),
            _ => continue,
        };
        let last = latest.get(&(l.person.as_str(), kind, target)).copied();
        let from = last.unwrap_or(l.from).max(l.from);
        let silent = (day - from).num_days();
        if silent > window {
            let (sk, name) = match kind {
                TargetKind::Department => (SubjectKind::Department, cx.dept_name(target)),
                TargetKind::Class => (SubjectKind::Class, cx.class_name(target)),
            };
            let w = cx.who(&l.person);
            let (zh, en) = match last {
                Some(_) => (
                    format!("{w}联系{}的工作台账自{}起已{silent}天没有记录（超过{window}天）", name.zh, zh_date(from)),
                    format!(
                        "{w}'s ledger for {} has had no entry for {silent} days (since {from}; over {window})",
                        name.en
                    ),
                ),
                None => (
                    format!("{w}联系{}的工作台账自{}任联系人以来没有记录（超过{window}天）", name.zh, zh_date(l.from)),
                    format!(
                        "{w}'s ledger for {} has no entry since the assignment on {} (over {window} days)",
                        name.en, l.from
                    ),
                ),
            };
            cx.push(
                "m2_ledger_stale",
                cx.subject(sk, target),
                vec![l.person.clone()],
                zh,
                en,
                Some(from + chrono::Duration::days(window + 1)),
            );
        }
    }
}

fn m3(cx: &mut Ctx<'_>, records: &RecordSet) {
    let dir: &OrgDirectory = cx.dir;
    let org = dir.org();
    let day = cx.day;
    let term = Semester::of(day).year;
    // Department SU posts by person, and current class cadres.
    let mut dept_posts: HashMap<&str, Vec<&Post>> = HashMap::new();
    let mut cadre: HashSet<&str> = HashSet::new();
    for p in &org.posts {
        if p.body.starts_with("department_su@") && !teacher_post(p) && p.from <= day {
            dept_posts.entry(&p.person).or_default().push(p);
        }
        if (p.body.starts_with("class_committee@") || p.body.starts_with("league_branch@")) && p.current_on(day) {
            cadre.insert(&p.person);
        }
    }
    let school: Vec<&Post> = dir.holders("school_su", &[], day).into_iter().filter(|p| !teacher_post(p)).collect();
    let staff: BTreeSet<&str> = school.iter().map(|p| p.person.as_str()).collect();
    // "From a department SU": held a department SU post in the term their school SU post began
    // in or the `from_department_su_terms - 1` terms before it (domain.md §7.3).
    let terms = cx.cfg.from_department_su_terms.max(1) as i32;
    let from_dept: HashSet<&str> = school
        .iter()
        .filter(|p| {
            let since = year_start(Semester::of(p.from).year - terms + 1);
            dept_posts.get(p.person.as_str()).is_some_and(|v| v.iter().any(|d| d.to.is_none_or(|t| t >= since)))
        })
        .map(|p| p.person.as_str())
        .collect();
    let presidents = cx.presidents("school_su");
    if !staff.is_empty() {
        let have = staff.iter().filter(|p| from_dept.contains(**p)).count();
        let pct = cx.cfg.school_staff_from_departments_percent;
        if !CheckSettings::reaches(have, staff.len(), pct) {
            let n = staff.len();
            cx.push(
                "m3_school_su_from_departments",
                cx.subject(SubjectKind::School, "school_su"),
                presidents.clone(),
                format!("校学生会工作人员中来自院系学生会的仅{have}人（共{n}人），一般不少于{pct}%"),
                format!("only {have} of {n} school SU staff come from department SUs ({pct}% expected)"),
                None,
            );
        }
    }
    let presidium =
        school.iter().filter(|p| p.role.is_presidium()).map(|p| p.person.as_str()).collect::<BTreeSet<_>>().len();
    let divisions = school.iter().filter_map(|p| p.division.as_deref()).collect::<BTreeSet<_>>().len();
    for (code, have, max, zh, en) in [
        ("m3_school_su_staff_cap", staff.len(), cx.cfg.school_su_max_staff, "工作人员", "staff"),
        ("m3_school_su_presidium_cap", presidium, cx.cfg.school_su_max_presidium, "主席团成员", "presidium members"),
        ("m3_school_su_division_cap", divisions, cx.cfg.school_su_max_divisions, "工作部门", "work divisions"),
    ] {
        if have > max as usize {
            cx.push(
                code,
                cx.subject(SubjectKind::School, "school_su"),
                presidents.clone(),
                format!("校学生会{zh}{have}个（人），超过上限{max}"),
                format!("the school SU has {have} {en}, over the cap of {max}"),
                None,
            );
        }
    }
    let pct = cx.cfg.department_staff_cadres_percent;
    let done: HashSet<&str> = records
        .term_transitions
        .iter()
        .filter(|t| t.term == term && t.date <= day)
        .map(|t| t.department.as_str())
        .collect();
    for d in &org.departments {
        let body = format!("department_su@{}", d.code);
        let staff: BTreeSet<&str> = dir
            .holders(&body, &[], day)
            .into_iter()
            .filter(|p| !teacher_post(p) && p.role != Role::Advisor)
            .map(|p| p.person.as_str())
            .collect();
        let n = cx.dept_name(&d.code);
        if !staff.is_empty() {
            let have = staff.iter().filter(|p| cadre.contains(**p)).count();
            if !CheckSettings::reaches(have, staff.len(), pct) {
                let total = staff.len();
                let share = have * 100 / total;
                cx.push(
                    "m3_department_su_cadres",
                    cx.subject(SubjectKind::Department, &d.code),
                    cx.presidents(&body),
                    format!("{}工作人员中班委、团支部委员仅{have}人（共{total}人，{share}%），原则上不少于{pct}%", n.zh),
                    format!("{}: only {have} of {total} staff ({share}%) are class or League branch cadres ({pct}% expected)", n.en),
                    None,
                );
            }
        }
        if !done.contains(d.code.as_str()) {
            let mut people = cx.presidents(&body);
            people.extend(cx.holders(&format!("department_league_org@{}", d.code), &[Role::Secretary]));
            cx.push(
                "m3_term_transition_missing",
                cx.subject(SubjectKind::Department, &d.code),
                people,
                format!("{}尚未完成{}—{}学年换届，校级学代会召开前应完成", n.zh, term, term + 1),
                format!(
                    "{} has not finished its {term}–{} term transition: the school congress is blocked until it does",
                    n.en,
                    term + 1
                ),
                Some(year_start(term)),
            );
        }
    }
}

fn m4(cx: &mut Ctx<'_>, records: &RecordSet, requests: &[RequestFacts]) {
    let dir: &OrgDirectory = cx.dir;
    let org = dir.org();
    let day = cx.day;
    let sem = Semester::of(day);
    let start = semester_start(sem);
    // Onboarding: every new SU staff member within `onboarding_months` of the appointment (一般应).
    let onboarded: HashSet<(&str, &str, NaiveDate)> = records
        .onboarding
        .iter()
        .filter(|o| o.date <= day)
        .map(|o| (o.person.as_str(), o.body.as_str(), o.appointed))
        .collect();
    for p in org.posts.iter().filter(|p| p.current_on(day) && su_body(&p.body) && !teacher_post(p)) {
        let due = p.from.checked_add_months(Months::new(cx.cfg.onboarding_months)).unwrap_or(p.from);
        if day > due && !onboarded.contains(&(p.person.as_str(), p.body.as_str(), p.from)) {
            let w = cx.who(&p.person);
            let body = body_label(cx, &p.body);
            cx.push(
                "m4_onboarding_overdue",
                cx.subject(SubjectKind::Person, &p.person),
                vec![p.person.clone()],
                format!(
                    "{w}于{}任{}{}，入门教育应于{}前完成，尚无记录",
                    zh_date(p.from),
                    body.zh,
                    p.role.label().zh,
                    zh_date(due)
                ),
                format!(
                    "{w} was appointed {} of {} on {}; onboarding was due by {due} and is not recorded",
                    p.role.label().en,
                    body.en,
                    p.from
                ),
                due.succ_opt(),
            );
        }
    }
    // Training coverage, per organiser and semester (全覆盖), from the due day on.
    let due_day = start + chrono::Duration::days(i64::from(cx.cfg.training_due_days));
    if day >= due_day {
        let mut attended: HashSet<(&str, &str)> = HashSet::new();
        for t in records.trainings.iter().filter(|t| t.semester == sem && t.date <= day) {
            for a in &t.attendees {
                attended.insert((t.organiser.as_str(), a.as_str()));
            }
        }
        // person → organisers whose training they must attend.
        let mut must: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
        for p in org.posts.iter().filter(|p| p.current_on(day) && !teacher_post(p)) {
            if p.body == "school_su" {
                must.entry(&p.person).or_default().insert("school_su".into());
            } else if p.body.starts_with("department_su@") {
                must.entry(&p.person).or_default().insert(p.body.clone());
                if p.role.is_presidium() {
                    must.entry(&p.person).or_default().insert("school_su".into());
                }
            } else if let Some(c) = p.body.strip_prefix("class_committee@")
                && (p.role == Role::ClassMonitor || p.from >= start)
                && let Some(class) = dir.class(c)
            {
                must.entry(&p.person).or_default().insert(format!("department_su@{}", class.department));
            }
        }
        for (person, orgs) in must {
            let missed: Vec<&String> = orgs.iter().filter(|o| !attended.contains(&(o.as_str(), person))).collect();
            if missed.is_empty() {
                continue;
            }
            let names: Vec<Label> = missed.iter().map(|o| body_label(cx, o)).collect();
            let zh: Vec<&str> = names.iter().map(|l| l.zh.as_str()).collect();
            let en: Vec<&str> = names.iter().map(|l| l.en.as_str()).collect();
            let w = cx.who(person);
            cx.push(
                "m4_untrained",
                cx.subject(SubjectKind::Person, person),
                vec![person.to_string()],
                format!("{w}本学期（{}）未参加{}的履职培训（应全覆盖）", sem.zh(), zh.join("、")),
                format!(
                    "{w} has attended no duty training of {} this {} (full coverage required)",
                    en.join(", "),
                    sem.en()
                ),
                Some(due_day),
            );
        }
    }
    // Training filings: each department SU files its semester's training with the school SU (需备案).
    let filing_due = start + chrono::Duration::days(i64::from(cx.cfg.training_filing_days));
    if day > filing_due {
        let half = match sem.half {
            SemesterHalf::Autumn => "autumn",
            SemesterHalf::Spring => "spring",
        };
        // A filing request of the semester, or a session its acknowledged filing recorded.
        let mut filed: HashSet<&str> = requests
            .iter()
            .filter(|r| r.key == "training_filing" && r.state != FactState::Withdrawn && r.state != FactState::Rejected)
            .filter(|r| r.submitted_at.is_some_and(|s| local_day(s) >= start && local_day(s) <= day))
            .filter(|r| r.text("semester").is_none_or(|s| s == half))
            .filter_map(|r| r.department.as_deref())
            .collect();
        filed.extend(
            records
                .trainings
                .iter()
                .filter(|t| t.semester == sem && t.request.is_some())
                .filter_map(|t| t.organiser.strip_prefix("department_su@")),
        );
        for d in &org.departments {
            if !filed.contains(d.code.as_str()) {
                let n = cx.dept_name(&d.code);
                cx.push(
                    "m4_training_filing_missing",
                    cx.subject(SubjectKind::Department, &d.code),
                    cx.presidents(&format!("department_su@{}", d.code)),
                    format!("{}本学期（{}）尚未向校学生会备案培训工作", n.zh, sem.zh()),
                    format!("{} has not filed this {}'s training with the school SU", n.en, sem.en()),
                    filing_due.succ_opt(),
                );
            }
        }
    }
}

fn body_label(cx: &Ctx<'_>, body: &str) -> Label {
    if body == "school_su" {
        return Label::new("校学生会", "the school SU");
    }
    match body.strip_prefix("department_su@") {
        Some(d) => cx.dept_name(d),
        None => Label::new(body, body),
    }
}

fn m5(cx: &mut Ctx<'_>, requests: &[RequestFacts]) {
    for r in requests.iter().filter(|r| r.key == "proposal_handling" && r.is_open()) {
        cx.req_dept = r.department.clone();
        for step in ["lead_reply", "co_opinions"] {
            let Some(s) = r.step(step) else { continue };
            if s.done_at.is_some() || s.open.is_empty() {
                continue;
            }
            // The office's extension is recorded on the step (`extension:`), not in the form.
            let days = if s.extensions > 0 { cx.cfg.office_reply_extended_days } else { cx.cfg.office_reply_days };
            let due = local_day(s.entered_at) + chrono::Duration::days(i64::from(days));
            if cx.day > due {
                let t = r.title.clone();
                cx.push(
                    "m5_reply_overdue",
                    Subject { kind: SubjectKind::Request, id: r.id.clone(), name: t.clone() },
                    s.open.clone(),
                    format!("提案“{t}”的办理答复已于{}到期（{days}天）", zh_date(due)),
                    format!("the office reply to proposal “{t}” was due on {due} ({days} days)"),
                    due.succ_opt(),
                );
            }
        }
        if let Some(s) = r.step("proposer_rating")
            && s.done_at.is_none()
            && !s.open.is_empty()
        {
            let due = local_day(s.entered_at) + chrono::Duration::days(i64::from(cx.cfg.rating_days));
            if cx.day > due {
                let t = r.title.clone();
                cx.push(
                    "m5_reply_unrated",
                    Subject { kind: SubjectKind::Request, id: r.id.clone(), name: t.clone() },
                    s.open.clone(),
                    format!("提案“{t}”的办理结果已于{}反馈，提案人尚未评价", zh_date(local_day(s.entered_at))),
                    format!("the proposer has not rated the reply to “{t}” sent on {}", local_day(s.entered_at)),
                    due.succ_opt(),
                );
            }
        }
    }
}

fn m9(cx: &mut Ctx<'_>, records: &RecordSet, requests: &[RequestFacts]) {
    let dir: &OrgDirectory = cx.dir;
    let org = dir.org();
    let day = cx.day;
    let term = Semester::of(day).year;
    let ay = year_start(term);
    // Symposiums: from the report window of the academic year on, every department SU has held
    // one this academic year, attended by every non-graduating class.
    let from = day_of_year(term, &cx.cfg.annual_report_from).unwrap_or(ay);
    if day >= from {
        let mut held: HashMap<&str, HashSet<&str>> = HashMap::new();
        for s in records.symposiums.iter().filter(|s| s.date >= ay && s.date <= day) {
            held.entry(&s.department).or_default().extend(s.classes.iter().map(String::as_str));
        }
        let mut classes_of: HashMap<&str, Vec<&crate::org::ClassUnit>> = HashMap::new();
        for c in org.classes.iter().filter(|c| !c.graduating) {
            classes_of.entry(&c.department).or_default().push(c);
        }
        for d in &org.departments {
            let body = format!("department_su@{}", d.code);
            let n = cx.dept_name(&d.code);
            match held.get(d.code.as_str()) {
                None => cx.push(
                    "m9_no_symposium",
                    cx.subject(SubjectKind::Department, &d.code),
                    cx.presidents(&body),
                    format!("{}本学年（{}—{}）尚未召开班级座谈交流会", n.zh, term, term + 1),
                    format!("{} has held no class symposium this academic year ({term}–{})", n.en, term + 1),
                    Some(from),
                ),
                Some(attended) => {
                    for c in classes_of.get(d.code.as_str()).into_iter().flatten() {
                        if !attended.contains(c.code.as_str()) {
                            let mut people = cx.holders(&format!("class_committee@{}", c.code), &[Role::ClassMonitor]);
                            people.extend(cx.presidents(&body));
                            cx.push(
                                "m9_class_absent",
                                cx.subject(SubjectKind::Class, &c.code),
                                people,
                                format!("{}未参加本学年的班级座谈交流会", c.name.zh),
                                format!("{} attended no class symposium this academic year", c.name.en),
                                Some(from),
                            );
                        }
                    }
                }
            }
        }
    }
    // Hearing: after the internal deadline until the year's end, each department SU's annual
    // work report has been heard by the school SU this year.
    let y = day.year();
    if let Some(to) = day_of_year(y, &cx.cfg.annual_report_to)
        && day > to
    {
        let heard: HashSet<&str> = requests
            .iter()
            .filter(|r| r.key == "annual_work_report")
            // A report rejected, withdrawn or sent back at the hearing was not heard.
            .filter(|r| matches!(r.state, FactState::Approved | FactState::Running))
            .filter(|r| r.int("year").is_none_or(|v| v == i64::from(y)))
            .filter(|r| r.step("hearing").and_then(|s| s.done_at).is_some_and(|d| local_day(d).year() == y))
            .filter_map(|r| r.department.as_deref())
            .collect();
        let presidents = cx.presidents("school_su");
        for d in &org.departments {
            if !heard.contains(d.code.as_str()) {
                let n = cx.dept_name(&d.code);
                let mut people = presidents.clone();
                people.extend(cx.presidents(&format!("department_su@{}", d.code)));
                cx.push(
                    "m9_department_unheard",
                    cx.subject(SubjectKind::Department, &d.code),
                    people,
                    format!("校学生会{y}年度尚未听取{}的工作报告", n.zh),
                    format!("the school SU has not heard {}'s work report for {y}", n.en),
                    to.succ_opt(),
                );
            }
        }
    }
    // Federation summary: sent by 31 December (the request reached `send_to_federation`), its
    // receipt logged (that step acknowledged); looked at from then until the next window opens.
    let (prev_due, next_from) =
        (day_of_year(y - 1, &cx.cfg.federation_summary_to), day_of_year(y, &cx.cfg.federation_summary_from));
    if let (Some(due), Some(next)) = (prev_due, next_from)
        && day > due
        && day < next
    {
        let year = due.year();
        let sent: Vec<&RequestFacts> = requests
            .iter()
            .filter(|r| r.key == "federation_annual_summary")
            .filter(|r| !matches!(r.state, FactState::Rejected | FactState::Withdrawn))
            .filter(|r| r.int("year").is_none_or(|v| v == i64::from(year)))
            .filter(|r| r.step("send_to_federation").is_some_and(|s| local_day(s.entered_at) <= due))
            .collect();
        let received = sent.iter().any(|r| r.step("send_to_federation").is_some_and(|s| s.done_at.is_some()));
        if sent.is_empty() {
            cx.push(
                "m9_federation_summary_missing",
                cx.subject(SubjectKind::School, "school_su"),
                cx.presidents("school_su"),
                format!("{year}年度工作总结和工作计划未在{}前报送上级学联", zh_date(due)),
                format!("the {year} summary and plan were not sent to the upper federation by {due}"),
                due.succ_opt(),
            );
        } else if !received {
            let r = sent[0];
            let mut people = cx.presidents("school_su");
            people.extend(cx.holders("school_su", &[Role::SecretaryGeneral]));
            cx.push(
                "m9_federation_receipt_missing",
                Subject { kind: SubjectKind::Request, id: r.id.clone(), name: r.title.clone() },
                people,
                format!("{year}年度工作总结和工作计划已报送上级学联，尚未登记回执"),
                format!("the {year} summary and plan went to the upper federation but no receipt is logged"),
                due.succ_opt(),
            );
        }
    }
}

/// The lead time a major-matter report had and needed, in working days — `(had, need)` — when one
/// applies (a 请示 10 wd, a major meeting 20 wd, with an event date); a lead time far longer than
/// needed reads as `i64::MAX` without counting.
pub fn lead_time(r: &RequestFacts, cfg: &CheckSettings, cal: &WorkCalendar) -> Option<(i64, u32)> {
    let (event, sub) = (r.date("event_date")?, r.submitted_at?);
    let need = if r.text("matter_type") == Some("major_meeting") {
        cfg.major_meeting_lead_time_working_days
    } else if r.text("kind") == Some("request") {
        cfg.lead_time_working_days
    } else {
        0
    };
    if need == 0 {
        return None;
    }
    let sub_day = local_day(sub);
    // Three calendar days per working day is more than any holiday season needs: a farther date
    // is in time without counting (and a date years away costs nothing).
    let near = (event - sub_day).num_days() < i64::from(need) * 3;
    Some((if near { cal.working_days_between(sub_day, event) } else { i64::MAX }, need))
}

/// `day` plus `n` working days.
/// M10: every review panel (school and department) has strictly more than
/// `panel_class_rep_share` class representatives among its members.
fn m10(cx: &mut Ctx<'_>) {
    let share = cx.cfg.panel_class_rep_share;
    let panels: Vec<(String, Option<String>)> = cx
        .dir
        .org()
        .bodies
        .iter()
        .filter(|b| b.kind == crate::catalog::BodyKind::ReviewPanel)
        .map(|b| {
            let dept = match &b.scope {
                crate::org::Scope::Department(d) => Some(d.clone()),
                _ => None,
            };
            (b.id.clone(), dept)
        })
        .collect();
    for (body, dept) in panels {
        let count = crate::score::PanelCount::of(cx.dir, &body, cx.day);
        if count.members == 0 || count.has_majority(share) {
            continue;
        }
        let (subject, committee) = match &dept {
            Some(d) => (cx.subject(SubjectKind::Department, d), format!("su_committee@{d}")),
            None => (cx.subject(SubjectKind::School, "school_su"), "su_committee".to_string()),
        };
        let chairs = cx.holders(&committee, &[Role::Chair]);
        let msg = count.shortfall(share);
        cx.push(
            "m10_panel_composition",
            subject.clone(),
            chairs,
            format!("{}：{}（学生会委员会应组建以各班级学生代表为主的评议会）", subject.name, msg.zh),
            format!("{}: {}", cx.dept_or_school_en(dept.as_deref()), msg.en),
            None,
        );
    }
}

fn add_working_days(cal: &WorkCalendar, day: NaiveDate, n: u32) -> NaiveDate {
    let mut d = day;
    for _ in 0..n {
        d = cal.next_working_day(d);
    }
    d
}

fn zh_date(d: NaiveDate) -> String {
    crate::calendar::format_date(d, crate::catalog::Lang::Zh)
}

/// Counts of findings per (code, severity), for a gauge.
pub fn counts(findings: &[Finding]) -> BTreeMap<(String, Severity), usize> {
    let mut m = BTreeMap::new();
    for f in findings {
        *m.entry((f.code.clone(), f.severity)).or_default() += 1;
    }
    m
}
