//! Oversight figures (issue 12 item 5): `workflows::stats` over the requests submitted in a date
//! range, read in pages (`entities::store::stats::each_created`). Seen by the oversight roles of
//! the compliance report (admins, the school SU presidium and secretary-general, 校团委), and by
//! a department's own leaders (its SU presidium, its League and Party organisations) for their
//! department.

use super::compliance::today;
use super::{App, AppError, Principal};
use chrono::{Duration, NaiveDate, TimeZone};
use chrono_tz::Asia::Shanghai;
use entities::store::ledger::Visibility;
use serde_json::{Value, json};
use workflows::catalog::Label;
use workflows::org::Directory;
use workflows::stats::{Figures, Scope, Tally};

/// The longest range, in days.
pub const MAX_DAYS: i64 = 366;
/// The most requests one answer counts.
pub const MAX_REQUESTS: usize = 50_000;
/// The most reviewers listed (the oldest pending first).
pub const MAX_REVIEWERS: usize = 100;

/// The query of `GET /api/v1/stats`, as written (dates are read here, so a bad one is a 422
/// naming the field).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// First day (`YYYY-MM-DD`, Asia/Shanghai); 29 days before `to` when absent.
    #[serde(default)]
    pub from: Option<String>,
    /// Last day; today when absent.
    #[serde(default)]
    pub to: Option<String>,
    /// A department (code).
    #[serde(default)]
    pub department: Option<String>,
    /// A workflow (definition key).
    #[serde(default)]
    pub workflow: Option<String>,
}

fn invalid(code: &'static str, field: &str, message: String) -> AppError {
    AppError::Invalid {
        code,
        message: message.clone(),
        fields: vec![workflows::form::FieldError { field: field.into(), code, message }],
    }
}

fn date(field: &str, v: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| invalid("bad_date", field, format!("`{v}` is not a date: write YYYY-MM-DD, e.g. 2026-12-15")))
}

/// Midnight of `day` in Asia/Shanghai, in UTC milliseconds.
fn start_of(day: NaiveDate) -> i64 {
    Shanghai
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map_or(0, |t| t.timestamp_millis())
}

impl App {
    /// The departments whose figures `who` may see, as for the work ledger: `None` for every
    /// department (the oversight roles); those a leader leads (its SU presidium, its League and
    /// Party organisations); 403 for anyone else.
    fn stats_reach(&self, who: &Principal) -> Result<Option<Vec<String>>, AppError> {
        match self.ledger_visibility(who) {
            Visibility::All => Ok(None),
            Visibility::Some { departments, .. } if !departments.is_empty() => Ok(Some(departments)),
            Visibility::Some { .. } => Err(AppError::Forbidden(
                "the figures are for admins, the school SU presidium and secretary-general, the school League committee, and a department's League org, Party org and SU presidium".into(),
            )),
        }
    }

