//! The annual assessment of department SUs (M10 年度考核): criteria with weights, assessors'
//! score sheets, the weighted total, the grade by thresholds and the published rank table.
//!
//! Pure: the daemon stores criteria and sheets and calls these functions; nothing here reads a
//! clock or a database. A criterion's weight is its share of the total in percent (the weights
//! of a year sum to 100); its `max` is the scale an assessor scores it on (0..=max). One sheet's
//! total is Σ(score / max × weight); the department's total is the mean over its sheets.

use crate::form::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The most criteria one year may have.
pub const MAX_CRITERIA: usize = 20;
/// The longest criterion name, in characters.
pub const MAX_NAME_CHARS: usize = 60;
/// The longest comment on a score sheet, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;
/// The largest scale of one criterion.
pub const MAX_SCALE: u32 = 1000;

/// One criterion of a year's assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    /// Stable key (`[a-z0-9_]`, at most 40 characters): what score sheets name.
    pub key: String,
    /// zh-CN name (考核指标).
    pub name: String,
    /// English name.
    pub name_en: String,
    /// Share of the total, in percent (the year's weights sum to 100).
    pub weight: u32,
    /// The scale an assessor scores it on: 0..=max.
    pub max: u32,
}

/// The grade (等次) of a department's assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// 差.
    Poor,
    /// 一般.
    Average,
    /// 较好.
    FairlyGood,
    /// 好.
    Good,
}

impl Grade {
    /// The identifier, as the `annual_assessment` form's `grade` enum writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::Good => "good",
            Grade::FairlyGood => "fairly_good",
            Grade::Average => "average",
            Grade::Poor => "poor",
        }
    }

    /// The zh-CN label.
    pub fn zh(self) -> &'static str {
        match self {
            Grade::Good => "好",
            Grade::FairlyGood => "较好",
            Grade::Average => "一般",
            Grade::Poor => "差",
        }
    }

    /// The English label.
    pub fn en(self) -> &'static str {
        match self {
            Grade::Good => "good",
            Grade::FairlyGood => "fairly good",
            Grade::Average => "average",
            Grade::Poor => "poor",
        }
    }

    /// The grade written as `as_str` gives it.
    pub fn parse(s: &str) -> Option<Grade> {
        [Grade::Good, Grade::FairlyGood, Grade::Average, Grade::Poor].into_iter().find(|g| g.as_str() == s)
    }
}

/// The lowest totals of the grades (`[assessment]` settings): at least `good` is 好, at least
/// `fairly_good` 较好, at least `average` 一般, below it 差.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// The lowest total graded 好 [default 85].
    pub good: f64,
    /// The lowest total graded 较好 [default 75].
    pub fairly_good: f64,
    /// The lowest total graded 一般 [default 60].
    pub average: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { good: 85.0, fairly_good: 75.0, average: 60.0 }
    }
}

impl Thresholds {
    /// What is wrong with them (they must fall: 100 ≥ good ≥ fairly_good ≥ average ≥ 0).
    pub fn problems(&self) -> Vec<String> {
        let ok = (0.0..=100.0).contains(&self.average)
            && self.average <= self.fairly_good
            && self.fairly_good <= self.good
            && self.good <= 100.0;
        if ok { vec![] } else { vec!["[assessment] needs 100 ≥ good ≥ fairly_good ≥ average ≥ 0".into()] }
    }

    /// The grade of a weighted total.
    pub fn grade(&self, total: f64) -> Grade {
        if total >= self.good {
            Grade::Good
        } else if total >= self.fairly_good {
            Grade::FairlyGood
        } else if total >= self.average {
            Grade::Average
        } else {
            Grade::Poor
        }
    }
}

/// The criteria a year starts with when the school SU has not set its own, after the policy's
/// measures: reporting (M1), contact with the grassroots (M2), the team, its selection and
/// training (M3–M4), serving students (M5–M8), and its own management and reform (M10).
pub fn default_criteria() -> Vec<Criterion> {
    let c = |key: &str, name: &str, name_en: &str, weight| Criterion {
        key: key.into(),
        name: name.into(),
        name_en: name_en.into(),
        weight,
        max: 10,
    };
    vec![
        c("reporting", "重大事项请示报告", "Reporting major matters", 20),
        c("contact", "常态化联系基层", "Regular contact with classes", 20),
        c("team", "队伍建设与履职培训", "Staff selection and training", 20),
        c("service", "服务同学工作实绩", "Work for students", 25),
        c("reform", "自身管理与改革推进", "Self-management and reform", 15),
    ]
}

