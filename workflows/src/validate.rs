//! Static checks of a parsed definition (the graph, joins, ladders, expressions, form references),
//! and `check_source`: parse + validate, every diagnostic at once, sorted by position.

use crate::diag::{Diagnostic, Severity, has_errors};
use crate::model::*;
use crate::parse::parse_definition;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

/// A checked definition: the definition when it has no error, and every diagnostic.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The definition, only when there is no error.
    pub definition: Option<Definition>,
    /// Every diagnostic, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses and validates a definition file.
pub fn check_source(source: &str) -> Checked {
    let parsed = parse_definition(source);
    let mut diags = parsed.diagnostics;
    if let Some(def) = &parsed.definition {
        diags.extend(validate(def, &parsed.broken_steps));
    }
    diags.sort_by(|a, b| (a.pos, a.severity, a.code).cmp(&(b.pos, b.severity, b.code)));
    diags.dedup();
    let definition = if has_errors(&diags) { None } else { parsed.definition };
    Checked { definition, diagnostics: diags }
}

/// The static checks; `broken` names steps the parser could not build (not reported as unknown).
pub fn validate(def: &Definition, broken: &BTreeSet<String>) -> Vec<Diagnostic> {
    let mut index = HashMap::new();
    for (i, s) in def.steps.iter().enumerate() {
        index.entry(s.name.as_str()).or_insert(i);
    }
    let mut v = Validator { def, broken, index, hints: MAX_HINTS, out: Vec::new() };
    v.references();
    v.reachability();
    v.joins();
    v.cycles();
    v.returns();
    v.timers();
    v.expressions();
    v.selectors();
    v.decisions();
    v.records();
    v.scores();
    v.out
}

/// How many `unknown_step` diagnostics get a "did you mean" hint: each compares the name with
/// every step's, which only a hostile definition would ask for thousands of times.
const MAX_HINTS: usize = 50;

/// The most characters of step names an `unknown_step` diagnostic lists when no name is close.
const MAX_LISTED: usize = 400;

struct Validator<'a> {
    def: &'a Definition,
    broken: &'a BTreeSet<String>,
    /// The index of each step in `def.steps` by name (the first of a name, as [`Definition::step`]),
    /// so that looking a step up does not read the list of steps.
    index: HashMap<&'a str, usize>,
    /// How many more `unknown_step` diagnostics may look for a close name ([`MAX_HINTS`]).
    hints: usize,
    out: Vec<Diagnostic>,
}

/// The forward edges of a step (not returns), with where each is written.
fn edges(step: &Step) -> Vec<&Spanned<StepName>> {
    let mut e: Vec<&Spanned<StepName>> = Vec::new();
    match &step.next {
        Next::None => {}
        Next::Always(t) => e.push(t),
        Next::On { approve, reject, .. } => e.extend(approve.iter().chain(reject.iter())),
    }
    match &step.kind {
        StepKind::Parallel { branches, .. } => e.extend(branches.iter().map(|(_, s)| s)),
        StepKind::Switch { cases, default } => e.extend(cases.iter().map(|(_, t)| t).chain(default.iter())),
        _ => {}
    }
    e.extend(decision::edges(step));
    e
}

