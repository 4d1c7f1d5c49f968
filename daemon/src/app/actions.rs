//! Email approvals: the tokens of a task mail (one for its links, one for its reply address),
//! and decisions made with them.
//!
//! A token is 256 random bits, written in lowercase base32 (52 characters: it fits an address's
//! local part as `reply+<token>@domain`), stored only as its SHA-256. It is bound to one task,
//! one reviewer and one round, expires (`link_days`), and is used up by the decision it makes —
//! in the decision's own transaction. It dies with its task: a decision by any channel, a
//! transfer, an escalation past it or a withdrawal closes the task, and the store kills the
//! task's tokens in that change's transaction; on use the task is checked again besides.

use super::{App, AppError, Principal, tokens::token_hash};
use chrono::Utc;
use entities::entity::workflow::{action_token, mail_action};
use entities::sea_orm::Set;
use entities::store::{self, requests::Meta};
use rand::RngCore;
use workflows::engine::{Channel, Command, Decision, Instance, Task, TaskKind, TaskState};

/// The tokens made for one mail.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The token of the mail's links (`/a/<token>?do=…`).
    pub link: String,
    /// The token of its reply address, when replies are read.
    pub reply: Option<String>,
    /// The decisions the links offer, with their button colours.
    pub actions: Vec<(Decision, &'static str)>,
}

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The links of a mail.
    Link,
    /// A reply address.
    Reply,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Link => "link",
            Kind::Reply => "reply",
        }
    }
    fn channel(self) -> Channel {
        match self {
            Kind::Link => Channel::EmailLink,
            Kind::Reply => Channel::EmailReply,
        }
    }
}

/// The decisions a task of `kind` takes.
pub fn allowed(kind: TaskKind) -> &'static [Decision] {
    match kind {
        TaskKind::Acknowledge => &[Decision::Acknowledge],
        // A score sheet is filled on the decision form: the mail links to it, not to a decision.
        TaskKind::Score => &[],
        _ => &[Decision::Approve, Decision::Reject, Decision::Return],
    }
}

/// A new token: 256 random bits in lowercase base32.
pub fn new_token() -> String {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    data_encoding::BASE32_NOPAD.encode(&raw).to_ascii_lowercase()
}

/// Makes the tokens of one task mail (a retried delivery makes new ones: each works once, and
/// all die with the task).
pub async fn issue(
    app: &App,
    request: &str,
    task: &Task,
    outbox_id: i64,
    days: i64,
    with_reply: bool,
) -> Result<Issued, store::StoreError> {
    let now = Utc::now().timestamp_millis();
    let link = new_token();
    let reply = with_reply.then(new_token);
    let row = |token: &str, kind: Kind| action_token::ActiveModel {
        token_hash: Set(token_hash(token)),
        request_id: Set(request.to_string()),
        task_no: Set(task.id as i32),
        person_id: Set(task.assignee.clone()),
        round: Set(task.round as i32),
        action: Set(kind.as_str().into()),
        expires_at: Set(now + days.max(1) * 86_400_000),
        used_at: Set(None),
        dead_at: Set(None),
        created_at: Set(now),
        outbox_id: Set(Some(outbox_id)),
    };
    let mut rows = vec![row(&link, Kind::Link)];
    if let Some(r) = &reply {
        rows.push(row(r, Kind::Reply));
    }
    app.gated(store::actions::issue(&app.db, rows)).await?;
    let colors = |d: Decision| match d {
        Decision::Approve => "#16a34a",
        Decision::Reject => "#dc2626",
        Decision::Return => "#d97706",
        Decision::Acknowledge => "#2563eb",
        Decision::Option => "#7c3aed",
        Decision::Score => "#0891b2",
    };
    Ok(Issued { link, reply, actions: allowed(task.kind).iter().map(|d| (*d, colors(*d))).collect() })
}

