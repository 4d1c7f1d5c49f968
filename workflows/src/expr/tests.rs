//! Expressions: parsing, type checking with positions, evaluation.

use super::*;
use crate::model::{FieldType, FormField};
use serde_json::json;
use std::collections::BTreeMap;

fn field(name: &str, ty: FieldType) -> FormField {
    FormField { name: name.into(), ty, required: false, label: None, pos: Pos::new(1, 1) }
}

fn form() -> Vec<FormField> {
    vec![
        field(
            "kind",
            FieldType::Enum { of: vec!["request".into(), "report".into()], labels: BTreeMap::new(), multi: false },
        ),
        field("budget", FieldType::Number { min: None, max: None }),
        field("event_date", FieldType::Date),
        field(
            "areas",
            FieldType::Enum { of: vec!["study".into(), "health".into()], labels: BTreeMap::new(), multi: true },
        ),
        field("title", FieldType::Text { max: None }),
    ]
}

fn at(line: u32, col: u32) -> Pos {
    Pos::new(line, col)
}

#[test]
fn parses_and_evaluates_conditions() {
    let f = json!({ "kind": "report", "budget": 1200, "event_date": "2025-11-20", "areas": ["study"] });
    let f = f.as_object().unwrap();
    let s = SubmitterInfo { department: Some("cs".into()), is_class_cadre: true, ..Default::default() };
    let yes = |src: &str| Expr::parse(src, at(1, 1)).unwrap().eval_bool(f, &s);
    assert!(yes("form.kind == 'report'"));
    assert!(yes("form.kind in ['report', 'request'] && form.budget > 1000"));
    assert!(yes("not (form.budget < 100) and submitter.department == 'cs'"));
    assert!(yes("form.areas contains 'study' || false"));
    assert!(yes("form.event_date >= date('2025-11-01')"));
    assert!(yes("submitter.is_class_cadre"));
    assert!(yes("len(form.areas) == 1"));
    assert!(!yes("form.missing_field == 'x'"), "a missing field is null, comparisons are false");
    assert!(yes("form.missing_field == null"));
}

#[test]
fn syntax_errors_point_at_the_column() {
    let e = Expr::parse("form.kind = 'report'", at(7, 10)).unwrap_err();
    assert_eq!((e.code, e.pos), ("expr_syntax", at(7, 20)));
    let e = Expr::parse("form.kind == 'report", at(1, 5)).unwrap_err();
    assert_eq!(e.pos, at(1, 18));
    assert!(e.message.contains("closing quote"));
    let e = Expr::parse("(form.budget > 3", at(2, 1)).unwrap_err();
    assert_eq!(e.pos, at(2, 17));
    let e = Expr::parse("budget > 3", at(2, 1)).unwrap_err();
    assert_eq!(e.pos, at(2, 1));
    assert!(Expr::parse("", at(1, 1)).is_err());
}

#[test]
fn type_errors_point_at_the_operand() {
    let check = |src: &str| Expr::parse(src, at(3, 11)).unwrap().check(&form());
    let d = check("form.kindd == 'report'");
    assert_eq!((d[0].code, d[0].pos), ("unknown_field", at(3, 11)));
    let d = check("form.budget == 'lots'");
    assert_eq!((d[0].code, d[0].pos), ("type_mismatch", at(3, 26)));
    let d = check("form.kind == 'reprot'");
    assert_eq!((d[0].code, d[0].pos), ("type_mismatch", at(3, 24)));
    assert!(d[0].message.contains("request, report"));
    let d = check("form.budget");
    assert_eq!(d[0].code, "type_mismatch");
    assert!(d[0].message.contains("true or false"));
    let d = check("form.kind in 'x' && form.title > 3");
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].pos, at(3, 44));
    let d = check("submitter.age > 3");
    assert_eq!(d[0].code, "unknown_field");
    assert!(check("form.kind == 'report' || form.areas contains 'health'").is_empty());
}

#[test]
fn field_refs_lists_form_fields() {
    let e = Expr::parse("form.a == 1 && (form.b in ['x'] || submitter.class == 'c')", at(1, 1)).unwrap();
    assert_eq!(e.field_refs(), ["a", "b"]);
}

/// Regression (issue 10): `datetime` values were compared as text, so the same instant written
/// with two offsets took different branches.
#[test]
fn datetimes_compare_as_moments_not_text() {
    let mut fields = form();
    fields.push(field("starts_at", FieldType::Datetime));
    fields.push(field("ends_at", FieldType::Datetime));
    let s = SubmitterInfo::default();
    let utc = json!({ "starts_at": "2026-10-01T16:30:00Z", "ends_at": "2026-10-02T01:00:00+08:00" });
    let cst = json!({ "starts_at": "2026-10-02T00:30:00+08:00", "ends_at": "2026-10-01T17:00:00Z" });
    let cases = [
        ("form.starts_at == '2026-10-02T00:30:00+08:00'", true),
        ("form.starts_at != '2026-10-01T16:30:00Z'", false),
        ("form.starts_at >= '2026-10-02T00:00:00+08:00'", true),
        ("form.starts_at < '2026-10-01T17:00:00+00:00'", true),
        ("form.starts_at > '2026-10-01T20:00:00+08:00'", true),
        ("form.starts_at <= '2026-10-01T16:29:59Z'", false),
        ("form.starts_at < form.ends_at", true),
        ("form.ends_at > form.starts_at", true),
    ];
    for (src, want) in cases {
        let e = Expr::parse(src, at(1, 1)).unwrap();
        assert_eq!(e.check(&fields), vec![], "{src}");
        for f in [&utc, &cst] {
            assert_eq!(e.eval_bool(f.as_object().unwrap(), &s), want, "{src} on {f}");
        }
    }
}

/// A date-time compared with a date, with text that is not a moment, or with another type is a
/// type error at the operand's column.
#[test]
fn datetime_comparisons_with_other_types_are_type_errors() {
    let mut fields = form();
    fields.push(field("starts_at", FieldType::Datetime));
    for (src, col, needle) in [
        ("form.starts_at < date('2026-10-01')", 18, "a day is not a moment"),
        ("form.event_date == form.starts_at", 1, "a day is not a moment"),
        ("form.starts_at > '2026-10-01'", 18, "RFC 3339"),
        ("form.starts_at == form.title", 19, "cannot compare"),
        ("form.budget < form.starts_at", 1, "cannot compare"),
    ] {
        let d = Expr::parse(src, at(1, 1)).unwrap().check(&fields);
        assert_eq!(d.len(), 1, "{src}: {d:?}");
        assert_eq!((d[0].code, d[0].pos), ("type_mismatch", at(1, col)), "{src}");
        assert!(d[0].message.contains(needle), "{src}: {}", d[0].message);
    }
}
