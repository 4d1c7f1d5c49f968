//! The org in the database: replaced whole in one transaction (all-or-nothing), loaded whole
//! into an indexed `OrgDirectory`.

use super::StoreError;
use crate::entity::org::*;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, PaginatorTrait, Set, TransactionTrait};
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
    mut progress: impl FnMut(usize, usize),
) -> Result<(), StoreError> {
    let txn = db.begin().await?;
    org_post::Entity::delete_many().exec(&txn).await?;
    org_liaison::Entity::delete_many().exec(&txn).await?;
    org_delegation::Entity::delete_many().exec(&txn).await?;
    org_person::Entity::delete_many().exec(&txn).await?;
    org_body::Entity::delete_many().exec(&txn).await?;
    org_class::Entity::delete_many().exec(&txn).await?;
    org_department::Entity::delete_many().exec(&txn).await?;
    org_meta::Entity::delete_many().exec(&txn).await?;
    let total = org.departments.len()
        + org.classes.len()
        + org.bodies.len()
        + org.people.len()
        + org.posts.len()
        + org.liaisons.len();
    let mut done = 0usize;
    org_meta::ActiveModel { key: Set("university".into()), value: Set(json(&org.university)) }.insert(&txn).await?;
    macro_rules! batch {
        ($items:expr, $entity:ty, $mk:expr) => {
            for chunk in $items.chunks(500) {
                let rows: Vec<_> = chunk.iter().map($mk).collect();
                if !rows.is_empty() {
                    <$entity>::insert_many(rows).exec(&txn).await?;
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
    batch!(org.delegations, org_delegation::Entity, |d| org_delegation::ActiveModel {
        from_person: Set(d.from.clone()),
        data: Set(json(d)),
        ..Default::default()
    });
    txn.commit().await?;
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

/// Adds one delegation.
pub async fn add_delegation<C: ConnectionTrait>(db: &C, d: &workflows::org::Delegation) -> Result<(), StoreError> {
    org_delegation::ActiveModel { from_person: Set(d.from.clone()), data: Set(json(d)), ..Default::default() }
        .insert(db)
        .await?;
    Ok(())
}
