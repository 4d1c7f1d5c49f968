//! The reporting checklist (请示报告清单, M1, domain.md §2 and §3): the matter types a department
//! SU or a class must request or report on, kept as data by the school SU. Each version is a
//! draft until 校团委 signs it off ("Each checklist version needs 校团委 sign-off"); the M1 request
//! forms (`major_matter_report`, `class_major_matter_report`) accept only a matter type of the
//! current signed-off version.
//!
//! JSON of an item: `{"code": "major_meeting", "name": {"zh": "…", "en": "…"},
//! "kinds": ["request", "report"], "lead_time": "major"}`.

use crate::catalog::Label;
use crate::form::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The definitions whose `matter_type` field the checklist governs.
pub const M1_WORKFLOWS: &[&str] = &["major_matter_report", "class_major_matter_report"];

/// The form field holding the matter type in [`M1_WORKFLOWS`].
pub const MATTER_TYPE_FIELD: &str = "matter_type";

/// The most items a version may have.
pub const MAX_ITEMS: usize = 100;

/// 请示 (needs a decision) or 报告 (for information), as the form's `kind` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatterKind {
    /// 请示.
    Request,
    /// 报告.
    Report,
}

/// The lead time a matter needs (M1: ≥10 wd, 20 wd for a major meeting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadTime {
    /// 20 working days before the event.
    Major,
    /// 10 working days before the event.
    Normal,
}

impl LeadTime {
    /// Working days ahead of the event (M1: 20 for a major meeting, else 10).
    pub fn working_days(self) -> u32 {
        match self {
            LeadTime::Major => 20,
            LeadTime::Normal => 10,
        }
    }
}

/// One matter type of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    /// Stable code (snake_case, what `matter_type` holds), e.g. `major_meeting`.
    pub code: String,
    /// Its name in zh-CN and English.
    pub name: Label,
    /// Whether it is requested (请示), reported (报告) or either.
    pub kinds: Vec<MatterKind>,
    /// The lead time it needs.
    pub lead_time: LeadTime,
}

/// The built-in checklist: the matter types of M1 (召开学代会等重大会议、改革推进、重大表彰、重大违纪
/// 处理、年度总结计划), either requested or reported, a major meeting 20 working days ahead. A
/// fresh daemon records it as version 1, signed off.
pub fn builtin() -> Vec<ChecklistItem> {
    let item = |code: &str, zh: &str, en: &str, lead_time| ChecklistItem {
        code: code.into(),
        name: Label::new(zh, en),
        kinds: vec![MatterKind::Request, MatterKind::Report],
        lead_time,
    };
    vec![
        item("major_meeting", "召开本级学代会等重大会议", "major meeting", LeadTime::Major),
        item("reform_progress", "学生会组织改革推进", "reform progress", LeadTime::Normal),
        item("major_commendation", "重大表彰奖励", "major commendation", LeadTime::Normal),
        item("major_violation_handling", "重大违纪违法情况处理", "major violation handling", LeadTime::Normal),
        item("annual_summary_plan", "年度工作总结和工作计划", "annual summary and plan", LeadTime::Normal),
    ]
}

fn err(field: String, code: &'static str, message: String) -> FieldError {
    FieldError { field, code, message }
}

/// Reads the `items` of a new version: a non-empty list (at most [`MAX_ITEMS`]) of items with a
/// snake_case `code` (1–64 characters, unique), a `name` with non-empty `zh` and `en` (at most
/// 100 characters each), `kinds` (non-empty, of `request`, `report`) and `lead_time` (`major` or
/// `normal`). Every problem at once, each naming its field (`items[2].code`).
pub fn read_items(v: &Value) -> Result<Vec<ChecklistItem>, Vec<FieldError>> {
    let Some(list) = v.as_array() else {
        return Err(vec![err("items".into(), "wrong_type", "`items` must be a list of matter types".into())]);
    };
    if list.is_empty() || list.len() > MAX_ITEMS {
        return Err(vec![err(
            "items".into(),
            "out_of_range",
            format!("`items` holds 1 to {MAX_ITEMS} matter types, not {}", list.len()),
        )]);
    }
    let mut errors = Vec::new();
    let mut items = Vec::new();
    for (i, it) in list.iter().enumerate() {
        let at = |f: &str| format!("items[{i}].{f}");
        let Some(o) = it.as_object() else {
            errors.push(err(format!("items[{i}]"), "wrong_type", format!("`items[{i}]` must be an object")));
            continue;
        };
        for k in o.keys().filter(|k| !["code", "name", "kinds", "lead_time"].contains(&k.as_str())) {
            errors.push(err(
                at(k),
                "unknown_field",
                format!("`{k}` is not a field of a matter type (code, name, kinds, lead_time)"),
            ));
        }
        let code = o.get("code").and_then(Value::as_str).unwrap_or_default();
        let code_ok = !code.is_empty()
            && code.len() <= 64
            && code.starts_with(|c: char| c.is_ascii_lowercase())
            && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !code_ok {
            errors.push(err(
                at("code"),
                "bad_code",
                format!("`{}` must be a snake_case code of 1 to 64 characters", at("code")),
            ));
        } else if items.iter().any(|x: &ChecklistItem| x.code == code) {
            errors.push(err(at("code"), "duplicate", format!("`{code}` is listed twice")));
        }
        let text = |l: &str| {
            o.get("name").and_then(|n| n.get(l)).and_then(Value::as_str).map(str::trim).unwrap_or_default().to_string()
        };
        let (zh, en) = (text("zh"), text("en"));
        if zh.is_empty() || en.is_empty() || zh.chars().count() > 100 || en.chars().count() > 100 {
            errors.push(err(
                at("name"),
                "bad_name",
                format!("`{}` needs `zh` and `en`, each 1 to 100 characters", at("name")),
            ));
        }
        let kinds: Option<Vec<MatterKind>> = o
            .get("kinds")
            .and_then(Value::as_array)
            .filter(|k| !k.is_empty())
            .and_then(|k| k.iter().map(|x| serde_json::from_value(x.clone()).ok()).collect());
        let mut kinds = kinds.unwrap_or_default();
        kinds.sort();
        kinds.dedup();
        if kinds.is_empty() {
            errors.push(err(
                at("kinds"),
                "not_allowed",
                format!("`{}` must list one or both of request, report", at("kinds")),
            ));
        }
        let lead_time: Option<LeadTime> = o.get("lead_time").and_then(|x| serde_json::from_value(x.clone()).ok());
        if lead_time.is_none() {
            errors.push(err(at("lead_time"), "not_allowed", format!("`{}` must be major or normal", at("lead_time"))));
        }
        if let Some(lead_time) = lead_time {
            items.push(ChecklistItem { code: code.into(), name: Label::new(&zh, &en), kinds, lead_time });
        }
    }
    if errors.is_empty() { Ok(items) } else { Err(errors) }
}