fn bad(field: String, code: &'static str, message: impl Into<String>) -> FieldError {
    FieldError { field, code, message: message.into() }
}

/// Parses a year's criteria from JSON (`[{key, name, name_en, weight, max}, …]`, or
/// `{"criteria": […]}`): every problem at once, each naming its field (`criteria[2].weight`);
/// the weights must sum to 100 (`criteria`, code `weights_sum`).
pub fn parse_criteria(input: &Value) -> Result<Vec<Criterion>, Vec<FieldError>> {
    let list = input.get("criteria").unwrap_or(input);
    let Some(items) = list.as_array() else {
        return Err(vec![bad("criteria".into(), "wrong_type", "`criteria` is a list of criteria")]);
    };
    let mut errors = Vec::new();
    if items.is_empty() || items.len() > MAX_CRITERIA {
        errors.push(bad("criteria".into(), "out_of_range", format!("between 1 and {MAX_CRITERIA} criteria")));
    }
    let mut out: Vec<Criterion> = Vec::new();
    for (i, item) in items.iter().enumerate().take(MAX_CRITERIA) {
        let f = |name: &str| format!("criteria[{i}].{name}");
        let Some(obj) = item.as_object() else {
            errors.push(bad(format!("criteria[{i}]"), "wrong_type", "a criterion is an object"));
            continue;
        };
        for k in obj.keys() {
            if !["key", "name", "name_en", "weight", "max"].contains(&k.as_str()) {
                errors.push(bad(f(k), "unknown_field", format!("a criterion has no field `{k}`")));
            }
        }
        let text = |name: &str, errors: &mut Vec<FieldError>| match obj.get(name).and_then(Value::as_str) {
            Some(s) if !s.trim().is_empty() && s.chars().count() <= MAX_NAME_CHARS => Some(s.trim().to_string()),
            _ => {
                errors.push(bad(f(name), "required", format!("a text of 1 to {MAX_NAME_CHARS} characters")));
                None
            }
        };
        let key = text("key", &mut errors);
        if let Some(k) = &key
            && (k.len() > 40 || !k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'))
        {
            errors.push(bad(f("key"), "bad_key", "a key is up to 40 of a–z, 0–9 and _"));
        }
        if let Some(k) = &key
            && out.iter().any(|c| &c.key == k)
        {
            errors.push(bad(f("key"), "duplicate", format!("`{k}` is listed twice")));
        }
        let name = text("name", &mut errors);
        let name_en = match obj.get("name_en") {
            None | Some(Value::Null) => name.clone(),
            Some(_) => text("name_en", &mut errors),
        };
        let number =
            |name: &str, lo: u64, hi: u64, errors: &mut Vec<FieldError>| match obj.get(name).and_then(Value::as_u64) {
                Some(n) if (lo..=hi).contains(&n) => Some(n as u32),
                _ => {
                    errors.push(bad(f(name), "out_of_range", format!("a whole number from {lo} to {hi}")));
                    None
                }
            };
        let weight = number("weight", 1, 100, &mut errors);
        let max = number("max", 1, u64::from(MAX_SCALE), &mut errors);
        if let (Some(key), Some(name), Some(name_en), Some(weight), Some(max)) = (key, name, name_en, weight, max) {
            out.push(Criterion { key, name, name_en, weight, max });
        }
    }
    if errors.is_empty() {
        let sum: u32 = out.iter().map(|c| c.weight).sum();
        if sum != 100 {
            errors.push(bad("criteria".into(), "weights_sum", format!("the weights sum to {sum}, not 100")));
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// One assessor's scores for one department: a score per criterion key, and a comment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    /// Score per criterion key, each in 0..=max of its criterion.
    pub scores: BTreeMap<String, f64>,
    /// An optional comment (考核意见), never published.
    pub comment: String,
}

/// Parses a score sheet (`{"scores": {"reporting": 9, …}, "comment": "…"}`) against the year's
/// criteria: every criterion scored once, 0..=max (halves and tenths allowed), no other key.
pub fn parse_scores(criteria: &[Criterion], input: &Value) -> Result<Scores, Vec<FieldError>> {
    let Some(obj) = input.as_object() else {
        return Err(vec![bad(String::new(), "not_an_object", "a score sheet is an object")]);
    };
    let mut errors = Vec::new();
    for k in obj.keys() {
        if k != "scores" && k != "comment" {
            errors.push(bad(k.clone(), "unknown_field", format!("a score sheet has no field `{k}`")));
        }
    }
    let comment = match obj.get("comment") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) if s.chars().count() <= MAX_COMMENT_CHARS => s.trim().to_string(),
        Some(_) => {
            errors.push(bad("comment".into(), "too_long", format!("a text of at most {MAX_COMMENT_CHARS} characters")));
            String::new()
        }
    };
    let mut scores = BTreeMap::new();
    match obj.get("scores").and_then(Value::as_object) {
        None => errors.push(bad("scores".into(), "required", "`scores` gives a score per criterion")),
        Some(given) => {
            for k in given.keys() {
                if !criteria.iter().any(|c| &c.key == k) {
                    errors.push(bad(
                        format!("scores.{k}"),
                        "unknown_criterion",
                        format!("`{k}` is not a criterion of this year"),
                    ));
                }
            }
            for c in criteria {
                let field = format!("scores.{}", c.key);
                match given.get(&c.key).and_then(Value::as_f64) {
                    None => errors.push(bad(
                        field,
                        "required",
                        format!("score `{}` ({}) from 0 to {}", c.key, c.name, c.max),
                    )),
                    Some(s) if !(0.0..=f64::from(c.max)).contains(&s) => {
                        errors.push(bad(field, "out_of_range", format!("`{}` is scored from 0 to {}", c.key, c.max)))
                    }
                    Some(s) => {
                        scores.insert(c.key.clone(), s);
                    }
                }
            }
        }
    }
    if errors.is_empty() { Ok(Scores { scores, comment }) } else { Err(errors) }
}

/// One sheet's weighted total: Σ(score / max × weight), 0..=100. A criterion the sheet does
/// not score counts 0.
pub fn sheet_total(criteria: &[Criterion], scores: &BTreeMap<String, f64>) -> f64 {
    criteria.iter().map(|c| scores.get(&c.key).copied().unwrap_or(0.0) / f64::from(c.max) * f64::from(c.weight)).sum()
}

/// A department's weighted total: the mean of its sheets' totals, rounded to one decimal;
/// `None` without sheets.
pub fn weighted_total<'a>(
    criteria: &[Criterion],
    sheets: impl IntoIterator<Item = &'a BTreeMap<String, f64>>,
) -> Option<f64> {
    let totals: Vec<f64> = sheets.into_iter().map(|s| sheet_total(criteria, s)).collect();
    if totals.is_empty() {
        return None;
    }
    Some(round1(totals.iter().sum::<f64>() / totals.len() as f64))
}

