//! Whether the working-day calendar covers the days that matter now (domain.md §5: working days
//! follow the State Council's yearly notice, usually published in November).

use super::App;
use chrono_tz::Asia::Shanghai;

impl App {
    /// The warning to show while holiday data that matters today (Asia/Shanghai) is missing: this
    /// year's, or from 1 November next year's. `None` when the calendar covers both.
    pub fn calendar_warning(&self) -> Option<String> {
        self.calendar_warning_on(chrono::Utc::now().with_timezone(&Shanghai).date_naive())
    }

    /// [`App::calendar_warning`] on `day`.
    pub fn calendar_warning_on(&self, day: chrono::NaiveDate) -> Option<String> {
        self.calendar.missing_year(day).map(|y| {
            format!(
                "no holiday data for {y}: working days in {y} are counted Monday to Friday, without holidays \
                 or 调休; add {y}.yaml (the State Council's notice) to the [calendar] dir and restart"
            )
        })
    }
}
