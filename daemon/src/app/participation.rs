//! Taking part (issue 11, requirement 2; domain.md §3 M7 and M8).
//!
//! - **Volunteer hours (M7 志愿服务时长)**: a person logs their own hours, or the submitter of an
//!   activity or support request (its organiser) logs them for the people who served in it; 0.5
//!   to 24 hours an entry in half hours, at most 24 hours a person a day. Read by the volunteer
//!   and whoever logged it, a department's League org, Party org and SU presidium for the
//!   department, and admins, the school SU presidium and secretary-general and 校团委 for all —
//!   the work ledger's readers. The semester summary gives per department and for the school the
//!   hours, the volunteers and the share of class cadres among them (M7: "report the share of
//!   class cadres volunteering"), a class cadre being a person who holds a class committee or
//!   League branch post on the day counted (domain.md §7.3: people, not posts, on the day).
//! - **Co-design and evaluation entries (M8)**: students write their own entry on a service
//!   project; one per student, project and kind (writing again rewrites it). The project's
//!   `computed: records.*` fields count the distinct students and classes, and the daemon
//!   refreshes them on the request before every command (`App::refreshed`), so the M8 gates read
//!   recorded entries, not typed numbers.

use super::ledger::{semester_start, today};
use super::{App, AppError, Principal};
use chrono::{NaiveDate, Utc};
use entities::store::participation::{
    self as store, Counts, EntryFields, HoursFields, HoursFilter, StoredEntry, StoredHours, Visibility,
};
use serde_json::{Map, Value};
use workflows::engine::{Event, Instance};
use workflows::form::FieldError;
use workflows::model::{Computed, Definition};
use workflows::org::{Directory, OrgDirectory};
use workflows::records::{ParticipationKind, Semester, SemesterHalf};

/// How many days back volunteer hours (M7) may be logged: the hours of a year are summed for
/// that year's figures, so a day older than this is refused (422 `too_old`).
pub const VOLUNTEER_DAYS_BACK: u64 = 366;

/// The fields of a volunteer-hours entry in the API.
const HOURS_FIELDS: &[&str] = &["person", "date", "hours", "activity", "request"];
/// Longest activity text, in characters.
const MAX_ACTIVITY_CHARS: usize = 200;
/// Most hours of one person on one day, in tenths (M7; a day has 24 hours).
const MAX_TENTHS_A_DAY: i64 = 240;

fn invalid_hours(fields: Vec<FieldError>) -> AppError {
    AppError::Invalid {
        code: "invalid_volunteer_hours",
        message: "the volunteer hours have field problems".into(),
        fields,
    }
}

fn invalid_entry(fields: Vec<FieldError>) -> AppError {
    AppError::Invalid { code: "invalid_entry", message: "the entry has field problems".into(), fields }
}

/// The last day of a semester (the day before the next one starts).
pub fn semester_end(s: Semester) -> NaiveDate {
    let next = match s.half {
        SemesterHalf::Autumn => Semester { year: s.year, half: SemesterHalf::Spring },
        SemesterHalf::Spring => Semester { year: s.year + 1, half: SemesterHalf::Autumn },
    };
    semester_start(next).pred_opt().unwrap_or_default()
}

/// Reads `2026-autumn` / `2026-1` (the first semester of 2026—2027) or `2026-spring` / `2026-2`.
pub fn parse_semester(s: &str) -> Option<Semester> {
    let (year, half) = s.trim().split_once('-')?;
    let year: i32 = year.parse().ok().filter(|y| (2000..=2100).contains(y))?;
    let half = match half {
        "autumn" | "1" => SemesterHalf::Autumn,
        "spring" | "2" => SemesterHalf::Spring,
        _ => return None,
    };
    Some(Semester { year, half })
}

/// How the API names a semester: `2026-autumn`, `2026-spring`.
pub fn semester_key(s: Semester) -> String {
    let half = if s.half == SemesterHalf::Autumn { "autumn" } else { "spring" };
    format!("{}-{half}", s.year)
}

/// Hours from tenths, as the API shows them (1.5).
pub fn hours_of(tenths: i64) -> f64 {
    tenths as f64 / 10.0
}

