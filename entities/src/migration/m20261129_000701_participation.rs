//! The records people keep of taking part (issue 11, requirement 2): volunteer hours (M7),
//! students' co-design and evaluation entries on a service project (M8), and the activities
//! co-hosted by department SUs that an approved `activity_cohost` records (M6).

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `volunteer_hours`, `participation_entries` and `co_hosts`.
#[derive(DeriveMigrationName)]
pub struct Migration;

fn index(table: &str, name: &str, cols: &[&str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table));
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
                .table(Alias::new("volunteer_hours"))
                .if_not_exists()
                .col(string_len("id", 36).primary_key())
                .col(string_len("person", 64))
                // The volunteer's department and class when it was logged ("" / none when they
                // have none): who may read it, and the summary's grouping.
                .col(string_len("department", 64))
                .col(string_len_null("class", 64))
                .col(date("date"))
                // Tenths of an hour (15 = 1.5 h).
                .col(integer("tenths"))
                .col(string_len("activity", 200))
                .col(string_len_null("request", 36))
                .col(string_len("logged_by", 64))
                .col(big_integer("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("volunteer_hours", "volunteer_hours_created", &["created_at", "id"])).await?;
        m.create_index(index("volunteer_hours", "volunteer_hours_person_date", &["person", "date"])).await?;
        m.create_index(index("volunteer_hours", "volunteer_hours_department_date", &["department", "date"])).await?;
        m.create_index(index("volunteer_hours", "volunteer_hours_date", &["date"])).await?;

        m.create_table(
            Table::create()
                .table(Alias::new("participation_entries"))
                .if_not_exists()
                .col(string_len("id", 36).primary_key())
                .col(string_len("request", 36))
                // `co_design` or `evaluation`.
                .col(string_len("kind", 16))
                .col(string_len("person", 64))
                .col(string_len_null("class", 64))
                .col(integer_null("rating"))
                .col(text("text"))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .to_owned(),
        )
        .await?;
        let mut one = index("participation_entries", "participation_entries_one", &["request", "kind", "person"]);
        one.unique();
        m.create_index(one).await?;

        m.create_table(
            Table::create()
                .table(Alias::new("co_hosts"))
                .if_not_exists()
                .col(string_len("id", 80).primary_key())
                .col(string_len_null("request", 36))
                .col(string_len("host", 100))
                .col(string_len("title", 200))
                // `YYYY-MM-DD`, like the other outcome records.
                .col(string_len("date", 10))
                // JSON lists of department / class codes.
                .col(text("cohosts"))
                .col(text("co_undertakers"))
                .col(big_integer("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("co_hosts", "co_hosts_date", &["date", "id"])).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["co_hosts", "participation_entries", "volunteer_hours"] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
