//! Definitions built by hand as model values (the parser is written elsewhere): M1 of
//! definitions.md, one with every construct, and the small builders they use.

use crate::catalog::{BodyKind, Label, Role};
use crate::diag::Pos;
use crate::duration::{DurationSpec, DurationUnit};
use crate::expr::Expr;
use crate::model::{
    AutoAction, Definition, Join, Mode, Next, Outcome, Policies, Quorum, Reminder, ReturnTarget, Rung, ScopeRef,
    Selector, SelectorKind, Spanned, Step, StepKind, TaskSpec, Visibility,
};

pub(super) fn sp<T>(v: T) -> Spanned<T> {
    Spanned::new(v, Pos::default())
}

pub(super) fn wd(n: u32) -> Spanned<DurationSpec> {
    sp(DurationSpec::new(n, DurationUnit::WorkingDays))
}

pub(super) fn sel(kind: SelectorKind) -> Selector {
    Selector { kind, pos: Pos::default() }
}

pub(super) fn body(body: BodyKind, roles: &[Role], of: ScopeRef) -> Selector {
    sel(SelectorKind::Body { body, roles: roles.to_vec(), of, code: None, division: None })
}

pub(super) fn task(who: Selector, mode: Mode) -> TaskSpec {
    TaskSpec { who: vec![who], mode, pos: Pos::default() }
}

pub(super) fn on(approve: Option<&str>, reject: Option<&str>, ret: Option<ReturnTarget>) -> Next {
    Next::On {
        approve: approve.map(|s| sp(s.to_string())),
        reject: reject.map(|s| sp(s.to_string())),
        ret: ret.map(sp),
    }
}

pub(super) fn always(t: &str) -> Next {
    Next::Always(sp(t.to_string()))
}

pub(super) fn rung(after: u32, to: Option<Selector>, action: Option<AutoAction>) -> Rung {
    Rung { after: wd(after), to: to.into_iter().collect(), action, notify_only: false, pos: Pos::default() }
}

pub(super) fn step(name: &str, label: Option<(&str, &str)>, kind: StepKind, next: Next) -> Step {
    Step {
        name: name.to_string(),
        label: label.map(|(zh, en)| Label::new(zh, en)),
        kind,
        due: None,
        remind: Vec::new(),
        escalate: Vec::new(),
        clock_from: None,
        policies: Default::default(),
        next,
        decision: Default::default(),
        pos: Pos::default(),
    }
}

pub(super) fn definition(key: &str, name: Label, start: &str, steps: Vec<Step>) -> Definition {
    Definition {
        key: key.to_string(),
        version: 1,
        name,
        description: None,
        submitters: Vec::new(),
        form: Vec::new(),
        visibility: Visibility::Normal,
        lead_time: vec![],
        report_within: vec![],
        follow_ups: None,
        guards: Vec::new(),
        policies: Policies::default(),
        title: None,
        start: sp(start.to_string()),
        steps,
        records: Vec::new(),
        pos: Pos::default(),
    }
}

