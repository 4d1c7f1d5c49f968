//! Org files: the whole org of a university as YAML, loaded with every problem reported at once
//! (`line:col: message`), and written back in the same format.
//!
//! ```yaml
//! university: { code: nanyue_demo_u, name: { zh: 南粤示例大学, en: Nanyue Demo University } }
//! departments:
//!   - { code: cs, name: { zh: 计算机学院, en: School of Computer Science }, students: 280, term_transition_done: true }
//! classes:
//!   - { code: cs-2023-1, department: cs, name: { zh: 计算机2023级1班, en: CS 2023 Class 1 }, grade: 2023, key_class: true }
//! bodies:        # only coded bodies (offices, the federation); the standard ones are implied
//!   - { kind: functional_office, code: academic_affairs, name: { zh: 教务处, en: Academic Affairs Office } }
//! people:
//!   - { id: s0001, name: 陈一鸣, email: s0001@nanyue.edu.cn, class: cs-2023-1, number: "2023010101" }
//! posts:         # body ids: school_su, department_su@cs, class_committee@cs-2023-1, functional_office:academic_affairs
//!   - { person: s0001, body: class_committee@cs-2023-1, role: class_monitor, from: 2025-09-01, to: 2026-08-31 }
//! liaisons:      # M2: a school SU leader and a department, or a division member and a key class
//!   - { person: t0007, department: cs, from: 2025-09-01, to: 2026-08-31, last_ledger_entry: 2025-11-01 }
//! delegations:
//!   - { from: t0001, to: t0002, starts: 2025-11-01T00:00:00Z, ends: 2025-11-08T00:00:00Z }
//! ```
//!
//! Implied bodies: the school has school_su, school_party_committee, school_league_committee,
//! student_affairs_office, student_congress, su_committee, review_panel, proposal_committee and
//! congress_prep_group; each department department_su, department_party_org,
//! department_league_org, su_committee, review_panel and student_congress; each class
//! class_committee and league_branch.

use super::memory::implied_bodies;
use super::*;
use crate::diag::Pos;
use crate::yaml;
use marked_yaml::Node;
use serde::de::DeserializeOwned;
use std::collections::{HashMap, HashSet};

/// A problem in an org file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pos}: {message}")]
pub struct OrgError {
    /// Where.
    pub pos: Pos,
    /// What is wrong.
    pub message: String,
}

/// A coded body as listed in an org file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BodyEntry {
    kind: BodyKind,
    code: String,
    name: Label,
}

const SECTIONS: &[&str] =
    &["university", "departments", "classes", "bodies", "people", "posts", "liaisons", "delegations"];

/// Converts a node to JSON: quoted scalars stay text; plain ones become numbers or booleans when
/// they look like one.
fn to_json(node: &Node) -> serde_json::Value {
    use serde_json::Value;
    match node {
        Node::Scalar(s) => {
            let t = s.as_str();
            if !s.may_coerce() {
                return Value::String(t.to_string());
            }
            match t {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" | "~" => Value::Null,
                _ => t
                    .parse::<i64>()
                    .map(Value::from)
                    .ok()
                    .or_else(|| t.parse::<f64>().ok().and_then(|f| serde_json::Number::from_f64(f).map(Value::Number)))
                    .unwrap_or_else(|| Value::String(t.to_string())),
            }
        }
        Node::Sequence(seq) => Value::Array(seq.iter().map(to_json).collect()),
        Node::Mapping(m) => Value::Object(m.iter().map(|(k, v)| (k.as_str().to_string(), to_json(v))).collect()),
    }
}

/// Reads one list section into typed items, keeping each item's position.
fn section<T: DeserializeOwned>(
    root: &marked_yaml::types::MarkedMappingNode,
    key: &str,
    errors: &mut Vec<OrgError>,
) -> Vec<(Pos, T)> {
    let Some(node) = root.get_node(key) else { return Vec::new() };
    let Node::Sequence(seq) = node else {
        errors.push(OrgError { pos: yaml::pos(node), message: format!("`{key}:` must be a list") });
        return Vec::new();
    };
    seq.iter()
        .filter_map(|item| {
            let pos = yaml::pos(item);
            match serde_json::from_value::<T>(to_json(item)) {
                Ok(v) => Some((pos, v)),
                Err(e) => {
                    errors.push(OrgError { pos, message: format!("{key}: {e}") });
                    None
                }
            }
        })
        .collect()
}

