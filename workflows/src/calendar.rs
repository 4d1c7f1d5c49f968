//! The working-day calendar: State Council holidays and 调休 make-up days as data, deadlines in
//! Asia/Shanghai.
//!
//! N working days from a moment is the same local time of day on the N-th working day after it;
//! a moment on a non-working day counts from 00:00 of the next working day. Outside the years the
//! data covers, Monday to Friday are the working days (`covers` tells).

use crate::catalog::{Label, Lang};
use crate::diag::Pos;
use crate::duration::{DurationSpec, DurationUnit};
use crate::yaml::{self, Map};
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Asia::Shanghai;
use std::collections::{BTreeMap, BTreeSet};

/// The shipped holiday data, one file per year.
pub const BUILTIN_YEARS: &[(&str, &str)] =
    &[("2025.yaml", include_str!("../calendar/2025.yaml")), ("2026.yaml", include_str!("../calendar/2026.yaml"))];

/// A problem in a calendar file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{pos}: {message}")]
pub struct CalendarError {
    /// The file.
    pub file: String,
    /// Where.
    pub pos: Pos,
    /// What is wrong.
    pub message: String,
}

/// Holidays and make-up working days by date.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkCalendar {
    holidays: BTreeMap<NaiveDate, Label>,
    workdays: BTreeMap<NaiveDate, Label>,
    years: BTreeSet<i32>,
}

impl WorkCalendar {
    /// The shipped years (2025, 2026).
    pub fn builtin() -> Self {
        Self::from_yaml_files(BUILTIN_YEARS).unwrap_or_default()
    }

    /// Reads year files (name, text); every problem of every file is reported.
    pub fn from_yaml_files(files: &[(&str, &str)]) -> Result<Self, Vec<CalendarError>> {
        let mut cal = WorkCalendar::default();
        let mut errors = Vec::new();
        for (file, text) in files {
            let err = |pos: Pos, message: String| CalendarError { file: (*file).to_string(), pos, message };
            let root = match yaml::load(text) {
                Ok(r) => r,
                Err(d) => {
                    errors.push(err(d.pos, d.message));
                    continue;
                }
            };
            let mut m = match Map::of(&root, "a calendar file") {
                Ok(m) => m,
                Err(d) => {
                    errors.push(err(d.pos, d.message));
                    continue;
                }
            };
            let year = m.get("year").and_then(|n| n.as_scalar()).and_then(|s| s.as_str().parse::<i32>().ok());
            let Some(year) = year else {
                errors.push(err(m.pos(), "`year:` is missing or not a number".into()));
                continue;
            };
            cal.years.insert(year);
            for (key, into_holidays) in [("holidays", true), ("workdays", false)] {
                let Some(list) = m.get(key) else { continue };
                for item in yaml::items(list) {
                    match read_entry(item, year) {
                        Ok((dates, label)) => {
                            for d in dates {
                                let other = if into_holidays { &cal.workdays } else { &cal.holidays };
                                if other.contains_key(&d) {
                                    errors.push(err(
                                        yaml::pos(item),
                                        format!("{d} is listed both as a holiday and as a working day"),
                                    ));
                                }
                                let target = if into_holidays { &mut cal.holidays } else { &mut cal.workdays };
                                target.insert(d, label.clone());
                            }
                        }
                        Err((pos, message)) => errors.push(err(pos, message)),
                    }
                }
            }
            let mut diags = Vec::new();
            m.unknown_keys(&["year", "holidays", "workdays"], &mut diags);
            errors.extend(diags.into_iter().map(|d| err(d.pos, d.message)));
        }
        if errors.is_empty() { Ok(cal) } else { Err(errors) }
    }

