//! Org use cases: import the whole org (all-or-nothing, every problem listed; people removed give
//! up their open tasks and credentials, people whose post ends give up the tasks it gave them),
//! export it; the daily move of the tasks of posts whose `to:` date passed.

use super::{App, AppError, Principal, definitions::admin};
use entities::sea_orm::TransactionTrait;
use entities::store::{self, StoreError, requests::Meta};
use std::collections::BTreeSet;
use std::sync::Arc;
use workflows::engine::{self, Env, Reassign};
use workflows::form::FieldError;
use workflows::org::{Directory, OrgDirectory};

/// What an import loaded.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Imported {
    /// Departments.
    pub departments: usize,
    /// Classes.
    pub classes: usize,
    /// People.
    pub people: usize,
    /// Posts.
    pub posts: usize,
    /// Liaisons.
    pub liaisons: usize,
    /// Posts approved outcomes wrote or ended that the org keeps (they are not the file's to
    /// replace; see `workflows::records::merge`).
    pub outcome_posts: usize,
    /// Liaisons approved outcomes wrote or ended that the org keeps.
    pub outcome_liaisons: usize,
}

impl App {
    /// Replaces the org with the YAML `text`; on any problem nothing is imported and every
    /// problem is listed with its line:col. People who are no longer in it lose their API tokens
    /// and web sessions in the same transaction. When they hold open tasks (or tasks are held on
    /// their behalf), or someone holds an open task through a post (`Task::post`) that is not
    /// theirs on the import day in the new org (the post is gone, went to someone else, or its
    /// `to:` date passed), the import is refused (422 `open_tasks_of_removed_people`, one entry
    /// per task: request, step, person; code `open_task`, or `post_ended` naming the post) unless
    /// `move_open_tasks` says where the tasks go; they are then moved in the same transaction, by
    /// the system (issue 10).
    ///
    /// The posts and liaisons approved outcomes wrote, and the ends they put on others, are kept
    /// (`workflows::records::merge`: the file replaces only its own entries, so re-importing the
    /// same file changes nothing). When the file drops the person, body, department or class of
    /// such a post or liaison that still holds on the import day, the import is refused (422
    /// `records_refer_to_removed`, one entry per post or liaison: the request that wrote it, what
    /// it is, what is missing); ended ones are history and left out.
    pub async fn import_org(
        &self,
        who: &Principal,
        text: &str,
        move_open_tasks: Option<Reassign>,
        progress: impl FnMut(usize, usize),
    ) -> Result<Imported, AppError> {
        admin(who)?;
        let org = workflows::org::file::load_org(text).map_err(|errs| AppError::Invalid {
            code: "invalid_org",
            message: format!("the org file has {} problem(s); nothing was imported", errs.len()),
            fields: errs
                .iter()
                .map(|e| FieldError { field: e.pos.to_string(), code: "org", message: e.message.clone() })
                .collect(),
        })?;
        // Outcomes that write into the org wait until the import has published its org, so none
        // of theirs is lost between reading the org and replacing it.
        let _records = super::records::records_lock().await;
        let now = chrono::Utc::now();
        let day = now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        let (file_posts, file_liaisons) = (org.posts.len(), org.liaisons.len());
        let merged = workflows::records::merge::merge(org, self.org().org(), day);
        if !merged.dangling.is_empty() {
            return Err(records_refer_to_removed(&merged.dangling));
        }
        let imported = Imported {
            departments: merged.org.departments.len(),
            classes: merged.org.classes.len(),
            people: merged.org.people.len(),
            posts: file_posts,
            liaisons: file_liaisons,
            outcome_posts: merged.outcome_posts,
            outcome_liaisons: merged.outcome_liaisons,
        };
        let dir = OrgDirectory::new(merged.org);
        let gone: BTreeSet<String> =
            self.org().org().people.iter().filter(|p| dir.person(&p.id).is_none()).map(|p| p.id.clone()).collect();
        let gone_list: Vec<String> = gone.iter().cloned().collect();
        let open = store::requests::open_tasks_of_any(&self.db, &gone_list).await?;
        // Tasks a post gave to someone who stays, but not in that post on the import day (issue 10).
        let ended: Vec<store::requests::PostedTask> = store::requests::open_tasks_with_posts(&self.db)
            .await?
            .into_iter()
            .filter(|t| !open.iter().any(|o| o.request_id == t.task.request_id && o.task_no == t.task.task_no))
            .filter(|t| engine::post_ended(Some(&t.post), t.reviewer(), &dir, day))
            .collect();
        if let Some(Reassign::Person(p)) = &move_open_tasks
            && dir.person(p).is_none()
        {
            return Err(AppError::Invalid {
                code: "unknown_person",
                message: format!("`{p}` (where the open tasks should go) is not a person of the imported org"),
                fields: vec![],
            });
        }
        if (!open.is_empty() || !ended.is_empty()) && move_open_tasks.is_none() {
            return Err(AppError::Invalid {
                code: "open_tasks_of_removed_people",
                message: {
                    let mut why = Vec::new();
                    if !open.is_empty() {
                        why.push(format!(
                            "{} open task(s) are held by (or on behalf of) people the import removes",
                            open.len()
                        ));
                    }
                    if !ended.is_empty() {
                        why.push(format!(
                            "{} open task(s) are held through a post that is not their holder's on {day} in the new \
                             org (the post ended)",
                            ended.len()
                        ));
                    }
                    format!(
                        "{}; say where they go (move_open_tasks_to=selector: the step's reviewers again; \
                         move_open_tasks_to=person:ID); nothing was imported",
                        why.join("; ")
                    )
                },
                fields: open
                    .iter()
                    .map(|t| {
                        let person = match &t.on_behalf_of {
                            Some(p) if gone.contains(p) => p.clone(),
                            _ => t.assignee.clone(),
                        };
                        FieldError {
                            field: format!("requests/{}/tasks/{}", t.request_id, t.task_no),
                            code: "open_task",
                            message: format!(
                                "request `{}`, step `{}`: `{person}` holds an open task and is not in the new org",
                                t.request_id, t.step
                            ),
                        }
                    })
                    .chain(ended.iter().map(|t| FieldError {
                        field: format!("requests/{}/tasks/{}", t.task.request_id, t.task.task_no),
                        code: "post_ended",
                        message: format!(
                            "request `{}`, step `{}`: `{}` holds an open task as `{}`, a post that is not theirs on \
                             {day} in the new org (the post ended)",
                            t.task.request_id,
                            t.task.step,
                            t.reviewer(),
                            t.post
                        ),
                    }))
                    .collect(),
            });
        }
        let requests: BTreeSet<String> =
            open.iter().map(|t| t.request_id.clone()).chain(ended.iter().map(|t| t.task.request_id.clone())).collect();
        {
            let _turn = self.writing().await;
            let txn = self.db.begin().await?;
            let done = async {
                store::org::replace_org_in(&txn, dir.org(), progress).await?;
                store::org::revoke_credentials(&txn, &gone_list, now.timestamp_millis()).await?;
                if let Some(to) = &move_open_tasks {
                    for id in &requests {
                        let Some(loaded) = store::requests::load(&txn, id).await? else { continue };
                        let def = self.definition(&loaded.state.key, loaded.state.version).await?;
                        // The directory is a `&dyn Directory`: keep it out of the awaits below.
                        let out = {
                            let env = Env { def: &def, dir: &dir, cal: &self.calendar, now };
                            engine::reassign_departed(&env, &loaded.state, &gone, to)?
                        };
                        if !out.events.is_empty() {
                            store::requests::save_loaded(&txn, &loaded, &out, &Meta::default()).await.map_err(|e| {
                                match e {
                                    StoreError::Conflict => AppError::Conflict {
                                        code: "busy",
                                        message: "a request changed during the import; try again".into(),
                                    },
                                    e => e.into(),
                                }
                            })?;
                        }
                    }
                }
                Ok::<(), AppError>(())
            }
            .await;
            match done {
                Ok(()) => txn.commit().await?,
                Err(e) => {
                    txn.rollback().await.ok();
                    return Err(e);
                }
            }
        }
        self.set_org(dir);
        self.committed.notify_waiters();
        // Delegations the file no longer has: their held tasks go back.
        if let Err(e) = self.return_held_tasks(None).await {
            tracing::warn!(error = %e, "giving back tasks of delegations the import removed");
        }
        Ok(imported)
    }

