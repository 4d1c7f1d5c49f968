//! The moving parts of the engine: entering steps, creating tasks, completing steps and joins.

use super::events::*;
use super::state::{Instance, RunStatus, Status};
use super::{Env, Output};
use crate::catalog::Lang;
use crate::model::{
    EmptyAssignee, Join, Mode, Next, Outcome, Policies, Quorum, Reminder, SelfApproval, Step, StepKind, StepName,
    TaskSpec, ValueSource,
};
use crate::org::resolve::{ResolveCtx, resolve_all, resolve_all_seats};
use crate::org::{PersonId, PostRef};
use std::collections::BTreeMap;

/// One command's worth of work on a copy of the state.
pub(super) struct Machine<'e, 'a> {
    pub(super) env: &'e Env<'a>,
    pub(super) st: Instance,
    pub(super) actor: Actor,
    pub(super) channel: Channel,
    events: Vec<Event>,
    effects: Vec<Effect>,
    entered: u32,
    /// The step being entered was chosen by a switch (a gate): nothing passes it automatically.
    via_gate: bool,
}

/// Steps one command may enter before the engine decides the definition is looping.
const MAX_STEPS_PER_COMMAND: u32 = 400;

impl<'e, 'a> Machine<'e, 'a> {
    pub(super) fn new(env: &'e Env<'a>, st: Instance, actor: Actor, channel: Channel) -> Self {
        Self { env, st, actor, channel, events: Vec::new(), effects: Vec::new(), entered: 0, via_gate: false }
    }

    pub(super) fn finish(self) -> Output {
        Output { state: self.st, events: self.events, effects: self.effects }
    }

    /// Records an event as the current actor and applies it.
    pub(super) fn emit(&mut self, kind: EventKind) {
        let actor = self.actor.clone();
        self.emit_as(actor, kind);
    }

    /// Records an event as `actor` and applies it.
    pub(super) fn emit_as(&mut self, actor: Actor, kind: EventKind) {
        let ev = Event { seq: self.st.seq + 1, at: self.env.now, actor, channel: self.channel, kind };
        self.st.apply(&ev);
        self.events.push(ev);
    }

    fn next_id(&self) -> u32 {
        self.st.last_id + 1
    }

    pub(super) fn notify(&mut self, to: &str, template: Template, task: Option<TaskId>) {
        let lang = self.env.dir.person(to).map_or(Lang::Zh, |p| p.lang);
        self.effects.push(Effect::Notify { to: to.to_string(), lang, template, task });
    }

