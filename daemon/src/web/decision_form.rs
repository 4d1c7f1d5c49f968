//! The decision form of a task on the pages (`/requests/{id}` and `/a/{token}`): the fields its
//! step's reviewer fills (`fields:` of the step and of its named options, zh-CN labels, offices,
//! departments and classes as choices), the buttons (同意/驳回/退回/已阅, the step's named options,
//! 申请延期 while an extension is left), and reading the posted form back into a decision.
//!
//! Field inputs are named `f.<field>`; a multi-valued field posts one `f.<field>` per value. A
//! score sheet (`score:` steps) has one number input per criterion, named `s.<criterion>`, labelled
//! with the criterion, its range and weight, and one button, 提交评分.
//! Reject, return and the extension button skip the browser's required-field check
//! (`formnovalidate`): fields are filled only with approve, acknowledge or an option.

use minijinja::{Value, context};
use serde_json::Map;
use workflows::catalog::{BodyKind, Lang};
use workflows::engine::{Decision, Instance, Task, TaskKind};
use workflows::model::{Definition, FieldType, FormField, Step, StepKind};
use workflows::org::OrgDirectory;

/// One choice of a select.
fn choice(value: &str, label: &str) -> Value {
    context! { value => value, label => label }
}

/// The input of one field, for the page template.
fn control(f: &FormField, org: &OrgDirectory, lang: Lang, when: &str) -> Value {
    let label = f.label.as_ref().map_or_else(|| f.name.clone(), |l| l.get(lang).to_string());
    let o = org.org();
    let offices = [
        BodyKind::FunctionalOffice,
        BodyKind::SchoolPartyAdminOffice,
        BodyKind::StudentAffairsOffice,
        BodyKind::UpperFederation,
    ];
    let (kind, multi, choices): (&str, bool, Vec<Value>) = match &f.ty {
        FieldType::Text { .. } | FieldType::Person { .. } | FieldType::Request => ("text", false, vec![]),
        // A table is refused at steps by the checker (`table_in_step_fields`).
        FieldType::Longtext { .. } | FieldType::Table { .. } => ("textarea", false, vec![]),
        FieldType::Integer { .. } | FieldType::Number { .. } => ("number", false, vec![]),
        FieldType::Bool => ("bool", false, vec![]),
        FieldType::Date => ("date", false, vec![]),
        FieldType::Datetime => ("datetime-local", false, vec![]),
        FieldType::Enum { of, labels, multi } => (
            "select",
            *multi,
            of.iter()
                .map(|v| choice(v, labels.get(v).map(|l| l.get(lang)).filter(|l| !l.is_empty()).unwrap_or(v)))
                .collect(),
        ),
        FieldType::Department { multi } => {
            ("select", *multi, o.departments.iter().map(|d| choice(&d.code, d.name.get(lang))).collect())
        }
        FieldType::Class { multi } => {
            ("select", *multi, o.classes.iter().map(|c| choice(&c.code, c.name.get(lang))).collect())
        }
        FieldType::Office { multi } => (
            "select",
            *multi,
            o.bodies
                .iter()
                .filter(|b| offices.contains(&b.kind))
                .filter_map(|b| b.code.as_ref().map(|c| choice(c, b.name.get(lang))))
                .collect(),
        ),
    };
    context! {
        name => format!("f.{}", f.name), id => format!("f-{}", f.name), label => label, kind => kind,
        multi => multi, choices => choices, required => f.required, when => when,
    }
}

/// The label of the task's comment box when its step names the comment (`comment_label:`, e.g.
/// 书面报告) or requires one with its main decision (approve, acknowledge): `书面报告（必填）`,
/// `终报（可选）`, `意见（必填）` (English: `Written report (required)`); `None`: the default
/// 意见（可选）.
pub fn comment_label(def: Option<&Definition>, task: &Task, lang: Lang) -> Option<String> {
    let spec = &def.and_then(|d| step_of(d, task))?.decision;
    let main = if task.kind == TaskKind::Acknowledge { "acknowledge" } else { "approve" };
    let required = spec.needs_comment(main);
    let zh = lang == Lang::Zh;
    let name = match &spec.comment_label {
        Some(l) => l.value.get(lang).to_string(),
        None if required => (if zh { "意见" } else { "Comment" }).to_string(),
        None => return None,
    };
    Some(match (zh, required) {
        (true, true) => format!("{name}（必填）"),
        (true, false) => format!("{name}（可选）"),
        (false, true) => format!("{name} (required)"),
        (false, false) => format!("{name} (optional)"),
    })
}

