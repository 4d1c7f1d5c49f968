//! The org in the database: replaced whole in one transaction (all-or-nothing), loaded whole
//! into an indexed `OrgDirectory`.

use super::StoreError;
use crate::entity::org::*;
use crate::entity::workflow::timer;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use workflows::org::{Org, University};

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn rows<T: serde::de::DeserializeOwned>(v: Vec<String>) -> Result<Vec<T>, StoreError> {
    v.iter().map(|s| parse(s)).collect()
}

fn parse<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Replaces the whole org in one transaction; `progress` is called with (rows written, rows total).
pub async fn replace_org(
    db: &sea_orm::DatabaseConnection,
    org: &Org,
    progress: impl FnMut(usize, usize),
) -> Result<(), StoreError> {
    let txn = db.begin().await?;
    replace_org_in(&txn, org, progress).await?;
    txn.commit().await?;
    Ok(())
}

/// `replace_org` in the caller's transaction (so that moving the tasks of people who left commits
/// with it). The delegations' end timers are written anew with them.
pub async fn replace_org_in<C: ConnectionTrait>(
    txn: &C,
    org: &Org,
    mut progress: impl FnMut(usize, usize),
) -> Result<(), StoreError> {
    // The old delegations' end timers go with their rows (the held tasks are looked at after the
    // import: the caller gives back what no delegation covers any more).
    timer::Entity::delete_many()
        .filter(timer::Column::RequestId.eq(""))
        .filter(timer::Column::TimerId.starts_with(DELEGATION_TIMER))
        .filter(timer::Column::Status.ne("claimed"))
        .exec(txn)
        .await?;
    org_post::Entity::delete_many().exec(txn).await?;
    org_liaison::Entity::delete_many().exec(txn).await?;
    org_delegation::Entity::delete_many().exec(txn).await?;
    org_person::Entity::delete_many().exec(txn).await?;
    org_body::Entity::delete_many().exec(txn).await?;
    org_class::Entity::delete_many().exec(txn).await?;
    org_department::Entity::delete_many().exec(txn).await?;
    org_meta::Entity::delete_many().exec(txn).await?;
    let total = org.departments.len()
        + org.classes.len()
        + org.bodies.len()
        + org.people.len()
        + org.posts.len()
        + org.liaisons.len();
    let mut done = 0usize;
    org_meta::ActiveModel { key: Set("university".into()), value: Set(json(&org.university)) }.insert(txn).await?;
    macro_rules! batch {
        ($items:expr, $entity:ty, $mk:expr) => {
            for chunk in $items.chunks(500) {
                let rows: Vec<_> = chunk.iter().map($mk).collect();
                if !rows.is_empty() {
                    <$entity>::insert_many(rows).exec(txn).await?;
                }
                done += chunk.len();
                progress(done, total);
            }
        };
    }
    batch!(org.departments, org_department::Entity, |d| org_department::ActiveModel {
        code: Set(d.code.clone()),
        data: Set(json(d))
    });
    batch!(org.classes, org_class::Entity, |c| org_class::ActiveModel {
        code: Set(c.code.clone()),
        department: Set(c.department.clone()),
        data: Set(json(c))
    });
    batch!(org.bodies, org_body::Entity, |b| org_body::ActiveModel { id: Set(b.id.clone()), data: Set(json(b)) });
    batch!(org.people, org_person::Entity, |p| org_person::ActiveModel {
        id: Set(p.id.clone()),
        email: Set(p.email.to_lowercase()),
        data: Set(json(p))
    });
    batch!(org.posts, org_post::Entity, |p| org_post::ActiveModel {
        person: Set(p.person.clone()),
        body: Set(p.body.clone()),
        role: Set(p.role.to_string()),
        data: Set(json(p)),
        ..Default::default()
    });
    batch!(org.liaisons, org_liaison::Entity, |l| org_liaison::ActiveModel {
        person: Set(l.person.clone()),
        data: Set(json(l)),
        ..Default::default()
    });
    for d in &org.delegations {
        add_delegation(txn, d).await?;
    }
    Ok(())
}

