//! The participation records (issue 11, requirement 2): volunteer hours (M7) logged and listed
//! newest first with a keyset cursor, and read per (department, person) for the semester
//! summary; the students' own co-design and evaluation entries on a service project (M8), one per
//! student, project and kind, and the distinct students and classes they count; the co-hosted
//! activities (M6) an outcome records, listed by day.
//!
//! Dates are calendar days (Asia/Shanghai), times milliseconds since the epoch; hours are kept in
//! tenths (15 = 1.5 h) so every database adds them exactly.

use super::{StoreError, from_millis};
use crate::entity::participation::{co_host, participation_entry as entry, volunteer_hour as hours};
use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use std::collections::BTreeSet;
use workflows::records::{CoHost, ParticipationKind};

/// What a volunteer-hours entry says (who logged it and when aside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoursFields {
    /// The volunteer.
    pub person: String,
    /// Their department code ("" when none).
    pub department: String,
    /// Their class code.
    pub class: Option<String>,
    /// The day served.
    pub date: NaiveDate,
    /// Tenths of an hour (5–240).
    pub tenths: i32,
    /// The activity or what was done.
    pub activity: String,
    /// The request it served.
    pub request: Option<String>,
}

/// A volunteer-hours entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredHours {
    /// Its id.
    pub id: String,
    /// What it says.
    pub fields: HoursFields,
    /// Who logged it.
    pub logged_by: String,
    /// When.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

fn stored_hours(m: hours::Model) -> StoredHours {
    StoredHours {
        id: m.id,
        fields: HoursFields {
            person: m.person,
            department: m.department,
            class: m.class,
            date: m.date,
            tenths: m.tenths,
            activity: m.activity,
            request: m.request,
        },
        logged_by: m.logged_by,
        created_at: from_millis(m.created_at),
    }
}

/// Who may read which volunteer hours: the work ledger's readers ([`super::ledger::Visibility`]):
/// all of them, or a person's own (as volunteer or as the one who logged them) plus those of some
/// departments.
pub use super::ledger::Visibility;

/// The rows `visible` may read, `None` for all of them.
fn hours_condition(visible: &Visibility) -> Option<Condition> {
    match visible {
        Visibility::All => None,
        Visibility::Some { person, departments } => {
            let mut c = Condition::any()
                .add(hours::Column::Person.eq(person.clone()))
                .add(hours::Column::LoggedBy.eq(person.clone()));
            if !departments.is_empty() {
                c = c.add(hours::Column::Department.is_in(departments.clone()));
            }
            Some(c)
        }
    }
}

/// Filters of a volunteer-hours list (combined with AND) and its cursor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HoursFilter {
    /// The volunteer.
    pub person: Option<String>,
    /// Their department.
    pub department: Option<String>,
    /// The request served.
    pub request: Option<String>,
    /// Served on or after.
    pub from: Option<NaiveDate>,
    /// Served on or before.
    pub to: Option<NaiveDate>,
    /// Entries logged before this `(created_at ms, id)`.
    pub after: Option<(i64, String)>,
}

