//! Bearer tokens: 256 random bits shown once, stored only as a SHA-256 hash.

use super::{App, AppError, Principal};
use entities::entity::workflow::api_token;
use entities::sea_orm::sea_query::Expr;
use entities::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use rand::RngCore;
use sha2::{Digest, Sha256};
use workflows::org::Directory;

/// The hash a token is stored under.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl App {
    /// Creates a token for `person` and returns it (the only time it is seen).
    pub async fn create_token(&self, person: &str, name: &str, admin: bool) -> Result<String, AppError> {
        let p = self.org().person(person).map(|p| p.id.clone()).ok_or_else(|| AppError::Invalid {
            code: "unknown_person",
            message: format!("`{person}` is not a person of the org"),
            fields: vec![],
        })?;
        let mut raw = [0u8; 32];
        rand::rng().fill_bytes(&mut raw);
        let token = format!("ld_{}", hex::encode(raw));
        api_token::ActiveModel {
            person_id: Set(p),
            name: Set(name.chars().take(120).collect()),
            token_hash: Set(token_hash(&token)),
            admin: Set(admin),
            created_at: Set(chrono::Utc::now().timestamp_millis()),
            revoked_at: Set(None),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        Ok(token)
    }

    /// The principal a bearer token stands for, if it is valid.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Principal>, AppError> {
        let row =
            api_token::Entity::find().filter(api_token::Column::TokenHash.eq(token_hash(token))).one(&self.db).await?;
        // A person no longer in the org has no tokens that work (an import may remove them).
        let org = self.org();
        Ok(row.filter(|r| r.revoked_at.is_none() && org.person(&r.person_id).is_some()).map(|r| {
            let org_admin = org.person(&r.person_id).is_some_and(|p| p.admin);
            Principal { person: r.person_id, admin: r.admin || org_admin }
        }))
    }

    /// An admin creates a token for someone.
    pub async fn create_token_as(
        &self,
        who: &Principal,
        person: &str,
        name: &str,
        admin: bool,
    ) -> Result<String, AppError> {
        super::definitions::admin(who)?;
        self.create_token(person, name, admin).await
    }

    /// The tokens the caller may see (an admin: every token; anyone else: their own), newest
    /// first, without their secrets (only the hash is stored anyway).
    pub async fn list_tokens(&self, who: &Principal) -> Result<Vec<api_token::Model>, AppError> {
        let mut q = api_token::Entity::find().order_by_desc(api_token::Column::Id);
        if !who.admin {
            q = q.filter(api_token::Column::PersonId.eq(who.person.clone()));
        }
        Ok(q.all(&self.db).await?)
    }

    /// Revokes token `id`: its owner or an admin may; for anyone else it does not exist (404).
    /// The token answers 401 from the next request on. Revoking a revoked token changes nothing.
    pub async fn revoke_token(&self, who: &Principal, id: i64) -> Result<(), AppError> {
        let row = api_token::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .filter(|r| who.admin || r.person_id == who.person)
            .ok_or_else(|| AppError::NotFound(format!("no token {id}")))?;
        if row.revoked_at.is_some() {
            return Ok(());
        }
        self.gated(
            api_token::Entity::update_many()
                .col_expr(api_token::Column::RevokedAt, Expr::value(chrono::Utc::now().timestamp_millis()))
                .filter(api_token::Column::Id.eq(id))
                .filter(api_token::Column::RevokedAt.is_null())
                .exec(&self.db),
        )
        .await?;
        Ok(())
    }
}
