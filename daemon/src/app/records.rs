//! Outcome records (issue 11): when a command ends a request, the records its definition's
//! `records:` says it writes (the engine's `Effect::Record`s) are written in the command's own
//! transaction — posts and liaisons into the org tables, the other kinds into their own — and
//! each new post starts the built-in onboarding request for its holder, submitted by the system
//! in the same transaction. After the commit the in-memory org is the changed one.

use super::{App, AppError};
use chrono::{DateTime, Utc};
use entities::sea_orm::ConnectionTrait;
use entities::store::{self, requests::Meta};
use workflows::catalog::Role;
use workflows::engine::{self, Channel, Effect, Env, Output};
use workflows::org::{Directory, OrgDirectory, Post};
use workflows::records::outcome::apply_to_org;

/// Commands that write records take turns here from computing the new org to publishing it, so
/// two outcomes finishing at once do not publish an org that lacks the other's posts.
static RECORDS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The key of the built-in definition an appointment starts (M4 入门教育).
pub const ONBOARDING: &str = "onboarding";

/// Whether a command's output writes records.
pub fn writes_records(out: &Output) -> bool {
    out.effects.iter().any(|e| matches!(e, Effect::Record { .. }))
}

/// Held by a command that writes records, from before its transaction to after it published the
/// org.
pub type RecordsTurn = Option<tokio::sync::MutexGuard<'static, ()>>;

/// Takes the records turn whatever happens (an org import holds it from reading the org to
/// publishing the imported one, so that no outcome's posts are lost in between).
pub async fn records_lock() -> tokio::sync::MutexGuard<'static, ()> {
    RECORDS.lock().await
}

/// Takes the records turn when `out` writes records.
pub async fn records_turn(out: &Output) -> RecordsTurn {
    if writes_records(out) { Some(RECORDS.lock().await) } else { None }
}

impl App {
    /// Writes the records of `out` in `txn` and submits an onboarding request for every new post;
    /// the org after them, to publish with `set_org` once `txn` commits (`None`: `out` writes
    /// no record). `now`: the command's time.
    pub(super) async fn write_outcomes<C: ConnectionTrait>(
        &self,
        txn: &C,
        out: &Output,
        now: DateTime<Utc>,
    ) -> Result<Option<OrgDirectory>, AppError> {
        if !writes_records(out) {
            return Ok(None);
        }
        let request = out.state.id.clone();
        let mut org = self.org().org().clone();
        let mut new_posts: Vec<Post> = Vec::new();
        for effect in &out.effects {
            let Effect::Record { index, record } = effect else { continue };
            let changes = apply_to_org(&mut org, record);
            store::records::write_org_changes(txn, &changes).await?;
            store::records::write_record(txn, &request, *index, record, now.timestamp_millis()).await?;
            new_posts.extend(changes.added_posts);
            tracing::info!(request = %request, kind = record.kind(), "outcome recorded");
        }
        let dir = OrgDirectory::new(org);
        if !new_posts.is_empty() {
            self.start_onboarding(txn, &dir, &out.state.submitter.id, &new_posts, now).await?;
        }
        Ok(Some(dir))
    }

    /// Submits, as the system, the built-in onboarding request of each new post's holder: filed
    /// on behalf of the president of the body they joined (else the submitter of the request that
    /// appointed them), its one-month clock from the appointment day.
    async fn start_onboarding<C: ConnectionTrait>(
        &self,
        txn: &C,
        dir: &OrgDirectory,
        appointed_by: &str,
        posts: &[Post],
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let Some(row) = store::definitions::latest(txn, ONBOARDING, true).await? else {
            tracing::warn!("no published `onboarding` workflow: appointments start no onboarding");
            return Ok(());
        };
        let def = self.definition(ONBOARDING, row.version as u32).await?;
        let meta = Meta { channel: Channel::System, ..Meta::default() };
        for post in posts {
            let out = {
                let president = dir
                    .holders(&post.body, &[Role::President], post.from)
                    .into_iter()
                    .map(|p| p.person.clone())
                    .find(|p| p != &post.person);
                let submitter = president.unwrap_or_else(|| appointed_by.to_string());
                let name = dir.person(&post.person).map_or(post.person.clone(), |p| p.name.clone());
                let form = serde_json::json!({
                    "new_staff": post.person,
                    "new_staff_name": name.chars().take(40).collect::<String>(),
                    "appointed_on": post.from.to_string(),
                    "body": post.body,
                });
                let env = Env { def: &def, dir, cal: &self.calendar, now };
                let id = uuid::Uuid::now_v7().to_string();
                engine::submit_by_system(&env, &id, &submitter, &form)
            };
            match out {
                Ok(out) => {
                    store::requests::save(txn, None, &out, &meta).await?;
                }
                // A person the org no longer knows, or a form the stored definition refuses:
                // the post stands; the onboarding duty still reminds them.
                Err(e) => tracing::warn!(person = %post.person, error = %e, "could not start the onboarding request"),
            }
        }
        Ok(())
    }
}
