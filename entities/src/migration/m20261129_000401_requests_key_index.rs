//! An index on `requests (key, updated_at)`: the compliance checks read the requests of a few
//! definition keys changed since a day (`store::compliance::request_facts`), without a scan.

use sea_orm_migration::prelude::*;

/// Adds `requests_key_updated`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("requests_key_updated")
                .table(Alias::new("requests"))
                .col(Alias::new("key"))
                .col(Alias::new("updated_at"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("requests_key_updated").table(Alias::new("requests")).to_owned()).await
    }
}
