//! Periodic duties of the policy (domain.md §3), computed for a day from the org, the records, the
//! requests and the compliance findings: reminders before something falls due — semester training
//! filing (M4), onboarding from day 21 after the appointment (M4), department work reports and the
//! federation summary before year end (M9) — each skipped when the record or request shows it
//! done; and, for every finding of [`crate::compliance::findings`], its `people` (a silent ledger's
//! liaison, an overdue onboarding's new staff member…). Nobody is reminded of what is done. Each
//! notice names its period, so a sender can tell each person once per period.

use crate::calendar::format_date;
use crate::catalog::{Label, Lang, Role};
use crate::compliance::{FactState, Finding, RequestFacts, SubjectKind};
use crate::org::checks::CheckSettings;
use crate::org::{Directory, OrgDirectory, PersonId};
use crate::records::RecordSet;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

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
    /// M2: a liaison ledger with no entry for 60 days (the finding `m2_ledger_stale`).
    LiaisonLedger,
    /// Any other compliance finding, told to the people who must act.
    Finding,
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
            Duty::Finding => "finding",
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

/// The notices due on `day` (Asia/Shanghai): the findings are computed here with `cal`.
pub fn due(
    dir: &OrgDirectory,
    records: &RecordSet,
    requests: &[RequestFacts],
    day: NaiveDate,
    cfg: &CheckSettings,
    cal: &crate::WorkCalendar,
) -> Vec<Notice> {
    let findings = crate::compliance::findings(dir, records, requests, day, cfg, cal);
    due_with(dir, records, requests, &findings, day, cfg)
}

/// The name of a department or class by code (zh, en), or the code when it is unknown.
fn unit_name(dir: &OrgDirectory, code: &str) -> Label {
    if let Some(d) = dir.department(code) {
        return Label::new(format!("{}学生会", d.name.zh), format!("{} SU", d.name.en));
    }
    dir.class(code).map_or_else(|| Label::new(code, code), |c| c.name.clone())
}

/// Whether a request of `key` from `department` (any department when `None`) was submitted and
/// is not withdrawn or rejected, with form `year` equal to `year` when it has one.
fn submitted(requests: &[RequestFacts], key: &str, department: Option<&str>, year: i32) -> bool {
    requests.iter().any(|r| {
        r.key == key
            && r.submitted_at.is_some()
            && !matches!(r.state, FactState::Withdrawn | FactState::Rejected)
            && department.is_none_or(|d| r.department.as_deref() == Some(d))
            && r.int("year").is_none_or(|y| y == i64::from(year))
    })
}

