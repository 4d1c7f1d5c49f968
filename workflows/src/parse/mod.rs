//! YAML text → [`Definition`], reporting every problem at once with its `line:col`.
//!
//! The parser is lenient: after a problem it keeps going, so one run shows them all. A step whose
//! body cannot be built is left out and named in `broken_steps`, so the validator does not report
//! references to it as unknown.

pub use decision::{EXTENSION_KEYS, OPTION_KEYS, VISITS_KEYS};
pub use guards::{GUARD_KEYS, GUARD_OVERRIDE_KEYS};
mod decision;
mod form;
mod guards;
mod records;
mod steps;

use crate::catalog::Label;
use crate::diag::{Diagnostic, Pos};
use crate::duration::DurationSpec;
use crate::expr::Expr;
use crate::model::*;
use crate::yaml::{self, Map};
use marked_yaml::Node;
use std::collections::BTreeSet;

/// The most steps a definition may have (`too_many_steps`, at the first step over). The largest
/// built-in definition has 11. The validator walks the graph from every step that returns and
/// from every automatic step, so the bound keeps a hostile definition cheap to check: before it, a
/// chain of 4,000 steps each returning to the first took minutes. Steps past the bound are not
/// read; they count as existing, so references to them are not reported as unknown.
pub const MAX_STEPS: usize = 200;

/// The most form fields a definition may have (`too_many_fields`, at the first field over); the
/// fields past it are not read. Every condition looks up the fields it names among the form's.
pub const MAX_FIELDS: usize = 200;

/// Keys of the top level.
pub const TOP_KEYS: &[&str] = &[
    "key",
    "version",
    "name",
    "description",
    "title",
    "submitters",
    "form",
    "visibility",
    "lead_time",
    "report_within",
    "follow_ups",
    "guards",
    "policies",
    "start",
    "steps",
    "records",
];
/// Keys of a step.
pub const STEP_KEYS: &[&str] = &[
    "label",
    "approve",
    "acknowledge",
    "score",
    "notify",
    "parallel",
    "join",
    "switch",
    "end",
    "due",
    "remind",
    "escalate",
    "policies",
    "next",
    "clock_from",
    "fields",
    "options",
    "extension",
    "comment_required",
    "comment_label",
    "visits",
];
/// Keys of `approve:` / `acknowledge:`.
pub const TASK_KEYS: &[&str] = &["who", "mode", "quorum"];
/// Keys of `score:`.
pub const SCORE_KEYS: &[&str] = &["who", "criteria", "pass", "recuse"];
/// Keys of a criterion of `score:`.
pub const CRITERION_KEYS: &[&str] = &["key", "label", "weight", "max"];
/// Keys of `notify:`.
pub const NOTIFY_KEYS: &[&str] = &["who"];
/// Keys of a form field.
pub const FIELD_KEYS: &[&str] =
    &["type", "required", "label", "max", "min", "of", "labels", "multi", "computed", "columns"];
/// Keys of a `records:` item.
pub const RECORD_KEYS: &[&str] = &["when", "kind", "if", "fields"];
/// Keys of a mapped record value (`{ from: form.x, map: {…} }`).
pub const MAP_KEYS: &[&str] = &["from", "map"];
/// Keys of a selector.
pub const SELECTOR_KEYS: &[&str] =
    &["body", "of", "roles", "code", "division", "liaison_of", "up_until", "person", "field"];
/// Keys of `up_until:`.
pub const UP_UNTIL_KEYS: &[&str] = &["roles", "bodies", "from"];
/// Keys of an escalation rung.
pub const RUNG_KEYS: &[&str] = &["after", "to", "notify", "action"];
/// Keys of a mapping `join:`.
pub const JOIN_KEYS: &[&str] = &["k", "decides", "waits_for"];
/// Keys of a mapping `next:`.
pub const NEXT_KEYS: &[&str] = &["approve", "reject", "return"];
/// Keys of `policies:`.
pub const POLICY_KEYS: &[&str] = &["empty_assignee", "self_approval", "dedupe"];
/// Keys of `lead_time:`.
pub const LEAD_TIME_KEYS: &[&str] = &["before", "at_least", "when", "else"];
/// Keys of `report_within:`.
pub const REPORT_WITHIN_KEYS: &[&str] = &["after", "within", "when", "else"];
/// Keys of `follow_ups:`.
pub const FOLLOW_UPS_KEYS: &[&str] = &["who"];
/// Keys of `visibility:`.
pub const VISIBILITY_KEYS: &[&str] = &["need_to_know"];
/// Keys of a label.
pub const LABEL_KEYS: &[&str] = &["zh", "en"];

