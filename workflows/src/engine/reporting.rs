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

impl Machine<'_, '_> {
    /// Records a late first report (`LateReport`) and tells the submitter (【迟报】).
    pub(super) fn record_late_report(&mut self, late: Late) {
        self.emit(EventKind::LateReport { within: late.within, occurred: late.occurred, deadline: late.deadline });
        let submitter = self.st.submitter.id.clone();
        self.notify(&submitter, Template::LateReport, None);
    }

    /// 续报: the submitter (or someone `follow_ups.who` names) adds a follow-up report to a running
    /// request; every reviewer it has reached (and the submitter, when someone else reports) is
    /// told (【续报】).
    pub(super) fn follow_up(&mut self, actor: &str, text: String) -> Result<(), EngineError> {
        let def = self.env.def;
        let Some(rule) = &def.follow_ups else {
            return Err(EngineError::FollowUpsNotAllowed);
        };
        match self.st.status {
            Status::Running | Status::Returned => {}
            Status::Finished(_) => return Err(EngineError::Finished),
            Status::Draft => return Err(EngineError::NotAllowed("the request was never submitted".into())),
        }
        let submitter = self.st.submitter.id.clone();
        if actor != submitter {
            let day = self.env.now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
            let ctx = ResolveCtx { submitter: &self.st.submitter, form: &self.st.form, day };
            if !resolve_all(&rule.who, &ctx, self.env.dir).iter().any(|p| p == actor) {
                return Err(EngineError::NotAllowed(
                    "only the submitter (or whom the workflow names) may add a follow-up report".into(),
                ));
            }
        }
        let text = text.trim().to_string();
        if text.is_empty() || text.chars().count() > FOLLOW_UP_MAX_CHARS {
            return Err(EngineError::BadFollowUp(if text.is_empty() {
                "a follow-up report cannot be empty".into()
            } else {
                format!("a follow-up report has at most {FOLLOW_UP_MAX_CHARS} characters")
            }));
        }
        self.emit(EventKind::FollowedUp { text });
        let mut to: Vec<String> = Vec::new();
        if actor != submitter {
            to.push(submitter);
        }
        for t in self.st.tasks.values() {
            for p in std::iter::once(&t.assignee).chain(t.on_behalf_of.iter()) {
                if p != actor && !to.contains(p) {
                    to.push(p.clone());
                }
            }
        }
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
