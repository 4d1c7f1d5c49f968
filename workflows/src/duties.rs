//! Periodic duties of the policy that fall due by the calendar (domain.md §3), computed for a day:
//! semester training filing (M4), onboarding one month after appointment (M4), department work
//! reports and the federation summary before year end (M9), liaison ledgers silent for 60 days
//! (M2). Each notice names its period, so a sender can tell each person once per period.

use crate::catalog::{Label, Role};
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

/// The notices due on `day` (Asia/Shanghai).
pub fn due(dir: &OrgDirectory, day: NaiveDate) -> Vec<Notice> {
    let org = dir.org();
    let mut out = Vec::new();
    let (y, m, d) = (day.year(), day.month(), day.day());
    // M4 training filing: the first three weeks of each semester.
    let semester = match (m, d) {
        (9, 1..=21) => Some(("autumn", "秋季")),
        (3, 1..=21) => Some(("spring", "春季")),
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
        if (day - post.from).num_days() >= 21 {
            let due_on = post.from.checked_add_months(chrono::Months::new(1)).unwrap_or(post.from);
            out.push(Notice {
                duty: Duty::Onboarding,
                period: format!("{}:{}:{}", post.person, post.body, post.from),
                person: post.person.clone(),
                title: Label::new("入门教育提醒", "Onboarding reminder"),
                detail: Label::new(
                    format!("您于{}任职，请在{}前完成入门教育。", post.from, due_on),
                    format!("You were appointed on {}; please finish onboarding education by {due_on}.", post.from),
                ),
            });
        }
    }
    // M9: reports before year end.
    if (m == 11 && d >= 15) || (m == 12 && d <= 15) {
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
    if m == 11 && d >= 15 || m == 12 {
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
    // M2: ledgers silent for 60 days, once per 60-day period.
    for l in org.liaisons.iter().filter(|l| l.current_on(day)) {
        let last = l.last_ledger_entry.unwrap_or(l.from);
        let silent = (day - last).num_days();
        if silent > 60 {
            let target = l.department.clone().or_else(|| l.class.clone()).unwrap_or_default();
            out.push(Notice {
                duty: Duty::LiaisonLedger,
                period: format!("{}:{target}:{}", l.person, silent / 60),
                person: l.person.clone(),
                title: Label::new("联系工作台账提醒", "Liaison ledger reminder"),
                detail: Label::new(
                    format!("您联系的{target}已有{silent}天没有工作台账记录，请及时记录联系、指导和帮助情况。"),
                    format!(
                        "Your ledger for {target} has had no entry for {silent} days: please record your contacts."
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