/// Loads the whole org (empty when none was imported yet).
pub async fn load_org<C: ConnectionTrait>(db: &C) -> Result<Org, StoreError> {
    let university = match org_meta::Entity::find_by_id("university".to_string()).one(db).await? {
        Some(m) => parse::<University>(&m.value)?,
        None => University::default(),
    };
    Ok(Org {
        university,
        departments: rows(org_department::Entity::find().all(db).await?.into_iter().map(|r| r.data).collect())?,
        classes: rows(org_class::Entity::find().all(db).await?.into_iter().map(|r| r.data).collect())?,
        bodies: rows(org_body::Entity::find().all(db).await?.into_iter().map(|r| r.data).collect())?,
        people: rows(org_person::Entity::find().all(db).await?.into_iter().map(|r| r.data).collect())?,
        posts: rows(org_post::Entity::find().all(db).await?.into_iter().map(|r| r.data).collect())?,
        liaisons: rows(org_liaison::Entity::find().all(db).await?.into_iter().map(|r| r.data).collect())?,
        delegations: rows(org_delegation::Entity::find().all(db).await?.into_iter().map(|r| r.data).collect())?,
    })
}

/// Whether any org was imported.
pub async fn has_org<C: ConnectionTrait>(db: &C) -> Result<bool, StoreError> {
    Ok(org_meta::Entity::find().count(db).await? > 0)
}

/// Revokes the API tokens and web sessions of `people` (who left the org), in the caller's
/// transaction.
pub async fn revoke_credentials<C: ConnectionTrait>(db: &C, people: &[String], now: i64) -> Result<(), StoreError> {
    use crate::entity::workflow::{api_token, web_session};
    for chunk in people.chunks(500) {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::RevokedAt, Expr::value(now))
            .filter(api_token::Column::PersonId.is_in(chunk.iter().cloned()))
            .filter(api_token::Column::RevokedAt.is_null())
            .exec(db)
            .await?;
        web_session::Entity::update_many()
            .col_expr(web_session::Column::RevokedAt, Expr::value(now))
            .filter(web_session::Column::PersonId.is_in(chunk.iter().cloned()))
            .filter(web_session::Column::RevokedAt.is_null())
            .exec(db)
            .await?;
    }
    Ok(())
}

/// The prefix of a delegation's end timer: `delegation:<row id>` on request `""`.
pub const DELEGATION_TIMER: &str = "delegation:";

/// Adds one delegation and the timer of its end (due at `ends`), in the caller's transaction;
/// returns its id.
pub async fn add_delegation<C: ConnectionTrait>(db: &C, d: &workflows::org::Delegation) -> Result<i64, StoreError> {
    let row =
        org_delegation::ActiveModel { from_person: Set(d.from.clone()), data: Set(json(d)), ..Default::default() }
            .insert(db)
            .await?;
    let kind = serde_json::json!({ "type": "delegation_end", "delegation": row.id }).to_string();
    super::jobs::upsert_timer(db, "", &format!("{DELEGATION_TIMER}{}", row.id), d.ends.timestamp_millis(), kind)
        .await?;
    Ok(row.id)
}

/// Delegation `id`, if it exists.
pub async fn delegation<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<workflows::org::Delegation>, StoreError> {
    match org_delegation::Entity::find_by_id(id).one(db).await? {
        Some(r) => Ok(Some(parse(&r.data)?)),
        None => Ok(None),
    }
}

/// Every delegation with its id, oldest first.
pub async fn delegations<C: ConnectionTrait>(db: &C) -> Result<Vec<(i64, workflows::org::Delegation)>, StoreError> {
    org_delegation::Entity::find()
        .order_by_asc(org_delegation::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|r| Ok((r.id, parse(&r.data)?)))
        .collect()
}

/// Rewrites delegation `id` (an end moved earlier) and moves its end timer to the new end.
pub async fn update_delegation<C: ConnectionTrait>(
    db: &C,
    id: i64,
    d: &workflows::org::Delegation,
) -> Result<(), StoreError> {
    org_delegation::Entity::update_many()
        .col_expr(org_delegation::Column::Data, Expr::value(json(d)))
        .filter(org_delegation::Column::Id.eq(id))
        .exec(db)
        .await?;
    timer::Entity::update_many()
        .col_expr(timer::Column::DueAt, Expr::value(d.ends.timestamp_millis()))
        .filter(timer::Column::RequestId.eq(""))
        .filter(timer::Column::TimerId.eq(format!("{DELEGATION_TIMER}{id}")))
        .exec(db)
        .await?;
    Ok(())
}
