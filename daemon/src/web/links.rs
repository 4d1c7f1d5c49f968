//! `/a/{token}`: the page behind a task mail's links. GET only shows (link scanners such as
//! Safe Links open every URL): the matter, the form, the history, a comment box and the
//! buttons — or, for a link already used, what was decided, by whom and when; for an expired or
//! dead one, that, in plain words. Only the POST from the page decides: it must carry the
//! page's CSRF value, matching its cookie (SameSite=Strict), and come from our own origin.

use super::{Page, matter, render};
use crate::app::actions::{self, Attempt, Found, Kind, Standing};
use crate::app::{App, AppError};
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use minijinja::context;
use serde::Deserialize;
use std::sync::Arc;
use workflows::catalog::Lang;
use workflows::engine::{Decision, TaskState};
use workflows::org::Directory;

const CSRF_COOKIE: &str = "ld_csrf";

/// The routes.
pub fn router() -> Router<Arc<App>> {
    Router::new().route("/a/{token}", get(show).post(decide))
}

/// `?do=approve&lang=en`.
#[derive(Debug, Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default, rename = "do")]
    action: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

pub(crate) fn parse_decision(s: &str) -> Option<Decision> {
    match s.to_ascii_lowercase().as_str() {
        "approve" => Some(Decision::Approve),
        "reject" => Some(Decision::Reject),
        "return" => Some(Decision::Return),
        "acknowledge" => Some(Decision::Acknowledge),
        _ => None,
    }
}

pub(crate) fn decision_value(d: Decision) -> &'static str {
    match d {
        Decision::Approve => "approve",
        Decision::Reject => "reject",
        Decision::Return => "return",
        Decision::Acknowledge => "acknowledge",
        Decision::Option => "option",
        Decision::Score => "score",
    }
}

/// The language of the page: `?lang=`, else the token's reviewer's, else zh-CN.
fn lang_of(app: &App, q: Option<&str>, found: Option<&Found>) -> Lang {
    match q {
        Some("en") => Lang::En,
        Some("zh") => Lang::Zh,
        _ => found.and_then(|f| app.org().person(&f.row.person_id).map(|p| p.lang)).unwrap_or(Lang::Zh),
    }
}

fn request_link(app: &App, id: &str) -> String {
    format!("{}/requests/{id}", app.public_url.trim_end_matches('/'))
}

/// What happened to the task, in words: decided by whom and when, or why it ended.
fn outcome(app: &App, f: &Found, def: Option<&workflows::model::Definition>, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    match f.task().map(|t| (&t.state, t.step.as_str())) {
        Some((TaskState::Decided { decision, by, at, comment }, step)) => {
            let who = super::actor_name(app, by, lang);
            let when = workflows::calendar::format_local(*at, lang);
            let d = crate::labels::decision_named(def, step, *decision, None, lang);
            let mut s = if zh {
                format!("该事项已于 {when} 由 {who} 办理：{d}。")
            } else {
                format!("This was decided on {when} by {who}: {d}.")
            };
            if let Some(c) = comment.as_ref().filter(|c| !c.is_empty()) {
                let heading = crate::labels::comment_heading(def, step, lang);
                s.push_str(&if zh { format!("{heading}：{c}") } else { format!(" {heading}: {c}") });
            }
            s
        }
        Some((TaskState::Cancelled { reason, at }, _)) => {
            let when = workflows::calendar::format_local(*at, lang);
            let why = crate::labels::cancelled(*reason, lang);
            if zh {
                format!("您的这项任务已于 {when} 结束（{why}），此链接已失效，无需再办理。")
            } else {
                format!("Your task ended on {when} ({why}); this link no longer works and nothing more is needed.")
            }
        }
        _ => {
            if zh {
                "此链接已使用或已失效，该任务已不再等待您办理。".into()
            } else {
                "This link was used or no longer applies: the task is not waiting for you.".into()
            }
        }
    }
}

fn headings(lang: Lang) -> (&'static str, &'static str, &'static str, &'static str) {
    if lang == Lang::Zh {
        ("办理事项", "链接已失效", "链接已过期", "链接无效")
    } else {
        ("Decide", "This link no longer works", "This link has expired", "This link is not valid")
    }
}

