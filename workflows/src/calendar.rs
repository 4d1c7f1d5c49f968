//! (placeholder until the calendar branch lands)
use crate::duration::DurationSpec;
use chrono::{DateTime, Utc};
/// Calendar.
#[derive(Debug, Clone, Default)]
pub struct WorkCalendar;
impl WorkCalendar {
    /// Builtin.
    pub fn builtin() -> Self {
        WorkCalendar
    }
    /// Add.
    pub fn add(&self, start: DateTime<Utc>, d: DurationSpec) -> DateTime<Utc> {
        start + chrono::Duration::minutes(d.approx_minutes() as i64)
    }
}
/// Format.
pub fn format_local(t: DateTime<Utc>, _lang: crate::catalog::Lang) -> String {
    t.with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}
