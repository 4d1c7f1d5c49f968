//! The parser: the M1 sketch of definitions.md, and one test per diagnostic with its position.

use super::*;
use crate::catalog::{BodyKind, Role};
use crate::duration::DurationUnit;

/// The M1 sketch of `shared/docs/definitions.md`, as written there.
pub(crate) const M1_SKETCH: &str = r#"key: major_matter_report
version: 1
name: { zh: 院系学生会重大事项请示报告, en: Department SU major-matter request/report }
submitters: [{ body: department_su, roles: [president, vice_president, executive_president] }]
form:
  kind:        { type: enum, of: [request, report], required: true }
  matter_type: { type: enum, required: true,
                 of: [major_meeting, reform_progress, sensitive_incident, emergency_incident,
                      major_commendation, major_violation_handling, annual_summary_plan] }
  title:       { type: text, max: 200, required: true }
  body:        { type: longtext, required: true }
  event_date:  { type: date }
visibility: { need_to_know: "form.matter_type in ['sensitive_incident', 'major_violation_handling']" }
lead_time: { before: form.event_date, at_least: 10wd, when: "form.matter_type == 'major_meeting'", else: warn }
start: report_both
steps:
  report_both:
    parallel:
      college: league_review
      school_su: school_su_ack
    join: { decides: college, waits_for: [school_su] }
    next: { approve: approved, reject: rejected }
  league_review:
    approve: { who: { body: department_league_org, of: submitter.department, roles: [secretary] }, mode: any }
    due: 3wd
    remind: [50%, 100%]
    escalate: [{ after: 5wd, to: { body: department_party_org, of: submitter.department, roles: [secretary] } }]
    next: { approve: party_decision, reject: rejected, return: submitter }
  party_decision:
    switch: { "form.kind == 'report'": party_ack, else: party_approve }
  party_approve:
    approve: { who: { body: department_party_org, of: submitter.department, roles: [deputy_secretary] } }
    due: 3wd
    next: { approve: approved, reject: rejected, return: submitter }
  party_ack:
    acknowledge: { who: { body: department_party_org, of: submitter.department, roles: [deputy_secretary] } }
    due: 2wd
    next: approved
  school_su_ack:
    acknowledge: { who: { liaison_of: submitter.department } }
    due: 1wd
    escalate: [{ after: 1wd, to: { body: school_su, roles: [secretary_general] } },
               { after: 3wd, to: { body: school_league_committee, roles: [secretary] } }]
  approved: { end: approved }
  rejected: { end: rejected }
"#;

fn first(src: &str) -> (&'static str, Pos) {
    let p = parse_definition(src);
    let d = p.diagnostics.first().unwrap_or_else(|| panic!("expected a diagnostic for:\n{src}"));
    (d.code, d.pos)
}

fn base(steps: &str) -> String {
    format!("key: t\nversion: 1\nname: {{ zh: 测试, en: Test }}\nstart: a\nsteps:\n{steps}")
}

#[test]
fn parses_the_m1_sketch() {
    // given the sketch of definitions.md
    let p = parse_definition(M1_SKETCH);
    // then
    assert!(p.diagnostics.is_empty(), "{:#?}", p.diagnostics);
    let def = p.definition.unwrap();
    assert_eq!((def.key.as_str(), def.version), ("major_matter_report", 1));
    assert_eq!(def.form.len(), 5);
    assert_eq!(def.steps.len(), 8);
    let StepKind::Parallel { branches, join } = &def.step("report_both").unwrap().kind else { panic!() };
    assert_eq!(branches.iter().map(|b| b.0.as_str()).collect::<Vec<_>>(), ["college", "school_su"]);
    assert!(
        matches!(&join.value, Join::Decides { decides, waits_for } if decides.value == "college" && waits_for[0].value == "school_su")
    );
    let review = def.step("league_review").unwrap();
    assert_eq!(review.due.as_ref().unwrap().value, DurationSpec::new(3, DurationUnit::WorkingDays));
    assert_eq!(review.remind.len(), 2);
    let StepKind::Approve(spec) = &review.kind else { panic!() };
    assert_eq!(
        spec.who[0].kind,
        SelectorKind::Body {
            body: BodyKind::DepartmentLeagueOrg,
            roles: vec![Role::Secretary],
            of: ScopeRef::SubmitterDepartment,
            code: None,
            division: None
        }
    );
    assert!(matches!(&review.next, Next::On { ret: Some(r), .. } if r.value == ReturnTarget::Submitter));
    let ack = def.step("school_su_ack").unwrap();
    assert_eq!(ack.escalate.len(), 2);
    assert!(matches!(def.visibility, Visibility::NeedToKnowWhen(_)));
    let lt = &def.lead_time[0];
    assert_eq!(lt.before.value, "event_date");
    assert_eq!(lt.otherwise, LeadTimeAction::Warn);
}

