//! Expressions: parsing, type checking with positions, evaluation.

use super::*;
use crate::model::{FieldType, FormField};
use serde_json::json;
use std::collections::BTreeMap;

fn field(name: &str, ty: FieldType) -> FormField {
    FormField { name: name.into(), ty, required: false, label: None, computed: None, pos: Pos::new(1, 1) }
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

/// Runs `f` on a thread with a 256 KiB stack: a walk that recurses once per input character (as
/// the parser, the checker, `field_refs`, the evaluator and `Drop` did before the bounds)
/// overflows it within a few thousand levels and aborts the test binary.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(256 * 1024).spawn(f).unwrap().join().unwrap()
}

/// Parses, and when accepted walks the tree every way the daemon does, then drops it.
fn parse_and_walk(src: String) -> Result<(), Diagnostic> {
    on_small_stack(move || {
        let e = Expr::parse(&src, at(4, 9))?;
        let _ = e.check(&form());
        let _ = e.field_refs();
        let f = json!({ "kind": "report", "budget": 5, "title": "x" });
        let _ = e.eval(f.as_object().unwrap(), &SubmitterInfo::default());
        let copy = e.clone();
        assert_eq!(copy, e);
        drop((e, copy));
        Ok(())
    })
}

/// The inputs of issue 10 (8 KB each) that overflowed the stack of the daemon.
#[test]
fn issue_10_deep_inputs_are_refused_at_their_position() {
    let parens = format!("{}form.budget > 1{}", "(".repeat(3000), ")".repeat(3000));
    let nots = format!("{}true", "not ".repeat(5000));
    let ors = format!("{}true", "form.kind == 'a' or ".repeat(4000));
    for src in [parens, nots, ors] {
        let e = parse_and_walk(src).unwrap_err();
        assert_eq!((e.code, e.pos), ("expr_too_long", at(4, 9)), "{e:?}");
        assert!(e.message.contains("at most 1000"), "{e:?}");
    }
    // Within the length bound, depth is refused where it goes one level too deep.
    let e = parse_and_walk(format!("{}true{}", "(".repeat(40), ")".repeat(40))).unwrap_err();
    assert_eq!((e.code, e.pos), ("expr_too_deep", at(4, 9 + 32)), "{e:?}");
    assert!(e.message.contains("32 levels"));
    let e = parse_and_walk(format!("{}true", "not ".repeat(100))).unwrap_err();
    assert_eq!((e.code, e.pos), ("expr_too_deep", at(4, 9 + 32 * 4)), "{e:?}");
    let e = parse_and_walk(format!("{}1", "1 == ".repeat(60))).unwrap_err();
    assert_eq!(e.code, "expr_too_deep", "{e:?}");
    // Within the length bound, a flat list of 300 values has too many parts: refused at the
    // 257th part (offset 6 + 2 × 255).
    let e = parse_and_walk(format!("1 in [{}1]", "1,".repeat(300))).unwrap_err();
    assert_eq!((e.code, e.pos), ("expr_too_long", at(4, 9 + 516)), "{e:?}");
}

#[test]
fn the_deepest_and_largest_accepted_expressions_walk_on_a_small_stack() {
    // 32 levels each way: openings the parser is inside, and levels of the tree.
    parse_and_walk(format!("{}true{}", "(not ".repeat(16), ")".repeat(16))).unwrap();
    parse_and_walk(format!("{}true", "not ".repeat(31))).unwrap();
    parse_and_walk(format!("{}1", "1 == ".repeat(31))).unwrap();
    parse_and_walk(format!("{}'x'{} > 0", "len(".repeat(30), ")".repeat(30))).unwrap();
    assert_eq!(parse_and_walk(format!("{}1", "1 == ".repeat(32))).unwrap_err().code, "expr_too_deep");
    // A flat chain is one level however long: 31 terms, 124 parts.
    let flat = format!("{}form.kind == 'report'", "form.kind == 'request' or ".repeat(30));
    assert_eq!(flat.chars().count(), 801);
    parse_and_walk(flat.clone()).unwrap();
    let e = Expr::parse(&flat, at(1, 1)).unwrap();
    assert!(e.check(&form()).is_empty());
    let f = json!({ "kind": "report" });
    assert!(e.eval_bool(f.as_object().unwrap(), &SubmitterInfo::default()));
    assert_eq!(e.field_refs().len(), 31);
}

