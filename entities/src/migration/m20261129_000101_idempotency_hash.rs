//! A submit's idempotency key is kept with the hash of what was submitted, so the same key with a
//! different body can be refused (IETF draft-ietf-httpapi-idempotency-key-header, section 2.7:
//! a reused key with another payload is a 422).

use sea_orm_migration::prelude::*;

/// Adds `requests.idempotency_hash`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Alias::new("requests"))
                .add_column(ColumnDef::new(Alias::new("idempotency_hash")).string_len(64).null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table(Alias::new("requests")).drop_column(Alias::new("idempotency_hash")).to_owned(),
        )
        .await
    }
}
