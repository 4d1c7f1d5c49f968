//! The oversight figures (issue 12 item 5): an index on `requests (created_at, id)` so the
//! requests submitted in a date range are read in pages without a scan
//! (`store::stats::each_created`); `events.opened_at`, when the reviewer's decision form was
//! rendered (signed by the daemon, posted back with the decision), indexed for the 秒批 signal.

use super::index_on as index;
use sea_orm_migration::prelude::*;

/// Adds `requests_created`, and `events.opened_at` with `events_opened`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index("requests_created", "requests", &["created_at", "id"])).await?;
        m.alter_table(
            Table::alter()
                .table(Alias::new("events"))
                .add_column(ColumnDef::new(Alias::new("opened_at")).big_integer().null())
                .to_owned(),
        )
        .await?;
        m.create_index(index("events_opened", "events", &["opened_at"])).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("events_opened").table(Alias::new("events")).to_owned()).await?;
        m.alter_table(Table::alter().table(Alias::new("events")).drop_column(Alias::new("opened_at")).to_owned())
            .await?;
        m.drop_index(Index::drop().name("requests_created").table(Alias::new("requests")).to_owned()).await
    }
}
