//! Use cases: each command is one transaction — load, run the pure engine, append events, update
//! projections, write outbox and timer rows, commit. A concurrent writer makes the save fail on
//! the row version; the command is then recomputed from the new state (and a decision on a task
//! someone else decided meanwhile is refused with 409).

pub mod actions;
pub mod assessment;
pub mod calendar;
pub mod compliance;
pub mod definitions;
pub mod delegations;
pub mod ledger;
pub mod org;
pub mod participation;
pub mod records;
pub mod reporting;
pub mod seed;
pub mod seed_requests;
pub mod stats;
pub mod tokens;

use chrono::Utc;
use entities::sea_orm::{DatabaseConnection, TransactionTrait};
use entities::store::{self, StoreError, requests::Meta};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use workflows::engine::{self, Channel, Command, EngineError, Env, Instance};
use workflows::model::Definition;
use workflows::org::{Directory, OrgDirectory};
use workflows::{WorkCalendar, form::FieldError};

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The person.
    pub person: String,
    /// May administer definitions and the org.
    pub admin: bool,
}

/// What can go wrong in a use case; mapped to HTTP in `http::error`.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input: a stable code, a message, the fields concerned.
    #[error("{message}")]
    Invalid {
        /// Stable code.
        code: &'static str,
        /// Message.
        message: String,
        /// Field problems.
        fields: Vec<FieldError>,
    },
    /// Not allowed for this caller.
    #[error("{0}")]
    Forbidden(String),
    /// Not allowed for this caller, for a reason with a stable code of its own (403).
    #[error("{message}")]
    Refused {
        /// Stable code (e.g. `not_a_liaison`).
        code: &'static str,
        /// Message.
        message: String,
    },
    /// No such thing (or not visible to the caller).
    #[error("{0}")]
    NotFound(String),
    /// The state does not allow it (already decided, finished…).
    #[error("{message}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// Message.
        message: String,
    },
    /// A definition's guard blocks the submission (422 `guard_blocked`): the message names the
    /// subjects; `findings` are listed in the answer.
    #[error("{}", .message.zh)]
    Guarded {
        /// zh-CN and English.
        message: workflows::catalog::Label,
        /// The findings that block, each with its subject.
        findings: Vec<workflows::guard::GuardFinding>,
    },
    /// Something broke; the cause is logged, not sent.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::Internal(anyhow::anyhow!(e))
    }
}

impl From<entities::sea_orm::DbErr> for AppError {
    fn from(e: entities::sea_orm::DbErr) -> Self {
        AppError::Internal(anyhow::anyhow!(e))
    }
}

impl From<EngineError> for AppError {
    fn from(e: EngineError) -> Self {
        let code = e.code();
        match e {
            EngineError::InvalidForm(fields) => {
                AppError::Invalid { code, message: "the form does not match the workflow's schema".into(), fields }
            }
            EngineError::UnknownTask(_) => AppError::NotFound(e.to_string()),
            EngineError::NotYourTask(_) | EngineError::NotASubmitter(_) | EngineError::OnlySubmitter => {
                AppError::Forbidden(e.to_string())
            }
            EngineError::UnknownPerson(_) => AppError::Invalid { code, message: e.to_string(), fields: vec![] },
            EngineError::TooLate { .. } | EngineError::ReportTooLate { .. } => {
                AppError::Invalid { code, message: e.to_string(), fields: vec![] }
            }
            EngineError::GuardBlocked { message, findings } => AppError::Guarded { message, findings },
            EngineError::GuardOverrideForbidden(message) => AppError::Refused { code, message },
            EngineError::BadGuardOverride(field_code, reason) => AppError::Invalid {
                code,
                message: reason.clone(),
                fields: vec![workflows::form::FieldError {
                    field: "guard_override.reason".into(),
                    code: field_code,
                    message: reason,
                }],
            },
            EngineError::BadFollowUp(field_code, reason) => AppError::Invalid {
                code,
                message: reason.clone(),
                fields: vec![workflows::form::FieldError { field: "text".into(), code: field_code, message: reason }],
            },
            _ => AppError::Conflict { code, message: e.to_string() },
        }
    }
}

