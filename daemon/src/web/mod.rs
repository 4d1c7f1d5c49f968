//! Server-rendered pages (minijinja, zh-CN by default, English per person): for now the page
//! behind a task mail's action links. Pages never change state on GET.

pub mod assessment;
pub mod decision_form;
pub mod limits;
pub mod links;
pub mod reporting;
pub mod session;

use crate::app::App;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Environment, Value, context};
use serde::Serialize;
use std::sync::OnceLock;
use workflows::catalog::Lang;
use workflows::engine::{Actor, EventKind, Instance, Task};
use workflows::org::Directory;

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut e = Environment::new();
        e.add_template("page.html", include_str!("../../templates/web/page.html"))
            .expect("the shipped page template parses");
        e
    })
}

/// The words of the pages.
fn strings(lang: Lang) -> Value {
    if lang == Lang::Zh {
        context! {
            html_lang => "zh-CN", app => "联动", title => "事项", workflow => "流程", submitter => "提交人",
            step => "环节", due => "办理时限", form => "申请内容", history => "办理记录", decide => "办理",
            comment => "意见（可选）", comment_hint => "填写审批意见", open_request => "在联动中查看该事项",
            footer => "联动 · 学生会三级联动审批系统", email => "邮箱", status => "状态", choose => "请选择",
        }
    } else {
        context! {
            html_lang => "en", app => "Liandong", title => "Matter", workflow => "Workflow", submitter => "Submitted by",
            step => "Step", due => "Due", form => "The request", history => "History", decide => "Decide",
            comment => "Comment (optional)", comment_hint => "Your comment", open_request => "Open the request in Liandong",
            footer => "Liandong, student union approvals", email => "Mail address", status => "Status", choose => "Choose",
        }
    }
}

/// A field of the form, as shown.
#[derive(Debug, Serialize)]
pub struct FieldView {
    label: String,
    value: String,
}

/// A line of the history.
#[derive(Debug, Serialize)]
pub struct HistoryLine {
    when: String,
    text: String,
}

/// What a page shows of a request.
#[derive(Debug, Serialize)]
pub struct Matter {
    title: String,
    workflow: String,
    submitter: String,
    step: Option<String>,
    due: Option<String>,
    fields: Vec<FieldView>,
    history: Vec<HistoryLine>,
}

/// A page: heading, a message, maybe the matter, maybe the decision form, a link.
#[derive(Debug, Default)]
pub struct Page {
    /// The heading.
    pub heading: String,
    /// A notice under it.
    pub message: Option<String>,
    /// `warn`, `done` or empty.
    pub tone: &'static str,
    /// The request.
    pub matter: Option<Matter>,
    /// The decision form.
    pub form: Option<Value>,
    /// The follow-up form (续报), see [`reporting`].
    pub follow_up: Option<Value>,
    /// A link to the request.
    pub link: Option<String>,
    /// The request's status, in words.
    pub status: Option<String>,
    /// Lists of links (the start page): a heading and its items.
    pub lists: Vec<LinkList>,
}

/// A list of links on a page.
#[derive(Debug, Default, Serialize)]
pub struct LinkList {
    /// The list's heading.
    pub heading: String,
    /// What the list says when it is empty.
    pub empty: String,
    /// The items.
    pub items: Vec<LinkItem>,
}

/// A link of a list: its text, where it goes (a path of ours), and a note beside it.
#[derive(Debug, Serialize)]
pub struct LinkItem {
    /// The link's text.
    pub text: String,
    /// The path.
    pub href: String,
    /// Grey text after it.
    pub note: String,
}

/// Renders a page with the headers every page gets: no caching, no framing, no sniffing, and
/// the referrer only to our own origin (`same-origin`, so that a browser sends the `Origin` our
/// check of POSTs compares; a page's URL, which may hold a token, never leaves the site).
pub fn render(
    status: axum::http::StatusCode,
    lang: Lang,
    page: Page,
    extra: &[(header::HeaderName, String)],
) -> Response {
    let ctx = context! {
        t => strings(lang), heading => &page.heading, message => &page.message, tone => page.tone,
        matter => &page.matter, form => &page.form, link => &page.link, status => &page.status,
        lists => &page.lists, follow_up => &page.follow_up,
    };
    let html = env().get_template("page.html").and_then(|t| t.render(ctx)).unwrap_or_else(|e| format!("{e}"));
    let mut resp = (status, Html(html)).into_response();
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    for (k, v) in extra {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.append(k.clone(), v);
        }
    }
    resp
}

/// A cookie of the request.
pub(crate) fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// `; Secure` when the daemon is served over HTTPS.
fn secure(app: &App) -> &'static str {
    if app.public_url.starts_with("https://") { "; Secure" } else { "" }
}

/// A new random value (256 bits, hex): session cookies, CSRF values.
pub(crate) fn random_hex() -> String {
    use rand::RngCore;
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    hex::encode(raw)
}

/// Double-submit CSRF protection of the pages' forms: a random value in the form and in a
/// `SameSite=Strict` cookie scoped to `path`; a POST must carry both, equal, from our origin.
pub(crate) mod csrf {
    use super::{App, cookie, random_hex, secure};
    use axum::http::{HeaderMap, header};

