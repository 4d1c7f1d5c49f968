//! Periodic duties (domain.md §3): the obligations that fall due by the calendar — M4 training
//! filing and onboarding, M9 year-end reports and the federation summary — unless the records
//! and requests show them done, and every compliance finding (a ledger silent for 60 days, an
//! overdue onboarding…) told to the people who must act. An apalis-cron schedule in Asia/Shanghai (daily at 08:00 by default)
//! looks at the day; each notice is recorded once per period, with its mail, in one
//! transaction, so several daemons (or a restart, which looks at the day once at once) never
//! tell anybody twice.

use crate::app::App;
use apalis::prelude::{BoxDynError, Data, Monitor, WorkerBuilder};
use apalis_cron::{CronScheduler, Tick};
use chrono_tz::Asia::Shanghai;
use std::sync::Arc;
use workflows::org::Directory;

/// Registers the schedule's worker; it also looks at today once when it starts, so a daemon
/// that was down at the scheduled time catches up.
pub fn register(monitor: Monitor, app: Arc<App>, schedule: cron::Schedule, name: &str) -> Monitor {
    let name = format!("{name}-duties");
    let catch_up = app.clone();
    tokio::spawn(async move {
        match today(&catch_up).await {
            // The notices sent at start count like the schedule's.
            Ok(n) => catch_up.metrics.duty_run(n),
            Err(e) => tracing::warn!(error = %e, "periodic duties at start"),
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
    let n = on(&app, at.with_timezone(&Shanghai).date_naive()).await?;
    app.metrics.duty_run(n);
    if n > 0 {
        tracing::info!(notices = n, "periodic duties");
    }
    Ok(())
}

/// Looks at today (Asia/Shanghai).
pub async fn today(app: &App) -> anyhow::Result<usize> {
    on(app, chrono::Utc::now().with_timezone(&Shanghai).date_naive()).await
}

/// The duty notices of `day`: the calendar's reminders not done yet, and each compliance
/// finding told to its `people` (`workflows::duties::due_with`). Refreshes the compliance gauges
/// when `day` is today.
pub async fn notices(app: &App, day: chrono::NaiveDate) -> anyhow::Result<Vec<workflows::duties::Notice>> {
    let (records, requests) = app.compliance_inputs(day).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let (org, cfg, cal) = (app.org(), app.duties.clone(), app.calendar.clone());
    let (notices, counts) = tokio::task::spawn_blocking(move || {
        let found = workflows::compliance::findings(org.as_ref(), &records, &requests, day, &cfg, &cal);
        let notices = workflows::duties::due_with(org.as_ref(), &records, &requests, &found, day, &cfg);
        (notices, workflows::compliance::counts(&found))
    })
    .await?;
    if day == crate::app::compliance::today() {
        app.metrics.compliance_counts(counts);
    }
    Ok(notices)
}

/// Records (and queues the mail of) the duty notices of `day`; returns how many were new.
pub async fn on(app: &App, day: chrono::NaiveDate) -> anyhow::Result<usize> {
    let org = app.org();
    let now = chrono::Utc::now().timestamp_millis();
    let mut new = 0;
    if let Some(w) = app.calendar_warning_on(day) {
        tracing::warn!(warning = %w, "working-day calendar");
    }
    for n in notices(app, day).await? {
        let lang =
            if org.person(&n.person).is_some_and(|p| p.lang == workflows::catalog::Lang::En) { "en" } else { "zh" };
        if entities::store::jobs::record_duty(&app.db, &n, lang, now).await? {
            new += 1;
        }
    }
    if new > 0 {
        app.committed.notify_waiters();
    }
    Ok(new)
}