    pub(super) fn step(&self, name: &str) -> Option<&'a Step> {
        self.env.def.step(name)
    }

    fn policies(&self, step: &Step) -> Policies {
        step.policies.apply(self.env.def.policies)
    }

    pub(super) fn resolve(&self, who: &[crate::model::Selector]) -> Vec<PersonId> {
        let ctx = ResolveCtx {
            submitter: &self.st.submitter,
            form: &self.st.form,
            day: self.env.now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive(),
        };
        resolve_all(who, &ctx, self.env.dir)
    }

    /// `resolve`, with the post that made each person found (see `resolve_all_seats`), as the
    /// people in order and the posts by person.
    pub(super) fn resolve_seats(&self, who: &[crate::model::Selector]) -> (Vec<PersonId>, BTreeMap<PersonId, PostRef>) {
        let ctx = ResolveCtx {
            submitter: &self.st.submitter,
            form: &self.st.form,
            day: self.env.now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive(),
        };
        let seats = resolve_all_seats(who, &ctx, self.env.dir);
        let posts = seats.iter().filter_map(|(p, post)| post.clone().map(|x| (p.clone(), x))).collect();
        (seats.into_iter().map(|(p, _)| p).collect(), posts)
    }

    /// Enters step `name` inside `parent`, coming from run `from` (for dedupe).
    pub(super) fn enter(&mut self, name: &str, parent: Option<(RunId, String)>, from: Option<RunId>) {
        if self.st.is_finished() {
            return;
        }
        self.entered += 1;
        let gate = std::mem::take(&mut self.via_gate);
        if self.entered > MAX_STEPS_PER_COMMAND {
            // Policies (skips, auto-approvals) made a loop go round without anyone deciding.
            self.emit_as(Actor::System, EventKind::LoopStopped { step: name.to_string() });
            self.finish_request(Outcome::Rejected);
            return;
        }
        let Some(step) = self.step(name) else {
            // The validator refuses unknown targets; a definition that slipped through ends rejected.
            self.end_path(parent, Outcome::Rejected);
            return;
        };
        if let Some(instead) = self.visits_exhausted(step) {
            self.enter(&instead, parent, None);
            return;
        }
        match &step.kind {
            StepKind::Approve(spec) => self.enter_task_step(step, spec, TaskKind::Approve, parent, from, gate),
            StepKind::Acknowledge(spec) => self.enter_task_step(step, spec, TaskKind::Acknowledge, parent, from, gate),
            StepKind::Score(spec) => self.enter_task_step(step, &spec.task, TaskKind::Score, parent, from, gate),
            StepKind::Notify { who } => {
                let run = self.open_run(step, parent, Vec::new(), None, BTreeMap::new());
                let to = self.resolve(who);
                for p in &to {
                    self.notify(p, Template::Copied, None);
                }
                self.emit(EventKind::Copied { run, to });
                self.complete(run, StepResult::Approved);
            }
            StepKind::Parallel { branches, .. } => {
                let run = self.open_run(step, parent, Vec::new(), None, BTreeMap::new());
                let names: Vec<String> = branches.iter().map(|(b, _)| b.clone()).collect();
                self.emit(EventKind::ParallelOpened { run, branches: names });
                for (b, start) in branches {
                    if self.st.runs.get(&run).is_some_and(|r| r.status == RunStatus::Active) {
                        self.enter(&start.value, Some((run, b.clone())), Some(run));
                    }
                }
            }
            StepKind::Switch { cases, default } => {
                let run = self.open_run(step, parent.clone(), Vec::new(), None, BTreeMap::new());
                let hit = cases
                    .iter()
                    .find(|(e, _)| e.eval_bool(&self.st.form, &self.st.submitter))
                    .map(|(e, t)| (e.source.clone(), t.value.clone()))
                    .or_else(|| default.as_ref().map(|t| ("else".to_string(), t.value.clone())));
                match hit {
                    Some((case, to)) => {
                        self.emit(EventKind::Routed { run, case, to: to.clone() });
                        self.emit(EventKind::StepCompleted { run, result: StepResult::Approved });
                        // A switch is a gate: the step behind it checks what the gate let through,
                        // so approvals before the gate never carry over (no dedupe across a switch)
                        // and the submitter cannot pass it by themselves (see enter_task_step).
                        self.via_gate = true;
                        self.enter(&to, parent, None);
                    }
                    None => {
                        self.emit(EventKind::StepCompleted { run, result: StepResult::Rejected });
                        self.end_path(parent, Outcome::Rejected);
                    }
                }
            }
            StepKind::End(outcome) => {
                let run = self.open_run(step, parent.clone(), Vec::new(), None, BTreeMap::new());
                let result = if *outcome == Outcome::Approved { StepResult::Approved } else { StepResult::Rejected };
                self.emit(EventKind::StepCompleted { run, result });
                self.end_path(parent, *outcome);
            }
        }
    }

    fn open_run(
        &mut self,
        step: &Step,
        parent: Option<(RunId, String)>,
        reviewers: Vec<PersonId>,
        needed: Option<u32>,
        posts: BTreeMap<PersonId, PostRef>,
    ) -> RunId {
        let run = self.next_id();
        let clock = self.clock_start(step);
        let due_at = step.due.as_ref().map(|d| self.env.cal.add(clock, d.value));
        self.emit(EventKind::StepEntered { run, step: step.name.clone(), parent, due_at, reviewers, needed, posts });
        run
    }

    /// When the step's clock starts: entry, or the date in its `clock_from:` field (a date at the
    /// local time of day of entry, a datetime at its instant).
    fn clock_start(&self, step: &Step) -> chrono::DateTime<chrono::Utc> {
        self.clock_start_at(step, self.env.now)
    }

    /// [`Self::clock_start`] for a step entered at `now`.
    pub(super) fn clock_start_at(
        &self,
        step: &Step,
        now: chrono::DateTime<chrono::Utc>,
    ) -> chrono::DateTime<chrono::Utc> {
        let Some(field) = &step.clock_from else { return now };
        let Some(v) = self.st.form.get(&field.value).and_then(|v| v.as_str()) else { return now };
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
            return t.with_timezone(&chrono::Utc);
        }
        let Ok(day) = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") else { return now };
        let time = now.with_timezone(&chrono_tz::Asia::Shanghai).time();
        use chrono::TimeZone as _;
        chrono_tz::Asia::Shanghai
            .from_local_datetime(&day.and_time(time))
            .earliest()
            .map_or(now, |t| t.with_timezone(&chrono::Utc))
    }

    fn enter_task_step(
        &mut self,
        step: &'a Step,
        spec: &TaskSpec,
        kind: TaskKind,
        parent: Option<(RunId, String)>,
        from: Option<RunId>,
        gate: bool,
    ) {
        let pol = self.policies(step);
        // Behind a gate, skipping or auto-approving one's own task would walk around it: forbid.
        let self_approval = match pol.self_approval {
            SelfApproval::Skip | SelfApproval::AutoApprove if gate => SelfApproval::Forbid,
            other => other,
        };
        let (mut reviewers, mut posts) = self.resolve_seats(&spec.who);
        let recused = self.recusals(step, &reviewers);
        reviewers.retain(|p| !recused.iter().any(|r| r.person == *p));
        let mut notes = Vec::new();
        let submitter = self.st.submitter.id.clone();
        let mut self_auto = false;
        if reviewers.contains(&submitter) {
            match self_approval {
                SelfApproval::Allow => {}
                SelfApproval::Skip => notes.push(PolicyNote::SelfSkipped),
                SelfApproval::AutoApprove => {
                    self_auto = true;
                    notes.push(PolicyNote::SelfAutoApproved);
                }
                SelfApproval::Forbid => {
                    reviewers.retain(|p| *p != submitter);
                    notes.push(PolicyNote::SelfRemoved);
                }
            }
        }
        let mut rungs_done = 0;
        if reviewers.is_empty() && !notes.contains(&PolicyNote::SelfSkipped) {
            match pol.empty_assignee {
                EmptyAssignee::Skip => notes.push(PolicyNote::EmptySkipped),
                EmptyAssignee::Admin => {
                    reviewers = self.admins();
                    posts.clear();
                    notes.push(if reviewers.is_empty() { PolicyNote::EmptySkipped } else { PolicyNote::EmptyToAdmins });
                }
                EmptyAssignee::Escalate => {
                    let rung = step.escalate.iter().position(|r| r.action.is_none());
                    (reviewers, posts) = rung.map(|i| self.resolve_seats(&step.escalate[i].to)).unwrap_or_default();
                    if reviewers.is_empty() {
                        reviewers = self.admins();
                    } else {
                        rungs_done = rung.map_or(0, |i| i + 1);
                    }
                    notes.push(if reviewers.is_empty() {
                        PolicyNote::EmptySkipped
                    } else {
                        PolicyNote::EmptyEscalated
                    });
                }
            }
        }
        let needed = match &spec.mode {
            Mode::Quorum(Quorum::Count(k)) => Some((*k).min(reviewers.len() as u32).max(1)),
            Mode::Quorum(Quorum::Percent(p)) => Some(((reviewers.len() as u32 * p).div_ceil(100)).max(1)),
            _ => None,
        };
        posts.retain(|p, _| reviewers.contains(p));
        let run = self.open_run(step, parent, reviewers.clone(), needed, posts.clone());
        if !recused.is_empty() {
            self.emit_as(Actor::System, EventKind::Recused { run, members: recused });
        }
        if rungs_done > 0 {
            self.emit(EventKind::Escalated { run, rung: rungs_done - 1, to: reviewers.clone(), posts: posts.clone() });
        }
        let skip = notes.iter().any(|n| matches!(n, PolicyNote::SelfSkipped | PolicyNote::EmptySkipped));
        for note in notes {
            self.emit_as(Actor::System, EventKind::PolicyApplied { run, note });
        }
        if skip {
            self.complete(run, StepResult::Skipped);
            return;
        }
        let first: Vec<PersonId> = match spec.mode {
            Mode::Sequence => reviewers.iter().take(1).cloned().collect(),
            _ => reviewers.clone(),
        };
        // Dedupe only on the first visit of a step: a loop back to it is a new decision.
        let first_visit = !self.st.runs.values().any(|r| r.step == step.name && r.id != run);
        let dedupe_from: Vec<PersonId> = if pol.dedupe && kind == TaskKind::Approve && first_visit {
            from.map(|f| self.approvers_of(f)).unwrap_or_default()
        } else {
            Vec::new()
        };
        // 或签: someone approved automatically decides the step; the others are never asked.
        let auto = |p: &PersonId| (self_auto && *p == submitter) || dedupe_from.contains(p);
        let first: Vec<PersonId> = match (&spec.mode, first.iter().find(|p| auto(p))) {
            (Mode::Any, Some(p)) => vec![p.clone()],
            _ => first,
        };
        for p in &first {
            let task = self.create_task(run, p, kind, posts.get(p).cloned());
            if self_auto && *p == submitter {
                self.auto_decide(task, Decision::Approve);
            } else if dedupe_from.contains(p) {
                self.emit_as(
                    Actor::System,
                    EventKind::PolicyApplied { run, note: PolicyNote::Deduped { person: p.clone() } },
                );
                self.auto_decide(task, Decision::Approve);
            }
        }
        self.schedule_timers(step, run, rungs_done);
        self.evaluate(run);
    }

    /// The members of a score step's panel who sit out (`recuse:`): the reported person (the
    /// submitter), and members holding a post in the same work division of the same student union
    /// as the submitter on the day.
    fn recusals(&self, step: &Step, reviewers: &[PersonId]) -> Vec<crate::score::Recused> {
        use crate::model::Recusal;
        let StepKind::Score(spec) = &step.kind else { return Vec::new() };
        let day = self.env.now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        let submitter = &self.st.submitter.id;
        let divisions: Vec<(String, String)> = self
            .env
            .dir
            .posts_of(submitter, day)
            .into_iter()
            .filter_map(|p| Some((p.body.clone(), p.division.clone()?)))
            .collect();
        let same_division =
            |p: &str| {
                self.env.dir.posts_of(p, day).into_iter().any(|x| {
                    x.division.as_ref().is_some_and(|d| divisions.iter().any(|(b, dd)| *b == x.body && dd == d))
                })
            };
        let mut out = Vec::new();
        for p in reviewers {
            let reason = spec.recuse.iter().map(|r| r.value).find(|r| match r {
                Recusal::Subject => p == submitter,
                Recusal::SameDivision => p != submitter && same_division(p),
            });
            if let Some(reason) = reason {
                out.push(crate::score::Recused { person: p.clone(), reason });
            }
        }
        out
    }

    fn admins(&self) -> Vec<PersonId> {
        self.env.dir.admins().into_iter().map(|p| p.id.clone()).collect()
    }

    /// People who approved the tasks of run `run`, if it was an approve step.
    fn approvers_of(&self, run: RunId) -> Vec<PersonId> {
        self.st
            .tasks_of(run)
            .filter(|t| t.kind == TaskKind::Approve && t.decision() == Some(Decision::Approve))
            .map(|t| t.on_behalf_of.clone().unwrap_or_else(|| t.assignee.clone()))
            .collect()
    }

    /// The policies in force on run `run`'s step.
    pub(super) fn policies_of(&self, run: RunId) -> Policies {
        match self.step_of(run) {
            Some(step) => self.policies(step),
            None => self.env.def.policies,
        }
    }

    /// Whether the submitter may hold and decide a task of run `run` (`self_approval: allow`).
    /// Every way a task reaches someone (entering the step, the next in a sequence, a transfer, an
    /// added reviewer, a delegation, an escalation rung) goes through this check.
    pub(super) fn self_allowed(&self, run: RunId) -> bool {
        self.policies_of(run).self_approval == SelfApproval::Allow
    }

    /// The step's `self_approval` as written in YAML, for messages.
    pub(super) fn self_policy_name(&self, run: RunId) -> &'static str {
        match self.policies_of(run).self_approval {
            SelfApproval::Allow => "allow",
            SelfApproval::Skip => "skip",
            SelfApproval::AutoApprove => "auto_approve",
            SelfApproval::Forbid => "forbid",
        }
    }

    /// Whether `person` holds or has decided a task of run `run` in this round, in their own name
    /// or standing in for someone (a task moved away by transfer or escalation does not count).
    pub(super) fn has_seat(&self, run: RunId, person: &str) -> bool {
        self.st.tasks_of(run).any(|t| {
            t.round == self.st.round
                && !matches!(t.state, super::state::TaskState::Cancelled { .. })
                && (t.assignee == person || t.on_behalf_of.as_deref() == Some(person))
        })
    }

    /// Checks that a task of run `run` may be given to `person` by a transfer or an added
    /// reviewer: not the submitter where the step's `self_approval` is not `allow`, and not someone
    /// who already holds or has decided a task of the step in this round (one vote per person).
    pub(super) fn may_seat(&self, run: RunId, person: &str) -> Result<(), super::EngineError> {
        if person == self.st.submitter.id && !self.self_allowed(run) {
            return Err(super::EngineError::SelfApproval(format!(
                "`{person}` submitted this request and may not review it at step `{}` (self_approval: {})",
                self.step_name(run),
                self.self_policy_name(run)
            )));
        }
        let delegate = self.env.dir.delegate_of(person, &self.env.def.key, self.env.now).map(|d| d.to.clone());
        if self.has_seat(run, person) || delegate.as_deref().is_some_and(|d| self.has_seat(run, d)) {
            return Err(super::EngineError::AlreadyOnStep(format!(
                "`{person}` already holds or has decided a task of step `{}` in this round: one vote per person",
                self.step_name(run)
            )));
        }
        Ok(())
    }

    /// Creates a task for `person` (or their active delegate) and tells them. A delegate who is the
    /// submitter, where the step does not allow self-approval, is passed over: the task stays with
    /// `person` (recorded as a policy note). `post` is the post that made `person` a reviewer
    /// (selector or escalation rung), `None` for a task given by name; a delegate holds the task
    /// on `person`'s post.
    pub(super) fn create_task(&mut self, run: RunId, person: &str, kind: TaskKind, post: Option<PostRef>) -> TaskId {
        let delegate = self.env.dir.delegate_of(person, &self.env.def.key, self.env.now).map(|d| d.to.clone());
        let delegate = match delegate {
            Some(d) if d == self.st.submitter.id && !self.self_allowed(run) => {
                self.emit_as(
                    Actor::System,
                    EventKind::PolicyApplied {
                        run,
                        note: PolicyNote::SelfDelegationIgnored { person: person.to_string() },
                    },
                );
                None
            }
            // A delegate who already has a seat on this step would vote twice.
            Some(d) if self.has_seat(run, &d) => None,
            d => d,
        };
        let task = self.next_id();
        let (assignee, on_behalf_of) = match delegate {
            Some(d) => (d, Some(person.to_string())),
            None => (person.to_string(), None),
        };
        let due_at = self.st.runs.get(&run).and_then(|r| r.due_at);
        self.emit(EventKind::TaskCreated { task, run, assignee: assignee.clone(), on_behalf_of, kind, due_at, post });
        let template = match kind {
            TaskKind::Approve => Template::TaskAssigned,
            TaskKind::Acknowledge => Template::AckRequested,
            TaskKind::Score => Template::TaskAssigned,
        };
        self.notify(&assignee, template, Some(task));
        task
    }

    fn auto_decide(&mut self, task: TaskId, decision: Decision) {
        self.emit_as(
            Actor::System,
            EventKind::TaskDecided { task, decision, comment: None, option: None, fields: None, scores: None },
        );
    }

    pub(super) fn schedule_timers(&mut self, step: &Step, run: RunId, rungs_done: usize) {
        let now = self.clock_start(step);
        let due_at = self.st.runs.get(&run).and_then(|r| r.due_at);
        let working = step.due.as_ref().is_some_and(|d| d.value.unit == crate::duration::DurationUnit::WorkingDays);
        let mut reminders: Vec<Reminder> = step.remind.iter().map(|r| r.value).collect();
        if reminders.is_empty() && due_at.is_some() {
            reminders = vec![Reminder::Percent(50), Reminder::Percent(100)];
        }
        for (i, r) in reminders.iter().enumerate() {
            let (at, percent) = match (r, due_at) {
                // A share of a working-day deadline is a share of its working time, on a working day.
                (Reminder::Percent(p), Some(due)) if working => (self.env.cal.working_share(now, due, *p), Some(*p)),
                (Reminder::Percent(p), Some(due)) => {
                    let span = (due - now).num_seconds() * i64::from(*p) / 100;
                    (now + chrono::Duration::seconds(span), Some(*p))
                }
                (Reminder::Percent(_), None) => continue,
                (Reminder::After(d), _) => (self.env.cal.add(now, *d), None),
            };
            self.arm(Timer { id: format!("{run}:remind:{i}"), at, kind: TimerKind::Remind { run, percent } });
        }
        for (i, rung) in step.escalate.iter().enumerate().skip(rungs_done) {
            let at = self.env.cal.add(now, rung.after.value);
            self.arm(Timer { id: format!("{run}:rung:{i}"), at, kind: TimerKind::Escalate { run, rung: i } });
        }
    }

    pub(super) fn arm(&mut self, timer: Timer) {
        self.effects.push(Effect::ScheduleTimer(timer.clone()));
        self.emit(EventKind::TimerScheduled { timer });
    }

    /// Clears the pending timers of a run.
    pub(super) fn disarm(&mut self, run: RunId) {
        let ids: Vec<String> = self
            .st
            .timers
            .values()
            .filter(|t| match t.kind {
                TimerKind::Remind { run: r, .. } | TimerKind::Escalate { run: r, .. } => r == run,
            })
            .map(|t| t.id.clone())
            .collect();
        for id in ids {
            self.effects.push(Effect::CancelTimer { id: id.clone() });
            self.emit(EventKind::TimerCleared { timer: id });
        }
    }

    /// Cancels the open tasks of a run, telling their reviewers when the reason matters to them.
    pub(super) fn cancel_tasks(&mut self, run: RunId, reason: CancelReason) {
        let open: Vec<(TaskId, PersonId)> =
            self.st.tasks_of(run).filter(|t| t.is_open()).map(|t| (t.id, t.assignee.clone())).collect();
        for (task, person) in open {
            self.emit(EventKind::TaskCancelled { task, reason });
            match reason {
                CancelReason::Withdrawn => self.notify(&person, Template::Withdrawn, Some(task)),
                CancelReason::Escalated | CancelReason::Transferred => {
                    self.notify(&person, Template::TaskMoved, Some(task))
                }
                _ => {}
            }
        }
    }

    /// Looks at a task step's decisions and completes it, asks the next reviewer, or waits.
    pub(super) fn evaluate(&mut self, run: RunId) {
        let Some(r) = self.st.runs.get(&run) else {
            return;
        };
        if r.status != RunStatus::Active {
            return;
        }
        let Some(step) = self.step(&r.step) else {
            return;
        };
        let (spec, kind) = match &step.kind {
            StepKind::Approve(s) => (s, TaskKind::Approve),
            StepKind::Acknowledge(s) => (s, TaskKind::Acknowledge),
            StepKind::Score(s) => {
                if !self.st.tasks_of(run).any(|t| t.round == self.st.round && t.is_open()) {
                    self.close_scoring(run, s, false);
                }
                return;
            }
            _ => return,
        };
        let escalated = r.escalated_rungs > 0;
        let tasks: Vec<_> = self.st.tasks_of(run).filter(|t| t.round == self.st.round).collect();
        let decided: Vec<Decision> = tasks.iter().filter_map(|t| t.decision()).collect();
        let open = tasks.iter().filter(|t| t.is_open()).count();
        // One vote per person: approvals count the distinct people who gave them (the person who
        // acted, or the seat's holder for a decision the engine made), never tasks.
        let voter = |t: &super::state::Task| -> PersonId {
            match &t.state {
                super::state::TaskState::Decided { by: Actor::Person { id, .. }, .. } => id.clone(),
                _ => t.on_behalf_of.clone().unwrap_or_else(|| t.assignee.clone()),
            }
        };
        let approvers: std::collections::BTreeSet<PersonId> = tasks
            .iter()
            .filter(|t| matches!(t.decision(), Some(Decision::Approve | Decision::Acknowledge)))
            .map(|t| voter(t))
            .collect();
        let approvals = approvers.len() as u32;
        if decided.contains(&Decision::Return) {
            return; // handled by the return command itself
        }
        if decided.contains(&Decision::Option) {
            // A named option decides the step at once, whatever the mode.
            self.complete(run, StepResult::Option);
            return;
        }
        let rejected = decided.contains(&Decision::Reject);
        let mode = if escalated { &Mode::Any } else { &spec.mode };
        let ok = if kind == TaskKind::Acknowledge { StepResult::Acknowledged } else { StepResult::Approved };
        let result = match mode {
            Mode::Any => {
                if rejected {
                    Some(StepResult::Rejected)
                } else if approvals > 0 {
                    Some(ok)
                } else {
                    None
                }
            }
            Mode::All => {
                if rejected {
                    Some(StepResult::Rejected)
                } else if open == 0 && approvals > 0 {
                    Some(ok)
                } else {
                    None
                }
            }
            Mode::Sequence => {
                if rejected {
                    Some(StepResult::Rejected)
                } else if open == 0 {
                    // Everyone who had a task on this run was asked (a transfer inserts the new
                    // reviewer right after the one who handed the task on).
                    let asked: Vec<PersonId> = tasks
                        .iter()
                        .flat_map(|t| [Some(t.assignee.clone()), t.on_behalf_of.clone()])
                        .flatten()
                        .collect();
                    let next = r.reviewers.iter().find(|p| !asked.contains(p)).cloned();
                    match next {
                        Some(p) => {
                            let post = self.st.runs.get(&run).and_then(|r| r.posts.get(&p).cloned());
                            self.create_task(run, &p, kind, post);
                            None
                        }
                        None if approvals > 0 => Some(ok),
                        None => None,
                    }
                } else {
                    None
                }
            }
            Mode::Quorum(_) => {
                let needed = r.needed.unwrap_or(1);
                // Who could still approve: those who did, and the holders of open tasks.
                let mut possible = approvers.clone();
                possible.extend(tasks.iter().filter(|t| t.is_open()).map(|t| t.assignee.clone()));
                if approvals >= needed {
                    Some(ok)
                } else if (possible.len() as u32) < needed {
                    Some(StepResult::Rejected)
                } else {
                    None
                }
            }
        };
        if let Some(result) = result {
            self.complete(run, result);
        }
    }

    /// Aggregates the score sheets of run `run` and completes it: passed when the weighted total
    /// reaches `pass`. Closed by its escalation rung (`early`), the sheets present count only when
    /// at least half the panel scored; else the step rejects with no result.
    pub(super) fn close_scoring(&mut self, run: RunId, spec: &crate::model::ScoreSpec, early: bool) {
        let Some(r) = self.st.runs.get(&run) else { return };
        let round = self.st.round;
        let sheets: Vec<&crate::score::Sheet> = self
            .st
            .tasks_of(run)
            .filter(|t| t.round == round && t.decision() == Some(Decision::Score))
            .filter_map(|t| r.sheets.get(&t.id))
            .collect();
        let panel = r.reviewers.len() as u32;
        if early && !crate::score::enough_to_close(sheets.len() as u32, panel) {
            self.complete(run, StepResult::Rejected);
            return;
        }
        let result = crate::score::aggregate(spec, &r.step, panel, &sheets, early);
        let passed = result.satisfactory;
        self.emit(EventKind::Scored { run, result });
        self.complete(run, if passed { StepResult::Approved } else { StepResult::Rejected });
    }

    /// Ends a run with `result` and moves on along `next`.
    pub(super) fn complete(&mut self, run: RunId, result: StepResult) {
        self.disarm(run);
        self.cancel_tasks(run, CancelReason::StepDecided);
        self.emit(EventKind::StepCompleted { run, result });
        let Some(r) = self.st.runs.get(&run) else {
            return;
        };
        let parent = r.parent.clone();
        let Some(step) = self.step(&r.step) else {
            return;
        };
        let chosen = (result == StepResult::Option).then(|| self.option_target(run)).flatten();
        let target = match (&step.next, result.passes()) {
            _ if chosen.is_some() => chosen,
            (Next::Always(t), _) => Some(t.value.clone()),
            (Next::On { approve, .. }, true) => approve.as_ref().map(|t| t.value.clone()),
            (Next::On { reject, .. }, false) => reject.as_ref().map(|t| t.value.clone()),
            (Next::None, _) => None,
        };
        match target {
            Some(t) => self.enter(&t, parent, Some(run)),
            None => {
                let outcome = if result.passes() { Outcome::Approved } else { Outcome::Rejected };
                self.end_path(parent, outcome);
            }
        }
    }

    /// A path reached its end: the request finishes, or the branch completes.
    pub(super) fn end_path(&mut self, parent: Option<(RunId, String)>, outcome: Outcome) {
        match parent {
            None => self.finish_request(outcome),
            Some((prun, branch)) => self.branch_done(prun, branch, outcome),
        }
    }

    pub(super) fn finish_request(&mut self, outcome: Outcome) {
        if self.st.is_finished() {
            return;
        }
        let runs: Vec<RunId> = self
            .st
            .runs
            .values()
            .filter(|r| matches!(r.status, RunStatus::Active | RunStatus::Suspended))
            .map(|r| r.id)
            .collect();
        for run in runs {
            self.disarm(run);
            let reason =
                if outcome == Outcome::Withdrawn { CancelReason::Withdrawn } else { CancelReason::BranchEnded };
            self.cancel_tasks(run, reason);
        }
        self.emit(EventKind::Finished { outcome });
        self.records(outcome);
        let submitter = self.st.submitter.id.clone();
        if outcome != Outcome::Withdrawn {
            self.notify(&submitter, Template::Finished, None);
        }
    }

    /// The definition's `records:` that this outcome writes, as effects, with values read from the
    /// final form. An item whose `if:` does not hold, or whose values do not make a record (a
    /// required value missing), writes nothing.
    fn records(&mut self, outcome: Outcome) {
        let def = self.env.def;
        let day = self.env.now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        for (index, spec) in def.records.iter().enumerate() {
            if !spec.when.iter().any(|w| w.value == outcome) {
                continue;
            }
            if spec.condition.as_ref().is_some_and(|c| !c.eval_bool(&self.st.form, &self.st.submitter)) {
                continue;
            }
            let mut values = serde_json::Map::new();
            for f in &spec.fields {
                if let Some(v) = self.source_value(&f.source.value, day) {
                    values.insert(f.name.value.clone(), v);
                }
            }
            if let Ok(record) = crate::records::outcome::build(&spec.kind.value, &values, &self.st.id, index) {
                self.effects.push(Effect::Record { index, record });
            }
        }
    }

    fn source_value(&self, source: &ValueSource, day: chrono::NaiveDate) -> Option<serde_json::Value> {
        use serde_json::Value;
        let form = &self.st.form;
        let sub = &self.st.submitter;
        match source {
            ValueSource::Form(f) => form.get(f).filter(|v| !v.is_null()).cloned(),
            ValueSource::Submitter => Some(Value::String(sub.id.clone())),
            ValueSource::SubmitterDepartment => sub.department.clone().map(Value::String),
            ValueSource::SubmitterSu => {
                let ctx = crate::org::resolve::ResolveCtx { submitter: sub, form, day };
                Some(Value::String(if crate::org::resolve::serves_school_su(&ctx, self.env.dir) {
                    crate::catalog::BodyKind::SchoolSu.as_str().to_string()
                } else {
                    format!("{}@{}", crate::catalog::BodyKind::DepartmentSu.as_str(), sub.department.clone()?)
                }))
            }
            ValueSource::Score => self.st.score.as_ref().and_then(|s| serde_json::to_value(s).ok()),
            ValueSource::Today => Some(Value::String(day.to_string())),
            ValueSource::Map { field, map } => {
                form.get(field).and_then(Value::as_str).and_then(|k| map.get(k)).map(|v| Value::String(v.clone()))
            }
            ValueSource::Literal(t) => {
                // `{form.x}` and `{submitter.department}` placeholders
                let mut out = String::new();
                let mut rest = t.as_str();
                while let Some(open) = rest.find('{') {
                    let close = rest[open..].find('}').map(|c| open + c)?;
                    out.push_str(&rest[..open]);
                    let key = rest[open + 1..close].trim();
                    let v = match key {
                        "submitter" => Some(sub.id.clone()),
                        "submitter.department" => sub.department.clone(),
                        "submitter.class" => sub.class.clone(),
                        k => k.strip_prefix("form.").and_then(|f| form.get(f)).and_then(|v| match v {
                            Value::String(s) => Some(s.clone()),
                            Value::Number(n) => Some(n.to_string()),
                            _ => None,
                        }),
                    };
                    out.push_str(&v?);
                    rest = &rest[close + 1..];
                }
                out.push_str(rest);
                Some(Value::String(out))
            }
        }
    }

    fn branch_done(&mut self, prun: RunId, branch: String, outcome: Outcome) {
        let Some(p) = self.st.runs.get(&prun) else {
            return;
        };
        if p.status != RunStatus::Active {
            return;
        }
        self.emit(EventKind::BranchCompleted { run: prun, branch, outcome });
        let p = &self.st.runs[&prun];
        let Some(step) = self.step(&p.step) else {
            return;
        };
        let StepKind::Parallel { join, .. } = &step.kind else {
            return;
        };
        let done = |b: &str| p.branches.get(b).copied().flatten();
        let approved = p.branches.values().filter(|o| **o == Some(Outcome::Approved)).count() as u32;
        let rejected = p.branches.values().filter(|o| matches!(o, Some(x) if *x != Outcome::Approved)).count() as u32;
        let running = p.branches.values().filter(|o| o.is_none()).count() as u32;
        let total = p.branches.len() as u32;
        let result = match &join.value {
            Join::All => {
                if rejected > 0 {
                    Some(StepResult::Rejected)
                } else if running == 0 {
                    Some(StepResult::Approved)
                } else {
                    None
                }
            }
            Join::Any => {
                if approved > 0 {
                    Some(StepResult::Approved)
                } else if running == 0 {
                    Some(StepResult::Rejected)
                } else {
                    None
                }
            }
            Join::Count(k) => {
                let k = (*k).min(total);
                if approved >= k {
                    Some(StepResult::Approved)
                } else if approved + running < k {
                    Some(StepResult::Rejected)
                } else {
                    None
                }
            }
            Join::Decides { decides, waits_for } => match done(&decides.value) {
                Some(o) if o != Outcome::Approved => Some(StepResult::Rejected),
                Some(_) if waits_for.iter().all(|w| done(&w.value).is_some()) => Some(StepResult::Approved),
                _ => None,
            },
        };
        if let Some(result) = result {
            self.cancel_inside(prun);
            self.complete(prun, result);
        }
    }

    /// Cancels every active run (and its tasks and timers) inside parallel run `prun`.
    fn cancel_inside(&mut self, prun: RunId) {
        let inside: Vec<RunId> = self
            .st
            .runs
            .values()
            .filter(|r| matches!(r.status, RunStatus::Active | RunStatus::Suspended))
            .filter(|r| self.is_inside(r.id, prun))
            .map(|r| r.id)
            .collect();
        for run in inside {
            self.disarm(run);
            self.cancel_tasks(run, CancelReason::BranchEnded);
            self.emit(EventKind::RunCancelled { run });
        }
    }

    fn is_inside(&self, run: RunId, prun: RunId) -> bool {
        let mut cur = self.st.runs.get(&run).and_then(|r| r.parent.as_ref().map(|p| p.0));
        while let Some(p) = cur {
            if p == prun {
                return true;
            }
            cur = self.st.runs.get(&p).and_then(|r| r.parent.as_ref().map(|p| p.0));
        }
        false
    }

    /// Whether run `run` is inside context `ctx` (a branch of a parallel run, at any depth; `None`
    /// is the request's top level, which holds everything).
    pub(super) fn in_ctx(&self, run: RunId, ctx: &Option<(RunId, String)>) -> bool {
        let Some(ctx) = ctx else {
            return true;
        };
        let mut cur = self.st.runs.get(&run).and_then(|r| r.parent.clone());
        while let Some(p) = cur {
            if p == *ctx {
                return true;
            }
            cur = self.st.runs.get(&p.0).and_then(|r| r.parent.clone());
        }
        false
    }

    /// Whether steps may still be entered in context `ctx`: the top level, or a branch of a
    /// parallel run that is still active.
    pub(super) fn ctx_live(&self, ctx: &Option<(RunId, String)>) -> bool {
        match ctx {
            None => true,
            Some((p, _)) => self.st.runs.get(p).is_some_and(|r| r.status == RunStatus::Active),
        }
    }

    /// Goes back to just before run `anchor` in its context `ctx`: every run entered after it there
    /// that is still active (forks and what runs inside them, too) is cancelled with its tasks and
    /// timers, and a completed branch `ctx` is reopened. The caller enters the step again.
    pub(super) fn rewind(&mut self, anchor: RunId, ctx: &Option<(RunId, String)>, reason: CancelReason) {
        if let Some((p, b)) = ctx
            && self.st.runs.get(p).is_some_and(|r| r.branches.get(b).is_some_and(|o| o.is_some()))
        {
            self.emit(EventKind::BranchReopened { run: *p, branch: b.clone() });
        }
        let later: Vec<RunId> = self
            .st
            .runs
            .values()
            .filter(|r| r.id > anchor && matches!(r.status, RunStatus::Active | RunStatus::Suspended))
            .map(|r| r.id)
            .filter(|id| self.in_ctx(*id, ctx))
            .collect();
        for run in later {
            self.disarm(run);
            self.cancel_tasks(run, reason);
            self.emit(EventKind::RunCancelled { run });
        }
    }

    /// Where switch step `step` routes on `form` (`None` when no case holds and there is no `else`).
    fn route(&self, step: &Step, form: &serde_json::Map<String, serde_json::Value>) -> Option<StepName> {
        let StepKind::Switch { cases, default } = &step.kind else {
            return None;
        };
        cases
            .iter()
            .find(|(e, _)| e.eval_bool(form, &self.st.submitter))
            .map(|(_, t)| t.value.clone())
            .or_else(|| default.as_ref().map(|t| t.value.clone()))
    }

    /// Whether run `run` still carries the request: its step was not visited again after it in
    /// its context, and no return went back to a step before it there since.
    fn current(&self, run: RunId) -> bool {
        let Some(r) = self.st.runs.get(&run) else {
            return false;
        };
        let same_ctx = |o: &&super::state::StepRun| o.parent == r.parent;
        let later: Vec<&super::state::StepRun> =
            self.st.runs.values().filter(same_ctx).filter(|o| o.id > run).collect();
        !later
            .iter()
            .any(|o| o.step == r.step || self.st.runs.values().filter(same_ctx).any(|e| e.id < run && e.step == o.step))
    }

    /// The runs to enter again on a resubmission from `old` to `new` form: for each switch that
    /// still carries the request and routes elsewhere on the new form, the switch itself — or, when
    /// it sits inside a fork that has already completed, that fork (outermost). In id order.
    pub(super) fn invalidated_routes(
        &self,
        old: &serde_json::Map<String, serde_json::Value>,
        new: &serde_json::Map<String, serde_json::Value>,
    ) -> Vec<RunId> {
        let mut out = Vec::new();
        for r in self.st.runs.values() {
            let Some(step) = self.step(&r.step) else {
                continue;
            };
            if !matches!(step.kind, StepKind::Switch { .. }) || !matches!(r.status, RunStatus::Done(_)) {
                continue;
            }
            if self.route(step, old) == self.route(step, new) || !self.current(r.id) {
                continue;
            }
            // Climb out of forks that have completed: their outcome was carried by this route.
            let mut anchor = r.id;
            let live = loop {
                match self.st.runs.get(&anchor).and_then(|a| a.parent.clone()) {
                    None => break true,
                    Some((p, _)) => match self.st.runs.get(&p).map(|x| x.status) {
                        Some(RunStatus::Active) => break true,
                        Some(RunStatus::Done(_)) => anchor = p,
                        _ => break false,
                    },
                }
            };
            if live && self.current(anchor) && !out.contains(&anchor) {
                out.push(anchor);
            }
        }
        out.sort_unstable();
        out
    }

    /// Whether the request is waiting for reviewers.
    pub(super) fn running(&self) -> Result<(), super::EngineError> {
        match self.st.status {
            Status::Running => Ok(()),
            Status::Returned => Err(super::EngineError::WaitingForSubmitter),
            Status::Finished(_) => Err(super::EngineError::Finished),
            Status::Draft => Err(super::EngineError::NotAllowed("the request was never submitted".into())),
        }
    }

    /// The name of the step a run is on.
    pub(super) fn step_of(&self, run: RunId) -> Option<&'a Step> {
        self.st.runs.get(&run).and_then(|r| self.step(&r.step))
    }

    /// The step name, for error messages.
    pub(super) fn step_name(&self, run: RunId) -> StepName {
        self.st.runs.get(&run).map(|r| r.step.clone()).unwrap_or_default()
    }
}
