//! M1 and M4 records kept directly (issue 11 requirement 2; domain.md §2 end and §3 M1, M4):
//!
//! - a class's **reporting-system adoption** (推动班委会建立重大事项请示报告制度: class matters go
//!   to its department SU contact person and the counselor), recorded by the class committee,
//!   the department SU presidium or an admin — one per class;
//! - the **reporting checklist** (请示报告清单): versions drafted by the school SU (presidium,
//!   secretary-general) or an admin, each a draft until a member of 校团委 signs it off ("Each
//!   checklist version needs 校团委 sign-off"); the current version is the highest signed-off
//!   one and the M1 request form accepts only its matter types;
//! - **training attendance** (履职培训, M4) added to a recorded session by the organiser body's
//!   presidium or an admin, by person id or 学号/工号, all or nothing.
//!
//! Every command is one transaction.

use super::{App, AppError, Principal};
use crate::app::compliance::today;
use chrono::NaiveDate;
use entities::sea_orm::TransactionTrait;
use entities::store::reporting::{self as store, ChecklistVersion, NewAdoption};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use workflows::catalog::Role;
use workflows::form::FieldError;
use workflows::model::Definition;
use workflows::org::{ClassUnit, Directory, OrgDirectory};
use workflows::records::Semester;
use workflows::reporting_checklist as checklist;

/// The most rows one attendance import may carry (413 `too_many_rows` beyond).
pub const MAX_ATTENDANCE_ROWS: usize = 20_000;

/// A person's name for messages.
fn name_of(org: &OrgDirectory, id: &str) -> String {
    org.person(id).map_or_else(|| id.to_string(), |p| format!("{}（{id}）", p.name))
}

/// A checklist version as the API shows it.
pub fn checklist_json(org: &OrgDirectory, v: &ChecklistVersion) -> Value {
    let ms = |t: i64| chrono::DateTime::from_timestamp_millis(t);
    json!({
        "version": v.row.version,
        "status": v.row.status,
        "items": v.items,
        "note": v.row.note,
        "drafted_by": v.row.drafted_by,
        "drafted_at": ms(v.row.drafted_at),
        "signed_by": v.row.signed_by,
        "signed_by_name": v.row.signed_by.as_deref().and_then(|p| org.person(p)).map(|p| p.name.clone()),
        "signed_at": v.row.signed_at.and_then(ms),
    })
}

/// 422 `invalid_reporting_adoption` with the field problems.
fn invalid_adoption(fields: Vec<FieldError>) -> AppError {
    AppError::Invalid {
        code: "invalid_reporting_adoption",
        message: "the reporting adoption has field problems".into(),
        fields,
    }
}

/// Whether `who` may keep `class`'s reporting adoption (record it, change its contacts): an
/// admin, a member of the class committee or of its department SU presidium on `day`; 403
/// `not_class_or_department_su` saying `what` they may do otherwise.
fn may_keep_adoption(
    org: &OrgDirectory,
    who: &Principal,
    c: &ClassUnit,
    day: NaiveDate,
    what: &str,
) -> Result<(), AppError> {
    let dept = &c.department;
    let may = who.admin
        || org.posts_of(&who.person, day).iter().any(|p| {
            p.body == format!("class_committee@{}", c.code)
                || (p.body == format!("department_su@{dept}") && p.role.is_presidium())
        });
    if may {
        return Ok(());
    }
    Err(AppError::Refused {
        code: "not_class_or_department_su",
        message: format!(
            "only the class committee of {}, the presidium of its department SU and admins may {what}",
            c.name.zh
        ),
    })
}

/// The problems of the reporting contacts of department `dept` on `day`: a `contact_person`
/// who holds no post in its SU, a `counselor` who is not one of its counselors.
fn contact_errors(
    org: &OrgDirectory,
    dept: &str,
    contact: Option<&str>,
    counselor: Option<&str>,
    day: NaiveDate,
    errors: &mut Vec<FieldError>,
) {
    if let Some(p) = contact
        && !org.posts_of(p, day).iter().any(|x| x.body == format!("department_su@{dept}"))
    {
        errors.push(FieldError::new(
            "contact_person",
            "not_department_su",
            format!("`{p}` holds no current post in the department SU of {dept}"),
        ));
    }
    if let Some(p) = counselor
        && !org.posts_of(p, day).iter().any(|x| x.role == Role::Counselor && x.body.ends_with(&format!("@{dept}")))
    {
        errors.push(FieldError::new(
            "counselor",
            "not_counselor",
            format!("`{p}` is not a current counselor of {dept}"),
        ));
    }
}