    /// Moves the open tasks whose qualifying post (`Task::post`) has ended on the day of `now`
    /// (Asia/Shanghai) — its `to:` date passed — as `[org] ended_post_tasks` says, by the system
    /// (cancel reason `post_ended` on the request's timeline, the old holder's links die, the new
    /// reviewer gets the task mail; see `engine::reassign_ended_posts`). One transaction per
    /// request with the row-version check, so several daemons (or a second run) never move a
    /// task twice. Returns how many requests changed.
    pub async fn move_ended_post_tasks(&self, now: chrono::DateTime<chrono::Utc>) -> Result<usize, AppError> {
        let day = now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        let posted = store::requests::open_tasks_with_posts(&self.db).await?;
        let requests: BTreeSet<String> = {
            let org = self.org();
            if let Reassign::Person(p) = &self.ended_post_tasks
                && org.person(p).is_none()
            {
                tracing::warn!(person = %p, "org.ended_post_tasks names a person not in the org; the step's reviewers take the tasks");
            }
            posted
                .into_iter()
                .filter(|t| engine::post_ended(Some(&t.post), t.reviewer(), org.as_ref(), day))
                .map(|t| t.task.request_id)
                .collect()
        };
        let mut changed = 0;
        for request in requests {
            let r = self
                .change(&request, None, &Meta::default(), |st, def, org| {
                    if engine::ended_post_tasks(st, org, day).is_empty() {
                        return Ok(None);
                    }
                    let env = Env { def, dir: org, cal: &self.calendar, now };
                    let out = engine::reassign_ended_posts(&env, st, &self.ended_post_tasks)?;
                    Ok((!out.events.is_empty()).then_some(out))
                })
                .await;
            match r {
                Ok(Some(_)) => changed += 1,
                Ok(None) => {}
                Err(e) => tracing::warn!(request = %request, error = %e, "moving the tasks of an ended post"),
            }
        }
        Ok(changed)
    }

