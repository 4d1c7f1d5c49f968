//! The `steps:` section, selectors, `next`, joins, switches, reminders and escalation ladders.

use super::*;
use crate::catalog::{BodyKind, Level, Role};

const KINDS: &[&str] = &["approve", "acknowledge", "score", "notify", "parallel", "switch", "end"];

impl Reader<'_> {
    pub(crate) fn steps(&mut self, node: &Node) -> Vec<Step> {
        let Some(m) = self.map(node, "steps") else { return Vec::new() };
        let mut steps = Vec::new();
        for (i, (k, v)) in m.entries().enumerate() {
            let name = k.as_str().to_string();
            let pos = yaml::span_pos(k.span());
            if i >= MAX_STEPS {
                if i == MAX_STEPS {
                    self.err(
                        "too_many_steps",
                        pos,
                        format!("a definition has at most {MAX_STEPS} steps; `{name}` is step {}", i + 1),
                    );
                }
                self.broken.insert(name);
                continue;
            }
            match self.step(&name, pos, v) {
                Some(s) => steps.push(s),
                None => {
                    self.broken.insert(name);
                }
            }
        }
        steps
    }

    fn step(&mut self, name: &str, pos: Pos, node: &Node) -> Option<Step> {
        let mut m = self.map(node, &format!("step `{name}`"))?;
        let present: Vec<&str> = KINDS.iter().copied().filter(|k| m.node.get_node(k).is_some()).collect();
        let label = m.get("label").and_then(|n| self.label(n, "label"));
        let due = m.get("due").and_then(|n| self.duration(n, "due"));
        let remind = m.get("remind").map(|n| self.reminders(n)).unwrap_or_default();
        let escalate = match m.get("escalate") {
            Some(n) => {
                let rungs = self.rungs(n);
                if rungs.is_empty() && n.as_sequence().is_some_and(|s| s.is_empty()) {
                    self.err(
                        "escalation_no_rungs",
                        yaml::pos(n),
                        "`escalate:` has no rung: add `- { after: 3wd, to: … }` or remove it",
                    );
                }
                rungs
            }
            None => Vec::new(),
        };
        let clock_from = m.get("clock_from").and_then(|n| self.form_field_ref(n, "clock_from", "a date field"));
        let policies = m.get("policies").map(|n| self.policies(n)).unwrap_or_default();
        let next = m.get("next").map(|n| self.next(n)).unwrap_or_default();
        let decision = self.decision_spec(&mut m);
        let join_node = m.get("join");
        let kind = match present.as_slice() {
            [] => {
                self.err(
                    "missing_key",
                    pos,
                    format!("step `{name}` must say what it does: one of {}", KINDS.join(", ")),
                );
                None
            }
            [one] => {
                let n = m.get(one).expect("present");
                match *one {
                    "approve" => self.task(n, "approve").map(StepKind::Approve),
                    "acknowledge" => self.task(n, "acknowledge").map(StepKind::Acknowledge),
                    "score" => self.score(n).map(StepKind::Score),
                    "notify" => self.map(n, "notify").map(|mut nm| {
                        let who = nm.get("who").map(|w| self.selectors(w, "who")).unwrap_or_default();
                        if nm.node.get_node("who").is_none() {
                            self.err("missing_key", nm.pos(), "`notify` needs `who:`");
                        }
                        self.done(&nm, NOTIFY_KEYS);
                        StepKind::Notify { who }
                    }),
                    "parallel" => self.parallel(n, join_node, pos),
                    "switch" => self.switch(n),
                    _ => self
                        .choice(
                            n,
                            "end",
                            &[
                                ("approved", Outcome::Approved),
                                ("rejected", Outcome::Rejected),
                                ("withdrawn", Outcome::Withdrawn),
                                ("abandoned", Outcome::Abandoned),
                                ("merged", Outcome::Merged),
                                ("converted", Outcome::Converted),
                            ],
                        )
                        .map(StepKind::End),
                }
            }
            many => {
                self.err(
                    "bad_value",
                    pos,
                    format!("step `{name}` has {} but a step does one thing only", many.join(" and ")),
                );
                None
            }
        };
        if join_node.is_some()
            && !present.contains(&"parallel")
            && let Some(p) = m.key_pos("join")
        {
            self.err("unknown_key", p, "`join:` belongs to a `parallel` step");
        }
        self.done(&m, STEP_KEYS);
        Some(Step {
            name: name.to_string(),
            label,
            kind: kind?,
            due,
            remind,
            escalate,
            clock_from,
            policies,
            next,
            decision,
            pos,
        })
    }

    fn task(&mut self, node: &Node, what: &str) -> Option<TaskSpec> {
        let mut m = self.map(node, what)?;
        let pos = m.pos();
        let who = match m.get("who") {
            Some(n) => self.selectors(n, "who"),
            None => {
                self.err("missing_key", pos, format!("`{what}` needs `who:` (the reviewers)"));
                Vec::new()
            }
        };
        let quorum = m.get("quorum");
        let mode = match m.get("mode") {
            Some(n) => match self.text(n, "mode").as_deref() {
                Some("any") => Mode::Any,
                Some("all") => Mode::All,
                Some("sequence") if what == "approve" => Mode::Sequence,
                Some("quorum") if what == "approve" => match quorum {
                    Some(q) => self.quorum(q)?,
                    None => {
                        self.err("missing_key", yaml::pos(n), "`mode: quorum` needs `quorum: 2` or `quorum: 60%`");
                        return None;
                    }
                },
                Some(other) => {
                    let modes = if what == "approve" { "any, all, sequence, quorum" } else { "any, all" };
                    self.err("bad_value", yaml::pos(n), format!("`{other}` is not a mode of {what}: choose {modes}"));
                    return None;
                }
                None => return None,
            },
            None => Mode::Any,
        };
        if let (Some(q), false) = (quorum, matches!(mode, Mode::Quorum(_))) {
            self.err("bad_value", yaml::pos(q), "`quorum:` needs `mode: quorum`");
        }
        self.done(&m, TASK_KEYS);
        Some(TaskSpec { who, mode, pos })
    }

    /// `score: { who, criteria: [{ key, label, weight, max }], pass, recuse: [subject, same_division] }`.
    fn score(&mut self, node: &Node) -> Option<ScoreSpec> {
        let mut m = self.map(node, "score")?;
        let pos = m.pos();
        let who = match m.get("who") {
            Some(n) => self.selectors(n, "who"),
            None => {
                self.err("missing_key", pos, "`score` needs `who:` (the panel that scores)");
                Vec::new()
            }
        };
        let criteria = match m.get("criteria") {
            Some(n) => yaml::items(n).into_iter().filter_map(|c| self.criterion(c)).collect(),
            None => {
                self.err("missing_key", pos, "`score` needs `criteria:` ([{ key, label, weight, max }, …])");
                Vec::new()
            }
        };
        let pass = match m.get("pass") {
            Some(n) => match self.number::<f64>(n, "pass") {
                Some(p) if (0.0..=100.0).contains(&p) => Spanned::new(p, yaml::pos(n)),
                Some(p) => {
                    self.err("bad_value", yaml::pos(n), format!("`pass: {p}` is a weighted mean from 0 to 100"));
                    return None;
                }
                None => return None,
            },
            None => {
                self.err("missing_key", pos, "`score` needs `pass:` (the weighted mean, 0–100, that passes)");
                return None;
            }
        };
        let recuse = m
            .get("recuse")
            .map(|n| {
                yaml::items(n)
                    .into_iter()
                    .filter_map(|i| {
                        let r = self.choice(
                            i,
                            "recuse",
                            &[("subject", Recusal::Subject), ("same_division", Recusal::SameDivision)],
                        )?;
                        Some(Spanned::new(r, yaml::pos(i)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        self.done(&m, SCORE_KEYS);
        Some(ScoreSpec { task: TaskSpec { who, mode: Mode::All, pos }, criteria, pass, recuse })
    }

    fn criterion(&mut self, node: &Node) -> Option<Criterion> {
        let mut m = self.map(node, "a criterion")?;
        let pos = m.pos();
        let key = match m.get("key") {
            Some(n) => Spanned::new(self.text(n, "key")?, yaml::pos(n)),
            None => {
                self.err("missing_key", pos, "a criterion needs `key:` (e.g. conduct)");
                return None;
            }
        };
        let label = match m.get("label") {
            Some(n) => self.label(n, "label")?,
            None => {
                self.err("missing_key", pos, format!("criterion `{}` needs `label: {{ zh: …, en: … }}`", key.value));
                return None;
            }
        };
        let weight = m.get("weight");
        let weight = self.whole(weight, pos, &key.value, "weight");
        let max = m.get("max");
        let max = self.whole(max, pos, &key.value, "max");
        self.done(&m, CRITERION_KEYS);
        Some(Criterion { key, label, weight: weight?, max: max? })
    }

    /// A criterion's `weight:` or `max:`, a whole number.
    fn whole(&mut self, node: Option<&Node>, pos: Pos, key: &str, what: &str) -> Option<Spanned<u32>> {
        match node {
            Some(n) => self.number::<u32>(n, what).map(|v| Spanned::new(v, yaml::pos(n))),
            None => {
                self.err("missing_key", pos, format!("criterion `{key}` needs `{what}:` (a whole number)"));
                None
            }
        }
    }

    fn quorum(&mut self, node: &Node) -> Option<Mode> {
        let s = self.text(node, "quorum")?;
        let bad = |r: &mut Self| {
            r.err("bad_value", yaml::pos(node), format!("`{s}` is not a quorum: write a count (2) or a share (60%)"));
            None
        };
        match s.strip_suffix('%') {
            Some(p) => match p.trim().parse::<u32>() {
                Ok(p) if (1..=100).contains(&p) => Some(Mode::Quorum(Quorum::Percent(p))),
                _ => bad(self),
            },
            None => match s.parse::<u32>() {
                Ok(k) if k >= 1 => Some(Mode::Quorum(Quorum::Count(k))),
                _ => bad(self),
            },
        }
    }

    fn parallel(&mut self, node: &Node, join: Option<&Node>, pos: Pos) -> Option<StepKind> {
        let m = self.map(node, "parallel")?;
        let branches: Vec<(String, Spanned<StepName>)> = m
            .entries()
            .filter_map(|(k, v)| {
                let target = self.text(v, "a branch's first step")?;
                Some((k.as_str().to_string(), Spanned::new(target, yaml::pos(v))))
            })
            .collect();
        if branches.len() < 2 {
            self.err("bad_value", yaml::pos(node), "`parallel` needs at least two branches (name: first step)");
        }
        let join = match join {
            None => {
                self.err(
                    "missing_key",
                    pos,
                    "a `parallel` step needs `join:` (all, any, { k: N } or { decides: A, waits_for: [B] })",
                );
                return None;
            }
            Some(j) => self.join(j)?,
        };
        Some(StepKind::Parallel { branches, join })
    }

    fn join(&mut self, node: &Node) -> Option<Spanned<Join>> {
        let pos = yaml::pos(node);
        let join = match node {
            Node::Scalar(s) => {
                match s.as_str() {
                    "all" => Join::All,
                    "any" => Join::Any,
                    other => {
                        self.err("bad_value", pos, format!("`{other}` is not a join: write all, any, {{ k: N }} or {{ decides: A, waits_for: [B] }}"));
                        return None;
                    }
                }
            }
            _ => {
                let mut m = self.map(node, "join")?;
                let k = m.get("k");
                let decides = m.get("decides");
                let waits = m.get("waits_for");
                let j = match (k, decides) {
                    (Some(k), None) => {
                        let n: u32 = self.number(k, "k")?;
                        if n == 0 {
                            self.err("bad_value", yaml::pos(k), "`k` must be at least 1");
                        }
                        Join::Count(n)
                    }
                    (None, Some(d)) => {
                        let decides = Spanned::new(self.text(d, "decides")?, yaml::pos(d));
                        let waits_for = waits
                            .map(|w| {
                                yaml::items(w)
                                    .into_iter()
                                    .filter_map(|i| self.text(i, "waits_for").map(|t| Spanned::new(t, yaml::pos(i))))
                                    .collect()
                            })
                            .unwrap_or_default();
                        Join::Decides { decides, waits_for }
                    }
                    _ => {
                        self.err("bad_value", pos, "a join mapping is { k: N } or { decides: A, waits_for: [B] }");
                        return None;
                    }
                };
                self.done(&m, JOIN_KEYS);
                j
            }
        };
        Some(Spanned::new(join, pos))
    }

    fn switch(&mut self, node: &Node) -> Option<StepKind> {
        let m = self.map(node, "switch")?;
        let mut cases = Vec::new();
        let mut default = None;
        for (k, v) in m.entries() {
            let Some(target) = self.text(v, "a switch target") else { continue };
            let target = Spanned::new(target, yaml::pos(v));
            if k.as_str() == "else" {
                default = Some(target);
            } else {
                let pos = yaml::inner_pos(&self.src, k);
                match Expr::parse(k.as_str(), pos) {
                    Ok(e) => cases.push((e, target)),
                    Err(d) => self.diags.push(d),
                }
            }
        }
        Some(StepKind::Switch { cases, default })
    }

    pub(crate) fn next(&mut self, node: &Node) -> Next {
        match node {
            Node::Scalar(s) => Next::Always(Spanned::new(s.as_str().to_string(), yaml::pos(node))),
            _ => {
                let Some(mut m) = self.map(node, "next") else { return Next::None };
                let target = |r: &mut Self, n: Option<&Node>, what: &str| {
                    n.and_then(|n| r.text(n, what).map(|t| Spanned::new(t, yaml::pos(n))))
                };
                let approve_node = m.get("approve");
                let reject_node = m.get("reject");
                let return_node = m.get("return");
                let approve = target(self, approve_node, "approve");
                let reject = target(self, reject_node, "reject");
                let ret = target(self, return_node, "return").map(|t| {
                    let v = if t.value == "submitter" { ReturnTarget::Submitter } else { ReturnTarget::Step(t.value) };
                    Spanned::new(v, t.pos)
                });
                self.done(&m, NEXT_KEYS);
                Next::On { approve, reject, ret }
            }
        }
    }

    fn reminders(&mut self, node: &Node) -> Vec<Spanned<Reminder>> {
        let mut out = Vec::new();
        for item in yaml::items(node) {
            let Some(s) = self.text(item, "remind") else { continue };
            let pos = yaml::pos(item);
            match s.strip_suffix('%') {
                Some(p) => match p.trim().parse::<u32>() {
                    Ok(p) if p >= 1 => out.push(Spanned::new(Reminder::Percent(p), pos)),
                    _ => self.err("bad_value", pos, format!("`{s}` is not a share of the due time: write e.g. 50%")),
                },
                None => {
                    if let Some(d) = self.duration(item, "remind") {
                        out.push(Spanned::new(Reminder::After(d.value), pos));
                    }
                }
            }
        }
        out
    }

    fn rungs(&mut self, node: &Node) -> Vec<Rung> {
        let mut out = Vec::new();
        for item in yaml::items(node) {
            let Some(mut m) = self.map(item, "an escalation rung") else { continue };
            let pos = m.pos();
            let after = match m.get("after") {
                Some(n) => self.duration(n, "after"),
                None => {
                    self.err("missing_key", pos, "a rung needs `after:` (e.g. 5wd)");
                    None
                }
            };
            let mut to = m.get("to").map(|n| self.selectors(n, "to")).unwrap_or_default();
            let notified = m.get("notify").map(|n| self.selectors(n, "notify"));
            let action = m.get("action").and_then(|n| {
                self.choice(
                    n,
                    "action",
                    &[("approve", AutoAction::Approve), ("reject", AutoAction::Reject), ("skip", AutoAction::Skip)],
                )
            });
            let has_to = m.node.get_node("to").is_some();
            let has_action = m.node.get_node("action").is_some();
            let notify_only = notified.is_some();
            if usize::from(has_to) + usize::from(has_action) + usize::from(notify_only) != 1 {
                self.err(
                    "bad_value",
                    pos,
                    "a rung has one of `to:` (who takes over), `notify:` (who is told, the task stays) or `action:` (approve, reject or skip)",
                );
            }
            if let Some(n) = notified {
                to = n;
            }
            self.done(&m, RUNG_KEYS);
            if let Some(after) = after {
                out.push(Rung { after, to, action, notify_only, pos });
            }
        }
        out
    }

    /// One selector or a list of them.
    pub(crate) fn selectors(&mut self, node: &Node, what: &str) -> Vec<Selector> {
        yaml::items(node).into_iter().filter_map(|n| self.selector(n, what)).collect()
    }

    fn selector(&mut self, node: &Node, what: &str) -> Option<Selector> {
        let pos = yaml::pos(node);
        if let Node::Scalar(s) = node {
            if s.as_str() == "submitter" {
                return Some(Selector { kind: SelectorKind::Submitter, pos });
            }
            self.err("wrong_type", pos, format!("`{}` is not a selector: write {{ body: …, roles: […] }}, {{ liaison_of: … }}, {{ person: … }} or submitter", s.as_str()));
            return None;
        }
        let mut m = self.map(node, what)?;
        let kinds: Vec<&str> = ["body", "liaison_of", "up_until", "person", "field"]
            .into_iter()
            .filter(|k| m.node.get_node(k).is_some())
            .collect();
        let kind = match kinds.as_slice() {
            ["body"] => {
                let body_node = m.get("body").expect("present");
                let body = self.body_kind(body_node)?;
                let roles = m.get("roles").map(|n| self.roles(n, Some(body))).unwrap_or_default();
                let of = match m.get("of") {
                    Some(n) => self.scope(n)?,
                    // A body kind that exists at school level means the school's by default.
                    None if body.levels().contains(&Level::School) => ScopeRef::School,
                    None if body.levels().contains(&Level::Department) => ScopeRef::SubmitterDepartment,
                    None => ScopeRef::SubmitterClass,
                };
                let code = m.get("code").and_then(|n| self.text(n, "code"));
                let division = m.get("division").and_then(|n| self.text(n, "division"));
                if let (Some(d), Some(n)) = (&division, m.node.get_node("division"))
                    && !crate::catalog::DIVISIONS.iter().any(|(c, _, _)| c == d)
                {
                    let names: Vec<&str> = crate::catalog::DIVISIONS.iter().map(|d| d.0).collect();
                    self.err("bad_value", yaml::pos(n), format!("`{d}` is not a work division: {}", names.join(", ")));
                }
                SelectorKind::Body { body, roles, of, code, division }
            }
            ["liaison_of"] => SelectorKind::LiaisonOf(self.scope(m.get("liaison_of").expect("present"))?),
            ["up_until"] => {
                let n = m.get("up_until").expect("present");
                let mut um = self.map(n, "up_until")?;
                let roles = um.get("roles").map(|r| self.roles(r, None)).unwrap_or_default();
                let bodies: Vec<BodyKind> = um
                    .get("bodies")
                    .map(|b| yaml::items(b).into_iter().filter_map(|i| self.body_kind(i)).collect())
                    .unwrap_or_default();
                let from = match um.get("from") {
                    Some(f) => self.scope(f)?,
                    None => ScopeRef::SubmitterClass,
                };
                if roles.is_empty() {
                    self.err("missing_key", um.pos(), "`up_until` needs `roles:` (where the climb stops)");
                }
                self.done(&um, UP_UNTIL_KEYS);
                SelectorKind::UpUntil { from, bodies, roles }
            }
            ["person"] => SelectorKind::Person(self.text(m.get("person").expect("present"), "person")?),
            ["field"] => {
                let n = m.get("field").expect("present");
                let s = self.text(n, "field")?;
                match s.strip_prefix("form.") {
                    Some(f) => SelectorKind::Field(f.to_string()),
                    None => {
                        self.err(
                            "bad_value",
                            yaml::pos(n),
                            format!("`field:` names a form field as form.<field>, found `{s}`"),
                        );
                        return None;
                    }
                }
            }
            [] => {
                self.err("missing_key", pos, "a selector needs one of body, liaison_of, up_until, person, field");
                return None;
            }
            many => {
                self.err(
                    "bad_value",
                    pos,
                    format!(
                        "a selector has one of body, liaison_of, up_until, person, field — not {}",
                        many.join(" and ")
                    ),
                );
                return None;
            }
        };
        let allowed: &[&str] = match kind {
            SelectorKind::Body { .. } => &["body", "of", "roles", "code", "division"],
            SelectorKind::LiaisonOf(_) => &["liaison_of"],
            SelectorKind::UpUntil { .. } => &["up_until"],
            SelectorKind::Person(_) => &["person"],
            SelectorKind::Field(_) => &["field"],
            SelectorKind::Submitter => &[],
        };
        for (k, _) in m.entries() {
            if SELECTOR_KEYS.contains(&k.as_str()) && !allowed.contains(&k.as_str()) {
                self.err(
                    "unknown_key",
                    yaml::span_pos(k.span()),
                    format!("`{}` does not go with this kind of selector", k.as_str()),
                );
            }
        }
        self.done(&m, SELECTOR_KEYS);
        Some(Selector { kind, pos })
    }

    fn body_kind(&mut self, node: &Node) -> Option<BodyKind> {
        let s = self.text(node, "body")?;
        BodyKind::parse(&s).or_else(|| {
            let all: Vec<&str> = BodyKind::ALL.iter().map(|b| b.as_str()).collect();
            let hint = yaml::closest(&s, &all)
                .map(|h| format!("did you mean `{h}`?"))
                .unwrap_or_else(|| format!("known: {}", all.join(", ")));
            self.err("unknown_body_kind", yaml::pos(node), format!("`{s}` is not a body kind; {hint}"));
            None
        })
    }

    fn roles(&mut self, node: &Node, body: Option<BodyKind>) -> Vec<Role> {
        let mut out = Vec::new();
        for item in yaml::items(node) {
            let Some(s) = self.text(item, "role") else { continue };
            match Role::parse(&s) {
                Some(r) => {
                    if let Some(b) = body
                        && !b.allows(r)
                    {
                        let ok: Vec<&str> = b.roles().iter().map(|r| r.as_str()).collect();
                        self.err(
                            "role_not_in_body",
                            yaml::pos(item),
                            format!("a {b} has no `{s}`; its roles are {}", ok.join(", ")),
                        );
                    }
                    out.push(r);
                }
                None => {
                    let all: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                    let hint = yaml::closest(&s, &all)
                        .map(|h| format!("did you mean `{h}`?"))
                        .unwrap_or_else(|| format!("known: {}", all.join(", ")));
                    self.err("unknown_role", yaml::pos(item), format!("`{s}` is not a role; {hint}"));
                }
            }
        }
        out
    }

    fn scope(&mut self, node: &Node) -> Option<ScopeRef> {
        let s = self.text(node, "of")?;
        match s.as_str() {
            "submitter.class" => Some(ScopeRef::SubmitterClass),
            "submitter.department" => Some(ScopeRef::SubmitterDepartment),
            "submitter.su" => Some(ScopeRef::SubmitterSu),
            "school" => Some(ScopeRef::School),
            other => match other.strip_prefix("form.") {
                Some(f) => Some(ScopeRef::Field(f.to_string())),
                None => {
                    self.err("bad_value", yaml::pos(node), format!("`{other}` is not a scope: write submitter.class, submitter.department, submitter.su, school or form.<field>"));
                    None
                }
            },
        }
    }
}
