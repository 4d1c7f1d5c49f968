//! The org: the shipped demo university, the generators, loading and resolving.

use super::file::{dump_org, load_org};
use super::generate::{DEMO_ORG_FILE, demo, demo_directory, demo_people as dp, large};
use super::resolve::{ResolveCtx, resolve_all};
use super::*;
use crate::model::{ScopeRef, Selector, SelectorKind};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 11, 24).unwrap()
}

/// Writes the demo org file: `LIANDONG_WRITE_DEMO=1 cargo test -p workflows writes_demo`.
#[test]
fn the_shipped_demo_file_is_what_the_generator_makes() {
    let generated = dump_org(&demo());
    if std::env::var_os("LIANDONG_WRITE_DEMO").is_some() {
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/orgs/nanyue_demo_u.yaml"), &generated).unwrap();
        return;
    }
    assert!(
        DEMO_ORG_FILE == generated,
        "workflows/orgs/nanyue_demo_u.yaml differs from org::generate::demo(); regenerate it"
    );
    assert_eq!(load_org(DEMO_ORG_FILE).unwrap(), {
        let mut o = demo();
        let implied = super::memory::implied_bodies(&o);
        o.bodies.splice(0..0, implied);
        o
    });
}

#[test]
fn demo_has_the_shape_of_domain_md() {
    let dir = demo_directory();
    let org = dir.org();
    assert_eq!(org.departments.len(), 12);
    assert_eq!(org.classes.len(), 96);
    let students = org.people.iter().filter(|p| p.class.is_some()).count();
    assert!((3200..=3400).contains(&students), "{students} students");
    assert_eq!(dir.department("marx").unwrap().students, 360);
    assert_eq!(
        org.classes
            .iter()
            .filter(|c| c.department == "med")
            .map(|c| c.grade)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        5
    );
    let staff = dir
        .holders("school_su", &[], today())
        .into_iter()
        .filter(|p| p.role != Role::Advisor && p.role != Role::SecretaryGeneral)
        .count();
    assert_eq!(staff, 35);
    let presidium =
        dir.holders("school_su", &[Role::President, Role::VicePresident, Role::ExecutivePresident], today()).len();
    assert_eq!(presidium, 5);
    for d in &org.departments {
        assert_eq!(org.classes.iter().filter(|c| c.department == d.code && c.key_class).count(), 3, "{}", d.code);
    }
    assert_eq!(dir.holders("review_panel", &[Role::ClassRepresentative], today()).len(), 10);
    assert_eq!(dir.holders("student_congress", &[Role::Delegate], today()).len(), 40);
}

#[test]
fn well_known_people_hold_their_posts() {
    let dir = demo_directory();
    let holds = |person: &str, body: &str, role: Role| {
        dir.posts_of(person, today()).iter().any(|p| p.body == body && p.role == role)
    };
    assert!(holds(dp::CS_SU_PRESIDENT, "department_su@cs", Role::President));
    assert!(holds(dp::CS_SU_VICE_PRESIDENT, "department_su@cs", Role::VicePresident));
    assert!(holds(dp::CS_LEAGUE_SECRETARY, "department_league_org@cs", Role::Secretary));
    assert!(holds(dp::CS_PARTY_SECRETARY, "department_party_org@cs", Role::Secretary));
    assert!(holds(dp::CS_PARTY_DEPUTY, "department_party_org@cs", Role::DeputySecretary));
    assert!(holds(dp::CS_COUNSELOR_2023, "department_party_org@cs", Role::Counselor));
    assert!(holds(dp::CS_2023_1_MONITOR, "class_committee@cs-2023-1", Role::ClassMonitor));
    assert!(holds(dp::SCHOOL_SU_PRESIDENT, "school_su", Role::President));
    assert!(holds(dp::SCHOOL_SU_SECRETARY_GENERAL, "school_su", Role::SecretaryGeneral));
    assert!(holds(dp::LEAGUE_COMMITTEE_SECRETARY, "school_league_committee", Role::Secretary));
    assert!(holds(dp::PARTY_COMMITTEE_DEPUTY, "school_party_committee", Role::DeputySecretary));
    assert!(holds(dp::STUDENT_AFFAIRS_REVIEWER, "student_affairs_office", Role::Reviewer));
    assert!(holds(dp::ACADEMIC_AFFAIRS_HANDLER, "functional_office:academic_affairs", Role::Handler));
    let rights = dir.posts_of(dp::RIGHTS_DIVISION_HEAD, today());
    assert!(
        rights
            .iter()
            .any(|p| p.body == "school_su" && p.role == Role::DivisionHead && p.division.as_deref() == Some("rights"))
    );
    assert!(dir.person(dp::ADMIN).unwrap().admin);
}

fn sel(kind: SelectorKind) -> Selector {
    Selector { kind, pos: crate::diag::Pos::new(1, 1) }
}