/// Checks an M1 form against the signed-off checklist `items` (its `version`): the
/// `matter_type` must be one of its codes, and the form's `kind` (`request` / `report`) one the
/// item allows. The problems, each naming its field (`matter_type`, `kind`).
pub fn check_form(version: i32, items: &[ChecklistItem], form: &Value) -> Vec<FieldError> {
    let Some(code) = form.get(MATTER_TYPE_FIELD).and_then(Value::as_str) else { return Vec::new() };
    let Some(item) = items.iter().find(|i| i.code == code) else {
        let codes: Vec<&str> = items.iter().map(|i| i.code.as_str()).collect();
        return vec![err(
            MATTER_TYPE_FIELD.into(),
            "not_in_checklist",
            format!(
                "`{code}` is not a matter type of the reporting checklist (version {version}, signed off by 校团委): {}",
                codes.join(", ")
            ),
        )];
    };
    let kind: Option<MatterKind> = form.get("kind").and_then(|k| serde_json::from_value(k.clone()).ok());
    match kind {
        Some(k) if !item.kinds.contains(&k) => vec![err(
            "kind".into(),
            "not_in_checklist",
            format!(
                "the reporting checklist (version {version}) has `{code}` as a {} only",
                if item.kinds.contains(&MatterKind::Request) { "request (请示)" } else { "report (报告)" }
            ),
        )],
        _ => Vec::new(),
    }
}

/// `def` with its `matter_type` enum made the checklist's: the codes of `items` as the allowed
/// values, their names as labels (so a type the school SU added is accepted by the form and one
/// it dropped is not). A definition without such an enum field is returned unchanged.
pub fn apply_to_definition(def: &mut crate::model::Definition, items: &[ChecklistItem]) {
    for f in def.form.iter_mut().filter(|f| f.name == MATTER_TYPE_FIELD) {
        if let crate::model::FieldType::Enum { of, labels, .. } = &mut f.ty {
            *of = items.iter().map(|i| i.code.clone()).collect();
            *labels = items.iter().map(|i| (i.code.clone(), i.name.clone())).collect();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_builtin_checklist_reads_back_as_items() {
        let v = serde_json::to_value(builtin()).unwrap();
        assert_eq!(read_items(&v).unwrap(), builtin());
    }

    #[test]
    fn bad_items_name_their_field() {
        let v = json!([{ "code": "Major Meeting", "name": { "zh": "会议" }, "kinds": [], "lead_time": "soon" }]);
        let fields: Vec<String> = read_items(&v).unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["items[0].code", "items[0].name", "items[0].kinds", "items[0].lead_time"]);
    }

    #[test]
    fn a_matter_type_not_in_the_checklist_is_refused() {
        let items = builtin();
        let e = check_form(3, &items, &json!({ "kind": "request", "matter_type": "campus_fair" }));
        assert_eq!((e[0].field.as_str(), e[0].code), ("matter_type", "not_in_checklist"));
        assert!(e[0].message.contains("version 3"), "{}", e[0].message);
        assert!(check_form(3, &items, &json!({ "kind": "report", "matter_type": "major_meeting" })).is_empty());
        let only_reports = vec![ChecklistItem { kinds: vec![MatterKind::Report], ..items[0].clone() }];
        let e = check_form(4, &only_reports, &json!({ "kind": "request", "matter_type": "major_meeting" }));
        assert_eq!(e[0].field, "kind");
    }
}
