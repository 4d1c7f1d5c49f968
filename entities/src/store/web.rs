//! Web logins by mailed link, and sessions: only hashes of their tokens are stored.

use super::StoreError;
use crate::entity::workflow::{web_login, web_session};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, TransactionTrait,
};

/// Records a login asked for and queues its mail, in one transaction, unless `person` was sent
/// one since `since` (one mail a minute at most). Returns whether a mail was queued.
pub async fn ask(
    db: &DatabaseConnection,
    person: &str,
    next: &str,
    lang: &str,
    now: i64,
    since: i64,
) -> Result<bool, StoreError> {
    // Read before the transaction: on SQLite a transaction that reads and then writes cannot
    // take the write lock if another writer committed in between (two racing asks may both
    // mail; that is all).
    let recent = web_login::Entity::find()
        .filter(web_login::Column::PersonId.eq(person))
        .filter(web_login::Column::CreatedAt.gt(since))
        .one(db)
        .await?;
    if recent.is_some() {
        return Ok(false);
    }
    let txn = db.begin().await?;
    let row = web_login::ActiveModel {
        person_id: Set(person.into()),
        next: Set(next.chars().take(255).collect()),
        created_at: Set(now),
        token_hash: Set(None),
        expires_at: Set(None),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let key = format!("login:{}", row.id);
    super::jobs::insert_notification(&txn, super::jobs::notification(&key, "", person, &key, lang, None, now)).await?;
    txn.commit().await?;
    Ok(true)
}

/// The mail of login `id` is being made: its token's hash and expiry (a retried delivery makes a
/// new token; only the newest works). Returns the login, unless it was used.
pub async fn mailed<C: ConnectionTrait>(
    db: &C,
    id: i64,
    hash: &str,
    expires_at: i64,
) -> Result<Option<web_login::Model>, StoreError> {
    web_login::Entity::update_many()
        .col_expr(web_login::Column::TokenHash, Expr::value(hash))
        .col_expr(web_login::Column::ExpiresAt, Expr::value(expires_at))
        .filter(web_login::Column::Id.eq(id))
        .filter(web_login::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(web_login::Entity::find_by_id(id).one(db).await?.filter(|l| l.used_at.is_none()))
}

/// The login whose mailed token has `hash`.
pub async fn login<C: ConnectionTrait>(db: &C, hash: &str) -> Result<Option<web_login::Model>, StoreError> {
    Ok(web_login::Entity::find().filter(web_login::Column::TokenHash.eq(hash)).one(db).await?)
}

/// Uses a login link up and opens a session, in one transaction; `None` when the link was used
/// or expired meanwhile.
pub async fn open_session(
    db: &DatabaseConnection,
    login_hash: &str,
    session_hash: &str,
    now: i64,
    session_ms: i64,
) -> Result<Option<web_login::Model>, StoreError> {
    let txn = db.begin().await?;
    let r = web_login::Entity::update_many()
        .col_expr(web_login::Column::UsedAt, Expr::value(now))
        .filter(web_login::Column::TokenHash.eq(login_hash))
        .filter(web_login::Column::UsedAt.is_null())
        .filter(web_login::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if r.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(None);
    }
    let Some(l) = web_login::Entity::find().filter(web_login::Column::TokenHash.eq(login_hash)).one(&txn).await? else {
        txn.rollback().await?;
        return Ok(None);
    };
    web_session::ActiveModel {
        token_hash: Set(session_hash.into()),
        person_id: Set(l.person_id.clone()),
        created_at: Set(now),
        expires_at: Set(now + session_ms),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(Some(l))
}

/// The person of a live session.
pub async fn session<C: ConnectionTrait>(db: &C, hash: &str, now: i64) -> Result<Option<String>, StoreError> {
    Ok(web_session::Entity::find_by_id(hash.to_string())
        .one(db)
        .await?
        .filter(|s| s.revoked_at.is_none() && s.expires_at > now)
        .map(|s| s.person_id))
}

/// Ends a session.
pub async fn end_session<C: ConnectionTrait>(db: &C, hash: &str, now: i64) -> Result<(), StoreError> {
    web_session::Entity::update_many()
        .col_expr(web_session::Column::RevokedAt, Expr::value(now))
        .filter(web_session::Column::TokenHash.eq(hash))
        .filter(web_session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
