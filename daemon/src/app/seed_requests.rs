//! The demo university's planted requests on first start (issue 11 item 5): the late branch B
//! of M1, a congress proposal in each status of M5 and the M9 reports the demo made on time, as
//! `workflows::compliance::demo_runs` tells them — real requests driven through the engine by
//! the org's people at past moments relative to the first start — saved as each command of them
//! would have been (events with their moments and hash chain, the task inbox, timers still to
//! come, the records their outcomes write), in one transaction.
//!
//! Their mail is not sent: it went out when they happened (the notifications of the past are
//! left out, so a first start mails nobody about them); their open tasks wait in the inboxes of
//! their current reviewers. Each request carries the idempotency key `demo-seed:<name>` of its
//! submitter, so a second call seeds none of them twice.

use super::{App, AppError};
use chrono::{DateTime, Utc};
use entities::sea_orm::TransactionTrait;
use entities::store::{self, requests::Meta};
use std::collections::BTreeMap;
use workflows::compliance::demo_runs::{self, DemoRuns};
use workflows::engine::{Channel, Effect};

/// The idempotency key of a planted request.
pub fn seed_key(name: &str) -> String {
    format!("demo-seed:{name}")
}

/// A UUID v7 of the moment a planted request was submitted, so ids sort as their moments do.
fn id_at(at: DateTime<Utc>) -> String {
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, at.timestamp().max(0) as u64, at.timestamp_subsec_nanos());
    uuid::Uuid::new_v7(ts).to_string()
}

impl App {
    /// Seeds the demo's planted requests as they stand at `now` (the first start), in one
    /// transaction; returns how many were written. A story the day cannot tell (its people hold
    /// no post yet) is left out with a warning; a request already seeded is not written again.
    pub async fn seed_demo_requests(&self, now: DateTime<Utc>) -> Result<usize, AppError> {
        let mut defs = BTreeMap::new();
        for key in demo_runs::KEYS {
            let Some(row) = store::definitions::latest(&self.db, key, true).await? else {
                tracing::warn!(workflow = key, "no published workflow: its demo requests are not seeded");
                continue;
            };
            defs.insert(key.to_string(), self.definition(key, row.version as u32).await?);
        }
        let DemoRuns { runs, skipped } = {
            let dir = self.org();
            demo_runs::demo_runs(dir.as_ref(), &self.calendar, &defs, now, &mut id_at)
        };
        for (name, why) in &skipped {
            tracing::warn!(request = %name, reason = %why, "a demo request is not seeded");
        }
        let _turn = self.writing().await;
        let txn = self.db.begin().await?;
        let mut org = None;
        let mut n = 0;
        for run in &runs {
            let key = seed_key(&run.name);
            let submitter = &run.state().submitter.id;
            if store::requests::by_idempotency_key(&txn, submitter, &key).await?.is_some() {
                continue;
            }
            let first = Meta { idempotency_key: Some(key), channel: Channel::Web, ..Meta::default() };
            let rest = Meta { channel: Channel::Web, ..Meta::default() };
            let mut version = None;
            for out in &run.outputs {
                let mut out = out.clone();
                out.effects.retain(|e| !matches!(e, Effect::Notify { .. }));
                let saved = match version {
                    None => store::requests::save(&txn, None, &out, &first).await,
                    Some(v) => store::requests::save(&txn, Some(v), &out, &rest).await,
                };
                version = Some(match saved {
                    Ok(v) => v,
                    Err(e) => {
                        txn.rollback().await.ok();
                        return Err(e.into());
                    }
                });
                let at = out.events.last().map_or(now, |e| e.at);
                match self.write_outcomes(&txn, &out, at).await {
                    Ok(Some(changed)) => org = Some(changed),
                    Ok(None) => {}
                    Err(e) => {
                        txn.rollback().await.ok();
                        return Err(e);
                    }
                }
            }
            n += 1;
        }
        txn.commit().await?;
        if let Some(org) = org {
            self.set_org(org);
        }
        Ok(n)
    }
}