    /// Whether the data covers `year` (outside it, Monday–Friday are working days).
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// Whether `d` is a working day.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.holidays.contains_key(&d) {
            return false;
        }
        if self.workdays.contains_key(&d) {
            return true;
        }
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The holiday's name, if `d` is a public holiday.
    pub fn holiday_name(&self, d: NaiveDate) -> Option<&Label> {
        self.holidays.get(&d)
    }

    /// The moment `d` after `start`, counted in Asia/Shanghai.
    pub fn add(&self, start: DateTime<Utc>, d: DurationSpec) -> DateTime<Utc> {
        let local = start.with_timezone(&Shanghai).naive_local();
        let n = i64::from(d.amount);
        let end = match d.unit {
            DurationUnit::Minutes => return start + Duration::minutes(n),
            DurationUnit::Hours => return start + Duration::hours(n),
            DurationUnit::Days => local + Duration::days(n),
            DurationUnit::Months => local.checked_add_months(Months::new(d.amount)).unwrap_or(local),
            DurationUnit::WorkingDays => {
                let (mut day, time) = if self.is_working_day(local.date()) {
                    (local.date(), local.time())
                } else {
                    (self.next_working_day(local.date()), NaiveTime::MIN)
                };
                for _ in 0..d.amount {
                    day = self.next_working_day(day);
                }
                NaiveDateTime::new(day, time)
            }
        };
        to_utc(end)
    }

    /// The first working day after `d`.
    pub fn next_working_day(&self, d: NaiveDate) -> NaiveDate {
        let mut day = d;
        loop {
            day = day.succ_opt().unwrap_or(day);
            if self.is_working_day(day) {
                return day;
            }
        }
    }

    /// The working day `n` working days before `day`.
    pub fn sub_working_days(&self, day: NaiveDate, n: u32) -> NaiveDate {
        let mut d = day;
        let mut left = n;
        while left > 0 {
            d = d.pred_opt().unwrap_or(d);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// Working days in `(from, to]` (negative when `to` is before `from`).
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let (a, b, sign) = if from <= to { (from, to, 1) } else { (to, from, -1) };
        let count = a.iter_days().skip(1).take_while(|d| *d <= b).filter(|d| self.is_working_day(*d)).count();
        sign * count as i64
    }

    /// The latest moment from which `d` still ends at or before `end` (for lead times).
    pub fn latest_start(&self, end: DateTime<Utc>, d: DurationSpec) -> DateTime<Utc> {
        let local = end.with_timezone(&Shanghai).naive_local();
        let n = i64::from(d.amount);
        let start = match d.unit {
            DurationUnit::Minutes => return end - Duration::minutes(n),
            DurationUnit::Hours => return end - Duration::hours(n),
            DurationUnit::Days => local - Duration::days(n),
            DurationUnit::Months => local.checked_sub_months(Months::new(d.amount)).unwrap_or(local),
            DurationUnit::WorkingDays => {
                NaiveDateTime::new(self.sub_working_days(local.date(), d.amount), local.time())
            }
        };
        to_utc(start)
    }
}

fn to_utc(local: NaiveDateTime) -> DateTime<Utc> {
    Shanghai
        .from_local_datetime(&local)
        .earliest()
        .map_or_else(|| Utc.from_utc_datetime(&local), |t| t.with_timezone(&Utc))
}

/// Reads `{ date, name }` or `{ from, to, name }`.
fn read_entry(item: &marked_yaml::Node, year: i32) -> Result<(Vec<NaiveDate>, Label), (Pos, String)> {
    let mut m = Map::of(item, "a calendar entry").map_err(|d| (d.pos, d.message))?;
    let date = |m: &mut Map, key: &'static str| -> Result<Option<NaiveDate>, (Pos, String)> {
        let Some(n) = m.get(key) else { return Ok(None) };
        let s = yaml::scalar(n, key).map_err(|d| (d.pos, d.message))?;
        let d = NaiveDate::parse_from_str(s.as_str(), "%Y-%m-%d")
            .map_err(|_| (yaml::pos(n), format!("`{}` is not a date (write YYYY-MM-DD)", s.as_str())))?;
        if d.year() != year {
            return Err((yaml::pos(n), format!("{d} is outside the file's year {year}")));
        }
        Ok(Some(d))
    };
    let dates = match (date(&mut m, "date")?, date(&mut m, "from")?, date(&mut m, "to")?) {
        (Some(d), None, None) => vec![d],
        (None, Some(a), Some(b)) if a <= b => a.iter_days().take_while(|d| *d <= b).collect(),
        _ => {
            return Err((m.pos(), "write either `date:` or both `from:` and `to:` (from before to)".into()));
        }
    };
    let label = match m.get("name") {
        Some(marked_yaml::Node::Mapping(n)) => Label::new(
            n.get_scalar("zh").map(|s| s.as_str()).unwrap_or_default(),
            n.get_scalar("en").map(|s| s.as_str()).unwrap_or_default(),
        ),
        Some(marked_yaml::Node::Scalar(s)) => Label::new(s.as_str(), ""),
        _ => Label::default(),
    };
    let mut diags = Vec::new();
    m.unknown_keys(&["date", "from", "to", "name"], &mut diags);
    if let Some(d) = diags.into_iter().next() {
        return Err((d.pos, d.message));
    }
    Ok((dates, label))
}

