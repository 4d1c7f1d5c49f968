//! Periodic duty notices: one row per (duty, period, person), so each is sent once.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `duty_notices`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Alias::new("duty_notices"))
                .if_not_exists()
                .col(string_len("key", 160).primary_key())
                .col(string_len("duty", 32))
                .col(string_len("person", 64))
                .col(text("title"))
                .col(text("detail"))
                .col(big_integer("created_at"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("duty_notices")).if_exists().to_owned()).await
    }
}
