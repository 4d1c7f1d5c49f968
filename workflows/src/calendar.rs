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

/// Start of a working day's office hours, for reminders at a share of a working-day deadline
/// ([`WorkCalendar::working_share`]); common office hours of Chinese universities.
pub const WORK_DAY_START: NaiveTime = NaiveTime::from_hms_opt(8, 0, 0).expect("valid");
/// End of a working day's office hours (see [`WORK_DAY_START`]).
pub const WORK_DAY_END: NaiveTime = NaiveTime::from_hms_opt(18, 0, 0).expect("valid");

/// The most calendar files [`WorkCalendar::with_dir`] reads.
pub const MAX_CALENDAR_FILES: usize = 200;
/// The largest calendar file [`WorkCalendar::with_dir`] reads, in bytes.
pub const MAX_CALENDAR_FILE_BYTES: u64 = 256 * 1024;

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

    /// The built-in years, then every `*.yaml` file of `dir` (sorted by name): a year in `dir`
    /// replaces the built-in data of that year, so a new State Council notice is a new file and a
    /// restart, not a rebuild. Every problem of every file is reported (`file:line:col`). At most
    /// [`MAX_CALENDAR_FILES`] files of at most [`MAX_CALENDAR_FILE_BYTES`] each.
    pub fn with_dir(dir: &std::path::Path) -> Result<Self, Vec<CalendarError>> {
        let io = |file: String, message: String| vec![CalendarError { file, pos: Pos::default(), message }];
        let entries = std::fs::read_dir(dir).map_err(|e| io(dir.display().to_string(), e.to_string()))?;
        let mut paths: Vec<std::path::PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .collect();
        paths.sort();
        if paths.len() > MAX_CALENDAR_FILES {
            return Err(io(dir.display().to_string(), format!("more than {MAX_CALENDAR_FILES} calendar files")));
        }
        let mut texts = Vec::new();
        for p in &paths {
            let name = p.display().to_string();
            let len = std::fs::metadata(p).map_err(|e| io(name.clone(), e.to_string()))?.len();
            if len > MAX_CALENDAR_FILE_BYTES {
                return Err(io(name, format!("larger than {MAX_CALENDAR_FILE_BYTES} bytes")));
            }
            texts.push((name.clone(), std::fs::read_to_string(p).map_err(|e| io(name, e.to_string()))?));
        }
        let files: Vec<(&str, &str)> = texts.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
        let mut cal = Self::builtin();
        cal.replace_years(Self::from_yaml_files(&files)?);
        Ok(cal)
    }

    /// Takes every year of `other` in place of this calendar's data for that year.
    pub fn replace_years(&mut self, other: WorkCalendar) {
        for y in &other.years {
            self.holidays.retain(|d, _| d.year() != *y);
            self.workdays.retain(|d, _| d.year() != *y);
        }
        self.holidays.extend(other.holidays);
        self.workdays.extend(other.workdays);
        self.years.extend(other.years);
    }

    /// The years the data covers.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    /// The year whose holiday data is missing and matters on `today`: this year, or — from
    /// 1 November, when the State Council has usually published it — next year. Without it,
    /// working days would be counted Monday to Friday, holidays and 调休 ignored.
    pub fn missing_year(&self, today: NaiveDate) -> Option<i32> {
        let y = today.year();
        if !self.covers(y) {
            Some(y)
        } else if today.month() >= 11 && !self.covers(y + 1) {
            Some(y + 1)
        } else {
            None
        }
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
                if time == NaiveTime::MIN && d.amount > 0 {
                    // 00:00 of a working day is the end of the working day before it: say so
                    // on the calendar (24:00 of that day), not after the weekend or holiday
                    // between, so the deadline reads as that day and its timer fires then.
                    let before = self.sub_working_days(day, 1);
                    NaiveDateTime::new(before.succ_opt().unwrap_or(day), time)
                } else {
                    NaiveDateTime::new(day, time)
                }
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

    /// The moment at `percent` % of the working time between `start` and `due` (a reminder's
    /// time for a deadline in working days). Working time is the office hours
    /// [`WORK_DAY_START`]–[`WORK_DAY_END`] (Asia/Shanghai) of the working days of this calendar
    /// (holidays off, 调休 make-up days on), so the moment always falls inside office hours on a
    /// working day — never on a weekend, in the Spring Festival or at 05:00. `percent` ≥ 100, or a
    /// span with no working time in it, gives `due`.
    pub fn working_share(&self, start: DateTime<Utc>, due: DateTime<Utc>, percent: u32) -> DateTime<Utc> {
        if percent >= 100 || due <= start {
            return due;
        }
        let segments = || self.office_segments(start, due);
        let total: i64 = segments().map(|(a, b)| (b - a).num_seconds()).sum();
        if total == 0 {
            return due;
        }
        let mut left = total * i64::from(percent) / 100;
        for (a, b) in segments() {
            let len = (b - a).num_seconds();
            if left <= len {
                return to_utc(a + Duration::seconds(left));
            }
            left -= len;
        }
        due
    }

    /// The office-hour spans ([`WORK_DAY_START`]–[`WORK_DAY_END`], Asia/Shanghai, local) of the
    /// working days between `start` and `end`, clipped to them, in order.
    fn office_segments(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> impl Iterator<Item = (NaiveDateTime, NaiveDateTime)> + '_ {
        let (s, e) = (start.with_timezone(&Shanghai).naive_local(), end.with_timezone(&Shanghai).naive_local());
        s.date().iter_days().take_while(move |d| *d <= e.date()).filter(|d| self.is_working_day(*d)).filter_map(
            move |d| {
                let a = NaiveDateTime::new(d, WORK_DAY_START).max(s);
                let b = NaiveDateTime::new(d, WORK_DAY_END).min(e);
                (b > a).then_some((a, b))
            },
        )
    }

    /// The working time between `start` and `end`, in seconds: the office hours
    /// [`WORK_DAY_START`]–[`WORK_DAY_END`] (Asia/Shanghai) of the working days in between, so a
    /// task opened on Friday at 17:00 and decided on Monday at 09:00 took 2 working hours. 0 when
    /// `end` is not after `start`.
    pub fn working_seconds(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> i64 {
        if end <= start {
            return 0;
        }
        self.office_segments(start, end).map(|(a, b)| (b - a).num_seconds()).sum()
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

/// A day as people read it: `2026年12月15日` or `15 Dec 2026` (domain.md §5).
pub fn format_date(d: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
        Lang::En => d.format("%-d %b %Y").to_string(),
    }
}

/// A deadline as people read it (Asia/Shanghai). One at 00:00 is the end of the day before, so
/// it reads as that day: `2026年12月2日（周三）当天` / `by the end of Wed 2 Dec 2026`; any other
/// time reads `2026年12月2日（周三）17:00` / `Wed 2 Dec 2026 17:00`.
pub fn format_deadline(t: DateTime<Utc>, lang: Lang) -> String {
    let l = t.with_timezone(&Shanghai).naive_local();
    let (day, end_of_day) =
        if l.time() == NaiveTime::MIN { (l.date().pred_opt().unwrap_or(l.date()), true) } else { (l.date(), false) };
    match lang {
        Lang::Zh => {
            let wd = ["一", "二", "三", "四", "五", "六", "日"][day.weekday().num_days_from_monday() as usize];
            let tail = if end_of_day { "当天".to_string() } else { l.format("%H:%M").to_string() };
            format!("{}（周{wd}）{tail}", format_date(day, lang))
        }
        Lang::En if end_of_day => format!("by the end of {}", day.format("%a %-d %b %Y")),
        Lang::En => l.format("%a %-d %b %Y %H:%M").to_string(),
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
        // from a Sunday evening, 10 working days end with Friday 11 December (24:00), not at
        // 00:00 of Monday 14 December, which would read as 12月13日（周日）当天
        let due = cal.add(sh(2026, 11, 29, 22, 31), wd(10));
        assert_eq!(due, sh(2026, 12, 12, 0, 0));
        assert_eq!(format_deadline(due, Lang::Zh), "2026年12月11日（周五）当天");
        // and the same on a Friday evening before a weekend: 1 working day from Saturday
        assert_eq!(cal.add(sh(2026, 12, 5, 9, 0), wd(1)), sh(2026, 12, 8, 0, 0), "Mon 7 Dec, 24:00");
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
    fn a_share_of_a_working_day_deadline_falls_in_office_hours_on_a_working_day() {
        let cal = WorkCalendar::builtin();
        // Friday 17:00 + 3wd = Wednesday 17:00; elapsed-time 50% was Monday 05:00. Working time:
        // Fri 1h + Mon 10h + Tue 10h + Wed 9h = 30h; half = 15h → Tuesday 12:00.
        let (start, due) = (sh(2025, 11, 21, 17, 0), sh(2025, 11, 26, 17, 0));
        assert_eq!(cal.add(start, wd(3)), due);
        assert_eq!(cal.working_share(start, due, 50), sh(2025, 11, 25, 12, 0));
        // Friday 17:00 + 1wd = Monday 17:00: half was Sunday 05:00; now Monday 12:00.
        let (start, due) = (sh(2025, 11, 21, 17, 0), sh(2025, 11, 24, 17, 0));
        assert_eq!(cal.working_share(start, due, 50), sh(2025, 11, 24, 12, 0));
        // 调休: Friday 2025-09-26 17:00 + 2wd = Monday 29 17:00 (Sunday 28 is a make-up working day):
        // 1h + 10h + 9h = 20h, half = 10h → Sunday 28 17:00, a working day.
        let (start, due) = (sh(2025, 9, 26, 17, 0), sh(2025, 9, 29, 17, 0));
        assert_eq!(cal.add(start, wd(2)), due);
        assert_eq!(cal.working_share(start, due, 50), sh(2025, 9, 28, 17, 0));
        // Spring Festival 2026 (Feb 15–23 off; Sat Feb 14 a make-up day): Friday Feb 13 10:00 + 3wd
        // = Wednesday Feb 25 10:00; working time 8h (13th) + 10h (14th) + 10h (24th) + 2h = 30h.
        let (start, due) = (sh(2026, 2, 13, 10, 0), sh(2026, 2, 25, 10, 0));
        assert_eq!(cal.add(start, wd(3)), due);
        assert_eq!(cal.working_share(start, due, 25), sh(2026, 2, 13, 17, 30));
        assert_eq!(cal.working_share(start, due, 50), sh(2026, 2, 14, 15, 0), "the make-up Saturday");
        assert_eq!(cal.working_share(start, due, 75), sh(2026, 2, 24, 12, 30), "after the festival");
        // every share of every start in a fortnight falls in office hours on a working day
        for h in 0..24 * 14 {
            let start = sh(2026, 2, 9, 0, 0) + Duration::hours(h);
            let due = cal.add(start, wd(3));
            for p in [10, 25, 50, 75, 90] {
                let at = cal.working_share(start, due, p).with_timezone(&Shanghai).naive_local();
                assert!(cal.is_working_day(at.date()), "{start} {p}% → {at}");
                assert!((WORK_DAY_START..=WORK_DAY_END).contains(&at.time()), "{start} {p}% → {at}");
            }
        }
        assert_eq!(cal.working_share(start, due, 100), due);
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
    fn a_directory_adds_and_replaces_years_and_the_missing_year_is_told() {
        let dir = std::env::temp_dir().join(format!("liandong-cal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        // built-in only: 2025 and 2026; from 1 November 2026, 2027 is missing
        let cal = WorkCalendar::builtin();
        assert_eq!(cal.missing_year(d(2026, 10, 31)), None);
        assert_eq!(cal.missing_year(d(2026, 11, 1)), Some(2027));
        assert_eq!(cal.missing_year(d(2027, 1, 5)), Some(2027), "this year missing matters too");
        // a file for a (made-up, test-only) year 2030, and one replacing 2026 with a single holiday
        std::fs::write(dir.join("2030.yaml"), "year: 2030\nholidays:\n  - { date: 2030-01-01, name: 元旦 }\n").unwrap();
        std::fs::write(dir.join("2026.yaml"), "year: 2026\nholidays:\n  - { date: 2026-03-02, name: 测试 }\n").unwrap();
        std::fs::write(dir.join("README.txt"), "not a calendar").unwrap();
        let cal = WorkCalendar::with_dir(&dir).unwrap();
        assert!(cal.covers(2030) && cal.covers(2025));
        assert!(!cal.is_working_day(d(2030, 1, 1)));
        assert!(!cal.is_working_day(d(2026, 3, 2)));
        assert!(cal.is_working_day(d(2026, 10, 8)), "the built-in 2026 National Day is replaced");
        assert!(!cal.is_working_day(d(2025, 10, 8)), "2025 stays built-in");
        // a bad file stops the load with its name and position
        std::fs::write(dir.join("2031.yaml"), "year: 2031\nholidays:\n  - { date: 2031-02-30 }\n").unwrap();
        let errs = WorkCalendar::with_dir(&dir).unwrap_err();
        assert!(
            errs[0].to_string().ends_with("2031.yaml:3:13: `2031-02-30` is not a date (write YYYY-MM-DD)"),
            "{}",
            errs[0]
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(WorkCalendar::with_dir(&dir).is_err(), "a missing directory is an error");
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
        // a deadline at the end of a working day reads as that day, not as 00:00 of the next
        assert_eq!(format_deadline(sh(2026, 12, 3, 0, 0), Lang::Zh), "2026年12月2日（周三）当天");
        assert_eq!(format_deadline(sh(2026, 12, 3, 0, 0), Lang::En), "by the end of Wed 2 Dec 2026");
        assert_eq!(format_deadline(sh(2026, 12, 2, 17, 0), Lang::Zh), "2026年12月2日（周三）17:00");
        assert_eq!(format_deadline(sh(2026, 12, 6, 9, 30), Lang::En), "Sun 6 Dec 2026 09:30");
        let d = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!((format_date(d, Lang::Zh), format_date(d, Lang::En)), ("2026年12月5日".into(), "5 Dec 2026".into()));
    }
}
