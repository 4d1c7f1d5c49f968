//! The open-task projection knows which post made each task's reviewer one (issue 10), so an org
//! import and the daily check of posts' `to:` dates find the tasks whose post ended without
//! loading every request.

use sea_orm_migration::prelude::*;

/// Adds `tasks.post`: the qualifying post as JSON (`{"body":…,"role":…,"division":…}`), null for
/// a task given by name and for tasks older than the column.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Alias::new("tasks"))
                .add_column(ColumnDef::new(Alias::new("post")).string_len(400).null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Alias::new("tasks")).drop_column(Alias::new("post")).to_owned()).await
    }
}
