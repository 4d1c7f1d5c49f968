//! Durations as written in definitions: `30m`, `4h`, `2d`, `3wd` (working days), `1mo`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The unit of a [`DurationSpec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DurationUnit {
    /// `m`
    Minutes,
    /// `h`
    Hours,
    /// `d`: calendar days.
    Days,
    /// `wd`: working days of the holiday calendar (调休 included).
    WorkingDays,
    /// `mo`: calendar months.
    Months,
}

/// An amount of time as a definition says it; turned into an instant by the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DurationSpec {
    /// How many units.
    pub amount: u32,
    /// Which unit.
    pub unit: DurationUnit,
}

impl DurationSpec {
    /// A duration of `amount` `unit`s.
    pub fn new(amount: u32, unit: DurationUnit) -> Self {
        Self { amount, unit }
    }

    /// Parses `30m`, `4h`, `2d`, `3wd` or `1mo`. The error says what is wrong in plain words.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        if num.is_empty() {
            return Err(format!(
                "`{s}` is not a duration: write a whole number and a unit, e.g. `3wd` (working days), `2d`, `4h`, `30m` or `1mo`"
            ));
        }
        let amount: u32 = num.parse().map_err(|_| format!("`{s}`: the number is too large"))?;
        let unit = match unit.trim() {
            "m" | "min" => DurationUnit::Minutes,
            "h" => DurationUnit::Hours,
            "d" => DurationUnit::Days,
            "wd" => DurationUnit::WorkingDays,
            "mo" => DurationUnit::Months,
            other => {
                return Err(format!(
                    "`{s}`: unknown unit `{other}`; use m (minutes), h (hours), d (days), wd (working days) or mo (months)"
                ));
            }
        };
        if amount == 0 {
            return Err(format!("`{s}`: a duration must be longer than zero"));
        }
        Ok(Self { amount, unit })
    }

    /// A rough length in minutes, for ordering rungs and reminders (1wd ≈ 1.4d, 1mo ≈ 30d).
    pub fn approx_minutes(&self) -> u64 {
        let a = u64::from(self.amount);
        match self.unit {
            DurationUnit::Minutes => a,
            DurationUnit::Hours => a * 60,
            DurationUnit::Days => a * 1440,
            DurationUnit::WorkingDays => a * 2016,
            DurationUnit::Months => a * 43_200,
        }
    }
}

impl fmt::Display for DurationSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let u = match self.unit {
            DurationUnit::Minutes => "m",
            DurationUnit::Hours => "h",
            DurationUnit::Days => "d",
            DurationUnit::WorkingDays => "wd",
            DurationUnit::Months => "mo",
        };
        write!(f, "{}{u}", self.amount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        assert_eq!(DurationSpec::parse("3wd"), Ok(DurationSpec::new(3, DurationUnit::WorkingDays)));
        assert_eq!(DurationSpec::parse("2d"), Ok(DurationSpec::new(2, DurationUnit::Days)));
        assert_eq!(DurationSpec::parse("4h"), Ok(DurationSpec::new(4, DurationUnit::Hours)));
        assert_eq!(DurationSpec::parse("30m"), Ok(DurationSpec::new(30, DurationUnit::Minutes)));
        assert_eq!(DurationSpec::parse("1mo"), Ok(DurationSpec::new(1, DurationUnit::Months)));
        assert_eq!(DurationSpec::parse("3wd").unwrap().to_string(), "3wd");
    }

    #[test]
    fn rejects_bad_durations_with_reasons() {
        assert!(DurationSpec::parse("wd").unwrap_err().contains("not a duration"));
        assert!(DurationSpec::parse("3weeks").unwrap_err().contains("unknown unit `weeks`"));
        assert!(DurationSpec::parse("0d").unwrap_err().contains("longer than zero"));
    }
}
