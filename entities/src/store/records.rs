//! The policy's records (issue 11 item 2), read as one [`RecordSet`] for the compliance checks.

use super::StoreError;
use sea_orm::ConnectionTrait;
use workflows::records::RecordSet;

/// The records the compliance checks read (`workflows::compliance::findings`).
// joined at merge: a placeholder until the records tables land; it returns no records.
pub async fn load_set<C: ConnectionTrait>(_db: &C) -> Result<RecordSet, StoreError> {
    Ok(RecordSet::default())
}
