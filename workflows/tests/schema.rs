//! The JSON Schema of the definition format matches the code: every built-in validates against
//! it, its property names are the parser's keys, its vocabularies the catalog's, and broken
//! definitions are refused by both.

use marked_yaml::{LoaderOptions, Node};
use serde_json::Value;
use std::collections::BTreeSet;
use workflows::catalog::{BodyKind, Role};
use workflows::parse;

fn schema() -> Value {
    serde_json::from_str(include_str!("../schema/definition.schema.json")).expect("the schema is JSON")
}

/// YAML → JSON the way YAML 1.2's core schema reads plain scalars; quoted scalars stay text.
fn to_json(node: &Node) -> Value {
    match node {
        Node::Scalar(s) if !s.may_coerce() => Value::String(s.as_str().into()),
        Node::Scalar(s) => match s.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            t => t.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(t.into())),
        },
        Node::Sequence(items) => Value::Array(items.iter().map(to_json).collect()),
        Node::Mapping(m) => Value::Object(m.iter().map(|(k, v)| (k.as_str().to_string(), to_json(v))).collect()),
    }
}

fn yaml(text: &str) -> Value {
    to_json(&marked_yaml::parse_yaml_with_options(0, text, LoaderOptions::default().prevent_coercion(true)).unwrap())
}

fn keys(v: &Value) -> BTreeSet<String> {
    v["properties"].as_object().unwrap().keys().cloned().collect()
}

fn set(k: &[&str]) -> BTreeSet<String> {
    k.iter().map(|s| s.to_string()).collect()
}

#[test]
fn every_builtin_definition_validates_against_the_schema() {
    let validator = jsonschema::validator_for(&schema()).expect("a valid 2020-12 schema");
    for (file, text) in workflows::builtin::BUILTIN {
        let errors: Vec<String> =
            validator.iter_errors(&yaml(text)).map(|e| format!("{}: {e}", e.instance_path)).collect();
        assert!(errors.is_empty(), "{file}:\n{}", errors.join("\n"));
    }
}

#[test]
fn the_schema_has_the_parsers_keys_and_the_catalogs_words() {
    let s = schema();
    let d = &s["$defs"];
    assert_eq!(keys(&s), set(parse::TOP_KEYS));
    assert_eq!(keys(&d["step"]), set(parse::STEP_KEYS));
    assert_eq!(keys(&d["task"]), set(parse::TASK_KEYS));
    assert_eq!(keys(&d["field"]), set(parse::FIELD_KEYS));
    assert_eq!(keys(&d["rung"]), set(parse::RUNG_KEYS));
    assert_eq!(keys(&d["policies"]), set(parse::POLICY_KEYS));
    assert_eq!(keys(&d["lead_time"]), set(parse::LEAD_TIME_KEYS));
    assert_eq!(keys(&d["report_within"]), set(parse::REPORT_WITHIN_KEYS));
    assert_eq!(keys(&s["properties"]["follow_ups"]["oneOf"][1]), set(parse::FOLLOW_UPS_KEYS));
    assert_eq!(keys(&s["properties"]["visibility"]), set(parse::VISIBILITY_KEYS));
    assert_eq!(keys(&d["guard"]), set(parse::GUARD_KEYS));
    assert_eq!(keys(&d["guard"]["properties"]["override"]), set(parse::GUARD_OVERRIDE_KEYS));
    assert_eq!(keys(&d["step"]["properties"]["notify"]), set(parse::NOTIFY_KEYS));
    assert_eq!(keys(&d["label"]["oneOf"][1]), set(parse::LABEL_KEYS));
    assert_eq!(keys(&d["step"]["properties"]["join"]["oneOf"][1]), set(parse::JOIN_KEYS));
    assert_eq!(keys(&d["step"]["properties"]["next"]["oneOf"][1]), set(parse::NEXT_KEYS));
    assert_eq!(keys(&d["option"]), set(parse::OPTION_KEYS));
    assert_eq!(keys(&d["extension"]), set(parse::EXTENSION_KEYS));
    assert_eq!(keys(&d["visits"]), set(parse::VISITS_KEYS));
    let sel = &d["selector"]["oneOf"][1];
    assert_eq!(keys(sel), set(parse::SELECTOR_KEYS));
    assert_eq!(keys(&sel["properties"]["up_until"]), set(parse::UP_UNTIL_KEYS));
    let words =
        |v: &Value| v.as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect::<BTreeSet<_>>();
    assert_eq!(
        words(&d["finding_code"]["enum"]),
        workflows::compliance::CODES.iter().map(|(c, _, _)| c.to_string()).collect()
    );
    assert_eq!(
        words(&sel["properties"]["body"]["enum"]),
        BodyKind::ALL.iter().map(|b| b.as_str().to_string()).collect()
    );
    assert_eq!(
        words(&sel["properties"]["roles"]["oneOf"][0]["enum"]),
        Role::ALL.iter().map(|r| r.as_str().to_string()).collect()
    );
    assert_eq!(keys(&d["record"]), set(parse::RECORD_KEYS));
    assert_eq!(keys(&d["record_value"]["oneOf"][1]), set(parse::MAP_KEYS));
    assert_eq!(
        words(&d["record"]["properties"]["kind"]["enum"]),
        workflows::records::outcome::KINDS.iter().map(|k| k.name.to_string()).collect()
    );
}

#[test]
fn broken_definitions_are_refused_by_both() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let base = "key: t\nversion: 1\nname: 测试\nstart: a\nsteps:\n";
    for steps in [
        "  a: { approve: { who: submitter }, colour: red }\n",
        "  a: { approve: { who: { body: student_unoin } } }\n",
        "  a: { approve: { who: submitter }, acknowledge: { who: submitter } }\n",
        "  a: { end: maybe }\n",
        "  a: { approve: { who: submitter, mode: sometimes } }\n",
        "  a: { approve: { who: submitter }, due: soon }\n",
        "  a: { approve: { who: submitter }, due: 3d, extension: { max: 0, by: 3d } }\n",
        "  a: { approve: { who: submitter }, options: { approve: { next: a } } }\n",
        "  a: { approve: { who: submitter }, options: { merge: { label: 并案 } } }\n",
        "  a: { approve: { who: submitter }, visits: { max: 2 } }\n",
    ] {
        let text = format!("{base}{steps}");
        assert!(!validator.is_valid(&yaml(&text)), "the schema refuses:\n{text}");
        assert!(workflows::validate::check_source(&text).definition.is_none(), "the parser refuses:\n{text}");
    }
    let steps = "  a: { end: approved }\n";
    for records in [
        "records:\n  - { when: approved, kind: appoint, fields: {} }\n",
        "records:\n  - { when: finished, kind: symposium, fields: { department: submitter.department, date: today } }\n",
        "records:\n  - { when: approved, kind: symposium, fields: { department: { from: x } } }\n",
        "records:\n  - { when: approved, kind: symposium, fields: { date: today }, colour: red }\n",
    ] {
        let text = format!("{base}{steps}{records}");
        assert!(!validator.is_valid(&yaml(&text)), "the schema refuses:\n{text}");
        assert!(workflows::validate::check_source(&text).definition.is_none(), "the parser refuses:\n{text}");
    }
}
