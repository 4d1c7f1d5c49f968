//! The annual assessment (M10 年度考核): a year's criteria, the assessors' score sheets and the
//! published versions of the year's results.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `assessment_criteria`, `assessment_sheets` and `assessment_publications`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Alias::new("assessment_criteria"))
                .if_not_exists()
                .col(integer("year").primary_key())
                .col(text("items"))
                .col(string_len_null("updated_by", 64))
                .col(big_integer("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Alias::new("assessment_sheets"))
                .if_not_exists()
                .col(integer("year"))
                .col(string_len("department", 64))
                .col(string_len("assessor", 64))
                .col(text("scores"))
                .col(text("comment"))
                .col(big_integer("updated_at"))
                .primary_key(
                    Index::create().col(Alias::new("year")).col(Alias::new("department")).col(Alias::new("assessor")),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Alias::new("assessment_publications"))
                .if_not_exists()
                .col(integer("year"))
                .col(integer("version"))
                .col(text("results"))
                .col(text("note"))
                .col(string_len_null("published_by", 64))
                .col(big_integer("published_at"))
                .primary_key(Index::create().col(Alias::new("year")).col(Alias::new("version")))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["assessment_publications", "assessment_sheets", "assessment_criteria"] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
