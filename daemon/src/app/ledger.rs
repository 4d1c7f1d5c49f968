//! The liaisons' work ledger (M2 工作台账, domain.md §3): an entry is written by a current liaison
//! of its target — a school SU liaison of the department SU or key class, or a department SU
//! presidium member for a class of their department ("every class is covered by its department
//! SU's leaders") — and edited by its author for `[ledger] edit_days`; it is read by its author,
//! admins, the oversight roles (school SU presidium and secretary-general, 校团委) and, for a
//! unit of a department, that department's League org, Party org and SU presidium. The ledger
//! feeds the duty report (述职): a definition's `computed: ledger.*` fields are filled here.

use super::{App, AppError, Principal};
use chrono::{NaiveDate, Utc};
use entities::store::ledger::{self as store, EntryFields, ListFilter, StoredEntry, TargetSummary, Visibility};
use serde_json::Value;
use workflows::catalog::{BodyKind, Lang, Role};
use workflows::form::FieldError;
use workflows::model::{Computed, Definition};
use workflows::org::{Directory, OrgDirectory, Scope};
use workflows::records::{ContactMode, Semester, SemesterHalf, Target, TargetKind};

/// Today in Asia/Shanghai: the day entries are dated against.
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

/// The first day of a semester (1 September for autumn, 1 March for spring; domain.md §5).
pub fn semester_start(s: Semester) -> NaiveDate {
    let (year, month) = match s.half {
        SemesterHalf::Autumn => (s.year, 9),
        SemesterHalf::Spring => (s.year + 1, 3),
    };
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default()
}

/// The fields an entry has in the API.
const FIELDS: &[&str] = &["target", "date", "mode", "problem", "help", "resolution"];
const MODES: &[(&str, ContactMode)] = &[
    ("visit", ContactMode::Visit),
    ("meeting", ContactMode::Meeting),
    ("online", ContactMode::Online),
    ("phone", ContactMode::Phone),
];

fn invalid(fields: Vec<FieldError>) -> AppError {
    AppError::Invalid { code: "invalid_ledger_entry", message: "the ledger entry has field problems".into(), fields }
}

/// An entry's fields as sent: each given or not (an edit sends only what changes).
#[derive(Debug, Default)]
struct Draft {
    target: Option<Target>,
    date: Option<NaiveDate>,
    mode: Option<ContactMode>,
    problem: Option<String>,
    help: Option<String>,
    resolution: Option<String>,
}

/// Reads a body into a draft: every broken field at once (unknown fields, an unknown target, a
/// day that is not a date or is in the future, a mode not in the list, a text over the limit).
fn read_draft(body: &Value, max_chars: usize, org: &OrgDirectory, today: NaiveDate) -> Result<Draft, Vec<FieldError>> {
    let Some(obj) = body.as_object() else {
        return Err(vec![FieldError::new("", "not_an_object", "the body must be a JSON object")]);
    };
    let mut errors = Vec::new();
    for k in obj.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
        errors.push(FieldError::new(
            k,
            "unknown_field",
            format!("`{k}` is not a field of a ledger entry (fields: {})", FIELDS.join(", ")),
        ));
    }
    let mut d = Draft::default();
    if let Some(t) = obj.get("target").filter(|v| !v.is_null()) {
        d.target = read_target(t, org, &mut errors);
    }
    if let Some(v) = obj.get("date").filter(|v| !v.is_null()) {
        match v.as_str().map(|s| (s, NaiveDate::parse_from_str(s, "%Y-%m-%d"))) {
            Some((_, Ok(day))) if day > today => errors.push(FieldError::new(
                "date",
                "in_future",
                format!("`date` {day} is in the future (today is {today} in Asia/Shanghai)"),
            )),
            Some((_, Ok(day))) => d.date = Some(day),
            Some((s, Err(_))) => {
                errors.push(FieldError::new("date", "bad_date", format!("`date`: `{s}` is not a date (YYYY-MM-DD)")))
            }
            None => errors.push(FieldError::new("date", "wrong_type", "`date` must be a date as text (YYYY-MM-DD)")),
        }
    }
    if let Some(v) = obj.get("mode").filter(|v| !v.is_null()) {
        let names: Vec<&str> = MODES.iter().map(|(n, _)| *n).collect();
        match v.as_str().and_then(|s| MODES.iter().find(|(n, _)| *n == s)) {
            Some((_, m)) => d.mode = Some(*m),
            None => errors.push(FieldError::new(
                "mode",
                "not_allowed",
                format!("`mode`: `{}` is not one of {}", v.as_str().unwrap_or(&v.to_string()), names.join(", ")),
            )),
        }
    }
    for (name, slot) in [("problem", &mut d.problem), ("help", &mut d.help), ("resolution", &mut d.resolution)] {
        let Some(v) = obj.get(name).filter(|v| !v.is_null()) else { continue };
        match v.as_str() {
            Some(s) if s.trim().chars().count() > max_chars => errors.push(FieldError::new(
                name,
                "too_long",
                format!("`{name}` is longer than {max_chars} characters ({})", s.trim().chars().count()),
            )),
            Some(s) => *slot = Some(s.trim().to_string()),
            None => errors.push(FieldError::new(name, "wrong_type", format!("`{name}` must be text"))),
        }
    }
    if errors.is_empty() { Ok(d) } else { Err(errors) }
}

