//! Typed store functions over the entities: connecting (with SQLite's durability settings),
//! the org, definitions, requests with their events, tasks, outbox and timers, the work ledger.

pub mod actions;
pub mod assessment;
pub mod compliance;
pub mod definitions;
pub mod duty_review;
pub mod jobs;
pub mod ledger;
pub mod org;
pub mod participation;
pub mod records;
pub mod reporting;
pub mod requests;
pub mod stats;
pub mod web;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use std::time::Duration;

/// A store error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database said no.
    #[error("database: {0}")]
    Db(#[from] DbErr),
    /// Someone else changed the row first (optimistic concurrency): retry or give up with 409.
    #[error("the request was changed by someone else meanwhile")]
    Conflict,
    /// No such row.
    #[error("not found: {0}")]
    NotFound(String),
    /// A stored value could not be read back.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

/// How to open the database.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// `sqlite://path?mode=rwc`, `postgres://…` or `mysql://…`.
    pub url: String,
    /// Pool size.
    pub max_connections: u32,
    /// SQLite `synchronous`: `FULL` (default) or `NORMAL`.
    pub sqlite_synchronous: String,
    /// SQLite busy timeout.
    pub sqlite_busy_timeout: Duration,
    /// How long a command waits for a connection before it gives up (the database is away).
    pub acquire_timeout: Duration,
}

impl DbOptions {
    /// Options for `url` with the defaults.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 8,
            sqlite_synchronous: "FULL".into(),
            sqlite_busy_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// Opens the database: SQLite in WAL mode with the chosen `synchronous` and a busy timeout.
pub async fn connect(o: &DbOptions) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(o.url.clone());
    opts.max_connections(o.max_connections)
        .min_connections(1)
        .sqlx_logging(false)
        .acquire_timeout(o.acquire_timeout)
        .connect_timeout(o.acquire_timeout);
    if o.url.starts_with("sqlite:") {
        let sync = match o.sqlite_synchronous.to_ascii_uppercase().as_str() {
            "NORMAL" => sea_orm::sqlx::sqlite::SqliteSynchronous::Normal,
            "OFF" => sea_orm::sqlx::sqlite::SqliteSynchronous::Off,
            _ => sea_orm::sqlx::sqlite::SqliteSynchronous::Full,
        };
        let busy = o.sqlite_busy_timeout;
        opts.map_sqlx_sqlite_opts(move |s| {
            s.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sync)
                .busy_timeout(busy)
                .foreign_keys(true)
                .create_if_missing(true)
        });
    }
    Database::connect(opts).await
}

/// Milliseconds since the Unix epoch, the time format of every table.
pub fn millis(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

/// Back from milliseconds.
pub fn from_millis(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
