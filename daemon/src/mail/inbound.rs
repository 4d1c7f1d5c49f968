//! Replies: an SMTP listener (`listener`, or an IMAP mailbox, `imap`) receives them; each is kept in
//! `inbound_mail` before it is acknowledged (a `250` on SMTP, a deletion on IMAP), then read:
//!
//! 1. the token from the `reply+<token>@<domain>` address it was sent to, alive;
//! 2. machines never decide: automatic mail (RFC 3834 `Auto-Submitted`, `X-Autoreply`,
//!    `Precedence`, an empty `Return-Path`) is logged and never answered (`screen::automatic`);
//! 3. the header section is well formed (`screen::header_problem`, RFC 5322 §2.2, §3.6);
//! 4. the sender: mail-auth's one `From:` (the one DMARC aligns), read the same by mail-parser,
//!    must be the token's reviewer's registered address;
//! 5. authenticity: DKIM and DMARC must pass when `require_dmarc` is on (`auth`);
//! 6. binding: the token is in a signed `To`/`Cc`, or `In-Reply-To`/`References` name the task
//!    mail (`bound`), so a reply written for one task cannot decide another;
//! 7. the first line of the new text decides (`reply`); the rest is the comment.
//!
//! A refused reply changes nothing and is logged (`mail_actions`, and the log stream); an
//! authentic reply that says nothing clear gets an answer mail (【未能识别】) and leaves the
//! token alive. Handling is idempotent: a reply handled twice (a crash before it was marked
//! done) finds its token used and changes nothing.

use super::auth::{self, Authenticator};
use super::reply::{self, Parsed, Verdict};
use super::screen;
use crate::app::App;
use crate::app::actions::{self, Attempt, Kind, Standing};
use entities::entity::workflow::inbound_mail;
use entities::sea_orm::Set;
use entities::store;
use std::sync::Arc;
use tokio::sync::{Notify, watch};
use workflows::engine::Decision;
use workflows::org::Directory;

/// What the inbound side needs.
#[derive(Clone)]
pub struct Inbound {
    /// The domain of reply addresses.
    pub domain: String,
    /// The largest message taken.
    pub max_size: usize,
    /// DKIM/DMARC.
    pub auth: Arc<Authenticator>,
    /// Woken when a mail was kept.
    pub received: Arc<Notify>,
    /// A handling older than this (ms) was cut short and is taken again.
    pub stale_after_ms: i64,
}

/// The token of a `reply+<token>@<domain>` address, if it is one of ours.
pub fn token_of(address: &str, domain: &str) -> Option<String> {
    let a = address.trim().trim_matches(['<', '>']);
    let (local, d) = a.rsplit_once('@')?;
    if !d.eq_ignore_ascii_case(domain) {
        return None;
    }
    let token = local.strip_prefix("reply+").or_else(|| local.strip_prefix("REPLY+"))?;
    (!token.is_empty() && token.len() <= 64 && token.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| token.to_ascii_lowercase())
}

/// Keeps a mail fetched from IMAP (then it may be deleted there).
pub async fn keep(app: &App, inbound: &Inbound, raw: Vec<u8>) -> anyhow::Result<()> {
    let row = inbound_mail::ActiveModel {
        received_at: Set(chrono::Utc::now().timestamp_millis()),
        source: Set("imap".into()),
        peer: Set(None),
        mail_from: Set(None),
        rcpt: Set(None),
        raw: Set(raw),
        status: Set("pending".into()),
        claimed_at: Set(None),
        outcome: Set(None),
        ..Default::default()
    };
    store::actions::receive(&app.db, row).await?;
    inbound.received.notify_one();
    Ok(())
}

