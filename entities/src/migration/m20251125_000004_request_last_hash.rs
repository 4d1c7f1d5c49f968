//! Each request row keeps the hash of its newest event, so a command appends to the audit chain
//! without first reading the chain's end (the row version check already proves nothing was
//! appended since the load).

use sea_orm_migration::prelude::*;

/// Adds `requests.last_hash`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Alias::new("requests"))
                .add_column(ColumnDef::new(Alias::new("last_hash")).string_len(64).null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Alias::new("requests")).drop_column(Alias::new("last_hash")).to_owned())
            .await
    }
}
