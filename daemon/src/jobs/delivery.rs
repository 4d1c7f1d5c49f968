//! Delivery: the relay hands due outbox rows to the job queue (apalis), and the `Deliver` job
//! renders each notification in the recipient's language and sends it. A transient failure is
//! retried by apalis with exponential backoff; a permanent one (a bad address) or the last
//! attempt ends it: the row says why and the request's timeline records it.
//!
//! A job may run again after a crash (its ack is written after it returns): it claims the row
//! first and does nothing when the row is already sent or failed.

use super::queue::{Deliver, Queue};
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

/// The relay: runs until `stop`, every poll interval or as soon as a command commits.
pub async fn relay_loop(app: Arc<App>, cfg: Config, queue: Queue, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(e) = relay(&app, &cfg, &queue).await {
            tracing::warn!(error = %e, "delivery relay");
        }
        tokio::select! {
            _ = app.committed.notified() => {}
            go_on = pause(cfg.poll, &mut stop) => if !go_on { return },
        }
    }
}

/// One round of the relay: every pending notification that is due goes to the queue (or, with
/// no job storage, is sent here). Returns how many were handed on.
///
/// With a job storage, the due rows go in batches: one multi-row push (apalis writes it in one
/// transaction), then one transaction marking them queued. A crash between the two pushes the
/// same keys again next round, which the storage ignores.
pub async fn relay(app: &App, cfg: &Config, queue: &Queue) -> anyhow::Result<usize> {
    let now = chrono::Utc::now().timestamp_millis();
    if queue.is_direct() {
        jobs::reset_stale_sending(&app.db, now - cfg.stale_after_ms).await?;
        let mut n = 0;
        for row in jobs::due_outbox(&app.db, now, 200).await? {
            if let Some(claimed) = app.gated(jobs::claim_outbox(&app.db, row.id, now, &["pending"])).await? {
                send_claimed(app, cfg, claimed, Retry::Later).await?;
                n += 1;
            }
        }
        return Ok(n);
    }
    let mut n = 0;
    loop {
        let rows = jobs::due_outbox(&app.db, now, RELAY_BATCH).await?;
        if rows.is_empty() {
            return Ok(n);
        }
        // The key names the notification and when it was (re)queued: a push repeated after a
        // crash is ignored by the storage, an admin's retry is a new job.
        let jobs: Vec<(Deliver, String)> = rows
            .iter()
            .map(|row| (Deliver { outbox: row.id }, format!("{}#{}", row.idempotency_key, row.next_attempt_at)))
            .collect();
        let _turn = app.writing().await;
        queue.push_all(&jobs, cfg.max_attempts as usize).await?;
        let marks: Vec<(i64, i64)> = rows.iter().map(|r| (r.id, r.next_attempt_at)).collect();
        n += jobs::mark_all_queued(&app.db, marks).await?;
        if (rows.len() as u64) < RELAY_BATCH {
            return Ok(n);
        }
    }
}

/// The longest form value a mail shows, in characters (the page shows it whole).
const MAIL_FIELD_CHARS: usize = 300;

/// How many due rows the relay hands on at once.
const RELAY_BATCH: u64 = 500;

/// What happened to a delivery job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The mail went out.
    Sent,
    /// It failed, and will be tried again.
    Retry(String),
    /// It failed for good.
    Failed(String),
    /// Nothing to do: the row is gone, sent or failed already.
    Skipped,
}

/// How a transient failure is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// By the job queue (the row stays `queued`).
    ByQueue,
    /// By the relay, after an exponential backoff (the row goes back to `pending`).
    Later,
}

/// The `Deliver` job: one attempt at sending outbox row `job.outbox`.
pub async fn run_job(app: &App, cfg: &Config, job: Deliver) -> anyhow::Result<Outcome> {
    let now = chrono::Utc::now().timestamp_millis();
    // `sending`: a run of this job cut short by a crash; `pending`: the relay crashed between
    // the push and marking the row queued.
    match app.gated(jobs::claim_outbox(&app.db, job.outbox, now, &["queued", "sending", "pending"])).await? {
        Some(row) => send_claimed(app, cfg, row, Retry::ByQueue).await,
        None => Ok(Outcome::Skipped),
    }
}

