//! The semester duty review's results (述职评议, M10): written by the `duty_review_result`
//! outcome record, listed at `GET /api/v1/records/duty_review_results`, and read for a candidate
//! by staff selection (`computed: duty_review.latest`).

use super::StoreError;
use crate::entity::duty_review::duty_review_result as row;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use workflows::records::DutyReviewResult;

/// Writes a result (a second write of the same source does nothing).
pub async fn write<C: ConnectionTrait>(db: &C, d: &DutyReviewResult, now_ms: i64) -> Result<(), StoreError> {
    row::Entity::insert(row::ActiveModel {
        id: Set(d.id.clone()),
        request: Set(d.request.clone()),
        person: Set(d.person.clone()),
        su: Set(d.su.clone()),
        semester: Set(d.semester.chars().take(80).collect()),
        date: Set(d.date.to_string()),
        total: Set(d.total),
        means: Set(serde_json::to_string(&d.means).unwrap_or_default()),
        sheets: Set(d.sheets as i32),
        panel: Set(d.panel as i32),
        satisfactory: Set(d.satisfactory),
        created_at: Set(now_ms),
    })
    .on_conflict(OnConflict::column(row::Column::Id).do_nothing_on([row::Column::Id]).to_owned())
    .exec_without_returning(db)
    .await?;
    Ok(())
}

fn json(r: row::Model) -> serde_json::Value {
    let means: serde_json::Value = serde_json::from_str(&r.means).unwrap_or_default();
    serde_json::json!({ "id": r.id, "person": r.person, "su": r.su, "semester": r.semester, "date": r.date,
        "total": r.total, "means": means, "sheets": r.sheets, "panel": r.panel,
        "satisfactory": r.satisfactory, "request": r.request })
}

/// Results matching `f` (`person`, `semester`, `su_in`, `from`/`to` on the day the review
/// ended), by (day, id) after the keyset `after`, at most `limit`, as `(day, id, JSON)`.
pub async fn rows<C: ConnectionTrait>(
    db: &C,
    f: &super::records::ListFilter,
    after: Option<(String, String)>,
    limit: u64,
) -> Result<Vec<(String, String, serde_json::Value)>, StoreError> {
    use row::Column as C;
    let mut c = super::records::day_keyset(C::Date, C::Id, f, &after);
    if let Some(p) = &f.person {
        c = c.add(C::Person.eq(p.clone()));
    }
    if let Some(s) = &f.semester {
        c = c.add(C::Semester.eq(s.clone()));
    }
    if let Some(sus) = &f.su_in {
        c = c.add(C::Su.is_in(sus.clone()));
    }
    let rows = row::Entity::find().filter(c).order_by_asc(C::Date).order_by_asc(C::Id).limit(limit).all(db).await?;
    Ok(rows.into_iter().map(|r| (r.date.clone(), r.id.clone(), json(r))).collect())
}

/// `person`'s latest results, newest first, at most `limit`.
pub async fn latest<C: ConnectionTrait>(db: &C, person: &str, limit: u64) -> Result<Vec<DutyReviewResult>, StoreError> {
    use row::Column as C;
    let rows = row::Entity::find()
        .filter(C::Person.eq(person))
        .order_by_desc(C::Date)
        .order_by_desc(C::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(DutyReviewResult {
                date: chrono::NaiveDate::parse_from_str(&r.date, "%Y-%m-%d").ok()?,
                means: serde_json::from_str(&r.means).unwrap_or_default(),
                id: r.id,
                person: r.person,
                su: r.su,
                semester: r.semester,
                total: r.total,
                sheets: r.sheets.max(0) as u32,
                panel: r.panel.max(0) as u32,
                satisfactory: r.satisfactory,
                request: r.request,
            })
        })
        .collect())
}