    /// A new value and the `Set-Cookie` that goes with it.
    pub fn issue(app: &App, name: &str, path: &str) -> (String, (header::HeaderName, String)) {
        let v = random_hex();
        let set = format!("{name}={v}; Path={path}; HttpOnly; SameSite=Strict; Max-Age=7200{}", secure(app));
        (v, (header::SET_COOKIE, set))
    }

    /// Whether a POST carries the form's value matching its cookie, from our own origin.
    pub fn check(app: &App, headers: &HeaderMap, name: &str, value: &str) -> bool {
        !value.is_empty()
            && cookie(headers, name).is_some_and(|c| constant_eq(c.as_bytes(), value.as_bytes()))
            && same_origin(app, headers)
    }

    /// Whether the request comes from our own pages. The pages send `Referrer-Policy:
    /// same-origin`, so a browser's POST from them carries `Origin` (Fetch standard, "append a
    /// request `Origin` header") equal to the origin of `[server] public_url` — never compared
    /// with the request's `Host`, which the sender chooses. Without `Origin`, a `Referer` must
    /// start with that origin and `/`. A request with neither comes from a program, not from a
    /// page of another site (browsers send `Origin` on every cross-origin POST).
    pub fn same_origin(app: &App, headers: &HeaderMap) -> bool {
        let ours = origin_of(&app.public_url);
        let text = |h| headers.get(h).map(|v| v.to_str().unwrap_or_default());
        match (text(header::ORIGIN), text(header::REFERER)) {
            (Some(origin), _) => origin.eq_ignore_ascii_case(&ours),
            (None, Some(referer)) => {
                referer.get(..ours.len()).is_some_and(|o| o.eq_ignore_ascii_case(&ours))
                    && referer[ours.len()..].starts_with('/')
            }
            (None, None) => true,
        }
    }

    /// `scheme://host[:port]` of a URL (RFC 6454 §6.1, serialized as browsers send it; the
    /// scheme's default port is left out).
    pub fn origin_of(url: &str) -> String {
        let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
        let scheme = scheme.to_ascii_lowercase();
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default().to_ascii_lowercase();
        let authority = match (scheme.as_str(), authority.rsplit_once(':')) {
            ("http", Some((host, "80"))) | ("https", Some((host, "443"))) => host.to_string(),
            _ => authority,
        };
        format!("{scheme}://{authority}")
    }