fn read_target(v: &Value, org: &OrgDirectory, errors: &mut Vec<FieldError>) -> Option<Target> {
    let Some(t) = v.as_object() else {
        errors.push(FieldError::new(
            "target",
            "wrong_type",
            r#"`target` must be {"kind": "department" | "class", "id": "…"}"#,
        ));
        return None;
    };
    for k in t.keys().filter(|k| !["kind", "id"].contains(&k.as_str())) {
        errors.push(FieldError::new(
            &format!("target.{k}"),
            "unknown_field",
            format!("`{k}` is not a field of a target"),
        ));
    }
    let kind = match t.get("kind").and_then(Value::as_str) {
        Some("department") => Some(TargetKind::Department),
        Some("class") => Some(TargetKind::Class),
        Some(other) => {
            errors.push(FieldError::new(
                "target.kind",
                "not_allowed",
                format!("`{other}` is not one of department, class"),
            ));
            None
        }
        None => {
            errors.push(FieldError::new("target.kind", "required", "`target.kind` is required (department or class)"));
            None
        }
    };
    let id = match t.get("id").and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()) {
        Some(id) => Some(id.to_string()),
        None => {
            errors.push(FieldError::new(
                "target.id",
                "required",
                "`target.id` is required (a department or class code)",
            ));
            None
        }
    };
    let (kind, id) = (kind?, id?);
    let known = match kind {
        TargetKind::Department => org.department(&id).is_some(),
        TargetKind::Class => org.class(&id).is_some(),
    };
    if !known {
        let what = if kind == TargetKind::Department { "department" } else { "class" };
        errors.push(FieldError::new("target.id", "unknown_reference", format!("there is no {what} `{id}`")));
        return None;
    }
    Some(Target { kind, id })
}

/// The department a target belongs to (itself, or the class's).
fn department_of(org: &OrgDirectory, t: &Target) -> String {
    match t.kind {
        TargetKind::Department => t.id.clone(),
        TargetKind::Class => org.class(&t.id).map(|c| c.department.clone()).unwrap_or_default(),
    }
}

/// The name of a target as people read it: 计算机学院学生会, 计算机2023级1班.
pub fn target_name(org: &OrgDirectory, t: &Target, lang: Lang) -> String {
    match t.kind {
        // As the duty mails name it (workflows::duties): 计算机学院学生会, School of Computer Science SU.
        TargetKind::Department => org.department(&t.id).map_or_else(
            || t.id.clone(),
            |d| match lang {
                Lang::Zh => format!("{}学生会", d.name.zh),
                Lang::En => format!("{} SU", d.name.get(lang)),
            },
        ),
        TargetKind::Class => org.class(&t.id).map_or_else(|| t.id.clone(), |c| c.name.get(lang).to_string()),
    }
}

