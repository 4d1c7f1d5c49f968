//! The semester duty review's results (述职评议, M10): one row per reviewed person and request,
//! written by the `duty_review_result` outcome record and read by staff selection.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `duty_review_results`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Alias::new("duty_review_results"))
                .if_not_exists()
                .col(string_len("id", 80).primary_key())
                .col(string_len_null("request", 36))
                .col(string_len("person", 64))
                // The reviewed person's student union (`school_su`, `department_su@cs`).
                .col(string_len("su", 100))
                .col(string_len("semester", 80))
                // `YYYY-MM-DD`, like the other outcome records: the day the review ended.
                .col(string_len("date", 10))
                .col(double("total"))
                // JSON object: criterion key → mean.
                .col(text("means"))
                .col(integer("sheets"))
                .col(integer("panel"))
                .col(boolean("satisfactory"))
                .col(big_integer("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(super::index_on("duty_review_results_person_date", "duty_review_results", &["person", "date"]))
            .await?;
        m.create_index(super::index_on("duty_review_results_date", "duty_review_results", &["date", "id"])).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("duty_review_results")).if_exists().to_owned()).await
    }
}