/// Rounds to one decimal.
pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// One department's published result: what the public page shows, nothing more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranked {
    /// Department code.
    pub department: String,
    /// The weighted total.
    pub total: f64,
    /// The grade.
    pub grade: Grade,
    /// The rank: 1 for the highest total; equal totals share a rank (1, 2, 2, 4).
    pub rank: u32,
}

/// Ranks `(department, total, grade)`: highest total first, ties sharing their rank and ordered
/// by department code.
pub fn rank(mut results: Vec<(String, f64, Grade)>) -> Vec<Ranked> {
    results.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut out: Vec<Ranked> = Vec::with_capacity(results.len());
    for (i, (department, total, grade)) in results.into_iter().enumerate() {
        let rank = match out.last() {
            Some(prev) if prev.total == total => prev.rank,
            _ => i as u32 + 1,
        };
        out.push(Ranked { department, total, grade, rank });
    }
    out
}

/// The demo university's published results of a past year: every department, totals falling
/// from 93.5 by 3.7 in department-code order (so one is graded 差), graded by `t` and ranked.
pub fn demo_results(org: &crate::org::OrgDirectory, t: &Thresholds) -> Vec<Ranked> {
    let mut codes: Vec<&str> = org.org().departments.iter().map(|d| d.code.as_str()).collect();
    codes.sort_unstable();
    rank(
        codes
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let total = round1(93.5 - 3.7 * i as f64);
                (c.to_string(), total, t.grade(total))
            })
            .collect(),
    )
}

/// A share: how many of how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    /// How many meet it.
    pub count: u32,
    /// Of how many.
    pub of: u32,
}

impl Share {
    /// The share in percent, one decimal; `None` of nothing.
    pub fn percent(&self) -> Option<f64> {
        (self.of > 0).then(|| round1(f64::from(self.count) * 100.0 / f64::from(self.of)))
    }
}

/// The department's M9 annual work report (年度工作报告) of the year, as the indicators show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRef {
    /// The request id.
    pub request: String,
    /// Its title.
    pub title: String,
    /// Where it stands.
    pub state: crate::compliance::FactState,
}