/// The first day of `person`'s current liaison assignments to `t` (their earliest start), or
/// `None` when they are no liaison of it today: an org liaison assignment (M2, both levels), or,
/// for a class, a presidium post in its department's SU.
fn assignment_start(org: &OrgDirectory, person: &str, t: &Target, day: NaiveDate) -> Option<NaiveDate> {
    let assigned = org.liaisons_of(&t.id, day).into_iter().filter(|l| {
        l.person == person
            && match t.kind {
                TargetKind::Department => l.department.as_deref() == Some(t.id.as_str()),
                TargetKind::Class => l.class.as_deref() == Some(t.id.as_str()),
            }
    });
    let mut starts: Vec<NaiveDate> = assigned.map(|l| l.from).collect();
    if t.kind == TargetKind::Class
        && let Some(class) = org.class(&t.id)
    {
        let su = workflows::org::body_id(BodyKind::DepartmentSu, &Scope::Department(class.department.clone()), None);
        starts
            .extend(org.posts_of(person, day).iter().filter(|p| p.body == su && p.role.is_presidium()).map(|p| p.from));
    }
    starts.into_iter().min()
}

/// Whole entry fields from a draft over what an entry had (`base`): missing required fields and
/// a day before the author's assignment are field problems; no current assignment is 403.
fn complete(
    org: &OrgDirectory,
    author: &str,
    d: Draft,
    base: Option<&StoredEntry>,
    today: NaiveDate,
) -> Result<EntryFields, AppError> {
    let b = base.map(|e| &e.entry);
    let target = d.target.or_else(|| b.map(|e| e.target.clone()));
    let date = d.date.or(b.map(|e| e.date));
    let mode = d.mode.or(b.map(|e| e.mode));
    let mut missing = Vec::new();
    for (name, absent) in [("target", target.is_none()), ("date", date.is_none()), ("mode", mode.is_none())] {
        if absent {
            missing.push(FieldError::new(name, "required", format!("`{name}` is required")));
        }
    }
    let (Some(target), Some(date), Some(mode)) = (target, date, mode) else { return Err(invalid(missing)) };
    let Some(start) = assignment_start(org, author, &target, today) else {
        return Err(AppError::Refused {
            code: "not_a_liaison",
            message: format!(
                "only a current liaison of {} may write its ledger entries",
                target_name(org, &target, Lang::Zh)
            ),
        });
    };
    if date < start {
        return Err(invalid(vec![FieldError::new(
            "date",
            "before_assignment",
            format!(
                "`date` {date} is before your assignment to {} began ({start})",
                target_name(org, &target, Lang::Zh)
            ),
        )]));
    }
    let text = |new: Option<String>, old: Option<&String>| new.or_else(|| old.cloned()).unwrap_or_default();
    Ok(EntryFields {
        department: department_of(org, &target),
        target,
        date,
        mode,
        problem: text(d.problem, b.map(|e| &e.problem)),
        help: text(d.help, b.map(|e| &e.help)),
        resolution: text(d.resolution, b.map(|e| &e.resolution)),
    })
}

/// SHA-256 (hex) of a body as the daemon read it (the idempotency fingerprint).
pub(super) fn fingerprint(body: &Value) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(body.to_string().as_bytes()))
}

/// 422 `idempotency_key_reused`: the key came before with another body (`what` says what it wrote).
pub(super) fn key_reused(what: String) -> AppError {
    AppError::Invalid {
        code: "idempotency_key_reused",
        message: "this Idempotency-Key was already used with a different body; use a new key".into(),
        fields: vec![FieldError::new("Idempotency-Key", "idempotency_key_reused", what)],
    }
}

impl App {
    /// When an entry written at `created_at` stops being editable by its author (`[ledger] edit_days`).
    pub fn ledger_editable_until(&self, created_at: chrono::DateTime<Utc>) -> chrono::DateTime<Utc> {
        created_at + chrono::Duration::days(i64::from(self.ledger.edit_days))
    }