/// Handles kept mail until `stop`: at once when told, else every `poll`.
pub async fn work(app: Arc<App>, inbound: Inbound, poll: std::time::Duration, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(e) = handle_pending(&app, &inbound).await {
            tracing::warn!(error = %e, "inbound mail");
        }
        tokio::select! {
            _ = inbound.received.notified() => {}
            _ = tokio::time::sleep(poll) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Handles every kept mail not handled yet; returns how many.
pub async fn handle_pending(app: &App, inbound: &Inbound) -> anyhow::Result<usize> {
    let now = chrono::Utc::now().timestamp_millis();
    let stale = now - inbound.stale_after_ms;
    let mut n = 0;
    for row in store::actions::pending_inbound(&app.db, stale, 50).await? {
        if !store::actions::claim_inbound(&app.db, row.id, now, stale).await? {
            continue;
        }
        // a bug on one odd mail must not stop the reading of every other reply
        let outcome =
            match futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(handle(app, inbound, &row))).await {
                Ok(o) => o,
                Err(_) => {
                    tracing::error!(inbound = row.id, "reading an inbound mail panicked; it is set aside");
                    "error: reading it failed (a defect); set aside".into()
                }
            };
        store::actions::inbound_done(&app.db, row.id, &outcome).await?;
        n += 1;
    }
    Ok(n)
}

/// Reads one reply and acts on it; returns what came of it (kept on the row).
///
/// In order: a token from the envelope recipient (SMTP) or `Delivered-To`/`To`/`Cc` (IMAP); the
/// token must be alive; mail a machine wrote stops here (`screen::automatic`, logged, never
/// answered); the header section must be well formed (`screen::header_problem`); the sender is
/// mail-auth's one `From:` address and mail-parser must read the same; it must be the reviewer's
/// registered address; DKIM/DMARC; the reply must be bound to the token's task (`bound`); then the
/// first line decides. An unclear reply is answered once per token (the answer's outbox key is the
/// token's hash, so a restart or a second unclear reply adds no second answer).
async fn handle(app: &App, inbound: &Inbound, row: &inbound_mail::Model) -> String {
    // nested messages are dropped without recursion (a deep one overflowed the stack)
    let Some(msg) = crate::mail::nesting::parse(&row.raw) else {
        return "refused: not a mail".into();
    };
    let header_addrs = |h: Option<&mail_parser::Address<'_>>| -> Vec<String> {
        h.map(|a| a.iter().filter_map(|x| x.address().map(String::from)).collect()).unwrap_or_default()
    };
    let fields = screen::fields(&row.raw);
    let to_cc: Vec<(&'static str, String)> = header_addrs(msg.to())
        .into_iter()
        .map(|a| ("to", a))
        .chain(header_addrs(msg.cc()).into_iter().map(|a| ("cc", a)))
        .collect();
    let mut candidates: Vec<String> = row.rcpt.iter().cloned().collect();
    candidates.extend(to_cc.iter().map(|(_, a)| a.clone()));
    if let Some(d) = msg.header("Delivered-To").and_then(|h| h.as_text()) {
        candidates.push(d.to_string());
    }
    // the sender as DMARC reads it: mail-auth's parse of From:, the one it aligns
    let from = auth::sender(&row.raw);
    let attempt = Attempt {
        address: row.peer.clone(),
        user_agent: msg
            .header("User-Agent")
            .or_else(|| msg.header("X-Mailer"))
            .and_then(|h| h.as_text())
            .map(|s| s.chars().take(255).collect()),
        // the one From: address, or all of them when there are several (never a guess)
        sender: from.address.clone().or_else(|| (!from.all.is_empty()).then(|| from.all.join(", "))),
    };
    let Some(token) = candidates.iter().find_map(|a| token_of(a, &inbound.domain)) else {
        actions::log(app, Kind::Reply, None, &attempt, "refused", "no reply address of ours").await;
        return "refused: no reply address of ours".into();
    };
    let found = match actions::standing(app, &token, Kind::Reply).await {
        Ok(Standing::Valid(f)) => f,
        Ok(Standing::Unknown) => {
            actions::log(app, Kind::Reply, None, &attempt, "refused", "unknown token").await;
            return "refused: unknown token".into();
        }
        Ok(Standing::Expired(f)) => {
            actions::log(app, Kind::Reply, Some(&f), &attempt, "refused", "expired").await;
            return "refused: expired".into();
        }
        Ok(Standing::Spent(f)) => {
            let why = "used already (a replay), or the task is no longer this reviewer's";
            actions::log(app, Kind::Reply, Some(&f), &attempt, "refused", why).await;
            return format!("refused: {why}");
        }
        Err(e) => return format!("error: {e}"),
    };
    let (found_ref, attempt_ref) = (&found, &attempt);
    let refuse = |why: String| async move {
        actions::log(app, Kind::Reply, Some(found_ref), attempt_ref, "refused", &why).await;
        format!("refused: {why}")
    };
    // machines never decide, and are never answered (no mail loops)
    let machine = match &fields {
        Ok(f) => screen::automatic(f, (row.source == "smtp").then_some(row.mail_from.as_deref().unwrap_or_default())),
        Err(_) => None,
    };
    if let Some(mark) = machine {
        return refuse(format!("automatic mail ({mark})")).await;
    }
    if let Some(why) = screen::header_problem(&fields) {
        return refuse(format!("malformed header: {why}")).await;
    }
    let sender = match (&from.address, from.problem) {
        (Some(a), None) => a.clone(),
        (_, problem) => return refuse(format!("no usable From: ({})", problem.unwrap_or("none"))).await,
    };
    let parsed_from = header_addrs(msg.from());
    if !(parsed_from.len() == 1 && parsed_from[0].eq_ignore_ascii_case(&sender)) {
        return refuse(format!("the From: header reads two ways ({sender} and {})", parsed_from.join(", "))).await;
    }
    let reviewer = app.org().person(&found.row.person_id).cloned();
    let registered = reviewer.as_ref().map(|p| p.email.clone()).unwrap_or_default();
    if !sender.eq_ignore_ascii_case(&registered) {
        return refuse(format!("the sender {sender} is not the reviewer's address")).await;
    }
    let verdict = inbound.auth.check(&row.raw, row.mail_from.as_deref().unwrap_or_default()).await;
    if !inbound.auth.accepts(&verdict) {
        return refuse(format!("not authenticated: {}", verdict.summary)).await;
    }
    if verdict.from.as_deref().is_some_and(|f| !f.eq_ignore_ascii_case(&sender)) {
        return refuse(format!("the From: header reads two ways ({sender})")).await;
    }
    match bound(app, inbound, &verdict, &msg, &to_cc, &token, &found).await {
        Ok(true) => {}
        Ok(false) => {
            return refuse(
                "not bound to this task: the reply address is in no signed To:/Cc: and no signed \
                 In-Reply-To:/References: names the task's mail"
                    .into(),
            )
            .await;
        }
        Err(e) => return format!("error: {e}"),
    }
    let task_kind = found.task().map(|t| t.kind);
    let parsed = reply::parse_reply(&msg);
    let decision = match &parsed {
        Parsed::Command { verdict, .. } => Some(match verdict {
            Verdict::Approve => Decision::Approve,
            Verdict::Reject => Decision::Reject,
            Verdict::Return => Decision::Return,
            Verdict::Acknowledge => Decision::Acknowledge,
        }),
        Parsed::Unclear { .. } => None,
    }
    .filter(|d| task_kind.is_some_and(|k| actions::allowed(k).contains(d)));
    // A step whose reviewer fills fields (a decision form) is decided on the page: a reply
    // cannot fill them. Approving or acknowledging it by reply is answered with where to go.
    let step_form = match (found.task(), decision) {
        (Some(t), Some(Decision::Approve | Decision::Acknowledge)) => app
            .definition(&found.state.key, found.state.version)
            .await
            .ok()
            .and_then(|def| def.step(&t.step).map(|s| s.decision.fields.iter().any(|f| f.required)))
            .unwrap_or(false),
        _ => false,
    };
    if step_form {
        let first_line = reply::new_text(&msg).lines().next().unwrap_or_default().to_string();
        actions::log(app, Kind::Reply, Some(&found), &attempt, "refused", "the step is decided on the page").await;
        let lang = reviewer.map(|p| p.lang).unwrap_or_default();
        if let Err(e) = store::actions::inbound_done(&app.db, row.id, &first_line).await {
            tracing::warn!(error = %e, "recording a reply to a step decided on the page");
        }
        let res = store::jobs::enqueue(
            &app.db,
            &format!("reply_on_page:{}", found.row.token_hash),
            &found.row.request_id,
            &found.row.person_id,
            &format!("reply_on_page:{}", row.id),
            if lang == workflows::catalog::Lang::En { "en" } else { "zh" },
            Some(found.row.task_no),
        )
        .await;
        if let Err(e) = res {
            tracing::warn!(error = %e, "queueing the answer to a reply for a step decided on the page");
        }
        app.committed.notify_waiters();
        return "refused: the step is decided on the page".into();
    }
    match (decision, parsed) {
        (Some(d), Parsed::Command { comment, .. }) => {
            match actions::decide(app, &token, Kind::Reply, d, comment, &attempt).await {
                Ok(_) => format!("decided: {}", crate::labels::verb(d, workflows::catalog::Lang::En)),
                Err(e) => format!("refused: {e}"),
            }
        }
        (_, parsed) => {
            let first_line = match parsed {
                Parsed::Unclear { first_line } => first_line,
                Parsed::Command { .. } => reply::new_text(&msg).lines().next().unwrap_or_default().to_string(),
            };
            actions::log(app, Kind::Reply, Some(&found), &attempt, "unclear", &first_line).await;
            let lang = reviewer.map(|p| p.lang).unwrap_or_default();
            // the answer mail quotes the first line from the row
            if let Err(e) = store::actions::inbound_done(&app.db, row.id, &first_line).await {
                tracing::warn!(error = %e, "recording an unclear reply");
            }
            // one answer per token: the key is the token's (hashed) identity, kept in the outbox
            let res = store::jobs::enqueue(
                &app.db,
                &format!("reply_unclear:{}", found.row.token_hash),
                &found.row.request_id,
                &found.row.person_id,
                &format!("reply_unclear:{}", row.id),
                if lang == workflows::catalog::Lang::En { "en" } else { "zh" },
                Some(found.row.task_no),
            )
            .await;
            if let Err(e) = res {
                tracing::warn!(error = %e, "queueing the answer to an unclear reply");
            }
            app.committed.notify_waiters();
            first_line
        }
    }
}

/// Whether a reply is bound to the token's task: the token's reply address is in a `To:`/`Cc:`
/// header, or an `In-Reply-To:`/`References:` id is the Message-ID of the mail that carried the
/// token — each only when the aligned DKIM signature covers that header (when DMARC is required).
/// The envelope recipient alone never binds: a genuine reply for one task, re-sent to another
/// task's reply address, decides nothing.
async fn bound(
    app: &App,
    inbound: &Inbound,
    verdict: &auth::Verdict,
    msg: &mail_parser::Message<'_>,
    to_cc: &[(&'static str, String)],
    token: &str,
    found: &actions::Found,
) -> Result<bool, entities::store::StoreError> {
    let addressed = to_cc.iter().any(|(header, a)| {
        token_of(a, &inbound.domain).as_deref() == Some(token) && inbound.auth.vouches_for(verdict, header)
    });
    if addressed {
        return Ok(true);
    }
    let Some(outbox) = found.row.outbox_id else { return Ok(false) };
    let Some(key) = store::actions::outbox_key(&app.db, outbox).await? else { return Ok(false) };
    let wanted = format!("{}@", super::transport::message_id_local(&key));
    let ids = |name: &str, h: Option<&mail_parser::HeaderValue<'_>>| -> bool {
        let ids: Vec<&str> = match h {
            Some(mail_parser::HeaderValue::Text(t)) => vec![t.as_ref()],
            Some(mail_parser::HeaderValue::TextList(l)) => l.iter().map(|t| t.as_ref()).collect(),
            _ => vec![],
        };
        inbound.auth.vouches_for(verdict, name) && ids.iter().any(|id| id.trim_matches(['<', '>']).starts_with(&wanted))
    };
    Ok(ids("in-reply-to", msg.header("In-Reply-To")) || ids("references", msg.header("References")))
}

#[cfg(test)]
mod tests {
    use super::token_of;

    #[test]
    fn reply_addresses_carry_the_token() {
        let t = "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst";
        assert_eq!(token_of(&format!("reply+{t}@reply.example.edu.cn"), "reply.example.edu.cn").as_deref(), Some(t));
        assert_eq!(token_of(&format!("<REPLY+{t}@Reply.Example.edu.cn>"), "reply.example.edu.cn").as_deref(), Some(t));
        assert_eq!(token_of(&format!("reply+{t}@elsewhere.example"), "reply.example.edu.cn"), None);
        assert_eq!(token_of("someone@reply.example.edu.cn", "reply.example.edu.cn"), None);
        assert_eq!(token_of("reply+a.b@reply.example.edu.cn", "reply.example.edu.cn"), None);
        assert_eq!(token_of("reply+@reply.example.edu.cn", "reply.example.edu.cn"), None);
    }
}