/// The command a decision on `task` is (a return goes where the definition says).
pub fn command(decision: Decision, task: u32, comment: Option<String>) -> Command {
    match decision {
        Decision::Approve => Command::Approve { task, comment },
        Decision::Reject => Command::Reject { task, comment },
        Decision::Return => Command::Return { task, comment, to: None },
        Decision::Acknowledge => Command::Acknowledge { task, comment },
        Decision::Option => Command::Decide { task, decision: String::new(), comment, fields: Default::default() },
        Decision::Score => Command::Decide { task, decision: "score".into(), comment, fields: Default::default() },
    }
}

/// The command a page's (or the API's) decision is: `approve`, `reject`, `return`, `acknowledge`,
/// a named option of the step, or `extend` (an extension); with filled `fields` (a decision form)
/// or a named option it is a [`Command::Decide`].
pub fn command_named(
    decision: &str,
    task: u32,
    comment: Option<String>,
    fields: serde_json::Map<String, serde_json::Value>,
) -> Command {
    let builtin = match decision {
        "approve" => Some(Decision::Approve),
        "reject" => Some(Decision::Reject),
        "return" => Some(Decision::Return),
        "acknowledge" => Some(Decision::Acknowledge),
        _ => None,
    };
    match builtin {
        _ if decision == "extend" => Command::Extend { task, comment },
        Some(d) if fields.is_empty() => command(d, task, comment),
        _ => Command::Decide { task, decision: decision.to_string(), comment, fields },
    }
}

/// Where a token stands.
#[derive(Debug, Clone)]
pub enum Standing {
    /// No such token (or one of the other kind).
    Unknown,
    /// It may decide.
    Valid(Found),
    /// It expired unused while the task was still open.
    Expired(Found),
    /// It was used, or its task was decided, moved or ended.
    Spent(Found),
}

/// A token and what it points at.
#[derive(Debug, Clone)]
pub struct Found {
    /// The stored token.
    pub row: action_token::Model,
    /// The request now.
    pub state: Instance,
}

impl Found {
    /// The token's task, now.
    pub fn task(&self) -> Option<&Task> {
        self.state.tasks.get(&(self.row.task_no as u32))
    }
}

/// Looks a token up and says where it stands.
pub async fn standing(app: &App, token: &str, kind: Kind) -> Result<Standing, AppError> {
    let hash = token_hash(token.trim());
    let Some(row) = store::actions::token(&app.db, &hash).await? else { return Ok(Standing::Unknown) };
    if row.action != kind.as_str() {
        return Ok(Standing::Unknown);
    }
    let Some(loaded) = store::requests::load(&app.db, &row.request_id).await? else {
        return Ok(Standing::Unknown);
    };
    let found = Found { row, state: loaded.state };
    let live = found.task().is_some_and(|t| {
        t.state == TaskState::Open && t.assignee == found.row.person_id && t.round as i32 == found.row.round
    }) && found.row.used_at.is_none()
        && found.row.dead_at.is_none();
    Ok(if !live {
        Standing::Spent(found)
    } else if found.row.expires_at <= Utc::now().timestamp_millis() {
        Standing::Expired(found)
    } else {
        Standing::Valid(found)
    })
}

/// Who tried, from where: for the event and the log.
#[derive(Debug, Clone, Default)]
pub struct Attempt {
    /// Client address (links) or the connecting MTA (replies).
    pub address: Option<String>,
    /// Browser user agent, or the mail's `User-Agent`/`X-Mailer`.
    pub user_agent: Option<String>,
    /// The mail's From: (replies).
    pub sender: Option<String>,
}

/// Decides the token's task with `decision`, using the token up in the same transaction.
pub async fn decide(
    app: &App,
    token: &str,
    kind: Kind,
    decision: Decision,
    comment: Option<String>,
    attempt: &Attempt,
) -> Result<Instance, AppError> {
    let name = crate::web::links::decision_value(decision);
    decide_named(app, token, kind, name, comment, Default::default(), attempt).await
}