/// One line of the volunteer-hours summary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SummaryLine {
    /// Department code ("" for volunteers of no department).
    pub department: String,
    /// Tenths of an hour served.
    pub tenths: i64,
    /// Entries.
    pub entries: i64,
    /// Distinct volunteers.
    pub volunteers: i64,
    /// Of them, class cadres on the day counted.
    pub class_cadres: i64,
}

impl SummaryLine {
    /// `class_cadres / volunteers`, to four places; `None` with no volunteers.
    pub fn class_cadre_share(&self) -> Option<f64> {
        (self.volunteers > 0).then(|| (self.class_cadres as f64 / self.volunteers as f64 * 10_000.0).round() / 10_000.0)
    }
}

/// The volunteer-hours summary of a semester.
#[derive(Debug, Clone, PartialEq)]
pub struct HoursSummary {
    /// Per department, by code.
    pub departments: Vec<SummaryLine>,
    /// The whole school (volunteers counted once however many departments they served under);
    /// `None` for a reader who sees only some departments.
    pub school: Option<SummaryLine>,
    /// The day class cadre posts were counted on (the semester's last day, or today while it runs).
    pub counted_on: NaiveDate,
}

/// Reads an API body into hours fields: every broken field at once. `person` defaults to the caller.
fn read_hours(body: &Value, who: &Principal, org: &OrgDirectory, today: NaiveDate) -> Result<HoursFields, AppError> {
    let Some(obj) = body.as_object() else {
        return Err(invalid_hours(vec![FieldError::new("", "not_an_object", "the body must be a JSON object")]));
    };
    let mut errors = Vec::new();
    for k in obj.keys().filter(|k| !HOURS_FIELDS.contains(&k.as_str())) {
        errors.push(FieldError::new(
            k,
            "unknown_field",
            format!("`{k}` is not a field of volunteer hours (fields: {})", HOURS_FIELDS.join(", ")),
        ));
    }
    let text = |name: &str| obj.get(name).filter(|v| !v.is_null());
    let person = match text("person") {
        None => Some(who.person.clone()),
        Some(Value::String(p)) if org.person(p.trim()).is_some() => Some(p.trim().to_string()),
        Some(Value::String(p)) => {
            errors.push(FieldError::new("person", "unknown_reference", format!("nobody is known as `{p}`")));
            None
        }
        Some(_) => {
            errors.push(FieldError::new("person", "wrong_type", "`person` must be a person id as text"));
            None
        }
    };
    let date = match text("date") {
        None => {
            errors.push(FieldError::new("date", "required", "`date` is required (YYYY-MM-DD)"));
            None
        }
        Some(v) => match v.as_str().map(|s| (s, NaiveDate::parse_from_str(s, "%Y-%m-%d"))) {
            Some((_, Ok(day))) if day > today => {
                errors.push(FieldError::new(
                    "date",
                    "in_future",
                    format!("`date` {day} is in the future (today is {today} in Asia/Shanghai)"),
                ));
                None
            }
            Some((_, Ok(day))) if day < today - chrono::Days::new(VOLUNTEER_DAYS_BACK) => {
                errors.push(FieldError::new(
                    "date",
                    "too_old",
                    format!(
                        "`date` {day} is more than {VOLUNTEER_DAYS_BACK} days ago (today is {today}): hours are logged within the year"
                    ),
                ));
                None
            }
            Some((_, Ok(day))) => Some(day),
            Some((s, Err(_))) => {
                errors.push(FieldError::new("date", "bad_date", format!("`date`: `{s}` is not a date (YYYY-MM-DD)")));
                None
            }
            None => {
                errors.push(FieldError::new("date", "wrong_type", "`date` must be a date as text (YYYY-MM-DD)"));
                None
            }
        },
    };
    let tenths = match text("hours") {
        None => {
            errors.push(FieldError::new("hours", "required", "`hours` is required (0.5 to 24, in half hours)"));
            None
        }
        Some(v) => match v.as_f64() {
            None => {
                errors.push(FieldError::new("hours", "wrong_type", "`hours` must be a number (e.g. 1.5)"));
                None
            }
            Some(h) if !(0.5..=24.0).contains(&h) => {
                errors.push(FieldError::new(
                    "hours",
                    "out_of_range",
                    format!("`hours` is 0.5 to 24 an entry, not {h}"),
                ));
                None
            }
            Some(h) if (h * 2.0).fract() != 0.0 => {
                errors.push(FieldError::new(
                    "hours",
                    "bad_step",
                    format!("`hours` counts half hours (1, 1.5, 2…), not {h}"),
                ));
                None
            }
            Some(h) => Some((h * 10.0).round() as i32),
        },
    };
    let activity = match text("activity") {
        Some(Value::String(s)) if s.trim().is_empty() => {
            errors.push(FieldError::new("activity", "required", "`activity` is required: what was done"));
            None
        }
        Some(Value::String(s)) if s.trim().chars().count() > MAX_ACTIVITY_CHARS => {
            errors.push(FieldError::new(
                "activity",
                "too_long",
                format!("`activity` is longer than {MAX_ACTIVITY_CHARS} characters ({})", s.trim().chars().count()),
            ));
            None
        }
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(_) => {
            errors.push(FieldError::new("activity", "wrong_type", "`activity` must be text"));
            None
        }
        None => {
            errors.push(FieldError::new("activity", "required", "`activity` is required: what was done"));
            None
        }
    };
    let request = match text("request") {
        None => None,
        Some(Value::String(r)) if !r.trim().is_empty() => Some(r.trim().to_string()),
        Some(_) => {
            errors.push(FieldError::new("request", "wrong_type", "`request` must be a request id as text"));
            None
        }
    };
    let (Some(person), Some(date), Some(tenths), Some(activity)) = (person, date, tenths, activity) else {
        return Err(invalid_hours(errors));
    };
    if !errors.is_empty() {
        return Err(invalid_hours(errors));
    }
    let p = org.person(&person);
    let class = p.and_then(|p| p.class.clone());
    let department = p
        .and_then(|p| p.department.clone())
        .or_else(|| class.as_deref().and_then(|c| org.class(c)).map(|c| c.department.clone()))
        .or_else(|| org.submitter_info(&person, date).and_then(|i| i.department))
        .unwrap_or_default();
    Ok(HoursFields { person, department, class, date, tenths, activity, request })
}

