//! M1 and M4 records a person keeps directly (issue 11 requirement 2): a class's adoption of the
//! reporting system, the reporting checklist's versions and their 校团委 sign-off, and training
//! attendance added to a recorded session. Each function runs in the caller's transaction.

use super::StoreError;
use crate::entity::records::{reporting_adoption, training_attendance, training_session};
use crate::entity::reporting::reporting_checklist;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use std::collections::BTreeSet;
use workflows::reporting_checklist::ChecklistItem;

/// A class's adoption as a person records it.
#[derive(Debug, Clone)]
pub struct NewAdoption {
    /// The class code.
    pub class: String,
    /// The day it was adopted.
    pub date: chrono::NaiveDate,
    /// The academic year (its first calendar year).
    pub term: i32,
    /// The department SU contact person (person id).
    pub contact_person: String,
    /// The counselor (person id).
    pub counselor: String,
    /// Who recorded it.
    pub recorded_by: String,
}

/// The adoption on record for `class`, if any.
pub async fn adoption<C: ConnectionTrait>(
    db: &C,
    class: &str,
) -> Result<Option<reporting_adoption::Model>, StoreError> {
    Ok(reporting_adoption::Entity::find_by_id(class.to_string()).one(db).await?)
}

/// Records an adoption (the caller has checked there is none for the class). `now` in ms.
pub async fn insert_adoption<C: ConnectionTrait>(db: &C, a: &NewAdoption, now: i64) -> Result<(), StoreError> {
    reporting_adoption::Entity::insert(reporting_adoption::ActiveModel {
        class: Set(a.class.clone()),
        date: Set(a.date.to_string()),
        request: Set(None),
        created_at: Set(now),
        term: Set(Some(a.term)),
        contact_person: Set(Some(a.contact_person.clone())),
        counselor: Set(Some(a.counselor.clone())),
        recorded_by: Set(Some(a.recorded_by.clone())),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Sets the reporting contacts of `class`'s adoption (each `None`: unchanged).
pub async fn update_adoption_contacts<C: ConnectionTrait>(
    db: &C,
    class: &str,
    contact_person: Option<&str>,
    counselor: Option<&str>,
) -> Result<(), StoreError> {
    let mut q = reporting_adoption::Entity::update_many().filter(reporting_adoption::Column::Class.eq(class));
    if let Some(p) = contact_person {
        q = q.col_expr(reporting_adoption::Column::ContactPerson, Expr::value(p.to_string()));
    }
    if let Some(p) = counselor {
        q = q.col_expr(reporting_adoption::Column::Counselor, Expr::value(p.to_string()));
    }
    q.exec(db).await?;
    Ok(())
}

/// `draft` or `signed_off`.
pub const DRAFT: &str = "draft";
/// See [`DRAFT`].
pub const SIGNED_OFF: &str = "signed_off";

/// A checklist version as stored, its items read.
#[derive(Debug, Clone)]
pub struct ChecklistVersion {
    /// The row.
    pub row: reporting_checklist::Model,
    /// Its matter types.
    pub items: Vec<ChecklistItem>,
}

fn read(row: reporting_checklist::Model) -> Result<ChecklistVersion, StoreError> {
    let items = serde_json::from_str(&row.items)
        .map_err(|e| StoreError::Corrupt(format!("reporting checklist v{}: {e}", row.version)))?;
    Ok(ChecklistVersion { row, items })
}

/// The current checklist: the highest signed-off version (`None` before any is).
pub async fn current<C: ConnectionTrait>(db: &C) -> Result<Option<ChecklistVersion>, StoreError> {
    reporting_checklist::Entity::find()
        .filter(reporting_checklist::Column::Status.eq(SIGNED_OFF))
        .order_by_desc(reporting_checklist::Column::Version)
        .one(db)
        .await?
        .map(read)
        .transpose()
}

/// Version `version`, signed off or not.
pub async fn version<C: ConnectionTrait>(db: &C, version: i32) -> Result<Option<ChecklistVersion>, StoreError> {
    reporting_checklist::Entity::find_by_id(version).one(db).await?.map(read).transpose()
}

/// Versions after `after` (ascending), at most `limit`, only of `status` when given.
pub async fn versions<C: ConnectionTrait>(
    db: &C,
    status: Option<&str>,
    after: Option<i32>,
    limit: u64,
) -> Result<Vec<ChecklistVersion>, StoreError> {
    let mut q = reporting_checklist::Entity::find();
    if let Some(s) = status {
        q = q.filter(reporting_checklist::Column::Status.eq(s));
    }
    if let Some(a) = after {
        q = q.filter(reporting_checklist::Column::Version.gt(a));
    }
    q.order_by_asc(reporting_checklist::Column::Version).limit(limit).all(db).await?.into_iter().map(read).collect()
}

/// Stores a new version numbered one after the highest, as a draft by `by` (or, with `by`
/// `None`, the built-in version signed off at `now`). Returns its number. `now` in ms.
pub async fn insert_version<C: ConnectionTrait>(
    db: &C,
    items: &[ChecklistItem],
    note: &str,
    by: Option<&str>,
    now: i64,
) -> Result<i32, StoreError> {
    let last = reporting_checklist::Entity::find()
        .order_by_desc(reporting_checklist::Column::Version)
        .one(db)
        .await?
        .map_or(0, |r| r.version);
    let version = last + 1;
    let builtin = by.is_none();
    reporting_checklist::Entity::insert(reporting_checklist::ActiveModel {
        version: Set(version),
        status: Set(if builtin { SIGNED_OFF } else { DRAFT }.into()),
        items: Set(serde_json::to_string(items).unwrap_or_default()),
        note: Set(note.to_string()),
        drafted_by: Set(by.map(str::to_string)),
        drafted_at: Set(now),
        signed_by: Set(None),
        signed_at: Set(builtin.then_some(now)),
    })
    .exec_without_returning(db)
    .await?;
    Ok(version)
}

/// Whether any version is stored.
pub async fn any_version<C: ConnectionTrait>(db: &C) -> Result<bool, StoreError> {
    Ok(reporting_checklist::Entity::find().one(db).await?.is_some())
}

/// Signs off draft `version` as `by` at `now` (ms); false when it is not a draft (any more).
pub async fn sign_off<C: ConnectionTrait>(db: &C, version: i32, by: &str, now: i64) -> Result<bool, StoreError> {
    let r = reporting_checklist::Entity::update_many()
        .col_expr(reporting_checklist::Column::Status, Expr::value(SIGNED_OFF))
        .col_expr(reporting_checklist::Column::SignedBy, Expr::value(by.to_string()))
        .col_expr(reporting_checklist::Column::SignedAt, Expr::value(now))
        .filter(reporting_checklist::Column::Version.eq(version))
        .filter(reporting_checklist::Column::Status.eq(DRAFT))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// A training session's row, if recorded.
pub async fn training_session<C: ConnectionTrait>(
    db: &C,
    id: &str,
) -> Result<Option<training_session::Model>, StoreError> {
    Ok(training_session::Entity::find_by_id(id.to_string()).one(db).await?)
}

/// Adds `people` to the attendance of session `session`, skipping those already on it. Returns
/// (added, already there).
pub async fn add_attendance<C: ConnectionTrait>(
    db: &C,
    session: &str,
    people: &[String],
) -> Result<(usize, usize), StoreError> {
    let mut there: BTreeSet<String> = BTreeSet::new();
    let wanted: BTreeSet<&String> = people.iter().collect();
    let ids: Vec<String> = wanted.iter().map(|s| s.to_string()).collect();
    for chunk in ids.chunks(500) {
        there.extend(
            training_attendance::Entity::find()
                .filter(training_attendance::Column::Session.eq(session))
                .filter(training_attendance::Column::Person.is_in(chunk.to_vec()))
                .all(db)
                .await?
                .into_iter()
                .map(|a| a.person),
        );
    }
    let rows: Vec<training_attendance::ActiveModel> = ids
        .iter()
        .filter(|p| !there.contains(*p))
        .map(|p| training_attendance::ActiveModel { session: Set(session.to_string()), person: Set(p.clone()) })
        .collect();
    let added = rows.len();
    for chunk in rows.chunks(500) {
        training_attendance::Entity::insert_many(chunk.to_vec()).exec_without_returning(db).await?;
    }
    Ok((added, there.len()))
}

/// The number of attendees of a session.
pub async fn attendance_count<C: ConnectionTrait>(db: &C, session: &str) -> Result<u64, StoreError> {
    use sea_orm::PaginatorTrait;
    Ok(training_attendance::Entity::find().filter(training_attendance::Column::Session.eq(session)).count(db).await?)
}