#[test]
fn selectors_resolve_relative_to_the_submitter() {
    let dir = demo_directory();
    let info = dir.submitter_info(dp::CS_SU_PRESIDENT, today()).unwrap();
    assert_eq!(info.department.as_deref(), Some("cs"));
    let form = serde_json::json!({ "department": "law", "offices": ["academic_affairs"] });
    let ctx = ResolveCtx { submitter: &info, form: form.as_object().unwrap(), day: today() };
    let body = |body, roles: Vec<Role>, of| sel(SelectorKind::Body { body, roles, of, code: None, division: None });
    let r = |s: Selector| resolve_all(&[s], &ctx, &dir);
    assert_eq!(
        r(body(BodyKind::DepartmentLeagueOrg, vec![Role::Secretary], ScopeRef::SubmitterDepartment)),
        [dp::CS_LEAGUE_SECRETARY]
    );
    assert_eq!(
        r(body(BodyKind::SchoolLeagueCommittee, vec![Role::Secretary], ScopeRef::School)),
        [dp::LEAGUE_COMMITTEE_SECRETARY]
    );
    assert_eq!(
        r(body(BodyKind::DepartmentPartyOrg, vec![Role::Secretary], ScopeRef::Field("department".into()))),
        ["T0300"]
    );
    assert_eq!(
        r(body(BodyKind::FunctionalOffice, vec![Role::Handler], ScopeRef::Field("offices".into()))),
        [dp::ACADEMIC_AFFAIRS_HANDLER]
    );
    assert_eq!(
        r(sel(SelectorKind::Body {
            body: BodyKind::SchoolSu,
            roles: vec![Role::DivisionHead],
            of: ScopeRef::School,
            code: None,
            division: Some("rights".into())
        })),
        [dp::RIGHTS_DIVISION_HEAD]
    );
    let liaisons = r(sel(SelectorKind::LiaisonOf(ScopeRef::SubmitterDepartment)));
    assert!(liaisons.contains(&dp::SCHOOL_SU_PRESIDENT.to_string()), "{liaisons:?}");
    assert_eq!(liaisons.len(), 2, "a presidium member and a division head");
    // A class member climbs from the class to the department's League secretary.
    let monitor = dir.submitter_info(dp::CS_2023_1_MONITOR, today()).unwrap();
    let ctx2 = ResolveCtx { submitter: &monitor, form: form.as_object().unwrap(), day: today() };
    let up = sel(SelectorKind::UpUntil {
        from: ScopeRef::SubmitterClass,
        bodies: vec![BodyKind::LeagueBranch, BodyKind::DepartmentLeagueOrg],
        roles: vec![Role::Secretary],
    });
    assert_eq!(resolve_all(&[up], &ctx2, &dir), [dp::CS_LEAGUE_SECRETARY]);
}

#[test]
fn liaison_falls_back_to_the_presidium() {
    let mut org = demo();
    org.liaisons.retain(|l| l.department.as_deref() != Some("cs"));
    let dir = OrgDirectory::new(org);
    let info = dir.submitter_info(dp::CS_SU_PRESIDENT, today()).unwrap();
    let form = serde_json::Map::new();
    let ctx = ResolveCtx { submitter: &info, form: &form, day: today() };
    assert_eq!(resolve_all(&[sel(SelectorKind::LiaisonOf(ScopeRef::SubmitterDepartment))], &ctx, &dir).len(), 5);
}

#[test]
fn posts_and_delegations_follow_their_dates() {
    let mut org = demo();
    let at = |d: u32| chrono::Utc.with_ymd_and_hms(2025, 11, d, 0, 0, 0).unwrap();
    org.delegations.push(Delegation {
        from: "T0102".into(),
        to: "T0103".into(),
        starts: at(20),
        ends: at(27),
        definitions: vec![],
    });
    let dir = OrgDirectory::new(org);
    assert_eq!(dir.delegate_of("T0102", "any", at(21)).map(|d| d.to.as_str()), Some("T0103"));
    assert!(dir.delegate_of("T0102", "any", at(27)).is_none(), "the end is exclusive");
    assert!(
        dir.holders("department_su@cs", &[Role::President], NaiveDate::from_ymd_opt(2027, 9, 1).unwrap()).is_empty(),
        "the term ended"
    );
}

use chrono::TimeZone;

#[test]
fn dangling_references_are_all_reported_with_positions() {
    let text = "university: { code: u, name: { zh: 大学, en: U } }\ndepartments:\n  - { code: cs, name: { zh: 计算机学院, en: CS } }\nclasses:\n  - { code: c1, department: nope, name: { zh: 班, en: C }, grade: 2024 }\npeople:\n  - { id: p1, name: 张三, email: p1@u.cn }\nposts:\n  - { person: ghost, body: department_su@cs, role: president, from: 2025-09-01 }\n  - { person: p1, body: class_committee@c1, role: president, from: 2025-09-01 }\n  - { person: p1, body: department_su@xx, role: president, from: 2025-09-01 }\n";
    let errs = load_org(text).unwrap_err();
    let shown: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "5:5: class `c1` names department `nope`, which does not exist",
            "9:5: post names person `ghost`, who does not exist",
            "10:5: a class_committee has no `president` post",
            "11:5: post names body `department_su@xx`, which does not exist",
        ]
    );
}