/// What Liandong computes for a department and year, shown beside its self-report (M10 reuses
/// M9 and the records).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicators {
    /// Ledger coverage: the department's classes whose latest ledger entry (M2 工作台账) falls
    /// in the year (the caller gives each pair's latest entry up to the year's last day, so a
    /// later visit does not hide this year's).
    pub ledger_coverage: Share,
    /// Training coverage: the department SU's staff on the year's last day (or `day` if earlier)
    /// who attended a training session held in the year (M4 履职培训).
    pub training_coverage: Share,
    /// Reporting timeliness: the department's M1 major-matter requests submitted in the year
    /// whose every step with a deadline (both branches) was done by it.
    pub reporting_on_time: Share,
    /// Proposals handled (M5): the department's proposals submitted in the year that finished.
    pub proposals_handled: Share,
    /// The department's M9 annual work report for the year, the newest when several.
    pub annual_report: Option<ReportRef>,
}

/// The indicators of `department` for `year`, on `day`, from the org, the records and the
/// requests' facts.
pub fn indicators(
    org: &crate::org::OrgDirectory,
    records: &crate::records::RecordSet,
    requests: &[crate::compliance::RequestFacts],
    department: &str,
    year: i32,
    day: chrono::NaiveDate,
) -> Indicators {
    use crate::compliance::FactState;
    use crate::org::Directory;
    use chrono::{Datelike, NaiveDate};
    let last = NaiveDate::from_ymd_opt(year, 12, 31).map_or(day, |d| d.min(day));
    let classes: Vec<&str> =
        org.org().classes.iter().filter(|c| c.department == department).map(|c| c.code.as_str()).collect();
    let covered = classes
        .iter()
        .filter(|c| {
            records.ledger_latest.iter().any(|l| {
                l.target.kind == crate::records::TargetKind::Class && l.target.id == **c && l.date.year() == year
            })
        })
        .count();
    let mut staff: Vec<&str> =
        org.holders(&format!("department_su@{department}"), &[], last).iter().map(|p| p.person.as_str()).collect();
    staff.sort_unstable();
    staff.dedup();
    let trained = staff
        .iter()
        .filter(|p| records.trainings.iter().any(|t| t.date.year() == year && t.attendees.iter().any(|a| a == *p)))
        .count();
    let of_year = |r: &&crate::compliance::RequestFacts| {
        r.department.as_deref() == Some(department)
            && r.submitted_at.is_some_and(|t| t.with_timezone(&chrono_tz::Asia::Shanghai).year() == year)
    };
    let m1: Vec<_> = requests.iter().filter(|r| r.key == "major_matter_report").filter(of_year).collect();
    let on_time = m1
        .iter()
        .filter(|r| {
            r.state == FactState::Approved
                && r.steps.iter().all(|s| match (s.due_at, s.done_at) {
                    (Some(due), Some(done)) => done <= due,
                    (Some(_), None) => false,
                    _ => true,
                })
        })
        .count();
    let proposals: Vec<_> = requests.iter().filter(|r| r.key == "proposal_handling").filter(of_year).collect();
    let handled = proposals.iter().filter(|r| !matches!(r.state, FactState::Running | FactState::Returned)).count();
    let annual_report = requests
        .iter()
        .filter(|r| {
            r.key == "annual_work_report"
                && r.department.as_deref() == Some(department)
                && r.form.get("year").and_then(serde_json::Value::as_i64) == Some(i64::from(year))
        })
        .max_by_key(|r| r.submitted_at)
        .map(|r| ReportRef { request: r.id.clone(), title: r.title.clone(), state: r.state });
    let share = |count: usize, of: usize| Share { count: count as u32, of: of as u32 };
    Indicators {
        ledger_coverage: share(covered, classes.len()),
        training_coverage: share(trained, staff.len()),
        reporting_on_time: share(on_time, m1.len()),
        proposals_handled: share(handled, proposals.len()),
        annual_report,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn scores(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn the_default_criteria_weigh_100() {
        let c = default_criteria();
        assert_eq!(c.iter().map(|c| c.weight).sum::<u32>(), 100);
        assert_eq!(parse_criteria(&serde_json::to_value(&c).unwrap()).unwrap(), c);
    }

    #[test]
    fn weights_that_do_not_sum_to_100_are_refused_naming_the_field() {
        // given
        let body = json!({ "criteria": [
            { "key": "a", "name": "组织建设", "weight": 50, "max": 10 },
            { "key": "b", "name": "联系同学", "weight": 40, "max": 10 },
        ]});
        // when
        let errs = parse_criteria(&body).unwrap_err();
        // then
        assert_eq!(errs.len(), 1);
        assert_eq!((errs[0].field.as_str(), errs[0].code), ("criteria", "weights_sum"));
        assert!(errs[0].message.contains("90"), "{}", errs[0].message);
    }

    #[test]
    fn each_bad_criterion_field_is_named() {
        let body = json!([
            { "key": "A b", "name": "", "weight": 0, "max": 10, "colour": "red" },
            { "key": "c", "name": "联系同学", "weight": 100, "max": 0 },
        ]);
        let got: Vec<_> = parse_criteria(&body).unwrap_err().into_iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            got,
            [
                ("criteria[0].colour".to_string(), "unknown_field"),
                ("criteria[0].key".into(), "bad_key"),
                ("criteria[0].name".into(), "required"),
                ("criteria[0].weight".into(), "out_of_range"),
                ("criteria[1].max".into(), "out_of_range"),
            ]
        );
    }

    #[test]
    fn a_sheet_scores_every_criterion_within_its_scale() {
        let c = default_criteria();
        let ok = json!({ "scores": { "reporting": 9, "contact": 8.5, "team": 10, "service": 7, "reform": 0 }, "comment": "台账完整" });
        let s = parse_scores(&c, &ok).unwrap();
        assert_eq!(s.comment, "台账完整");
        let bad = json!({ "scores": { "reporting": 11, "contact": -1, "team": 10, "service": 7, "other": 1 } });
        let got: Vec<_> = parse_scores(&c, &bad).unwrap_err().into_iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            got,
            [
                ("scores.other".to_string(), "unknown_criterion"),
                ("scores.reporting".into(), "out_of_range"),
                ("scores.contact".into(), "out_of_range"),
                ("scores.reform".into(), "required"),
            ]
        );
    }

    #[test]
    fn the_total_is_the_mean_of_the_sheets_weighted_totals() {
        // given two criteria: 60% on a scale of 10, 40% on a scale of 5
        let c = parse_criteria(&json!([
            { "key": "a", "name": "工作实绩", "weight": 60, "max": 10 },
            { "key": "b", "name": "改革推进", "weight": 40, "max": 5 },
        ]))
        .unwrap();
        // when one assessor gives 10 and 5 (100) and another 5 and 2.5 (50)
        let sheets = [scores(&[("a", 10.0), ("b", 5.0)]), scores(&[("a", 5.0), ("b", 2.5)])];
        // then the total is 75, graded 较好 by the default thresholds
        assert_eq!(weighted_total(&c, &sheets), Some(75.0));
        assert_eq!(Thresholds::default().grade(75.0), Grade::FairlyGood);
        assert_eq!(weighted_total(&c, &[]), None);
    }

    #[test]
    fn grades_follow_the_thresholds() {
        let t = Thresholds::default();
        assert_eq!(
            [85.0, 84.9, 75.0, 60.0, 59.9].map(|x| t.grade(x)),
            [Grade::Good, Grade::FairlyGood, Grade::FairlyGood, Grade::Average, Grade::Poor]
        );
        assert!(Thresholds { good: 70.0, fairly_good: 75.0, average: 60.0 }.problems().len() == 1);
        assert_eq!(Grade::parse("fairly_good"), Some(Grade::FairlyGood));
        assert_eq!(Grade::Good.zh(), "好");
    }

    #[test]
    fn equal_totals_share_a_rank() {
        let r = rank(vec![
            ("law".into(), 80.0, Grade::FairlyGood),
            ("cs".into(), 90.0, Grade::Good),
            ("art".into(), 80.0, Grade::FairlyGood),
            ("med".into(), 50.0, Grade::Poor),
        ]);
        let got: Vec<_> = r.iter().map(|r| (r.department.as_str(), r.rank)).collect();
        assert_eq!(got, [("cs", 1), ("art", 2), ("law", 2), ("med", 4)]);
    }

    proptest! {
        #[test]
        fn the_grade_is_monotonic_in_the_total(a in 0.0f64..=100.0, b in 0.0f64..=100.0) {
            let t = Thresholds::default();
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(t.grade(lo) <= t.grade(hi));
        }

        #[test]
        fn a_total_stays_within_0_and_100(xs in proptest::collection::vec((0u32..=10, 0u32..=10, 0u32..=10, 0u32..=10, 0u32..=10), 1..8)) {
            let c = default_criteria();
            let keys = ["reporting", "contact", "team", "service", "reform"];
            let sheets: Vec<BTreeMap<String, f64>> = xs
                .iter()
                .map(|t| keys.iter().zip([t.0, t.1, t.2, t.3, t.4]).map(|(k, v)| (k.to_string(), f64::from(v))).collect())
                .collect();
            let total = weighted_total(&c, &sheets).unwrap();
            prop_assert!((0.0..=100.0).contains(&total));
        }
    }
}
