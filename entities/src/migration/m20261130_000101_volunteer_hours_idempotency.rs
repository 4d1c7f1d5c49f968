//! Volunteer hours take an `Idempotency-Key` as ledger entries do: a retried log (the answer
//! lost on a train's Wi-Fi) gets the first entry back instead of counting the hours twice.

use sea_orm_migration::prelude::*;

/// Adds `volunteer_hours.idempotency_key` and `idempotency_hash`, unique per logger and key.
#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "volunteer_hours";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column an ALTER: SQLite adds one at a time.
        for (name, len) in [("idempotency_key", 128), ("idempotency_hash", 64)] {
            m.alter_table(
                Table::alter()
                    .table(Alias::new(TABLE))
                    .add_column(ColumnDef::new(Alias::new(name)).string_len(len).null())
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(
            Index::create()
                .name("volunteer_hours_idempotency")
                .table(Alias::new(TABLE))
                .col(Alias::new("logged_by"))
                .col(Alias::new("idempotency_key"))
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("volunteer_hours_idempotency").table(Alias::new(TABLE)).to_owned()).await?;
        for name in ["idempotency_hash", "idempotency_key"] {
            m.alter_table(Table::alter().table(Alias::new(TABLE)).drop_column(Alias::new(name)).to_owned()).await?;
        }
        Ok(())
    }
}