    /// Reads where the open tasks of removed people go: `selector` (the step's `who:` again, on
    /// the new org) or `person:<id>`.
    pub fn parse_move_open_tasks(s: &str) -> Result<Reassign, AppError> {
        match s.trim() {
            "selector" => Ok(Reassign::Selector),
            x => match x.strip_prefix("person:").map(str::trim).filter(|p| !p.is_empty()) {
                Some(p) => Ok(Reassign::Person(p.to_string())),
                None => Err(AppError::Invalid {
                    code: "bad_move_open_tasks_to",
                    message: format!("`{x}`: say `selector` or `person:<id>`"),
                    fields: vec![FieldError {
                        field: "move_open_tasks_to".into(),
                        code: "bad_move_open_tasks_to",
                        message: "`selector` or `person:<id>`".into(),
                    }],
                }),
            },
        }
    }

    /// The org as an org file, with a note under its first line on the posts and liaisons that
    /// approved outcomes wrote (`request:`) or ended (`ended_by:`).
    pub fn export_org(&self, who: &Principal) -> Result<String, AppError> {
        admin(who)?;
        let text = workflows::org::file::dump_org(self.org().org());
        Ok(match text.split_once('\n') {
            Some((first, rest)) => format!("{first}\n{}{rest}", workflows::org::file::OUTCOME_NOTE),
            None => text,
        })
    }

    pub(super) fn set_org(&self, dir: OrgDirectory) {
        match self.org.write() {
            Ok(mut g) => *g = Arc::new(dir),
            Err(p) => *p.into_inner() = Arc::new(dir),
        }
    }
}

/// The 422 of an import that drops the person or unit of posts and liaisons approved outcomes
/// wrote, one entry per post or liaison (field `records/<request>`, code `outcome_post` or
/// `outcome_liaison`).
fn records_refer_to_removed(dangling: &[workflows::records::merge::Dangling]) -> AppError {
    AppError::Invalid {
        code: "records_refer_to_removed",
        message: format!(
            "{} post(s) or liaison(s) that approved requests wrote still hold and name a person or unit the file \
             no longer has; keep them in the file, or end them first (export, set their `to:` to a past day, \
             import), then remove them; nothing was imported",
            dangling.len()
        ),
        fields: dangling
            .iter()
            .map(|d| FieldError {
                field: format!("records/{}", d.request),
                code: if d.entry == "post" { "outcome_post" } else { "outcome_liaison" },
                message: format!(
                    "request `{}` wrote the {} `{}`; the file has no {}",
                    d.request,
                    d.entry,
                    d.what,
                    d.missing.join(", ")
                ),
            })
            .collect(),
    }
}
