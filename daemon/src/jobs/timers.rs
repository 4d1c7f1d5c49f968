//! The timer worker: every poll, claim the timers that fell due and fire each one through the
//! engine in its own transaction. Claims left by a crashed worker go back after a minute.

use super::{Config, pause};
use crate::app::App;
use entities::store::jobs;
use std::sync::Arc;
use tokio::sync::watch;

/// Runs until `stop`; looks at the periodic duties once a minute.
pub async fn run(app: Arc<App>, cfg: Config, mut stop: watch::Receiver<bool>) {
    let mut last_duties: Option<std::time::Instant> = None;
    loop {
        if let Err(e) = tick(&app, &cfg).await {
            tracing::warn!(error = %e, "timer worker");
        }
        if cfg.duties && last_duties.is_none_or(|t| t.elapsed() >= std::time::Duration::from_secs(60)) {
            last_duties = Some(std::time::Instant::now());
            match duties(&app).await {
                Ok(n) if n > 0 => tracing::info!(notices = n, "periodic duties"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "periodic duties"),
            }
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

/// Queues the periodic duty notices due today (Asia/Shanghai), each once per period.
pub async fn duties(app: &App) -> anyhow::Result<usize> {
    let day = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    duties_on(app, day).await
}

/// Queues the duty notices of `day`; returns how many were new.
pub async fn duties_on(app: &App, day: chrono::NaiveDate) -> anyhow::Result<usize> {
    use workflows::org::Directory;
    let org = app.org();
    let now = chrono::Utc::now().timestamp_millis();
    let mut new = 0;
    for n in workflows::duties::due(&org, day) {
        let lang =
            if org.person(&n.person).is_some_and(|p| p.lang == workflows::catalog::Lang::En) { "en" } else { "zh" };
        if jobs::record_duty(&app.db, &n, lang, now).await? {
            new += 1;
        }
    }
    Ok(new)
}
