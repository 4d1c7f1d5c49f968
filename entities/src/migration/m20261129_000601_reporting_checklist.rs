//! M1 records kept directly (issue 11 requirement 2): a class's reporting-system adoption gains
//! its term, its reporting contacts and who recorded it; the reporting checklist (请示报告清单)
//! is kept in versions, each a draft until 校团委 signs it off.

use sea_orm_migration::{prelude::*, schema::*};

/// Adds `reporting_adoptions.term`, `.contact_person`, `.counselor`, `.recorded_by` (null for
/// rows written before) and creates `reporting_checklists`.
#[derive(DeriveMigrationName)]
pub struct Migration;

const ADOPTION_COLUMNS: &[&str] = &["contact_person", "counselor", "recorded_by"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        m.alter_table(
            Table::alter()
                .table(Alias::new("reporting_adoptions"))
                .add_column(ColumnDef::new(Alias::new("term")).integer().null())
                .to_owned(),
        )
        .await?;
        for c in ADOPTION_COLUMNS {
            m.alter_table(
                Table::alter()
                    .table(Alias::new("reporting_adoptions"))
                    .add_column(ColumnDef::new(Alias::new(*c)).string_len(64).null())
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table(Alias::new("reporting_checklists"))
                .if_not_exists()
                .col(integer("version").primary_key())
                .col(string_len("status", 16))
                .col(text("items"))
                .col(text("note"))
                .col(string_len_null("drafted_by", 64))
                .col(big_integer("drafted_at"))
                .col(string_len_null("signed_by", 64))
                .col(big_integer_null("signed_at"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("reporting_checklists")).if_exists().to_owned()).await?;
        for c in ["term"].iter().chain(ADOPTION_COLUMNS) {
            m.alter_table(
                Table::alter().table(Alias::new("reporting_adoptions")).drop_column(Alias::new(*c)).to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