/// M1 (major-matter request/report, dual reporting) as sketched in definitions.md.
pub(super) fn m1() -> Definition {
    use BodyKind::*;
    let dept = || ScopeRef::SubmitterDepartment;
    let mut league_review = step(
        "league_review",
        Some(("学院团组织审核", "League org review")),
        StepKind::Approve(task(body(DepartmentLeagueOrg, &[Role::Secretary], dept()), Mode::Any)),
        on(Some("party_decision"), Some("rejected"), Some(ReturnTarget::Submitter)),
    );
    league_review.due = Some(wd(3));
    league_review.remind = vec![sp(Reminder::Percent(50)), sp(Reminder::Percent(100))];
    league_review.escalate = vec![rung(5, Some(body(DepartmentPartyOrg, &[Role::Secretary], dept())), None)];
    let mut party_approve = step(
        "party_approve",
        Some(("学院党组织审批", "Party org approval")),
        StepKind::Approve(task(body(DepartmentPartyOrg, &[Role::DeputySecretary], dept()), Mode::Any)),
        on(Some("approved"), Some("rejected"), Some(ReturnTarget::Submitter)),
    );
    party_approve.due = Some(wd(3));
    let mut party_ack = step(
        "party_ack",
        Some(("学院党组织知悉", "Party org informed")),
        StepKind::Acknowledge(task(body(DepartmentPartyOrg, &[Role::DeputySecretary], dept()), Mode::Any)),
        always("approved"),
    );
    party_ack.due = Some(wd(2));
    let mut school_su_ack = step(
        "school_su_ack",
        Some(("校学生会知悉", "School SU informed")),
        StepKind::Acknowledge(task(sel(SelectorKind::LiaisonOf(dept())), Mode::Any)),
        Next::None,
    );
    school_su_ack.due = Some(wd(1));
    school_su_ack.escalate = vec![
        rung(1, Some(body(SchoolSu, &[Role::SecretaryGeneral], ScopeRef::School)), None),
        rung(3, Some(body(SchoolLeagueCommittee, &[Role::Secretary], ScopeRef::School)), None),
    ];
    let steps = vec![
        step(
            "report_both",
            Some(("向学院和校学生会双报告", "Report to college and school SU")),
            StepKind::Parallel {
                branches: vec![
                    ("college".to_string(), sp("league_review".to_string())),
                    ("school_su".to_string(), sp("school_su_ack".to_string())),
                ],
                join: sp(Join::Decides {
                    decides: sp("college".to_string()),
                    waits_for: vec![sp("school_su".to_string())],
                }),
            },
            on(Some("approved"), Some("rejected"), None),
        ),
        league_review,
        step(
            "party_decision",
            Some(("请示还是报告", "Request or report?")),
            StepKind::Switch {
                cases: vec![(
                    Expr::parse("form.kind == 'report'", Pos::default()).unwrap(),
                    sp("party_ack".to_string()),
                )],
                default: Some(sp("party_approve".to_string())),
            },
            Next::None,
        ),
        party_approve,
        party_ack,
        school_su_ack,
        step("approved", None, StepKind::End(Outcome::Approved), Next::None),
        step("rejected", None, StepKind::End(Outcome::Rejected), Next::None),
    ];
    definition(
        "major_matter_report",
        Label::new("院系学生会重大事项请示报告", "Department SU major-matter request/report"),
        "report_both",
        steps,
    )
}