/// The placeholder of the comment box when the step names the comment: `填写书面报告`
/// (`Write the written report`); `None`: the default.
pub fn comment_hint(def: Option<&Definition>, task: &Task, lang: Lang) -> Option<String> {
    let l = &def.and_then(|d| step_of(d, task))?.decision.comment_label.as_ref()?.value;
    Some(if lang == Lang::Zh { format!("填写{}", l.zh) } else { format!("Write the {}", l.get(lang).to_lowercase()) })
}

/// The step of `task` in `def`.
fn step_of<'d>(def: &'d Definition, task: &Task) -> Option<&'d Step> {
    def.step(&task.step)
}

/// The inputs of the task's decision form: the step's fields, then each option's (labelled with
/// the option they go with).
pub fn controls(def: Option<&Definition>, task: &Task, org: &OrgDirectory, lang: Lang) -> Vec<Value> {
    let Some(step) = def.and_then(|d| step_of(d, task)) else { return Vec::new() };
    if let StepKind::Score(spec) = &step.kind {
        let zh = lang == Lang::Zh;
        return spec
            .criteria
            .iter()
            .map(|c| {
                let (max, weight) = (c.max.value, c.weight.value);
                let label = if zh {
                    format!("{}（0–{max}分，权重{weight}%）", c.label.get(lang))
                } else {
                    format!("{} (0–{max}, weight {weight}%)", c.label.get(lang))
                };
                context! {
                    name => format!("s.{}", c.key.value), id => format!("s-{}", c.key.value), label => label,
                    kind => "number", multi => false, choices => Vec::<Value>::new(), required => true, when => "",
                    max => max,
                }
            })
            .collect();
    }
    let mut out: Vec<Value> = step.decision.fields.iter().map(|f| control(f, org, lang, "")).collect();
    for o in &step.decision.options {
        let when = o.label.as_ref().map_or_else(|| o.name.clone(), |l| l.get(lang).to_string());
        out.extend(o.fields.iter().map(|f| control(f, org, lang, &when)));
    }
    out
}

/// The buttons of the task's form: the built-in decisions of its kind, the step's named options,
/// and 申请延期 while the step has an extension left. `chosen` marks one (`?do=` on a link).
pub fn buttons(def: Option<&Definition>, st: &Instance, task: &Task, lang: Lang, chosen: Option<&str>) -> Vec<Value> {
    let zh = lang == Lang::Zh;
    if task.kind == TaskKind::Score {
        let d = Decision::Score;
        return vec![context! {
            value => "score", class => "approve", label => crate::labels::verb(d, lang), chosen => chosen == Some("score"),
            novalidate => false,
        }];
    }
    let mut out: Vec<Value> = crate::app::actions::allowed(task.kind)
        .iter()
        .map(|d| {
            let v = crate::web::links::decision_value(*d);
            let skip = matches!(d, Decision::Reject | Decision::Return);
            context! {
                value => v, class => v, label => crate::labels::verb_on(def, &task.step, *d, lang), chosen => chosen == Some(v),
                novalidate => skip,
            }
        })
        .collect();
    let Some(step) = def.and_then(|d| step_of(d, task)) else { return out };
    for o in &step.decision.options {
        let label = o.label.as_ref().map_or_else(|| o.name.clone(), |l| l.get(lang).to_string());
        out.push(context! {
            value => &o.name, class => "option", label => label, chosen => chosen == Some(o.name.as_str()),
            novalidate => true,
        });
    }
    if let Some(x) = &step.decision.extension {
        let taken = st.runs.get(&task.run).map_or(0, |r| r.extensions);
        if taken < x.max {
            let by = crate::labels::duration(x.by.value, lang);
            let label = if zh { format!("申请延期（{by}）") } else { format!("Ask for {by} more") };
            out.push(
                context! { value => "extend", class => "extend", label => label, chosen => false, novalidate => true },
            );
        }
    }
    out
}

