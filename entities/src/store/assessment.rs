//! The annual assessment (M10 年度考核): a year's criteria, the assessors' score sheets and the
//! published versions of a year's results. Each function runs in the caller's transaction.

use super::StoreError;
use crate::entity::assessment::{assessment_criteria, assessment_publication, assessment_sheet};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set};
use std::collections::BTreeMap;
use workflows::assessment::{Criterion, Ranked};

fn corrupt(what: String, e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// The criteria set for `year`, if any.
pub async fn criteria<C: ConnectionTrait>(db: &C, year: i32) -> Result<Option<Vec<Criterion>>, StoreError> {
    let Some(row) = assessment_criteria::Entity::find_by_id(year).one(db).await? else { return Ok(None) };
    serde_json::from_str(&row.items).map(Some).map_err(|e| corrupt(format!("criteria of {year}"), e))
}

/// Sets `year`'s criteria (replacing the list).
pub async fn set_criteria<C: ConnectionTrait>(
    db: &C,
    year: i32,
    items: &[Criterion],
    by: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    let items = serde_json::to_string(items).map_err(|e| corrupt("criteria".into(), e))?;
    assessment_criteria::Entity::insert(assessment_criteria::ActiveModel {
        year: Set(year),
        items: Set(items),
        updated_by: Set(by.map(str::to_string)),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(assessment_criteria::Column::Year)
            .update_columns([
                assessment_criteria::Column::Items,
                assessment_criteria::Column::UpdatedBy,
                assessment_criteria::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// A score sheet as stored, its scores read.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The department code.
    pub department: String,
    /// The assessor (person id).
    pub assessor: String,
    /// Score per criterion key.
    pub scores: BTreeMap<String, f64>,
    /// The comment (may be empty).
    pub comment: String,
    /// When last saved (ms since the epoch).
    pub updated_at: i64,
}

fn sheet(row: assessment_sheet::Model) -> Result<Sheet, StoreError> {
    let scores = serde_json::from_str(&row.scores)
        .map_err(|e| corrupt(format!("sheet {} {} {}", row.year, row.department, row.assessor), e))?;
    Ok(Sheet {
        department: row.department,
        assessor: row.assessor,
        scores,
        comment: row.comment,
        updated_at: row.updated_at,
    })
}

/// How many sheets `year` has.
pub async fn sheet_count<C: ConnectionTrait>(db: &C, year: i32) -> Result<u64, StoreError> {
    Ok(assessment_sheet::Entity::find().filter(assessment_sheet::Column::Year.eq(year)).count(db).await?)
}

/// `year`'s sheets, of one department when given, by department then assessor.
pub async fn sheets<C: ConnectionTrait>(db: &C, year: i32, department: Option<&str>) -> Result<Vec<Sheet>, StoreError> {
    let mut q = assessment_sheet::Entity::find().filter(assessment_sheet::Column::Year.eq(year));
    if let Some(d) = department {
        q = q.filter(assessment_sheet::Column::Department.eq(d));
    }
    q.order_by_asc(assessment_sheet::Column::Department)
        .order_by_asc(assessment_sheet::Column::Assessor)
        .all(db)
        .await?
        .into_iter()
        .map(sheet)
        .collect()
}

/// Writes (or replaces) `assessor`'s sheet for `department` and `year`.
pub async fn put_sheet<C: ConnectionTrait>(db: &C, year: i32, s: &Sheet) -> Result<(), StoreError> {
    let scores = serde_json::to_string(&s.scores).map_err(|e| corrupt("scores".into(), e))?;
    assessment_sheet::Entity::insert(assessment_sheet::ActiveModel {
        year: Set(year),
        department: Set(s.department.clone()),
        assessor: Set(s.assessor.clone()),
        scores: Set(scores),
        comment: Set(s.comment.clone()),
        updated_at: Set(s.updated_at),
    })
    .on_conflict(
        OnConflict::columns([
            assessment_sheet::Column::Year,
            assessment_sheet::Column::Department,
            assessment_sheet::Column::Assessor,
        ])
        .update_columns([
            assessment_sheet::Column::Scores,
            assessment_sheet::Column::Comment,
            assessment_sheet::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// A published version of a year's results.
#[derive(Debug, Clone, PartialEq)]
pub struct Publication {
    /// 1, 2, …
    pub version: i32,
    /// The ranked results.
    pub results: Vec<Ranked>,
    /// The correction (empty for version 1).
    pub note: String,
    /// Who published it (null for the demo's seeded results).
    pub published_by: Option<String>,
    /// When (ms since the epoch).
    pub published_at: i64,
}

/// Every published version of `year`, oldest first.
pub async fn publications<C: ConnectionTrait>(db: &C, year: i32) -> Result<Vec<Publication>, StoreError> {
    assessment_publication::Entity::find()
        .filter(assessment_publication::Column::Year.eq(year))
        .order_by_asc(assessment_publication::Column::Version)
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let results = serde_json::from_str(&row.results)
                .map_err(|e| corrupt(format!("publication {year} v{}", row.version), e))?;
            Ok(Publication {
                version: row.version,
                results,
                note: row.note,
                published_by: row.published_by,
                published_at: row.published_at,
            })
        })
        .collect()
}

/// Inserts version `p.version` of `year`; a concurrent publisher of the same version loses on
/// the primary key (`StoreError::Conflict`).
pub async fn publish<C: ConnectionTrait>(db: &C, year: i32, p: &Publication) -> Result<(), StoreError> {
    let results = serde_json::to_string(&p.results).map_err(|e| corrupt("results".into(), e))?;
    let r = assessment_publication::Entity::insert(assessment_publication::ActiveModel {
        year: Set(year),
        version: Set(p.version),
        results: Set(results),
        note: Set(p.note.clone()),
        published_by: Set(p.published_by.clone()),
        published_at: Set(p.published_at),
    })
    .on_conflict(
        OnConflict::columns([assessment_publication::Column::Year, assessment_publication::Column::Version])
            .do_nothing_on([assessment_publication::Column::Year])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    if r == 1 { Ok(()) } else { Err(StoreError::Conflict) }
}