/// Loads an org file; on any problem, every problem is returned and nothing is loaded.
pub fn load_org(text: &str) -> Result<Org, Vec<OrgError>> {
    yaml::check_depth(text).map_err(|d| vec![OrgError { pos: d.pos, message: d.message }])?;
    let opts = marked_yaml::LoaderOptions::default().error_on_duplicate_keys(true).prevent_coercion(true);
    let root = marked_yaml::parse_yaml_with_options(0, text, opts)
        .map_err(|e| vec![OrgError { pos: Pos::new(1, 1), message: e.to_string() }])?;
    let Node::Mapping(root) = root else {
        return Err(vec![OrgError { pos: Pos::new(1, 1), message: "an org file is a YAML mapping".into() }]);
    };
    let mut errors = Vec::new();
    for k in root.keys() {
        if !SECTIONS.contains(&k.as_str()) {
            errors.push(OrgError {
                pos: yaml::span_pos(k.span()),
                message: format!("unknown section `{}` (sections: {})", k.as_str(), SECTIONS.join(", ")),
            });
        }
    }
    let university = match root.get_node("university") {
        Some(n) => serde_json::from_value::<University>(to_json(n))
            .map_err(|e| errors.push(OrgError { pos: yaml::pos(n), message: format!("university: {e}") }))
            .unwrap_or_default(),
        None => {
            errors.push(OrgError { pos: Pos::new(1, 1), message: "`university:` is missing ({ code, name })".into() });
            University::default()
        }
    };
    let departments: Vec<(Pos, Department)> = section(&root, "departments", &mut errors);
    let classes: Vec<(Pos, ClassUnit)> = section(&root, "classes", &mut errors);
    let bodies: Vec<(Pos, BodyEntry)> = section(&root, "bodies", &mut errors);
    let people: Vec<(Pos, Person)> = section(&root, "people", &mut errors);
    let posts: Vec<(Pos, Post)> = section(&root, "posts", &mut errors);
    let liaisons: Vec<(Pos, Liaison)> = section(&root, "liaisons", &mut errors);
    let delegations: Vec<(Pos, Delegation)> = section(&root, "delegations", &mut errors);

    let mut org = Org {
        university,
        departments: departments.iter().map(|(_, d)| d.clone()).collect(),
        classes: classes.iter().map(|(_, c)| c.clone()).collect(),
        bodies: bodies
            .iter()
            .map(|(_, b)| Body {
                id: body_id(b.kind, &Scope::School, Some(&b.code)),
                kind: b.kind,
                scope: Scope::School,
                code: Some(b.code.clone()),
                name: b.name.clone(),
            })
            .collect(),
        people: people.iter().map(|(_, p)| p.clone()).collect(),
        posts: posts.iter().map(|(_, p)| p.clone()).collect(),
        liaisons: liaisons.iter().map(|(_, l)| l.clone()).collect(),
        delegations: delegations.iter().map(|(_, d)| d.clone()).collect(),
    };
    let implied = implied_bodies(&org);
    org.bodies.splice(0..0, implied);

    // References, all checked, every one reported.
    let mut push = |pos: Pos, message: String| errors.push(OrgError { pos, message });
    let mut seen = HashSet::new();
    let dept: HashSet<&str> = org.departments.iter().map(|d| d.code.as_str()).collect();
    for (pos, d) in &departments {
        if !seen.insert(("department", d.code.clone())) {
            push(*pos, format!("department `{}` is listed twice", d.code));
        }
    }
    let class_kinds: HashMap<&str, &str> =
        org.classes.iter().map(|c| (c.code.as_str(), c.department.as_str())).collect();
    for (pos, c) in &classes {
        if !seen.insert(("class", c.code.clone())) {
            push(*pos, format!("class `{}` is listed twice", c.code));
        }
        if !dept.contains(c.department.as_str()) {
            push(*pos, format!("class `{}` names department `{}`, which does not exist", c.code, c.department));
        }
    }
    let mut emails = HashSet::new();
    for (pos, p) in &people {
        if !seen.insert(("person", p.id.clone())) {
            push(*pos, format!("person `{}` is listed twice", p.id));
        }
        if !emails.insert(p.email.to_lowercase()) {
            push(*pos, format!("email `{}` belongs to two people", p.email));
        }
        if let Some(d) = &p.department
            && !dept.contains(d.as_str())
        {
            push(*pos, format!("person `{}` names department `{d}`, which does not exist", p.id));
        }
        if let Some(c) = &p.class
            && !class_kinds.contains_key(c.as_str())
        {
            push(*pos, format!("person `{}` names class `{c}`, which does not exist", p.id));
        }
    }
    let person_ids: HashSet<&str> = org.people.iter().map(|p| p.id.as_str()).collect();
    let body_kinds: HashMap<&str, BodyKind> = org.bodies.iter().map(|b| (b.id.as_str(), b.kind)).collect();
    for (pos, p) in &posts {
        if !person_ids.contains(p.person.as_str()) {
            push(*pos, format!("post names person `{}`, who does not exist", p.person));
        }
        match body_kinds.get(p.body.as_str()) {
            None => push(*pos, format!("post names body `{}`, which does not exist", p.body)),
            Some(kind) if !kind.allows(p.role) => push(*pos, format!("a {kind} has no `{}` post", p.role)),
            Some(_) => {}
        }
        if p.to.is_some_and(|to| to < p.from) {
            push(*pos, format!("post of `{}` ends before it starts", p.person));
        }
    }
    for (pos, l) in &liaisons {
        if !person_ids.contains(l.person.as_str()) {
            push(*pos, format!("liaison names person `{}`, who does not exist", l.person));
        }
        if let Some(d) = &l.department
            && !dept.contains(d.as_str())
        {
            push(*pos, format!("liaison names department `{d}`, which does not exist"));
        }
        if let Some(c) = &l.class
            && !class_kinds.contains_key(c.as_str())
        {
            push(*pos, format!("liaison names class `{c}`, which does not exist"));
        }
        if l.department.is_none() && l.class.is_none() {
            push(*pos, "a liaison names a department or a class".into());
        }
    }
    for (pos, d) in &delegations {
        for who in [&d.from, &d.to] {
            if !person_ids.contains(who.as_str()) {
                push(*pos, format!("delegation names person `{who}`, who does not exist"));
            }
        }
        if d.ends <= d.starts {
            push(*pos, "a delegation must end after it starts".into());
        }
    }
    if errors.is_empty() { Ok(org) } else { Err(errors) }
}