impl<'a> Validator<'a> {
    /// The step called `name` (as [`Definition::step`], without reading the list).
    fn step(&self, name: &str) -> Option<&'a Step> {
        self.index.get(name).map(|&i| &self.def.steps[i])
    }

    fn exists(&self, name: &str) -> bool {
        self.step(name).is_some() || self.broken.contains(name)
    }

    fn unknown(&mut self, t: &Spanned<StepName>) {
        if !self.exists(&t.value) {
            let names: Vec<&str> = self.def.steps.iter().map(|s| s.name.as_str()).collect();
            let close = if self.hints > 0 {
                self.hints -= 1;
                crate::yaml::closest(&t.value, &names)
            } else {
                None
            };
            let hint = match close {
                Some(h) => format!("; did you mean `{h}`?"),
                None => {
                    let mut listed = String::new();
                    for (i, name) in names.iter().enumerate() {
                        if listed.chars().count() + name.chars().count() > MAX_LISTED {
                            listed.push_str(&format!(" … ({} steps)", names.len()));
                            break;
                        }
                        if i > 0 {
                            listed.push_str(", ");
                        }
                        listed.push_str(name);
                    }
                    format!("; steps: {listed}")
                }
            };
            self.out.push(Diagnostic::error("unknown_step", t.pos, format!("there is no step `{}`{hint}", t.value)));
        }
    }

    fn references(&mut self) {
        let def = self.def;
        if !def.start.value.is_empty() {
            self.unknown(&def.start);
        }
        for step in &def.steps {
            for t in edges(step) {
                self.unknown(t);
            }
            if let Next::On { ret: Some(r), .. } = &step.next
                && let ReturnTarget::Step(s) = &r.value
            {
                self.unknown(&Spanned::new(s.clone(), r.pos));
            }
            if matches!(step.kind, StepKind::End(_)) && step.next != Next::None {
                self.out.push(Diagnostic::error(
                    "next_on_end",
                    step.pos,
                    format!("`{}` is an end step; it cannot have `next:`", step.name),
                ));
            }
        }
    }

    fn reachable_from(&self, start: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::from([start.to_string()]);
        while let Some(n) = queue.pop_front() {
            if !seen.insert(n.clone()) {
                continue;
            }
            if let Some(s) = self.step(&n) {
                queue.extend(edges(s).into_iter().map(|t| t.value.clone()));
            }
        }
        seen
    }

    fn reachability(&mut self) {
        let def = self.def;
        if self.step(&def.start.value).is_none() {
            return;
        }
        let reached = self.reachable_from(&def.start.value);
        for step in &def.steps {
            if !reached.contains(&step.name) {
                self.out.push(Diagnostic::warning(
                    "unreachable_step",
                    step.pos,
                    format!("no path leads to step `{}`", step.name),
                ));
            }
        }
        // A step can finish when it is an end, when its path ends there (no target: the request or
        // its branch completes), or when one of its successors can.
        let mut finishes: BTreeSet<&str> = BTreeSet::new();
        for s in &def.steps {
            let implicit = match (&s.kind, &s.next) {
                (StepKind::End(_), _) => true,
                (StepKind::Switch { default, .. }, _) => default.is_none(),
                (_, Next::None) => true,
                (_, Next::On { approve, reject, .. }) => approve.is_none() || reject.is_none(),
                (_, Next::Always(_)) => false,
            };
            if implicit {
                finishes.insert(&s.name);
            }
        }
        loop {
            let before = finishes.len();
            for s in &def.steps {
                let succ: Vec<&str> = match &s.kind {
                    StepKind::Parallel { .. } => match &s.next {
                        Next::Always(t) => vec![t.value.as_str()],
                        Next::On { approve, reject, .. } => {
                            approve.iter().chain(reject.iter()).map(|t| t.value.as_str()).collect()
                        }
                        Next::None => vec![],
                    },
                    _ => edges(s).into_iter().map(|t| t.value.as_str()).collect(),
                };
                if succ.iter().any(|t| finishes.contains(t) || self.broken.contains(*t)) {
                    finishes.insert(&s.name);
                }
            }
            if finishes.len() == before {
                break;
            }
        }
        for step in &def.steps {
            if reached.contains(&step.name) && !finishes.contains(step.name.as_str()) {
                self.out.push(Diagnostic::error(
                    "no_path_to_end",
                    step.pos,
                    format!("from step `{}` no path reaches an end: the request could never finish", step.name),
                ));
            }
        }
    }

    fn joins(&mut self) {
        for step in &self.def.steps {
            let StepKind::Parallel { branches, join } = &step.kind else { continue };
            let names: Vec<&str> = branches.iter().map(|(b, _)| b.as_str()).collect();
            match &join.value {
                Join::Decides { decides, waits_for } => {
                    for b in std::iter::once(decides).chain(waits_for.iter()) {
                        if !names.contains(&b.value.as_str()) {
                            self.out.push(Diagnostic::error(
                                "unknown_branch",
                                b.pos,
                                format!(
                                    "the join names branch `{}`, but `{}` has branches {}",
                                    b.value,
                                    step.name,
                                    names.join(", ")
                                ),
                            ));
                        }
                    }
                    for (b, start) in branches {
                        if b != &decides.value && !waits_for.iter().any(|w| &w.value == b) {
                            self.out.push(Diagnostic::warning(
                                "branch_not_joined",
                                start.pos,
                                format!("branch `{b}` is neither `decides` nor in `waits_for`: nobody waits for it"),
                            ));
                        }
                    }
                }
                Join::Count(k) if *k as usize > branches.len() => {
                    self.out.push(Diagnostic::error(
                        "bad_value",
                        join.pos,
                        format!("k = {k} but there are only {} branches", branches.len()),
                    ));
                }
                _ => {}
            }
        }
    }

    /// Loops that never pass an approve or acknowledge step could spin forever.
    fn cycles(&mut self) {
        let def = self.def;
        let auto = |s: &Step| s.kind.task_spec().is_none();
        let graph: BTreeMap<&str, Vec<&str>> = def
            .steps
            .iter()
            .filter(|s| auto(s))
            .map(|s| {
                let succ =
                    edges(s).into_iter().map(|t| t.value.as_str()).filter(|t| self.step(t).is_some_and(auto)).collect();
                (s.name.as_str(), succ)
            })
            .collect();
        let mut reported: BTreeSet<&str> = BTreeSet::new();
        for start in graph.keys() {
            // Is `start` on a cycle of automatic steps?
            let mut seen = BTreeSet::new();
            let mut stack: Vec<&str> = graph[start].clone();
            while let Some(n) = stack.pop() {
                if n == *start {
                    if reported.insert(start) {
                        let step = self.step(start).expect("in graph");
                        self.out.push(Diagnostic::error(
                            "cycle_without_decision",
                            step.pos,
                            format!("step `{start}` is on a loop with no approve or acknowledge step: it could go round forever"),
                        ));
                    }
                    break;
                }
                if seen.insert(n) {
                    stack.extend(graph.get(n).into_iter().flatten());
                }
            }
        }
    }

    fn returns(&mut self) {
        for step in &self.def.steps {
            if let Next::On { ret: Some(r), .. } = &step.next
                && let ReturnTarget::Step(target) = &r.value
                && self.step(target).is_some()
                && !self.reachable_from(target).contains(&step.name)
            {
                self.out.push(Diagnostic::error(
                    "return_not_earlier",
                    r.pos,
                    format!(
                        "`{}` can only return to a step before it; `{target}` does not lead to `{}`",
                        step.name, step.name
                    ),
                ));
            }
        }
    }

    fn timers(&mut self) {
        for step in &self.def.steps {
            if step.due.is_none()
                && let Some(r) = step.remind.iter().find(|r| matches!(r.value, Reminder::Percent(_)))
            {
                self.out.push(Diagnostic::error(
                    "remind_without_due",
                    r.pos,
                    "a reminder in % needs a `due:` to be a share of",
                ));
            }
            let mut last: Option<u64> = None;
            let mut final_seen = false;
            for rung in &step.escalate {
                if final_seen {
                    self.out.push(Diagnostic::error(
                        "escalation_after_final",
                        rung.pos,
                        "this rung comes after one that decides automatically, so it can never fire",
                    ));
                }
                let m = rung.after.value.approx_minutes();
                if last.is_some_and(|l| m <= l) {
                    self.out.push(Diagnostic::error(
                        "escalation_order",
                        rung.after.pos,
                        format!(
                            "rung after {} is not later than the one before it: rungs climb in increasing `after`",
                            rung.after.value
                        ),
                    ));
                }
                last = Some(m);
                final_seen |= rung.action.is_some();
            }
            if let StepKind::Switch { default: None, .. } = &step.kind {
                self.out.push(Diagnostic::warning(
                    "switch_without_else",
                    step.pos,
                    format!("switch `{}` has no `else:`; when no case holds the request ends as rejected", step.name),
                ));
            }
        }
    }

    fn expressions(&mut self) {
        let def = self.def;
        let mut exprs: Vec<&crate::expr::Expr> = Vec::new();
        // Switches may read what reviewers filled at earlier steps (checked in `decisions`).
        let all = def.all_fields();
        for step in &def.steps {
            if let StepKind::Switch { cases, .. } = &step.kind {
                for (e, _) in cases {
                    self.out.extend(e.check(&all));
                }
            }
        }
        if let Visibility::NeedToKnowWhen(e) = &def.visibility {
            exprs.push(e);
        }
        for lt in &def.lead_time {
            exprs.extend(lt.when.iter());
            match def.field(&lt.before.value).map(|f| &f.ty) {
                Some(FieldType::Date | FieldType::Datetime) => {}
                Some(_) => self.out.push(Diagnostic::error(
                    "type_mismatch",
                    lt.before.pos,
                    format!("`before:` must be a date field; `{}` is not", lt.before.value),
                )),
                None => self.out.push(Diagnostic::error(
                    "unknown_field",
                    lt.before.pos,
                    format!("the form has no field `{}`", lt.before.value),
                )),
            }
        }
        for rw in &def.report_within {
            exprs.extend(rw.when.iter());
            match def.field(&rw.after.value).map(|f| &f.ty) {
                Some(FieldType::Date | FieldType::Datetime) => {}
                Some(_) => self.out.push(Diagnostic::error(
                    "type_mismatch",
                    rw.after.pos,
                    format!("`after:` must be a date or date-time field; `{}` is not", rw.after.value),
                )),
                None => self.out.push(Diagnostic::error(
                    "unknown_field",
                    rw.after.pos,
                    format!("the form has no field `{}`", rw.after.value),
                )),
            }
        }
        for step in &def.steps {
            let Some(c) = &step.clock_from else { continue };
            match def.field(&c.value).map(|f| &f.ty) {
                Some(FieldType::Date | FieldType::Datetime) => {}
                Some(_) => self.out.push(Diagnostic::error(
                    "type_mismatch",
                    c.pos,
                    format!("`clock_from:` must be a date field; `{}` is not", c.value),
                )),
                None => self.out.push(Diagnostic::error(
                    "unknown_field",
                    c.pos,
                    format!("the form has no field `{}`", c.value),
                )),
            }
        }
        for e in exprs {
            self.out.extend(e.check(&def.form));
        }
    }

    fn selectors(&mut self) {
        let def = self.def;
        let mut all: Vec<&Selector> = def.submitters.iter().collect();
        all.extend(def.follow_ups.iter().flat_map(|f| &f.who));
        all.extend(def.guards.iter().flat_map(|g| g.overriders.iter().flat_map(|o| &o.who)));
        for step in &def.steps {
            match &step.kind {
                StepKind::Notify { who } => all.extend(who),
                kind => all.extend(kind.task_spec().into_iter().flat_map(|t| &t.who)),
            }
            all.extend(step.escalate.iter().flat_map(|r| &r.to));
        }
        for sel in all {
            let (field, wanted): (&str, &str) = match &sel.kind {
                SelectorKind::Body { of: ScopeRef::Field(f), .. }
                | SelectorKind::LiaisonOf(ScopeRef::Field(f))
                | SelectorKind::UpUntil { from: ScopeRef::Field(f), .. } => (f, "scope"),
                SelectorKind::Field(f) => (f, "person"),
                _ => continue,
            };
            match def.field(field).map(|f| &f.ty) {
                None => self.out.push(Diagnostic::error(
                    "unknown_field",
                    sel.pos,
                    format!("the form has no field `{field}`"),
                )),
                Some(FieldType::Person { .. }) if wanted == "person" => {}
                Some(FieldType::Department { .. } | FieldType::Class { .. } | FieldType::Office { .. })
                    if wanted == "scope" => {}
                Some(_) => self.out.push(Diagnostic::error(
                    "type_mismatch",
                    sel.pos,
                    if wanted == "person" {
                        format!("`{field}` must be a `person` field to name reviewers")
                    } else {
                        format!("`{field}` must be a department, class or office field to be a scope")
                    },
                )),
            }
        }
    }
}