/// Sends a claimed row and records the outcome.
async fn send_claimed(app: &App, cfg: &Config, row: outbox::Model, retry: Retry) -> anyhow::Result<Outcome> {
    let now = chrono::Utc::now().timestamp_millis();
    match deliver(app, cfg, &row).await {
        Ok(()) => {
            let at = chrono::Utc::now().timestamp_millis();
            app.gated(jobs::outbox_result(&app.db, row.id, "sent", at, None)).await?;
            app.metrics.delivered(at - row.created_at);
            Ok(Outcome::Sent)
        }
        Err(e) if e.permanent || row.attempts >= cfg.max_attempts => {
            app.metrics.delivery_failed();
            tracing::warn!(outbox = row.id, attempts = row.attempts, error = %e.reason, "delivery failed for good");
            app.gated(jobs::outbox_result(&app.db, row.id, "failed", now, Some(e.reason.clone()))).await?;
            if let Ok(template) = serde_json::from_value::<Template>(serde_json::Value::String(row.template.clone())) {
                app.record_delivery_failure(&row.request_id, &row.recipient, template, &e.reason).await.ok();
            }
            Ok(Outcome::Failed(e.reason))
        }
        Err(e) => {
            app.metrics.delivery_failed();
            let next = now + cfg.backoff(row.attempts).as_millis() as i64;
            let status = match retry {
                Retry::ByQueue => "queued",
                Retry::Later => "pending",
            };
            app.gated(jobs::outbox_result(&app.db, row.id, status, next, Some(e.reason.clone()))).await?;
            Ok(Outcome::Retry(e.reason))
        }
    }
}

