//! The definition's `guards:` at a submission (see [`crate::guard`]): which findings block, and
//! whether the submitter may override them.

use super::EngineError;
use super::machine::Machine;
use crate::catalog::Label;
use crate::guard::{GuardFacts, GuardFinding, REASON_MAX_CHARS, subject_names};
use crate::org::SubmitterInfo;
use crate::org::resolve::{ResolveCtx, resolve_all};

/// A guard overridden at a submission: its index, the reason, the findings.
pub(super) type Overridden = (usize, String, Vec<GuardFinding>);

impl Machine<'_, '_> {
    /// Checks every guard against `facts.findings`: `Ok` with the guards overridden (to record),
    /// or the refusal.
    pub(super) fn guards(
        &self,
        submitter: &str,
        info: &SubmitterInfo,
        form: &serde_json::Map<String, serde_json::Value>,
        facts: &GuardFacts,
    ) -> Result<Vec<Overridden>, EngineError> {
        let def = self.env.def;
        let reason = match facts.override_reason.as_deref().map(str::trim) {
            None => None,
            Some("") => {
                return Err(EngineError::BadGuardOverride(
                    "required",
                    "an override needs a reason: say why the submission may go ahead (覆盖门禁须填写理由)".into(),
                ));
            }
            Some(r) if r.chars().count() > REASON_MAX_CHARS => {
                return Err(EngineError::BadGuardOverride(
                    "too_long",
                    format!("the override's reason is over {REASON_MAX_CHARS} characters"),
                ));
            }
            Some(r) => Some(r.to_string()),
        };
        let blocking: Vec<(usize, Vec<GuardFinding>)> = def
            .guards
            .iter()
            .enumerate()
            .map(|(i, g)| (i, facts.findings.iter().filter(|f| g.matches(f)).map(GuardFinding::from).collect()))
            .filter(|(_, found): &(usize, Vec<GuardFinding>)| !found.is_empty())
            .collect();
        if blocking.is_empty() {
            return Ok(Vec::new());
        }
        let Some(reason) = reason else {
            let mut zh = Vec::new();
            let mut en = Vec::new();
            let mut all = Vec::new();
            for (i, found) in blocking {
                let msg = def.guards[i].message();
                let (names_zh, names_en) = subject_names(&found);
                zh.push(format!("{}：{names_zh}", msg.zh));
                en.push(format!("{}: {names_en}", msg.get(crate::catalog::Lang::En)));
                all.extend(found);
            }
            return Err(EngineError::GuardBlocked {
                message: Label::new(zh.join("；"), en.join("; ")), findings: all
            });
        };
        let day = self.env.now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        let ctx = ResolveCtx { submitter: info, form, day };
        let mut out = Vec::new();
        for (i, found) in blocking {
            let may = def.guards[i]
                .overriders
                .as_ref()
                .is_some_and(|o| resolve_all(&o.who, &ctx, self.env.dir).iter().any(|p| p == submitter));
            if !may {
                let (names, _) = subject_names(&found);
                return Err(EngineError::GuardOverrideForbidden(format!(
                    "you may not override this guard ({names}): only the people its `override.who` names may"
                )));
            }
            out.push((i, reason.clone(), found));
        }
        Ok(out)
    }
}
