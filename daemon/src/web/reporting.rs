//! The reporting duties of a request on its page (M1 incidents, domain §3): the history lines of
//! late first reports (迟报), follow-up reports (续报) and overdue notices (督办), and the follow-up
//! form — `POST /requests/{id}/follow-ups` (form fields `text`, `csrf`) — that the submitter (or
//! whom the definition's `follow_ups.who` names) sees while the case is open.

use super::session::{CSRF_COOKIE, viewer};
use super::{actor_name, csrf, name};
use crate::app::{App, AppError, Principal};
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use entities::store;
use minijinja::{Value, context};
use serde::Deserialize;
use std::sync::Arc;
use workflows::catalog::Lang;
use workflows::engine::{Command, Event, EventKind, Instance};

/// The route of the follow-up form.
pub fn router() -> Router<Arc<App>> {
    Router::new().route("/requests/{id}/follow-ups", post(follow_up))
}

/// The history line of a reporting event; `None` for any other event.
pub(super) fn history_line(app: &App, e: &Event, lang: Lang) -> Option<String> {
    let zh = lang == Lang::Zh;
    let at = |t| workflows::calendar::format_local(t, lang);
    Some(match &e.kind {
        EventKind::FollowedUp { text } => {
            let who = actor_name(app, &e.actor, lang);
            if zh { format!("{who} 续报：{text}") } else { format!("{who} added a follow-up report: {text}") }
        }
        EventKind::LateReport { within, occurred, deadline } => {
            let within = crate::labels::duration(*within, lang);
            if zh {
                format!("迟报：事发于{}，应在{within}内（{}前）首报", at(*occurred), at(*deadline))
            } else {
                format!(
                    "Late report: it happened at {}, the first report was due within {within} (by {})",
                    at(*occurred),
                    at(*deadline)
                )
            }
        }
        EventKind::Overseen { to, .. } => {
            let names: Vec<String> = to.iter().map(|p| name(app, p)).collect();
            if zh {
                format!("逾期未办，已告知 {} 督办", names.join("、"))
            } else {
                format!("Overdue: {} told to follow it up", names.join(", "))
            }
        }
        _ => return None,
    })
}

/// Whether `who` may add a follow-up report to `st` now (the page then shows the form).
pub(super) async fn may_follow_up(app: &App, who: &Principal, st: &Instance) -> bool {
    let Ok(def) = app.definition(&st.key, st.version).await else { return false };
    let org = app.org();
    workflows::engine::reporting::may_follow_up(&def, st, &who.person, org.as_ref(), chrono::Utc::now())
}

/// The follow-up form on `st`'s page, with the page's CSRF value.
pub(super) fn form(st: &Instance, lang: Lang, csrf: String) -> Value {
    let zh = lang == Lang::Zh;
    context! {
        title => if zh { "续报" } else { "Follow-up report" },
        action => format!("/requests/{}/follow-ups", st.id),
        csrf => csrf,
        label => if zh { "续报内容（事件进展、处置情况）" } else { "What has happened since (progress, measures)" },
        button => if zh { "提交续报" } else { "Add the follow-up report" },
        max => workflows::engine::reporting::FOLLOW_UP_MAX_CHARS,
    }
}

#[derive(Debug, Deserialize)]
struct FollowUpForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    csrf: String,
}

async fn follow_up(
    State(app): State<Arc<App>>,
    crate::http::client::ClientAddr(peer): crate::http::client::ClientAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(f): Form<FollowUpForm>,
) -> Result<Response, crate::http::ApiError> {
    let Some(who) = viewer(&app, &headers).await? else {
        return Err(crate::http::ApiError::Unauthorized);
    };
    if !csrf::check(&app, &headers, CSRF_COOKIE, &f.csrf) {
        return Err(AppError::Forbidden("the form's check value or origin is wrong: reload the page".into()).into());
    }
    let meta = store::requests::Meta {
        address: Some(peer.to_string()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(255).collect()),
        idempotency_key: None,
        channel: workflows::engine::Channel::Web,
        opened_at: None,
    };
    app.command(&who, &id, Command::FollowUp { text: f.text }, meta).await?;
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, format!("/requests/{id}"))]).into_response())
}