/// Logs entry `id` by `logged_by` at `now_ms`.
pub async fn insert_hours<C: ConnectionTrait>(
    db: &C,
    id: &str,
    logged_by: &str,
    f: &HoursFields,
    now_ms: i64,
) -> Result<StoredHours, StoreError> {
    let m = hours::Model {
        id: id.to_string(),
        person: f.person.clone(),
        department: f.department.clone(),
        class: f.class.clone(),
        date: f.date,
        tenths: f.tenths,
        activity: f.activity.clone(),
        request: f.request.clone(),
        logged_by: logged_by.to_string(),
        created_at: now_ms,
    };
    hours::Entity::insert(hours::ActiveModel {
        id: Set(m.id.clone()),
        person: Set(m.person.clone()),
        department: Set(m.department.clone()),
        class: Set(m.class.clone()),
        date: Set(m.date),
        tenths: Set(m.tenths),
        activity: Set(m.activity.clone()),
        request: Set(m.request.clone()),
        logged_by: Set(m.logged_by.clone()),
        created_at: Set(m.created_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(stored_hours(m))
}

/// The tenths of an hour already logged for `person` on `day` (every entry, whoever logged it).
pub async fn tenths_on<C: ConnectionTrait>(db: &C, person: &str, day: NaiveDate) -> Result<i64, StoreError> {
    let rows: Vec<i32> = hours::Entity::find()
        .select_only()
        .column(hours::Column::Tenths)
        .filter(hours::Column::Person.eq(person))
        .filter(hours::Column::Date.eq(day))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(i64::from).sum())
}

/// Entry `id`, if there is one.
pub async fn get_hours<C: ConnectionTrait>(db: &C, id: &str) -> Result<Option<StoredHours>, StoreError> {
    Ok(hours::Entity::find_by_id(id.to_string()).one(db).await?.map(stored_hours))
}

/// Entries the reader may see matching `f`, newest logged first (`created_at`, then `id`, both
/// descending), at most `limit`.
pub async fn list_hours<C: ConnectionTrait>(
    db: &C,
    f: &HoursFilter,
    visible: &Visibility,
    limit: u64,
) -> Result<Vec<StoredHours>, StoreError> {
    let mut q = hours::Entity::find();
    if let Some(c) = hours_condition(visible) {
        q = q.filter(c);
    }
    if let Some(p) = &f.person {
        q = q.filter(hours::Column::Person.eq(p.clone()));
    }
    if let Some(d) = &f.department {
        q = q.filter(hours::Column::Department.eq(d.clone()));
    }
    if let Some(r) = &f.request {
        q = q.filter(hours::Column::Request.eq(r.clone()));
    }
    if let Some(d) = f.from {
        q = q.filter(hours::Column::Date.gte(d));
    }
    if let Some(d) = f.to {
        q = q.filter(hours::Column::Date.lte(d));
    }
    if let Some((at, id)) = &f.after {
        q = q.filter(
            Condition::any()
                .add(hours::Column::CreatedAt.lt(*at))
                .add(Condition::all().add(hours::Column::CreatedAt.eq(*at)).add(hours::Column::Id.lt(id.clone()))),
        );
    }
    Ok(q.order_by_desc(hours::Column::CreatedAt)
        .order_by_desc(hours::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(stored_hours)
        .collect())
}

/// One volunteer's hours in a department over a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolunteerTotal {
    /// The department code ("" when none).
    pub department: String,
    /// The volunteer.
    pub person: String,
    /// Tenths of an hour in all.
    pub tenths: i64,
    /// Entries.
    pub entries: i64,
}

/// Per (department, volunteer) the hours served in `from..=to` that the reader may see, by
/// department then person. The rows are added up here rather than by `SUM` (a `DECIMAL` on
/// MySQL); only three narrow columns are read.
pub async fn totals<C: ConnectionTrait>(
    db: &C,
    from: NaiveDate,
    to: NaiveDate,
    visible: &Visibility,
) -> Result<Vec<VolunteerTotal>, StoreError> {
    let mut q = hours::Entity::find()
        .select_only()
        .column(hours::Column::Department)
        .column(hours::Column::Person)
        .column(hours::Column::Tenths)
        .filter(hours::Column::Date.gte(from))
        .filter(hours::Column::Date.lte(to));
    if let Some(c) = hours_condition(visible) {
        q = q.filter(c);
    }
    let rows: Vec<(String, String, i32)> = q.into_tuple().all(db).await?;
    let mut out: std::collections::BTreeMap<(String, String), (i64, i64)> = std::collections::BTreeMap::new();
    for (d, p, t) in rows {
        let e = out.entry((d, p)).or_default();
        e.0 += i64::from(t);
        e.1 += 1;
    }
    Ok(out
        .into_iter()
        .map(|((department, person), (tenths, entries))| VolunteerTotal { department, person, tenths, entries })
        .collect())
}

fn kind_name(k: ParticipationKind) -> &'static str {
    match k {
        ParticipationKind::CoDesign => "co_design",
        ParticipationKind::Evaluation => "evaluation",
    }
}

/// A student's entry on a service project as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// Its id.
    pub id: String,
    /// The request.
    pub request: String,
    /// Co-design or evaluation.
    pub kind: ParticipationKind,
    /// The student.
    pub person: String,
    /// Their class.
    pub class: Option<String>,
    /// An evaluation's rating (1–5).
    pub rating: Option<i32>,
    /// What they said.
    pub text: String,
    /// Written.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Last rewritten.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fn stored_entry(m: entry::Model) -> Result<StoredEntry, StoreError> {
    let kind = match m.kind.as_str() {
        "co_design" => ParticipationKind::CoDesign,
        "evaluation" => ParticipationKind::Evaluation,
        other => return Err(StoreError::Corrupt(format!("participation kind `{other}`"))),
    };
    Ok(StoredEntry {
        id: m.id,
        request: m.request,
        kind,
        person: m.person,
        class: m.class,
        rating: m.rating,
        text: m.text,
        created_at: from_millis(m.created_at),
        updated_at: from_millis(m.updated_at),
    })
}

