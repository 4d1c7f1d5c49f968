//! What the oversight figures (`workflows::stats`) read: the states of the requests created in a
//! range, in pages, and the open tasks per workflow for the `/metrics` gauges.

use super::StoreError;
use crate::entity::workflow::request;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement};
use workflows::engine::Instance;

/// Rows read per query.
const PAGE: u64 = 500;

/// Calls `each` with the state of every request created (submitted) in `[from, to)` (UTC
/// milliseconds), of `key` when given, oldest first — read in pages of 500 rows by
/// `(created_at, id)` (index `requests_created`), so no query holds more than a page. Stops with
/// `Ok(false)` after `limit` requests (the range holds more); a state that does not parse is an
/// error ([`StoreError::Corrupt`]) naming the request.
pub async fn each_created<C: ConnectionTrait>(
    db: &C,
    from: i64,
    to: i64,
    key: Option<&str>,
    limit: usize,
    mut each: impl FnMut(Instance),
) -> Result<bool, StoreError> {
    let mut after: Option<(i64, String)> = None;
    let mut seen = 0usize;
    loop {
        let mut q = request::Entity::find()
            .filter(request::Column::CreatedAt.gte(from))
            .filter(request::Column::CreatedAt.lt(to));
        if let Some(k) = key {
            q = q.filter(request::Column::Key.eq(k));
        }
        if let Some((at, id)) = &after {
            q =
                q.filter(Condition::any().add(request::Column::CreatedAt.gt(*at)).add(
                    Condition::all().add(request::Column::CreatedAt.eq(*at)).add(request::Column::Id.gt(id.clone())),
                ));
        }
        let rows =
            q.order_by_asc(request::Column::CreatedAt).order_by_asc(request::Column::Id).limit(PAGE).all(db).await?;
        let n = rows.len() as u64;
        for row in rows {
            if seen == limit {
                return Ok(false);
            }
            seen += 1;
            let st: Instance = serde_json::from_str(&row.state)
                .map_err(|e| StoreError::Corrupt(format!("request {}: {e}", row.id)))?;
            after = Some((row.created_at, row.id));
            each(st);
        }
        if n < PAGE {
            return Ok(true);
        }
    }
}

/// Open tasks per workflow (definition key): `(key, open, overdue at now)` (UTC milliseconds),
/// counted by the database, by key.
pub async fn open_tasks_per_workflow<C: ConnectionTrait>(
    db: &C,
    now: i64,
) -> Result<Vec<(String, i64, i64)>, StoreError> {
    // COUNT of a CASE, not SUM: the same integer type on SQLite, PostgreSQL and MariaDB.
    let sql = format!(
        "SELECT r.key AS k, COUNT(*) AS n, COUNT(CASE WHEN t.due_at < {now} THEN 1 END) AS o \
         FROM tasks t JOIN requests r ON r.id = t.request_id WHERE t.state = 'open' GROUP BY r.key ORDER BY r.key"
    );
    let mut out = Vec::new();
    for r in db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await? {
        out.push((r.try_get("", "k")?, r.try_get("", "n")?, r.try_get("", "o")?));
    }
    Ok(out)
}