    /// Writes a ledger entry by the caller from an API body, in one transaction. 422
    /// `invalid_ledger_entry` with the fields, 403 `not_a_liaison`; with an `Idempotency-Key`, a
    /// retry with the same body gets the first entry back, another body 422 `idempotency_key_reused`.
    pub async fn add_ledger_entry(
        &self,
        who: &Principal,
        body: &Value,
        idempotency_key: Option<&str>,
    ) -> Result<StoredEntry, AppError> {
        let hash = fingerprint(body);
        if let Some(k) = idempotency_key
            && let Some(e) = self.ledger_replayed(who, k, &hash).await?
        {
            return Ok(e);
        }
        let fields = {
            let org = self.org();
            let today = today();
            let draft = read_draft(body, self.ledger.max_text_chars as usize, &org, today).map_err(invalid)?;
            complete(&org, &who.person, draft, None, today)?
        };
        let id = uuid::Uuid::now_v7().to_string();
        let now = Utc::now().timestamp_millis();
        let written = {
            let _turn = self.writing().await;
            let txn = entities::sea_orm::TransactionTrait::begin(&self.db).await?;
            match store::insert(&txn, &id, &who.person, &fields, now, idempotency_key.map(|k| (k, hash.as_str()))).await
            {
                Ok(e) => txn.commit().await.map(|_| e).map_err(entities::store::StoreError::from),
                Err(e) => {
                    txn.rollback().await.ok();
                    Err(e)
                }
            }
        };
        match written {
            Ok(e) => Ok(e),
            Err(e) => {
                // The same key raced us: the winner's entry (or 422 for another body).
                if let Some(k) = idempotency_key
                    && let Some(e) = self.ledger_replayed(who, k, &hash).await?
                {
                    return Ok(e);
                }
                Err(e.into())
            }
        }
    }

    async fn ledger_replayed(&self, who: &Principal, key: &str, hash: &str) -> Result<Option<StoredEntry>, AppError> {
        let Some((e, h)) = store::by_idempotency_key(&self.db, &who.person, key).await? else { return Ok(None) };
        if h.as_deref().is_some_and(|h| h != hash) {
            return Err(key_reused(format!(
                "ledger entry `{}` was written with this key and another body",
                e.entry.id
            )));
        }
        Ok(Some(e))
    }

    /// What the caller may read of the ledger.
    pub fn ledger_visibility(&self, who: &Principal) -> Visibility {
        if who.admin {
            return Visibility::All;
        }
        let org = self.org();
        let mut departments: Vec<String> = Vec::new();
        for post in org.posts_of(&who.person, today()) {
            let Some(body) = org.body_by_id(&post.body) else { continue };
            match (body.kind, &body.scope) {
                (BodyKind::SchoolSu, _) if post.role.is_presidium() || post.role == Role::SecretaryGeneral => {
                    return Visibility::All;
                }
                (BodyKind::SchoolLeagueCommittee, _) => return Visibility::All,
                (BodyKind::DepartmentLeagueOrg | BodyKind::DepartmentPartyOrg, Scope::Department(d)) => {
                    departments.push(d.clone())
                }
                (BodyKind::DepartmentSu, Scope::Department(d)) if post.role.is_presidium() => {
                    departments.push(d.clone())
                }
                _ => {}
            }
        }
        departments.sort();
        departments.dedup();
        Visibility::Some { person: who.person.clone(), departments }
    }

    /// Entry `id` if the caller may read it (404 otherwise, as if there were none).
    pub async fn ledger_entry(&self, who: &Principal, id: &str) -> Result<StoredEntry, AppError> {
        store::get(&self.db, id)
            .await?
            .filter(|e| self.ledger_visibility(who).allows(e))
            .ok_or_else(|| AppError::NotFound(format!("no ledger entry `{id}`")))
    }

