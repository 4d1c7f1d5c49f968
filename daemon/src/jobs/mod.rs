//! Background work in the daemon's process, run by an apalis `Monitor` (workers restarted when
//! they fail):
//!
//! - **delivery** (`delivery`, `queue`): a relay hands due outbox rows to an apalis queue in the
//!   same database; the `Deliver` worker sends each mail, retried with exponential backoff;
//! - **periodic duties** (`duties`): an apalis-cron schedule in Asia/Shanghai;
//! - **ended posts** (`posts`): on the same schedule, the open tasks of posts whose `to:` date
//!   passed move to the post's successor (or as `[org] ended_post_tasks` says);
//! - **timers** (`timers`): reminders, escalation rungs and auto-actions, polled from the
//!   `timers` table every poll interval (apalis's delayed jobs can run a heartbeat late, and
//!   store their time in whole seconds).
//!
//! Each piece claims its work with a conditional update or the job storage's row locks, so
//! several daemons on one database share it.

pub mod delivery;
pub mod duties;
pub mod posts;
pub mod queue;
pub mod timers;

use crate::app::App;
use crate::mail::transport::Transport;
use apalis::layers::WorkerBuilderExt;
use apalis::layers::retry::RetryPolicy;
use apalis::prelude::{AbortError, BackendExt, BoxDynError, Data, Monitor, WorkerBuilder};
use queue::{Deliver, Queue};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// What the workers need besides the app.
#[derive(Clone)]
pub struct Config {
    /// The mail transport.
    pub transport: Transport,
    /// The sender.
    pub from: String,
    /// Base URL of links.
    pub public_url: String,
    /// How often to look for work.
    pub poll: Duration,
    /// Attempts before a delivery failure is final.
    pub max_attempts: i32,
    /// The first retry's delay; each next one doubles, up to `retry_max`.
    pub retry_base: Duration,
    /// The longest delay between two attempts.
    pub retry_max: Duration,
    /// This worker's name (for timer claims and the job storage).
    pub worker: String,
    /// Send the periodic duty reminders.
    pub duties: bool,
    /// When the duties are looked at (cron with seconds, Asia/Shanghai).
    pub duties_schedule: cron::Schedule,
    /// A timer claim (or, without job storage, a send) older than this (ms) was cut short by a
    /// crash and is taken again.
    pub stale_after_ms: i64,
    /// How often a job worker tells the storage it is alive; the jobs of a worker silent for two
    /// heartbeats are taken up by another.
    pub heartbeat: Duration,
    /// Days a task mail's links and reply address work.
    pub link_days: i64,
    /// The domain of reply addresses, when replies are read.
    pub reply_domain: Option<String>,
}

impl Config {
    /// The delay after attempt `attempts` (1-based) failed.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let factor = 1u32 << (attempts.max(1) - 1).clamp(0, 20) as u32;
        self.retry_base.saturating_mul(factor).min(self.retry_max)
    }
}

/// The delay between retries of one job, as a tower backoff: the same doubling as
/// `Config::backoff`, counted from this run of the job.
#[derive(Clone)]
struct Doubling {
    cfg: Arc<Config>,
    attempts: i32,
}

impl apalis::layers::retry::backoff::Backoff for Doubling {
    type Future = tokio::time::Sleep;
    fn next_backoff(&mut self) -> Self::Future {
        self.attempts += 1;
        tokio::time::sleep(self.cfg.backoff(self.attempts))
    }
}

/// The `Deliver` job as apalis sees it: a retry is an error (the retry policy waits and calls
/// again), the end of the road an `AbortError` (no more retries).
async fn deliver_job(job: Deliver, app: Data<Arc<App>>, cfg: Data<Arc<Config>>) -> Result<(), BoxDynError> {
    match delivery::run_job(&app, &cfg, job).await {
        Ok(delivery::Outcome::Sent | delivery::Outcome::Skipped) => Ok(()),
        Ok(delivery::Outcome::Failed(reason)) => Err(Box::new(AbortError::new(anyhow::anyhow!(reason)))),
        Ok(delivery::Outcome::Retry(reason)) => Err(reason.into()),
        Err(e) => Err(e.into()),
    }
}

/// Builds the delivery worker on one storage (the storages' types differ; the rest does not).
macro_rules! delivery_worker {
    ($storage:expr, $app:expr, $cfg:expr, $name:expr) => {{
        let (storage, app, cfg, name) = ($storage.clone(), $app.clone(), $cfg.clone(), $name.clone());
        move |restarts: usize| {
            let policy = RetryPolicy::retries(cfg.max_attempts.max(1) as usize)
                .with_backoff(Doubling { cfg: cfg.clone(), attempts: 0 });
            WorkerBuilder::new(format!("{name}-deliver-{restarts}"))
                .backend(storage.clone().poll_with_interval(cfg.poll))
                .data(app.clone())
                .data(cfg.clone())
                .concurrency(queue::CONCURRENCY)
                .retry(policy)
                .build(deliver_job)
        }
    }};
}

/// Starts the workers; they stop when `stop` turns true, finishing the jobs they hold.
pub fn spawn(app: Arc<App>, cfg: Config, stop: watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
    let queue = Queue::open(&app.db, cfg.heartbeat);
    let shared = Arc::new(cfg.clone());
    let name = cfg.worker.clone();
    let mut monitor = Monitor::new().should_restart(|ctx, e| {
        tracing::warn!(worker = %ctx.name(), error = %e, "job worker stopped; restarting it");
        true
    });
    monitor = match &queue {
        Queue::Sqlite(s) => monitor.register(delivery_worker!(s, app, shared, name)),
        Queue::Postgres(s) => monitor.register(delivery_worker!(s, app, shared, name)),
        Queue::Direct => monitor,
    };
    if cfg.duties {
        monitor = duties::register(monitor, app.clone(), cfg.duties_schedule.clone(), &name);
    }
    monitor = posts::register(monitor, app.clone(), cfg.duties_schedule.clone(), &name);
    let mut handles = Vec::new();
    let mut stopped = stop.clone();
    handles.push(tokio::spawn(async move {
        let signal = async move {
            while !*stopped.borrow() {
                if stopped.changed().await.is_err() {
                    break;
                }
            }
            Ok(())
        };
        if let Err(e) = monitor.run_with_signal(signal).await {
            tracing::warn!(error = %e, "job workers");
        }
    }));
    handles.push(tokio::spawn(delivery::relay_loop(app.clone(), cfg.clone(), queue, stop.clone())));
    handles.push(tokio::spawn(timers::run(app, cfg, stop)));
    handles
}

/// Waits one poll interval, or less when stopping.
async fn pause(poll: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(poll) => !*stop.borrow(),
        _ = stop.changed() => false,
    }
}
