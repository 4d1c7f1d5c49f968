//! Bearer tokens: 256 random bits shown once, stored only as a SHA-256 hash.

use super::{App, AppError, Principal};
use entities::entity::workflow::api_token;
use entities::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
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
        Ok(row.filter(|r| r.revoked_at.is_none()).map(|r| {
            let org_admin = self.org().person(&r.person_id).is_some_and(|p| p.admin);
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
}