impl App {
    /// What the caller may read of the volunteer hours (the work ledger's readers).
    pub fn hours_visibility(&self, who: &Principal) -> Visibility {
        self.ledger_visibility(who)
    }

    /// Logs volunteer hours from an API body, in one transaction. 422 `invalid_volunteer_hours`
    /// naming each field (`too_many_hours` when the person's day would pass 24 hours); 403
    /// `not_the_organiser` for hours of someone else without being the submitter of the
    /// `request` they served (admins may).
    ///
    /// With an `Idempotency-Key`, a retry with the same body gets the first entry back (the hours
    /// are not counted twice); another body is 422 `idempotency_key_reused`.
    pub async fn log_hours(
        &self,
        who: &Principal,
        body: &Value,
        idempotency_key: Option<&str>,
    ) -> Result<StoredHours, AppError> {
        let hash = super::ledger::fingerprint(body);
        if let Some(k) = idempotency_key
            && let Some(h) = self.hours_replayed(who, k, &hash).await?
        {
            return Ok(h);
        }
        let fields = {
            let org = self.org();
            read_hours(body, who, &org, today())?
        };
        if let Some(r) = &fields.request {
            let loaded = match self.visible(who, r).await {
                Ok(l) => l,
                Err(AppError::NotFound(_)) => {
                    return Err(invalid_hours(vec![FieldError::new(
                        "request",
                        "unknown_reference",
                        format!("there is no request `{r}`"),
                    )]));
                }
                Err(e) => return Err(e),
            };
            if fields.person != who.person && !who.admin && loaded.state.submitter.id != who.person {
                return Err(not_the_organiser());
            }
        } else if fields.person != who.person && !who.admin {
            return Err(not_the_organiser());
        }
        let id = uuid::Uuid::now_v7().to_string();
        let now = Utc::now().timestamp_millis();
        let _turn = self.writing().await;
        let txn = entities::sea_orm::TransactionTrait::begin(&self.db).await?;
        // Written first, then the day's total read with it (a SQLite transaction that read
        // first could not write when another writer holds the file).
        let h = match store::insert_hours(
            &txn,
            &id,
            &who.person,
            &fields,
            now,
            idempotency_key.map(|k| (k, hash.as_str())),
        )
        .await
        {
            Ok(h) => h,
            Err(e) => {
                txn.rollback().await.ok();
                // The same key raced us: the winner's entry (or 422 for another body).
                if let Some(k) = idempotency_key
                    && let Some(h) = self.hours_replayed(who, k, &hash).await?
                {
                    return Ok(h);
                }
                return Err(e.into());
            }
        };
        let day = store::tenths_on(&txn, &fields.person, fields.date).await;
        match day {
            Ok(t) if t > MAX_TENTHS_A_DAY => {
                txn.rollback().await.ok();
                let before = t - i64::from(fields.tenths);
                Err(invalid_hours(vec![FieldError::new(
                    "hours",
                    "too_many_hours",
                    format!(
                        "{} already has {} hours logged on {}; a day has at most 24",
                        fields.person,
                        hours_of(before),
                        fields.date
                    ),
                )]))
            }
            Ok(_) => {
                txn.commit().await?;
                Ok(h)
            }
            Err(e) => {
                txn.rollback().await.ok();
                Err(e.into())
            }
        }
    }