/// The daemon's shared state.
pub struct App {
    /// The database.
    pub db: DatabaseConnection,
    /// The org, indexed; replaced whole on import.
    pub org: RwLock<Arc<OrgDirectory>>,
    /// Parsed definitions by (key, version).
    pub definitions: RwLock<HashMap<(String, u32), Arc<Definition>>>,
    /// Working days.
    pub calendar: WorkCalendar,
    /// HTTP counters for `/metrics`.
    pub metrics: crate::http::metrics::Metrics,
    /// The public base URL of links and pages.
    pub public_url: String,
    /// Told after each commit that may have written outbox rows, so the delivery relay need not
    /// wait for its next poll (other processes poll).
    pub committed: tokio::sync::Notify,
    /// On SQLite, this process's writers take turns here (`App::writing`).
    pub write_gate: Option<tokio::sync::Mutex<()>>,
    /// SHA-256 of the bearer token `/metrics` asks for (`[server] metrics_token_sha256`); `None`:
    /// `/metrics` is open.
    pub metrics_token_sha256: Option<[u8; 32]>,
    /// Rate limits of asking for a login link.
    pub logins: crate::web::limits::LoginLimits,
    /// Thresholds and windows of the org checks and periodic duties (`[duties]`).
    pub duties: workflows::org::checks::CheckSettings,
    /// The work ledger's edit window and text limit (`[ledger]`).
    pub ledger: crate::settings::Ledger,
    /// Where the daily check sends the open tasks of posts whose `to:` date passed
    /// (`[org] ended_post_tasks`).
    pub ended_post_tasks: engine::Reassign,
    /// The annual assessment's thresholds, award quota raise and assessors (`[assessment]`).
    pub assessment: crate::settings::Assessment,
}

impl App {
    /// The gate for `db`'s backend: SQLite has one writer at a time, and a writer that finds the
    /// lock taken sleeps in SQLite's busy handler (1, 2, 5, 10… ms), so eight writers colliding
    /// there wait far longer than the commits take. Queuing them here instead hands the lock on
    /// as soon as it is free. PostgreSQL and MySQL write concurrently: no gate.
    pub fn write_gate_for(db: &DatabaseConnection) -> Option<tokio::sync::Mutex<()>> {
        (db.get_database_backend() == entities::sea_orm::DbBackend::Sqlite).then(|| tokio::sync::Mutex::new(()))
    }

    /// Waits for this process's turn to write (SQLite; at once elsewhere). Hold the guard from
    /// the transaction's begin to its commit, and start no other gated write meanwhile.
    pub async fn writing(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.write_gate {
            Some(g) => Some(g.lock().await),
            None => None,
        }
    }

    /// Runs one write outside a command's transaction (a claim, a result) in this process's turn.
    pub async fn gated<F: std::future::Future>(&self, write: F) -> F::Output {
        let _turn = self.writing().await;
        write.await
    }

