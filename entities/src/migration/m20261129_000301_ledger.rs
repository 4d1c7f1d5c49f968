//! The liaisons' work ledger (M2 工作台账, `contact_ledger`): one row per entry. Indexed for the
//! latest entry per (liaison, target) — one grouped query over the index, never a scan of a
//! year's 400k entries — for a person's summary over a period, and for the newest-first lists.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `ledger_entries`.
#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "ledger_entries";

fn index(name: &str, cols: &[&str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(Alias::new(TABLE));
    for c in cols {
        i.col(Alias::new(*c));
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Alias::new(TABLE))
                .if_not_exists()
                .col(string_len("id", 36).primary_key())
                .col(string_len("liaison", 64))
                .col(string_len("target_kind", 16))
                .col(string_len("target_id", 64))
                // The department of the target (itself, or the class's): who may read it, and the filter.
                .col(string_len("department", 64))
                .col(date("date"))
                .col(string_len("mode", 16))
                .col(text("problem"))
                .col(text("help"))
                .col(text("resolution"))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .col(string_len_null("idempotency_key", 128))
                .col(string_len_null("idempotency_hash", 64))
                .to_owned(),
        )
        .await?;
        // The latest per (liaison, target) and a person's summary read this index only.
        m.create_index(index("ledger_entries_pair_date", &["liaison", "target_kind", "target_id", "date"])).await?;
        // Lists, newest first: all, or one department's.
        m.create_index(index("ledger_entries_created", &["created_at", "id"])).await?;
        m.create_index(index("ledger_entries_department", &["department", "created_at", "id"])).await?;
        m.create_index(index("ledger_entries_target", &["target_kind", "target_id", "created_at"])).await?;
        let mut unique = index("ledger_entries_idempotency", &["liaison", "idempotency_key"]);
        unique.unique();
        m.create_index(unique).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new(TABLE)).if_exists().to_owned()).await
    }
}
