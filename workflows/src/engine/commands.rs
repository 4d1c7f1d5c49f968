//! Submit, the people's commands, and timers: checks who may do what, then drives the machine.

use super::events::*;
use super::machine::Machine;
use super::state::{RunStatus, Status};
use super::{Command, EngineError};
use crate::model::{AutoAction, LeadTimeAction, Next, ReturnTarget, SelfApproval, StepKind, Visibility};
use crate::org::resolve::{ResolveCtx, resolve_all};

/// Where a run sits: the top level (`None`) or a branch of a parallel run.
type Context = Option<(RunId, String)>;

impl Machine<'_, '_> {
    pub(super) fn submit(
        &mut self,
        request_id: &str,
        submitter: &str,
        form: &serde_json::Value,
        guard: &crate::guard::GuardFacts,
    ) -> Result<(), EngineError> {
        let env = self.env;
        let def = env.def;
        let day = env.now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        let info =
            env.dir.submitter_info(submitter, day).ok_or_else(|| EngineError::UnknownPerson(submitter.to_string()))?;
        let form = crate::form::check_form(def, form, Some(env.dir)).map_err(EngineError::InvalidForm)?;
        // The system files follow-ups (the onboarding an appointment starts) on someone's behalf.
        if !def.submitters.is_empty() && self.actor != Actor::System {
            let ctx = ResolveCtx { submitter: &info, form: &form, day };
            if !resolve_all(&def.submitters, &ctx, env.dir).iter().any(|p| p == submitter) {
                return Err(EngineError::NotASubmitter(submitter.to_string()));
            }
        }
        let overridden = self.guards(submitter, &info, &form, guard)?;
        let mut late = None;
        if let Some(lt) = def.lead_time.iter().find(|lt| lt.when.as_ref().is_none_or(|w| w.eval_bool(&form, &info))) {
            let applies = lt.when.as_ref().is_none_or(|w| w.eval_bool(&form, &info));
            // A date-time counts by its day in Asia/Shanghai, not by the first ten characters of
            // its text (`2026-10-01T16:30:00Z` is 2 October there).
            let date = form.get(&lt.before.value).and_then(|v| v.as_str()).and_then(|s| {
                match chrono::DateTime::parse_from_rfc3339(s) {
                    Ok(t) => Some(t.with_timezone(&chrono_tz::Asia::Shanghai).date_naive()),
                    Err(_) => s.get(..10).and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()),
                }
            });
            if let (true, Some(date)) = (applies, date) {
                let event_start = date
                    .and_hms_opt(0, 0, 0)
                    .and_then(|d| d.and_local_timezone(chrono_tz::Asia::Shanghai).single())
                    .map(|d| d.with_timezone(&chrono::Utc));
                if let Some(start) = event_start {
                    let deadline = env.cal.latest_start(start, lt.at_least.value);
                    if env.now > deadline {
                        if lt.otherwise == LeadTimeAction::Block {
                            return Err(EngineError::TooLate { at_least: lt.at_least.value, deadline });
                        }
                        late = Some((lt.at_least.value, deadline));
                    }
                }
            }
        }
        let late_report = super::reporting::late_report(def, &form, &info, env.cal, env.now);
        if let Some(l) = late_report.filter(|l| l.action == LeadTimeAction::Block) {
            return Err(EngineError::ReportTooLate { within: l.within, deadline: l.deadline });
        }
        let need_to_know = match &def.visibility {
            Visibility::Normal => false,
            Visibility::NeedToKnow => true,
            Visibility::NeedToKnowWhen(e) => e.eval_bool(&form, &info),
        };
        let title = people_title(def, &form, env.dir);
        self.emit(EventKind::Submitted {
            request: request_id.to_string(),
            key: def.key.clone(),
            version: def.version,
            submitter: info,
            form,
            title,
            need_to_know,
        });
        for (guard, reason, findings) in overridden {
            self.emit(EventKind::GuardOverridden { guard, reason, findings });
        }
        if let Some((at_least, deadline)) = late {
            self.emit(EventKind::LeadTimeWarning { at_least, deadline });
            self.notify(submitter, Template::LeadTimeWarning, None);
        }
        if let Some(l) = late_report {
            self.record_late_report(l);
        }
        self.enter(&def.start.value, None, None);
        Ok(())
    }

    pub(super) fn command(&mut self, actor: &str, cmd: Command) -> Result<(), EngineError> {
        let is_admin = self.env.dir.person(actor).is_some_and(|p| p.admin);
        if self.env.dir.person(actor).is_none() {
            return Err(EngineError::UnknownPerson(actor.to_string()));
        }
        match cmd {
            Command::Approve { task, comment } => self.decide(actor, task, Decision::Approve, comment, None, None),
            Command::Reject { task, comment } => self.decide(actor, task, Decision::Reject, comment, None, None),
            Command::Acknowledge { task, comment } => {
                self.decide(actor, task, Decision::Acknowledge, comment, None, None)
            }
            Command::Return { task, comment, to } => self.decide(actor, task, Decision::Return, comment, to, None),
            Command::Decide { task, decision, comment, fields } => {
                let (decision, option) = match decision.as_str() {
                    "approve" => (Decision::Approve, None),
                    "reject" => (Decision::Reject, None),
                    "return" => (Decision::Return, None),
                    "acknowledge" => (Decision::Acknowledge, None),
                    "score" => (Decision::Score, None),
                    _ => (Decision::Option, Some(decision)),
                };
                let details = super::decision::Details { option, fields };
                self.decide(actor, task, decision, comment, None, Some(details))
            }
            Command::Extend { task, comment } => self.extend(actor, task, comment),
            Command::Comment { text } => {
                if self.st.status == Status::Draft {
                    return Err(EngineError::NotAllowed("the request was never submitted".into()));
                }
                if !is_admin && !self.st.on_path(actor) {
                    return Err(EngineError::NotAllowed("only people on the request's path may comment".into()));
                }
                let text = text.trim().to_string();
                if text.is_empty() {
                    return Err(EngineError::NotAllowed("a comment cannot be empty".into()));
                }
                self.emit(EventKind::Commented { text });
                Ok(())
            }
            Command::FollowUp { text } => self.follow_up(actor, text),
            Command::Withdraw => {
                self.only_submitter(actor)?;
                if self.st.is_finished() {
                    return Err(EngineError::Finished);
                }
                self.finish_request(crate::model::Outcome::Withdrawn);
                Ok(())
            }
            Command::Abandon => {
                self.only_submitter(actor)?;
                if self.st.status != Status::Returned {
                    return Err(EngineError::NotReturned);
                }
                self.finish_request(crate::model::Outcome::Abandoned);
                Ok(())
            }
            Command::Resubmit { form, guard } => self.resubmit(actor, form, &guard),
            Command::Transfer { task, to, comment } => self.transfer(actor, is_admin, task, &to, comment),
            Command::AddReviewer { task, person, comment } => {
                self.add_reviewer(actor, is_admin, task, &person, comment)
            }
        }
    }

    fn only_submitter(&self, actor: &str) -> Result<(), EngineError> {
        if self.st.submitter.id != actor {
            return Err(EngineError::OnlySubmitter);
        }
        Ok(())
    }

    /// Checks that `actor` may act on open task `task` and returns the actor to record.
    pub(super) fn task_actor(&self, actor: &str, task: TaskId, admin_ok: bool) -> Result<Actor, EngineError> {
        let t = self.st.tasks.get(&task).ok_or(EngineError::UnknownTask(task))?;
        if !t.is_open() {
            return Err(EngineError::TaskNotOpen(task));
        }
        self.running()?;
        if t.assignee == actor {
            return Ok(Actor::Person { id: actor.to_string(), on_behalf_of: t.on_behalf_of.clone() });
        }
        if t.on_behalf_of.as_deref() == Some(actor) {
            return Ok(Actor::person(actor));
        }
        if let Some(d) = self.env.dir.delegate_of(&t.assignee, &self.env.def.key, self.env.now)
            && d.to == actor
        {
            return Ok(Actor::Person { id: actor.to_string(), on_behalf_of: Some(t.assignee.clone()) });
        }
        if admin_ok {
            return Ok(Actor::person(actor));
        }
        Err(EngineError::NotYourTask(task))
    }

    fn decide(
        &mut self,
        actor: &str,
        task: TaskId,
        decision: Decision,
        comment: Option<String>,
        to: Option<String>,
        details: Option<super::decision::Details>,
    ) -> Result<(), EngineError> {
        let who = self.task_actor(actor, task, false)?;
        let t = &self.st.tasks[&task];
        let run = t.run;
        // A submitter who stands in for a reviewer (a delegation that began after the task was
        // made) still may not decide their own request where the step forbids it.
        if who.person_id() == Some(self.st.submitter.id.as_str()) && !self.self_allowed(run) {
            return Err(EngineError::SelfApproval(format!(
                "the submitter may not decide their own request at step `{}` (self_approval: {})",
                self.step_name(run),
                self.self_policy_name(run)
            )));
        }
        match (t.kind, decision) {
            (TaskKind::Score, Decision::Score) => {}
            (TaskKind::Score, _) => {
                return Err(EngineError::NotAllowed(
                    "this task asks for a score sheet (评分): decide `score` with a score per criterion".into(),
                ));
            }
            (_, Decision::Score) => {
                return Err(EngineError::NotAllowed("this task asks for a decision, not a score sheet".into()));
            }
            (TaskKind::Acknowledge, Decision::Acknowledge) | (TaskKind::Approve, Decision::Approve) => {}
            (TaskKind::Approve, Decision::Reject) => {}
            (TaskKind::Approve, Decision::Return) => {}
            (TaskKind::Approve, Decision::Option) => {}
            (TaskKind::Acknowledge, _) => {
                return Err(EngineError::NotAllowed(
                    "this task asks for an acknowledgement (备案); it cannot be approved, rejected or returned".into(),
                ));
            }
            (TaskKind::Approve, Decision::Acknowledge) => {
                return Err(EngineError::NotAllowed("this task asks for a decision: approve, reject or return".into()));
            }
        }
        // One vote per person: someone who decided another task of this step in this round (their
        // own, or one they stand in for) does not decide a second one.
        if let Some(p) = who.person_id()
            && self.st.tasks_of(run).any(|o| {
                o.id != task
                    && o.round == self.st.round
                    && matches!(&o.state, super::state::TaskState::Decided { by, .. } if by.person_id() == Some(p))
            })
        {
            return Err(EngineError::AlreadyOnStep(format!(
                "`{p}` has already decided a task of step `{}` in this round: one vote per person",
                self.step_name(run)
            )));
        }
        let comment = comment.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
        if decision == Decision::Score {
            let Some(StepKind::Score(spec)) = self.step_of(run).map(|s| &s.kind) else {
                return Err(EngineError::NotAllowed("this step takes no score sheet".into()));
            };
            let fields = details.map(|d| d.fields).unwrap_or_default();
            let sheet = crate::score::check_sheet(spec, &fields).map_err(EngineError::InvalidForm)?;
            self.actor = who;
            self.emit(EventKind::TaskDecided {
                task,
                decision,
                comment,
                option: None,
                fields: None,
                scores: Some(sheet),
            });
            self.evaluate(run);
            return Ok(());
        }
        let (option, fields) = self.decision_details(run, decision, comment.as_deref(), details.unwrap_or_default())?;
        if decision == Decision::Return {
            let target = self.return_target(run, to)?;
            self.actor = who;
            self.emit(EventKind::TaskDecided { task, decision, comment, option, fields, scores: None });
            self.do_return(run, target);
            return Ok(());
        }
        self.actor = who;
        self.emit(EventKind::TaskDecided { task, decision, comment, option, fields, scores: None });
        self.evaluate(run);
        Ok(())
    }

    fn return_target(&self, run: RunId, to: Option<String>) -> Result<ReturnTarget, EngineError> {
        let step = self.step_of(run).ok_or_else(|| EngineError::NotAllowed("unknown step".into()))?;
        let allowed = match &step.next {
            Next::On { ret: Some(r), .. } => Some(r.value.clone()),
            _ => None,
        };
        let Some(allowed) = allowed else {
            return Err(EngineError::NotAllowed(format!(
                "step `{}` does not allow returning the request",
                self.step_name(run)
            )));
        };
        match to {
            None => Ok(allowed),
            Some(s) if s == "submitter" => Ok(ReturnTarget::Submitter),
            Some(s) => {
                let visited = self.st.runs.values().any(|r| r.step == s && r.id < run && self.in_ctx(run, &r.parent));
                if visited && self.env.def.step(&s).is_some() {
                    Ok(ReturnTarget::Step(s))
                } else {
                    Err(EngineError::NotAllowed(format!("`{s}` is not an earlier step of this request")))
                }
            }
        }
    }

    fn do_return(&mut self, run: RunId, target: ReturnTarget) {
        match target {
            ReturnTarget::Submitter => {
                let live: Vec<RunId> = self.st.active_runs().map(|r| r.id).collect();
                for r in live {
                    self.disarm(r);
                    self.cancel_tasks(r, CancelReason::Returned);
                }
                self.emit(EventKind::ReturnedToSubmitter { run });
                let submitter = self.st.submitter.id.clone();
                self.notify(&submitter, Template::Returned, None);
            }
            ReturnTarget::Step(step) => {
                // The latest visit of the target on this run's path: everything after it in its
                // context (the other branches of a fork entered since, too) is cancelled, and the
                // target runs again where it ran (not inside the branch the return came from).
                let earlier = self
                    .st
                    .runs
                    .values()
                    .filter(|r| r.step == step && r.id < run && self.in_ctx(run, &r.parent))
                    .map(|r| (r.id, r.parent.clone()))
                    .next_back();
                match earlier {
                    Some((id, ctx)) => {
                        self.rewind(id, &ctx, CancelReason::Returned);
                        self.enter(&step, ctx, None);
                    }
                    None => {
                        self.disarm(run);
                        self.cancel_tasks(run, CancelReason::Returned);
                        self.emit(EventKind::RunCancelled { run });
                        let parent = self.st.runs.get(&run).and_then(|r| r.parent.clone());
                        self.enter(&step, parent, None);
                    }
                }
            }
        }
    }

    fn resubmit(
        &mut self,
        actor: &str,
        form: Option<serde_json::Value>,
        guard: &crate::guard::GuardFacts,
    ) -> Result<(), EngineError> {
        self.only_submitter(actor)?;
        match self.st.status {
            Status::Returned => {}
            Status::Finished(_) => return Err(EngineError::Finished),
            _ => return Err(EngineError::NotReturned),
        }
        let form = match form {
            Some(f) => {
                crate::form::check_form(self.env.def, &f, Some(self.env.dir)).map_err(EngineError::InvalidForm)?
            }
            None => self.st.form.clone(),
        };
        // What reviewers filled at steps stays: the submitter corrects the submit fields only.
        let mut form = form;
        for f in self.env.def.step_fields() {
            if let Some(v) = self.st.form.get(&f.name) {
                form.entry(f.name.clone()).or_insert_with(|| v.clone());
            }
        }
        // Visibility and title follow the form sent now; once need-to-know, always.
        let def = self.env.def;
        let need_to_know = self.st.need_to_know
            || match &def.visibility {
                Visibility::Normal => false,
                Visibility::NeedToKnow => true,
                Visibility::NeedToKnowWhen(e) => e.eval_bool(&form, &self.st.submitter),
            };
        let title = people_title(def, &form, self.env.dir);
        // The guards that block a submission block its resubmission too (and are overridden
        // the same way), with the submitter as they are on the day.
        let day = self.env.now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        let info = self.env.dir.submitter_info(actor, day).unwrap_or_else(|| self.st.submitter.clone());
        let overridden = self.guards(actor, &info, &form, guard)?;
        // Routing decided on the old form that the new form decides otherwise runs again.
        let restarts = self.invalidated_routes(&self.st.form.clone(), &form);
        let suspended: Vec<(RunId, String, Context)> = self
            .st
            .runs
            .values()
            .filter(|r| r.status == RunStatus::Suspended)
            .map(|r| (r.id, r.step.clone(), r.parent.clone()))
            .collect();
        self.emit(EventKind::Resubmitted { form, title: Some(title), need_to_know: Some(need_to_know) });
        for (guard, reason, findings) in overridden {
            self.emit(EventKind::GuardOverridden { guard, reason, findings });
        }
        let mut rewound: Vec<(RunId, Context)> = Vec::new();
        for anchor in restarts {
            let ctx = self.st.runs[&anchor].parent.clone();
            if rewound.iter().any(|(a, c)| anchor > *a && self.in_ctx(anchor, c)) {
                continue;
            }
            self.rewind(anchor, &ctx, CancelReason::Returned);
            rewound.push((anchor, ctx));
        }
        for (anchor, ctx) in &rewound {
            let step = self.st.runs[anchor].step.clone();
            if self.st.status == Status::Running && self.ctx_live(ctx) {
                self.enter(&step, ctx.clone(), None);
            }
        }
        for (id, step, parent) in suspended {
            if rewound.iter().any(|(a, c)| id > *a && self.in_ctx(id, c)) {
                continue;
            }
            if self.st.status == Status::Running && self.ctx_live(&parent) {
                self.enter(&step, parent, None);
            }
        }
        Ok(())
    }

    fn transfer(
        &mut self,
        actor: &str,
        is_admin: bool,
        task: TaskId,
        to: &str,
        comment: Option<String>,
    ) -> Result<(), EngineError> {
        let who = self.task_actor(actor, task, is_admin)?;
        let to =
            self.env.dir.person(to).map(|p| p.id.clone()).ok_or_else(|| EngineError::UnknownPerson(to.to_string()))?;
        let t = self.st.tasks[&task].clone();
        if t.assignee == to || t.on_behalf_of.as_deref() == Some(to.as_str()) {
            return Err(EngineError::NotAllowed("the task is already with that person".into()));
        }
        self.may_seat(t.run, &to)?;
        self.actor = who;
        if let Some(text) = comment.map(|c| c.trim().to_string()).filter(|c| !c.is_empty()) {
            self.emit(EventKind::Commented { text });
        }
        self.emit(EventKind::TaskCancelled { task, reason: CancelReason::Transferred });
        self.notify(&t.assignee, Template::TaskMoved, Some(task));
        let original = t.on_behalf_of.clone().unwrap_or(t.assignee.clone());
        self.emit(EventKind::ReviewerAdded { run: t.run, person: to.clone(), after: Some(original) });
        // Given by name: no post makes `to` a reviewer (a post's end does not move it).
        self.create_task(t.run, &to, t.kind, None);
        Ok(())
    }

    fn add_reviewer(
        &mut self,
        actor: &str,
        is_admin: bool,
        task: TaskId,
        person: &str,
        comment: Option<String>,
    ) -> Result<(), EngineError> {
        let who = self.task_actor(actor, task, is_admin)?;
        let person = self
            .env
            .dir
            .person(person)
            .map(|p| p.id.clone())
            .ok_or_else(|| EngineError::UnknownPerson(person.to_string()))?;
        let t = self.st.tasks[&task].clone();
        let run = &self.st.runs[&t.run];
        if run.reviewers.contains(&person) {
            return Err(EngineError::AlreadyOnStep(format!("`{person}` is already a reviewer of this step")));
        }
        self.may_seat(t.run, &person)?;
        let run = &self.st.runs[&t.run];
        let sequence = matches!(
            self.step_of(t.run).map(|s| &s.kind),
            Some(kind) if kind.task_spec().is_some_and(|spec| spec.mode == crate::model::Mode::Sequence)
        ) && run.escalated_rungs == 0;
        self.actor = who;
        if let Some(text) = comment.map(|c| c.trim().to_string()).filter(|c| !c.is_empty()) {
            self.emit(EventKind::Commented { text });
        }
        let after = t.on_behalf_of.clone().unwrap_or(t.assignee.clone());
        self.emit(EventKind::ReviewerAdded { run: t.run, person: person.clone(), after: Some(after) });
        if !sequence {
            self.create_task(t.run, &person, t.kind, None);
        }
        Ok(())
    }

    pub(super) fn fire(&mut self, timer_id: &str) {
        let Some(timer) = self.st.timers.get(timer_id).cloned() else {
            return;
        };
        let run = match timer.kind {
            TimerKind::Remind { run, .. } | TimerKind::Escalate { run, .. } => run,
        };
        self.emit(EventKind::TimerCleared { timer: timer.id.clone() });
        let active =
            self.st.status == Status::Running && self.st.runs.get(&run).is_some_and(|r| r.status == RunStatus::Active);
        if !active {
            return;
        }
        match timer.kind {
            TimerKind::Remind { percent, .. } => {
                let overdue =
                    percent.is_some_and(|p| p >= 100) || self.st.runs[&run].due_at.is_some_and(|d| d <= self.env.now);
                let to: Vec<(TaskId, String)> =
                    self.st.tasks_of(run).filter(|t| t.is_open()).map(|t| (t.id, t.assignee.clone())).collect();
                if to.is_empty() {
                    return;
                }
                let template = if overdue { Template::Overdue } else { Template::Reminder };
                for (task, p) in &to {
                    self.notify(p, template, Some(*task));
                }
                self.emit(EventKind::Reminded { run, to: to.into_iter().map(|(_, p)| p).collect(), overdue });
            }
            TimerKind::Escalate { rung, .. } => self.climb(run, rung),
        }
    }

    fn climb(&mut self, run: RunId, rung: usize) {
        let Some(step) = self.step_of(run) else {
            return;
        };
        let Some(r) = step.escalate.get(rung) else {
            return;
        };
        if self.st.runs.get(&run).is_some_and(|x| x.escalated_rungs > rung) {
            // Passed over already (see below): its own timer has nothing left to do.
            return;
        }
        if r.notify_only {
            self.oversee(run, rung, &r.to);
            return;
        }
        if let Some(action) = r.action {
            self.emit(EventKind::AutoActed { run, action });
            if let StepKind::Score(spec) = &step.kind {
                self.close_scoring(run, spec, true);
                return;
            }
            let result = match action {
                AutoAction::Approve => match step.kind {
                    StepKind::Acknowledge(_) => StepResult::Acknowledged,
                    _ => StepResult::Approved,
                },
                AutoAction::Reject => StepResult::Rejected,
                AutoAction::Skip => StepResult::Skipped,
            };
            self.complete(run, result);
            return;
        }
        let (ctx_people, mut posts) = self.resolve_seats(&r.to);
        // The step's self-approval policy holds on every rung, as when the step was entered.
        let submitter = self.st.submitter.id.clone();
        let mut ctx_people = ctx_people;
        let mut self_auto = false;
        if ctx_people.contains(&submitter) {
            match self.policies_of(run).self_approval {
                SelfApproval::Allow => {}
                SelfApproval::Forbid => {
                    ctx_people.retain(|p| *p != submitter);
                    self.emit_as(
                        Actor::System,
                        EventKind::PolicyApplied { run, note: PolicyNote::SelfRemovedFromRung },
                    );
                }
                SelfApproval::Skip => {
                    self.emit_as(Actor::System, EventKind::PolicyApplied { run, note: PolicyNote::SelfSkipped });
                    self.complete(run, StepResult::Skipped);
                    return;
                }
                SelfApproval::AutoApprove => self_auto = true,
            }
        }
        let to: Vec<crate::org::PersonId> = if ctx_people.is_empty() {
            self.env.dir.admins().into_iter().map(|p| p.id.clone()).filter(|p| *p != submitter).collect()
        } else {
            ctx_people
        };
        if to.is_empty() {
            return;
        }
        // Rungs are distinct people: a rung whose people already hold the task (the submitter who
        // is also the president, say) asks nobody new, so the climb goes on to the next rung at once
        // — unless that rung acts automatically, which keeps its own time.
        let holders: Vec<String> = self.st.tasks_of(run).filter(|t| t.is_open()).map(|t| t.assignee.clone()).collect();
        if to.iter().all(|p| holders.contains(p)) {
            if step.escalate.get(rung + 1).is_some_and(|n| n.action.is_none()) {
                self.climb(run, rung + 1);
            }
            return;
        }
        let kind = match step.kind {
            StepKind::Acknowledge(_) => TaskKind::Acknowledge,
            StepKind::Score(_) => TaskKind::Score,
            _ => TaskKind::Approve,
        };
        self.cancel_tasks(run, CancelReason::Escalated);
        posts.retain(|p, _| to.contains(p));
        self.emit(EventKind::Escalated { run, rung, to: to.clone(), posts: posts.clone() });
        for p in &to {
            let task = self.create_task(run, p, kind, posts.get(p).cloned());
            if self_auto && *p == submitter {
                self.emit_as(Actor::System, EventKind::PolicyApplied { run, note: PolicyNote::SelfAutoApproved });
                self.emit_as(
                    Actor::System,
                    EventKind::TaskDecided {
                        task,
                        decision: Decision::Approve,
                        comment: None,
                        option: None,
                        fields: None,
                        scores: None,
                    },
                );
                self.evaluate(run);
                return;
            }
        }
    }
}

