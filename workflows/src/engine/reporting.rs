//! Reporting duties of a definition (M1 incidents, domain §3): `report_within` (the first report
//! within N of the moment in a form field, recorded as `LateReport` when later), follow-up reports
//! (续报, `follow_ups:`) on a running request, and `notify:` escalation rungs (督办) that tell
//! someone a task is overdue without taking it from its holder.
//!
//! Kept apart from `commands.rs` and `machine.rs`: these only add events; they never move a
//! request along its graph.

use super::EngineError;
use super::events::*;
use super::machine::Machine;
use super::state::{RunStatus, Status};
use crate::calendar::WorkCalendar;
use crate::duration::DurationSpec;
use crate::model::{Definition, LeadTimeAction};
use crate::org::SubmitterInfo;
use crate::org::resolve::{ResolveCtx, resolve_all};
use chrono::{DateTime, Utc};

/// Longest follow-up text, in characters.
pub const FOLLOW_UP_MAX_CHARS: usize = 20_000;

/// A first report later than its `report_within` rule allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Late {
    /// The rule's `within`.
    pub within: DurationSpec,
    /// The moment in the form the rule counts from (UTC).
    pub occurred: DateTime<Utc>,
    /// `occurred + within`: the last moment that was in time.
    pub deadline: DateTime<Utc>,
    /// What the rule does about it.
    pub action: LeadTimeAction,
}

/// The moment a `date` or `datetime` form value stands for: an RFC 3339 text at its instant (any
/// offset), a date at its 00:00 in Asia/Shanghai. `None` when it is neither.
pub fn moment_of(value: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Some(t.with_timezone(&Utc));
    }
    let day = chrono::NaiveDate::parse_from_str(value.get(..10)?, "%Y-%m-%d").ok()?;
    day.and_hms_opt(0, 0, 0)?.and_local_timezone(chrono_tz::Asia::Shanghai).earliest().map(|t| t.with_timezone(&Utc))
}

/// Checks `def.report_within` for a submission at `now`: the first rule whose `when` holds decides;
/// `Some` when the submission is later than `within` after the moment in the rule's field (exactly
/// at the deadline is in time). A missing or unreadable moment checks nothing.
pub fn late_report(
    def: &Definition,
    form: &serde_json::Map<String, serde_json::Value>,
    submitter: &SubmitterInfo,
    cal: &WorkCalendar,
    now: DateTime<Utc>,
) -> Option<Late> {
    let rule = def.report_within.iter().find(|r| r.when.as_ref().is_none_or(|w| w.eval_bool(form, submitter)))?;
    let occurred = form.get(&rule.after.value).and_then(|v| v.as_str()).and_then(moment_of)?;
    let deadline = cal.add(occurred, rule.within.value);
    (now > deadline).then_some(Late { within: rule.within.value, occurred, deadline, action: rule.otherwise })
}

/// Whether `person` may add a follow-up report (续报) to `st` now: the definition has
/// `follow_ups:`, the request is submitted and not finished, and `person` is its submitter or one
/// of the people `follow_ups.who` names (resolved on `now`'s day in Asia/Shanghai). The pages use
/// it to show the form; the engine checks the same.
pub fn may_follow_up(
    def: &Definition,
    st: &super::state::Instance,
    person: &str,
    dir: &dyn crate::org::Directory,
    now: DateTime<Utc>,
) -> bool {
    let Some(rule) = &def.follow_ups else { return false };
    if !matches!(st.status, Status::Running | Status::Returned) {
        return false;
    }
    if st.submitter.id == person {
        return true;
    }
    let day = now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let ctx = ResolveCtx { submitter: &st.submitter, form: &st.form, day };
    resolve_all(&rule.who, &ctx, dir).iter().any(|p| p == person)
}

impl Machine<'_, '_> {
    /// Records a late first report (`LateReport`) and tells the submitter (【迟报】).
    pub(super) fn record_late_report(&mut self, late: Late) {
        self.emit(EventKind::LateReport { within: late.within, occurred: late.occurred, deadline: late.deadline });
        let submitter = self.st.submitter.id.clone();
        self.notify(&submitter, Template::LateReport, None);
    }

    /// 续报: the submitter (or someone `follow_ups.who` names) adds a follow-up report to a running
    /// request; everyone on its path but the author — the submitter, every reviewer it has reached,
    /// the people copied — is told (【续报】).
    pub(super) fn follow_up(&mut self, actor: &str, text: String) -> Result<(), EngineError> {
        let def = self.env.def;
        if def.follow_ups.is_none() {
            return Err(EngineError::FollowUpsNotAllowed);
        }
        match self.st.status {
            Status::Running | Status::Returned => {}
            Status::Finished(_) => return Err(EngineError::Finished),
            Status::Draft => return Err(EngineError::NotAllowed("the request was never submitted".into())),
        }
        let submitter = self.st.submitter.id.clone();
        if !may_follow_up(def, &self.st, actor, self.env.dir, self.env.now) {
            return Err(EngineError::NotAllowed(
                "only the submitter (or whom the workflow names) may add a follow-up report".into(),
            ));
        }
        let text = text.trim().to_string();
        if text.is_empty() {
            return Err(EngineError::BadFollowUp("required", "a follow-up report cannot be empty".into()));
        }
        if text.chars().count() > FOLLOW_UP_MAX_CHARS {
            return Err(EngineError::BadFollowUp(
                "too_long",
                format!("a follow-up report has at most {FOLLOW_UP_MAX_CHARS} characters"),
            ));
        }
        self.emit(EventKind::FollowedUp { text });
        // everyone on the path: the submitter, every reviewer reached, the people copied
        let to: Vec<String> =
            std::iter::once(submitter).chain(self.st.viewers.iter().cloned()).filter(|p| p != actor).collect();
        for p in &to {
            self.notify(p, Template::FollowUp, None);
        }
        Ok(())
    }

    /// A `notify:` rung (督办): its people are told the step is overdue; the open tasks stay.
    pub(super) fn oversee(&mut self, run: RunId, rung: usize, who: &[crate::model::Selector]) {
        if self.st.runs.get(&run).is_none_or(|r| r.status != RunStatus::Active) {
            return;
        }
        let day = self.env.now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        let ctx = ResolveCtx { submitter: &self.st.submitter, form: &self.st.form, day };
        let mut to = resolve_all(who, &ctx, self.env.dir);
        let holders: Vec<String> = self.st.tasks_of(run).filter(|t| t.is_open()).map(|t| t.assignee.clone()).collect();
        to.retain(|p| !holders.contains(p));
        if to.is_empty() {
            to = self.env.dir.admins().into_iter().map(|p| p.id.clone()).collect();
        }
        self.emit(EventKind::Overseen { run, rung, to: to.clone() });
        for p in &to {
            self.notify(p, Template::OverdueNotice, None);
        }
    }
}