    /// The current org.
    pub fn org(&self) -> Arc<OrgDirectory> {
        self.org.read().map(|o| o.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    /// A definition version, parsed once.
    pub async fn definition(&self, key: &str, version: u32) -> Result<Arc<Definition>, AppError> {
        if let Some(d) = self.definitions.read().ok().and_then(|m| m.get(&(key.to_string(), version)).cloned()) {
            return Ok(d);
        }
        let row = store::definitions::get(&self.db, key, version as i32)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no workflow `{key}` version {version}")))?;
        let mut def = workflows::validate::check_source(&row.yaml)
            .definition
            .ok_or_else(|| anyhow::anyhow!("stored definition {key} v{version} does not validate"))?;
        // The daemon numbers the versions it stores; the file's `version:` is the author's note.
        def.version = version;
        let def = Arc::new(def);
        if let Ok(mut m) = self.definitions.write() {
            m.insert((key.to_string(), version), def.clone());
        }
        Ok(def)
    }

    /// Submits a request on the newest published version of `key`. A retried submit with the same
    /// idempotency key returns the request it made the first time.
    pub async fn submit(
        &self,
        who: &Principal,
        key: &str,
        form: &serde_json::Value,
        meta: Meta,
    ) -> Result<Instance, AppError> {
        self.submit_guarded(who, key, form, None, meta).await
    }

    /// M10: a definition whose `score:` steps ask a review panel refuses the submission (422
    /// `panel_composition`, with the count) when that panel does not have more than
    /// `[duty_review] class_rep_share` class representatives.
    fn check_panels(
        &self,
        def: &workflows::model::Definition,
        person: &str,
        form: &serde_json::Value,
    ) -> Result<(), AppError> {
        if !def.steps.iter().any(|s| matches!(s.kind, workflows::model::StepKind::Score(_))) {
            return Ok(());
        }
        let org = self.org();
        let day = Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        let Some(info) = org.submitter_info(person, day) else { return Ok(()) };
        let form = form.as_object().cloned().unwrap_or_default();
        let share = self.duties.panel_class_rep_share;
        let short = workflows::score::panels_asked(def, org.as_ref(), &info, &form, day)
            .into_iter()
            .find(|p| !p.has_majority(share));
        match short {
            None => Ok(()),
            Some(p) => {
                let msg = p.shortfall(share);
                let message = format!("{}。The {}.", msg.zh, msg.en);
                Err(AppError::Invalid {
                    code: "panel_composition",
                    message: message.clone(),
                    fields: vec![workflows::form::FieldError { field: p.body, code: "panel_composition", message }],
                })
            }
        }
    }

    /// Submits like [`App::submit`], with the submitter's reason to override the definition's
    /// `guards:` (`guard_override` in the API). A definition with guards gets today's compliance
    /// findings (Asia/Shanghai) computed before the engine runs; one without computes nothing.
    /// Refusals: 422 `guard_blocked` (the findings and their subjects), 403
    /// `guard_override_forbidden`, 422 `invalid_guard_override` (an empty or too long reason).
    /// A duty review to a panel without a class-representative majority: 422 `panel_composition`.
    pub async fn submit_guarded(
        &self,
        who: &Principal,
        key: &str,
        form: &serde_json::Value,
        override_reason: Option<String>,
        meta: Meta,
    ) -> Result<Instance, AppError> {
        let mut fingerprint = submit_fingerprint(key, form);
        if let Some(r) = &override_reason {
            fingerprint = submit_fingerprint(key, &serde_json::json!({ "form": form, "guard_override": r }));
        }
        if let Some(k) = &meta.idempotency_key
            && let Some(st) = self.replayed(who, k, &fingerprint).await?
        {
            return Ok(st);
        }
        let row = store::definitions::latest(&self.db, key, true)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("there is no published workflow `{key}`")))?;
        let def = self.definition(key, row.version as u32).await?;
        // Fields the daemon computes (the duty report's ledger) are filled here, never typed.
        let form = &self.with_computed(&def, &who.person, form).await?;
        let guard = self.guard_facts(&def, override_reason).await?;
        // An M1 matter must be on the reporting checklist 校团委 signed off.
        let def = self.with_checklist(key, def, form).await?;
        self.check_panels(&def, &who.person, form)?;
        let id = uuid::Uuid::now_v7().to_string();
        let out = {
            // The directory is a `&dyn Directory`: keep it out of the awaits below.
            let org = self.org();
            let env = Env { def: &def, dir: org.as_ref(), cal: &self.calendar, now: Utc::now() };
            engine::submit_guarded(&env, &id, &who.person, meta.channel, form, &guard)?
        };
        let _records = records::records_turn(&out).await;
        let saved = {
            let _turn = self.writing().await;
            let txn = self.db.begin().await?;
            let saved = match store::requests::save(&txn, None, &out, &meta).await {
                Ok(_) if meta.idempotency_key.is_some() => {
                    store::requests::set_idempotency_hash(&txn, &id, &fingerprint).await
                }
                other => other.map(|_| ()),
            };
            match saved {
                // A request that ends at its submit writes its records with it.
                Ok(()) => {
                    match self.write_outcomes(&txn, &out, out.events.last().map_or_else(Utc::now, |e| e.at)).await {
                        Ok(org) => txn.commit().await.map(|_| org).map_err(StoreError::from),
                        Err(e) => {
                            txn.rollback().await.ok();
                            return Err(e);
                        }
                    }
                }
                Err(e) => {
                    txn.rollback().await.ok();
                    Err(e)
                }
            }
        };
        match saved {
            Ok(org) => {
                if let Some(org) = org {
                    self.set_org(org);
                }
                self.committed.notify_waiters()
            }
            Err(e) => {
                // The same idempotency key raced us: return the winner's request (or refuse a
                // different body).
                if let Some(k) = &meta.idempotency_key
                    && let Some(st) = self.replayed(who, k, &fingerprint).await?
                {
                    return Ok(st);
                }
                return Err(e.into());
            }
        }
        Ok(out.state)
    }

