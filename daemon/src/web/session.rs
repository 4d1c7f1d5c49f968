//! People on the web: they log in by a link mailed to their registered address (no passwords),
//! hold a session cookie (HttpOnly, SameSite=Lax, only its hash stored), and see a request at
//! `/requests/{id}` — the page every mail links to — where they can decide their own open task.
//!
//! The login link's GET only shows a button (link scanners open it); its POST opens the
//! session. Every POST that changes something carries a CSRF value matching its cookie.

use super::{Page, matter, render};
use super::{cookie, csrf, random_hex};
use crate::app::tokens::token_hash;
use crate::app::{App, AppError, Principal};
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use entities::store;
use minijinja::context;
use serde::Deserialize;
use std::sync::Arc;
use workflows::catalog::Lang;
use workflows::engine::Status;
use workflows::org::Directory;

const SESSION_COOKIE: &str = "ld_session";
pub(super) const CSRF_COOKIE: &str = "ld_csrf_web";
/// A login link works this long.
pub const LOGIN_MINUTES: i64 = 15;
const SESSION_MS: i64 = 12 * 3_600_000;

/// The routes.
pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(ask_login))
        .route("/login/{token}", get(login_link).post(use_login_link))
        .route("/logout", post(logout))
        .route("/requests/{id}", get(request_page))
        .route("/requests/{id}/tasks/{task}", post(decide))
}

/// The logged-in person, from the session cookie.
pub async fn viewer(app: &App, headers: &HeaderMap) -> Result<Option<Principal>, AppError> {
    let Some(c) = cookie(headers, SESSION_COOKIE) else { return Ok(None) };
    let now = chrono::Utc::now().timestamp_millis();
    // A person no longer in the org (an import removed them) has no session that works.
    let org = app.org();
    Ok(store::web::session(&app.db, &token_hash(&c), now).await?.and_then(|person| {
        let admin = org.person(&person)?.admin;
        Some(Principal { person, admin })
    }))
}

fn lang_for(app: &App, who: Option<&Principal>) -> Lang {
    who.and_then(|w| app.org().person(&w.person).map(|p| p.lang)).unwrap_or(Lang::Zh)
}

/// Only our own paths after login: an absolute path of at most 255 bytes with no `//`, no
/// backslash and no control or space character (browsers drop tabs and line breaks from a URL
/// and read `\\` as `/`, so `/\t/evil.test` or `/\\evil.test` would leave the site — WHATWG URL
/// standard, "basic URL parser"); anything else goes to `/`.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.contains("//")
                && !n.contains('\\')
                && !n.chars().any(|c| c.is_control() || c.is_whitespace())
                && n.len() <= 255 =>
        {
            n.to_string()
        }
        _ => "/".into(),
    }
}

fn login_form_page(lang: Lang, next: &str, message: Option<String>) -> Page {
    let zh = lang == Lang::Zh;
    Page {
        heading: if zh { "登录联动" } else { "Log in to Liandong" }.into(),
        message: message.or_else(|| {
            Some(if zh {
                "请输入您在学校登记的邮箱，我们会发送一个登录链接（15 分钟内有效，仅可使用一次）。".into()
            } else {
                "Enter the mail address the university has for you: we will send a login link (it works once, for 15 minutes).".into()
            })
        }),
        form: Some(context! {
            title => "", action => "/login", next => next, email => true,
            buttons => vec![context! { class => "acknowledge", label => if zh { "发送登录链接" } else { "Send me a login link" } }],
        }),
        ..Default::default()
    }
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    #[serde(default)]
    next: Option<String>,
}

async fn login_page(State(app): State<Arc<App>>, headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    let who = viewer(&app, &headers).await.ok().flatten();
    let lang = lang_for(&app, who.as_ref());
    render(StatusCode::OK, lang, login_form_page(lang, &safe_next(q.next.as_deref()), None), &[])
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    email: String,
    #[serde(default)]
    next: Option<String>,
}

