//! The annual assessment of department SUs (M10 年度考核, issue 12 items 1–2): a year's criteria
//! (the school SU presidium edits them until the first score sheet), the assessors' score sheets
//! (need-to-know; an assessor never scores their own department), the computed indicators beside
//! the department's self-report, the `annual_assessment` request whose total and grade Liandong
//! computes from the sheets, and the publication of the year's results by 校团委 (a new version
//! for a correction). The arithmetic is `workflows::assessment`'s.

use super::{App, AppError, Principal};
use crate::app::compliance::today;
use chrono::{TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use entities::store::assessment::{self as store, Publication, Sheet};
use serde_json::{Value, json};
use workflows::assessment::{self as pure, Criterion, Grade, Ranked};
use workflows::compliance::{FactState, RequestFacts};
use workflows::form::FieldError;
use workflows::org::Directory;

/// The years an assessment may be for.
pub const YEARS: std::ops::RangeInclusive<i32> = 2020..=2100;

/// The longest correction note, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

/// A year's criteria as the API shows them.
#[derive(Debug, Clone)]
pub struct CriteriaView {
    /// The year.
    pub year: i32,
    /// The criteria.
    pub criteria: Vec<Criterion>,
    /// Whether these are the defaults (nobody set the year's list).
    pub default: bool,
    /// Whether a score sheet exists (the list can no longer change).
    pub locked: bool,
}

fn invalid(code: &'static str, fields: Vec<FieldError>) -> AppError {
    let message = fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ");
    AppError::Invalid { code, message, fields }
}

fn check_year(year: i32) -> Result<(), AppError> {
    if YEARS.contains(&year) {
        Ok(())
    } else {
        Err(AppError::NotFound(format!("there is no assessment for {year} (years {}–{})", YEARS.start(), YEARS.end())))
    }
}

/// The start of `year` in Asia/Shanghai, as UTC.
fn year_start(year: i32) -> chrono::DateTime<Utc> {
    Shanghai.with_ymd_and_hms(year, 1, 1, 0, 0, 0).single().map_or_else(Utc::now, |t| t.with_timezone(&Utc))
}

impl App {
    /// Whether `who` edits the criteria: an admin or a school SU presidium member.
    pub fn edits_assessment_criteria(&self, who: &Principal) -> bool {
        who.admin
            || self.org().posts_of(&who.person, today()).iter().any(|p| p.body == "school_su" && p.role.is_presidium())
    }

    /// Whether `who` fills score sheets: a holder of an `[assessment] assessor_roles` post in the
    /// school SU.
    pub fn is_assessor(&self, who: &Principal) -> bool {
        self.org()
            .posts_of(&who.person, today())
            .iter()
            .any(|p| p.body == "school_su" && self.assessment.assessor_roles.contains(&p.role))
    }

    /// Whether `person` must not assess `department` for `year`: they hold a post in its SU
    /// today, or held one during the assessed year.
    pub fn recused(&self, person: &str, year: i32, department: &str) -> bool {
        let own = format!("department_su@{department}");
        let (from, to) = (
            chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(),
            chrono::NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default(),
        );
        let org = self.org();
        org.org().posts.iter().any(|p| {
            p.person == person
                && p.body == own
                && (p.current_on(today()) || (p.from <= to && p.to.is_none_or(|end| end >= from)))
        })
    }

    /// Whether `who` sees every sheet and the unpublished results: 校团委 or an admin.
    pub fn sees_all_sheets(&self, who: &Principal) -> bool {
        who.admin || self.signs_off_checklist(who)
    }

    /// `year`'s criteria: the list set for it, or the defaults.
    pub async fn assessment_criteria(&self, year: i32) -> Result<CriteriaView, AppError> {
        check_year(year)?;
        let locked = store::sheet_count(&self.db, year).await? > 0;
        Ok(match store::criteria(&self.db, year).await? {
            Some(criteria) => CriteriaView { year, criteria, default: false, locked },
            None => CriteriaView { year, criteria: pure::default_criteria(), default: true, locked },
        })
    }

    /// Replaces `year`'s criteria. 403 `not_school_su_presidium`; 422 `invalid_criteria` (each
    /// field named; weights not summing to 100: field `criteria`, code `weights_sum`); 409
    /// `criteria_in_use` once a score sheet exists for the year.
    pub async fn set_assessment_criteria(
        &self,
        who: &Principal,
        year: i32,
        body: &Value,
    ) -> Result<CriteriaView, AppError> {
        check_year(year)?;
        if !self.edits_assessment_criteria(who) {
            return Err(AppError::Refused {
                code: "not_school_su_presidium",
                message: "only the school SU presidium (or an admin) sets the assessment criteria".into(),
            });
        }
        let criteria = pure::parse_criteria(body).map_err(|f| invalid("invalid_criteria", f))?;
        let _turn = self.writing().await;
        // Write first, then look: on SQLite a transaction that reads before it writes cannot
        // take the write lock while another connection writes ("database is locked").
        let txn = entities::sea_orm::TransactionTrait::begin(&self.db).await?;
        store::set_criteria(&txn, year, &criteria, Some(&who.person), Utc::now().timestamp_millis()).await?;
        if store::sheet_count(&txn, year).await? > 0 {
            txn.rollback().await.ok();
            return Err(AppError::Conflict {
                code: "criteria_in_use",
                message: format!("score sheets for {year} exist: the criteria can no longer change"),
            });
        }
        txn.commit().await?;
        Ok(CriteriaView { year, criteria, default: false, locked: false })
    }

    fn known_department(&self, department: &str) -> Result<(), AppError> {
        if self.org().department(department).is_some() {
            Ok(())
        } else {
            Err(AppError::NotFound(format!("there is no department `{department}`")))
        }
    }

    /// Saves `who`'s score sheet for `department` and `year` (replacing theirs). 403
    /// `not_an_assessor`; 403 `assessor_recused` for a person holding a post in that department's
    /// SU; 422 `invalid_scores` (each field named). Saving the first sheet of a year fixes its
    /// criteria (the defaults, unless set).
    pub async fn put_score_sheet(
        &self,
        who: &Principal,
        year: i32,
        department: &str,
        body: &Value,
    ) -> Result<Sheet, AppError> {
        check_year(year)?;
        self.known_department(department)?;
        if !self.is_assessor(who) {
            return Err(AppError::Refused {
                code: "not_an_assessor",
                message: "only the school SU's assessors (its presidium) fill score sheets".into(),
            });
        }
        if self.recused(&who.person, year, department) {
            return Err(AppError::Refused {
                code: "assessor_recused",
                message: format!(
                    "you hold or held a post in the SU of `{department}` in {year}: you may not assess it"
                ),
            });
        }
        let view = self.assessment_criteria(year).await?;
        let scores = pure::parse_scores(&view.criteria, body).map_err(|f| invalid("invalid_scores", f))?;
        let sheet = Sheet {
            department: department.to_string(),
            assessor: who.person.clone(),
            scores: scores.scores,
            comment: scores.comment,
            updated_at: Utc::now().timestamp_millis(),
        };
        let _turn = self.writing().await;
        // The sheet first (see `set_assessment_criteria`), then the year's criteria fixed.
        let txn = entities::sea_orm::TransactionTrait::begin(&self.db).await?;
        store::put_sheet(&txn, year, &sheet).await?;
        if view.default && store::criteria(&txn, year).await?.is_none() {
            store::set_criteria(&txn, year, &view.criteria, None, sheet.updated_at).await?;
        }
        txn.commit().await?;
        Ok(sheet)
    }

    /// The score sheets of `department` and `year` that `who` may read: all of them for 校团委
    /// and admins, their own for an assessor; 403 `not_an_assessor` for anyone else.
    pub async fn score_sheets(&self, who: &Principal, year: i32, department: &str) -> Result<Vec<Sheet>, AppError> {
        check_year(year)?;
        self.known_department(department)?;
        let all = self.sees_all_sheets(who);
        if !all && !self.is_assessor(who) {
            return Err(AppError::Refused {
                code: "not_an_assessor",
                message: "score sheets are seen by their assessor, 校团委 and admins".into(),
            });
        }
        let mut sheets = store::sheets(&self.db, year, Some(department)).await?;
        sheets.retain(|s| all || s.assessor == who.person);
        Ok(sheets)
    }

    /// The weighted total and grade of `department` in `year` from its sheets (`None` without).
    pub async fn assessment_outcome(&self, year: i32, department: &str) -> Result<Option<(f64, Grade)>, AppError> {
        let criteria = self.assessment_criteria(year).await?.criteria;
        let sheets = store::sheets(&self.db, year, Some(department)).await?;
        Ok(pure::weighted_total(&criteria, sheets.iter().map(|s| &s.scores))
            .map(|t| (t, self.assessment.thresholds().grade(t))))
    }

    /// The values of an `annual_assessment` form's computed `assessment.total` and
    /// `assessment.grade` for its `year` and `department`: 409 `no_score_sheets` before any
    /// sheet; `None` when the form names no valid year or department (the form check says so).
    pub(super) async fn computed_assessment(&self, form: &Value) -> Result<Option<(f64, Grade)>, AppError> {
        let year = form.get("year").and_then(Value::as_i64).and_then(|y| i32::try_from(y).ok());
        let department = form.get("department").and_then(Value::as_str);
        let (Some(year), Some(department)) = (year, department) else { return Ok(None) };
        if !YEARS.contains(&year) || self.org().department(department).is_none() {
            return Ok(None);
        }
        match self.assessment_outcome(year, department).await? {
            Some(o) => Ok(Some(o)),
            None => Err(AppError::Conflict {
                code: "no_score_sheets",
                message: format!("no assessor has scored `{department}` for {year} yet"),
            }),
        }
    }

    /// The requests' facts of `year`'s M1, M5, M9 and M10 requests.
    async fn facts_since(&self, year: i32) -> Result<Vec<RequestFacts>, AppError> {
        Ok(entities::store::compliance::request_facts(&self.db, year_start(year)).await?)
    }

    /// What `who` sees of `department`'s assessment in `year`: the computed indicators beside its
    /// M9 self-report, how many sheets, the total and the grade. The oversight roles and the
    /// department's own SU read it; 403 `not_allowed` for others.
    pub async fn department_assessment(&self, who: &Principal, year: i32, department: &str) -> Result<Value, AppError> {
        check_year(year)?;
        self.known_department(department)?;
        let own = format!("department_su@{department}");
        if !self.may_oversee(who) && !self.org().posts_of(&who.person, today()).iter().any(|p| p.body == own) {
            return Err(AppError::Refused {
                code: "not_allowed",
                message:
                    "a department's assessment is seen by the school SU presidium, 校团委 and that department's SU"
                        .into(),
            });
        }
        let mut records = entities::store::records::load_set(&self.db).await?;
        // Ledger coverage counts contacts in the year: each pair's latest entry up to its last
        // day, so a class visited again in January still counts for the year before.
        records.ledger_latest =
            entities::store::ledger::latest(&self.db, chrono::NaiveDate::from_ymd_opt(year, 12, 31)).await?;
        let facts = self.facts_since(year).await?;
        let org = self.org();
        let ind = pure::indicators(&org, &records, &facts, department, year, today());
        let sheets = store::sheets(&self.db, year, Some(department)).await?.len();
        let outcome = self.assessment_outcome(year, department).await?;
        let share = |s: pure::Share| json!({ "count": s.count, "of": s.of, "percent": s.percent() });
        Ok(json!({
            "year": year,
            "department": department,
            "department_name": org.department(department).map(|d| d.name.zh.clone()),
            "indicators": {
                "ledger_coverage": share(ind.ledger_coverage),
                "training_coverage": share(ind.training_coverage),
                "reporting_on_time": share(ind.reporting_on_time),
                "proposals_handled": share(ind.proposals_handled),
            },
            "annual_report": ind.annual_report.map(|r| json!({ "request": r.request, "title": r.title, "state": r.state })),
            "score_sheets": sheets,
            "total": outcome.map(|o| o.0),
            "grade": outcome.map(|o| o.1),
        }))
    }

    /// The departments' confirmed results of `year` (the newest approved `annual_assessment` of
    /// each), and the departments scored or started but not yet confirmed.
    async fn confirmed_results(&self, year: i32) -> Result<(Vec<Ranked>, Vec<String>), AppError> {
        let facts = self.facts_since(year).await?;
        let mut latest: std::collections::BTreeMap<String, &RequestFacts> = Default::default();
        for f in facts.iter().filter(|f| {
            f.key == "annual_assessment" && f.form.get("year").and_then(Value::as_i64) == Some(i64::from(year))
        }) {
            let Some(d) = f.form.get("department").and_then(Value::as_str) else { continue };
            if !matches!(f.state, FactState::Rejected | FactState::Withdrawn)
                && latest.get(d).is_none_or(|o| o.submitted_at < f.submitted_at)
            {
                latest.insert(d.to_string(), f);
            }
        }
        let mut pending: Vec<String> =
            latest.iter().filter(|(_, f)| f.state != FactState::Approved).map(|(d, _)| d.clone()).collect();
        for s in store::sheets(&self.db, year, None).await? {
            if !latest.contains_key(&s.department) && !pending.contains(&s.department) {
                pending.push(s.department);
            }
        }
        pending.sort();
        let confirmed = latest
            .iter()
            .filter(|(_, f)| f.state == FactState::Approved)
            .filter_map(|(d, f)| {
                let total = f.form.get("total").and_then(Value::as_f64)?;
                let grade = f.form.get("grade").and_then(Value::as_str).and_then(Grade::parse)?;
                Some((d.clone(), total, grade))
            })
            .collect();
        Ok((pure::rank(confirmed), pending))
    }

    /// Publishes `year`'s results as 校团委 (`who`): the confirmed result of every department,
    /// ranked. The first publication is version 1; publishing again is a correction and needs a
    /// `note` (版本 2，更正：…). 403 `not_league_committee`; 409 `assessment_pending` while a
    /// scored department is not confirmed; 409 `nothing_to_publish`; 409 `unchanged` when the
    /// results equal the published ones; 422 `invalid_note`.
    pub async fn publish_assessment(
        &self,
        who: &Principal,
        year: i32,
        note: Option<&str>,
    ) -> Result<Publication, AppError> {
        check_year(year)?;
        if !self.signs_off_checklist(who) {
            return Err(AppError::Refused {
                code: "not_league_committee",
                message: "only the school League committee (校团委) publishes the assessment results".into(),
            });
        }
        let note = note.map(str::trim).unwrap_or_default();
        if note.chars().count() > MAX_NOTE_CHARS {
            let f = FieldError {
                field: "note".into(),
                code: "too_long",
                message: format!("at most {MAX_NOTE_CHARS} characters"),
            };
            return Err(invalid("invalid_note", vec![f]));
        }
        let (results, pending) = self.confirmed_results(year).await?;
        if !pending.is_empty() {
            return Err(AppError::Conflict {
                code: "assessment_pending",
                message: format!("the assessment of {} is not confirmed by 校团委 yet", pending.join(", ")),
            });
        }
        if results.is_empty() {
            return Err(AppError::Conflict {
                code: "nothing_to_publish",
                message: format!("no department's assessment for {year} is confirmed"),
            });
        }
        let _turn = self.writing().await;
        // Read, then one insert: a concurrent publisher of the same version loses on the key.
        let previous = store::publications(&self.db, year).await?;
        if let Some(last) = previous.last() {
            if last.results == results {
                return Err(AppError::Conflict {
                    code: "unchanged",
                    message: format!("the results of {year} are published as they stand (版本 {})", last.version),
                });
            }
            if note.is_empty() {
                let f = FieldError {
                    field: "note".into(),
                    code: "required",
                    message: "a correction says what changed (更正：…)".into(),
                };
                return Err(invalid("invalid_note", vec![f]));
            }
        }
        let p = Publication {
            version: previous.last().map_or(1, |l| l.version + 1),
            results,
            note: if previous.is_empty() { String::new() } else { note.to_string() },
            published_by: Some(who.person.clone()),
            published_at: Utc::now().timestamp_millis(),
        };
        match store::publish(&self.db, year, &p).await {
            Ok(()) => {}
            Err(entities::store::StoreError::Conflict) => {
                return Err(AppError::Conflict {
                    code: "published_meanwhile",
                    message: "someone published this year meanwhile; look again".into(),
                });
            }
            Err(e) => return Err(e.into()),
        }
        Ok(p)
    }

    /// Every published version of `year`, oldest first (empty before publication). Public.
    pub async fn assessment_publications(&self, year: i32) -> Result<Vec<Publication>, AppError> {
        check_year(year)?;
        Ok(store::publications(&self.db, year).await?)
    }

    /// `GET /api/v1/assessments?year=`: the published results (department, name, grade, total,
    /// rank, award quota raise) and the publication timeline, for anyone; for 校团委 and admins
    /// (`who`) also the confirmed results not yet published and the departments still pending.
    pub async fn assessments_json(&self, who: Option<&Principal>, year: i32) -> Result<Value, AppError> {
        let pubs = self.assessment_publications(year).await?;
        let org = self.org();
        let row = |r: &Ranked| {
            json!({
                "department": r.department,
                "department_name": org.department(&r.department).map(|d| d.name.zh.clone()),
                "department_name_en": org.department(&r.department).map(|d| d.name.en.clone()),
                "rank": r.rank,
                "total": r.total,
                "grade": r.grade,
                "grade_label": r.grade.zh(),
                "award_quota_raise": if r.grade == Grade::Good { self.assessment.award_quota_raise } else { 0 },
            })
        };
        let mut out = json!({
            "year": year,
            "published": !pubs.is_empty(),
            "version": pubs.last().map(|p| p.version),
            "results": pubs.last().map(|p| p.results.iter().map(row).collect::<Vec<_>>()).unwrap_or_default(),
            "timeline": pubs.iter().map(|p| json!({
                "event": if p.version == 1 { "published" } else { "corrected" },
                "version": p.version,
                "at": Utc.timestamp_millis_opt(p.published_at).single().map(|t| t.to_rfc3339()),
                "note": p.note,
            })).collect::<Vec<_>>(),
        });
        if let Some(w) = who
            && self.sees_all_sheets(w)
        {
            let (confirmed, pending) = self.confirmed_results(year).await?;
            out["confirmed"] = Value::from(confirmed.iter().map(row).collect::<Vec<_>>());
            out["pending"] = json!(pending);
        }
        Ok(out)
    }

    /// Publishes the demo university's results of `year` (last year on a first start) as version 1
    /// with the default criteria, so the public page shows something on a fresh start. Writes
    /// nothing when the year is published already.
    pub async fn seed_demo_assessment(&self, year: i32) -> Result<bool, AppError> {
        if !store::publications(&self.db, year).await?.is_empty() {
            return Ok(false);
        }
        let results = pure::demo_results(&self.org(), &self.assessment.thresholds());
        let at = Shanghai
            .with_ymd_and_hms(year, 12, 31, 10, 0, 0)
            .single()
            .map_or_else(Utc::now, |t| t.with_timezone(&Utc))
            .timestamp_millis();
        let p = Publication { version: 1, results, note: String::new(), published_by: None, published_at: at };
        let txn = entities::sea_orm::TransactionTrait::begin(&self.db).await?;
        store::publish(&txn, year, &p).await?;
        if store::criteria(&txn, year).await?.is_none() {
            store::set_criteria(&txn, year, &pure::default_criteria(), None, at).await?;
        }
        txn.commit().await?;
        Ok(true)
    }
}
