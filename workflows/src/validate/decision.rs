//! Checks of the decision keys of steps (`fields:`, `options:`, `extension:`, `comment_required:`,
//! `visits:`; see [`crate::decision`]), and that whatever reads a field a reviewer fills comes after
//! a step that fills it.

use super::Validator;
use crate::diag::{Diagnostic, Pos};
use crate::model::*;
use std::collections::BTreeSet;

/// The forward edges a step's decision keys add: each option's `next` and `visits.then`.
pub(super) fn edges(step: &Step) -> Vec<&Spanned<StepName>> {
    let d = &step.decision;
    d.options.iter().map(|o| &o.next).chain(d.visits.iter().map(|v| &v.then)).collect()
}

/// The form fields a selector reads (as a scope or as people).
fn selector_field(sel: &Selector) -> Option<&str> {
    match &sel.kind {
        SelectorKind::Body { of: ScopeRef::Field(f), .. }
        | SelectorKind::LiaisonOf(ScopeRef::Field(f))
        | SelectorKind::UpUntil { from: ScopeRef::Field(f), .. }
        | SelectorKind::Field(f) => Some(f),
        _ => None,
    }
}

impl Validator<'_> {
    pub(super) fn decisions(&mut self) {
        let def = self.def;
        for step in &def.steps {
            let d = &step.decision;
            let task = matches!(step.kind, StepKind::Approve(_) | StepKind::Acknowledge(_));
            let approve = matches!(step.kind, StepKind::Approve(_));
            let misplaced = |what: &str, pos: Pos| {
                Diagnostic::error(
                    "misplaced_key",
                    pos,
                    format!("`{what}:` belongs to an approve or acknowledge step; `{}` is not one", step.name),
                )
            };
            if !task {
                if let Some(f) = d.fields.first() {
                    self.out.push(misplaced("fields", f.pos));
                }
                if let Some(x) = &d.extension {
                    self.out.push(misplaced("extension", x.pos));
                }
                if let Some(c) = d.comment_required.first() {
                    self.out.push(misplaced("comment_required", c.pos));
                }
                if let Some(c) = &d.comment_label {
                    self.out.push(misplaced("comment_label", c.pos));
                }
            }
            if let Some(o) = d.options.first()
                && !approve
            {
                self.out.push(Diagnostic::error(
                    "misplaced_key",
                    o.pos,
                    format!("`options:` belongs to an approve step; `{}` is not one", step.name),
                ));
            }
            if let Some(x) = &d.extension
                && step.due.is_none()
            {
                self.out.push(Diagnostic::error(
                    "extension_without_due",
                    x.pos,
                    "an extension moves the due time: the step needs a `due:`",
                ));
            }
            let mut known: Vec<&str> = if approve { vec!["approve", "reject", "return"] } else { vec!["acknowledge"] };
            known.extend(d.options.iter().map(|o| o.name.as_str()));
            for c in &d.comment_required {
                if !known.contains(&c.value.as_str()) {
                    self.out.push(Diagnostic::error(
                        "unknown_decision",
                        c.pos,
                        format!("`{}` is not a decision of this step ({})", c.value, known.join(", ")),
                    ));
                }
            }
            // Field names: not a submit field; the same type wherever a name is filled.
            let own = d.fields.iter().chain(d.options.iter().flat_map(|o| o.fields.iter()));
            for f in own {
                if matches!(f.ty, crate::model::FieldType::Table { .. }) {
                    self.out.push(Diagnostic::error(
                        "table_in_step_fields",
                        f.pos,
                        format!("`{}`: a reviewer cannot fill a `table` at a step; put it in the submit form", f.name),
                    ));
                }
                if def.form.iter().any(|g| g.name == f.name) {
                    self.out.push(Diagnostic::error(
                        "field_conflict",
                        f.pos,
                        format!("`{}` is already a field of the submit form; a step fills fields of its own", f.name),
                    ));
                } else if let Some(g) = def.step_fields().find(|g| g.name == f.name)
                    && g.ty != f.ty
                {
                    self.out.push(Diagnostic::error(
                        "field_conflict",
                        f.pos,
                        format!("`{}` is filled at another step with another type", f.name),
                    ));
                }
            }
        }
        self.filled_before_read();
    }

    /// Every selector and condition reading a step-filled field comes after (is reachable from) a
    /// step that fills it.
    fn filled_before_read(&mut self) {
        let def = self.def;
        let submit: BTreeSet<&str> = def.form.iter().map(|f| f.name.as_str()).collect();
        // Field → the steps from which a step filling it leads on.
        let mut reads: Vec<(String, Pos, &Step)> = Vec::new();
        for step in &def.steps {
            let mut sels: Vec<&Selector> = Vec::new();
            match &step.kind {
                StepKind::Approve(t) | StepKind::Acknowledge(t) => sels.extend(&t.who),
                StepKind::Notify { who } => sels.extend(who),
                StepKind::Switch { cases, .. } => {
                    for (e, _) in cases {
                        for f in e.field_refs() {
                            reads.push((f, e.pos, step));
                        }
                    }
                }
                _ => {}
            }
            sels.extend(step.escalate.iter().flat_map(|r| &r.to));
            if let Some(x) = &step.decision.extension {
                sels.extend(&x.notify);
            }
            for s in sels {
                if let Some(f) = selector_field(s) {
                    reads.push((f.to_string(), s.pos, step));
                }
            }
        }
        for (field, pos, reader) in reads {
            if submit.contains(field.as_str()) {
                continue;
            }
            let fillers: Vec<&Step> = def
                .steps
                .iter()
                .filter(|s| {
                    s.decision.fields.iter().any(|f| f.name == field)
                        || s.decision.options.iter().any(|o| o.fields.iter().any(|f| f.name == field))
                })
                .collect();
            if fillers.is_empty() {
                continue; // reported as unknown_field elsewhere
            }
            let before = fillers
                .iter()
                .any(|p| super::edges(p).into_iter().any(|t| self.reachable_from(&t.value).contains(&reader.name)));
            if !before {
                let names: Vec<&str> = fillers.iter().map(|s| s.name.as_str()).collect();
                self.out.push(Diagnostic::error(
                    "field_not_filled",
                    pos,
                    format!(
                        "`form.{field}` is filled at step {}, which does not come before `{}`: it is still empty here",
                        names.join(", "),
                        reader.name
                    ),
                ));
            }
        }
    }
}
