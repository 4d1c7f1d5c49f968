//! Periodic duties of the policy that fall due by the calendar (domain.md §3), computed for a day:
//! semester training filing (M4), onboarding one month after appointment (M4), department work
//! reports and the federation summary before year end (M9), liaison ledgers silent for 60 days
//! (M2). Each notice names its period, so a sender can tell each person once per period.

use crate::calendar::format_date;
use crate::catalog::{Label, Lang, Role};
use crate::org::checks::CheckSettings;
use crate::org::{Directory, OrgDirectory, PersonId};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A kind of periodic duty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Duty {
    /// M4: file the semester's training plan with the school SU.
    TrainingFiling,
    /// M4: finish onboarding education within a month of appointment.
    Onboarding,
    /// M9: the department SU's annual work report to the school SU.
    AnnualReport,
    /// M9: the school SU's summary and plan to the upper federation.
    FederationSummary,
    /// M2: a liaison ledger with no entry for 60 days.
    LiaisonLedger,
}

impl Duty {
    /// The identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Duty::TrainingFiling => "training_filing",
            Duty::Onboarding => "onboarding",
            Duty::AnnualReport => "annual_report",
            Duty::FederationSummary => "federation_summary",
            Duty::LiaisonLedger => "liaison_ledger",
        }
    }
}

/// One person to tell about one duty in one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The duty.
    pub duty: Duty,
    /// The period it is told once in (e.g. `2025-autumn:cs`).
    pub period: String,
    /// Who is told.
    pub person: PersonId,
    /// A title, in both languages.
    pub title: Label,
    /// What to do, in both languages.
    pub detail: Label,
}

fn presidents(dir: &OrgDirectory, body: &str, day: NaiveDate) -> Vec<PersonId> {
    dir.holders(body, &[Role::President], day).into_iter().map(|p| p.person.clone()).collect()
}

/// The notices due on `day` (Asia/Shanghai), with the default thresholds and windows.
pub fn due(dir: &OrgDirectory, day: NaiveDate) -> Vec<Notice> {
    due_with(dir, day, &CheckSettings::default())
}

/// The name of a department or class by code (zh, en), or the code when it is unknown.
fn unit_name(dir: &OrgDirectory, code: &str) -> Label {
    let org = dir.org();
    if let Some(d) = org.departments.iter().find(|d| d.code == code) {
        return Label::new(format!("{}学生会", d.name.zh), format!("{} SU", d.name.en));
    }
    org.classes.iter().find(|c| c.code == code).map_or_else(|| Label::new(code, code), |c| c.name.clone())
}