#[test]
fn unknown_fields_are_errors() {
    let text = "university: { code: u, name: 大学 }\npeople:\n  - { id: p1, name: 张三, email: p1@u.cn, phone: 123 }\n";
    let errs = load_org(text).unwrap_err();
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(errs[1].to_string().starts_with("3:5: people: unknown field `phone`"), "{}", errs[1]);
}

#[test]
fn the_demo_checks_find_exactly_the_planted_defects() {
    let found: Vec<(&str, String)> =
        checks::check_org(demo_directory().org(), today()).into_iter().map(|f| (f.code, f.subject)).collect();
    let mut expected = vec![
        ("m2_class_uncovered", "law-2025-2".to_string()),
        ("m2_ledger_stale", "math".to_string()),
        ("m3_department_su_cadres", "econ".to_string()),
        ("m3_term_transition_missing", "art".to_string()),
        ("m9_no_symposium", "fl".to_string()),
        (
            "m4_presidium_untrained",
            demo_directory().holders("department_su@chem", &[Role::VicePresident], today())[1].person.clone(),
        ),
    ];
    for p in demo_directory()
        .holders("department_su@ee", &[Role::DivisionMember], today())
        .iter()
        .filter(|p| p.onboarded.is_none())
    {
        expected.push(("m4_onboarding_overdue", p.person.clone()));
    }
    let mut found = found;
    found.sort();
    expected.sort();
    assert_eq!(expected.iter().filter(|e| e.0 == "m4_onboarding_overdue").count(), 3);
    assert_eq!(found, expected);
}

#[test]
fn large_university_has_the_load_shape() {
    let org = large(7);
    assert_eq!(org.departments.len(), 60);
    assert_eq!(org.classes.len(), 4000);
    let students = org.people.iter().filter(|p| p.class.is_some()).count();
    assert!((149_000..=151_000).contains(&students), "{students}");
    assert!(org.posts.len() > 40_000, "{} posts", org.posts.len());
}

/// Issue 10: an org file nested thousands of levels deep (block or flow style) is refused at the
/// level too deep, on a 256 KiB stack, instead of overflowing it in the YAML loader.
#[test]
fn a_deeply_nested_org_file_is_refused_not_overflowing() {
    let run = |text: String| {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || load_org(&text).map(drop))
            .unwrap()
            .join()
            .unwrap()
    };
    let e = run(format!("university: {{ code: u, name: U }}\npeople:\n  {}x\n", "- ".repeat(5000))).unwrap_err();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].pos, crate::diag::Pos::new(3, 3 + 2 * 63), "{e:?}");
    assert!(e[0].message.contains("nested more than 64 levels"), "{e:?}");
    let e = run(format!("people: {}{}\n", "[".repeat(250), "]".repeat(250))).unwrap_err();
    assert!(e[0].message.contains("nested more than 64 levels"), "{e:?}");
}

#[test]
fn the_check_thresholds_are_settings() {
    let org = demo_directory().org().clone();
    let codes = |cfg: &checks::CheckSettings| -> Vec<(&'static str, String)> {
        checks::check_org_with(&org, today(), cfg).into_iter().map(|f| (f.code, f.subject)).collect()
    };
    // econ's department SU is at 40% cadres: a warning at 50%, none at 40%
    let lenient = checks::CheckSettings { department_staff_cadres_percent: 40, ..Default::default() };
    assert!(codes(&Default::default()).contains(&("m3_department_su_cadres", "econ".into())));
    assert!(!codes(&lenient).iter().any(|c| c.0 == "m3_department_su_cadres"));
    // 35 school SU staff, 20 from departments (57%): fine at 50%, a warning at 60%
    let strict = checks::CheckSettings { school_staff_from_departments_percent: 60, ..Default::default() };
    assert!(!codes(&Default::default()).iter().any(|c| c.0 == "m3_school_su_from_departments"));
    let found = checks::check_org_with(&org, today(), &strict);
    let f = found.iter().find(|f| f.code == "m3_school_su_from_departments").expect("60% not reached");
    assert!(f.message.zh.ends_with("一般不少于60%"), "{}", f.message.zh);
    // a longer ledger window: math's silent ledger is no longer stale
    let patient = checks::CheckSettings { ledger_silent_days: 10_000, ..Default::default() };
    assert!(!codes(&patient).iter().any(|c| c.0 == "m2_ledger_stale"));
    // two months to onboard: the planted overdue onboardings are not overdue yet
    let two = checks::CheckSettings { onboarding_months: 12, ..Default::default() };
    assert!(!codes(&two).iter().any(|c| c.0 == "m4_onboarding_overdue"));
}
