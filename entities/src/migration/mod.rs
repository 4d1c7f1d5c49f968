//! Migrations (sea-orm-migration), run forward on SQLite, PostgreSQL and MariaDB.

use sea_orm_migration::prelude::*;

mod m20251124_000001_initial;
mod m20251124_000002_duties;
mod m20251125_000003_mail_actions;
mod m20251125_000004_request_last_hash;
mod m20261129_000101_idempotency_hash;
mod m20261129_000201_outcome_records;
mod m20261129_000301_ledger;
mod m20261129_000401_requests_key_index;
mod m20261129_000501_task_post;
mod m20261129_000601_reporting_checklist;
mod m20261129_000701_participation;
mod m20261130_000101_volunteer_hours_idempotency;
mod m20261130_000801_assessment;
mod m20261130_000901_stats;

/// A (non-unique) index `name` on `table (cols…)`, for the migrations from
/// `m20261130_000901_stats` on.
fn index_on(name: &str, table: &str, cols: &[&str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table));
    for c in cols {
        i.col(Alias::new(*c));
    }
    i.to_owned()
}
mod m20261130_001203_duty_review_results;

/// The migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20251124_000001_initial::Migration),
            Box::new(m20251124_000002_duties::Migration),
            Box::new(m20251125_000003_mail_actions::Migration),
            Box::new(m20251125_000004_request_last_hash::Migration),
            Box::new(m20261129_000101_idempotency_hash::Migration),
            Box::new(m20261129_000201_outcome_records::Migration),
            Box::new(m20261129_000301_ledger::Migration),
            Box::new(m20261129_000401_requests_key_index::Migration),
            Box::new(m20261129_000501_task_post::Migration),
            Box::new(m20261129_000601_reporting_checklist::Migration),
            Box::new(m20261129_000701_participation::Migration),
            Box::new(m20261130_000101_volunteer_hours_idempotency::Migration),
            Box::new(m20261130_000801_assessment::Migration),
            Box::new(m20261130_000901_stats::Migration),
            Box::new(m20261130_001203_duty_review_results::Migration),
        ]
    }
}