/// The request's title as people read it (zh-CN): the definition's title template filled with
/// enum labels, dates and names, not codes. Submit and resubmit both use it, so a resubmitted form
/// gives the title a new submission of it would.
fn people_title(
    def: &crate::model::Definition,
    form: &serde_json::Map<String, serde_json::Value>,
    dir: &dyn crate::org::Directory,
) -> String {
    let shown: serde_json::Map<String, serde_json::Value> = form
        .iter()
        .map(|(k, v)| {
            let text = crate::form::display_value(def.field(k), v, crate::catalog::Lang::Zh, dir);
            (k.clone(), serde_json::Value::String(text))
        })
        .collect();
    compose_title(def.title.as_deref(), &shown, &def.name.zh)
}

/// Fills `{form.x}` placeholders of a title template; the default is the form's `title` field.
fn compose_title(template: Option<&str>, form: &serde_json::Map<String, serde_json::Value>, fallback: &str) -> String {
    let value = |k: &str| match form.get(k) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    };
    match template {
        None => {
            let t = value("title");
            if t.is_empty() { fallback.to_string() } else { t }
        }
        Some(tpl) => {
            let mut out = String::new();
            let mut rest = tpl;
            while let Some(i) = rest.find("{form.") {
                out.push_str(&rest[..i]);
                let after = &rest[i + 6..];
                match after.find('}') {
                    Some(j) => {
                        out.push_str(&value(&after[..j]));
                        rest = &after[j + 1..];
                    }
                    None => {
                        out.push_str(&rest[i..]);
                        rest = "";
                    }
                }
            }
            out.push_str(rest);
            out
        }
    }
}
