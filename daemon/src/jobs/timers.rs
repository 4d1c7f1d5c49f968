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

/// One round: fires every timer due now. Returns how many fired.
pub async fn tick(app: &App, cfg: &Config) -> anyhow::Result<usize> {
    let now = chrono::Utc::now().timestamp_millis();
    jobs::reset_stale_claims(&app.db, now - cfg.stale_after_ms).await?;
    let due = jobs::due_timers(&app.db, now, 200).await?;
    let mut fired = 0;
    for t in due {
        if !jobs::claim_timer(&app.db, &t.request_id, &t.timer_id, &cfg.worker, now).await? {
            continue;
        }
        match app.fire_timer(&t.request_id, &t.timer_id).await {
            Ok(()) => {
                app.metrics.timer_fired(chrono::Utc::now().timestamp_millis() - t.due_at);
                fired += 1;
            }
            Err(e) => tracing::warn!(request = %t.request_id, timer = %t.timer_id, error = %e, "timer"),
        }
    }
    Ok(fired)
}