    /// Edits entry `id` by its author within `[ledger] edit_days` of writing it: the fields sent
    /// replace the entry's, checked as a new entry's are. 403 `not_the_author`, 409
    /// `ledger_entry_locked` after the window.
    pub async fn edit_ledger_entry(&self, who: &Principal, id: &str, body: &Value) -> Result<StoredEntry, AppError> {
        let old = self.ledger_entry(who, id).await?;
        if old.entry.liaison != who.person {
            return Err(AppError::Refused {
                code: "not_the_author",
                message: "only its author may edit a ledger entry".into(),
            });
        }
        let now = Utc::now();
        let since = now - chrono::Duration::days(i64::from(self.ledger.edit_days));
        let locked = || AppError::Conflict {
            code: "ledger_entry_locked",
            message: format!(
                "a ledger entry can be edited for {} days after it was written; this one was written {} and is now a record",
                self.ledger.edit_days,
                old.entry.created_at.to_rfc3339()
            ),
        };
        if old.entry.created_at < since {
            return Err(locked());
        }
        let fields = {
            let org = self.org();
            let today = today();
            let draft = read_draft(body, self.ledger.max_text_chars as usize, &org, today).map_err(invalid)?;
            complete(&org, &who.person, draft, Some(&old), today)?
        };
        let changed = {
            let _turn = self.writing().await;
            store::update(&self.db, id, &fields, now.timestamp_millis(), since.timestamp_millis()).await?
        };
        if !changed {
            return Err(locked());
        }
        self.ledger_entry(who, id).await
    }

    /// The entries the caller may read that match `f`, newest written first, at most `limit`.
    pub async fn ledger_list(&self, who: &Principal, f: &ListFilter, limit: u64) -> Result<Vec<StoredEntry>, AppError> {
        Ok(store::list(&self.db, f, &self.ledger_visibility(who), limit).await?)
    }

