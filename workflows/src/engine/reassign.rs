//! Moving open tasks without their reviewer, as the system: back from a delegate when the
//! delegation ends (or is ended early), away from people who left the org, and away from people
//! whose post — the one that made them a reviewer — ended (issue 10).

use super::events::*;
use super::machine::Machine;
use super::state::{Instance, Task};
use crate::model::{EmptyAssignee, StepKind};
use crate::org::{Directory, PersonId, PostRef};
use chrono::NaiveDate;
use std::collections::BTreeSet;

/// Where the open tasks of people who left the org, or whose post ended, go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reassign {
    /// To the step's `who:` selector (the climbed rung's `to:` on an escalated step), resolved
    /// again on today's org, without the people the tasks move away from, the submitter (unless
    /// the step's `self_approval` is `allow`) and those already asked on the step; when nobody is
    /// left, as the step's `empty_assignee` says (`escalate`: the first rung's people; else, and
    /// when the rung finds nobody either, the workflow admins).
    Selector,
    /// To this person; `Selector` when the person may not take it (the submitter where the step
    /// does not allow self-approval, someone who already holds or has decided a task of the step
    /// in this round, or the person the task moves away from).
    Person(PersonId),
}

/// The reviewer a task asks: the person a delegate stands in for, else the assignee.
pub fn reviewer_of(t: &Task) -> &str {
    t.on_behalf_of.as_deref().unwrap_or(&t.assignee)
}

/// Whether `post` (a task's qualifying post) has ended for its `reviewer` on `day` in `dir`: they
/// no longer hold a post of that body, role and division then (its `to:` date passed, it went
/// to someone else, or they left the org). A task without a post (given by name) never has.
pub fn post_ended(post: Option<&PostRef>, reviewer: &str, dir: &dyn Directory, day: NaiveDate) -> bool {
    post.is_some_and(|p| !p.held_by(reviewer, dir, day))
}

/// The open tasks of `state` whose qualifying post has ended on `day` (see `post_ended`), in id
/// order.
pub fn ended_post_tasks<'s>(state: &'s Instance, dir: &dyn Directory, day: NaiveDate) -> Vec<&'s Task> {
    state.open_tasks().filter(|t| post_ended(t.post.as_ref(), reviewer_of(t), dir, day)).collect()
}

