//! Checking a submitted form against a definition's schema: every broken field at once, with the
//! field's name and the reason; the result is the normalized form.

use crate::model::{Computed, Definition, FieldType, FormField};
use crate::org::Directory;
use chrono::{DateTime, NaiveDate};
use serde::Serialize;
use serde_json::{Map, Value};

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field (`""` for the form as a whole).
    pub field: String,
    /// A stable code: `not_an_object`, `unknown_field`, `required`, `wrong_type`, `too_long`,
    /// `out_of_range`, `not_allowed`, `bad_date`, `unknown_reference`, `computed`.
    pub code: &'static str,
    /// What is wrong, in plain words.
    pub message: String,
}

impl FieldError {
    /// A problem `code` with `field`, said in `message`.
    pub fn new(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        FieldError { field: field.to_string(), code, message: message.into() }
    }
}

fn err(field: &str, code: &'static str, message: impl Into<String>) -> FieldError {
    FieldError::new(field, code, message)
}

/// The form a submitter sent, with the values the daemon computed put into the definition's
/// `computed:` fields (`value` gives each). A value the submitter typed into a computed field is
/// refused (`computed`: Liandong fills it); an empty one (`null`, `""`) is dropped. Anything
/// that is not an object is returned as it is, for [`check_form`] to refuse.
pub fn fill_computed(
    def: &Definition,
    input: &Value,
    value: impl Fn(Computed) -> Value,
) -> Result<Value, Vec<FieldError>> {
    let Some(obj) = input.as_object() else { return Ok(input.clone()) };
    let mut out = obj.clone();
    let mut errors = Vec::new();
    for f in &def.form {
        let Some(c) = f.computed else { continue };
        let typed = obj.get(&f.name).filter(|v| !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty()));
        if typed.is_some() {
            errors.push(err(
                &f.name,
                "computed",
                format!("`{}` is filled in by Liandong ({}); leave it out", f.name, c.as_str()),
            ));
        }
        out.insert(f.name.clone(), value(c));
    }
    if errors.is_empty() { Ok(Value::Object(out)) } else { Err(errors) }
}

/// Checks `input` against `def.form`; with `dir`, department/class/person/office values must exist.
pub fn check_form(
    def: &Definition,
    input: &Value,
    dir: Option<&dyn Directory>,
) -> Result<Map<String, Value>, Vec<FieldError>> {
    check_fields(&def.form, input, dir)
}

/// Checks `input` against `fields` (a submit form, or the fields a reviewer fills at a step: the
/// same typing); with `dir`, department/class/person/office values must exist. Returns the
/// non-empty values, checked; errors carry the field name and a stable code.
pub fn check_fields(
    fields: &[FormField],
    input: &Value,
    dir: Option<&dyn Directory>,
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let Some(obj) = input.as_object() else {
        return Err(vec![err("", "not_an_object", "the form must be a JSON object of field: value")]);
    };
    check_object(fields, obj, dir, "", "this form")
}

