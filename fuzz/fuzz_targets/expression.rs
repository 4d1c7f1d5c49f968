//! Arbitrary bytes → one condition expression (`workflows::expr::Expr::parse`), and when it parses,
//! every walk the daemon makes over it: the type checker against a form with a field of each type,
//! `field_refs`, the evaluator on a filled-in form, clone, compare and drop. None may panic or
//! exhaust the stack (issue 10: 3,000 parentheses, 5,000 × `not` and 4,000 `or` terms did).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;
use workflows::diag::Pos;
use workflows::expr::Expr;

/// A form with a field of every type, read through the definition parser.
static FORM: LazyLock<Vec<workflows::model::FormField>> = LazyLock::new(|| {
    let src = "key: f\nversion: 1\nname: { zh: 测试, en: Test }\nform:\n  kind: { type: enum, of: [a, b] }\n  areas: { type: enum, of: [x, y], multi: true }\n  when: { type: date }\n  at: { type: datetime }\n  budget: { type: number }\n  n: { type: integer }\n  ok: { type: bool }\n  title: { type: text }\n  dept: { type: department }\n  people: { type: person, multi: true }\nstart: s\nsteps:\n  s: { end: approved }\n";
    workflows::validate::check_source(src).definition.expect("the fuzz form is valid").form
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(e) = Expr::parse(text, Pos::new(3, 7)) else {
        return;
    };
    let _ = e.check(&FORM);
    let _ = e.field_refs();
    let form = serde_json::json!({
        "kind": "a", "areas": ["x"], "when": "2026-12-15", "at": "2026-12-15T08:00:00+08:00",
        "budget": 1200.5, "n": 3, "ok": true, "title": "标题", "dept": "cs", "people": ["T0101"]
    });
    let _ = e.eval(form.as_object().unwrap(), &workflows::org::SubmitterInfo::default());
    let copy = e.clone();
    assert_eq!(copy, e);
});
