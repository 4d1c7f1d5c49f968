//! The settings of the policy's checks ([`CheckSettings`], the daemon's `[duties]` section), and
//! the first org checks, which read dates typed into the org file.
//!
//! **Deprecated:** [`check_org`] reads the hand-typed org fields (`Post::onboarded`,
//! `Post::trained`, `Department::term_transition_done`, `Department::last_symposium`,
//! `Liaison::last_ledger_entry`, `ClassUnit::reporting_system`, `Post::from_department_su`,
//! `Post::is_class_cadre`). The live checks are [`crate::compliance::findings`], over the org, the
//! records and the requests.

use super::*;
use crate::diag::Severity;
use std::collections::{BTreeMap, BTreeSet};

/// One finding of an org check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgFinding {
    /// Stable code, e.g. `m2_department_uncovered`.
    pub code: &'static str,
    /// Error (the policy requires it) or warning (一般 / 原则上, or a reminder).
    pub severity: Severity,
    /// What it is about: a department, class or person id.
    pub subject: String,
    /// What is wrong, in both languages.
    pub message: Label,
}

fn finding(code: &'static str, severity: Severity, subject: &str, zh: String, en: String) -> OrgFinding {
    OrgFinding { code, severity, subject: subject.to_string(), message: Label::new(zh, en) }
}

/// The thresholds and windows of the org checks and the periodic duties (domain.md §3). Every
/// one is a [default] of domain.md, so a school sets its own in the daemon's `[duties]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckSettings {
    /// M2: a liaison ledger with no entry for more than this many days is stale, and its liaison
    /// is told once per such period (default 60, domain.md §3 M2 [default]).
    pub ledger_silent_days: u32,
    /// M3: least share, in percent, of school SU staff who came from a department SU (default 50,
    /// the policy's 一般不少于50%; a warning).
    pub school_staff_from_departments_percent: u32,
    /// M3: least share, in percent, of a department SU's staff who are class or branch cadres
    /// (default 50, the policy's 原则上不少于50%; a warning).
    pub department_staff_cadres_percent: u32,
    /// M4: onboarding is due this many calendar months after the appointment (default 1, the
    /// policy's 一个月内).
    pub onboarding_months: u32,
    /// M4: the new staff member is reminded from this day after the appointment (default 21).
    pub onboarding_reminder_day: u32,
    /// M4: the department SUs are reminded to file their training plan in the first this many
    /// days of each semester (1 September and 1 March; default 21).
    pub training_filing_days: u32,
    /// M9: the department SU work reports are asked for from this day (`MM-DD`, default
    /// `11-15`)…
    pub annual_report_from: String,
    /// … to this day (`MM-DD`, default `12-15`, the internal deadline).
    pub annual_report_to: String,
    /// M9: the school SU is reminded of the federation summary from this day (`MM-DD`, default
    /// `11-15`)…
    pub federation_summary_from: String,
    /// … to this day (`MM-DD`, default `12-31`, the policy's send-by date).
    pub federation_summary_to: String,
    /// M2: how the school SU's leaders must cover the department SUs: `collective` (domain.md
    /// §7.1, the default: together the presidium members and division heads cover every
    /// department SU) or `each` (every department SU by a presidium member *and* a division head).
    pub department_coverage: Coverage,
    /// M1: branch B (the school SU) is late when acknowledged more than this many working days
    /// after branch A (the college) was asked (default 1, the policy's 同时…及时).
    pub branch_b_working_days: u32,
    /// M1: least lead time of a 请示, in working days before the matter's date (default 10).
    pub lead_time_working_days: u32,
    /// M1: least lead time of a `major_meeting`, in working days (default 20).
    pub major_meeting_lead_time_working_days: u32,
    /// M3: "from a department SU" means having held a department SU post in this many terms
    /// (academic years) up to the current one (default 2: the previous and the current, §7.3).
    pub from_department_su_terms: u32,
    /// M3 [ext]: most student staff of the school SU (default 40; 60 at large schools).
    pub school_su_max_staff: u32,
    /// M3 [ext]: most presidium members of the school SU (default 5).
    pub school_su_max_presidium: u32,
    /// M3 [ext]: most work divisions of the school SU (default 6).
    pub school_su_max_divisions: u32,
    /// M4: the semester's duty training is expected within this many days of the semester's
    /// start (1 September, 1 March); coverage is checked from then on (default 60).
    pub training_due_days: u32,
    /// M5: an office replies to a proposal within this many days (default 30)…
    pub office_reply_days: u32,
    /// … or this many when the extension was granted (default 60).
    pub office_reply_extended_days: u32,
    /// M5: a proposer rates the reply within this many days of receiving it (default 14).
    pub rating_days: u32,
    /// M10: a review panel must have strictly more than this share of class representatives
    /// (default 0.5, the policy's 为主). Set in the daemon's `[duty_review] class_rep_share`.
    #[serde(skip)]
    pub panel_class_rep_share: f64,
}