async fn deliver(app: &App, cfg: &Config, row: &outbox::Model) -> Result<(), mail::transport::SendError> {
    let perm = |r: String| mail::transport::SendError { permanent: true, reason: r };
    let retry = |r: String| mail::transport::SendError { permanent: false, reason: r };
    let org = app.org();
    let person =
        org.person(&row.recipient).ok_or_else(|| perm(format!("`{}` is no longer in the org", row.recipient)))?.clone();
    let lang = if row.lang == "en" { Lang::En } else { Lang::Zh };
    let base = cfg.public_url.trim_end_matches('/');
    let send = |rendered: mail::Rendered, reply_to: Option<String>| {
        let msg = mail::transport::build(
            &cfg.from,
            &person.name,
            &person.email,
            &row.idempotency_key,
            reply_to.as_deref(),
            &rendered,
        );
        async move { cfg.transport.send(&row.idempotency_key, msg?).await }
    };
    if row.template == "duty" {
        let n = jobs::duty_notice(&app.db, &row.idempotency_key)
            .await
            .map_err(|e| retry(e.to_string()))?
            .ok_or_else(|| perm(format!("duty notice {} is gone", row.idempotency_key)))?;
        let label =
            |s: &str| serde_json::from_str::<workflows::catalog::Label>(s).unwrap_or_default().get(lang).to_string();
        return send(mail::render_duty(lang, &person.name, &label(&n.title), &label(&n.detail), base), None).await;
    }
    if let Some(id) = row.template.strip_prefix("login:").and_then(|s| s.parse::<i64>().ok()) {
        // a login link: a new token each time the mail is made (only the newest works)
        let token = crate::app::actions::new_token();
        let minutes = crate::web::session::LOGIN_MINUTES;
        let expires = chrono::Utc::now().timestamp_millis() + minutes * 60_000;
        let hash = crate::app::tokens::token_hash(&token);
        if store::web::mailed(&app.db, id, &hash, expires).await.map_err(|e| retry(e.to_string()))?.is_none() {
            return Ok(()); // used meanwhile: nothing to send
        }
        return send(mail::render_login(lang, &person.name, &format!("{base}/login/{token}"), minutes), None).await;
    }
    let loaded = store::requests::load(&app.db, &row.request_id)
        .await
        .map_err(|e| retry(e.to_string()))?
        .ok_or_else(|| perm(format!("request {} is gone", row.request_id)))?;
    let st = loaded.state;
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
    let mut content = Content {
        recipient: person.name.clone(),
        title: st.title.clone(),
        workflow: def.as_ref().map_or(st.key.clone(), |d| d.name.get(lang).to_string()),
        submitter,
        department,
        step: step_label,
        due: task.and_then(|t| t.due_at).map(|d| crate::labels::deadline(d, lang)),
        outcome: match st.status {
            Status::Finished(o) => Some(o.label().get(lang).to_string()),
            _ => None,
        },
        link: format!("{base}/requests/{}", st.id),
        valid_days: cfg.link_days,
        fields: crate::labels::form_fields(def.as_deref(), &st.form, lang, org.as_ref())
            .into_iter()
            .map(|(label, value)| mail::Field { label, value: crate::labels::cut(&value, MAIL_FIELD_CHARS) })
            .collect(),
        ..Default::default()
    };
    if let Some(rest) = row.template.strip_prefix("reply_unclear:") {
        // the answer to a reply that decided nothing: `reply_unclear:<inbound id>`
        let first_line = match rest.parse::<i64>() {
            Ok(id) => store::actions::inbound(&app.db, id)
                .await
                .map_err(|e| retry(e.to_string()))?
                .and_then(|m| m.outcome)
                .unwrap_or_default(),
            Err(_) => String::new(),
        };
        content.note = Some(reply_hint_note(lang));
        return send(mail::render_unclear(lang, &content, &first_line), None).await;
    }
    if row.template.starts_with("reply_on_page:") {
        // the answer to a reply approving a step that asks for fields: decide it on the page
        content.note = Some(reply_hint_note(lang));
        return send(mail::render_on_page(lang, &content), None).await;
    }
    let template: Template =
        serde_json::from_value(serde_json::Value::String(row.template.clone())).map_err(|e| perm(e.to_string()))?;
    let mut reply_to = None;
    match (template, task) {
        (Template::TaskAssigned | Template::AckRequested | Template::Reminder | Template::Overdue, Some(t))
            if t.is_open() && t.assignee == row.recipient =>
        {
            // A score sheet (M10 述职评议) is filled on the page its link opens, never by a reply.
            let scoring = t.kind == workflows::engine::TaskKind::Score;
            let replies = cfg.reply_domain.is_some() && !scoring;
            let issued = crate::app::actions::issue(app, &st.id, t, row.id, cfg.link_days, replies)
                .await
                .map_err(|e| retry(e.to_string()))?;
            let def = app.definition(&st.key, st.version).await.ok();
            content.actions = issued
                .actions
                .iter()
                .map(|(d, color)| mail::ActionLink {
                    label: crate::labels::verb_on(def.as_deref(), &t.step, *d, lang),
                    url: format!("{base}/a/{}?do={}", issued.link, crate::labels::verb(*d, Lang::En).to_lowercase()),
                    color,
                })
                .collect();
            if let (Some(domain), Some(token)) = (&cfg.reply_domain, &issued.reply) {
                reply_to = Some(format!("reply+{token}@{domain}"));
                content.reply = Some(reply_words(t.kind, lang));
            }
            // A step whose reviewer fills a form when deciding (offices, a rating) is decided on
            // the page the links open; a reply can still reject or return.
            let step = def.as_deref().and_then(|d| d.step(&t.step));
            // A step that names its comment (an incident's written report) asks for it by name.
            let comment_box = crate::web::decision_form::comment_label(def.as_deref(), t, lang);
            if content.reply.is_some() {
                content.reply_comment = comment_box.clone();
            }
            if let Some(name) = comment_box.filter(|_| content.reply.is_none()) {
                content.note = Some(if lang == Lang::Zh {
                    format!("办理时请填写{name}：请点击上方按钮在页面上填写并办理。")
                } else {
                    format!("Deciding asks for the {name}: use the buttons above to write it on the page.")
                });
            }
            if scoring {
                content.actions = vec![mail::ActionLink {
                    label: (if lang == Lang::Zh { "填写评分表" } else { "Fill in the score sheet" }).into(),
                    url: format!("{base}/a/{}", issued.link),
                    color: "#0891b2",
                }];
                content.note = Some(if lang == Lang::Zh {
                    "请点击上方链接，在页面上为每一项评分后提交评分表；评分表不能通过回复邮件提交。".into()
                } else {
                    "Open the link above to score each criterion and submit the sheet; a sheet cannot be sent by reply."
                        .into()
                });
            }
            if let Some(step) = step.filter(|s| s.decision.fields.iter().any(|f| f.required)) {
                let names: Vec<String> = step
                    .decision
                    .fields
                    .iter()
                    .filter(|f| f.required)
                    .map(|f| f.label.as_ref().map_or_else(|| f.name.clone(), |l| l.get(lang).to_string()))
                    .collect();
                content.note = Some(if lang == Lang::Zh {
                    format!("此环节办理时需填写：{}。请点击上方按钮在页面上填写并办理。", names.join("、"))
                } else {
                    format!(
                        "Deciding this step asks for: {}. Use the buttons above to decide on the page.",
                        names.join(", ")
                    )
                });
            }
        }
        (Template::Confirmed, Some(t)) => {
            if let workflows::engine::TaskState::Decided { decision, at, comment, .. } = &t.state {
                let (decision, by, comment) = (*decision, *at, comment.clone());
                let events = store::requests::events(&app.db, &st.id).await.map_err(|e| retry(e.to_string()))?;
                let decided = events.iter().rev().find(
                    |(e, _)| matches!(&e.kind, workflows::engine::EventKind::TaskDecided { task, .. } if *task == t.id),
                );
                let channel = decided.map(|(e, _)| e.channel);
                let option = decided.and_then(|(e, _)| match &e.kind {
                    workflows::engine::EventKind::TaskDecided { option, .. } => option.clone(),
                    _ => None,
                });
                let def = app.definition(&st.key, st.version).await.ok();
                let said = crate::labels::decision_named(def.as_deref(), &t.step, decision, option.as_deref(), lang);
                let when = workflows::calendar::format_local(by, lang);
                content.decision = Some(match channel {
                    Some(c) => format!("{said}（{when}，{}）", crate::labels::channel(c, lang)),
                    None => format!("{said}（{when}）"),
                });
                content.comment = comment;
                content.comment_heading = Some(crate::labels::comment_heading(def.as_deref(), &t.step, lang));
            }
        }
        (Template::FollowUp | Template::OverdueNotice | Template::LateReport, _) => {
            let events = store::requests::events(&app.db, &st.id).await.map_err(|e| retry(e.to_string()))?;
            let events: Vec<workflows::engine::Event> = events.into_iter().map(|(e, _)| e).collect();
            let note = reporting_note(template, &row.idempotency_key, &events, &st, def.as_deref(), org.as_ref(), lang);
            if let Some((note, step, due)) = note {
                content.note = note;
                content.step = content.step.or(step);
                content.due = content.due.or(due);
            }
        }
        _ => {}
    }
    send(mail::render(template, lang, &content), reply_to).await
}