/// What the parser found.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// The definition, when its outline could be read at all.
    pub definition: Option<Definition>,
    /// Every problem, in the order found.
    pub diagnostics: Vec<Diagnostic>,
    /// Steps that exist but could not be built.
    pub broken_steps: BTreeSet<String>,
}

/// Parses one definition file.
pub fn parse_definition(source: &str) -> Parsed {
    let mut p = Reader { src: yaml::Chars::new(source), diags: Vec::new(), broken: BTreeSet::new() };
    let definition = match yaml::load(source) {
        Ok(root) => p.definition(&root),
        Err(d) => {
            p.diags.push(d);
            None
        }
    };
    Parsed { definition, diagnostics: p.diags, broken_steps: p.broken }
}

/// The parser's state: the source and what it has found so far.
pub(crate) struct Reader<'s> {
    /// The source, indexed by character (for [`yaml::inner_pos`]).
    pub(crate) src: yaml::Chars<'s>,
    pub(crate) diags: Vec<Diagnostic>,
    pub(crate) broken: BTreeSet<String>,
}

impl Reader<'_> {
    pub(crate) fn err(&mut self, code: &'static str, pos: Pos, msg: impl Into<String>) {
        self.diags.push(Diagnostic::error(code, pos, msg));
    }

    /// A cursor over a mapping, or a recorded `wrong_type`.
    pub(crate) fn map<'n>(&mut self, node: &'n Node, what: &str) -> Option<Map<'n>> {
        Map::of(node, what).map_err(|d| self.diags.push(d)).ok()
    }

    /// A scalar's text, or a recorded `wrong_type`.
    pub(crate) fn text(&mut self, node: &Node, what: &str) -> Option<String> {
        yaml::scalar(node, what).map(|s| s.as_str().to_string()).map_err(|d| self.diags.push(d)).ok()
    }

    pub(crate) fn done(&mut self, m: &Map, allowed: &[&str]) {
        m.unknown_keys(allowed, &mut self.diags);
    }

    pub(crate) fn bool(&mut self, node: &Node, what: &str) -> Option<bool> {
        let s = self.text(node, what)?;
        match s.as_str() {
            "true" | "yes" => Some(true),
            "false" | "no" => Some(false),
            _ => {
                self.err("wrong_type", yaml::pos(node), format!("{what} must be true or false, found `{s}`"));
                None
            }
        }
    }

    pub(crate) fn number<T: std::str::FromStr>(&mut self, node: &Node, what: &str) -> Option<T> {
        let s = self.text(node, what)?;
        s.parse()
            .map_err(|_| self.err("wrong_type", yaml::pos(node), format!("{what} must be a number, found `{s}`")))
            .ok()
    }

    pub(crate) fn duration(&mut self, node: &Node, what: &str) -> Option<Spanned<DurationSpec>> {
        let s = self.text(node, what)?;
        match DurationSpec::parse(&s) {
            Ok(d) => Some(Spanned::new(d, yaml::pos(node))),
            Err(e) => {
                self.err("bad_duration", yaml::pos(node), format!("{what}: {e}"));
                None
            }
        }
    }

    pub(crate) fn expr(&mut self, node: &Node, what: &str) -> Option<Expr> {
        let s = yaml::scalar(node, what).map_err(|d| self.diags.push(d)).ok()?;
        let pos = yaml::inner_pos(&self.src, s);
        Expr::parse(s.as_str(), pos).map_err(|d| self.diags.push(d)).ok()
    }

    /// `{ zh, en }` or a plain string (zh); warns when zh-CN is missing.
    pub(crate) fn label(&mut self, node: &Node, what: &str) -> Option<Label> {
        let pos = yaml::pos(node);
        let label = match node {
            Node::Scalar(s) => Label::new(s.as_str(), ""),
            Node::Mapping(_) => {
                let mut m = self.map(node, what)?;
                let zh = m.get("zh").and_then(|n| self.text(n, "zh")).unwrap_or_default();
                let en = m.get("en").and_then(|n| self.text(n, "en")).unwrap_or_default();
                self.done(&m, LABEL_KEYS);
                Label::new(zh, en)
            }
            Node::Sequence(_) => {
                self.err("wrong_type", pos, format!("{what} must be {{ zh: …, en: … }} or a text"));
                return None;
            }
        };
        if label.zh.trim().is_empty() {
            self.diags.push(Diagnostic::warning(
                "missing_zh_label",
                pos,
                format!("{what} has no zh-CN text (zh: …); zh-CN is the default language"),
            ));
        }
        Some(label)
    }

    fn definition(&mut self, root: &Node) -> Option<Definition> {
        let mut m = self.map(root, "a workflow definition")?;
        let pos = m.node.keys().next().map_or(Pos::new(1, 1), |k| yaml::span_pos(k.span()));
        let key = match m.get("key") {
            Some(n) => {
                let k = self.text(n, "key").unwrap_or_default();
                let ok = k.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                    && k.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                if !ok {
                    self.err(
                        "bad_key",
                        yaml::pos(n),
                        format!(
                            "`{k}` is not a valid key: use lowercase letters, digits and _, starting with a letter"
                        ),
                    );
                }
                k
            }
            None => {
                self.err("missing_key", pos, "`key:` is missing (the workflow's stable identifier)");
                String::new()
            }
        };
        let version = match m.get("version") {
            Some(n) => {
                let v = self.text(n, "version").unwrap_or_default();
                match v.parse::<u32>() {
                    Ok(v) if v >= 1 => v,
                    _ => {
                        self.err(
                            "bad_version",
                            yaml::pos(n),
                            format!("`{v}` is not a version: write a whole number from 1"),
                        );
                        1
                    }
                }
            }
            None => {
                self.err("missing_key", pos, "`version:` is missing (1 for a new workflow)");
                1
            }
        };
        let name = match m.get("name") {
            Some(n) => self.label(n, "name").unwrap_or_default(),
            None => {
                self.err("missing_key", pos, "`name:` is missing ({ zh: …, en: … })");
                Label::default()
            }
        };
        let description = m.get("description").and_then(|n| self.label(n, "description"));
        let title = m.get("title").and_then(|n| self.text(n, "title"));
        let submitters = m.get("submitters").map(|n| self.selectors(n, "submitters")).unwrap_or_default();
        let form = m.get("form").map(|n| self.form(n)).unwrap_or_default();
        let visibility = m.get("visibility").map(|n| self.visibility(n)).unwrap_or_default();
        let lead_time = m
            .get("lead_time")
            .map(|n| yaml::items(n).into_iter().filter_map(|i| self.lead_time(i)).collect())
            .unwrap_or_default();
        let report_within = m
            .get("report_within")
            .map(|n| yaml::items(n).into_iter().filter_map(|i| self.report_within(i)).collect())
            .unwrap_or_default();
        let follow_ups = m.get("follow_ups").and_then(|n| self.follow_ups(n));
        let guards = m.get("guards").map(|n| self.guards(n)).unwrap_or_default();
        let policies = m.get("policies").map(|n| self.policies(n).apply(Policies::default())).unwrap_or_default();
        let start = match m.get("start") {
            Some(n) => self.text(n, "start").map(|s| Spanned::new(s, yaml::pos(n))),
            None => {
                self.err("missing_key", pos, "`start:` is missing (the name of the first step)");
                None
            }
        };
        let steps = match m.get("steps") {
            Some(n) => self.steps(n),
            None => {
                self.err("missing_key", pos, "`steps:` is missing");
                Vec::new()
            }
        };
        let records = m.get("records").map(|n| self.records(n)).unwrap_or_default();
        self.done(&m, TOP_KEYS);
        Some(Definition {
            key,
            version,
            name,
            description,
            submitters,
            form,
            visibility,
            lead_time,
            report_within,
            follow_ups,
            guards,
            policies,
            title,
            start: start.unwrap_or_else(|| Spanned::new(String::new(), pos)),
            steps,
            records,
            pos,
        })
    }

    fn visibility(&mut self, node: &Node) -> Visibility {
        let Some(mut m) = self.map(node, "visibility") else { return Visibility::Normal };
        let v = match m.get("need_to_know") {
            Some(n) => match n.as_scalar().map(|s| s.as_str()) {
                Some("true") => Visibility::NeedToKnow,
                Some("false") => Visibility::Normal,
                _ => self.expr(n, "need_to_know").map_or(Visibility::NeedToKnow, Visibility::NeedToKnowWhen),
            },
            None => Visibility::Normal,
        };
        self.done(&m, VISIBILITY_KEYS);
        v
    }

    fn lead_time(&mut self, node: &Node) -> Option<LeadTime> {
        let mut m = self.map(node, "lead_time")?;
        let pos = m.pos();
        let before = match m.get("before") {
            Some(n) => self.form_field_ref(n, "before", "a date field")?,
            None => {
                self.err("missing_key", pos, "`lead_time` needs `before: form.<date field>`");
                return None;
            }
        };
        let at_least = match m.get("at_least") {
            Some(n) => self.duration(n, "at_least")?,
            None => {
                self.err("missing_key", pos, "`lead_time` needs `at_least:` (e.g. 10wd)");
                return None;
            }
        };
        let when = m.get("when").and_then(|n| self.expr(n, "when"));
        let otherwise = self.warn_or_block(m.get("else"));
        self.done(&m, LEAD_TIME_KEYS);
        Some(LeadTime { before, at_least, when, otherwise, pos })
    }

    /// `report_within: { after: form.<date or datetime>, within: 2h, when: …, else: warn | block }`.
    fn report_within(&mut self, node: &Node) -> Option<ReportWithin> {
        let mut m = self.map(node, "report_within")?;
        let pos = m.pos();
        let after = match m.get("after") {
            Some(n) => self.form_field_ref(n, "after", "a date or date-time field")?,
            None => {
                self.err("missing_key", pos, "`report_within` needs `after: form.<date-time field>`");
                return None;
            }
        };
        let within = match m.get("within") {
            Some(n) => self.duration(n, "within")?,
            None => {
                self.err("missing_key", pos, "`report_within` needs `within:` (e.g. 2h)");
                return None;
            }
        };
        let when = m.get("when").and_then(|n| self.expr(n, "when"));
        let otherwise = self.warn_or_block(m.get("else"));
        self.done(&m, REPORT_WITHIN_KEYS);
        Some(ReportWithin { after, within, when, otherwise, pos })
    }

    /// `follow_ups: true` (the submitter) or `follow_ups: { who: [selectors] }` (and these people).
    fn follow_ups(&mut self, node: &Node) -> Option<FollowUps> {
        let pos = yaml::pos(node);
        if let Some(s) = node.as_scalar() {
            return match s.as_str() {
                "true" => Some(FollowUps { who: Vec::new(), pos }),
                "false" => None,
                other => {
                    self.err(
                        "bad_value",
                        pos,
                        format!("`follow_ups:` is true, false or {{ who: [selectors] }}, found `{other}`"),
                    );
                    None
                }
            };
        }
        let mut m = self.map(node, "follow_ups")?;
        let who = m.get("who").map(|n| self.selectors(n, "who")).unwrap_or_default();
        self.done(&m, FOLLOW_UPS_KEYS);
        Some(FollowUps { who, pos })
    }

    pub(crate) fn policies(&mut self, node: &Node) -> PolicyOverrides {
        let Some(mut m) = self.map(node, "policies") else { return PolicyOverrides::default() };
        let mut o = PolicyOverrides::default();
        if let Some(n) = m.get("empty_assignee") {
            o.empty_assignee = self.choice(
                n,
                "empty_assignee",
                &[
                    ("skip", EmptyAssignee::Skip),
                    ("admin", EmptyAssignee::Admin),
                    ("escalate", EmptyAssignee::Escalate),
                ],
            );
        }
        if let Some(n) = m.get("self_approval") {
            o.self_approval = self.choice(
                n,
                "self_approval",
                &[
                    ("allow", SelfApproval::Allow),
                    ("skip", SelfApproval::Skip),
                    ("auto_approve", SelfApproval::AutoApprove),
                    ("forbid", SelfApproval::Forbid),
                ],
            );
        }
        if let Some(n) = m.get("dedupe") {
            o.dedupe = self.bool(n, "dedupe");
        }
        self.done(&m, POLICY_KEYS);
        o
    }

    /// One of a fixed set of words.
    /// `key: form.<field>`: the field a timing rule reads (`lead_time.before`,
    /// `report_within.after`, a step's `clock_from`), `kind` saying what it must be.
    pub(crate) fn form_field_ref(&mut self, n: &Node, key: &str, kind: &str) -> Option<Spanned<String>> {
        let s = self.text(n, key)?;
        match s.strip_prefix("form.") {
            Some(f) => Some(Spanned::new(f.to_string(), yaml::pos(n))),
            None => {
                self.err("bad_value", yaml::pos(n), format!("`{key}:` must name {kind} as form.<field>, found `{s}`"));
                None
            }
        }
    }

    /// A timing rule's `else: warn | block` (absent or wrong: warn, the wrong word reported).
    fn warn_or_block(&mut self, n: Option<&Node>) -> LeadTimeAction {
        n.and_then(|n| self.choice(n, "else", &[("warn", LeadTimeAction::Warn), ("block", LeadTimeAction::Block)]))
            .unwrap_or(LeadTimeAction::Warn)
    }

    pub(crate) fn choice<T: Copy>(&mut self, node: &Node, what: &str, options: &[(&str, T)]) -> Option<T> {
        let s = self.text(node, what)?;
        match options.iter().find(|(w, _)| *w == s) {
            Some((_, v)) => Some(*v),
            None => {
                let words: Vec<&str> = options.iter().map(|(w, _)| *w).collect();
                self.err(
                    "bad_value",
                    yaml::pos(node),
                    format!("`{s}` is not allowed for {what}: choose {}", words.join(", ")),
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests;