/// How the school SU's leaders must cover the department SUs (M2, domain.md §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// Together, the presidium members and division heads cover every department SU.
    Collective,
    /// Every department SU by at least one presidium member and one division head.
    Each,
}

impl Default for CheckSettings {
    fn default() -> Self {
        Self {
            ledger_silent_days: 60,
            school_staff_from_departments_percent: 50,
            department_staff_cadres_percent: 50,
            onboarding_months: 1,
            onboarding_reminder_day: 21,
            training_filing_days: 21,
            annual_report_from: "11-15".into(),
            annual_report_to: "12-15".into(),
            federation_summary_from: "11-15".into(),
            federation_summary_to: "12-31".into(),
            department_coverage: Coverage::Collective,
            branch_b_working_days: 1,
            lead_time_working_days: 10,
            major_meeting_lead_time_working_days: 20,
            from_department_su_terms: 2,
            school_su_max_staff: 40,
            school_su_max_presidium: 5,
            school_su_max_divisions: 6,
            training_due_days: 60,
            office_reply_days: 30,
            office_reply_extended_days: 60,
            rating_days: 14,
            panel_class_rep_share: 0.5,
        }
    }
}

impl CheckSettings {
    /// Every problem with the values, naming the key (for a start-up error).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (key, v) in [
            ("school_staff_from_departments_percent", self.school_staff_from_departments_percent),
            ("department_staff_cadres_percent", self.department_staff_cadres_percent),
        ] {
            if v > 100 {
                out.push(format!("{key} = {v}: a share in percent is at most 100"));
            }
        }
        for (key, v) in [
            ("ledger_silent_days", self.ledger_silent_days),
            ("onboarding_months", self.onboarding_months),
            ("onboarding_reminder_day", self.onboarding_reminder_day),
            ("from_department_su_terms", self.from_department_su_terms),
            ("office_reply_days", self.office_reply_days),
            ("office_reply_extended_days", self.office_reply_extended_days),
            ("rating_days", self.rating_days),
        ] {
            if v == 0 {
                out.push(format!("{key} = 0: must be at least 1"));
            }
        }
        if self.training_due_days > 180 {
            out.push(format!("training_due_days = {}: at most 180 (a semester)", self.training_due_days));
        }
        if self.training_filing_days > 31 {
            out.push(format!("training_filing_days = {}: at most 31", self.training_filing_days));
        }
        for (key, v) in [
            ("annual_report_from", &self.annual_report_from),
            ("annual_report_to", &self.annual_report_to),
            ("federation_summary_from", &self.federation_summary_from),
            ("federation_summary_to", &self.federation_summary_to),
        ] {
            if month_day(v).is_none() {
                out.push(format!("{key} = \"{v}\": write a day of the year as MM-DD, e.g. 11-15"));
            }
        }
        out
    }

    /// Whether `day` is in the M9 window of department work reports.
    pub fn in_annual_report_window(&self, day: NaiveDate) -> bool {
        in_window(day, &self.annual_report_from, &self.annual_report_to)
    }

    /// Whether `day` is in the M9 window of the federation summary.
    pub fn in_federation_window(&self, day: NaiveDate) -> bool {
        in_window(day, &self.federation_summary_from, &self.federation_summary_to)
    }

    /// Whether `have` of `total` people reach `percent`.
    pub fn reaches(have: usize, total: usize, percent: u32) -> bool {
        have * 100 >= total * percent as usize
    }
}

/// `MM-DD` → (month, day).
fn month_day(s: &str) -> Option<(u32, u32)> {
    let (m, d) = s.trim().split_once('-')?;
    let (m, d): (u32, u32) = (m.parse().ok()?, d.parse().ok()?);
    NaiveDate::from_ymd_opt(2024, m, d).map(|_| (m, d))
}