/// The notices due on `day` (Asia/Shanghai), with the thresholds and windows of `cfg`.
pub fn due_with(dir: &OrgDirectory, day: NaiveDate, cfg: &CheckSettings) -> Vec<Notice> {
    let org = dir.org();
    let mut out = Vec::new();
    let (y, m, d) = (day.year(), day.month(), day.day());
    // M4 training filing: the first weeks of each semester.
    let semester = match (m, d) {
        (9, d) if d <= cfg.training_filing_days => Some(("autumn", "秋季")),
        (3, d) if d <= cfg.training_filing_days => Some(("spring", "春季")),
        _ => None,
    };
    if let Some((sem, zh)) = semester {
        for dept in &org.departments {
            for p in presidents(dir, &format!("department_su@{}", dept.code), day) {
                out.push(Notice {
                    duty: Duty::TrainingFiling,
                    period: format!("{y}-{sem}:{}", dept.code),
                    person: p,
                    title: Label::new(format!("{y}年{zh}学期培训备案"), format!("{y} {sem} semester training filing")),
                    detail: Label::new(
                        format!("请向校学生会备案{}学生会本学期的培训计划（培训开始前至少5个工作日）。", dept.name.zh),
                        format!("Please file {}'s training plan for this semester with the school SU (at least 5 working days before it starts).", dept.name.en),
                    ),
                });
            }
        }
    }
    // M4 onboarding: from day 21 after appointment until it is done.
    for post in org.posts.iter().filter(|p| p.current_on(day) && p.onboarded.is_none()) {
        let su = post.body == "school_su" || post.body.starts_with("department_su@");
        if !su || matches!(post.role, Role::Advisor | Role::SecretaryGeneral) && post.body == "school_su" {
            continue;
        }
        if (day - post.from).num_days() >= i64::from(cfg.onboarding_reminder_day) {
            let due_on = post.from.checked_add_months(chrono::Months::new(cfg.onboarding_months)).unwrap_or(post.from);
            let (from_zh, due_zh) = (format_date(post.from, Lang::Zh), format_date(due_on, Lang::Zh));
            let (from_en, due_en) = (format_date(post.from, Lang::En), format_date(due_on, Lang::En));
            out.push(Notice {
                duty: Duty::Onboarding,
                period: format!("{}:{}:{}", post.person, post.body, post.from),
                person: post.person.clone(),
                title: Label::new("入门教育提醒", "Onboarding reminder"),
                detail: Label::new(
                    format!("您于{from_zh}任职，请在{due_zh}前完成入门教育。"),
                    format!("You were appointed on {from_en}; please finish onboarding education by {due_en}."),
                ),
            });
        }
    }
    // M9: reports before year end.
    if cfg.in_annual_report_window(day) {
        for dept in &org.departments {
            for p in presidents(dir, &format!("department_su@{}", dept.code), day) {
                out.push(Notice {
                    duty: Duty::AnnualReport,
                    period: format!("{y}:{}", dept.code),
                    person: p,
                    title: Label::new(format!("{y}年度院系学生会工作报告"), format!("{y} department SU annual report")),
                    detail: Label::new(
                        "请向校学生会提交本年度工作报告，并确认已召开班级座谈交流会。",
                        "Please send this year's work report to the school SU and confirm the class symposium was held.",
                    ),
                });
            }
        }
    }
    if cfg.in_federation_window(day) {
        for p in presidents(dir, "school_su", day) {
            out.push(Notice {
                duty: Duty::FederationSummary,
                period: format!("{y}"),
                person: p,
                title: Label::new(format!("{y}年度工作总结和工作计划报送"), format!("{y} summary and plan to the federation")),
                detail: Label::new(
                    "请于12月15日前经校团委审核，12月31日前向广东省学联报送年度工作总结和工作计划。",
                    "Have the League committee review the annual summary and plan by 15 December and send them to the federation by 31 December.",
                ),
            });
        }
    }
    // M2: ledgers silent for 60 days [default], once per such period.
    let window = i64::from(cfg.ledger_silent_days.max(1));
    for l in org.liaisons.iter().filter(|l| l.current_on(day)) {
        let last = l.last_ledger_entry.unwrap_or(l.from);
        let silent = (day - last).num_days();
        if silent > window {
            let target = l.department.clone().or_else(|| l.class.clone()).unwrap_or_default();
            let name = unit_name(dir, &target);
            let last_zh = format_date(last, Lang::Zh);
            let last_en = format_date(last, Lang::En);
            out.push(Notice {
                duty: Duty::LiaisonLedger,
                period: format!("{}:{target}:{}", l.person, silent / window),
                person: l.person.clone(),
                title: Label::new("联系工作台账提醒", "Liaison ledger reminder"),
                detail: Label::new(
                    format!(
                        "您联系的{}自{last_zh}起已有{silent}天没有工作台账记录，请及时记录联系、指导和帮助情况。",
                        name.zh
                    ),
                    format!(
                        "Your ledger for {} has had no entry for {silent} days (since {last_en}): please record your contacts.",
                        name.en
                    ),
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::generate::demo_directory;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_demo_university_on_24_november() {
        let n = due(&demo_directory(), day(2025, 11, 24));
        let count = |d: Duty| n.iter().filter(|x| x.duty == d).count();
        assert_eq!(count(Duty::AnnualReport), 12, "every department SU president");
        assert_eq!(count(Duty::FederationSummary), 1);
        assert_eq!(count(Duty::Onboarding), 3, "the three planted overdue onboardings");
        assert_eq!(count(Duty::TrainingFiling), 0, "not in the first weeks of a semester");
        let ledger: Vec<&Notice> = n.iter().filter(|x| x.duty == Duty::LiaisonLedger).collect();
        assert_eq!(ledger.len(), 1, "the planted silent ledger");
        assert!(ledger[0].period.contains(":math:"));
    }

    #[test]
    fn notices_name_units_by_name_and_write_dates_in_chinese() {
        let n = due(&demo_directory(), day(2025, 11, 24));
        let ledger = n.iter().find(|x| x.duty == Duty::LiaisonLedger).unwrap();
        assert!(ledger.detail.zh.starts_with("您联系的数学"), "{}", ledger.detail.zh);
        assert!(!ledger.detail.zh.contains("math"), "{}", ledger.detail.zh);
        assert!(ledger.detail.zh.contains("年") && ledger.detail.zh.contains("月"), "{}", ledger.detail.zh);
        let onboarding = n.iter().find(|x| x.duty == Duty::Onboarding).unwrap();
        let re_iso = onboarding.detail.zh.chars().filter(|c| *c == '-').count();
        assert_eq!(re_iso, 0, "no ISO dates: {}", onboarding.detail.zh);
        assert!(onboarding.detail.zh.contains("年") && onboarding.detail.zh.ends_with("前完成入门教育。"));
    }

    #[test]
    fn thresholds_and_windows_are_settings() {
        let dir = demo_directory();
        let on = |cfg: &CheckSettings, d: NaiveDate, duty: Duty| {
            due_with(&dir, d, cfg).iter().filter(|x| x.duty == duty).count()
        };
        let dflt = CheckSettings::default();
        assert_eq!(on(&dflt, day(2025, 11, 10), Duty::AnnualReport), 0, "before 15 Nov");
        let early = CheckSettings { annual_report_from: "11-01".into(), ..CheckSettings::default() };
        assert_eq!(on(&early, day(2025, 11, 10), Duty::AnnualReport), 12);
        let fed = CheckSettings { federation_summary_from: "11-01".into(), ..CheckSettings::default() };
        assert_eq!(on(&fed, day(2025, 11, 10), Duty::FederationSummary), 1);
        let long = CheckSettings { ledger_silent_days: 10_000, ..CheckSettings::default() };
        assert_eq!(on(&long, day(2025, 11, 24), Duty::LiaisonLedger), 0);
        let late = CheckSettings { onboarding_reminder_day: 10_000, ..CheckSettings::default() };
        assert_eq!(on(&late, day(2025, 11, 24), Duty::Onboarding), 0);
        let short = CheckSettings { training_filing_days: 1, ..CheckSettings::default() };
        assert_eq!(on(&short, day(2025, 9, 2), Duty::TrainingFiling), 0);
        assert_eq!(on(&dflt, day(2025, 9, 2), Duty::TrainingFiling), 12);
        let bad = CheckSettings {
            annual_report_to: "13-40".into(),
            department_staff_cadres_percent: 150,
            ..CheckSettings::default()
        };
        assert_eq!(bad.problems().len(), 2, "{:?}", bad.problems());
        assert!(CheckSettings::default().problems().is_empty());
    }

    #[test]
    fn periods_make_each_notice_once() {
        let a = due(&demo_directory(), day(2025, 9, 2));
        let b = due(&demo_directory(), day(2025, 9, 15));
        let periods = |v: &[Notice]| {
            v.iter().filter(|x| x.duty == Duty::TrainingFiling).map(|x| x.period.clone()).collect::<Vec<_>>()
        };
        assert_eq!(periods(&a).len(), 12);
        assert_eq!(periods(&a), periods(&b), "the same period all semester: told once");
    }
}