/// Mails a login link to the person with that address. The answer — its words, language and
/// timing — is the same whether or not the address is known: the look-up and the write happen
/// after the answer, and the page is in zh-CN for everyone (the mail is in the person's language). A person is sent at most
/// one link a minute; a client and everyone together at most `[server] login_asks_per_client`
/// and `login_asks_total` asks an hour (429 beyond, with `Retry-After`).
async fn ask_login(
    State(app): State<Arc<App>>,
    crate::http::client::ClientAddr(peer): crate::http::client::ClientAddr,
    Form(f): Form<LoginForm>,
) -> Result<Response, crate::http::ApiError> {
    let lang = Lang::Zh;
    let zh = lang == Lang::Zh;
    if let Err(wait) = app.logins.ask(peer, std::time::Instant::now()) {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        let mut page = login_form_page(
            lang,
            &safe_next(f.next.as_deref()),
            Some(if zh {
                format!("登录链接请求过于频繁，请 {minutes} 分钟后再试。")
            } else {
                format!("Too many login links were asked for; try again in {minutes} minutes.")
            }),
        );
        page.tone = "warn";
        let retry = (header::RETRY_AFTER, wait.as_secs().max(1).to_string());
        return Ok(render(StatusCode::TOO_MANY_REQUESTS, lang, page, &[retry]));
    }
    let email = f.email.trim().to_ascii_lowercase();
    let next = safe_next(f.next.as_deref());
    let background = app.clone();
    tokio::spawn(async move {
        let app = background;
        let Some(p) = app.org().person_by_email(&email).cloned() else { return };
        let now = chrono::Utc::now().timestamp_millis();
        let l = if p.lang == Lang::En { "en" } else { "zh" };
        let _turn = app.logins.recording.lock().await;
        match app.gated(store::web::ask(&app.db, &p.id, &next, l, now, now - 60_000)).await {
            Ok(true) => app.committed.notify_waiters(),
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "cannot record a login link"),
        }
    });
    let page = Page {
        heading: if zh { "请查收邮件" } else { "Check your mail" }.into(),
        message: Some(if zh {
            "如果该邮箱已在学校登记，我们已向它发送登录链接，请在 15 分钟内打开。".into()
        } else {
            "If the university has this address, a login link is on its way to it; open it within 15 minutes.".into()
        }),
        tone: "done",
        ..Default::default()
    };
    Ok(render(StatusCode::OK, lang, page, &[]))
}

async fn login_link(State(app): State<Arc<App>>, Path(token): Path<String>) -> Result<Response, crate::http::ApiError> {
    let now = chrono::Utc::now().timestamp_millis();
    let login = store::web::login(&app.db, &token_hash(&token)).await?;
    let lang = login.as_ref().and_then(|l| app.org().person(&l.person_id).map(|p| p.lang)).unwrap_or(Lang::Zh);
    let zh = lang == Lang::Zh;
    let live = login.as_ref().is_some_and(|l| l.used_at.is_none() && l.expires_at.is_some_and(|e| e > now));
    if !live {
        let mut page = login_form_page(
            lang,
            &safe_next(login.as_ref().map(|l| l.next.as_str())),
            Some(if zh {
                "此登录链接已使用或已过期。请重新获取登录链接。".into()
            } else {
                "This login link was used or has expired. Ask for a new one.".into()
            }),
        );
        page.tone = "warn";
        return Ok(render(StatusCode::GONE, lang, page, &[]));
    }
    let name = login.as_ref().map(|l| super::name(&app, &l.person_id)).unwrap_or_default();
    let page = Page {
        heading: if zh { "登录联动" } else { "Log in to Liandong" }.into(),
        message: Some(if zh {
            format!("{name}，点击下面的按钮完成登录。")
        } else {
            format!("{name}, press the button to log in.")
        }),
        form: Some(context! {
            title => "", action => format!("/login/{token}"),
            buttons => vec![context! { class => "acknowledge", label => if zh { "登录" } else { "Log in" } }],
        }),
        ..Default::default()
    };
    Ok(render(StatusCode::OK, lang, page, &[]))
}

async fn use_login_link(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, crate::http::ApiError> {
    if !csrf::same_origin(&app, &headers) {
        return Err(AppError::Forbidden("a login must come from Liandong's own page".into()).into());
    }
    let session = random_hex();
    let now = chrono::Utc::now().timestamp_millis();
    match store::web::open_session(&app.db, &token_hash(&token), &token_hash(&session), now, SESSION_MS).await? {
        Some(l) => {
            let secure = super::secure(&app);
            let cookie = format!(
                "{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
                SESSION_MS / 1000
            );
            Ok((StatusCode::SEE_OTHER, [(header::LOCATION, safe_next(Some(&l.next))), (header::SET_COOKIE, cookie)])
                .into_response())
        }
        None => login_link(State(app), Path(token)).await,
    }
}

async fn logout(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Response, crate::http::ApiError> {
    if let Some(c) = cookie(&headers, SESSION_COOKIE) {
        store::web::end_session(&app.db, &token_hash(&c), chrono::Utc::now().timestamp_millis()).await?;
    }
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, "/login".to_string()), (header::SET_COOKIE, clear)]).into_response())
}