/// The notices due on `day` (Asia/Shanghai), given that day's `findings`, with the thresholds and
/// windows of `cfg`.
pub fn due_with(
    dir: &OrgDirectory,
    records: &RecordSet,
    requests: &[RequestFacts],
    findings: &[Finding],
    day: NaiveDate,
    cfg: &CheckSettings,
) -> Vec<Notice> {
    let org = dir.org();
    let mut out = Vec::new();
    let (y, m, d) = (day.year(), day.month(), day.day());
    // M4 training filing: the first weeks of each semester, until the department SU has filed.
    let semester = match (m, d) {
        (9, d) if d <= cfg.training_filing_days => Some(("autumn", "秋季")),
        (3, d) if d <= cfg.training_filing_days => Some(("spring", "春季")),
        _ => None,
    };
    if let Some((sem, zh)) = semester {
        let start = NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(day);
        let this = crate::records::Semester::of(day);
        let mut filed: HashSet<&str> = requests
            .iter()
            .filter(|r| r.key == "training_filing" && !matches!(r.state, FactState::Withdrawn | FactState::Rejected))
            .filter(|r| {
                r.submitted_at.is_some_and(|s| s.with_timezone(&chrono_tz::Asia::Shanghai).date_naive() >= start)
            })
            .filter_map(|r| r.department.as_deref())
            .collect();
        filed.extend(
            records
                .trainings
                .iter()
                .filter(|t| t.semester == this && t.request.is_some())
                .filter_map(|t| t.organiser.strip_prefix("department_su@")),
        );
        for dept in org.departments.iter().filter(|d| !filed.contains(d.code.as_str())) {
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
    // M4 onboarding: from day 21 after appointment until it is due (then the finding tells),
    // unless it is recorded.
    let onboarded: HashSet<(&str, &str, NaiveDate)> =
        records.onboarding.iter().map(|o| (o.person.as_str(), o.body.as_str(), o.appointed)).collect();
    for post in org.posts.iter().filter(|p| p.current_on(day)) {
        let su = post.body == "school_su" || post.body.starts_with("department_su@");
        if !su || post.role == Role::Advisor || post.role == Role::SecretaryGeneral && post.body == "school_su" {
            continue;
        }
        if onboarded.contains(&(post.person.as_str(), post.body.as_str(), post.from)) {
            continue;
        }
        let due_on = post.from.checked_add_months(chrono::Months::new(cfg.onboarding_months)).unwrap_or(post.from);
        if (day - post.from).num_days() >= i64::from(cfg.onboarding_reminder_day) && day <= due_on {
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
    // M9: reports before year end, until submitted.
    if cfg.in_annual_report_window(day) {
        for dept in &org.departments {
            if submitted(requests, "annual_work_report", Some(&dept.code), y) {
                continue;
            }
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
    if cfg.in_federation_window(day) && !submitted(requests, "federation_annual_summary", None, y) {
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
    // The findings: each person who must act, once per finding (code, subject, since).
    for f in findings {
        let since = f.since.map(|s| s.to_string()).unwrap_or_default();
        for person in &f.people {
            let period = format!("{}:{}:{since}", f.code, f.subject.id);
            if f.code == "m2_ledger_stale" {
                let name = match f.subject.kind {
                    SubjectKind::Department | SubjectKind::Class => unit_name(dir, &f.subject.id),
                    _ => Label::new(&f.subject.name, &f.subject.name),
                };
                let last = f.since.map(|s| s - chrono::Duration::days(i64::from(cfg.ledger_silent_days) + 1));
                let (last_zh, last_en) = last.map_or_else(
                    || (String::new(), String::new()),
                    |l| (format_date(l, Lang::Zh), format_date(l, Lang::En)),
                );
                let silent = last.map_or(0, |l| (day - l).num_days());
                out.push(Notice {
                    duty: Duty::LiaisonLedger,
                    period: format!("{person}:{}:{since}", f.subject.id),
                    person: person.clone(),
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
                continue;
            }
            out.push(Notice {
                duty: Duty::Finding,
                period,
                person: person.clone(),
                title: Label::new(
                    format!("学生会工作提醒（{}）", f.measure),
                    format!("Student union duty ({})", f.measure),
                ),
                detail: Label::new(
                    format!("{}。请及时处理。", f.message.zh),
                    format!("{}. Please see to it.", f.message.en),
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compliance::demo::{demo_records, demo_requests};
    use crate::org::generate::demo_directory;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn on(d: NaiveDate, cfg: &CheckSettings) -> Vec<Notice> {
        due(&demo_directory(), &demo_records(), &demo_requests(), d, cfg, &crate::WorkCalendar::builtin())
    }

    #[test]
    fn the_demo_university_on_24_november() {
        let n = on(day(2025, 11, 24), &CheckSettings::default());
        let count = |d: Duty| n.iter().filter(|x| x.duty == d).count();
        assert_eq!(count(Duty::AnnualReport), 12, "every department SU president");
        assert_eq!(count(Duty::FederationSummary), 1);
        assert_eq!(count(Duty::Onboarding), 0, "the three planted ones are overdue: their finding tells them");
        assert_eq!(count(Duty::TrainingFiling), 0, "not in the first weeks of a semester");
        let ledger: Vec<&Notice> = n.iter().filter(|x| x.duty == Duty::LiaisonLedger).collect();
        assert_eq!(ledger.len(), 1, "only the planted silent ledger: every other pair has recent entries");
        assert!(ledger[0].period.contains(":math:"));
        let findings: Vec<&Notice> = n.iter().filter(|x| x.duty == Duty::Finding).collect();
        let overdue = findings.iter().filter(|x| x.period.starts_with("m4_onboarding_overdue:")).count();
        assert_eq!(overdue, 3, "the three new ee staff are told of their overdue onboarding");
        assert!(findings.iter().any(|x| x.period.starts_with("m3_term_transition_missing:art:")));
    }

    #[test]
    fn nobody_is_reminded_of_what_is_done() {
        let mut records = demo_records();
        let dir = demo_directory();
        let cal = crate::WorkCalendar::builtin();
        let d = day(2025, 11, 24);
        let stale = |r: &RecordSet| {
            due(&dir, r, &demo_requests(), d, &CheckSettings::default(), &cal)
                .into_iter()
                .filter(|x| x.duty == Duty::LiaisonLedger)
                .count()
        };
        assert_eq!(stale(&records), 1);
        for l in records.ledger_latest.iter_mut().filter(|l| l.target.id == "math") {
            l.date = day(2025, 11, 23);
        }
        assert_eq!(stale(&records), 0, "the entry is recorded: nobody is told");
        // A submitted annual report ends its reminder.
        let mut requests = demo_requests();
        let mut report = requests[0].clone();
        report.key = "annual_work_report".into();
        report.form = [("year".to_string(), serde_json::json!(2025))].into_iter().collect();
        requests.push(report);
        let n = due(&dir, &records, &requests, d, &CheckSettings::default(), &cal);
        assert_eq!(n.iter().filter(|x| x.duty == Duty::AnnualReport).count(), 11, "cs has submitted");
    }

    #[test]
    fn notices_name_units_by_name_and_write_dates_in_chinese() {
        let n = on(day(2025, 11, 24), &CheckSettings::default());
        let ledger = n.iter().find(|x| x.duty == Duty::LiaisonLedger).unwrap();
        assert!(
            ledger.detail.zh.starts_with("您联系的数学学院学生会自2025年9月10日起已有75天"),
            "{}",
            ledger.detail.zh
        );
        assert!(!ledger.detail.zh.contains("math"), "{}", ledger.detail.zh);
        // Day 21 after an appointment: the reminder, dates in zh-CN.
        let mut records = demo_records();
        records.onboarding.retain(|o| o.body != "department_su@cs");
        let n = due(
            &demo_directory(),
            &records,
            &demo_requests(),
            day(2025, 9, 25),
            &CheckSettings::default(),
            &crate::WorkCalendar::builtin(),
        );
        let onboarding = n.iter().find(|x| x.duty == Duty::Onboarding).unwrap();
        let re_iso = onboarding.detail.zh.chars().filter(|c| *c == '-').count();
        assert_eq!(re_iso, 0, "no ISO dates: {}", onboarding.detail.zh);
        assert!(onboarding.detail.zh.contains("年") && onboarding.detail.zh.ends_with("前完成入门教育。"));
    }

    #[test]
    fn thresholds_and_windows_are_settings() {
        let count =
            |cfg: &CheckSettings, d: NaiveDate, duty: Duty| on(d, cfg).iter().filter(|x| x.duty == duty).count();
        let dflt = CheckSettings::default();
        assert_eq!(count(&dflt, day(2025, 11, 10), Duty::AnnualReport), 0, "before 15 Nov");
        let early = CheckSettings { annual_report_from: "11-01".into(), ..CheckSettings::default() };
        assert_eq!(count(&early, day(2025, 11, 10), Duty::AnnualReport), 12);
        let fed = CheckSettings { federation_summary_from: "11-01".into(), ..CheckSettings::default() };
        assert_eq!(count(&fed, day(2025, 11, 10), Duty::FederationSummary), 1);
        let long = CheckSettings { ledger_silent_days: 10_000, ..CheckSettings::default() };
        assert_eq!(count(&long, day(2025, 11, 24), Duty::LiaisonLedger), 0);
        let bad = CheckSettings {
            annual_report_to: "13-40".into(),
            department_staff_cadres_percent: 150,
            ..CheckSettings::default()
        };
        assert_eq!(bad.problems().len(), 2, "{:?}", bad.problems());
        assert!(CheckSettings::default().problems().is_empty());
    }

    #[test]
    fn training_filing_reminders_until_filed_once_per_period() {
        let mut records = demo_records();
        for t in records.trainings.iter_mut() {
            t.request = None;
        }
        let dir = demo_directory();
        let cal = crate::WorkCalendar::builtin();
        let at = |d: NaiveDate, r: &RecordSet, cfg: &CheckSettings| {
            due(&dir, r, &[], d, cfg, &cal).into_iter().filter(|x| x.duty == Duty::TrainingFiling).collect::<Vec<_>>()
        };
        let a = at(day(2025, 9, 2), &records, &CheckSettings::default());
        let b = at(day(2025, 9, 15), &records, &CheckSettings::default());
        let periods = |v: &[Notice]| v.iter().map(|x| x.period.clone()).collect::<Vec<_>>();
        assert_eq!(periods(&a).len(), 12);
        assert_eq!(periods(&a), periods(&b), "the same period all semester: told once");
        let short = CheckSettings { training_filing_days: 1, ..CheckSettings::default() };
        assert!(at(day(2025, 9, 2), &records, &short).is_empty());
        // cs's acknowledged filing recorded its session: cs is not reminded.
        records.trainings.push(crate::records::TrainingSession {
            id: "t-cs".into(),
            organiser: "department_su@cs".into(),
            semester: crate::records::Semester::of(day(2025, 9, 2)),
            date: day(2025, 9, 20),
            topic: "培训".into(),
            audience: "全体".into(),
            attendees: vec![],
            request: Some("r".into()),
        });
        assert_eq!(at(day(2025, 9, 2), &records, &CheckSettings::default()).len(), 11);
    }
}