/// What a reporting mail (【续报】, 【督办】, 【迟报】) adds: the follow-up's text, or the overdue
/// step and its holders, or the deadline that was missed — read from the event the command that
/// queued the mail wrote (the outbox key is `<request>:<first seq of that command>:<n>`), so two
/// follow-ups in a row each mail their own text. Returns (text, step label, due).
fn reporting_note(
    template: Template,
    key: &str,
    events: &[workflows::engine::Event],
    st: &workflows::engine::Instance,
    def: Option<&workflows::model::Definition>,
    org: &workflows::org::OrgDirectory,
    lang: Lang,
) -> Option<(Option<String>, Option<String>, Option<String>)> {
    use workflows::engine::EventKind;
    let first_seq: u64 = key.rsplit(':').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let zh = lang == Lang::Zh;
    let name = |p: &str| org.person(p).map_or_else(|| p.to_string(), |x| x.name.clone());
    events.iter().filter(|e| e.seq >= first_seq).find_map(|e| match (&e.kind, template) {
        (EventKind::FollowedUp { text }, Template::FollowUp) => {
            let by = e.actor.person_id().map(name).unwrap_or_default();
            let when = workflows::calendar::format_local(e.at, lang);
            Some((
                Some(if zh { format!("{by}（{when}）续报：{text}") } else { format!("{by} ({when}): {text}") }),
                None,
                None,
            ))
        }
        (EventKind::Overseen { run, .. }, Template::OverdueNotice) => {
            let r = st.runs.get(run)?;
            let step = def
                .and_then(|d| d.step(&r.step))
                .map(|s| s.label.as_ref().map_or(s.name.clone(), |l| l.get(lang).to_string()));
            let holders: Vec<String> = st.tasks_of(*run).filter(|t| t.is_open()).map(|t| name(&t.assignee)).collect();
            let sep = if zh { "、" } else { ", " };
            let text = if zh {
                format!("尚待{}办理。", holders.join(sep))
            } else {
                format!("Still with {}.", holders.join(sep))
            };
            Some((Some(text), step, r.due_at.map(|d| crate::labels::deadline(d, lang))))
        }
        (EventKind::LateReport { within, occurred, deadline }, Template::LateReport) => {
            let (o, d) = (
                workflows::calendar::format_local(*occurred, lang),
                workflows::calendar::format_local(*deadline, lang),
            );
            let within = crate::labels::duration(*within, lang);
            Some((
                Some(if zh {
                    format!("事发时间{o}，应在{within}内（{d}前）首报。")
                } else {
                    format!("It happened at {o}: the first report was due within {within} (by {d}).")
                }),
                None,
                None,
            ))
        }
        _ => None,
    })
}