/// How many tasks and requests the start page lists.
const HOME_ITEMS: u64 = 50;

/// `GET /`: for a logged-in person, their open tasks and the requests they submitted lately,
/// each linking to `/requests/{id}`; everyone else goes to `/login?next=/` (303).
async fn home(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Response, crate::http::ApiError> {
    let Some(who) = viewer(&app, &headers).await? else {
        return Ok((StatusCode::SEE_OTHER, [(header::LOCATION, "/login?next=/")]).into_response());
    };
    let lang = lang_for(&app, Some(&who));
    let zh = lang == Lang::Zh;
    let mut tasks = Vec::new();
    for t in store::requests::open_tasks_of(&app.db, &who.person, HOME_ITEMS).await.map_err(AppError::from)? {
        let Some(l) = store::requests::load(&app.db, &t.request_id).await.map_err(AppError::from)? else { continue };
        let due = t.due_at.map(|d| workflows::calendar::format_local(store::from_millis(d), lang));
        tasks.push(super::LinkItem {
            text: l.state.title.clone(),
            href: format!("/requests/{}", t.request_id),
            note: match due {
                Some(d) if zh => format!("办理时限 {d}"),
                Some(d) => format!("due {d}"),
                None => String::new(),
            },
        });
    }
    let filter = store::requests::ListFilter { submitter: Some(who.person.clone()), ..Default::default() };
    let mut mine = Vec::new();
    for r in store::requests::list(&app.db, &filter, HOME_ITEMS).await.map_err(AppError::from)? {
        let Ok(st) = serde_json::from_str::<workflows::engine::Instance>(&r.state) else { continue };
        let when = workflows::calendar::format_local(store::from_millis(r.created_at), lang);
        mine.push(super::LinkItem {
            text: r.title.clone(),
            href: format!("/requests/{}", r.id),
            note: format!("{} · {when}", status_words(&st, lang)),
        });
    }
    let page = Page {
        heading: if zh { "我的联动" } else { "My Liandong" }.into(),
        message: Some(if zh {
            format!("{}，您好。", super::name(&app, &who.person))
        } else {
            format!("Hello, {}.", super::name(&app, &who.person))
        }),
        lists: vec![
            super::LinkList {
                heading: if zh { "待我办理" } else { "Waiting for me" }.into(),
                empty: if zh { "暂无待办事项。" } else { "Nothing waits for you." }.into(),
                items: tasks,
            },
            super::LinkList {
                heading: if zh { "我提交的事项" } else { "What I submitted" }.into(),
                empty: if zh { "您还没有提交过事项。" } else { "You have not submitted anything yet." }.into(),
                items: mine,
            },
        ],
        form: Some(context! {
            title => "", action => "/logout",
            buttons => vec![context! { class => "return", label => if zh { "退出登录" } else { "Log out" } }],
        }),
        ..Default::default()
    };
    Ok(render(StatusCode::OK, lang, page, &[]))
}

fn status_words(st: &workflows::engine::Instance, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    match st.status {
        Status::Finished(o) => o.label().get(lang).to_string(),
        Status::Running => if zh { "办理中" } else { "in progress" }.into(),
        Status::Returned => if zh { "已退回提交人" } else { "returned to its submitter" }.into(),
        Status::Draft => if zh { "草稿" } else { "draft" }.into(),
    }
}

async fn request_page(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, crate::http::ApiError> {
    let Some(who) = viewer(&app, &headers).await? else {
        let page = login_form_page(Lang::Zh, &format!("/requests/{id}"), None);
        return Ok(render(StatusCode::UNAUTHORIZED, Lang::Zh, page, &[]));
    };
    let lang = lang_for(&app, Some(&who));
    let zh = lang == Lang::Zh;
    let loaded = match app.visible(&who, &id).await {
        Ok(l) => l,
        Err(AppError::NotFound(_)) => {
            let page = Page {
                heading: if zh { "找不到该事项" } else { "No such request" }.into(),
                message: Some(if zh {
                    "该事项不存在，或您无权查看。".into()
                } else {
                    "It does not exist, or you may not see it.".into()
                }),
                tone: "warn",
                ..Default::default()
            };
            return Ok(render(StatusCode::NOT_FOUND, lang, page, &[]));
        }
        Err(e) => return Err(e.into()),
    };
    let st = loaded.state;
    let mine = st.open_tasks().find(|t| t.assignee == who.person).cloned();
    let def = app.definition(&st.key, st.version).await.ok();
    let mut extra = Vec::new();
    let may_follow_up = super::reporting::may_follow_up(&app, &who, &st).await;
    // one check value for both forms of the page (one cookie)
    let csrf = (mine.is_some() || may_follow_up).then(|| {
        let (csrf, set_cookie) = csrf::issue(&app, CSRF_COOKIE, "/requests/");
        extra.push(set_cookie);
        csrf
    });
    let form = mine.as_ref().map(|t| {
        let csrf = csrf.clone().unwrap_or_default();
        let org = app.org();
        let buttons = super::decision_form::buttons(def.as_deref(), &st, t, lang, None);
        let fields = super::decision_form::controls(def.as_deref(), t, org.as_ref(), lang);
        context! {
            title => if zh { "办理" } else { "Decide" }, action => format!("/requests/{id}/tasks/{}", t.id),
            csrf => csrf, comment => true, buttons => buttons, fields => fields,
            comment_label => super::decision_form::comment_label(def.as_deref(), t, lang),
            comment_hint => super::decision_form::comment_hint(def.as_deref(), t, lang),
        }
    });
    let follow_up = may_follow_up.then(|| super::reporting::form(&st, lang, csrf.unwrap_or_default()));
    let page = Page {
        heading: st.title.clone(),
        status: Some(status_words(&st, lang)),
        matter: Some(matter(&app, &st, mine.as_ref(), lang).await),
        form,
        follow_up,
        ..Default::default()
    };
    Ok(render(StatusCode::OK, lang, page, &extra))
}

async fn decide(
    State(app): State<Arc<App>>,
    crate::http::client::ClientAddr(peer): crate::http::client::ClientAddr,
    Path((id, task)): Path<(String, u32)>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, crate::http::ApiError> {
    let Some(who) = viewer(&app, &headers).await? else {
        return Err(crate::http::ApiError::Unauthorized);
    };
    let loaded = app.visible(&who, &id).await?;
    let def = app.definition(&loaded.state.key, loaded.state.version).await.ok();
    let f = super::decision_form::read(def.as_deref(), loaded.state.tasks.get(&task), pairs);
    if !csrf::check(&app, &headers, CSRF_COOKIE, &f.csrf) {
        return Err(AppError::Forbidden("the form's check value or origin is wrong: reload the page".into()).into());
    }
    if f.decision.is_empty() {
        return Err(AppError::Invalid {
            code: "bad_decision",
            message: "`decision` must be approve, reject, return, acknowledge, extend or an option of the step".into(),
            fields: vec![],
        }
        .into());
    }
    let cmd = crate::app::actions::command_named(&f.decision, task, f.comment, f.fields);
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
    match app.command(&who, &id, cmd, meta).await {
        Ok(_) => Ok((StatusCode::SEE_OTHER, [(header::LOCATION, format!("/requests/{id}"))]).into_response()),
        // Say what is missing or wrong (an empty written report, a field) on a page, 422.
        Err(AppError::Invalid { message, fields, .. }) => {
            let lang = lang_for(&app, Some(&who));
            let zh = lang == Lang::Zh;
            let message = if fields.is_empty() {
                message
            } else {
                fields.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("；")
            };
            let page = Page {
                heading: if zh { "未能办理" } else { "Not decided" }.into(),
                message: Some(message),
                tone: "warn",
                link: Some(format!("/requests/{id}")),
                ..Default::default()
            };
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, lang, page, &[]))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_our_own_paths_follow_a_login() {
        assert_eq!(safe_next(Some("/requests/1")), "/requests/1");
        assert_eq!(safe_next(Some("//evil.example/x")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
        for bad in ["/\r\n/evil.example", "/\t/evil.example", "/\u{0}x", "/a//b", "/ /evil", "/x\u{85}"] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(Some(&format!("/{}", "a".repeat(300)))), "/");
    }
}
