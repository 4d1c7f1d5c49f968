//! Posts whose `to:` date passed (issue 10): their holders give up the open tasks those posts gave
//! them. Daily, on the periodic duties' schedule (Asia/Shanghai, and once at start so a daemon
//! that was down catches up); the tasks move as `[org] ended_post_tasks` says, one transaction per
//! request with the row-version check, so several daemons on one database never move a task
//! twice (`App::move_ended_post_tasks`).

use crate::app::App;
use apalis::prelude::{BoxDynError, Data, Monitor, WorkerBuilder};
use apalis_cron::{CronScheduler, Tick};
use chrono_tz::Asia::Shanghai;
use std::sync::Arc;

/// Registers the schedule's worker, and looks once at start.
pub fn register(monitor: Monitor, app: Arc<App>, schedule: cron::Schedule, name: &str) -> Monitor {
    let name = format!("{name}-posts");
    let catch_up = app.clone();
    tokio::spawn(async move {
        if let Err(e) = on(&catch_up, chrono::Utc::now()).await {
            tracing::warn!(error = %e, "tasks of ended posts at start");
        }
    });
    monitor.register(move |restarts| {
        WorkerBuilder::new(format!("{name}-{restarts}"))
            .backend(CronScheduler::new(schedule.clone()).with_timezone(Shanghai))
            .data(app.clone())
            .build(on_tick)
    })
}

async fn on_tick(tick: Tick<chrono_tz::Tz>, app: Data<Arc<App>>) -> Result<(), BoxDynError> {
    let at = chrono::DateTime::from_timestamp(tick.get_timestamp() as i64, 0).unwrap_or_else(chrono::Utc::now);
    on(&app, at).await?;
    Ok(())
}

/// Moves the open tasks of posts that ended before the day of `now` (Asia/Shanghai); returns how
/// many requests changed.
pub async fn on(app: &App, now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<usize> {
    let n = app.move_ended_post_tasks(now).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    if n > 0 {
        tracing::info!(requests = n, "tasks of ended posts moved");
    }
    Ok(n)
}