/// A posted decision form: the decision, the comment, the CSRF value and the filled fields.
#[derive(Debug, Default)]
pub struct Posted {
    /// `approve`, `reject`, …, an option's name, or `extend`.
    pub decision: String,
    /// The comment, trimmed, at most 2000 characters; none when empty.
    pub comment: Option<String>,
    /// The page's CSRF value.
    pub csrf: String,
    /// The filled fields, typed by the definition (a multi-valued field as a list; empty inputs
    /// left out).
    pub fields: Map<String, serde_json::Value>,
}

/// Reads a posted form (`decision`, `comment`, `csrf`, `f.<field>`…) against the task's step.
pub fn read(def: Option<&Definition>, task: Option<&Task>, pairs: Vec<(String, String)>) -> Posted {
    let mut p = Posted::default();
    let step = def.zip(task).and_then(|(d, t)| step_of(d, t));
    let field = |name: &str| -> Option<&FormField> {
        let s = step?;
        s.decision.fields.iter().chain(s.decision.options.iter().flat_map(|o| o.fields.iter())).find(|f| f.name == name)
    };
    for (k, v) in pairs {
        match k.as_str() {
            "decision" => p.decision = v.trim().to_string(),
            "comment" => p.comment = Some(v.trim().chars().take(2000).collect::<String>()).filter(|c| !c.is_empty()),
            "csrf" => p.csrf = v,
            _ if k.starts_with("s.") => {
                // A score: a number, or the text as typed (the engine names the criterion).
                let v = v.trim();
                if !v.is_empty() {
                    let value = v.parse::<f64>().ok().and_then(serde_json::Number::from_f64);
                    let value =
                        value.map_or_else(|| serde_json::Value::String(v.to_string()), serde_json::Value::Number);
                    p.fields.insert(k[2..].to_string(), value);
                }
            }
            _ => {
                let Some(name) = k.strip_prefix("f.") else { continue };
                let v = v.trim().to_string();
                if v.is_empty() {
                    continue;
                }
                let Some(f) = field(name) else { continue };
                let multi = matches!(
                    f.ty,
                    FieldType::Enum { multi: true, .. }
                        | FieldType::Department { multi: true }
                        | FieldType::Class { multi: true }
                        | FieldType::Person { multi: true }
                        | FieldType::Office { multi: true }
                );
                let value = match &f.ty {
                    FieldType::Integer { .. } => v.parse::<i64>().map_or(serde_json::Value::String(v), Into::into),
                    FieldType::Number { .. } => v.parse::<f64>().map_or(serde_json::Value::String(v), Into::into),
                    FieldType::Bool => serde_json::Value::Bool(v == "true" || v == "on"),
                    _ => serde_json::Value::String(v),
                };
                if multi {
                    let e = p.fields.entry(name.to_string()).or_insert_with(|| serde_json::Value::Array(vec![]));
                    if let serde_json::Value::Array(a) = e {
                        a.push(value);
                    }
                } else {
                    p.fields.insert(name.to_string(), value);
                }
            }
        }
    }
    // Reject and return carry no fields (the page posts whatever was typed in).
    if matches!(p.decision.as_str(), "reject" | "return" | "extend") {
        p.fields.clear();
    }
    // An option carries its own fields only; approve / acknowledge the step's; a score sheet its
    // criteria (the engine refuses a score for anything else).
    if let Some(s) = step.filter(|s| !matches!(s.kind, StepKind::Score(_))) {
        let keep: Vec<&str> = match s.decision.option(&p.decision) {
            Some(o) => o.fields.iter().map(|f| f.name.as_str()).collect(),
            None => s.decision.fields.iter().map(|f| f.name.as_str()).collect(),
        };
        p.fields.retain(|k, _| keep.contains(&k.as_str()));
    }
    p
}