impl Validator<'_> {
    /// The outcomes the request can end with: those of the `end:` steps a path reaches (and the
    /// implicit ones: a path without a target ends approved, an approve step without a reject
    /// target and a switch without `else` end rejected), `withdrawn` always, `abandoned` when a
    /// step returns to the submitter.
    fn reachable_outcomes(&self) -> BTreeSet<Outcome> {
        let def = self.def;
        let mut out = BTreeSet::from([Outcome::Withdrawn]);
        if def.step(&def.start.value).is_none() {
            return out;
        }
        let reached = self.reachable_from(&def.start.value);
        for s in def.steps.iter().filter(|s| reached.contains(&s.name)) {
            match (&s.kind, &s.next) {
                (StepKind::End(o), _) => {
                    out.insert(*o);
                }
                (StepKind::Switch { default: None, .. }, _) => {
                    out.insert(Outcome::Rejected);
                }
                (StepKind::Switch { .. }, _) => {}
                (_, Next::None) => {
                    out.insert(Outcome::Approved);
                }
                (kind, Next::On { approve, reject, ret }) => {
                    if approve.is_none() {
                        out.insert(Outcome::Approved);
                    }
                    if reject.is_none()
                        && matches!(kind, StepKind::Approve(_) | StepKind::Score(_) | StepKind::Parallel { .. })
                    {
                        out.insert(Outcome::Rejected);
                    }
                    if ret.as_ref().is_some_and(|r| r.value == ReturnTarget::Submitter) {
                        out.insert(Outcome::Abandoned);
                    }
                }
                (_, Next::Always(_)) => {}
            }
        }
        out
    }

    /// `score:` steps: criteria with unique keys, a `max` above 0 and weights that sum to 100; an
    /// escalation rung either tells (`notify:`) or closes the scoring (`action: reject`: the sheets
    /// present count when at least half the panel scored, else the step rejects) — a score sheet
    /// cannot move to someone else.
    fn scores(&mut self) {
        for step in &self.def.steps {
            let StepKind::Score(spec) = &step.kind else { continue };
            if spec.criteria.is_empty() {
                self.out.push(Diagnostic::error(
                    "bad_value",
                    spec.task.pos,
                    format!("score step `{}` has no criterion", step.name),
                ));
                continue;
            }
            let mut seen: BTreeSet<&str> = BTreeSet::new();
            for c in &spec.criteria {
                if !seen.insert(c.key.value.as_str()) {
                    self.out.push(Diagnostic::error(
                        "duplicate_criterion",
                        c.key.pos,
                        format!("criterion `{}` is listed twice in step `{}`", c.key.value, step.name),
                    ));
                }
                if c.max.value == 0 {
                    self.out.push(Diagnostic::error(
                        "bad_value",
                        c.max.pos,
                        format!("criterion `{}` needs `max:` above 0", c.key.value),
                    ));
                }
            }
            let sum: u32 = spec.criteria.iter().map(|c| c.weight.value).sum();
            if sum != 100 {
                let pos = spec.criteria[0].weight.pos;
                self.out.push(Diagnostic::error(
                    "bad_weights",
                    pos,
                    format!("the weights of step `{}` sum to {sum}; they must sum to 100", step.name),
                ));
            }
            for rung in &step.escalate {
                if !rung.notify_only && rung.action != Some(AutoAction::Reject) {
                    self.out.push(Diagnostic::error(
                        "bad_value",
                        rung.pos,
                        "a score step's rung tells (`notify:`) or closes the scoring (`action: reject`: the sheets present count when at least half the panel scored, else it rejects)",
                    ));
                }
            }
        }
    }

    /// `records:`: a kind of the catalog, every field known and typed, every required one given,
    /// each `when:` an outcome the request can reach.
    fn records(&mut self) {
        use crate::records::outcome::kind as record_kind;
        let def = self.def;
        if def.records.is_empty() {
            return;
        }
        let reachable = self.reachable_outcomes();
        for spec in &def.records {
            for w in &spec.when {
                if !reachable.contains(&w.value) {
                    self.out.push(Diagnostic::error(
                        "unreachable_outcome",
                        w.pos,
                        format!("the request can never end `{}`: no path leads to such an end", w.value.as_str()),
                    ));
                }
            }
            if let Some(c) = &spec.condition {
                self.out.extend(c.check(&def.form));
            }
            let Some(kind) = record_kind(&spec.kind.value) else {
                let names: Vec<&str> = crate::records::outcome::KINDS.iter().map(|k| k.name).collect();
                let hint = crate::yaml::closest(&spec.kind.value, &names)
                    .map(|h| format!("; did you mean `{h}`?"))
                    .unwrap_or_else(|| format!(" ({})", names.join(", ")));
                self.out.push(Diagnostic::error(
                    "unknown_record_kind",
                    spec.kind.pos,
                    format!("`{}` is not a record kind{hint}", spec.kind.value),
                ));
                continue;
            };
            for rf in &spec.fields {
                let Some(kf) = kind.field(&rf.name.value) else {
                    let names: Vec<&str> = kind.fields.iter().map(|f| f.name).collect();
                    self.out.push(Diagnostic::error(
                        "unknown_record_field",
                        rf.name.pos,
                        format!(
                            "a `{}` record has no field `{}` (fields: {})",
                            kind.name,
                            rf.name.value,
                            names.join(", ")
                        ),
                    ));
                    continue;
                };
                if let Err(msg) = self.source_fits(&rf.source.value, kf.ty, kf.required) {
                    let code = if msg.starts_with("the form has no field") { "unknown_field" } else { "type_mismatch" };
                    self.out.push(Diagnostic::error(
                        code,
                        rf.source.pos,
                        format!("`{}` of a `{}` record must be {}: {msg}", kf.name, kind.name, kf.ty.name()),
                    ));
                }
            }
            for kf in kind.fields.iter().filter(|f| f.required) {
                if !spec.fields.iter().any(|rf| rf.name.value == kf.name) {
                    self.out.push(Diagnostic::error(
                        "missing_record_field",
                        spec.kind.pos,
                        format!("a `{}` record needs `{}` ({})", kind.name, kf.name, kf.ty.name()),
                    ));
                }
            }
        }
    }

    /// Whether `source` gives a value of type `ty` (never empty when `required`).
    fn source_fits(
        &self,
        source: &ValueSource,
        ty: crate::records::outcome::ValueType,
        required: bool,
    ) -> Result<(), String> {
        use crate::records::outcome::ValueType as V;
        let is_role = |s: &str| crate::catalog::Role::parse(s).is_some();
        match source {
            ValueSource::Submitter => match ty {
                V::Person | V::People | V::Text => Ok(()),
                _ => Err("`submitter` is a person".into()),
            },
            ValueSource::SubmitterDepartment => match ty {
                V::Department | V::Departments | V::Text => Ok(()),
                _ => Err("`submitter.department` is a department".into()),
            },
            ValueSource::SubmitterSu => match ty {
                V::Body | V::Text => Ok(()),
                _ => Err("`submitter.su` is a body id".into()),
            },
            ValueSource::Score => match ty {
                V::Score if self.def.steps.iter().any(|s| matches!(s.kind, crate::model::StepKind::Score(_))) => Ok(()),
                V::Score => Err("`score` needs a `score:` step in the definition".into()),
                _ => Err("`score` is a score result".into()),
            },
            ValueSource::Today => match ty {
                V::Date => Ok(()),
                _ => Err("`today` is a date".into()),
            },
            ValueSource::Literal(s) => match ty {
                V::Text | V::Department => Ok(()),
                V::Role if is_role(s) => Ok(()),
                V::Role => Err(format!("`{s}` is not a role")),
                V::Body => {
                    let kind = s.split(['@', ':']).next().unwrap_or_default();
                    match crate::catalog::BodyKind::parse(kind) {
                        Some(_) => Ok(()),
                        None => Err(format!(
                            "`{kind}` is not a body kind (write e.g. 'department_su@{{submitter.department}}')"
                        )),
                    }
                }
                _ => Err(format!("a literal is text, not {}", ty.name())),
            },
            ValueSource::Map { field, map } => {
                let f = self.def.field(field).ok_or_else(|| format!("the form has no field `{field}`"))?;
                let FieldType::Enum { of, multi: false, .. } = &f.ty else {
                    return Err(format!("`{{ from, map }}` needs a single enum field; `{field}` is not one"));
                };
                if let Some(missing) = of.iter().find(|o| !map.contains_key(*o)) {
                    return Err(format!("the map has no value for `{missing}`"));
                }
                if let Some(extra) = map.keys().find(|k| !of.contains(k)) {
                    return Err(format!("`{extra}` is not an option of `{field}`"));
                }
                if required && !f.required {
                    return Err(format!("`{field}` is optional, so the record could have none"));
                }
                match ty {
                    V::Text => Ok(()),
                    V::Role => match map.values().find(|v| !is_role(v)) {
                        Some(v) => Err(format!("`{v}` is not a role")),
                        None => Ok(()),
                    },
                    _ => Err(format!("a mapped value is text, not {}", ty.name())),
                }
            }
            ValueSource::Form(field) => {
                let f = self.def.field(field).ok_or_else(|| format!("the form has no field `{field}`"))?;
                if required && !f.required {
                    return Err(format!("`{field}` is optional, so the record could have none; make it required"));
                }
                let ok = match (&f.ty, ty) {
                    (FieldType::Person { multi: false }, V::Person) => true,
                    (FieldType::Person { .. }, V::People) => true,
                    (FieldType::Department { multi: false }, V::Department) => true,
                    (FieldType::Class { multi: false }, V::Class) => true,
                    (FieldType::Class { .. }, V::Classes) => true,
                    (FieldType::Department { .. }, V::Departments) => true,
                    (FieldType::Text { .. } | FieldType::Longtext { .. }, V::Text | V::Body) => true,
                    (FieldType::Enum { multi: false, .. }, V::Text) => true,
                    (FieldType::Enum { of, multi: false, .. }, V::Role) => {
                        if let Some(o) = of.iter().find(|o| !is_role(o)) {
                            return Err(format!(
                                "option `{o}` of `{field}` is not a role; map it with {{ from, map }}"
                            ));
                        }
                        true
                    }
                    (FieldType::Date | FieldType::Datetime, V::Date) => true,
                    (FieldType::Integer { .. }, V::Integer) => true,
                    (FieldType::Table { columns }, V::Liaisons) => return liaison_columns(field, columns),
                    (FieldType::Table { columns }, V::Cohort) => return cohort_columns(field, columns),
                    _ => false,
                };
                if ok { Ok(()) } else { Err(format!("`{field}` is a {} field", type_word(&f.ty))) }
            }
        }
    }
}

