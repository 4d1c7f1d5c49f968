//! The delivery worker: every poll, claim due outbox rows, render each notification in the
//! recipient's language, send it, and record the result — retrying with exponential backoff,
//! stopping at a permanent failure (a bad address) or after `max_attempts`.

use super::{Config, pause};
use crate::app::App;
use crate::mail::{self, Content};
use entities::entity::workflow::outbox;
use entities::store::{self, jobs};
use std::sync::Arc;
use tokio::sync::watch;
use workflows::catalog::Lang;
use workflows::engine::{Status, Template};
use workflows::org::Directory;

/// Runs until `stop`.
pub async fn run(app: Arc<App>, cfg: Config, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(e) = tick(&app, &cfg).await {
            tracing::warn!(error = %e, "delivery worker");
        }
        if !pause(cfg.poll, &mut stop).await {
            return;
        }
    }
}

/// One round: delivers every notification due now. Returns how many were sent.
pub async fn tick(app: &App, cfg: &Config) -> anyhow::Result<usize> {
    let now = chrono::Utc::now().timestamp_millis();
    jobs::reset_stale_sending(&app.db, now - cfg.stale_after_ms).await?;
    let mut sent = 0;
    for row in jobs::due_outbox(&app.db, now, 100).await? {
        if !jobs::claim_outbox(&app.db, row.id, now).await? {
            continue;
        }
        let attempts = row.attempts + 1;
        match deliver(app, cfg, &row).await {
            Ok(()) => {
                let at = chrono::Utc::now().timestamp_millis();
                jobs::outbox_result(&app.db, row.id, "sent", at, None).await?;
                app.metrics.delivered(at - row.created_at);
                sent += 1;
            }
            Err(e) if e.permanent || attempts >= cfg.max_attempts => {
                app.metrics.delivery_failed();
                tracing::warn!(outbox = row.id, error = %e.reason, "delivery failed for good");
                jobs::outbox_result(&app.db, row.id, "failed", now, Some(e.reason.clone())).await?;
                if let Ok(template) =
                    serde_json::from_value::<Template>(serde_json::Value::String(row.template.clone()))
                {
                    app.record_delivery_failure(&row.request_id, &row.recipient, template, &e.reason).await.ok();
                }
            }
            Err(e) => {
                app.metrics.delivery_failed();
                let backoff = 1_000i64 << attempts.clamp(0, 12);
                jobs::outbox_result(&app.db, row.id, "pending", now + backoff.min(3_600_000), Some(e.reason)).await?;
            }
        }
    }
    Ok(sent)
}

async fn deliver(app: &App, cfg: &Config, row: &outbox::Model) -> Result<(), mail::transport::SendError> {
    let perm = |r: String| mail::transport::SendError { permanent: true, reason: r };
    let org = app.org();
    let person =
        org.person(&row.recipient).ok_or_else(|| perm(format!("`{}` is no longer in the org", row.recipient)))?.clone();
    if row.template == "duty" {
        let n = jobs::duty_notice(&app.db, &row.idempotency_key)
            .await
            .map_err(|e| mail::transport::SendError { permanent: false, reason: e.to_string() })?
            .ok_or_else(|| perm(format!("duty notice {} is gone", row.idempotency_key)))?;
        let lang = if row.lang == "en" { Lang::En } else { Lang::Zh };
        let label =
            |s: &str| serde_json::from_str::<workflows::catalog::Label>(s).unwrap_or_default().get(lang).to_string();
        let r = mail::render_duty(
            lang,
            &person.name,
            &label(&n.title),
            &label(&n.detail),
            cfg.public_url.trim_end_matches('/'),
        );
        let msg = mail::transport::build(&cfg.from, &person.name, &person.email, &row.idempotency_key, &r)?;
        return cfg.transport.send(&row.idempotency_key, msg).await;
    }
    let loaded = store::requests::load(&app.db, &row.request_id)
        .await
        .map_err(|e| mail::transport::SendError { permanent: false, reason: e.to_string() })?
        .ok_or_else(|| perm(format!("request {} is gone", row.request_id)))?;
    let st = loaded.state;
    let lang = if row.lang == "en" { Lang::En } else { Lang::Zh };
    let template: Template =
        serde_json::from_value(serde_json::Value::String(row.template.clone())).map_err(|e| perm(e.to_string()))?;
    let def = app.definition(&st.key, st.version).await.ok();
    let task = row.task_no.and_then(|n| st.tasks.get(&(n as u32)));
    let step_label = task.and_then(|t| {
        def.as_ref()
            .and_then(|d| d.step(&t.step))
            .map(|s| s.label.as_ref().map_or(s.name.clone(), |l| l.get(lang).to_string()))
    });
    let submitter = org.person(&st.submitter.id).map(|p| p.name.clone()).unwrap_or_else(|| st.submitter.id.clone());
    let department =
        st.submitter.department.as_ref().and_then(|d| org.department(d)).map(|d| d.name.get(lang).to_string());
    let content = Content {
        recipient: person.name.clone(),
        title: st.title.clone(),
        workflow: def.as_ref().map_or(st.key.clone(), |d| d.name.get(lang).to_string()),
        submitter,
        department,
        step: step_label,
        due: task.and_then(|t| t.due_at).map(|d| workflows::calendar::format_local(d, lang)),
        outcome: match st.status {
            Status::Finished(o) => Some(o.label().get(lang).to_string()),
            _ => None,
        },
        link: format!("{}/requests/{}", cfg.public_url.trim_end_matches('/'), st.id),
    };
    let rendered = mail::render(template, lang, &content);
    let msg = mail::transport::build(&cfg.from, &person.name, &person.email, &row.idempotency_key, &rendered)?;
    cfg.transport.send(&row.idempotency_key, msg).await
}
