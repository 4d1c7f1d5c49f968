//! The records workflow outcomes write (issue 11): one table per kind that the org does not
//! hold (posts and liaisons stay in `org_posts` / `org_liaisons`). Each row's `id` is its source,
//! `<request>:<index of the definition's records: item>`, so writing the same outcome twice
//! writes nothing the second time.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `term_transitions`, `onboarding_records`, `training_sessions`,
/// `training_attendance`, `symposiums` and `reporting_adoptions`.
#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &[
    "term_transitions",
    "onboarding_records",
    "training_sessions",
    "training_attendance",
    "symposiums",
    "reporting_adoptions",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Alias::new("term_transitions"))
                .if_not_exists()
                .col(string_len("id", 120).primary_key())
                .col(string_len_null("request", 64))
                .col(string_len("department", 64))
                .col(string_len("date", 10))
                .col(integer("term"))
                .col(big_integer("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Alias::new("onboarding_records"))
                .if_not_exists()
                .col(string_len("id", 120).primary_key())
                .col(string_len_null("request", 64))
                .col(string_len("person", 64))
                .col(string_len("body", 120))
                .col(string_len("appointed", 10))
                .col(string_len("date", 10))
                .col(big_integer("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Alias::new("training_sessions"))
                .if_not_exists()
                .col(string_len("id", 120).primary_key())
                .col(string_len_null("request", 64))
                .col(string_len("organiser", 120))
                .col(integer("semester_year"))
                .col(string_len("semester_half", 8))
                .col(string_len("date", 10))
                .col(text("topic"))
                .col(text("audience"))
                .col(big_integer("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Alias::new("training_attendance"))
                .if_not_exists()
                .col(string_len("session", 120))
                .col(string_len("person", 64))
                .primary_key(Index::create().col(Alias::new("session")).col(Alias::new("person")))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_training_attendance_person")
                .table(Alias::new("training_attendance"))
                .col(Alias::new("person"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Alias::new("symposiums"))
                .if_not_exists()
                .col(string_len("id", 120).primary_key())
                .col(string_len_null("request", 64))
                .col(string_len("department", 64))
                .col(string_len("date", 10))
                .col(text("classes"))
                .col(big_integer("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Alias::new("reporting_adoptions"))
                .if_not_exists()
                .col(string_len("class", 64).primary_key())
                .col(string_len("date", 10))
                .col(string_len_null("request", 64))
                .col(big_integer("created_at"))
                .to_owned(),
        )
        .await?;
        for (table, col) in [
            ("term_transitions", "department"),
            ("onboarding_records", "person"),
            ("training_sessions", "organiser"),
            ("symposiums", "department"),
        ] {
            m.create_index(
                Index::create()
                    .name(format!("idx_{table}_{col}"))
                    .table(Alias::new(table))
                    .col(Alias::new(col))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES {
            m.drop_table(Table::drop().table(Alias::new(*t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
