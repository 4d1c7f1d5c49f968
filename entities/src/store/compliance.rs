//! What the compliance checks read of the requests: [`RequestFacts`] of the definitions in
//! [`FACT_KEYS`], built from the stored request states with bounded queries.

use super::StoreError;
use crate::entity::workflow::request;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use workflows::compliance::{FACT_KEYS, RequestFacts};
use workflows::engine::Instance;

/// Rows read per query.
const PAGE: u64 = 500;

/// The facts of every request of [`FACT_KEYS`] that is still open (running or returned) or was
/// changed at or after `since` (UTC). Read in pages of 500 rows by id (index
/// `requests_key_updated`), so no query holds more than a page; a state that does not parse is
/// an error ([`StoreError::Corrupt`]) naming the request.
pub async fn request_facts<C: ConnectionTrait>(
    db: &C,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<RequestFacts>, StoreError> {
    let keys: Vec<String> = FACT_KEYS.iter().map(|k| k.to_string()).collect();
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut q = request::Entity::find().filter(request::Column::Key.is_in(keys.clone())).filter(
            Condition::any()
                .add(request::Column::Status.is_in(["running", "returned"]))
                .add(request::Column::UpdatedAt.gte(since.timestamp_millis())),
        );
        if let Some(a) = &after {
            q = q.filter(request::Column::Id.gt(a.clone()));
        }
        let rows = q.order_by_asc(request::Column::Id).limit(PAGE).all(db).await?;
        let n = rows.len() as u64;
        for row in rows {
            let st: Instance = serde_json::from_str(&row.state)
                .map_err(|e| StoreError::Corrupt(format!("request {}: {e}", row.id)))?;
            after = Some(row.id.clone());
            out.push(RequestFacts::from_instance(&st));
        }
        if n < PAGE {
            return Ok(out);
        }
    }
}