/// `from..=to` in `day`'s year (a window that wraps the new year, e.g. `12-01`..`01-15`, too).
fn in_window(day: NaiveDate, from: &str, to: &str) -> bool {
    let (Some(a), Some(b)) = (month_day(from), month_day(to)) else { return false };
    let md = (day.month(), day.day());
    if a <= b { a <= md && md <= b } else { md >= a || md <= b }
}

/// `MM-DD` of `year` as a day (29 February falls back to 28 in other years).
pub fn day_of_year(year: i32, md: &str) -> Option<NaiveDate> {
    let (m, d) = month_day(md)?;
    NaiveDate::from_ymd_opt(year, m, d).or_else(|| NaiveDate::from_ymd_opt(year, m, d - 1))
}

/// Runs every check on `day` with the default thresholds.
pub fn check_org(org: &Org, day: NaiveDate) -> Vec<OrgFinding> {
    check_org_with(org, day, &CheckSettings::default())
}

/// Runs every check on `day` with the thresholds of `cfg`.
pub fn check_org_with(org: &Org, day: NaiveDate, cfg: &CheckSettings) -> Vec<OrgFinding> {
    let dir = OrgDirectory::new(org.clone());
    let mut out = Vec::new();
    let school_su = |role: fn(Role) -> bool| -> BTreeSet<String> {
        dir.holders("school_su", &[], day).into_iter().filter(|p| role(p.role)).map(|p| p.person.clone()).collect()
    };
    let leaders = school_su(|r| r.is_presidium() || r == Role::DivisionHead);
    let presidium = school_su(Role::is_presidium);
    let heads = school_su(|r| r == Role::DivisionHead);
    let members = school_su(|r| r == Role::DivisionMember);
    let current: Vec<&Liaison> = org.liaisons.iter().filter(|l| l.current_on(day)).collect();

    // M2: every department SU covered by a presidium member and a division head of the school SU.
    for d in &org.departments {
        let by: Vec<&str> =
            current.iter().filter(|l| l.department.as_deref() == Some(&d.code)).map(|l| l.person.as_str()).collect();
        if !by.iter().any(|p| presidium.contains(*p)) || !by.iter().any(|p| heads.contains(*p)) {
            out.push(finding(
                "m2_department_uncovered",
                Severity::Error,
                &d.code,
                format!("{}学生会缺少校学生会主席团成员或工作部门负责人联系", d.name.zh),
                format!("{}: no school SU presidium member and division head both assigned", d.name.en),
            ));
        }
    }
    for p in &leaders {
        if !current.iter().any(|l| &l.person == p && l.department.is_some()) {
            out.push(finding(
                "m2_leader_without_department",
                Severity::Error,
                p,
                format!("{p} 未联系任何院系学生会"),
                format!("{p} covers no department SU"),
            ));
        }
    }
    let key: BTreeSet<&str> = org.classes.iter().filter(|c| c.key_class).map(|c| c.code.as_str()).collect();
    for m in &members {
        let n =
            current.iter().filter(|l| &l.person == m && l.class.as_deref().is_some_and(|c| key.contains(c))).count();
        if n != 1 {
            out.push(finding(
                "m2_member_key_class",
                Severity::Error,
                m,
                format!("{m} 联系重点班级 {n} 个（应为 1 个）"),
                format!("{m} covers {n} key classes (exactly one expected)"),
            ));
        }
    }
    // Every class covered by its department SU's leaders.
    let dept_leader = |person: &str, dept: &str| {
        dir.posts_of(person, day).iter().any(|p| {
            p.body == format!("department_su@{dept}") && (p.role.is_presidium() || p.role == Role::DivisionHead)
        })
    };
    for c in &org.classes {
        if !current.iter().any(|l| l.class.as_deref() == Some(&c.code) && dept_leader(&l.person, &c.department)) {
            out.push(finding(
                "m2_class_uncovered",
                Severity::Error,
                &c.code,
                format!("{} 没有院系学生会联系人", c.name.zh),
                format!("{} has no department SU contact person", c.name.en),
            ));
        }
    }
    for l in &current {
        let days = cfg.ledger_silent_days;
        if l.last_ledger_entry.is_none_or(|d| (day - d).num_days() > i64::from(days)) {
            let subject = l.department.clone().or_else(|| l.class.clone()).unwrap_or_default();
            out.push(finding(
                "m2_ledger_stale",
                Severity::Warning,
                &subject,
                format!("{} 联系 {subject} 的工作台账已超过{days}天没有记录", l.person),
                format!("{}'s ledger for {subject} has no entry in {days} days", l.person),
            ));
        }
    }

    // M3: ratios count people, not posts.
    let staff = |body: &str| -> BTreeMap<String, Vec<&Post>> {
        let mut m: BTreeMap<String, Vec<&Post>> = BTreeMap::new();
        for p in dir
            .holders(body, &[], day)
            .into_iter()
            .filter(|p| p.role != Role::Advisor && p.role != Role::SecretaryGeneral || body != "school_su")
        {
            m.entry(p.person.clone()).or_default().push(p);
        }
        m
    };
    let school_staff = staff("school_su");
    let school_staff: BTreeMap<&String, &Vec<&Post>> =
        school_staff.iter().filter(|(p, _)| dir.person(p).is_some_and(|x| x.class.is_some())).collect();
    let from_su = school_staff.values().filter(|posts| posts.iter().any(|p| p.from_department_su)).count();
    let pct = cfg.school_staff_from_departments_percent;
    if !school_staff.is_empty() && !CheckSettings::reaches(from_su, school_staff.len(), pct) {
        out.push(finding(
            "m3_school_su_from_departments",
            Severity::Warning,
            "school_su",
            format!("校学生会工作人员中来自院系学生会的仅 {from_su}/{}，一般不少于{pct}%", school_staff.len()),
            format!(
                "only {from_su} of {} school SU staff come from department SUs ({pct}% expected)",
                school_staff.len()
            ),
        ));
    }
    let pct = cfg.department_staff_cadres_percent;
    for d in &org.departments {
        let s = staff(&format!("department_su@{}", d.code));
        let cadre = s.keys().filter(|p| dir.submitter_info(p, day).is_some_and(|i| i.is_class_cadre)).count();
        if !s.is_empty() && !CheckSettings::reaches(cadre, s.len(), pct) {
            out.push(finding(
                "m3_department_su_cadres",
                Severity::Warning,
                &d.code,
                format!("{}学生会工作人员中班团干部仅 {cadre}/{}，原则上不少于{pct}%", d.name.zh, s.len()),
                format!(
                    "{}: only {cadre} of {} department SU staff are class or branch cadres ({pct}% expected)",
                    d.name.en,
                    s.len()
                ),
            ));
        }
        if !d.term_transition_done {
            out.push(finding(
                "m3_term_transition_missing",
                Severity::Error,
                &d.code,
                format!("{}学生会尚未完成换届，校级学代会不能召开", d.name.zh),
                format!("{} has not finished its term transition: the school congress is blocked", d.name.en),
            ));
        }
        if d.last_symposium.is_none_or(|s| s.year() != day.year()) {
            out.push(finding(
                "m9_no_symposium",
                Severity::Warning,
                &d.code,
                format!("{}本年度尚未召开班级座谈交流会", d.name.zh),
                format!("{} has held no class symposium this year", d.name.en),
            ));
        }
    }

    // M4: onboarding within a month of appointment; presidium members trained this term.
    for p in org.posts.iter().filter(|p| p.current_on(day)) {
        let su = p.body == "school_su" || p.body.starts_with("department_su@");
        if !su || matches!(p.role, Role::Advisor | Role::SecretaryGeneral) && p.body == "school_su" {
            continue;
        }
        let due = p.from.checked_add_months(chrono::Months::new(cfg.onboarding_months)).unwrap_or(p.from);
        if p.onboarded.is_none() && day > due {
            out.push(finding(
                "m4_onboarding_overdue",
                Severity::Error,
                &p.person,
                format!("{} 任职于 {}，入门教育已于 {due} 到期", p.person, p.from),
                format!("{} was appointed on {}; onboarding was due on {due}", p.person, p.from),
            ));
        }
        if p.role.is_presidium() && p.trained.is_none_or(|t| t < p.from) {
            out.push(finding(
                "m4_presidium_untrained",
                Severity::Error,
                &p.person,
                format!("{} 本学期尚未参加履职培训", p.person),
                format!("{} has had no duty training this term", p.person),
            ));
        }
    }
    out
}

use chrono::Datelike;
