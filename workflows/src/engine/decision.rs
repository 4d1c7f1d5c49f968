//! The engine's side of decision forms, named options, extensions and bounded visits (see
//! [`crate::decision`]).

use super::EngineError;
use super::events::*;
use super::machine::Machine;
use super::state::RunStatus;
use crate::form::{FieldError, check_fields};
use crate::model::{Reminder, Step, StepName};

/// What a decision carries besides its kind: the option picked and the fields filled.
#[derive(Debug, Clone, Default)]
pub(super) struct Details {
    /// The named option, for [`Decision::Option`].
    pub option: Option<String>,
    /// The raw field values.
    pub fields: serde_json::Map<String, serde_json::Value>,
}

type Checked = (Option<String>, Option<serde_json::Map<String, serde_json::Value>>);

impl Machine<'_, '_> {
    /// Checks a decision against its step's decision keys: the option exists, required comments
    /// are there, and the fields (the step's on approve / acknowledge, the option's with an option)
    /// type-check. Reject and return carry no fields. Returns the option and the checked fields.
    pub(super) fn decision_details(
        &self,
        run: RunId,
        decision: Decision,
        comment: Option<&str>,
        details: Details,
    ) -> Result<Checked, EngineError> {
        let Some(step) = self.step_of(run) else { return Ok((None, None)) };
        let spec = &step.decision;
        let (name, fields) = match decision {
            Decision::Option => {
                let name = details.option.clone().unwrap_or_default();
                let Some(o) = spec.option(&name) else {
                    let mut names: Vec<&str> = vec!["approve", "reject", "return"];
                    names.extend(spec.options.iter().map(|o| o.name.as_str()));
                    return Err(EngineError::InvalidForm(vec![FieldError {
                        field: "decision".into(),
                        code: "unknown_decision",
                        message: format!(
                            "step `{}` has no decision `{name}` (decisions: {})",
                            step.name,
                            names.join(", ")
                        ),
                    }]));
                };
                (name, o.fields.as_slice())
            }
            Decision::Approve => ("approve".to_string(), spec.fields.as_slice()),
            Decision::Acknowledge => ("acknowledge".to_string(), spec.fields.as_slice()),
            Decision::Reject => ("reject".to_string(), &[][..]),
            Decision::Score => ("score".to_string(), &[][..]),
            Decision::Return => ("return".to_string(), &[][..]),
        };
        let mut errors: Vec<FieldError> = Vec::new();
        if spec.needs_comment(&name) && comment.is_none_or(|c| c.trim().is_empty()) {
            errors.push(FieldError {
                field: "comment".into(),
                code: "required",
                message: match &spec.comment_label {
                    Some(l) => format!(
                        "请填写{}（必填）。Write the {} (required).",
                        l.value.zh,
                        if l.value.en.is_empty() { l.value.zh.clone() } else { l.value.en.to_lowercase() }
                    ),
                    None => format!("step `{}` asks for a reason with `{name}`: write a comment", step.name),
                },
            });
        }
        let checked = if fields.is_empty() {
            None
        } else {
            let input = serde_json::Value::Object(details.fields);
            match check_fields(fields, &input, Some(self.env.dir)) {
                Ok(v) if v.is_empty() => None,
                Ok(v) => Some(v),
                Err(mut e) => {
                    errors.append(&mut e);
                    None
                }
            }
        };
        if !errors.is_empty() {
            return Err(EngineError::InvalidForm(errors));
        }
        Ok(((decision == Decision::Option).then_some(name), checked))
    }

    /// Where the named option that decided run `run` leads.
    pub(super) fn option_target(&self, run: RunId) -> Option<StepName> {
        let name = self.st.runs.get(&run)?.option.clone()?;
        self.step_of(run)?.decision.option(&name).map(|o| o.next.value.clone())
    }

    /// When `step` has `visits:` and has already run `max` times (runs that were cancelled by a
    /// return or a resubmission do not count), records it and says where to go instead.
    pub(super) fn visits_exhausted(&mut self, step: &Step) -> Option<StepName> {
        let v = step.decision.visits.as_ref()?;
        let visits =
            self.st.runs.values().filter(|r| r.step == step.name && r.status != RunStatus::Cancelled).count() as u32;
        if visits < v.max {
            return None;
        }
        self.emit(EventKind::VisitsExhausted { step: step.name.clone(), visits, to: v.then.value.clone() });
        Some(v.then.value.clone())
    }