/// A page for a token that cannot decide (unknown, expired, spent).
async fn not_valid_page(app: &App, standing: &Standing, lang: Lang) -> (StatusCode, Page) {
    let zh = lang == Lang::Zh;
    let (_, spent, expired, unknown) = headings(lang);
    match standing {
        Standing::Unknown => (
            StatusCode::NOT_FOUND,
            Page {
                heading: unknown.into(),
                message: Some(if zh {
                    "此链接无效：请确认您打开的是邮件中完整的链接，或登录联动查看您的待办事项。".into()
                } else {
                    "This link is not valid: check that you opened the whole link from the mail, or open your tasks in Liandong.".into()
                }),
                tone: "warn",
                ..Default::default()
            },
        ),
        Standing::Expired(f) => {
            let when = workflows::calendar::format_local(entities::store::from_millis(f.row.expires_at), lang);
            (
                StatusCode::GONE,
                Page {
                    heading: expired.into(),
                    message: Some(if zh {
                        format!("此链接已于 {when} 过期，无法再用来办理。该事项仍在等待您办理，请在联动中打开它。")
                    } else {
                        format!(
                            "This link expired on {when} and can no longer decide. The matter still waits for you: open it in Liandong."
                        )
                    }),
                    tone: "warn",
                    link: Some(request_link(app, &f.row.request_id)),
                    ..Default::default()
                },
            )
        }
        Standing::Spent(f) => (
            StatusCode::OK,
            Page {
                heading: spent.into(),
                message: Some(outcome(
                    app,
                    f,
                    app.definition(&f.state.key, f.state.version).await.ok().as_deref(),
                    lang,
                )),
                tone: "done",
                link: Some(request_link(app, &f.row.request_id)),
                ..Default::default()
            },
        ),
        Standing::Valid(_) => unreachable!("a valid token gets the form"),
    }
}