impl Machine<'_, '_> {
    fn today(&self) -> NaiveDate {
        self.env.now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
    }

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
                // The same seat: the principal's post still makes them the reviewer.
                self.create_task(t.run, principal, t.kind, t.post.clone());
            }
        }
    }

    /// The open tasks held by (or on behalf of) someone in `gone`, and those whose qualifying
    /// post has ended today on the directory, move as `to` says. Each move cancels the task (its
    /// mail links die with it), tells its holder when they are still in the org, and creates the
    /// task of each new reviewer (who gets the task mail), under the step's rules: its
    /// self-approval policy, one vote per person. Nobody may take it: the step is looked at again.
    pub(super) fn reassign(&mut self, gone: &BTreeSet<PersonId>, to: &Reassign) {
        let day = self.today();
        let moving: Vec<(Task, bool)> = self
            .st
            .open_tasks()
            .filter_map(|t| {
                let departed = gone.contains(&t.assignee) || t.on_behalf_of.as_ref().is_some_and(|p| gone.contains(p));
                let ended = post_ended(t.post.as_ref(), reviewer_of(t), self.env.dir, day);
                (departed || ended).then(|| (t.clone(), ended && !departed))
            })
            .collect();
        for (t, ended) in moving {
            // An earlier move (a step decided once nobody could take a task) may have closed it.
            if !self.st.tasks.get(&t.id).is_some_and(|x| x.is_open()) {
                continue;
            }
            let original = reviewer_of(&t).to_string();
            let mut away = gone.clone();
            away.insert(original.clone());
            let reason = if ended { CancelReason::PostEnded } else { CancelReason::Transferred };
            self.emit(EventKind::TaskCancelled { task: t.id, reason });
            if !gone.contains(&t.assignee) {
                self.notify(&t.assignee, Template::TaskMoved, Some(t.id));
            }
            let people: Vec<(PersonId, Option<PostRef>)> = match to {
                Reassign::Person(p) if self.may_take(t.run, p, &away) => vec![(p.clone(), None)],
                _ => self.reresolve(&t, &away),
            };
            let mut given = false;
            for (person, post) in people {
                if !self.may_take(t.run, &person, &away) {
                    continue;
                }
                if !self.st.runs.get(&t.run).is_some_and(|r| r.reviewers.contains(&person)) {
                    self.emit(EventKind::ReviewerAdded {
                        run: t.run,
                        person: person.clone(),
                        after: Some(original.clone()),
                    });
                }
                self.create_task(t.run, &person, t.kind, post);
                given = true;
            }
            if !given {
                self.evaluate(t.run);
            }
        }
    }

    /// Whether a moved task of run `run` may go to `person`: someone in the org the task does not
    /// move away from, not the submitter unless the step allows self-approval, and without a seat
    /// on the step in this round (one vote per person).
    fn may_take(&self, run: RunId, person: &str, away: &BTreeSet<PersonId>) -> bool {
        self.env.dir.person(person).is_some()
            && !away.contains(person)
            && (person != self.st.submitter.id || self.self_allowed(run))
            && !self.has_seat(run, person)
    }

    /// The people the step of task `t` asks today (the climbed rung's, on an escalated step),
    /// with the posts that make them reviewers, less those in `away`, the submitter (unless
    /// allowed) and those already asked on the run; when nobody is left, as the step's
    /// `empty_assignee` says (see `Reassign::Selector`).
    fn reresolve(&self, t: &Task, away: &BTreeSet<PersonId>) -> Vec<(PersonId, Option<PostRef>)> {
        let run = self.st.runs.get(&t.run);
        let asked: Vec<PersonId> = run.map(|r| r.reviewers.clone()).unwrap_or_default();
        let keep = |p: &PersonId| self.may_take(t.run, p, away) && !asked.contains(p);
        let step = self.step_of(t.run);
        let rungs = run.map_or(0, |r| r.escalated_rungs);
        let rung =
            step.and_then(|s| rungs.checked_sub(1).and_then(|i| s.escalate.get(i))).filter(|r| r.action.is_none());
        let who = match (rung, step.map(|s| &s.kind)) {
            (Some(r), _) => r.to.clone(),
            (None, Some(StepKind::Approve(spec)) | Some(StepKind::Acknowledge(spec))) => spec.who.clone(),
            _ => Vec::new(),
        };
        let seats = |who: &[crate::model::Selector]| -> Vec<(PersonId, Option<PostRef>)> {
            let (people, posts) = self.resolve_seats(who);
            people.into_iter().filter(|p| keep(p)).map(|p| (p.clone(), posts.get(&p).cloned())).collect()
        };
        let people = seats(&who);
        if !people.is_empty() {
            return people;
        }
        if let Some(step) = step
            && self.policies_of(t.run).empty_assignee == EmptyAssignee::Escalate
            && let Some(first) = step.escalate.iter().find(|r| r.action.is_none())
        {
            let people = seats(&first.to);
            if !people.is_empty() {
                return people;
            }
        }
        self.env
            .dir
            .admins()
            .into_iter()
            .map(|p| p.id.clone())
            .filter(|p| self.may_take(t.run, p, away))
            .map(|p| (p, None))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use crate::org::generate::{DEMO_ORG_FILE, demo_people as dp};
    use crate::org::{Delegation, OrgDirectory};

    fn builtin(key: &str) -> crate::model::Definition {
        let (_, text) = crate::builtin::BUILTIN.iter().find(|(f, _)| f.starts_with(key)).expect("built in");
        crate::validate::check_source(text).definition.expect("validates")
    }

    /// The demo org where the CS SU presidency ends on `last` and, when `successor`, the
    /// vice-president holds it from the day after.
    fn handed_over(last: chrono::NaiveDate, successor: bool) -> OrgDirectory {
        let mut org = crate::org::file::load_org(DEMO_ORG_FILE).expect("demo org");
        let i = org
            .posts
            .iter()
            .position(|p| p.body == "department_su@cs" && p.role == crate::catalog::Role::President)
            .expect("a CS SU president");
        org.posts[i].to = Some(last);
        if successor {
            let mut next = org.posts[i].clone();
            next.person = dp::CS_SU_VICE_PRESIDENT.into();
            next.from = last + chrono::Duration::days(1);
            next.to = None;
            org.posts.push(next);
        }
        OrgDirectory::new(org)
    }

    fn undertaking_form(now: chrono::DateTime<chrono::Utc>) -> serde_json::Value {
        let day = now.date_naive() + chrono::Duration::days(90);
        serde_json::json!({ "title": "校园歌手大赛", "department": "cs", "event_date": day.to_string(), "plan": "方案" })
    }

    fn president_post() -> crate::org::PostRef {
        crate::org::PostRef { body: "department_su@cs".into(), role: crate::catalog::Role::President, division: None }
    }

    #[test]
    fn a_post_that_ends_gives_its_task_to_the_successor_once() {
        let now = chrono::Utc::now();
        let today = now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        let dir = handed_over(today, true);
        let (def, cal) = (builtin("activity_undertaking"), crate::calendar::WorkCalendar::builtin());
        let env = Env { def: &def, dir: &dir, cal: &cal, now };
        let out = submit(&env, "r1", dp::SCHOOL_SU_PRESIDENT, Channel::Api, &undertaking_form(now)).expect("submits");
        let t = out.state.open_tasks().next().expect("a task").clone();
        assert_eq!((t.step.as_str(), t.assignee.as_str()), ("department_accepts", dp::CS_SU_PRESIDENT));
        assert_eq!(t.post, Some(president_post()), "the post that made the president its reviewer");
        assert!(ended_post_tasks(&out.state, &dir, today).is_empty(), "the post holds today");
        let none = reassign_ended_posts(&env, &out.state, &Reassign::Selector).unwrap();
        assert!(none.events.is_empty(), "nothing moves while the post holds");
        // tomorrow
        let env = Env { now: now + chrono::Duration::days(1), ..env };
        assert_eq!(ended_post_tasks(&out.state, &dir, today + chrono::Duration::days(1)).len(), 1);
        let moved = reassign_ended_posts(&env, &out.state, &Reassign::Selector).expect("moves");
        assert!(moved.events.iter().all(|e| e.actor == Actor::System && e.channel == Channel::System));
        assert!(moved.events.iter().any(|e| matches!(
            e.kind,
            EventKind::TaskCancelled { task, reason: CancelReason::PostEnded } if task == t.id
        )));
        let now_open: Vec<&Task> = moved.state.open_tasks().collect();
        assert_eq!(now_open.len(), 1);
        assert_eq!(now_open[0].assignee, dp::CS_SU_VICE_PRESIDENT, "the successor");
        assert_eq!(now_open[0].post, Some(president_post()), "through the same post");
        // the old holder is told it moved, the new one gets the task mail
        let told = |who: &str, tpl: Template| {
            moved
                .effects
                .iter()
                .any(|e| matches!(e, Effect::Notify { to, template, .. } if to == who && *template == tpl))
        };
        assert!(
            told(dp::CS_SU_PRESIDENT, Template::TaskMoved) && told(dp::CS_SU_VICE_PRESIDENT, Template::TaskAssigned)
        );
        // the events rebuild the state, and nothing moves twice
        let all: Vec<Event> = out.events.iter().chain(moved.events.iter()).cloned().collect();
        assert_eq!(Instance::replay(&all), moved.state);
        let again = reassign_ended_posts(&env, &moved.state, &Reassign::Selector).unwrap();
        assert!(again.events.is_empty());
        // the old president, still in the org, has no seat left on the step
        assert!(
            handle(
                &env,
                &moved.state,
                dp::CS_SU_PRESIDENT,
                Channel::Api,
                Command::Approve { task: t.id, comment: None }
            )
            .is_err()
        );
    }

    #[test]
    fn an_ended_post_with_nobody_after_it_goes_to_the_admins_or_a_named_person() {
        let now = chrono::Utc::now();
        let today = now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        let dir = handed_over(today, false);
        let (def, cal) = (builtin("activity_undertaking"), crate::calendar::WorkCalendar::builtin());
        let env = Env { def: &def, dir: &dir, cal: &cal, now };
        let out = submit(&env, "r1", dp::SCHOOL_SU_PRESIDENT, Channel::Api, &undertaking_form(now)).expect("submits");
        let env = Env { now: now + chrono::Duration::days(1), ..env };
        let moved = reassign_ended_posts(&env, &out.state, &Reassign::Selector).expect("moves");
        let t = moved.state.open_tasks().next().expect("a task");
        assert_eq!((t.assignee.as_str(), t.post.as_ref()), (dp::ADMIN, None), "empty_assignee: admin");
        // to a named person: given by name, so no post
        let named = reassign_ended_posts(&env, &out.state, &Reassign::Person(dp::CS_COUNSELOR_2023.into())).unwrap();
        let t = named.state.open_tasks().next().expect("a task");
        assert_eq!((t.assignee.as_str(), t.post.as_ref()), (dp::CS_COUNSELOR_2023, None));
        // not to the submitter, where the step forbids self-approval: the selector's fallback instead
        let own = reassign_ended_posts(&env, &out.state, &Reassign::Person(dp::SCHOOL_SU_PRESIDENT.into())).unwrap();
        let t = own.state.open_tasks().next().expect("a task");
        assert_eq!(t.assignee, dp::ADMIN);
    }

    #[test]
    fn a_transferred_task_has_no_post_and_stays_when_the_receivers_post_ends() {
        let now = chrono::Utc::now();
        let today = now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        let mut org = crate::org::file::load_org(DEMO_ORG_FILE).expect("demo org");
        for p in org.posts.iter_mut().filter(|p| p.person == dp::RIGHTS_DIVISION_HEAD) {
            p.to = Some(today);
        }
        let dir = OrgDirectory::new(org);
        let (def, cal) = (builtin("activity_undertaking"), crate::calendar::WorkCalendar::builtin());
        let env = Env { def: &def, dir: &dir, cal: &cal, now };
        let out = submit(&env, "r1", dp::SCHOOL_SU_PRESIDENT, Channel::Api, &undertaking_form(now)).expect("submits");
        let t = out.state.open_tasks().next().expect("a task").id;
        let cmd = Command::Transfer { task: t, to: dp::RIGHTS_DIVISION_HEAD.into(), comment: None };
        let moved = handle(&env, &out.state, dp::CS_SU_PRESIDENT, Channel::Api, cmd).expect("transfers");
        let given = moved.state.open_tasks().next().expect("a task");
        assert_eq!((given.assignee.as_str(), given.post.as_ref()), (dp::RIGHTS_DIVISION_HEAD, None));
        let env = Env { now: now + chrono::Duration::days(1), ..env };
        assert!(ended_post_tasks(&moved.state, &dir, today + chrono::Duration::days(1)).is_empty());
        assert!(reassign_ended_posts(&env, &moved.state, &Reassign::Selector).unwrap().events.is_empty());
    }

    #[test]
    fn old_events_without_posts_still_load() {
        let old = r#"{"seq":1,"at":"2026-01-05T01:00:00Z","actor":{"type":"system"},"channel":"system",
            "kind":{"type":"task_created","task":2,"run":1,"assignee":"a","on_behalf_of":null,"kind":"approve","due_at":null}}"#;
        let e: Event = serde_json::from_str(old).expect("an event from before the field loads");
        assert!(matches!(e.kind, EventKind::TaskCreated { post: None, .. }));
        // and a task given by name writes no `post` at all
        assert!(!serde_json::to_string(&e).unwrap().contains("post"));
    }

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