/// Decides the token's task with a decision by name (a built-in one, a named option of the step,
/// or `extend`, which asks for an extension and leaves the token unused) and the decision form's
/// `fields`, using the token up in the same transaction.
pub async fn decide_named(
    app: &App,
    token: &str,
    kind: Kind,
    decision: &str,
    comment: Option<String>,
    fields: serde_json::Map<String, serde_json::Value>,
    attempt: &Attempt,
) -> Result<Instance, AppError> {
    let found = match standing(app, token, kind).await? {
        Standing::Valid(f) => f,
        Standing::Unknown => {
            log(app, kind, None, attempt, "refused", "unknown token").await;
            return Err(AppError::NotFound("this link is not valid".into()));
        }
        Standing::Expired(f) => {
            log(app, kind, Some(&f), attempt, "refused", "expired").await;
            return Err(AppError::Conflict { code: "link_expired", message: "this link has expired".into() });
        }
        Standing::Spent(f) => {
            log(app, kind, Some(&f), attempt, "refused", "used, or the task is no longer open").await;
            return Err(AppError::Conflict {
                code: "link_used",
                message: "this link was used, or the task is no longer waiting for you".into(),
            });
        }
    };
    let task = found.task().cloned().ok_or_else(|| AppError::NotFound("no such task".into()))?;
    let builtin = crate::web::links::parse_decision(decision);
    if builtin.is_some_and(|d| !allowed(task.kind).contains(&d)) {
        log(app, kind, Some(&found), attempt, "refused", "decision not allowed for the task").await;
        return Err(AppError::Invalid {
            code: "decision_not_allowed",
            message: "this task does not take that decision".into(),
            fields: vec![],
        });
    }
    let extend = decision == "extend";
    let cmd = command_named(decision, task.id, comment, fields);
    let who = Principal { person: found.row.person_id.clone(), admin: false };
    let meta = Meta {
        address: attempt.address.clone(),
        user_agent: attempt.user_agent.clone(),
        idempotency_key: None,
        channel: kind.channel(),
        opened_at: None,
    };
    let hash = token_hash(token.trim());
    // An extension leaves the task open: the link stays usable for the decision itself.
    let using = (!extend).then_some(hash.as_str());
    match app.command_using(&who, &found.row.request_id, cmd, meta, using).await {
        Ok(st) => {
            log(app, kind, Some(&found), attempt, "decided", decision).await;
            Ok(st)
        }
        Err(e) => {
            log(app, kind, Some(&found), attempt, "refused", &e.to_string()).await;
            Err(e)
        }
    }
}

/// Logs an attempt to act through mail (and says it in the log stream when refused).
pub async fn log(app: &App, kind: Kind, found: Option<&Found>, attempt: &Attempt, outcome: &str, reason: &str) {
    if outcome != "decided" {
        tracing::warn!(
            channel = kind.as_str(),
            request = found.map(|f| f.row.request_id.as_str()),
            sender = attempt.sender.as_deref(),
            address = attempt.address.as_deref(),
            reason,
            "mail action refused"
        );
    }
    let mut row: mail_action::ActiveModel = store::actions::attempt(
        match kind {
            Kind::Link => "email_link",
            Kind::Reply => "email_reply",
        },
        outcome,
        reason,
        Utc::now().timestamp_millis(),
    );
    if let Some(f) = found {
        row.request_id = Set(Some(f.row.request_id.clone()));
        row.task_no = Set(Some(f.row.task_no));
        row.person_id = Set(Some(f.row.person_id.clone()));
    }
    row.sender = Set(attempt.sender.as_ref().map(|s| s.chars().take(255).collect()));
    row.address = Set(attempt.address.as_ref().map(|s| s.chars().take(64).collect()));
    row.user_agent = Set(attempt.user_agent.as_ref().map(|s| s.chars().take(255).collect()));
    if let Err(e) = store::actions::log(&app.db, row).await {
        tracing::warn!(error = %e, "logging a mail action");
    }
}