#[test]
fn flat_and_or_chains_keep_their_meaning() {
    let f = json!({ "kind": "report", "budget": 1200 });
    let f = f.as_object().unwrap();
    let s = SubmitterInfo::default();
    let yes = |src: &str| Expr::parse(src, at(1, 1)).unwrap().eval_bool(f, &s);
    assert!(yes("false or false or true"));
    assert!(!yes("true and true and false"));
    assert!(yes("false and false or true"), "and binds tighter than or");
    assert!(yes("true or false and false"));
    assert!(!yes("(true or false) and false"));
    assert!(yes("form.budget > 1 and form.kind == 'report' and not false"));
    let d = Expr::parse("true or form.budget or 'x'", at(2, 3)).unwrap().check(&form());
    assert_eq!(
        d.iter().map(|d| (d.code, d.pos)).collect::<Vec<_>>(),
        [("type_mismatch", at(2, 11)), ("type_mismatch", at(2, 26))]
    );
}

mod generated {
    use super::*;
    use proptest::prelude::*;

    /// Every kind of nesting the language has, `n` levels deep, around a valid core.
    fn nested(kind: usize, n: usize) -> String {
        match kind {
            0 => format!("{}true{}", "(".repeat(n), ")".repeat(n)),
            1 => format!("{}true", "not ".repeat(n)),
            2 => format!("{}true", "!".repeat(n)),
            3 => format!("{}1 > 0", "-".repeat(n)),
            4 => format!("{}true", "true or ".repeat(n)),
            5 => format!("{}true", "true and ".repeat(n)),
            6 => format!("{}true", "true and false or ".repeat(n)),
            7 => format!("{}1", "1 == ".repeat(n)),
            8 => format!("'x' in {}'x'{}", "[".repeat(n), "]".repeat(n)),
            9 => format!("{}'x'{} > 0", "len(".repeat(n), ")".repeat(n)),
            10 => format!("{}true{}", "not (".repeat(n), ")".repeat(n)),
            11 => format!("{}{}", "(true or ".repeat(n), ")".repeat(n)).replace("or )", "or true)"),
            _ => format!("{}form.kind{}", "[".repeat(n), "]".repeat(n)),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Any depth of any kind is either accepted within the bounds or refused with a clean
        /// diagnostic; nothing overflows a 256 KiB stack.
        #[test]
        fn any_nesting_is_accepted_or_refused_cleanly(kind in 0usize..13, n in prop_oneof![0usize..40, 40usize..20_000]) {
            let src = nested(kind, n);
            match parse_and_walk(src.clone()) {
                Ok(()) => prop_assert!(n <= MAX_DEPTH || matches!(kind, 4..=6), "{kind} {n}"),
                Err(e) => {
                    prop_assert!(["expr_syntax", "expr_too_deep", "expr_too_long"].contains(&e.code), "{e:?}");
                    prop_assert!(e.pos.line == 4 && e.pos.col >= 9, "{e:?}");
                    if n > MAX_LEN {
                        prop_assert!(e.code == "expr_too_long", "{e:?}");
                    }
                }
            }
        }

        /// Random text made of the language's brackets and operators never overflows either.
        #[test]
        fn random_operator_soup_never_overflows(src in "[()\\[\\]! a-z'=<>,.0-9]{0,1200}|((not |\\(|\\[|len\\(|or |and |== )){0,600}true") {
            let _ = parse_and_walk(src);
        }
    }
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