impl App {
    // ---- reporting adoption ----

    /// Records that `class` adopted the reporting system. Body: `{"class", "date" (YYYY-MM-DD,
    /// not in the future), "contact_person" (holds a post in the class's department SU),
    /// "counselor" (a counselor of the class's department)}`.
    ///
    /// Errors: 422 `invalid_reporting_adoption` with every field problem (unknown class, bad or
    /// future date, a contact who is not of that department SU, a counselor who is not one of
    /// the department); 403 `not_class_or_department_su` for a caller who is neither on the
    /// class committee, nor in the department SU presidium, nor an admin; 409 `already_adopted`
    /// when the class has an adoption on record (the first one counts, domain.md §2).
    pub async fn record_adoption(&self, who: &Principal, body: &Value) -> Result<Value, AppError> {
        const FIELDS: &[&str] = &["class", "date", "contact_person", "counselor"];
        let invalid = invalid_adoption;
        let Some(obj) = body.as_object() else {
            return Err(invalid(vec![FieldError::new("", "not_an_object", "the body must be a JSON object")]));
        };
        let org = self.org();
        let day = today();
        let mut errors = Vec::new();
        for k in obj.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
            errors.push(FieldError::new(
                k,
                "unknown_field",
                format!("`{k}` is not a field of a reporting adoption (fields: {})", FIELDS.join(", ")),
            ));
        }
        let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
        for k in FIELDS.iter().filter(|k| text(k).is_none()) {
            errors.push(FieldError::new(k, "required", format!("`{k}` is required (text)")));
        }
        let class = text("class").and_then(|c| {
            let found = org.class(c).cloned();
            if found.is_none() {
                errors.push(FieldError::new("class", "unknown_reference", format!("no class `{c}` in the org")));
            }
            found
        });
        let date = text("date").and_then(|s| match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) if d > day => {
                errors.push(FieldError::new(
                    "date",
                    "in_future",
                    format!("`date` {d} is in the future (today is {day} in Asia/Shanghai)"),
                ));
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(FieldError::new("date", "bad_date", format!("`date`: `{s}` is not a date (YYYY-MM-DD)")));
                None
            }
        });
        if let Some(c) = &class {
            may_keep_adoption(&org, who, c, day, "record its reporting system")?;
            contact_errors(&org, &c.department, text("contact_person"), text("counselor"), day, &mut errors);
        }
        let (Some(class), Some(date), true) = (class, date, errors.is_empty()) else {
            return Err(invalid(errors));
        };
        let a = NewAdoption {
            class: class.code.clone(),
            date,
            term: Semester::of(date).year,
            contact_person: text("contact_person").unwrap_or_default().to_string(),
            counselor: text("counselor").unwrap_or_default().to_string(),
            recorded_by: who.person.clone(),
        };
        let _turn = self.writing().await;
        let txn = self.db.begin().await?;
        if let Some(old) = store::adoption(&txn, &a.class).await? {
            txn.rollback().await.ok();
            return Err(AppError::Conflict {
                code: "already_adopted",
                message: format!("{} adopted the reporting system on {} already", class.name.zh, old.date),
            });
        }
        store::insert_adoption(&txn, &a, chrono::Utc::now().timestamp_millis()).await?;
        txn.commit().await?;
        tracing::info!(class = %a.class, by = %who.person, "reporting adoption recorded");
        Ok(json!({
            "class": a.class, "class_name": class.name.zh, "date": a.date, "term": a.term,
            "contact_person": a.contact_person, "contact_person_name": org.person(&a.contact_person).map(|p| p.name.clone()),
            "counselor": a.counselor, "counselor_name": org.person(&a.counselor).map(|p| p.name.clone()),
            "recorded_by": a.recorded_by, "request": Value::Null,
        }))
    }

    /// Changes the reporting contacts of `class`'s adoption: body `{"contact_person"?,
    /// "counselor"?}` (at least one), checked as for [`App::record_adoption`]; the same people
    /// may change them. 404 when the class has no adoption on record (or no such class); 403
    /// `not_class_or_department_su`; 422 `invalid_reporting_adoption`.
    pub async fn update_adoption(&self, who: &Principal, class: &str, body: &Value) -> Result<Value, AppError> {
        const FIELDS: &[&str] = &["contact_person", "counselor"];
        let org = self.org();
        let day = today();
        let Some(c) = org.class(class).cloned() else {
            return Err(AppError::NotFound(format!("no class `{class}` in the org")));
        };
        may_keep_adoption(&org, who, &c, day, "change its reporting contacts")?;
        let invalid = invalid_adoption;
        let Some(obj) = body.as_object() else {
            return Err(invalid(vec![FieldError::new("", "not_an_object", "the body must be a JSON object")]));
        };
        let mut errors = Vec::new();
        for k in obj.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
            errors.push(FieldError::new(
                k,
                "unknown_field",
                format!("`{k}` cannot be changed (fields: {})", FIELDS.join(", ")),
            ));
        }
        let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
        for k in FIELDS.iter().filter(|k| obj.contains_key(**k) && text(k).is_none()) {
            errors.push(FieldError::new(k, "wrong_type", format!("`{k}` must be a person id")));
        }
        if FIELDS.iter().all(|k| !obj.contains_key(*k)) {
            errors.push(FieldError::new("", "required", "give `contact_person`, `counselor` or both"));
        }
        let contact = text("contact_person");
        let counselor = text("counselor");
        contact_errors(&org, &c.department, contact, counselor, day, &mut errors);
        if !errors.is_empty() {
            return Err(invalid(errors));
        }
        let _turn = self.writing().await;
        let txn = self.db.begin().await?;
        if store::adoption(&txn, class).await?.is_none() {
            txn.rollback().await.ok();
            return Err(AppError::NotFound(format!("{} has no reporting adoption on record", c.name.zh)));
        }
        store::update_adoption_contacts(&txn, class, contact, counselor).await?;
        let row = store::adoption(&txn, class).await?.ok_or_else(|| anyhow::anyhow!("adoption of {class} vanished"))?;
        txn.commit().await?;
        tracing::info!(class = %class, by = %who.person, "reporting contacts changed");
        Ok(json!({
            "class": row.class, "class_name": c.name.zh, "date": row.date, "term": row.term,
            "contact_person": row.contact_person,
            "contact_person_name": row.contact_person.as_deref().and_then(|p| org.person(p)).map(|p| p.name.clone()),
            "counselor": row.counselor,
            "counselor_name": row.counselor.as_deref().and_then(|p| org.person(p)).map(|p| p.name.clone()),
            "recorded_by": row.recorded_by, "request": row.request,
        }))
    }

    // ---- reporting checklist ----

    /// Records the built-in checklist ([`checklist::builtin`]) as version 1, signed off, when no
    /// version is stored (a fresh daemon, or one from before the checklist was data).
    pub async fn seed_builtin_checklist(&self) -> Result<(), AppError> {
        let _turn = self.writing().await;
        let txn = self.db.begin().await?;
        if store::any_version(&txn).await? {
            return Ok(());
        }
        let note = "内置清单（重大事项请示报告清单）";
        let now = chrono::Utc::now().timestamp_millis();
        let written = match store::insert_version(&txn, &checklist::builtin(), note, None, now).await {
            Ok(_) => txn.commit().await.map_err(entities::store::StoreError::from),
            Err(e) => Err(e),
        };
        match written {
            Ok(()) => Ok(()),
            // Another daemon on the same database wrote version 1 at the same moment.
            Err(_) if store::any_version(&self.db).await? => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether `who` may draft checklist versions: an admin, the school SU presidium or its
    /// secretary-general.
    pub fn drafts_checklist(&self, who: &Principal) -> bool {
        who.admin
            || self
                .org()
                .posts_of(&who.person, today())
                .iter()
                .any(|p| p.body == "school_su" && (p.role.is_presidium() || p.role == Role::SecretaryGeneral))
    }

    /// Whether `who` may sign off a version: a current member of 校团委 (any post in
    /// `school_league_committee`). Being an admin is not enough.
    pub fn signs_off_checklist(&self, who: &Principal) -> bool {
        self.org().posts_of(&who.person, today()).iter().any(|p| p.body == "school_league_committee")
    }

    /// The current (highest signed-off) checklist version.
    pub async fn current_checklist(&self) -> Result<Option<ChecklistVersion>, AppError> {
        Ok(store::current(&self.db).await?)
    }

    /// Version `n`: everyone sees signed-off versions; drafts only those who draft or sign off
    /// (404 for the others).
    pub async fn checklist_version(&self, who: &Principal, n: i32) -> Result<ChecklistVersion, AppError> {
        let v = store::version(&self.db, n).await?;
        match v {
            Some(v) if v.row.status == store::SIGNED_OFF => Ok(v),
            Some(v) if self.drafts_checklist(who) || self.signs_off_checklist(who) => Ok(v),
            _ => Err(AppError::NotFound(format!("no reporting checklist version {n}"))),
        }
    }

    /// Versions after `after`, at most `limit`; drafts only for those who draft or sign off.
    pub async fn checklist_versions(
        &self,
        who: &Principal,
        status: Option<&str>,
        after: Option<i32>,
        limit: u64,
    ) -> Result<Vec<ChecklistVersion>, AppError> {
        let all = self.drafts_checklist(who) || self.signs_off_checklist(who);
        if !all && status == Some(store::DRAFT) {
            return Ok(Vec::new());
        }
        let status = if all { status } else { Some(store::SIGNED_OFF) };
        Ok(store::versions(&self.db, status, after, limit).await?)
    }

    /// Drafts a new version. Body: `{"items": [item…], "note": "…" (optional, ≤ 500
    /// characters)}`. 403 `not_checklist_maintainer`; 422 `invalid_checklist` with each item's
    /// problems.
    pub async fn draft_checklist(&self, who: &Principal, body: &Value) -> Result<ChecklistVersion, AppError> {
        if !self.drafts_checklist(who) {
            return Err(AppError::Refused {
                code: "not_checklist_maintainer",
                message: "only the school SU presidium and secretary-general (and admins) keep the reporting checklist"
                    .into(),
            });
        }
        let invalid = |fields: Vec<FieldError>| AppError::Invalid {
            code: "invalid_checklist",
            message: "the reporting checklist has field problems".into(),
            fields,
        };
        let Some(obj) = body.as_object() else {
            return Err(invalid(vec![FieldError::new("", "not_an_object", "the body must be a JSON object")]));
        };
        let mut errors: Vec<FieldError> = obj
            .keys()
            .filter(|k| !["items", "note"].contains(&k.as_str()))
            .map(|k| FieldError::new(k, "unknown_field", format!("`{k}` is not a field (fields: items, note)")))
            .collect();
        let note = match obj.get("note") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) if s.trim().chars().count() <= 500 => s.trim().to_string(),
            Some(_) => {
                errors.push(FieldError::new("note", "wrong_type", "`note` is text of at most 500 characters"));
                String::new()
            }
        };
        let items = match checklist::read_items(obj.get("items").unwrap_or(&Value::Null)) {
            Ok(items) => items,
            Err(e) => {
                errors.extend(e);
                Vec::new()
            }
        };
        if !errors.is_empty() {
            return Err(invalid(errors));
        }
        let _turn = self.writing().await;
        let txn = self.db.begin().await?;
        let n = store::insert_version(&txn, &items, &note, Some(&who.person), chrono::Utc::now().timestamp_millis())
            .await?;
        let v = store::version(&txn, n).await?.ok_or_else(|| anyhow::anyhow!("version {n} vanished"))?;
        txn.commit().await?;
        tracing::info!(version = n, by = %who.person, "reporting checklist drafted");
        Ok(v)
    }

    /// Signs off draft version `n` as `who` (校团委). 403 `not_league_committee`; 404 for no
    /// such version; 409 `already_signed_off`.
    pub async fn sign_off_checklist(&self, who: &Principal, n: i32) -> Result<ChecklistVersion, AppError> {
        if !self.signs_off_checklist(who) {
            return Err(AppError::Refused {
                code: "not_league_committee",
                message: "only the school League committee (校团委) signs off a reporting checklist version".into(),
            });
        }
        let _turn = self.writing().await;
        let txn = self.db.begin().await?;
        let Some(v) = store::version(&txn, n).await? else {
            txn.rollback().await.ok();
            return Err(AppError::NotFound(format!("no reporting checklist version {n}")));
        };
        if !store::sign_off(&txn, n, &who.person, chrono::Utc::now().timestamp_millis()).await? {
            txn.rollback().await.ok();
            let by = v.row.signed_by.as_deref().map(|p| name_of(&self.org(), p)).unwrap_or_else(|| "内置".into());
            return Err(AppError::Conflict {
                code: "already_signed_off",
                message: format!("reporting checklist version {n} was signed off already (by {by})"),
            });
        }
        let v = store::version(&txn, n).await?.ok_or_else(|| anyhow::anyhow!("version {n} vanished"))?;
        txn.commit().await?;
        tracing::info!(version = n, by = %who.person, "reporting checklist signed off");
        Ok(v)
    }

    /// For an M1 request (`key` one of [`checklist::M1_WORKFLOWS`]): refuses a form whose
    /// `matter_type` is not in the current signed-off checklist (422 `not_in_checklist` naming
    /// `matter_type`, or `kind` when the item is only requested or only reported), and returns
    /// `def` with its `matter_type` enum made the checklist's. Other workflows: `def` as is.
    pub async fn with_checklist(
        &self,
        key: &str,
        def: Arc<Definition>,
        form: &Value,
    ) -> Result<Arc<Definition>, AppError> {
        if !checklist::M1_WORKFLOWS.contains(&key) || def.field(checklist::MATTER_TYPE_FIELD).is_none() {
            return Ok(def);
        }
        let Some(current) = self.current_checklist().await? else { return Ok(def) };
        let errors = checklist::check_form(current.row.version, &current.items, form);
        if !errors.is_empty() {
            return Err(AppError::Invalid {
                code: "not_in_checklist",
                message: format!(
                    "the matter is not on the reporting checklist (version {}) signed off by 校团委",
                    current.row.version
                ),
                fields: errors,
            });
        }
        let mut patched = (*def).clone();
        checklist::apply_to_definition(&mut patched, &current.items);
        Ok(Arc::new(patched))
    }

    // ---- training attendance ----

    /// Adds people to the attendance of training session `session`: `rows` are (where, id) —
    /// where is `people[3]` or `row 4`, id a person id or a 学号/工号. All or nothing: unknown
    /// ids are refused (422 `unknown_people`, one field per row: `row 4: `x` …`); people already
    /// on the list, or listed twice, are skipped. 404 for an unknown session; 403
    /// `not_organiser` for a caller who is neither an admin nor in the presidium of the
    /// organising body.
    pub async fn import_attendance(
        &self,
        who: &Principal,
        session: &str,
        rows: &[(String, String)],
    ) -> Result<Value, AppError> {
        let Some(s) = store::training_session(&self.db, session).await? else {
            return Err(AppError::NotFound(format!("no training session `{session}`")));
        };
        let org = self.org();
        let may = who.admin
            || org.posts_of(&who.person, today()).iter().any(|p| p.body == s.organiser && p.role.is_presidium());
        if !may {
            return Err(AppError::Refused {
                code: "not_organiser",
                message: format!(
                    "only the presidium of {} and admins may add to this session's attendance",
                    s.organiser
                ),
            });
        }
        if rows.is_empty() {
            return Err(AppError::Invalid {
                code: "no_people",
                message: "the list names nobody".into(),
                fields: vec![FieldError::new("people", "required", "give at least one person id or 学号")],
            });
        }
        let by_number: HashMap<&str, &str> =
            org.org().people.iter().filter_map(|p| p.number.as_deref().map(|n| (n, p.id.as_str()))).collect();
        let mut people: Vec<String> = Vec::new();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut unknown = Vec::new();
        for (at, raw) in rows {
            let id = raw.trim();
            let found = org.person(id).map(|p| p.id.as_str()).or_else(|| by_number.get(id).copied());
            match found {
                Some(p) => {
                    if seen.insert(p.to_string()) {
                        people.push(p.to_string());
                    }
                }
                None => unknown.push(FieldError::new(
                    at,
                    "unknown_person",
                    format!("{at}: `{id}` is neither a person id nor a 学号/工号 of the org"),
                )),
            }
        }
        if !unknown.is_empty() {
            return Err(AppError::Invalid {
                code: "unknown_people",
                message: format!("{} of the listed people are not in the org; nothing was added", unknown.len()),
                fields: unknown,
            });
        }
        let _turn = self.writing().await;
        let txn = self.db.begin().await?;
        let (added, already) = store::add_attendance(&txn, session, &people).await?;
        let total = store::attendance_count(&txn, session).await?;
        txn.commit().await?;
        tracing::info!(session = %session, added, by = %who.person, "training attendance imported");
        Ok(json!({
            "session": session, "rows": rows.len(), "added": added,
            "already_attending": already, "duplicates": rows.len() - people.len(), "attendees": total,
        }))
    }
}
