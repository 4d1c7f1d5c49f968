//! Moving open tasks without their reviewer, as the system: back from a delegate when the
//! delegation ends (or is ended early), and away from people who left the org.

use super::events::*;
use super::machine::Machine;
use super::state::Task;
use crate::model::StepKind;
use crate::org::PersonId;
use crate::org::resolve::{ResolveCtx, resolve_all};
use std::collections::BTreeSet;

/// Where the open tasks of people who left the org go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reassign {
    /// To the step's `who:` selector, resolved again on today's org (without the people who
    /// left and without the submitter; to the workflow admins when nobody is left).
    Selector,
    /// To this person.
    Person(PersonId),
}

impl Machine<'_, '_> {
    /// Every open task `delegate` holds on behalf of `principal` goes back to `principal` (or to
    /// the principal's delegate of today, if another delegation is active).
    pub(super) fn reclaim(&mut self, delegate: &str, principal: &str) {
        let held: Vec<Task> = self
            .st
            .open_tasks()
            .filter(|t| t.assignee == delegate && t.on_behalf_of.as_deref() == Some(principal))
            .cloned()
            .collect();
        for t in held {
            self.emit(EventKind::TaskCancelled { task: t.id, reason: CancelReason::DelegationEnded });
            self.notify(delegate, Template::TaskMoved, Some(t.id));
            if !self.st.tasks_of(t.run).any(|o| o.is_open() && o.assignee == principal) {
                self.create_task(t.run, principal, t.kind);
            }
        }
    }

    /// The open tasks held by (or on behalf of) someone in `gone` move as `to` says.
    pub(super) fn reassign(&mut self, gone: &BTreeSet<PersonId>, to: &Reassign) {
        let moving: Vec<Task> = self
            .st
            .open_tasks()
            .filter(|t| gone.contains(&t.assignee) || t.on_behalf_of.as_ref().is_some_and(|p| gone.contains(p)))
            .cloned()
            .collect();
        for t in moving {
            self.emit(EventKind::TaskCancelled { task: t.id, reason: CancelReason::Transferred });
            if !gone.contains(&t.assignee) {
                self.notify(&t.assignee, Template::TaskMoved, Some(t.id));
            }
            let original = t.on_behalf_of.clone().unwrap_or(t.assignee.clone());
            let people = match to {
                Reassign::Person(p) => vec![p.clone()],
                Reassign::Selector => self.reresolve(&t, gone),
            };
            for person in people {
                if self
                    .st
                    .tasks_of(t.run)
                    .any(|o| o.is_open() && (o.assignee == person || o.on_behalf_of.as_ref() == Some(&person)))
                {
                    continue;
                }
                if !self.st.runs.get(&t.run).is_some_and(|r| r.reviewers.contains(&person)) {
                    self.emit(EventKind::ReviewerAdded {
                        run: t.run,
                        person: person.clone(),
                        after: Some(original.clone()),
                    });
                }
                self.create_task(t.run, &person, t.kind);
            }
        }
    }

    /// The people the step of task `t` asks today, less those who left, the submitter and those
    /// already asked on the run; the workflow admins when nobody is left.
    fn reresolve(&self, t: &Task, gone: &BTreeSet<PersonId>) -> Vec<PersonId> {
        let asked: Vec<PersonId> = self.st.runs.get(&t.run).map(|r| r.reviewers.clone()).unwrap_or_default();
        let keep = |p: &PersonId| !gone.contains(p) && *p != self.st.submitter.id && !asked.contains(p);
        let who = match self.step_of(t.run).map(|s| &s.kind) {
            Some(StepKind::Approve(spec)) | Some(StepKind::Acknowledge(spec)) => spec.who.clone(),
            _ => Vec::new(),
        };
        let ctx = ResolveCtx {
            submitter: &self.st.submitter,
            form: &self.st.form,
            day: self.env.now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive(),
        };
        let people: Vec<PersonId> = resolve_all(&who, &ctx, self.env.dir).into_iter().filter(|p| keep(p)).collect();
        if !people.is_empty() {
            return people;
        }
        self.env
            .dir
            .admins()
            .into_iter()
            .map(|p| p.id.clone())
            .filter(|p| !gone.contains(p) && *p != self.st.submitter.id)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use crate::org::generate::{DEMO_ORG_FILE, demo_people as dp};
    use crate::org::{Delegation, OrgDirectory};

    fn m1() -> crate::model::Definition {
        let (_, text) =
            crate::builtin::BUILTIN.iter().find(|(f, _)| f.starts_with("major_matter_report")).expect("M1 is built in");
        crate::validate::check_source(text).definition.expect("M1 validates")
    }

    #[test]
    fn a_returned_stand_in_task_takes_the_delegates_sight_with_it() {
        let mut org = crate::org::file::load_org(DEMO_ORG_FILE).expect("demo org");
        let now = chrono::Utc::now();
        org.delegations.push(Delegation {
            from: dp::CS_LEAGUE_SECRETARY.into(),
            to: dp::CS_COUNSELOR_2023.into(),
            starts: now - chrono::Duration::hours(1),
            ends: now + chrono::Duration::days(1),
            definitions: vec![],
        });
        let during = OrgDirectory::new(org.clone());
        org.delegations.clear();
        let after = OrgDirectory::new(org);
        let (def, cal) = (m1(), crate::calendar::WorkCalendar::builtin());
        let env = Env { def: &def, dir: &during, cal: &cal, now };
        let form = serde_json::json!({ "kind": "request", "matter_type": "major_violation_handling", "title": "请示", "body": "正文" });
        let out = submit(&env, "r1", dp::CS_SU_PRESIDENT, Channel::Api, &form).expect("submits");
        let held = out.state.open_tasks().find(|t| t.step == "league_review").expect("league task").clone();
        assert_eq!(held.assignee, dp::CS_COUNSELOR_2023);
        assert!(out.state.on_path(dp::CS_COUNSELOR_2023));
        let env = Env { dir: &after, ..env };
        let back =
            return_delegated(&env, &out.state, dp::CS_COUNSELOR_2023, dp::CS_LEAGUE_SECRETARY).expect("gives back");
        let t = back.state.open_tasks().find(|t| t.step == "league_review").expect("league task");
        assert_eq!((t.assignee.as_str(), t.on_behalf_of.as_deref()), (dp::CS_LEAGUE_SECRETARY, None));
        assert!(!back.state.on_path(dp::CS_COUNSELOR_2023), "the stand-in no longer sees it");
        assert!(back.events.iter().all(|e| e.actor == Actor::System));
        // the events rebuild the same state, and there is nothing more to give back
        let all: Vec<Event> = out.events.iter().chain(back.events.iter()).cloned().collect();
        assert_eq!(Instance::replay(&all).viewers, back.state.viewers);
        let again = return_delegated(&env, &back.state, dp::CS_COUNSELOR_2023, dp::CS_LEAGUE_SECRETARY).unwrap();
        assert!(again.events.is_empty());
    }
}