    /// The request an earlier submit with idempotency key `k` made, when there was one: the same
    /// body (`fingerprint`) gets that request back; another body is refused with 422
    /// `idempotency_key_reused` (draft-ietf-httpapi-idempotency-key-header, section 2.7).
    async fn replayed(&self, who: &Principal, k: &str, fingerprint: &str) -> Result<Option<Instance>, AppError> {
        let Some((id, hash)) = store::requests::by_idempotency_key_with_hash(&self.db, &who.person, k).await? else {
            return Ok(None);
        };
        if hash.as_deref().is_some_and(|h| h != fingerprint) {
            return Err(AppError::Invalid {
                code: "idempotency_key_reused",
                message: "this Idempotency-Key was already used with a different request body; use a new key".into(),
                fields: vec![FieldError {
                    field: "Idempotency-Key".into(),
                    code: "idempotency_key_reused",
                    message: format!("request `{id}` was submitted with this key and another body"),
                }],
            });
        }
        Ok(Some(store::requests::load(&self.db, &id).await?.map(|l| l.state).unwrap_or_default()))
    }

    /// Runs a person's command on a request, in one transaction, recomputing on a concurrent change.
    pub async fn command(&self, who: &Principal, id: &str, cmd: Command, meta: Meta) -> Result<Instance, AppError> {
        let cmd = match cmd {
            Command::Resubmit { form, guard } => {
                let (form, guard) = self.resubmitted_form(who, id, form, guard.override_reason).await?;
                Command::Resubmit { form, guard }
            }
            other => other,
        };
        self.command_using(who, id, cmd, meta, None).await
    }

    /// The form of a resubmit with the definition's computed fields filled again (the ledger may
    /// have grown since): the form sent, or the request's own when none is sent. Definitions
    /// without computed fields pass the form through untouched. With it, what the definition's
    /// `guards:` read today (the resubmission is guarded as a submission is) and the
    /// submitter's `override_reason`.
    async fn resubmitted_form(
        &self,
        who: &Principal,
        id: &str,
        form: Option<serde_json::Value>,
        override_reason: Option<String>,
    ) -> Result<(Option<serde_json::Value>, workflows::guard::GuardFacts), AppError> {
        let loaded = self.visible(who, id).await?;
        let def = self.definition(&loaded.state.key, loaded.state.version).await?;
        let guard = self.guard_facts(&def, override_reason).await?;
        if def.form.iter().all(|f| f.computed.is_none()) || loaded.state.submitter.id != who.person {
            return Ok((form, guard));
        }
        let sent = match form {
            Some(f) => f,
            None => {
                let mut own = loaded.state.form.clone();
                own.retain(|k, _| def.field(k).is_none_or(|f| f.computed.is_none()));
                serde_json::Value::Object(own)
            }
        };
        Ok((Some(self.with_computed_on(&def, &who.person, Some(id), &sent).await?), guard))
    }

    /// Like `command`; with `token` (an action token's hash), the token is used up in the same
    /// transaction, so the decision and the token's use commit together or not at all.
    pub async fn command_using(
        &self,
        who: &Principal,
        id: &str,
        cmd: Command,
        meta: Meta,
        token: Option<&str>,
    ) -> Result<Instance, AppError> {
        self.check_request_references(who, id, &cmd).await?;
        let now = Utc::now();
        let changed = self
            .change_using(id, Some(who), &meta, token, |st, def, org| {
                let env = Env { def, dir: org, cal: &self.calendar, now };
                let mut out = engine::handle(&env, st, &who.person, meta.channel, cmd.clone())?;
                confirm_decisions(&mut out, org);
                Ok(Some(out))
            })
            .await?;
        changed.ok_or_else(|| AppError::NotFound(format!("no request `{id}`")))
    }