/// Checks an object against `fields`; error fields are named `{prefix}{name}` (a table row's
/// cells as `liaisons[2].person`).
fn check_object(
    fields: &[FormField],
    obj: &Map<String, Value>,
    dir: Option<&dyn Directory>,
    prefix: &str,
    what: &str,
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let mut errors = Vec::new();
    for k in obj.keys() {
        if !fields.iter().any(|f| f.name == *k) {
            let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            errors.push(err(
                &format!("{prefix}{k}"),
                "unknown_field",
                format!("`{k}` is not a field of {what} (fields: {})", names.join(", ")),
            ));
        }
    }
    let mut out = Map::new();
    for f in fields {
        let v = obj.get(&f.name).unwrap_or(&Value::Null);
        let empty =
            v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty()) || v.as_array().is_some_and(Vec::is_empty);
        let full = format!("{prefix}{}", f.name);
        if empty {
            if f.required {
                errors.push(err(&full, "required", format!("`{full}` is required")));
            }
            continue;
        }
        match check_field(f, &full, v, dir) {
            Ok(v) => {
                out.insert(f.name.clone(), v);
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

fn check_field(f: &FormField, name: &str, v: &Value, dir: Option<&dyn Directory>) -> Result<Value, Vec<FieldError>> {
    let wrong = |what: &str| vec![err(name, "wrong_type", format!("`{name}` must be {what}, found {}", json_kind(v)))];
    let text = |max: Option<u32>| -> Result<Value, Vec<FieldError>> {
        let s = v.as_str().ok_or_else(|| wrong("text"))?;
        let n = s.chars().count();
        match max {
            Some(m) if n > m as usize => {
                Err(vec![err(name, "too_long", format!("`{name}` is longer than {m} characters ({n})"))])
            }
            _ => Ok(Value::String(s.to_string())),
        }
    };
    match &f.ty {
        FieldType::Text { max } | FieldType::Longtext { max } => text(*max),
        FieldType::Integer { min, max } => {
            let n = v.as_i64().ok_or_else(|| wrong("a whole number"))?;
            if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                return Err(vec![err(name, "out_of_range", format!("`{name}` must be {}", range(min, max)))]);
            }
            Ok(v.clone())
        }
        FieldType::Number { min, max } => {
            let n = v.as_f64().ok_or_else(|| wrong("a number"))?;
            if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                return Err(vec![err(name, "out_of_range", format!("`{name}` must be {}", range(min, max)))]);
            }
            Ok(v.clone())
        }
        FieldType::Bool => v.as_bool().map(Value::Bool).ok_or_else(|| wrong("true or false")),
        FieldType::Date => {
            let s = v.as_str().ok_or_else(|| wrong("a date (YYYY-MM-DD)"))?;
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(|d| Value::String(d.to_string()))
                .map_err(|_| vec![err(name, "bad_date", format!("`{name}`: `{s}` is not a date (YYYY-MM-DD)"))])
        }
        FieldType::Datetime => {
            let s = v.as_str().ok_or_else(|| wrong("a date and time (RFC 3339)"))?;
            DateTime::parse_from_rfc3339(s).map(|_| Value::String(s.to_string())).map_err(|_| {
                vec![err(
                    name,
                    "bad_date",
                    format!("`{name}`: `{s}` is not a date and time like 2025-10-20T14:00:00+08:00"),
                )]
            })
        }
        FieldType::Enum { of, multi, .. } => each(name, v, *multi, |s| {
            if of.iter().any(|o| o == s) {
                None
            } else {
                Some(err(name, "not_allowed", format!("`{name}`: `{s}` is not one of {}", of.join(", "))))
            }
        }),
        FieldType::Department { multi } => each(name, v, *multi, |s| {
            let d = dir?;
            d.department(s)
                .is_none()
                .then(|| err(name, "unknown_reference", format!("`{name}`: there is no department `{s}`")))
        }),
        FieldType::Class { multi } => each(name, v, *multi, |s| {
            let d = dir?;
            d.class(s).is_none().then(|| err(name, "unknown_reference", format!("`{name}`: there is no class `{s}`")))
        }),
        FieldType::Person { multi } => each(name, v, *multi, |s| {
            let d = dir?;
            d.person(s).is_none().then(|| err(name, "unknown_reference", format!("`{name}`: nobody is known as `{s}`")))
        }),
        FieldType::Request => {
            let s = v.as_str().ok_or_else(|| wrong("a request id"))?.trim();
            let ok =
                !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if ok {
                Ok(Value::String(s.to_string()))
            } else {
                Err(vec![err(name, "bad_reference", format!("`{name}`: `{s}` is not a request id"))])
            }
        }
        FieldType::Office { multi } => each(name, v, *multi, |s| {
            let d = dir?;
            let found = [
                crate::catalog::BodyKind::FunctionalOffice,
                crate::catalog::BodyKind::SchoolPartyAdminOffice,
                crate::catalog::BodyKind::StudentAffairsOffice,
                crate::catalog::BodyKind::UpperFederation,
            ]
            .into_iter()
            .any(|k| d.body(k, &crate::org::Scope::School, Some(s)).is_some());
            (!found).then(|| err(name, "unknown_reference", format!("`{name}`: there is no office `{s}`")))
        }),
        FieldType::Table { columns } => {
            let rows = v.as_array().ok_or_else(|| wrong("a list of rows"))?;
            let mut out = Vec::with_capacity(rows.len());
            let mut errors = Vec::new();
            for (i, row) in rows.iter().enumerate() {
                let prefix = format!("{name}[{i}].");
                match row.as_object() {
                    Some(o) => match check_object(columns, o, dir, &prefix, &format!("a row of `{name}`")) {
                        Ok(r) => out.push(Value::Object(r)),
                        Err(mut e) => errors.append(&mut e),
                    },
                    None => errors.push(err(
                        &format!("{name}[{i}]"),
                        "wrong_type",
                        format!("`{name}[{i}]` must be an object of column: value, found {}", json_kind(row)),
                    )),
                }
            }
            if errors.is_empty() { Ok(Value::Array(out)) } else { Err(errors) }
        }
    }
}

/// Checks one text value, or each value of a list when `multi`.
/// A form value as people read it in `lang` (pages and mails; domain.md §5): an enum by its
/// option's label (文种 `request` → 请示), a date as 2027年1月20日 / 20 Jan 2027, a datetime in
/// Asia/Shanghai, a yes/no in words, departments, classes, offices and people by name, lists
/// joined with 、 (zh) or `, ` (en). A value the definition or org does not know is shown as given.
pub fn display_value(field: Option<&FormField>, v: &Value, lang: crate::catalog::Lang, dir: &dyn Directory) -> String {
    use crate::catalog::{BodyKind, Lang};
    let zh = lang == Lang::Zh;
    if let (Some(FormField { ty: FieldType::Table { columns }, .. }), Value::Array(rows)) = (field, v) {
        // one row per line: 人员 张三，院系 计算机学院
        let lines: Vec<String> = rows
            .iter()
            .map(|row| {
                columns
                    .iter()
                    .filter_map(|c| {
                        let cell = row.get(&c.name).filter(|x| !x.is_null())?;
                        let label =
                            c.label.as_ref().map(|l| l.get(lang)).filter(|l| !l.is_empty()).unwrap_or(c.name.as_str());
                        Some(format!("{label} {}", display_value(Some(c), cell, lang, dir)))
                    })
                    .collect::<Vec<_>>()
                    .join(if zh { "，" } else { ", " })
            })
            .collect();
        return lines.join(if zh { "；" } else { "; " });
    }
    if let Value::Array(items) = v {
        let parts: Vec<String> = items.iter().map(|i| display_value(field, i, lang, dir)).collect();
        return parts.join(if zh { "、" } else { ", " });
    }
    let raw = match v {
        Value::String(s) => s.clone(),
        Value::Null => return String::new(),
        Value::Bool(b) => {
            return match (b, zh) {
                (true, true) => "是",
                (false, true) => "否",
                (true, false) => "Yes",
                (false, false) => "No",
            }
            .into();
        }
        other => other.to_string(),
    };
    let Some(field) = field else { return raw };
    match &field.ty {
        FieldType::Enum { labels, .. } => {
            labels.get(&raw).map(|l| l.get(lang)).filter(|l| !l.is_empty()).map_or(raw.clone(), str::to_string)
        }
        FieldType::Date => {
            NaiveDate::parse_from_str(&raw, "%Y-%m-%d").map_or(raw.clone(), |d| crate::calendar::format_date(d, lang))
        }
        FieldType::Datetime => DateTime::parse_from_rfc3339(&raw)
            .map_or(raw.clone(), |t| crate::calendar::format_local(t.with_timezone(&chrono::Utc), lang)),
        FieldType::Department { .. } => dir.department(&raw).map_or(raw.clone(), |d| d.name.get(lang).to_string()),
        FieldType::Class { .. } => dir.class(&raw).map_or(raw.clone(), |c| c.name.get(lang).to_string()),
        FieldType::Person { .. } => {
            dir.person(&raw).or_else(|| dir.person_by_email(&raw)).map_or(raw.clone(), |p| p.name.clone())
        }
        FieldType::Office { .. } => [
            BodyKind::FunctionalOffice,
            BodyKind::SchoolPartyAdminOffice,
            BodyKind::StudentAffairsOffice,
            BodyKind::UpperFederation,
        ]
        .into_iter()
        .find_map(|k| dir.body(k, &crate::org::Scope::School, Some(&raw)))
        .map_or(raw.clone(), |b| b.name.get(lang).to_string()),
        _ => raw,
    }
}

fn each(
    name: &str,
    v: &Value,
    multi: bool,
    check: impl Fn(&str) -> Option<FieldError>,
) -> Result<Value, Vec<FieldError>> {
    let values: Vec<&Value> = match (multi, v) {
        (true, Value::Array(a)) => a.iter().collect(),
        (true, _) => {
            return Err(vec![err(name, "wrong_type", format!("`{name}` must be a list, found {}", json_kind(v)))]);
        }
        (false, _) => vec![v],
    };
    let mut errors = Vec::new();
    for x in &values {
        match x.as_str() {
            Some(s) => errors.extend(check(s)),
            None => errors.push(err(name, "wrong_type", format!("`{name}` must be text, found {}", json_kind(x)))),
        }
    }
    if errors.is_empty() { Ok(v.clone()) } else { Err(errors) }
}

fn range<T: std::fmt::Display>(min: &Option<T>, max: &Option<T>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("between {a} and {b}"),
        (Some(a), None) => format!("at least {a}"),
        (None, Some(b)) => format!("at most {b}"),
        (None, None) => "a number".into(),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def() -> Definition {
        let src = "key: t\nversion: 1\nname: 测试\nform:\n  title: { type: text, max: 5, required: true }\n  n: { type: integer, min: 1, max: 10 }\n  x: { type: number, min: 0 }\n  ok: { type: bool }\n  on: { type: date }\n  at: { type: datetime }\n  kind: { type: enum, of: [a, b] }\n  areas: { type: enum, of: [a, b], multi: true }\nstart: s\nsteps:\n  s: { end: approved }\n";
        crate::validate::check_source(src).definition.unwrap()
    }

    #[test]
    fn a_good_form_is_normalized() {
        let f = check_form(
            &def(),
            &json!({ "title": "标题", "n": 3, "on": "2025-10-01", "areas": ["a"], "kind": "b" }),
            None,
        )
        .unwrap();
        assert_eq!(f["title"], "标题");
        assert_eq!(f.len(), 5);
    }

    #[test]
    fn every_broken_field_is_reported() {
        // given
        let bad = json!({
            "title": "太长的一个标题", "n": 11, "x": -1, "ok": "yes", "on": "2025-13-01",
            "at": "tomorrow", "kind": "c", "areas": "a", "colour": "red"
        });
        // when
        let errs = check_form(&def(), &bad, None).unwrap_err();
        // then
        let got: Vec<(&str, &str)> = errs.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            got,
            [
                ("colour", "unknown_field"),
                ("title", "too_long"),
                ("n", "out_of_range"),
                ("x", "out_of_range"),
                ("ok", "wrong_type"),
                ("on", "bad_date"),
                ("at", "bad_date"),
                ("kind", "not_allowed"),
                ("areas", "wrong_type"),
            ]
        );
        assert_eq!(errs[1].message, "`title` is longer than 5 characters (7)");
    }

    #[test]
    fn computed_fields_are_filled_and_never_typed() {
        // given the built-in duty review, whose ledger fields the daemon computes
        let def = crate::builtin::builtin("duty_review").unwrap();
        let value = |c: Computed| match c {
            Computed::LedgerEntries => json!(4),
            Computed::LedgerSummary => json!("计算机学院学生会：4 条"),
            Computed::TrainingsSummary => json!("本学期参加培训1次"),
            _ => json!(0),
        };
        // when the submitter leaves them out (or empty), they are filled
        let f = fill_computed(&def, &json!({ "semester": "秋", "report": "……", "ledger_summary": "" }), value).unwrap();
        assert_eq!(
            (f["ledger_entries"].clone(), f["ledger_summary"].clone()),
            (json!(4), json!("计算机学院学生会：4 条"))
        );
        assert!(check_form(&def, &f, None).is_ok());
        // when they type them, each is refused by name
        let errs = fill_computed(&def, &json!({ "ledger_entries": 99, "ledger_summary": "很多" }), value).unwrap_err();
        let got: Vec<(&str, &str)> = errs.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(got, [("ledger_entries", "computed"), ("ledger_summary", "computed")]);
        // not an object: left for check_form
        assert_eq!(fill_computed(&def, &json!([1]), value).unwrap(), json!([1]));
    }

    #[test]
    fn required_and_not_an_object() {
        let errs = check_form(&def(), &json!({ "title": "  " }), None).unwrap_err();
        assert_eq!((errs[0].field.as_str(), errs[0].code), ("title", "required"));
        let errs = check_form(&def(), &json!([1]), None).unwrap_err();
        assert_eq!(errs[0].code, "not_an_object");
    }

    #[test]
    fn values_are_shown_as_people_read_them() {
        use crate::catalog::Lang::{En, Zh};
        let dir = crate::org::generate::demo_directory();
        let show = |key: &str, field: &str, v: serde_json::Value, lang| {
            let def = crate::builtin::builtin(key).unwrap();
            display_value(def.field(field), &v, lang, &dir)
        };
        assert_eq!(show("major_matter_report", "kind", json!("request"), Zh), "请示");
        assert_eq!(show("major_matter_report", "matter_type", json!("major_meeting"), Zh), "召开本级学代会等重大会议");
        assert_eq!(show("major_matter_report", "matter_type", json!("major_meeting"), En), "major meeting");
        assert_eq!(show("major_matter_report", "event_date", json!("2027-01-20"), Zh), "2027年1月20日");
        assert_eq!(show("major_matter_report", "event_date", json!("2027-01-20"), En), "20 Jan 2027");
        assert_eq!(show("activity_cohost", "major", json!(true), Zh), "是");
        assert_eq!(show("activity_cohost", "major", json!(false), En), "No");
        assert_eq!(
            show("activity_cohost", "cohost_departments", json!(["cs", "econ"]), Zh),
            "计算机学院、经济管理学院"
        );
        assert_eq!(show("activity_cohost", "key_classes", json!(["cs-2023-1"]), Zh), "计算机2023级1班");
        assert_eq!(
            show("proposal_handling", "co_offices", json!(["library", "academic_affairs"]), En),
            "Library, Academic Affairs Office"
        );
        assert_eq!(show("proposal_handling", "lead_office", json!("library"), Zh), "图书馆");
        let president = dir.person(crate::org::generate::demo_people::CS_SU_PRESIDENT).unwrap().name.clone();
        assert_eq!(
            show("onboarding", "new_staff", json!(crate::org::generate::demo_people::CS_SU_PRESIDENT), Zh),
            president
        );
        // what the definition or the org does not know is shown as given
        assert_eq!(show("major_matter_report", "kind", json!("memo"), Zh), "memo");
        assert_eq!(show("activity_cohost", "cohost_departments", json!(["nowhere"]), Zh), "nowhere");
        assert_eq!(display_value(None, &json!(12), Zh, &dir), "12");
    }

    #[test]
    fn a_table_is_checked_cell_by_cell_and_shown_row_by_row() {
        use crate::catalog::Lang::Zh;
        let dir = crate::org::generate::demo_directory();
        let def = crate::builtin::builtin("liaison_assignment").unwrap();
        let form = |rows: serde_json::Value| json!({ "term": "2026秋", "from": "2026-12-01", "departments": ["cs"], "liaisons": rows });
        // every broken cell is named with its row
        let errs = check_form(
            &def,
            &form(json!([{ "person": "2023010215", "department": "cs" }, { "class": "nowhere", "colour": 1 }, 7])),
            Some(&dir),
        )
        .unwrap_err();
        let got: Vec<(&str, &str)> = errs.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            got,
            [
                ("liaisons[1].colour", "unknown_field"),
                ("liaisons[1].person", "required"),
                ("liaisons[1].class", "unknown_reference"),
                ("liaisons[2]", "wrong_type"),
            ]
        );
        let errs = check_form(&def, &form(json!("张三→计算机学院")), Some(&dir)).unwrap_err();
        assert_eq!((errs[0].field.as_str(), errs[0].code), ("liaisons", "wrong_type"));
        // a good table is kept, and shown by labels and names
        let ok = check_form(&def, &form(json!([{ "person": "2023010215", "department": "cs" }])), Some(&dir)).unwrap();
        let name = dir.person("2023010215").unwrap().name.clone();
        assert_eq!(
            display_value(def.field("liaisons"), &ok["liaisons"], Zh, &dir),
            format!("联系人 {name}，联系院系 计算机学院")
        );
    }
}
