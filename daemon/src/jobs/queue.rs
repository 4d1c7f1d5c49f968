//! The delivery queue: apalis job storage in the daemon's own database (`apalis-sqlite` on
//! SQLite, `apalis-postgres` on PostgreSQL), sharing sea-orm's connection pool.
//!
//! The engine writes each notification to the `outbox` table in the command's transaction; the
//! relay hands due outbox rows to this queue as `Deliver` jobs whose idempotency key is the
//! notification's key (plus the time it was queued, so that an admin's retry is a new job). A
//! relay cut short by a crash pushes the same key again, which the storage ignores.
//!
//! apalis has no storage for MySQL/MariaDB that builds with apalis 1.0 (stack-notes.md); there
//! the relay sends each due row itself (`Queue::Direct`).

use apalis::prelude::{TaskBuilder, TaskSink};
use apalis_postgres::PostgresStorage;
use apalis_sqlite::SqliteStorage;
use entities::sea_orm::{DatabaseConnection, DbBackend};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The queue's name in the job tables.
pub const QUEUE: &str = "liandong.deliver";

/// Jobs a worker fetches at once. apalis fetches again as soon as a batch is handed out and
/// waits for the poll interval only when the queue was empty; its acks are written in batches.
const FETCH_BATCH: usize = 100;

/// Delivery jobs one worker runs at once (each holds at most one pooled SMTP connection).
pub const CONCURRENCY: usize = 16;

/// A delivery job: send outbox row `outbox`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deliver {
    /// The outbox row's id.
    pub outbox: i64,
}

/// Where delivery jobs go.
#[derive(Clone)]
pub enum Queue {
    /// apalis on SQLite.
    Sqlite(SqliteStorage<Deliver>),
    /// apalis on PostgreSQL.
    Postgres(PostgresStorage<Deliver>),
    /// No job storage (MySQL/MariaDB): the relay delivers itself.
    Direct,
}

/// Creates the job tables (apalis's own migrations) unless they are there. Not
/// `SqliteStorage::setup`, which would also turn SQLite's `synchronous` off on a pooled
/// connection (stack-notes.md): our durability settings stay as `store::connect` made them.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    match db.get_database_backend() {
        DbBackend::Sqlite => SqliteStorage::<()>::migrations()
            .run(db.get_sqlite_connection_pool())
            .await
            .map_err(|e| anyhow::anyhow!("migrating the job tables: {e}")),
        DbBackend::Postgres => PostgresStorage::<()>::migrations()
            .run(db.get_postgres_connection_pool())
            .await
            .map_err(|e| anyhow::anyhow!("migrating the job tables: {e}")),
        _ => Ok(()),
    }
}

impl Queue {
    /// The queue over `db`'s pool. `heartbeat`: how often a worker says it is alive; the jobs
    /// of a worker silent for two heartbeats (a killed process) are taken up by another.
    pub fn open(db: &DatabaseConnection, heartbeat: Duration) -> Self {
        match db.get_database_backend() {
            DbBackend::Sqlite => {
                let config = apalis_sqlite::Config::default()
                    .queue(QUEUE)
                    .batch_size(FETCH_BATCH)
                    .heartbeat_interval(heartbeat)
                    .missed_heartbeats(2);
                Queue::Sqlite(SqliteStorage::new(db.get_sqlite_connection_pool()).with_config(config))
            }
            DbBackend::Postgres => {
                let config = apalis_postgres::Config::default()
                    .queue(QUEUE)
                    .batch_size(FETCH_BATCH)
                    .heartbeat_interval(heartbeat)
                    .missed_heartbeats(2);
                Queue::Postgres(PostgresStorage::new(db.get_postgres_connection_pool()).with_config(config))
            }
            _ => Queue::Direct,
        }
    }

    /// Pushes a delivery job unless one with the same key was pushed before.
    pub async fn push(&self, job: Deliver, key: &str, max_attempts: usize) -> anyhow::Result<()> {
        let task = TaskBuilder::new(job).idempotency_key(key).max_attempts(max_attempts).build();
        match self {
            // `INSERT … ON CONFLICT (job_type, idempotency_key) DO NOTHING`
            Queue::Sqlite(s) => {
                s.clone().push_task(task).await.map_err(|e| anyhow::anyhow!("queueing a delivery: {e}"))
            }
            // a plain INSERT against a unique index: a second push is a unique violation
            Queue::Postgres(s) => match s.clone().push_task(task).await {
                Ok(()) => Ok(()),
                Err(apalis::prelude::TaskSinkError::PushError(apalis_postgres::Error::Database(
                    entities::sea_orm::sqlx::Error::Database(e),
                ))) if e.code().as_deref() == Some("23505") => Ok(()),
                Err(e) => Err(anyhow::anyhow!("queueing a delivery: {e}")),
            },
            Queue::Direct => Ok(()),
        }
    }

    /// Pushes many delivery jobs at once (one statement on PostgreSQL, one transaction on
    /// SQLite). A key pushed before is skipped: SQLite ignores it; on PostgreSQL the duplicate
    /// fails the whole statement, so that batch is pushed again one job at a time.
    pub async fn push_all(&self, jobs: &[(Deliver, String)], max_attempts: usize) -> anyhow::Result<()> {
        let tasks = || {
            futures::stream::iter(
                jobs.iter()
                    .map(|(job, key)| TaskBuilder::new(*job).idempotency_key(key).max_attempts(max_attempts).build())
                    .collect::<Vec<_>>(),
            )
        };
        match self {
            Queue::Sqlite(s) => {
                s.clone().push_all(tasks()).await.map_err(|e| anyhow::anyhow!("queueing deliveries: {e}"))
            }
            Queue::Postgres(s) => match s.clone().push_all(tasks()).await {
                Ok(()) => Ok(()),
                Err(apalis::prelude::TaskSinkError::PushError(apalis_postgres::Error::Database(
                    entities::sea_orm::sqlx::Error::Database(e),
                ))) if e.code().as_deref() == Some("23505") => {
                    for (job, key) in jobs {
                        self.push(*job, key, max_attempts).await?;
                    }
                    Ok(())
                }
                Err(e) => Err(anyhow::anyhow!("queueing deliveries: {e}")),
            },
            Queue::Direct => Ok(()),
        }
    }

    /// Whether jobs go through apalis (false: the relay delivers itself).
    pub fn is_direct(&self) -> bool {
        matches!(self, Queue::Direct)
    }
}