    async fn hours_replayed(&self, who: &Principal, key: &str, hash: &str) -> Result<Option<StoredHours>, AppError> {
        let Some((h, stored)) = store::hours_by_idempotency_key(&self.db, &who.person, key).await? else {
            return Ok(None);
        };
        if stored.as_deref().is_some_and(|s| s != hash) {
            return Err(super::ledger::key_reused(format!(
                "volunteer hours `{}` were logged with this key and another body",
                h.id
            )));
        }
        Ok(Some(h))
    }

    /// Entry `id` if the caller may read it (404 otherwise, as if there were none).
    pub async fn hours_entry(&self, who: &Principal, id: &str) -> Result<StoredHours, AppError> {
        let h = store::get_hours(&self.db, id).await?;
        let ok = |h: &StoredHours| match self.hours_visibility(who) {
            Visibility::All => true,
            Visibility::Some { person, departments } => {
                h.fields.person == person || h.logged_by == person || departments.contains(&h.fields.department)
            }
        };
        h.filter(ok).ok_or_else(|| AppError::NotFound(format!("no volunteer hours `{id}`")))
    }

    /// The entries the caller may read matching `f`, newest logged first, at most `limit`.
    pub async fn hours_list(&self, who: &Principal, f: &HoursFilter, limit: u64) -> Result<Vec<StoredHours>, AppError> {
        Ok(store::list_hours(&self.db, f, &self.hours_visibility(who), limit).await?)
    }

    /// The summary of semester `s`: per department (all of them for the oversight roles, one's
    /// own departments for their League org, Party org and SU presidium) and the school. 403
    /// `forbidden` for anyone who oversees no department.
    pub async fn hours_summary(&self, who: &Principal, s: Semester) -> Result<HoursSummary, AppError> {
        let visible = self.hours_visibility(who);
        let departments = match &visible {
            Visibility::All => None,
            Visibility::Some { departments, .. } if !departments.is_empty() => Some(departments.clone()),
            Visibility::Some { .. } => {
                return Err(AppError::Forbidden(
                    "the volunteer-hours summary is for admins, the school SU presidium and secretary-general, 校团委, and a department's League org, Party org and SU presidium".into(),
                ));
            }
        };
        let (from, to) = (semester_start(s), semester_end(s));
        let counted_on = to.min(today());
        let scope = match &departments {
            None => Visibility::All,
            Some(d) => Visibility::Some { person: String::new(), departments: d.clone() },
        };
        let rows = store::totals(&self.db, from, to, &scope).await?;
        let rows: Vec<_> = match &departments {
            None => rows,
            Some(d) => rows.into_iter().filter(|r| d.contains(&r.department)).collect(),
        };
        let org = self.org();
        let cadre = |p: &str| org.submitter_info(p, counted_on).is_some_and(|i| i.is_class_cadre);
        let mut lines: Vec<SummaryLine> = Vec::new();
        let mut school = SummaryLine::default();
        let mut everyone = std::collections::BTreeSet::new();
        for r in &rows {
            if lines.last().is_none_or(|l| l.department != r.department) {
                lines.push(SummaryLine { department: r.department.clone(), ..SummaryLine::default() });
            }
            let is_cadre = cadre(&r.person);
            if let Some(l) = lines.last_mut() {
                l.tenths += r.tenths;
                l.entries += r.entries;
                l.volunteers += 1;
                l.class_cadres += i64::from(is_cadre);
            }
            school.tenths += r.tenths;
            school.entries += r.entries;
            if everyone.insert(r.person.clone()) {
                school.volunteers += 1;
                school.class_cadres += i64::from(is_cadre);
            }
        }
        Ok(HoursSummary { departments: lines, school: departments.is_none().then_some(school), counted_on })
    }