    /// A decision form's fields of type `request` (e.g. M5's "merged into") must name another
    /// request that exists and that the person deciding may see: 422 `invalid_form` with the
    /// field and `unknown_reference` otherwise. The engine checks only their shape.
    async fn check_request_references(&self, who: &Principal, id: &str, cmd: &Command) -> Result<(), AppError> {
        let Command::Decide { fields, .. } = cmd else { return Ok(()) };
        if fields.is_empty() {
            return Ok(());
        }
        let loaded = self.visible(who, id).await?;
        let def = self.definition(&loaded.state.key, loaded.state.version).await?;
        for (k, v) in fields {
            let Some(f) = def.field(k) else { continue };
            if f.ty != workflows::model::FieldType::Request {
                continue;
            }
            let Some(other) = v.as_str().map(str::trim) else { continue };
            let bad = |message: String| AppError::Invalid {
                code: "invalid_form",
                message: "the form does not match the workflow's schema".into(),
                fields: vec![FieldError { field: k.clone(), code: "unknown_reference", message }],
            };
            if other == id {
                return Err(bad(format!("`{k}` names this request itself")));
            }
            match self.visible(who, other).await {
                Ok(_) => {}
                Err(AppError::NotFound(_)) => return Err(bad(format!("`{k}`: there is no request `{other}`"))),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Fires a due timer through the same engine path as a person's command (the events say
    /// "timer"). A timer whose step was decided meanwhile does nothing.
    pub async fn fire_timer(&self, request: &str, timer: &str) -> Result<(), AppError> {
        // Timers of no request: a delegation's end.
        if request.is_empty() {
            match timer.strip_prefix(store::org::DELEGATION_TIMER).and_then(|id| id.parse().ok()) {
                Some(id) => return self.delegation_timer(id).await,
                None => return Ok(store::jobs::timer_done(&self.db, request, timer).await?),
            }
        }
        let now = Utc::now();
        let fired = self
            .change(request, None, &Meta::default(), |st, def, org| {
                let env = Env { def, dir: org, cal: &self.calendar, now };
                let out = engine::fire(&env, st, timer)?;
                Ok((!out.events.is_empty()).then_some(out))
            })
            .await?;
        if fired.is_none() {
            store::jobs::timer_done(&self.db, request, timer).await?;
        }
        Ok(())
    }

    /// Puts a final delivery failure on the request's timeline.
    pub async fn record_delivery_failure(
        &self,
        request: &str,
        to: &str,
        template: workflows::engine::Template,
        reason: &str,
    ) -> Result<(), AppError> {
        let now = Utc::now();
        self.change(request, None, &Meta::default(), |st, _, _| {
            let mut state = st.clone();
            let ev = workflows::engine::Event {
                seq: state.seq + 1,
                at: now,
                actor: workflows::engine::Actor::System,
                channel: Channel::System,
                kind: workflows::engine::EventKind::DeliveryFailed {
                    to: to.to_string(),
                    template,
                    reason: reason.chars().take(500).collect(),
                },
            };
            state.apply(&ev);
            Ok(Some(engine::Output { state, events: vec![ev], effects: vec![] }))
        })
        .await?;
        Ok(())
    }

    /// Loads a request (checking the caller may see it, when there is one), computes a change and
    /// saves it in one transaction; another writer in between makes it load and compute again.
    /// `None` when the request is gone or `compute` found nothing to change.
    pub(super) async fn change<F>(
        &self,
        id: &str,
        who: Option<&Principal>,
        meta: &Meta,
        compute: F,
    ) -> Result<Option<Instance>, AppError>
    where
        F: Fn(&Instance, &Definition, &OrgDirectory) -> Result<Option<engine::Output>, AppError> + Send + Sync,
    {
        self.change_using(id, who, meta, None, compute).await
    }

    /// `change`, using up the action token `token` (a hash) in the same transaction.
    async fn change_using<F>(
        &self,
        id: &str,
        who: Option<&Principal>,
        meta: &Meta,
        token: Option<&str>,
        compute: F,
    ) -> Result<Option<Instance>, AppError>
    where
        F: Fn(&Instance, &Definition, &OrgDirectory) -> Result<Option<engine::Output>, AppError> + Send + Sync,
    {
        for _ in 0..5 {
            let loaded = match who {
                Some(w) => self.visible(w, id).await?,
                None => match store::requests::load(&self.db, id).await? {
                    Some(l) => l,
                    None => return Ok(None),
                },
            };
            let def = self.definition(&loaded.state.key, loaded.state.version).await?;
            // Computed fields that count entries kept outside the request (M8) are brought up to
            // date first, by an event of their own, so a switch this change reaches reads them.
            let refreshed = self.refreshed(&loaded.state, &def).await?;
            let out = {
                let org = self.org();
                compute(refreshed.as_ref().map_or(&loaded.state, |(st, _)| st), &def, org.as_ref())?
            };
            let Some(mut out) = out else { return Ok(None) };
            if let Some((_, ev)) = refreshed {
                out.events.insert(0, ev);
            }
            if out.events.is_empty() && out.effects.is_empty() {
                return Ok(Some(out.state));
            }
            let _records = records::records_turn(&out).await;
            let _turn = self.writing().await;
            let txn = self.db.begin().await?;
            // The token first: saving kills the tokens of the tasks the change closed.
            if let Some(hash) = token
                && !store::actions::consume(&txn, hash, Utc::now().timestamp_millis()).await?
            {
                txn.rollback().await.ok();
                return Err(AppError::Conflict {
                    code: "link_used",
                    message: "this link was used, has expired or no longer applies".into(),
                });
            }
            match store::requests::save_loaded(&txn, &loaded, &out, meta).await {
                Ok(_) => {
                    // The records of an outcome, and the onboarding an appointment starts, commit
                    // with the event that ended the request, or not at all.
                    let at = out.events.last().map_or_else(Utc::now, |e| e.at);
                    let org = match self.write_outcomes(&txn, &out, at).await {
                        Ok(org) => org,
                        Err(e) => {
                            txn.rollback().await.ok();
                            return Err(e);
                        }
                    };
                    txn.commit().await?;
                    if let Some(org) = org {
                        self.set_org(org);
                    }
                    self.committed.notify_waiters();
                    return Ok(Some(out.state));
                }
                Err(StoreError::Conflict) => {
                    txn.rollback().await.ok();
                }
                Err(e) => {
                    txn.rollback().await.ok();
                    return Err(e.into());
                }
            }
        }
        Err(AppError::Conflict { code: "busy", message: "the request is changing too fast; try again".into() })
    }

    /// A request the caller may see: the submitter, people on its path, admins — and, unless it
    /// is need-to-know, anyone in the org.
    pub async fn visible(&self, who: &Principal, id: &str) -> Result<store::requests::Loaded, AppError> {
        let loaded = store::requests::load(&self.db, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no request `{id}`")))?;
        let org = self.org();
        let delegate_of_viewer = loaded
            .state
            .viewers
            .iter()
            .any(|v| org.delegate_of(v, &loaded.state.key, Utc::now()).is_some_and(|d| d.to == who.person));
        if loaded.state.need_to_know && !who.admin && !loaded.state.on_path(&who.person) && !delegate_of_viewer {
            return Err(AppError::NotFound(format!("no request `{id}`")));
        }
        Ok(loaded)
    }
}

/// SHA-256 (hex) of a submit's body as the daemon reads it: the workflow key and the form.
fn submit_fingerprint(key: &str, form: &serde_json::Value) -> String {
    use sha2::Digest;
    let body = serde_json::json!({ "workflow": key, "form": form });
    hex::encode(sha2::Sha256::digest(body.to_string().as_bytes()))
}

/// A person who decides a task is sent a confirmation (【已办理】), in the command's transaction.
fn confirm_decisions(out: &mut engine::Output, org: &OrgDirectory) {
    for e in &out.events {
        if let (workflows::engine::EventKind::TaskDecided { task, .. }, workflows::engine::Actor::Person { id, .. }) =
            (&e.kind, &e.actor)
        {
            let lang = org.person(id).map(|p| p.lang).unwrap_or_default();
            out.effects.push(engine::Effect::Notify {
                to: id.clone(),
                lang,
                template: workflows::engine::Template::Confirmed,
                task: Some(*task),
            });
        }
    }
}