    /// The figures of `q` for `who`, as the API answers them. 403 for anyone but the oversight
    /// roles and a department's leaders (for their department); 422 `bad_date`, `bad_range`
    /// (`from` after `to`, or more than [`MAX_DAYS`] days), `unknown_department`,
    /// `unknown_workflow`, `range_too_large` (more than [`MAX_REQUESTS`] requests) naming the
    /// field. Reads only.
    pub async fn stats(&self, who: &Principal, q: &StatsQuery) -> Result<Value, AppError> {
        let reach = self.stats_reach(who)?;
        let to = match &q.to {
            Some(v) => date("to", v)?,
            None => today(),
        };
        let from = match &q.from {
            Some(v) => date("from", v)?,
            None => to - Duration::days(29),
        };
        if from > to {
            return Err(invalid("bad_range", "from", format!("`from` ({from}) is after `to` ({to})")));
        }
        if (to - from).num_days() >= MAX_DAYS {
            return Err(invalid(
                "bad_range",
                "to",
                format!("at most {MAX_DAYS} days at once: {from} to {to} is longer"),
            ));
        }
        let department = match (&q.department, &reach) {
            (Some(d), _) if self.org().department(d).is_none() => {
                return Err(invalid("unknown_department", "department", format!("there is no department `{d}`")));
            }
            (Some(d), Some(led)) if !led.contains(d) => {
                return Err(AppError::Forbidden(format!(
                    "the figures of `{d}` are for its own leaders and the oversight roles"
                )));
            }
            (Some(d), _) => Some(d.clone()),
            (None, Some(led)) => led.first().cloned(),
            (None, None) => None,
        };
        if let Some(w) = &q.workflow
            && entities::store::definitions::latest(&self.db, w, false).await?.is_none()
        {
            return Err(invalid("unknown_workflow", "workflow", format!("there is no workflow `{w}`")));
        }
        let scope = Scope { from, to, department, workflow: q.workflow.clone() };
        let (cfg, cal, now) = (self.duties.clone(), self.calendar.clone(), chrono::Utc::now());
        let mut tally = Tally::new(&scope, now, &cfg, &cal);
        let (lo, hi) = (start_of(from), start_of(to + Duration::days(1)));
        let whole =
            entities::store::stats::each_created(&self.db, lo, hi, scope.workflow.as_deref(), MAX_REQUESTS, |i| {
                tally.add(&i)
            })
            .await?;
        if !whole {
            return Err(invalid(
                "range_too_large",
                "from",
                format!(
                    "more than {MAX_REQUESTS} requests were submitted from {from} to {to}: ask for a shorter range or one workflow"
                ),
            ));
        }
        let figures = tally.finish();
        self.stats_json(&scope, figures).await
    }

    /// The answer: the figures with the names of workflows, steps and reviewers (zh-CN and
    /// English), the reviewers cut to [`MAX_REVIEWERS`].
    async fn stats_json(&self, scope: &Scope, f: Figures) -> Result<Value, AppError> {
        let org = self.org();
        let mut workflows = Vec::new();
        for w in &f.workflows {
            let def = match entities::store::definitions::latest(&self.db, &w.workflow, true).await? {
                Some(row) => self.definition(&w.workflow, row.version as u32).await.ok(),
                None => None,
            };
            let mut v = serde_json::to_value(w).map_err(anyhow::Error::from)?;
            v["name"] = json!(def.as_ref().map_or_else(|| Label::new(&w.workflow, &w.workflow), |d| d.name.clone()));
            for s in v["steps"].as_array_mut().into_iter().flatten() {
                let name = s["step"].as_str().unwrap_or_default().to_string();
                let label = def
                    .as_ref()
                    .and_then(|d| d.steps.iter().find(|x| x.name == name))
                    .and_then(|x| x.label.clone())
                    .unwrap_or_else(|| Label::new(&name, &name));
                s["name"] = json!(label);
            }
            workflows.push(v);
        }
        let reviewers: Vec<Value> = f
            .reviewers
            .iter()
            .take(MAX_REVIEWERS)
            .map(|r| {
                let name = org.person(&r.person).map_or_else(|| r.person.clone(), |p| p.name.clone());
                json!({
                    "person": r.person,
                    "name": name,
                    "open_tasks": r.open_tasks,
                    "overdue": r.overdue,
                    "oldest_pending": r.oldest_pending,
                })
            })
            .collect();
        Ok(json!({
            "from": scope.from,
            "to": scope.to,
            "department": scope.department,
            "workflow": scope.workflow,
            "working_hours": {
                "start": workflows::calendar::WORK_DAY_START.format("%H:%M").to_string(),
                "end": workflows::calendar::WORK_DAY_END.format("%H:%M").to_string(),
                "time_zone": "Asia/Shanghai",
            },
            "workflows": workflows,
            "reviewers": reviewers,
            "reviewers_total": f.reviewers.len(),
            "m1": f.m1,
            "m5": f.m5,
        }))
    }
}