    /// `person`'s ledger per target for contacts in `from..=to`, as far as the caller may read it.
    pub async fn ledger_summary(
        &self,
        who: &Principal,
        person: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<TargetSummary>, AppError> {
        Ok(store::summary(&self.db, person, from, to, &self.ledger_visibility(who)).await?)
    }

    /// The training sessions (M4) `person` attended in `semester` up to `to`, as the duty report
    /// shows them (`computed: trainings.summary`).
    async fn trainings_summary(
        &self,
        person: &str,
        semester: Semester,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<String, AppError> {
        let filter = entities::store::records::ListFilter {
            person: Some(person.to_string()),
            from: Some(from),
            to: Some(to),
            ..Default::default()
        };
        let page = entities::store::records::list(&self.db, "trainings", &filter, None, 50).await?.unwrap_or_default();
        let org = self.org();
        let mut text = semester.zh().to_string();
        if page.items.is_empty() {
            text.push_str("未参加履职培训。");
            return Ok(text);
        }
        text.push_str(&format!("参加履职培训{}次：", page.items.len()));
        let lines: Vec<String> = page
            .items
            .iter()
            .map(|t| {
                let s = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
                let day = NaiveDate::parse_from_str(&s("date"), "%Y-%m-%d")
                    .map_or_else(|_| s("date"), |d| workflows::calendar::format_date(d, Lang::Zh));
                let body = workflows::records::outcome::body_name(org.as_ref(), &s("organiser"), Lang::Zh);
                format!("{day} {body}「{}」", s("topic"))
            })
            .collect();
        text.push_str(&lines.join("；"));
        Ok(text)
    }

    /// `person`'s latest duty review results (M10), newest first, as staff selection shows them
    /// for a candidate (`computed: duty_review.latest`).
    async fn duty_reviews_summary(&self, person: &str) -> Result<String, AppError> {
        let results = entities::store::duty_review::latest(&self.db, person, 3).await?;
        if results.is_empty() {
            return Ok("暂无述职评议结果。".into());
        }
        let org = self.org();
        let lines: Vec<String> = results
            .iter()
            .map(|r| {
                format!(
                    "{} {}述职评议：加权均分{}，{}（{}份评分表，{}）",
                    r.semester,
                    workflows::records::outcome::body_name(org.as_ref(), &r.su, Lang::Zh),
                    r.total,
                    if r.satisfactory { "合格" } else { "不合格" },
                    r.sheets,
                    workflows::calendar::format_date(r.date, Lang::Zh)
                )
            })
            .collect();
        Ok(lines.join("\n"))
    }

    /// `form` with the definition's computed fields filled for `person` (the submitter): the
    /// ledger of the semester of today (`ledger.entries`, `ledger.summary`). A value typed into
    /// a computed field is refused (422 `invalid_form`, field code `computed`).
    pub async fn with_computed(&self, def: &Definition, person: &str, form: &Value) -> Result<Value, AppError> {
        self.with_computed_on(def, person, None, form).await
    }

    /// `with_computed` for request `request` (`None` before it exists): its `computed:
    /// records.*` fields count the entries recorded on it (M8; 0 before it exists).
    pub async fn with_computed_on(
        &self,
        def: &Definition,
        person: &str,
        request: Option<&str>,
        form: &Value,
    ) -> Result<Value, AppError> {
        if def.form.iter().all(|f| f.computed.is_none()) {
            return Ok(form.clone());
        }
        let counted = self.entry_counts(def, request).await?;
        let to = today();
        let semester = Semester::of(to);
        let from = semester_start(semester);
        let lines = store::summary(&self.db, person, from, to, &Visibility::All).await?;
        let total = |f: fn(&TargetSummary) -> i64| lines.iter().map(f).sum::<i64>();
        let (entries, problems, solved) = (total(|l| l.entries), total(|l| l.problems), total(|l| l.solved));
        let summary = {
            let org = self.org();
            let date = |d| workflows::calendar::format_date(d, Lang::Zh);
            let mut text = format!("{}（{}至{}）", semester.zh(), date(from), date(to));
            if lines.is_empty() {
                text.push_str("未记录联系台账。");
            } else {
                text.push_str(&format!("联系台账共{entries}条，反映问题{problems}个，已解决{solved}个。"));
                for l in &lines {
                    text.push_str(&format!(
                        "\n{}：{}条，反映问题{}个，已解决{}个",
                        target_name(&org, &l.target, Lang::Zh),
                        l.entries,
                        l.problems,
                        l.solved
                    ));
                }
            }
            text
        };
        let by_source: std::collections::HashMap<Computed, Value> =
            def.form.iter().filter_map(|f| Some((f.computed?, counted.get(&f.name)?.clone()))).collect();
        // The annual assessment's total and grade come from the score sheets (M10).
        let assessed = if def
            .form
            .iter()
            .any(|f| matches!(f.computed, Some(Computed::AssessmentTotal | Computed::AssessmentGrade)))
        {
            self.computed_assessment(form).await?
        } else {
            None
        };
        let wants = |c: Computed| def.form.iter().any(|f| f.computed == Some(c));
        let trainings = if wants(Computed::TrainingsSummary) {
            self.trainings_summary(person, semester, from, to).await?
        } else {
            String::new()
        };
        let reviews = if wants(Computed::DutyReviewLatest) {
            // Of the candidate a staff selection names, else the submitter.
            let candidate = form.get("candidate").and_then(Value::as_str).unwrap_or(person);
            self.duty_reviews_summary(candidate).await?
        } else {
            String::new()
        };
        workflows::form::fill_computed(def, form, |c| match c {
            Computed::LedgerEntries => Value::from(entries),
            Computed::LedgerSummary => Value::String(summary.clone()),
            Computed::AssessmentTotal => assessed.map_or(Value::Null, |a| Value::from(a.0)),
            Computed::AssessmentGrade => assessed.map_or(Value::Null, |a| Value::from(a.1.as_str())),
            Computed::TrainingsSummary => Value::String(trainings.clone()),
            Computed::DutyReviewLatest => Value::String(reviews.clone()),
            other => by_source.get(&other).cloned().unwrap_or(Value::from(0)),
        })
        .map_err(|fields| AppError::Invalid {
            code: "invalid_form",
            message: "the form does not match the workflow's schema".into(),
            fields,
        })
    }
}
