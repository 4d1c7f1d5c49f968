//! Workflow definitions in the database: versions, drafts, publishing.

use super::{StoreError, millis};
use crate::entity::workflow::definition;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

/// A stored definition version.
pub type Row = definition::Model;

/// Saves a new version of `key` as a draft (or published when `publish`), returning it.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    key: &str,
    yaml: &str,
    by: Option<&str>,
    publish: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Row, StoreError> {
    let version = latest(db, key, false).await?.map_or(1, |r| r.version + 1);
    let row = definition::ActiveModel {
        key: Set(key.to_string()),
        version: Set(version),
        yaml: Set(yaml.to_string()),
        status: Set(if publish { "published" } else { "draft" }.into()),
        created_by: Set(by.map(String::from)),
        created_at: Set(millis(now)),
        published_by: Set(if publish { by.map(String::from) } else { None }),
        published_at: Set(publish.then(|| millis(now))),
        ..Default::default()
    };
    Ok(row.insert(db).await?)
}

/// The newest version of `key` (only published ones when `published_only`).
pub async fn latest<C: ConnectionTrait>(db: &C, key: &str, published_only: bool) -> Result<Option<Row>, StoreError> {
    let mut q = definition::Entity::find().filter(definition::Column::Key.eq(key));
    if published_only {
        q = q.filter(definition::Column::Status.eq("published"));
    }
    Ok(q.order_by_desc(definition::Column::Version).one(db).await?)
}

/// One version of `key`.
pub async fn get<C: ConnectionTrait>(db: &C, key: &str, version: i32) -> Result<Option<Row>, StoreError> {
    Ok(definition::Entity::find()
        .filter(definition::Column::Key.eq(key))
        .filter(definition::Column::Version.eq(version))
        .one(db)
        .await?)
}

/// Every version of `key`, oldest first.
pub async fn versions<C: ConnectionTrait>(db: &C, key: &str) -> Result<Vec<Row>, StoreError> {
    Ok(definition::Entity::find()
        .filter(definition::Column::Key.eq(key))
        .order_by_asc(definition::Column::Version)
        .all(db)
        .await?)
}

/// Every version of every definition, by key then version.
pub async fn list<C: ConnectionTrait>(db: &C) -> Result<Vec<Row>, StoreError> {
    Ok(definition::Entity::find()
        .order_by_asc(definition::Column::Key)
        .order_by_asc(definition::Column::Version)
        .all(db)
        .await?)
}

/// Marks a draft published.
pub async fn publish<C: ConnectionTrait>(
    db: &C,
    row: Row,
    by: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Row, StoreError> {
    let mut a: definition::ActiveModel = row.into();
    a.status = Set("published".into());
    a.published_by = Set(Some(by.to_string()));
    a.published_at = Set(Some(millis(now)));
    Ok(a.update(db).await?)
}