    fn constant_eq(a: &[u8], b: &[u8]) -> bool {
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// Who a person is, by name.
fn name(app: &App, id: &str) -> String {
    app.org().person(id).map_or_else(|| id.to_string(), |p| p.name.clone())
}

fn actor_name(app: &App, a: &Actor, lang: Lang) -> String {
    match a {
        Actor::Person { id, on_behalf_of: Some(b) } => {
            if lang == Lang::Zh {
                format!("{}（代{}）", name(app, id), name(app, b))
            } else {
                format!("{} (for {})", name(app, id), name(app, b))
            }
        }
        Actor::Person { id, .. } => name(app, id),
        Actor::Timer => (if lang == Lang::Zh { "定时规则" } else { "Timer" }).into(),
        Actor::System => (if lang == Lang::Zh { "系统" } else { "System" }).into(),
    }
}

/// The request as a page shows it: its matter, form and history; `task` names the step.
pub async fn matter(app: &App, st: &Instance, task: Option<&Task>, lang: Lang) -> Matter {
    let zh = lang == Lang::Zh;
    let org = app.org();
    let def = app.definition(&st.key, st.version).await.ok();
    let step = task.and_then(|t| {
        def.as_ref()
            .and_then(|d| d.step(&t.step))
            .map(|s| s.label.as_ref().map_or(s.name.clone(), |l| l.get(lang).to_string()))
    });
    let mut submitter = name(app, &st.submitter.id);
    if let Some(d) = st.submitter.department.as_ref().and_then(|d| org.department(d)) {
        submitter = if zh {
            format!("{submitter}（{}）", d.name.get(lang))
        } else {
            format!("{submitter} ({})", d.name.get(lang))
        };
    }
    let fields = crate::labels::form_fields(def.as_deref(), &st.form, lang, org.as_ref())
        .into_iter()
        .map(|(label, value)| FieldView { label, value })
        .collect();
    let events = entities::store::requests::events(&app.db, &st.id).await.unwrap_or_default();
    let history = events
        .iter()
        .filter_map(|(e, _)| {
            let who = actor_name(app, &e.actor, lang);
            let text = match &e.kind {
                EventKind::Submitted { .. } => {
                    if zh {
                        format!("{who} 提交")
                    } else {
                        format!("{who} submitted")
                    }
                }
                EventKind::GuardOverridden { reason, findings, .. } => {
                    let (names_zh, names_en) = workflows::guard::subject_names(findings);
                    if zh {
                        format!("{who} 覆盖提交门禁（{names_zh}），理由：{reason}")
                    } else {
                        format!("{who} overrode the submit guard ({names_en}), reason: {reason}")
                    }
                }
                EventKind::Resubmitted { .. } => {
                    if zh {
                        format!("{who} 重新提交")
                    } else {
                        format!("{who} resubmitted")
                    }
                }
                EventKind::TaskDecided { task, decision, comment, option, fields, scores } => {
                    let step = st.tasks.get(task).map(|t| t.step.clone()).unwrap_or_default();
                    let said = crate::labels::decision_named(def.as_deref(), &step, *decision, option.as_deref(), lang);
                    let mut s = if zh {
                        format!("{who} 办理：{said}（{}）", crate::labels::channel(e.channel, lang))
                    } else {
                        format!("{who}: {said} (through {})", crate::labels::channel(e.channel, lang))
                    };
                    if let Some(f) = fields.as_ref().filter(|f| !f.is_empty()) {
                        let filled = crate::labels::form_fields(def.as_deref(), f, lang, org.as_ref());
                        let parts: Vec<String> = filled.into_iter().map(|(k, v)| format!("{k}：{v}")).collect();
                        s.push_str(if zh { "，填写：" } else { ", filled in: " });
                        s.push_str(&parts.join(if zh { "；" } else { "; " }));
                    }
                    if let Some(sheet) = scores {
                        s.push_str(if zh { "，评分：" } else { ", scores: " });
                        s.push_str(&crate::labels::score_sheet(def.as_deref(), &step, sheet, lang));
                    }
                    if let Some(c) = comment.as_ref().filter(|c| !c.is_empty()) {
                        let heading = crate::labels::comment_heading(def.as_deref(), &step, lang);
                        s.push_str(&if zh {
                            format!("，{heading}：")
                        } else {
                            format!(", {}: ", heading.to_lowercase())
                        });
                        s.push_str(c);
                    }
                    s
                }
                EventKind::Commented { text } => {
                    if zh {
                        format!("{who} 评论：{text}")
                    } else {
                        format!("{who} commented: {text}")
                    }
                }
                EventKind::ReturnedToSubmitter { .. } => {
                    (if zh { "退回提交人" } else { "Returned to the submitter" }).into()
                }
                EventKind::Escalated { to, .. } => {
                    let names: Vec<String> = to.iter().map(|p| name(app, p)).collect();
                    if zh {
                        format!("超时升级至 {}", names.join("、"))
                    } else {
                        format!("Escalated to {}", names.join(", "))
                    }
                }
                EventKind::Extended { due_at, by, .. } => {
                    let due = crate::labels::deadline(*due_at, lang);
                    let by = crate::labels::duration(*by, lang);
                    if zh {
                        format!("{who} 申请延期 {by}，办理时限延至 {due}")
                    } else {
                        format!("{who} took an extension of {by}: now due {due}")
                    }
                }
                EventKind::VisitsExhausted { step, visits, .. } => {
                    let label = def
                        .as_ref()
                        .and_then(|d| d.step(step))
                        .and_then(|s| s.label.as_ref())
                        .map_or_else(|| step.clone(), |l| l.get(lang).to_string());
                    if zh {
                        format!("“{label}”已办理 {visits} 次，不再重复办理")
                    } else {
                        format!("“{label}” has run {visits} times: not again")
                    }
                }
                EventKind::Finished { outcome } => {
                    if zh {
                        format!("办结：{}", outcome.label().get(lang))
                    } else {
                        format!("Finished: {}", outcome.label().get(lang))
                    }
                }
                EventKind::FollowedUp { .. } | EventKind::LateReport { .. } | EventKind::Overseen { .. } => {
                    reporting::history_line(app, e, lang)?
                }
                EventKind::Recused { members, .. } => {
                    let list: Vec<String> = members
                        .iter()
                        .map(|m| format!("{}（{}）", name(app, &m.person), m.reason.label().get(lang)))
                        .collect();
                    if zh {
                        format!("回避评议：{}", list.join("、"))
                    } else {
                        format!("Recused: {}", list.join(", "))
                    }
                }
                EventKind::Scored { result, .. } => crate::labels::score_result(def.as_deref(), result, lang),
                _ => return None,
            };
            Some(HistoryLine { when: workflows::calendar::format_local(e.at, lang), text })
        })
        .collect();
    Matter {
        title: st.title.clone(),
        workflow: def.as_ref().map_or(st.key.clone(), |d| d.name.get(lang).to_string()),
        submitter,
        step,
        due: task.and_then(|t| t.due_at).map(|d| crate::labels::deadline(d, lang)),
        fields,
        history,
    }
}

#[cfg(test)]
mod tests {
    use super::csrf::origin_of;

    #[test]
    fn the_origin_of_the_public_url_is_what_browsers_send() {
        assert_eq!(origin_of("https://Liandong.Nanyue.edu.cn/"), "https://liandong.nanyue.edu.cn");
        assert_eq!(origin_of("https://liandong.nanyue.edu.cn:443/app"), "https://liandong.nanyue.edu.cn");
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(origin_of("http://example.test:80?x"), "http://example.test");
    }
}