/// The export's note on the entries approved outcomes wrote (the daemon's export puts it under
/// the first line).
pub const OUTCOME_NOTE: &str = "\
# Posts and liaisons with `request:` were written by that approved request's outcome (an appointment,
# a term transition, a liaison assignment); `ended_by:` names the request whose outcome ended one.
# An import keeps them whether the file lists them or not; a line that keeps its `request:` or
# `ended_by:` is taken as written (set its `to:` to end it).
";

/// Writes an org in the file format (one line per item; implied bodies left out; the entries
/// outcomes wrote or ended carry `request:` / `ended_by:`, see [`OUTCOME_NOTE`]).
pub fn dump_org(org: &Org) -> String {
    let mut out = String::new();
    out.push_str("# Org file of Liandong (format: workflows/README.md, \"Org files\").\n");
    out.push_str(&format!("university: {}\n", flow(&serde_json::to_value(&org.university).unwrap_or_default())));
    let mut list = |key: &str, items: Vec<serde_json::Value>| {
        out.push_str(&format!("{key}:{}\n", if items.is_empty() { " []" } else { "" }));
        for v in items {
            out.push_str(&format!("  - {}\n", flow(&v)));
        }
    };
    let json = |v: &dyn erased::Ser| v.json();
    list("departments", org.departments.iter().map(|d| json(d)).collect());
    list("classes", org.classes.iter().map(|c| json(c)).collect());
    list(
        "bodies",
        org.bodies
            .iter()
            .filter_map(|b| b.code.as_ref().map(|c| BodyEntry { kind: b.kind, code: c.clone(), name: b.name.clone() }))
            .map(|b| json(&b))
            .collect(),
    );
    list("people", org.people.iter().map(|p| json(p)).collect());
    list("posts", org.posts.iter().map(|p| json(p)).collect());
    list("liaisons", org.liaisons.iter().map(|l| json(l)).collect());
    list("delegations", org.delegations.iter().map(|d| json(d)).collect());
    out
}

mod erased {
    /// Anything serializable, as JSON.
    pub trait Ser {
        fn json(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Ser for T {
        fn json(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap_or_default()
        }
    }
}

/// A JSON value as a one-line YAML flow node, leaving out nulls, `false` and empty lists.
fn flow(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            let parts: Vec<String> = m
                .iter()
                .filter(|(_, v)| {
                    !matches!(v, Value::Null | Value::Bool(false)) && v.as_array().is_none_or(|a| !a.is_empty())
                })
                .map(|(k, v)| format!("{k}: {}", flow(v)))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(flow).collect::<Vec<_>>().join(", ")),
        Value::String(s) => {
            let plain = !s.is_empty()
                && s.chars().all(|c| c.is_alphanumeric() || "_-.@:".contains(c))
                && !s.starts_with(|c: char| c.is_ascii_digit() || c == '-')
                && !matches!(s.as_str(), "true" | "false" | "null" | "yes" | "no" | "on" | "off");
            let date_like = s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok();
            if plain || date_like { s.clone() } else { serde_json::to_string(s).unwrap_or_default() }
        }
        other => other.to_string(),
    }
}
