//! The `records:` section: what a request's outcome writes (issue 11).
//!
//! ```yaml
//! records:
//!   - when: approved                 # or [approved, rejected]
//!     kind: appointment              # a kind of workflows::records::outcome::KINDS
//!     if: "form.position != 'none'"  # optional, on the final form
//!     fields:
//!       person: form.candidate
//!       body: 'department_su@{submitter.department}'
//!       role: { from: form.position, map: { presidium: vice_president } }
//!       from: form.appointment_date
//! ```

use super::{MAP_KEYS, RECORD_KEYS, Reader};
use crate::model::{Outcome, RecordField, RecordSpec, Spanned, ValueSource};
use crate::yaml;
use marked_yaml::Node;
use std::collections::BTreeMap;

const OUTCOMES: &[(&str, Outcome)] = &[
    ("approved", Outcome::Approved),
    ("rejected", Outcome::Rejected),
    ("withdrawn", Outcome::Withdrawn),
    ("abandoned", Outcome::Abandoned),
];

impl Reader<'_> {
    pub(crate) fn records(&mut self, node: &Node) -> Vec<RecordSpec> {
        if !matches!(node, Node::Sequence(_)) {
            self.err("wrong_type", yaml::pos(node), "`records:` must be a list of { when, kind, fields }");
            return Vec::new();
        }
        yaml::items(node).into_iter().filter_map(|i| self.record(i)).collect()
    }

    fn record(&mut self, node: &Node) -> Option<RecordSpec> {
        let mut m = self.map(node, "a record")?;
        let pos = m.pos();
        let when = match m.get("when") {
            Some(n) => yaml::items(n)
                .into_iter()
                .filter_map(|i| self.choice(i, "when", OUTCOMES).map(|o| Spanned::new(o, yaml::pos(i))))
                .collect(),
            None => {
                self.err("missing_key", pos, "a record needs `when:` (the outcome that writes it, e.g. approved)");
                Vec::new()
            }
        };
        let kind = match m.get("kind") {
            Some(n) => Spanned::new(self.text(n, "kind")?, yaml::pos(n)),
            None => {
                self.err("missing_key", pos, "a record needs `kind:` (e.g. appointment)");
                return None;
            }
        };
        let condition = m.get("if").and_then(|n| self.expr(n, "if"));
        let mut fields = Vec::new();
        match m.get("fields") {
            Some(n) => {
                if let Some(fm) = self.map(n, "fields") {
                    for (k, v) in fm.entries() {
                        let name = Spanned::new(k.as_str().to_string(), yaml::span_pos(k.span()));
                        if let Some(source) = self.value_source(v) {
                            fields.push(RecordField { name, source });
                        }
                    }
                }
            }
            None => self.err("missing_key", pos, "a record needs `fields:` (record field: form.<field>, …)"),
        }
        self.done(&m, RECORD_KEYS);
        Some(RecordSpec { when, kind, condition, fields, pos })
    }

    fn value_source(&mut self, node: &Node) -> Option<Spanned<ValueSource>> {
        let pos = yaml::pos(node);
        if let Node::Mapping(_) = node {
            let mut m = self.map(node, "a mapped value")?;
            let field = match m.get("from") {
                Some(n) => {
                    let s = self.text(n, "from")?;
                    match s.strip_prefix("form.") {
                        Some(f) => f.to_string(),
                        None => {
                            self.err(
                                "bad_value",
                                yaml::pos(n),
                                format!("`from:` names a form field as form.<field>, found `{s}`"),
                            );
                            return None;
                        }
                    }
                }
                None => {
                    self.err("missing_key", pos, "a mapped value needs `from: form.<field>`");
                    return None;
                }
            };
            let mut map = BTreeMap::new();
            match m.get("map") {
                Some(n) => {
                    let mm = self.map(n, "map")?;
                    for (k, v) in mm.entries() {
                        if let Some(t) = self.text(v, "map") {
                            map.insert(k.as_str().to_string(), t);
                        }
                    }
                }
                None => {
                    self.err("missing_key", pos, "a mapped value needs `map: { value: value, … }`");
                    return None;
                }
            }
            self.done(&m, MAP_KEYS);
            return Some(Spanned::new(ValueSource::Map { field, map }, pos));
        }
        let s = yaml::scalar(node, "a record value").map_err(|d| self.diags.push(d)).ok()?;
        let quoted = s.span().start().and_then(|m| self.src.nth(m.character())).is_some_and(|c| c == '"' || c == '\'');
        let text = s.as_str().trim().to_string();
        let source = if let (false, Some(f)) = (quoted, text.strip_prefix("form.")) {
            ValueSource::Form(f.to_string())
        } else if text == "submitter" && !quoted {
            ValueSource::Submitter
        } else if text == "submitter.department" && !quoted {
            ValueSource::SubmitterDepartment
        } else if text == "submitter.su" && !quoted {
            ValueSource::SubmitterSu
        } else if text == "score" && !quoted {
            ValueSource::Score
        } else if text == "today" && !quoted {
            ValueSource::Today
        } else if let Some(lit) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
            ValueSource::Literal(lit.to_string())
        } else if quoted {
            ValueSource::Literal(text)
        } else {
            self.err(
                "bad_value",
                pos,
                format!(
                    "`{text}` is not a record value: write form.<field>, submitter, submitter.department, submitter.su, score, today or a quoted 'text'"
                ),
            );
            return None;
        };
        Some(Spanned::new(source, pos))
    }
}