/// The words a reply may start with, for a task of `kind`.
fn reply_words(kind: workflows::engine::TaskKind, lang: Lang) -> String {
    match (kind, lang) {
        (workflows::engine::TaskKind::Acknowledge, Lang::Zh) => "已阅".into(),
        (workflows::engine::TaskKind::Acknowledge, _) => "ack".into(),
        (_, Lang::Zh) => "同意”、“驳回”或“退回".into(),
        (_, _) => "approve\", \"reject\" or \"return".into(),
    }
}

/// How to reply, for the answer to an unclear reply.
fn reply_hint_note(lang: Lang) -> String {
    if lang == Lang::Zh {
        "请直接回复原通知邮件，第一行只写“同意”“批准”“不同意”“驳回”“退回”或“已阅”中的一个词，意见写在第二行起；也可以使用原邮件中的办理链接。".into()
    } else {
        "Reply to the original notification with one word on the first line — approve, yes, reject, no, return or ack — and your comment from the second line on; or use the links in that mail.".into()
    }
}

#[cfg(test)]
mod tests {
    use super::reporting_note;
    use chrono::TimeZone;
    use workflows::catalog::Lang;
    use workflows::engine::{self, Channel, Command, Template};
    use workflows::org::generate::{demo_directory, demo_people as dp};

    /// The reporting mails carry what their command recorded: a follow-up's own text (not a later
    /// one's), the overdue step and who still holds it, the missed first-report deadline.
    #[test]
    fn reporting_mails_say_what_their_own_event_recorded() {
        let def = workflows::builtin::builtin("incident_report").unwrap();
        let (dir, cal) = (demo_directory(), workflows::WorkCalendar::builtin());
        let at =
            chrono_tz::Asia::Shanghai.with_ymd_and_hms(2025, 11, 24, 11, 0, 0).unwrap().with_timezone(&chrono::Utc);
        let env = engine::Env { def: &def, dir: &dir, cal: &cal, now: at };
        let form = serde_json::json!({ "incident_type": "sensitive_incident", "title": "事件", "occurred_at": "2025-11-24T08:00:00+08:00", "body": "……" });
        let out = engine::submit(&env, "R1", dp::CS_SU_VICE_PRESIDENT, Channel::Api, &form).unwrap();
        let mut events = out.events;
        let late = reporting_note(Template::LateReport, "R1:1:0", &events, &out.state, Some(&def), &dir, Lang::Zh);
        let text = late.unwrap().0.unwrap();
        assert!(text.contains("应在2小时内") && text.contains("2025年11月24日 10:00"), "{text}");
        // two follow-ups: each mail quotes its own
        let mut st = out.state;
        let mut keys = Vec::new();
        for text in ["第一次续报", "第二次续报"] {
            let o = engine::handle(
                &env,
                &st,
                dp::CS_SU_VICE_PRESIDENT,
                Channel::Api,
                Command::FollowUp { text: text.into() },
            )
            .unwrap();
            keys.push(format!("R1:{}:0", o.events[0].seq));
            events.extend(o.events);
            st = o.state;
        }
        let first = reporting_note(Template::FollowUp, &keys[0], &events, &st, Some(&def), &dir, Lang::Zh);
        assert!(first.unwrap().0.unwrap().ends_with("续报：第一次续报"));
        let second = reporting_note(Template::FollowUp, &keys[1], &events, &st, Some(&def), &dir, Lang::En);
        assert!(second.unwrap().0.unwrap().ends_with(": 第二次续报"));
        // the written report overdue: the League secretary is told, the submitter still holds it
        let run = st.open_tasks().find(|t| t.step == "written_report").unwrap().run;
        let timer = st.timers.values().find(|t| t.id == format!("{run}:rung:0")).unwrap().clone();
        let o = engine::fire(&engine::Env { now: timer.at, ..env }, &st, &timer.id).unwrap();
        let key = format!("R1:{}:0", o.events[0].seq);
        events.extend(o.events);
        let (text, step, due) =
            reporting_note(Template::OverdueNotice, &key, &events, &o.state, Some(&def), &dir, Lang::Zh).unwrap();
        assert_eq!(step.as_deref(), Some("24小时内提交书面报告"));
        let submitter = workflows::org::Directory::person(&dir, dp::CS_SU_VICE_PRESIDENT).unwrap().name.clone();
        assert_eq!(text.unwrap(), format!("尚待{submitter}办理。"), "who still holds it");
        assert!(due.unwrap().contains("2025年11月25日"));
    }
}
