//! Delegations (a stand-in while someone is away): recorded with the timer of their end in one
//! transaction; at the end — or when the delegator or an admin ends one early — the open tasks
//! the delegate holds on the delegator's behalf go back to the delegator, and with them the
//! delegate's sight of need-to-know requests.

use super::{App, AppError, Principal};
use chrono::Utc;
use entities::sea_orm::TransactionTrait;
use entities::store::{self, requests::Meta};
use std::collections::BTreeSet;
use workflows::engine::{self, Env};
use workflows::org::{Delegation, Directory, OrgDirectory};

impl App {
    /// Records a delegation (by an admin, or by the person who will be away) with the timer of
    /// its end, in one transaction; returns its id. Refused (422 `bad_delegation`): the same
    /// person twice, an end not after the start, or an end already past.
    pub async fn add_delegation(&self, who: &Principal, d: Delegation) -> Result<i64, AppError> {
        if !who.admin && who.person != d.from {
            return Err(AppError::Forbidden("only the person who is away, or an admin, may delegate".into()));
        }
        let org = self.org();
        for p in [&d.from, &d.to] {
            if org.person(p).is_none() {
                return Err(AppError::Invalid {
                    code: "unknown_person",
                    message: format!("`{p}` is not a person of the org"),
                    fields: vec![],
                });
            }
        }
        if d.ends <= d.starts || d.from == d.to {
            return Err(AppError::Invalid {
                code: "bad_delegation",
                message: "a delegation names two different people and ends after it starts".into(),
                fields: vec![],
            });
        }
        if d.ends <= Utc::now() {
            return Err(AppError::Invalid {
                code: "bad_delegation",
                message: "the delegation's end is already past".into(),
                fields: vec![workflows::form::FieldError {
                    field: "ends".into(),
                    code: "in_the_past",
                    message: format!("{} is before now", d.ends.to_rfc3339()),
                }],
            });
        }
        let id = {
            let _turn = self.writing().await;
            let txn = self.db.begin().await?;
            let id = store::org::add_delegation(&txn, &d).await?;
            txn.commit().await?;
            id
        };
        let mut next = org.org().clone();
        next.delegations.push(d);
        self.set_org(OrgDirectory::new(next));
        Ok(id)
    }

    /// The delegations the caller may see, with their ids: an admin every one, anyone else those
    /// they give or receive.
    pub async fn list_delegations(&self, who: &Principal) -> Result<Vec<(i64, Delegation)>, AppError> {
        Ok(store::org::delegations(&self.db)
            .await?
            .into_iter()
            .filter(|(_, d)| who.admin || d.from == who.person || d.to == who.person)
            .collect())
    }

    /// Ends delegation `id` now (by the delegator or an admin): the delegate's open tasks on the
    /// delegator's behalf go back at once. 404 for people it does not concern, 403 for the
    /// delegate, 409 `delegation_ended` when it is over already.
    pub async fn end_delegation(&self, who: &Principal, id: i64) -> Result<usize, AppError> {
        let d = store::org::delegation(&self.db, id)
            .await?
            .filter(|d| who.admin || d.from == who.person || d.to == who.person)
            .ok_or_else(|| AppError::NotFound(format!("no delegation {id}")))?;
        if !who.admin && who.person != d.from {
            return Err(AppError::Forbidden("only the person who delegated, or an admin, may end a delegation".into()));
        }
        if d.ends <= Utc::now() {
            return Err(AppError::Conflict { code: "delegation_ended", message: format!("delegation {id} has ended") });
        }
        self.finish_delegation(id, d).await
    }

    /// The end timer of delegation `id` fell due (or it is ended early): the delegation ends now
    /// if it had not yet, and its held tasks go back. The timer is done only when they went.
    pub(super) async fn delegation_timer(&self, id: i64) -> Result<(), AppError> {
        if let Some(d) = store::org::delegation(&self.db, id).await? {
            self.finish_delegation(id, d).await?;
        }
        store::jobs::timer_done(&self.db, "", &format!("{}{id}", store::org::DELEGATION_TIMER)).await?;
        Ok(())
    }

    async fn finish_delegation(&self, id: i64, d: Delegation) -> Result<usize, AppError> {
        let now = Utc::now();
        if d.ends > now {
            let ended = Delegation { ends: now, ..d.clone() };
            self.gated(store::org::update_delegation(&self.db, id, &ended)).await?;
            let org = self.org();
            let mut next = org.org().clone();
            if let Some(x) = next.delegations.iter_mut().find(|x| **x == d) {
                *x = ended;
            }
            self.set_org(OrgDirectory::new(next));
        }
        let n = self.return_held_tasks(Some((&d.from, &d.to))).await?;
        store::jobs::timer_done(&self.db, "", &format!("{}{id}", store::org::DELEGATION_TIMER)).await?;
        Ok(n)
    }

    /// Gives back every open task a delegate holds on someone's behalf that no active delegation
    /// covers any more (only `(principal, delegate)`'s when given); one transaction per request.
    /// Returns how many requests changed.
    pub async fn return_held_tasks(&self, pair: Option<(&str, &str)>) -> Result<usize, AppError> {
        let held: BTreeSet<(String, String, String)> = store::requests::held_tasks(&self.db, pair)
            .await?
            .into_iter()
            .filter_map(|t| Some((t.request_id, t.on_behalf_of?, t.assignee)))
            .collect();
        let mut changed = 0;
        for (request, principal, delegate) in held {
            let now = Utc::now();
            let r = self
                .change(&request, None, &Meta::default(), |st, def, org| {
                    if org.delegate_of(&principal, &st.key, now).is_some_and(|d| d.to == delegate) {
                        return Ok(None);
                    }
                    let env = Env { def, dir: org, cal: &self.calendar, now };
                    let out = engine::return_delegated(&env, st, &delegate, &principal)?;
                    Ok((!out.events.is_empty()).then_some(out))
                })
                .await;
            match r {
                Ok(Some(_)) => changed += 1,
                Ok(None) => {}
                Err(e) => tracing::warn!(request = %request, error = %e, "giving a delegated task back"),
            }
        }
        Ok(changed)
    }
}