    /// The assignee (or their delegate) of open task `task` takes an extension.
    pub(super) fn extend(&mut self, actor: &str, task: TaskId, comment: Option<String>) -> Result<(), EngineError> {
        // The assignee (or their delegate) asks, not an admin: the office asks.
        let who = self.task_actor(actor, task, false)?;
        let run = self.st.tasks[&task].run;
        let step = self.step_of(run).ok_or_else(|| EngineError::NotAllowed("unknown step".into()))?;
        let Some(x) = &step.decision.extension else {
            return Err(EngineError::NotAllowed(format!("step `{}` does not allow extensions", step.name)));
        };
        let r = &self.st.runs[&run];
        if r.extensions >= x.max {
            return Err(EngineError::ExtensionExhausted(format!(
                "step `{}` allows {} extension(s) and {} already taken",
                step.name,
                x.max,
                if r.extensions == 1 { "it was".to_string() } else { format!("{} were", r.extensions) }
            )));
        }
        let Some(due) = r.due_at else {
            return Err(EngineError::NotAllowed(format!("step `{}` has no due time to extend", step.name)));
        };
        let (count, entered) = (r.extensions + 1, r.entered_at);
        let due_at = self.env.cal.add(due, x.by.value);
        self.actor = who;
        if let Some(text) = comment.map(|c| c.trim().to_string()).filter(|c| !c.is_empty()) {
            self.emit(EventKind::Commented { text });
        }
        self.emit(EventKind::Extended { run, by: x.by.value, due_at, count });
        self.rearm(step, run, entered, count);
        let to: Vec<String> = self.resolve(&x.notify).into_iter().filter(|p| *p != actor).collect();
        if !to.is_empty() {
            for p in &to {
                self.notify(p, Template::Extended, None);
            }
            self.emit(EventKind::Copied { run, to });
        }
        Ok(())
    }

    /// Disarms run `run`'s timers and arms them again for its new due time: reminders in % as
    /// shares of the whole (longer) window, absolute reminders and escalation rungs `count`
    /// extensions later; the rungs already climbed and the times already past are left out.
    fn rearm(&mut self, step: &Step, run: RunId, entered: chrono::DateTime<chrono::Utc>, count: u32) {
        self.disarm(run);
        let Some(x) = &step.decision.extension else { return };
        let Some(r) = self.st.runs.get(&run) else { return };
        let (due_at, climbed) = (r.due_at, r.escalated_rungs);
        let start = self.clock_start_at(step, entered);
        let later = |m: &Self, mut t: chrono::DateTime<chrono::Utc>| {
            for _ in 0..count {
                t = m.env.cal.add(t, x.by.value);
            }
            t
        };
        let working = step.due.as_ref().is_some_and(|d| d.value.unit == crate::duration::DurationUnit::WorkingDays);
        let mut reminders: Vec<Reminder> = step.remind.iter().map(|r| r.value).collect();
        if reminders.is_empty() && due_at.is_some() {
            reminders = vec![Reminder::Percent(50), Reminder::Percent(100)];
        }
        let now = self.env.now;
        for (i, rem) in reminders.iter().enumerate() {
            let (at, percent) = match (rem, due_at) {
                (Reminder::Percent(p), Some(due)) if working => (self.env.cal.working_share(start, due, *p), Some(*p)),
                (Reminder::Percent(p), Some(due)) => {
                    let span = (due - start).num_seconds() * i64::from(*p) / 100;
                    (start + chrono::Duration::seconds(span), Some(*p))
                }
                (Reminder::Percent(_), None) => continue,
                (Reminder::After(d), _) => (later(self, self.env.cal.add(start, *d)), None),
            };
            if at > now || percent.is_some_and(|p| p >= 100) {
                let at = at.max(now);
                self.arm(Timer {
                    id: format!("{run}:remind:{i}:x{count}"),
                    at,
                    kind: TimerKind::Remind { run, percent },
                });
            }
        }
        for (i, rung) in step.escalate.iter().enumerate().skip(climbed) {
            let at = later(self, self.env.cal.add(start, rung.after.value));
            self.arm(Timer {
                id: format!("{run}:rung:{i}:x{count}"),
                at: at.max(now),
                kind: TimerKind::Escalate { run, rung: i },
            });
        }
    }
}
