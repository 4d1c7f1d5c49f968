//! The timer worker: every poll, claim the timers that fell due and fire each one through the
//! engine in its own transaction. Claims left by a crashed worker are taken again after
//! `stale_after_ms`.

use super::{Config, pause};
use crate::app::App;
use entities::store::jobs;
use std::sync::Arc;
use tokio::sync::watch;

/// Runs until `stop`.
pub async fn run(app: Arc<App>, cfg: Config, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(e) = tick(&app, &cfg).await {
            tracing::warn!(error = %e, "timer worker");
        }
        if !pause(cfg.poll, &mut stop).await {
            return;
        }
    }
}

/// One round: fires every timer due now, up to `FIRE_AT_ONCE` at a time (each in its own
/// transaction; each claimed just before it fires, so a crash strands few claims). Returns how
/// many fired.
pub async fn tick(app: &App, cfg: &Config) -> anyhow::Result<usize> {
    use futures::StreamExt;
    let now = chrono::Utc::now().timestamp_millis();
    jobs::reset_stale_claims(&app.db, now - cfg.stale_after_ms).await?;
    let due = jobs::due_timers(&app.db, now, 500).await?;
    let fired = futures::stream::iter(due)
        .map(|t| async move {
            match app.gated(jobs::claim_timer(&app.db, &t.request_id, &t.timer_id, &cfg.worker, now)).await {
                Ok(true) => {}
                Ok(false) => return false,
                Err(e) => {
                    tracing::warn!(request = %t.request_id, timer = %t.timer_id, error = %e, "claiming a timer");
                    return false;
                }
            }
            match app.fire_timer(&t.request_id, &t.timer_id).await {
                Ok(()) => {
                    app.metrics.timer_fired(chrono::Utc::now().timestamp_millis() - t.due_at);
                    true
                }
                Err(e) => {
                    tracing::warn!(request = %t.request_id, timer = %t.timer_id, error = %e, "timer");
                    false
                }
            }
        })
        .buffer_unordered(FIRE_AT_ONCE)
        .filter(|ok| std::future::ready(*ok))
        .count()
        .await;
    Ok(fired)
}

/// Timers fired at once by one worker.
const FIRE_AT_ONCE: usize = 8;
