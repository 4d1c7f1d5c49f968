//! A step's `fields:`, `options:`, `extension:`, `comment_required:` and `visits:` (see
//! [`crate::decision`]).

use super::Reader;
use crate::decision::{DecisionOption, DecisionSpec, Extension, RESERVED, Visits};
use crate::model::{FormField, Spanned};
use crate::yaml::{self, Map};
use marked_yaml::Node;

/// Keys of a named option.
pub const OPTION_KEYS: &[&str] = &["label", "next", "fields"];
/// Keys of `extension:`.
pub const EXTENSION_KEYS: &[&str] = &["max", "by", "notify"];
/// Keys of `visits:`.
pub const VISITS_KEYS: &[&str] = &["max", "then"];

impl Reader<'_> {
    /// Reads the decision keys of step mapping `m` (the caller checks the other keys).
    pub(crate) fn decision_spec(&mut self, m: &mut Map<'_>) -> DecisionSpec {
        let fields = m.get("fields").map(|n| self.step_field_map(n, "fields")).unwrap_or_default();
        let options = m.get("options").map(|n| self.decision_options(n)).unwrap_or_default();
        let extension = m.get("extension").and_then(|n| self.extension(n));
        let comment_required = m
            .get("comment_required")
            .map(|n| {
                yaml::items(n)
                    .into_iter()
                    .filter_map(|i| self.text(i, "comment_required").map(|t| Spanned::new(t, yaml::pos(i))))
                    .collect()
            })
            .unwrap_or_default();
        let visits = m.get("visits").and_then(|n| self.visits(n));
        let comment_label =
            m.get("comment_label").and_then(|n| self.label(n, "comment_label").map(|l| Spanned::new(l, yaml::pos(n))));
        DecisionSpec { fields, options, extension, comment_required, comment_label, visits }
    }

    /// A mapping of typed fields, as under `form:`.
    fn step_field_map(&mut self, node: &Node, what: &str) -> Vec<FormField> {
        let Some(m) = self.map(node, what) else { return Vec::new() };
        let mut fields = Vec::new();
        for (k, v) in m.entries() {
            let name = k.as_str().to_string();
            let pos = yaml::span_pos(k.span());
            if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
                self.err("bad_key", pos, format!("field name `{name}` must use lowercase letters, digits and _"));
            }
            if let Some(f) = self.field(name, pos, v) {
                fields.push(f);
            }
        }
        fields
    }

    fn decision_options(&mut self, node: &Node) -> Vec<DecisionOption> {
        let Some(m) = self.map(node, "options") else { return Vec::new() };
        let mut out = Vec::new();
        for (k, v) in m.entries() {
            let name = k.as_str().to_string();
            let pos = yaml::span_pos(k.span());
            let ok = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !ok {
                self.err("bad_key", pos, format!("option name `{name}` must use lowercase letters, digits and _"));
                continue;
            }
            if RESERVED.contains(&name.as_str()) {
                self.err(
                    "reserved_option",
                    pos,
                    format!("`{name}` is a built-in decision; name the option otherwise (e.g. merge, convert)"),
                );
                continue;
            }
            let Some(mut om) = self.map(v, &format!("option `{name}`")) else { continue };
            let label = om.get("label").and_then(|n| self.label(n, "label"));
            let next = match om.get("next") {
                Some(n) => self.text(n, "next").map(|t| Spanned::new(t, yaml::pos(n))),
                None => {
                    self.err("missing_key", pos, format!("option `{name}` needs `next:` (the step it leads to)"));
                    None
                }
            };
            let fields = om.get("fields").map(|n| self.step_field_map(n, "fields")).unwrap_or_default();
            self.done(&om, OPTION_KEYS);
            if let Some(next) = next {
                out.push(DecisionOption { name, label, next, fields, pos });
            }
        }
        out
    }

    fn extension(&mut self, node: &Node) -> Option<Extension> {
        let mut m = self.map(node, "extension")?;
        let pos = m.pos();
        let max = match m.get("max") {
            Some(n) => self.number::<u32>(n, "max")?,
            None => 1,
        };
        if max == 0 {
            self.err("bad_value", m.key_pos("max").unwrap_or(pos), "`max:` must be at least 1");
        }
        let by = match m.get("by") {
            Some(n) => self.duration(n, "by"),
            None => {
                self.err("missing_key", pos, "`extension` needs `by:` (how much later, e.g. 30d)");
                None
            }
        };
        let notify = m.get("notify").map(|n| self.selectors(n, "notify")).unwrap_or_default();
        self.done(&m, EXTENSION_KEYS);
        Some(Extension { max, by: by?, notify, pos })
    }

    fn visits(&mut self, node: &Node) -> Option<Visits> {
        let mut m = self.map(node, "visits")?;
        let pos = m.pos();
        let max = match m.get("max") {
            Some(n) => self.number::<u32>(n, "max"),
            None => {
                self.err("missing_key", pos, "`visits` needs `max:` (how many times the step may run)");
                None
            }
        };
        if max == Some(0) {
            self.err("bad_value", m.key_pos("max").unwrap_or(pos), "`max:` must be at least 1");
        }
        let then = match m.get("then") {
            Some(n) => self.text(n, "then").map(|t| Spanned::new(t, yaml::pos(n))),
            None => {
                self.err("missing_key", pos, "`visits` needs `then:` (where to go once the step has run `max` times)");
                None
            }
        };
        self.done(&m, VISITS_KEYS);
        Some(Visits { max: max?, then: then?, pos })
    }
}