#[test]
fn malformed_yaml_is_one_positioned_error() {
    let p = parse_definition("key: x\nsteps: [a, b\n");
    assert!(p.definition.is_none());
    assert_eq!(p.diagnostics.len(), 1);
    assert_eq!(p.diagnostics[0].code, "yaml_syntax");
    assert_eq!(p.diagnostics[0].pos, Pos::new(3, 1), "{}", p.diagnostics[0].message);
    // a tab where YAML wants spaces
    let p = parse_definition(
        "key: x
steps:
	a: { end: approved }
",
    );
    assert_eq!((p.diagnostics[0].code, p.diagnostics[0].pos.line), ("yaml_syntax", 3));
    assert!(p.diagnostics[0].message.contains("tabs"), "{}", p.diagnostics[0].message);
}

#[test]
fn duplicate_keys() {
    let (code, pos) = first("key: t\nversion: 1\nkey: u\n");
    assert_eq!((code, pos), ("duplicate_key", Pos::new(3, 1)));
}

#[test]
fn unknown_key_with_suggestion() {
    let p =
        parse_definition(&base("  a:\n    approve: { who: submitter }\n    nxt: done\n  done: { end: approved }\n"));
    let d = p.diagnostics.iter().find(|d| d.code == "unknown_key").unwrap();
    assert_eq!(d.pos, Pos::new(8, 5));
    assert!(d.message.contains("did you mean `next`"), "{}", d.message);
}

#[test]
fn wrong_type() {
    let (code, pos) = first(&base("  a: [1, 2]\n"));
    assert_eq!((code, pos), ("wrong_type", Pos::new(6, 6)));
}

#[test]
fn missing_key() {
    let (code, pos) = first("key: t\nversion: 1\nname: T\nsteps: {}\n");
    assert_eq!((code, pos), ("missing_key", Pos::new(1, 1)));
}

#[test]
fn bad_value() {
    let (code, pos) =
        first(&base("  a:\n    approve: { who: submitter, mode: some }\n    next: done\n  done: { end: approved }\n"));
    assert_eq!((code, pos), ("bad_value", Pos::new(7, 38)));
}

#[test]
fn bad_duration() {
    let (code, pos) = first(&base(
        "  a:\n    approve: { who: submitter }\n    due: 3weeks\n    next: done\n  done: { end: approved }\n",
    ));
    assert_eq!((code, pos), ("bad_duration", Pos::new(8, 10)));
}

#[test]
fn unknown_body_kind_and_role_and_role_not_in_body() {
    let p = parse_definition(&base(
        "  a:\n    approve: { who: [{ body: student_unoin, roles: [president] }, { body: school_su, roles: [presdent] }, { body: class_committee, roles: [president] }] }\n    next: done\n  done: { end: approved }\n",
    ));
    let codes: Vec<(&str, Pos)> = p.diagnostics.iter().map(|d| (d.code, d.pos)).collect();
    assert_eq!(
        codes,
        [
            ("unknown_body_kind", Pos::new(7, 30)),
            ("unknown_role", Pos::new(7, 94)),
            ("role_not_in_body", Pos::new(7, 140))
        ]
    );
}