/// A moment as people read it: `2025年9月30日 17:00` or `30 Sep 2025 17:00` (Asia/Shanghai).
pub fn format_local(t: DateTime<Utc>, lang: Lang) -> String {
    let l = t.with_timezone(&Shanghai);
    match lang {
        Lang::Zh => format!("{}年{}月{}日 {}", l.year(), l.month(), l.day(), l.format("%H:%M")),
        Lang::En => l.format("%-d %b %Y %H:%M").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Shanghai.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap().with_timezone(&Utc)
    }
    fn wd(n: u32) -> DurationSpec {
        DurationSpec::new(n, DurationUnit::WorkingDays)
    }

    #[test]
    fn three_working_days_from_friday_evening_across_national_day_makeup() {
        // given Friday 2025-09-26 17:00; Sat 27 off, Sun 28 is a 调休 working day
        let cal = WorkCalendar::builtin();
        // then
        assert_eq!(cal.add(sh(2025, 9, 26, 17, 0), wd(3)), sh(2025, 9, 30, 17, 0));
        assert_eq!(cal.add(sh(2025, 9, 30, 17, 0), wd(1)), sh(2025, 10, 9, 17, 0), "Oct 1–8 are off");
        assert_eq!(
            cal.add(sh(2025, 10, 4, 10, 0), wd(1)),
            sh(2025, 10, 10, 0, 0),
            "a holiday counts from 00:00 of Oct 9"
        );
        assert_eq!(cal.add(sh(2025, 10, 10, 9, 0), wd(1)), sh(2025, 10, 11, 9, 0), "Sat Oct 11 is a make-up day");
    }

    #[test]
    fn spring_festival_2026() {
        let cal = WorkCalendar::builtin();
        assert!(cal.is_working_day(NaiveDate::from_ymd_opt(2026, 2, 14).unwrap()), "Sat Feb 14 is 调休");
        assert!(!cal.is_working_day(NaiveDate::from_ymd_opt(2026, 2, 23).unwrap()));
        assert_eq!(cal.add(sh(2026, 2, 13, 17, 0), wd(1)), sh(2026, 2, 14, 17, 0));
        assert_eq!(cal.add(sh(2026, 2, 14, 17, 0), wd(1)), sh(2026, 2, 24, 17, 0));
        assert_eq!(cal.holiday_name(NaiveDate::from_ymd_opt(2026, 2, 17).unwrap()).unwrap().zh, "春节");
    }

    #[test]
    fn calendar_days_hours_and_months() {
        let cal = WorkCalendar::builtin();
        let t = sh(2025, 1, 31, 10, 0);
        assert_eq!(cal.add(t, DurationSpec::new(1, DurationUnit::Months)), sh(2025, 2, 28, 10, 0));
        assert_eq!(cal.add(t, DurationSpec::new(2, DurationUnit::Days)), sh(2025, 2, 2, 10, 0));
        assert_eq!(cal.add(t, DurationSpec::new(2, DurationUnit::Hours)), sh(2025, 1, 31, 12, 0));
    }

    #[test]
    fn counting_back_and_between() {
        let cal = WorkCalendar::builtin();
        let d = |m, d| NaiveDate::from_ymd_opt(2025, m, d).unwrap();
        assert_eq!(cal.sub_working_days(d(10, 9), 1), d(9, 30));
        assert_eq!(cal.working_days_between(d(9, 26), d(10, 9)), 4, "Sep 28, 29, 30, Oct 9");
        assert_eq!(cal.working_days_between(d(10, 9), d(9, 26)), -4);
        assert!(cal.covers(2025) && cal.covers(2026) && !cal.covers(2027));
    }

    #[test]
    fn bad_files_report_every_problem_with_positions() {
        let text = "year: 2025\nholidays:\n  - { date: 2025-13-01 }\n  - { date: 2024-05-01 }\nworkdays:\n  - { date: 2025-01-01 }\n";
        let errs = WorkCalendar::from_yaml_files(&[("bad.yaml", text)]).unwrap_err();
        let shown: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert!(
            shown.contains(&"bad.yaml:3:13: `2025-13-01` is not a date (write YYYY-MM-DD)".to_string()),
            "{shown:?}"
        );
        assert!(shown.contains(&"bad.yaml:4:13: 2024-05-01 is outside the file's year 2025".to_string()), "{shown:?}");
        assert_eq!(errs.len(), 2, "{shown:?}");
    }

    #[test]
    fn formats_for_people() {
        assert_eq!(format_local(sh(2025, 9, 30, 17, 0), Lang::Zh), "2025年9月30日 17:00");
        assert_eq!(format_local(sh(2025, 9, 30, 17, 0), Lang::En), "30 Sep 2025 17:00");
    }
}