    /// Writes the caller's own co-design (`rating` none) or evaluation entry on request `id`, then
    /// brings the request's counts up to date. `true`: a new entry (else theirs was rewritten).
    /// 404 for a request the caller cannot see; 409 `entries_not_accepted` (its workflow counts
    /// no such entries) or `request_finished`; 403 `not_a_student` (no class) or `own_project`
    /// (its submitter); 422 `invalid_entry` naming the field.
    pub async fn put_participation(
        &self,
        who: &Principal,
        id: &str,
        kind: ParticipationKind,
        body: &Value,
    ) -> Result<(StoredEntry, bool), AppError> {
        let loaded = self.visible(who, id).await?;
        let def = self.definition(&loaded.state.key, loaded.state.version).await?;
        if !counts_entries(&def, kind) {
            return Err(AppError::Conflict {
                code: "entries_not_accepted",
                message: format!("request `{id}` ({}) takes no {} entries", loaded.state.key, kind_word(kind)),
            });
        }
        if loaded.state.is_finished() {
            return Err(AppError::Conflict {
                code: "request_finished",
                message: format!("request `{id}` has finished: its entries are a record now"),
            });
        }
        let class = {
            let org = self.org();
            org.person(&who.person).and_then(|p| p.class.clone())
        };
        let Some(class) = class else {
            return Err(AppError::Refused {
                code: "not_a_student",
                message: "only students (people in a class) write co-design and evaluation entries".into(),
            });
        };
        if loaded.state.submitter.id == who.person {
            return Err(AppError::Refused {
                code: "own_project",
                message: "the project's submitter cannot write its students' entries".into(),
            });
        }
        let (text, rating) = read_entry(body, kind, self.ledger.max_text_chars as usize)?;
        let fields =
            EntryFields { request: id.to_string(), kind, person: who.person.clone(), class: Some(class), rating, text };
        let new_id = uuid::Uuid::now_v7().to_string();
        let now = Utc::now().timestamp_millis();
        let put = || async {
            let _turn = self.writing().await;
            let txn = entities::sea_orm::TransactionTrait::begin(&self.db).await?;
            match store::put_entry(&txn, &new_id, &fields, now).await {
                Ok(w) => txn.commit().await.map(|_| w).map_err(AppError::from),
                Err(e) => {
                    txn.rollback().await.ok();
                    Err(AppError::from(e))
                }
            }
        };
        let written = match put().await {
            Ok(w) => w,
            // A second write racing the first met the unique index: it rewrites that entry.
            Err(_) if store::entry_of(&self.db, id, kind, &who.person).await?.is_some() => (put().await?.0, false),
            Err(e) => return Err(e),
        };
        // The request's form shows the counts at once (the commands refresh them anyway).
        self.change(id, None, &entities::store::requests::Meta::default(), |st, _, _| {
            Ok(Some(workflows::engine::Output { state: st.clone(), events: vec![], effects: vec![] }))
        })
        .await?;
        Ok(written)
    }

    /// The entries of `kind` on request `id` the caller may read — all of them for the people on
    /// its path, admins and the oversight roles, otherwise only their own — and the distinct
    /// students and classes counted.
    pub async fn participation(
        &self,
        who: &Principal,
        id: &str,
        kind: ParticipationKind,
    ) -> Result<(Vec<StoredEntry>, Counts), AppError> {
        let loaded = self.visible(who, id).await?;
        let all =
            who.admin || loaded.state.on_path(&who.person) || matches!(self.hours_visibility(who), Visibility::All);
        let items = store::entries(&self.db, id, kind, (!all).then_some(who.person.as_str())).await?;
        Ok((items, store::counts(&self.db, id).await?))
    }