/// What a student writes on a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFields {
    /// The request.
    pub request: String,
    /// Co-design or evaluation.
    pub kind: ParticipationKind,
    /// The student.
    pub person: String,
    /// Their class.
    pub class: Option<String>,
    /// An evaluation's rating.
    pub rating: Option<i32>,
    /// What they said.
    pub text: String,
}

/// `person`'s entry of `kind` on `request`, if they wrote one.
pub async fn entry_of<C: ConnectionTrait>(
    db: &C,
    request: &str,
    kind: ParticipationKind,
    person: &str,
) -> Result<Option<StoredEntry>, StoreError> {
    entry::Entity::find()
        .filter(entry::Column::Request.eq(request))
        .filter(entry::Column::Kind.eq(kind_name(kind)))
        .filter(entry::Column::Person.eq(person))
        .one(db)
        .await?
        .map(stored_entry)
        .transpose()
}

/// Writes the student's entry: over the one they already wrote on this request (one per
/// student, project and kind: the unique index holds it), or a new one as `id`. `true` when it is
/// new. It writes before it reads, so a SQLite transaction never has to turn a read lock into a
/// write lock (which SQLite refuses at once when another writer holds the file).
pub async fn put_entry<C: ConnectionTrait>(
    db: &C,
    id: &str,
    f: &EntryFields,
    now_ms: i64,
) -> Result<(StoredEntry, bool), StoreError> {
    let updated = entry::Entity::update_many()
        .col_expr(entry::Column::Text, Expr::value(f.text.clone()))
        .col_expr(entry::Column::Rating, Expr::value(f.rating))
        .col_expr(entry::Column::Class, Expr::value(f.class.clone()))
        .col_expr(entry::Column::UpdatedAt, Expr::value(now_ms))
        .filter(entry::Column::Request.eq(f.request.clone()))
        .filter(entry::Column::Kind.eq(kind_name(f.kind)))
        .filter(entry::Column::Person.eq(f.person.clone()))
        .exec(db)
        .await?;
    let new = updated.rows_affected == 0;
    if new {
        entry::Entity::insert(entry::ActiveModel {
            id: Set(id.to_string()),
            request: Set(f.request.clone()),
            kind: Set(kind_name(f.kind).into()),
            person: Set(f.person.clone()),
            class: Set(f.class.clone()),
            rating: Set(f.rating),
            text: Set(f.text.clone()),
            created_at: Set(now_ms),
            updated_at: Set(now_ms),
        })
        .exec_without_returning(db)
        .await?;
    }
    let e = entry_of(db, &f.request, f.kind, &f.person)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("the entry of {} on {}", f.person, f.request)))?;
    Ok((e, new))
}

/// The entries of `kind` on `request` (only `person`'s when given), first written first.
pub async fn entries<C: ConnectionTrait>(
    db: &C,
    request: &str,
    kind: ParticipationKind,
    person: Option<&str>,
) -> Result<Vec<StoredEntry>, StoreError> {
    let mut q = entry::Entity::find()
        .filter(entry::Column::Request.eq(request))
        .filter(entry::Column::Kind.eq(kind_name(kind)));
    if let Some(p) = person {
        q = q.filter(entry::Column::Person.eq(p));
    }
    q.order_by_asc(entry::Column::CreatedAt)
        .order_by_asc(entry::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(stored_entry)
        .collect()
}

/// How many distinct students and classes recorded entries on a request, per kind (what the M8
/// gates count).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Students with a co-design entry.
    pub co_design_students: i64,
    /// Classes of those students.
    pub co_design_classes: i64,
    /// Students with an evaluation.
    pub evaluation_students: i64,
    /// Classes of those students.
    pub evaluation_classes: i64,
}