async fn show(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, crate::http::ApiError> {
    let standing = actions::standing(&app, &token, Kind::Link).await?;
    let found = match &standing {
        Standing::Valid(f) | Standing::Expired(f) | Standing::Spent(f) => Some(f),
        Standing::Unknown => None,
    };
    let lang = lang_of(&app, q.lang.as_deref(), found);
    let Standing::Valid(f) = &standing else {
        // A dead or expired link shows what became of this reviewer's own task and which matter
        // it was, never what the request's form or history became afterwards: whoever holds an
        // old mail (a forwarded one, a shared mailbox) learns nothing new from it.
        let (status, mut page) = not_valid_page(&app, &standing, lang).await;
        if let Some(f) = found
            && !f.state.need_to_know
        {
            let mut m = matter(&app, &f.state, None, lang).await;
            m.fields.clear();
            m.history.clear();
            page.matter = Some(m);
        }
        return Ok(render(status, lang, page, &[]));
    };
    let task = f.task().cloned();
    let (csrf, set_cookie) = super::csrf::issue(&app, CSRF_COOKIE, "/a/");
    let def = app.definition(&f.state.key, f.state.version).await.ok();
    let (buttons, fields) = match &task {
        Some(t) => (
            super::decision_form::buttons(def.as_deref(), &f.state, t, lang, q.action.as_deref()),
            super::decision_form::controls(def.as_deref(), t, app.org().as_ref(), lang),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let zh = lang == Lang::Zh;
    let page = Page {
        heading: headings(lang).0.into(),
        message: Some(if zh {
            format!(
                "{}，请审阅以下事项并办理。点击按钮后才会提交，此链接仅可使用一次。",
                super::name(&app, &f.row.person_id)
            )
        } else {
            format!(
                "{}, please review the matter below and decide. Nothing is done until you press a button; this link works once.",
                super::name(&app, &f.row.person_id)
            )
        }),
        matter: Some(matter(&app, &f.state, task.as_ref(), lang).await),
        form: Some(context! {
            title => if zh { "办理" } else { "Decide" }, action => format!("/a/{token}"), csrf => &csrf,
            comment => true, buttons => buttons, fields => fields,
            comment_label => task.as_ref().and_then(|t| super::decision_form::comment_label(def.as_deref(), t, lang)),
            comment_hint => task.as_ref().and_then(|t| super::decision_form::comment_hint(def.as_deref(), t, lang)),
        }),
        link: Some(request_link(&app, &f.row.request_id)),
        ..Default::default()
    };
    Ok(render(StatusCode::OK, lang, page, &[set_cookie]))
}

async fn decide(
    State(app): State<Arc<App>>,
    crate::http::client::ClientAddr(peer): crate::http::client::ClientAddr,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, crate::http::ApiError> {
    let standing = actions::standing(&app, &token, Kind::Link).await?;
    let found = match &standing {
        Standing::Valid(f) | Standing::Expired(f) | Standing::Spent(f) => Some(f.clone()),
        Standing::Unknown => None,
    };
    let def = match &found {
        Some(f) => app.definition(&f.state.key, f.state.version).await.ok(),
        None => None,
    };
    let form = super::decision_form::read(def.as_deref(), found.as_ref().and_then(|f| f.task()), pairs);
    let lang = lang_of(&app, None, found.as_ref());
    let zh = lang == Lang::Zh;
    let attempt = Attempt {
        address: Some(peer.to_string()),
        user_agent: headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(String::from),
        sender: None,
    };
    if !super::csrf::check(&app, &headers, CSRF_COOKIE, &form.csrf) {
        actions::log(
            &app,
            Kind::Link,
            found.as_ref(),
            &attempt,
            "refused",
            "the form's check value or origin is wrong",
        )
        .await;
        let page = Page {
            heading: if zh {
                "请从邮件中的链接重新打开"
            } else {
                "Please open the link from the mail again"
            }
            .into(),
            message: Some(if zh {
                "为保护您的账号，只有从联动页面提交的办理才会被接受。请重新点击邮件中的链接后再办理。".into()
            } else {
                "To protect you, only a decision sent from Liandong's own page is accepted. Open the link from the mail again and decide there.".into()
            }),
            tone: "warn",
            ..Default::default()
        };
        return Ok(render(StatusCode::FORBIDDEN, lang, page, &[]));
    }
    if form.decision.is_empty() {
        return Err(AppError::Invalid {
            code: "bad_decision",
            message: "`decision` must be approve, reject, return, acknowledge, extend or an option of the step".into(),
            fields: vec![],
        }
        .into());
    }
    let decision = form.decision.clone();
    let said = match parse_decision(&decision) {
        Some(d) => {
            let step = found.as_ref().and_then(|f| f.task()).map(|t| t.step.clone()).unwrap_or_default();
            crate::labels::decision_named(def.as_deref(), &step, d, None, lang)
        }
        None if decision == "extend" => (if zh { "申请延期" } else { "Extension" }).to_string(),
        // A score sheet (a `score:` step) is its own decision, not one of the step's options.
        None if decision == "score" => crate::labels::decision(Decision::Score, lang).to_string(),
        None => {
            let step = found.as_ref().and_then(|f| f.task()).map(|t| t.step.clone()).unwrap_or_default();
            crate::labels::decision_named(def.as_deref(), &step, Decision::Option, Some(&decision), lang)
        }
    };
    match actions::decide_named(&app, &token, Kind::Link, &decision, form.comment, form.fields, &attempt).await {
        Ok(st) => {
            let task = st.tasks.get(&(found.as_ref().map_or(0, |f| f.row.task_no) as u32));
            let page = Page {
                heading: if zh { "已办理" } else { "Done" }.into(),
                message: Some(if zh {
                    format!("您已办理：{said}。确认邮件随后发送到您的邮箱。")
                } else {
                    format!("Your decision is recorded: {said}. A confirmation is on its way to your mailbox.")
                }),
                tone: "done",
                matter: Some(matter(&app, &st, task, lang).await),
                link: Some(request_link(&app, &st.id)),
                ..Default::default()
            };
            Ok(render(StatusCode::OK, lang, page, &[]))
        }
        Err(AppError::Invalid { message, fields, .. }) => {
            // Say which field is wrong: the page shows the form again from the mail's link.
            let message = if fields.is_empty() {
                message
            } else {
                fields.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("；")
            };
            let page = Page {
                heading: headings(lang).0.into(),
                message: Some(message),
                tone: "warn",
                link: found.as_ref().map(|f| request_link(&app, &f.row.request_id)),
                ..Default::default()
            };
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, lang, page, &[]))
        }
        Err(AppError::Conflict { .. } | AppError::NotFound(_)) => {
            // used meanwhile, expired, or the task moved: say what stands now
            let now = actions::standing(&app, &token, Kind::Link).await?;
            let (status, page) = match &now {
                Standing::Valid(_) => (
                    StatusCode::CONFLICT,
                    Page {
                        heading: headings(lang).1.into(),
                        message: Some(if zh {
                            "办理未成功，请稍后重试。".into()
                        } else {
                            "That did not go through; try again.".into()
                        }),
                        tone: "warn",
                        ..Default::default()
                    },
                ),
                other => {
                    let (s, p) = not_valid_page(&app, other, lang).await;
                    (if s == StatusCode::OK { StatusCode::CONFLICT } else { s }, p)
                }
            };
            Ok(render(status, lang, page, &[]))
        }
        Err(e) => Err(e.into()),
    }
}