#[test]
fn expr_syntax_inside_quotes() {
    let (code, pos) =
        first(&base("  a:\n    switch: { \"form.kind = 'x'\": done, else: done }\n  done: { end: approved }\n"));
    assert_eq!((code, pos), ("expr_syntax", Pos::new(7, 26)));
}

#[test]
fn bad_key_and_bad_version() {
    let p =
        parse_definition("key: Major-Matter\nversion: zero\nname: 测试\nstart: a\nsteps:\n  a: { end: approved }\n");
    let codes: Vec<(&str, Pos)> = p.diagnostics.iter().map(|d| (d.code, d.pos)).collect();
    assert_eq!(codes, [("bad_key", Pos::new(1, 6)), ("bad_version", Pos::new(2, 10))]);
}

#[test]
fn missing_zh_label_is_a_warning() {
    let p = parse_definition("key: t\nversion: 1\nname: { en: Test }\nstart: a\nsteps:\n  a: { end: approved }\n");
    assert_eq!(p.diagnostics.len(), 1);
    let d = &p.diagnostics[0];
    assert_eq!((d.code, d.severity, d.pos), ("missing_zh_label", crate::diag::Severity::Warning, Pos::new(3, 7)));
    assert!(p.definition.is_some());
}

#[test]
fn escalation_no_rungs() {
    let (code, pos) = first(&base(
        "  a:\n    approve: { who: submitter }\n    escalate: []\n    next: done\n  done: { end: approved }\n",
    ));
    assert_eq!((code, pos), ("escalation_no_rungs", Pos::new(8, 15)));
}

#[test]
fn every_problem_at_once_and_broken_steps_recorded() {
    let p = parse_definition(&base(
        "  a:\n    approve: { who: { body: nope } }\n    due: soon\n    next: b\n  b:\n    acknowledge: { who: submitter, mode: sequence }\n  c: { end: maybe }\n",
    ));
    let codes: Vec<&str> = p.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["bad_duration", "unknown_body_kind", "bad_value", "bad_value"]);
    assert!(p.broken_steps.contains("b") && p.broken_steps.contains("c"));
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn on_arbitrary_text(s in "\\PC{0,200}") {
            let _ = parse_definition(&s);
        }

        #[test]
        fn on_mutations_of_a_valid_definition(cut in 0usize..2000, insert in "[ :\\-\\[\\]{}'\"#a-z0-9%\n]{0,6}") {
            let src = M1_SKETCH;
            let mut at = cut.min(src.len());
            while !src.is_char_boundary(at) { at -= 1; }
            let mutated = format!("{}{}{}", &src[..at], insert, &src[at..]);
            let _ = parse_definition(&mutated);
            let _ = crate::validate::check_source(&mutated);
        }
    }
}

#[test]
fn computed_fields_name_a_known_source_that_fits_their_type() {
    let src = |field: &str| {
        format!("key: t\nversion: 1\nname: T\nform:\n  n: {field}\nstart: a\nsteps:\n  a: {{ end: approved }}\n")
    };
    // a known source on a fitting field
    let p = parse_definition(&src("{ type: integer, computed: ledger.entries }"));
    assert!(p.diagnostics.is_empty(), "{:#?}", p.diagnostics);
    assert_eq!(p.definition.unwrap().form[0].computed, Some(crate::model::Computed::LedgerEntries));
    // an unknown one, with a suggestion
    let p = parse_definition(&src("{ type: integer, computed: ledger.entrys }"));
    let d = &p.diagnostics[0];
    assert_eq!((d.code, d.pos), ("bad_value", Pos::new(5, 33)));
    assert!(d.message.contains("did you mean `ledger.entries`"), "{}", d.message);
    // a summary does not fit an integer
    let p = parse_definition(&src("{ type: integer, computed: ledger.summary }"));
    assert_eq!(p.diagnostics[0].code, "bad_value");
    assert!(p.diagnostics[0].message.contains("text or longtext"), "{}", p.diagnostics[0].message);
}