fn type_word(t: &FieldType) -> &'static str {
    match t {
        FieldType::Text { .. } => "text",
        FieldType::Longtext { .. } => "longtext",
        FieldType::Integer { .. } => "integer",
        FieldType::Number { .. } => "number",
        FieldType::Bool => "bool",
        FieldType::Date => "date",
        FieldType::Datetime => "datetime",
        FieldType::Enum { multi: true, .. } => "multi enum",
        FieldType::Enum { .. } => "enum",
        FieldType::Department { .. } => "department",
        FieldType::Class { .. } => "class",
        FieldType::Person { multi: true } => "multi person",
        FieldType::Person { .. } => "person",
        FieldType::Office { .. } => "office",
        FieldType::Table { .. } => "table",
        FieldType::Request => "request",
    }
}

fn column<'c>(columns: &'c [FormField], name: &str) -> Option<&'c FormField> {
    columns.iter().find(|c| c.name == name)
}

fn liaison_columns(field: &str, columns: &[FormField]) -> Result<(), String> {
    match column(columns, "person") {
        Some(FormField { ty: FieldType::Person { multi: false }, required: true, .. }) => {}
        _ => return Err(format!("table `{field}` needs a required `person` column of type person")),
    }
    let dep = column(columns, "department");
    let class = column(columns, "class");
    if dep.is_none() && class.is_none() {
        return Err(format!("table `{field}` needs a `department` or a `class` column"));
    }
    if dep.is_some_and(|c| c.ty != FieldType::Department { multi: false })
        || class.is_some_and(|c| c.ty != FieldType::Class { multi: false })
    {
        return Err(format!("in table `{field}`, `department` must be a department column and `class` a class column"));
    }
    Ok(())
}

fn cohort_columns(field: &str, columns: &[FormField]) -> Result<(), String> {
    match column(columns, "person") {
        Some(FormField { ty: FieldType::Person { multi: false }, required: true, .. }) => {}
        _ => return Err(format!("table `{field}` needs a required `person` column of type person")),
    }
    match column(columns, "role") {
        Some(FormField { ty: FieldType::Enum { of, multi: false, .. }, required: true, .. })
            if of.iter().all(|o| crate::catalog::Role::parse(o).is_some()) => {}
        _ => return Err(format!("table `{field}` needs a required `role` column: an enum whose options are roles")),
    }
    Ok(())
}

/// Whether any diagnostic is an error (re-exported for callers of `check_source`).
pub fn is_error(d: &Diagnostic) -> bool {
    d.severity == Severity::Error
}

mod decision;
#[cfg(test)]
mod tests;