    /// The values of `def`'s `computed: records.*` fields for request `request` (all 0 before it
    /// exists), by field name.
    pub(super) async fn entry_counts(
        &self,
        def: &Definition,
        request: Option<&str>,
    ) -> Result<Map<String, Value>, AppError> {
        let fields: Vec<(&str, Computed)> = def
            .form
            .iter()
            .filter_map(|f| f.computed.filter(|c| c.reads_request_entries()).map(|c| (f.name.as_str(), c)))
            .collect();
        if fields.is_empty() {
            return Ok(Map::new());
        }
        let c = match request {
            Some(r) => store::counts(&self.db, r).await?,
            None => Counts::default(),
        };
        Ok(fields
            .into_iter()
            .map(|(name, k)| {
                let n = match k {
                    Computed::CoDesignStudents => c.co_design_students,
                    Computed::CoDesignClasses => c.co_design_classes,
                    Computed::EvaluationStudents => c.evaluation_students,
                    Computed::EvaluationClasses => c.evaluation_classes,
                    _ => 0,
                };
                (name.to_string(), Value::from(n))
            })
            .collect())
    }

    /// `st` with its `computed: records.*` fields brought up to the entries recorded now, and the
    /// event that did it (`None`: nothing to change, or the workflow counts no entries).
    pub(super) async fn refreshed(
        &self,
        st: &Instance,
        def: &Definition,
    ) -> Result<Option<(Instance, Event)>, AppError> {
        if st.is_finished() || !def.form.iter().any(|f| f.computed.is_some_and(Computed::reads_request_entries)) {
            return Ok(None);
        }
        let values = self.entry_counts(def, Some(&st.id)).await?;
        Ok(workflows::engine::recompute(st, &values, Utc::now()))
    }
}

fn not_the_organiser() -> AppError {
    AppError::Refused {
        code: "not_the_organiser",
        message:
            "you may log your own volunteer hours, or others' only for a request you submitted (name it in `request`)"
                .into(),
    }
}

fn kind_word(k: ParticipationKind) -> &'static str {
    match k {
        ParticipationKind::CoDesign => "co-design",
        ParticipationKind::Evaluation => "evaluation",
    }
}

/// Whether `def` counts entries of `kind` in a computed field.
fn counts_entries(def: &Definition, kind: ParticipationKind) -> bool {
    def.form.iter().filter_map(|f| f.computed).any(|c| match kind {
        ParticipationKind::CoDesign => matches!(c, Computed::CoDesignStudents | Computed::CoDesignClasses),
        ParticipationKind::Evaluation => matches!(c, Computed::EvaluationStudents | Computed::EvaluationClasses),
    })
}

/// Reads an entry's body: `text` (required, at most `max_chars`), and for an evaluation a
/// `rating` of 1 to 5.
fn read_entry(body: &Value, kind: ParticipationKind, max_chars: usize) -> Result<(String, Option<i32>), AppError> {
    let Some(obj) = body.as_object() else {
        return Err(invalid_entry(vec![FieldError::new("", "not_an_object", "the body must be a JSON object")]));
    };
    let allowed: &[&str] = if kind == ParticipationKind::Evaluation { &["text", "rating"] } else { &["text"] };
    let mut errors: Vec<FieldError> = obj
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .map(|k| {
            FieldError::new(k, "unknown_field", format!("`{k}` is not a field here (fields: {})", allowed.join(", ")))
        })
        .collect();
    let text = match obj.get("text") {
        Some(Value::String(s)) if s.trim().chars().count() > max_chars => {
            errors.push(FieldError::new("text", "too_long", format!("`text` is longer than {max_chars} characters")));
            None
        }
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            errors.push(FieldError::new("text", "required", "`text` is required: what you suggest or think"));
            None
        }
        Some(_) => {
            errors.push(FieldError::new("text", "wrong_type", "`text` must be text"));
            None
        }
    };
    let rating = if kind == ParticipationKind::Evaluation {
        match obj.get("rating") {
            Some(v) if v.as_i64().is_some_and(|r| (1..=5).contains(&r)) => v.as_i64().map(|r| r as i32),
            Some(v) if v.is_i64() || v.is_u64() => {
                errors.push(FieldError::new("rating", "out_of_range", format!("`rating` is 1 to 5, not {v}")));
                None
            }
            None | Some(Value::Null) => {
                errors.push(FieldError::new("rating", "required", "`rating` is required (1 to 5)"));
                None
            }
            Some(_) => {
                errors.push(FieldError::new("rating", "wrong_type", "`rating` must be a whole number from 1 to 5"));
                None
            }
        }
    } else {
        None
    };
    match text {
        Some(t) if errors.is_empty() => Ok((t, rating)),
        _ => Err(invalid_entry(errors)),
    }
}