/// A definition with every construct: copies, quorum, sequence, a return to an earlier step, a long
/// switch case, nested parallels with `all`, `any` and `k` joins, auto actions and odd characters.
pub(super) fn kitchen_sink() -> Definition {
    use BodyKind::*;
    let dept = || ScopeRef::SubmitterDepartment;
    let mut draft = step(
        "draft_review",
        Some(("初审 <草稿> & \"格式\"", "First review <draft> & 'format'")),
        StepKind::Approve(task(
            sel(SelectorKind::UpUntil {
                from: ScopeRef::SubmitterClass,
                bodies: vec![LeagueBranch, DepartmentLeagueOrg, SchoolLeagueCommittee],
                roles: vec![Role::Secretary],
            }),
            Mode::Sequence,
        )),
        on(Some("route"), Some("rejected"), Some(ReturnTarget::Submitter)),
    );
    draft.due = Some(sp(DurationSpec::new(2, DurationUnit::Days)));
    draft.escalate = vec![
        rung(3, Some(body(DepartmentPartyOrg, &[Role::Secretary], dept())), None),
        rung(6, None, Some(AutoAction::Approve)),
    ];
    let mut council = step(
        "council",
        Some(("学生会委员会表决", "SU committee vote")),
        StepKind::Approve(task(body(SuCommittee, &[Role::Member], dept()), Mode::Quorum(Quorum::Percent(60)))),
        on(Some("offices"), Some("rejected"), Some(ReturnTarget::Step("draft_review".to_string()))),
    );
    council.due = Some(wd(5));
    let steps = vec![
        draft,
        step(
            "route",
            None,
            StepKind::Switch {
                cases: vec![
                    (
                        Expr::parse(
                            "form.matter_type in ['sensitive_incident', 'emergency_incident'] && form.budget > 1000",
                            Pos::default(),
                        )
                        .unwrap(),
                        sp("council".to_string()),
                    ),
                    (Expr::parse("form.kind == 'report'", Pos::default()).unwrap(), sp("copy_counselor".to_string())),
                ],
                default: Some(sp("withdrawn".to_string())),
            },
            Next::None,
        ),
        council,
        step(
            "copy_counselor",
            Some(("抄送辅导员", "Copy the counselor")),
            StepKind::Notify { who: vec![body(DepartmentPartyOrg, &[Role::Counselor], dept())] },
            always("approved"),
        ),
        step(
            "offices",
            Some(("职能部门会办", "Offices co-handle")),
            StepKind::Parallel {
                branches: vec![
                    ("lead".to_string(), sp("lead_office".to_string())),
                    ("co".to_string(), sp("co_review".to_string())),
                    ("panel".to_string(), sp("panel_vote".to_string())),
                ],
                join: sp(Join::Count(2)),
            },
            on(Some("approved"), Some("abandoned"), None),
        ),
        step(
            "lead_office",
            Some(("牵头部门办理", "Lead office")),
            StepKind::Approve(task(
                sel(SelectorKind::Body {
                    body: FunctionalOffice,
                    roles: vec![Role::Handler],
                    of: ScopeRef::School,
                    code: Some("academic_affairs".to_string()),
                    division: None,
                }),
                Mode::All,
            )),
            on(None, Some("rejected"), None),
        ),
        step(
            "co_review",
            None,
            StepKind::Parallel {
                branches: vec![("a".to_string(), sp("co_a".to_string())), ("b".to_string(), sp("co_b".to_string()))],
                join: sp(Join::Any),
            },
            Next::None,
        ),
        step(
            "co_a",
            Some(("会办部门甲", "Co-office A")),
            StepKind::Approve(task(sel(SelectorKind::Field("form.reviewer".to_string())), Mode::Any)),
            Next::None,
        ),
        step(
            "co_b",
            Some(("会办部门乙", "Co-office B")),
            StepKind::Acknowledge(task(sel(SelectorKind::Person("p00042".to_string())), Mode::All)),
            Next::None,
        ),
        step(
            "panel_vote",
            Some(("评议会", "Review panel")),
            StepKind::Parallel {
                branches: vec![
                    ("x".to_string(), sp("panel_x".to_string())),
                    ("y".to_string(), sp("panel_y".to_string())),
                ],
                join: sp(Join::All),
            },
            Next::None,
        ),
        step(
            "panel_x",
            None,
            StepKind::Approve(task(
                sel(SelectorKind::Body {
                    body: SchoolSu,
                    roles: vec![Role::DivisionHead],
                    of: ScopeRef::School,
                    code: None,
                    division: Some("rights".to_string()),
                }),
                Mode::Quorum(Quorum::Count(2)),
            )),
            Next::None,
        ),
        step("panel_y", None, StepKind::Acknowledge(task(sel(SelectorKind::Submitter), Mode::Any)), Next::None),
        step("approved", Some(("办结", "Done")), StepKind::End(Outcome::Approved), Next::None),
        step("rejected", None, StepKind::End(Outcome::Rejected), Next::None),
        step("withdrawn", None, StepKind::End(Outcome::Withdrawn), Next::None),
        step("abandoned", None, StepKind::End(Outcome::Abandoned), Next::None),
    ];
    definition(
        "kitchen_sink",
        Label::new("全部构件 <测试> & \"引号\"", "Every construct <test>"),
        "draft_review",
        steps,
    )
}
