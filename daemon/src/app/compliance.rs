//! Compliance over live data (issue 11 item 3): the findings of the policy's checks for a day,
//! from the org, the records (`entities::store::records::load_set`) and the requests
//! (`entities::store::compliance::request_facts`), computed by the pure
//! `workflows::compliance::findings`. Seen by admins and the oversight roles: the school SU's
//! presidium members and secretary-general, and the school League committee (校团委).

use super::{App, AppError, Principal};
use chrono::{NaiveDate, TimeZone};
use chrono_tz::Asia::Shanghai;
use workflows::catalog::Role;
use workflows::compliance::{Finding, Severity};
use workflows::org::Directory;
use workflows::records::{RecordSet, Semester};

/// The filters of a compliance report; all optional.
#[derive(Debug, Clone, Default)]
pub struct ComplianceFilter {
    /// The day to check (Asia/Shanghai); today when absent.
    pub day: Option<NaiveDate>,
    /// Only findings concerning this department (code).
    pub department: Option<String>,
    /// Only this measure, `M1`..`M10`.
    pub measure: Option<String>,
    /// Only this severity.
    pub severity: Option<Severity>,
}

/// Today in Asia/Shanghai.
pub fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&Shanghai).date_naive()
}

fn bad(field: &str, message: String) -> AppError {
    AppError::Invalid {
        code: "bad_query",
        message: message.clone(),
        fields: vec![workflows::form::FieldError { field: field.into(), code: "bad_query", message }],
    }
}

impl App {
    /// Whether `who` may see the compliance report: an admin, a school SU presidium member or
    /// secretary-general, or anyone of the school League committee, on `day`.
    pub fn may_oversee(&self, who: &Principal) -> bool {
        if who.admin {
            return true;
        }
        let org = self.org();
        org.posts_of(&who.person, today()).iter().any(|p| {
            (p.body == "school_su" && (p.role.is_presidium() || p.role == Role::SecretaryGeneral))
                || p.body == "school_league_committee"
        })
    }

    /// What the checks read for `day`: the records, and the facts of the requests open or
    /// changed since the start of the previous academic year (the M9 rules look back to last
    /// December).
    pub async fn compliance_inputs(
        &self,
        day: NaiveDate,
    ) -> Result<(RecordSet, Vec<workflows::compliance::RequestFacts>), AppError> {
        let records = entities::store::records::load_set(&self.db).await?;
        let from = NaiveDate::from_ymd_opt(Semester::of(day).year - 1, 9, 1).unwrap_or(day);
        let since = Shanghai
            .from_local_datetime(&from.and_hms_opt(0, 0, 0).unwrap_or_default())
            .single()
            .map_or_else(chrono::Utc::now, |t| t.with_timezone(&chrono::Utc));
        let requests = entities::store::compliance::request_facts(&self.db, since).await?;
        Ok((records, requests))
    }

    /// Every finding on `day`, unfiltered, computed off the async threads. Refreshes the
    /// `/metrics` gauges when `day` is today.
    pub async fn findings_on(&self, day: NaiveDate) -> Result<Vec<Finding>, AppError> {
        let (records, requests) = self.compliance_inputs(day).await?;
        let (org, cfg, cal) = (self.org(), self.duties.clone(), self.calendar.clone());
        let found = tokio::task::spawn_blocking(move || {
            workflows::compliance::findings(org.as_ref(), &records, &requests, day, &cfg, &cal)
        })
        .await
        .map_err(|e| anyhow::anyhow!("the compliance checks stopped: {e}"))?;
        if day == today() {
            self.metrics.compliance_counts(workflows::compliance::counts(&found));
        }
        Ok(found)
    }

    /// What a submission on `def` tells its `guards:`: today's findings (none computed when the
    /// definition has no guard) and the submitter's override reason.
    pub async fn guard_facts(
        &self,
        def: &workflows::model::Definition,
        override_reason: Option<String>,
    ) -> Result<workflows::guard::GuardFacts, AppError> {
        let findings = if def.guards.is_empty() { Vec::new() } else { self.findings_on(today()).await? };
        Ok(workflows::guard::GuardFacts { findings, override_reason })
    }

    /// The compliance report of `filter.day` (today by default) for `who`, filtered: 403 for
    /// anyone but admins and the oversight roles; 400 `bad_query` naming the field for an
    /// unknown measure or department.
    pub async fn compliance(
        &self,
        who: &Principal,
        filter: &ComplianceFilter,
    ) -> Result<(NaiveDate, Vec<Finding>), AppError> {
        if !self.may_oversee(who) {
            return Err(AppError::Forbidden(
                "the compliance report is for admins, the school SU presidium and secretary-general, and the school League committee".into(),
            ));
        }
        let measure = match &filter.measure {
            None => None,
            Some(m) => {
                let up = m.trim().to_uppercase();
                let ok =
                    up.strip_prefix('M').and_then(|n| n.parse::<u32>().ok()).is_some_and(|n| (1..=10).contains(&n));
                if !ok {
                    return Err(bad("measure", format!("`{m}` is not a measure: write M1 … M10")));
                }
                Some(up)
            }
        };
        if let Some(d) = &filter.department
            && self.org().department(d).is_none()
        {
            return Err(bad("department", format!("there is no department `{d}`")));
        }
        let day = filter.day.unwrap_or_else(today);
        let found = self.findings_on(day).await?;
        let kept = found
            .into_iter()
            .filter(|f| measure.as_ref().is_none_or(|m| &f.measure == m))
            .filter(|f| filter.severity.is_none_or(|s| f.severity == s))
            .filter(|f| filter.department.as_ref().is_none_or(|d| f.department.as_ref() == Some(d)))
            .collect();
        Ok((day, kept))
    }
}