/// The distinct students and classes of `request`'s entries.
pub async fn counts<C: ConnectionTrait>(db: &C, request: &str) -> Result<Counts, StoreError> {
    let rows: Vec<(String, String, Option<String>)> = entry::Entity::find()
        .select_only()
        .column(entry::Column::Kind)
        .column(entry::Column::Person)
        .column(entry::Column::Class)
        .filter(entry::Column::Request.eq(request))
        .into_tuple()
        .all(db)
        .await?;
    let mut people: [BTreeSet<String>; 2] = Default::default();
    let mut classes: [BTreeSet<String>; 2] = Default::default();
    for (kind, person, class) in rows {
        let i = usize::from(kind == "evaluation");
        people[i].insert(person);
        if let Some(c) = class {
            classes[i].insert(c);
        }
    }
    let n = |s: &BTreeSet<String>| s.len() as i64;
    Ok(Counts {
        co_design_students: n(&people[0]),
        co_design_classes: n(&classes[0]),
        evaluation_students: n(&people[1]),
        evaluation_classes: n(&classes[1]),
    })
}

/// Writes a co-hosted activity (a second write of the same source does nothing).
pub async fn write_co_host<C: ConnectionTrait>(db: &C, c: &CoHost, now_ms: i64) -> Result<(), StoreError> {
    let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_default();
    co_host::Entity::insert(co_host::ActiveModel {
        id: Set(c.id.clone()),
        request: Set(c.request.clone()),
        host: Set(c.host.clone()),
        title: Set(c.title.chars().take(200).collect()),
        date: Set(c.date.to_string()),
        cohosts: Set(json(&c.cohosts)),
        co_undertakers: Set(json(&c.co_undertakers)),
        created_at: Set(now_ms),
    })
    .on_conflict(OnConflict::column(co_host::Column::Id).do_nothing_on([co_host::Column::Id]).to_owned())
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Co-hosted activities matching `f` (`department`: the host's or a co-host's; `class`: a
/// co-undertaking class; `from`/`to`: the activity's day), by (day, id) after the keyset
/// `after`, at most `limit`, as `(day, id, JSON)`.
pub async fn co_host_rows<C: ConnectionTrait>(
    db: &C,
    f: &super::records::ListFilter,
    after: Option<(String, String)>,
    limit: u64,
) -> Result<Vec<(String, String, serde_json::Value)>, StoreError> {
    use co_host::Column as C;
    let mut c = super::records::day_keyset(C::Date, C::Id, f, &after);
    // The JSON lists are searched with LIKE, then read exactly below.
    if let Some(d) = &f.department {
        c = c.add(
            Condition::any().add(C::Host.eq(format!("department_su@{d}"))).add(C::Cohosts.like(format!("%\"{d}\"%"))),
        );
    }
    if let Some(k) = &f.class {
        c = c.add(C::CoUndertakers.like(format!("%\"{k}\"%")));
    }
    let rows = co_host::Entity::find().filter(c).order_by_asc(C::Date).order_by_asc(C::Id).limit(limit).all(db).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let cohosts: Vec<String> = serde_json::from_str(&r.cohosts).unwrap_or_default();
            let classes: Vec<String> = serde_json::from_str(&r.co_undertakers).unwrap_or_default();
            if let Some(d) = &f.department
                && r.host != format!("department_su@{d}")
                && !cohosts.contains(d)
            {
                return None;
            }
            if f.class.as_ref().is_some_and(|k| !classes.contains(k)) {
                return None;
            }
            let v = serde_json::json!({ "id": r.id, "host": r.host, "title": r.title, "date": r.date,
                "cohosts": cohosts, "co_undertakers": classes, "request": r.request });
            Some((r.date, r.id, v))
        })
        .collect())
}
