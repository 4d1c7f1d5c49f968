//! M1 incidents (domain §3): the built-in `incident_report` against the demo university — the
//! first report within 2 hours of the incident (`report_within`), the written report owed by the
//! submitter within 24 hours (with a `notify:` rung to the department League secretary), follow-up
//! reports (续报), and the final report due 5 working days after the case is closed.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use serde_json::{Value, json};
use workflows::WorkCalendar;
use workflows::builtin::builtin;
use workflows::engine::{self, Channel, Command, Effect, EngineError, Env, EventKind, Instance, Status, Template};
use workflows::model::{Definition, Outcome};
use workflows::org::OrgDirectory;
use workflows::org::generate::{demo_directory, demo_people as dp};

fn sh(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
    Shanghai.with_ymd_and_hms(y, m, d, h, min, s).unwrap().with_timezone(&Utc)
}

fn form(occurred_at: &str) -> Value {
    json!({ "incident_type": "emergency_incident", "title": "计算机学院实验楼突发停电事件首报",
            "occurred_at": occurred_at, "location": "实验楼", "body": "事件概况与已采取的措施。" })
}

struct World {
    def: Definition,
    dir: OrgDirectory,
    cal: WorkCalendar,
}

impl World {
    fn new() -> Self {
        Self { def: builtin("incident_report").expect("built-in"), dir: demo_directory(), cal: WorkCalendar::builtin() }
    }
    fn env(&self, now: DateTime<Utc>) -> Env<'_> {
        Env { def: &self.def, dir: &self.dir, cal: &self.cal, now }
    }
    fn submit(&self, at: DateTime<Utc>, form: &Value) -> Result<engine::Output, EngineError> {
        engine::submit(&self.env(at), "R1", dp::CS_SU_VICE_PRESIDENT, Channel::Api, form)
    }
    fn act(&self, st: &Instance, at: DateTime<Utc>, who: &str, cmd: Command) -> Result<engine::Output, EngineError> {
        engine::handle(&self.env(at), st, who, Channel::Api, cmd)
    }
    /// The open task of `step` and who holds it.
    fn task(st: &Instance, step: &str) -> (u32, String) {
        let t = st.open_tasks().find(|t| t.step == step).unwrap_or_else(|| panic!("an open task at {step}"));
        (t.id, t.assignee.clone())
    }
    /// Decides the open task of `step` as its holder (approve or acknowledge by its kind).
    fn decide(&self, st: Instance, at: DateTime<Utc>, step: &str, comment: &str) -> Instance {
        let (task, who) = Self::task(&st, step);
        let kind = st.tasks[&task].kind;
        let comment = Some(comment.to_string());
        let cmd = match kind {
            engine::TaskKind::Approve => Command::Approve { task, comment },
            engine::TaskKind::Acknowledge => Command::Acknowledge { task, comment },
            engine::TaskKind::Score => panic!("{step}: no score step in the incident report"),
        };
        self.act(&st, at, &who, cmd).unwrap_or_else(|e| panic!("{step}: {e}")).state
    }
}

fn late(out: &engine::Output) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    out.events.iter().find_map(|e| match e.kind {
        EventKind::LateReport { occurred, deadline, .. } => Some((occurred, deadline)),
        _ => None,
    })
}

fn mailed(out: &engine::Output, template: Template) -> Vec<String> {
    out.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Notify { to, template: t, .. } if *t == template => Some(to.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn first_report_within_two_hours_on_both_sides_of_the_boundary_and_across_offsets() {
    let w = World::new();
    // 07:00 in Shanghai; the first report is due by 09:00 there (01:00 UTC)
    let out = w.submit(sh(2025, 11, 24, 9, 0, 0), &form("2025-11-24T07:00:00+08:00")).unwrap();
    assert_eq!(late(&out), None, "exactly 2 hours is in time");
    assert!(mailed(&out, Template::LateReport).is_empty());
    let out = w.submit(sh(2025, 11, 24, 9, 0, 1), &form("2025-11-24T07:00:00+08:00")).unwrap();
    let deadline = Utc.with_ymd_and_hms(2025, 11, 24, 1, 0, 0).unwrap();
    assert_eq!(late(&out), Some((Utc.with_ymd_and_hms(2025, 11, 23, 23, 0, 0).unwrap(), deadline)));
    assert_eq!(mailed(&out, Template::LateReport), [dp::CS_SU_VICE_PRESIDENT]);
    // still accepted: the request runs, the late filing is on record
    assert_eq!(out.state.status, Status::Running);
    // the same moment written in UTC is the same deadline
    let out = w.submit(sh(2025, 11, 24, 9, 0, 1), &form("2025-11-23T23:00:00Z")).unwrap();
    assert_eq!(late(&out).map(|l| l.1), Some(deadline));
    // 07:00 UTC is 15:00 in Shanghai: a report at 09:00 Shanghai is well in time, not 2 hours late
    let out = w.submit(sh(2025, 11, 24, 9, 0, 0), &form("2025-11-24T07:00:00+00:00")).unwrap();
    assert_eq!(late(&out), None);
    // 05:00+05:00 is 08:00 in Shanghai: a report at 12:00 Shanghai is 4 hours later, due by 10:00
    let out = w.submit(sh(2025, 11, 24, 12, 0, 0), &form("2025-11-24T05:00:00+05:00")).unwrap();
    assert_eq!(late(&out).map(|l| l.1), Some(sh(2025, 11, 24, 10, 0, 0)));
    let out = w.submit(sh(2025, 11, 24, 10, 0, 0), &form("2025-11-24T05:00:00+05:00")).unwrap();
    assert_eq!(late(&out), None);
}

#[test]
fn written_report_is_owed_by_the_submitter_within_24_hours_and_overdue_tells_the_league_secretary() {
    let w = World::new();
    // Friday 17:00: 24 hours are calendar hours, so the written report is due Saturday 17:00
    let at = sh(2025, 11, 28, 17, 0, 0);
    let out = w.submit(at, &form("2025-11-28T16:00:00+08:00")).unwrap();
    let st = out.state;
    assert!(st.need_to_know, "incidents are need-to-know");
    let (task, who) = World::task(&st, "written_report");
    assert_eq!(who, dp::CS_SU_VICE_PRESIDENT, "the submitter owes it");
    assert_eq!(st.tasks[&task].due_at, Some(sh(2025, 11, 29, 17, 0, 0)));
    // the three branches opened at once
    for step in ["league_review", "school_su_ack"] {
        World::task(&st, step);
    }
    // reminders at 50% (Saturday 05:00) and 100%; the notify rung at 24 hours
    let mut timers: Vec<(DateTime<Utc>, String)> = st
        .timers
        .values()
        .filter(|t| t.id.starts_with(&format!("{}:", st.tasks[&task].run)))
        .map(|t| (t.at, t.id.clone()))
        .collect();
    timers.sort();
    let at_of = |suffix: &str| timers.iter().find(|(_, id)| id.ends_with(suffix)).map(|t| t.0);
    assert_eq!(at_of("remind:0"), Some(sh(2025, 11, 29, 5, 0, 0)));
    assert_eq!(at_of("remind:1"), Some(sh(2025, 11, 29, 17, 0, 0)));
    let rung = timers.iter().find(|(_, id)| id.ends_with("rung:0")).expect("a rung").clone();
    assert_eq!(rung.0, sh(2025, 11, 29, 17, 0, 0));
    // overdue: the League secretary is told (督办), the task stays with the submitter
    let out = engine::fire(&w.env(rung.0), &st, &rung.1).unwrap();
    assert!(
        out.events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::Overseen { to, .. } if to == &[dp::CS_LEAGUE_SECRETARY.to_string()]))
    );
    assert_eq!(mailed(&out, Template::OverdueNotice), [dp::CS_LEAGUE_SECRETARY]);
    let st = out.state;
    assert_eq!(World::task(&st, "written_report"), (task, dp::CS_SU_VICE_PRESIDENT.to_string()));
    // the submitter files it (the acknowledgement's text is the written report)
    let st = w.decide(st, sh(2025, 11, 29, 18, 0, 0), "written_report", "书面报告：……");
    assert!(st.open_tasks().all(|t| t.step != "written_report"));
}

#[test]
fn the_written_and_final_reports_must_carry_their_text() {
    let w = World::new();
    let mut st = w.submit(sh(2025, 12, 1, 9, 0, 0), &form("2025-12-01T08:00:00+08:00")).unwrap().state;
    let def = &w.def;
    for (step, zh) in [("written_report", "书面报告"), ("final_report", "终报")] {
        let spec = &def.step(step).unwrap().decision;
        assert!(spec.needs_comment("acknowledge"), "{step}");
        assert_eq!(spec.comment_label.as_ref().map(|l| l.value.zh.as_str()), Some(zh));
    }
    // an empty written report, or one of blanks, is refused, naming it
    let (task, who) = World::task(&st, "written_report");
    for comment in [None, Some("  \n ".to_string())] {
        let err = w.act(&st, sh(2025, 12, 1, 10, 0, 0), &who, Command::Acknowledge { task, comment }).unwrap_err();
        let EngineError::InvalidForm(errs) = err else { panic!("{err:?}") };
        assert_eq!((errs[0].field.as_str(), errs[0].code), ("comment", "required"));
        assert!(errs[0].message.contains("请填写书面报告（必填）"), "{}", errs[0].message);
    }
    // with its text it is filed, and the text is on the acknowledgement
    let out = w
        .act(
            &st,
            sh(2025, 12, 1, 10, 0, 0),
            &who,
            Command::Acknowledge { task, comment: Some("书面报告：停电原因已查明。".into()) },
        )
        .unwrap();
    assert!(
        out.events.iter().any(|e| matches!(&e.kind,
        EventKind::TaskDecided { comment: Some(c), .. } if c == "书面报告：停电原因已查明。")),
        "{:?}",
        out.events
    );
    st = out.state;
    st = w.decide(st, sh(2025, 12, 1, 11, 0, 0), "school_su_ack", "已知悉");
    st = w.decide(st, sh(2025, 12, 1, 12, 0, 0), "league_review", "同意");
    st = w.decide(st, sh(2025, 12, 1, 13, 0, 0), "party_ack", "已阅");
    // the final report likewise
    let (task, who) = World::task(&st, "final_report");
    let err = w
        .act(&st, sh(2025, 12, 2, 10, 0, 0), &who, Command::Acknowledge { task, comment: Some(String::new()) })
        .unwrap_err();
    assert!(err.to_string().contains("终报") || format!("{err:?}").contains("终报"), "{err:?}");
    let st = w.decide(st, sh(2025, 12, 2, 10, 0, 0), "final_report", "终报：已妥善处置。");
    assert_eq!(st.status, Status::Finished(Outcome::Approved));
    // a definition that puts the label on a step that takes no decision is told where
    let yaml = "key: t\nversion: 1\nname: 测试\nstart: n\nsteps:\n  n:\n    notify: { who: submitter }\n    comment_label: { zh: 书面报告 }\n    next: done\n  done: { end: approved }\n";
    let diags = workflows::validate::check_source(yaml).diagnostics;
    assert!(diags.iter().any(|d| d.code == "misplaced_key" && d.pos.line == 8 && d.pos.col == 20), "{diags:?}");
}

#[test]
fn final_report_opens_on_closure_due_five_working_days_later_on_the_holiday_calendar() {
    let w = World::new();
    let at = sh(2025, 12, 30, 9, 0, 0);
    let mut st = w.submit(at, &form("2025-12-30T08:00:00+08:00")).unwrap().state;
    st = w.decide(st, sh(2025, 12, 30, 10, 0, 0), "written_report", "书面报告");
    st = w.decide(st, sh(2025, 12, 30, 11, 0, 0), "school_su_ack", "已知悉");
    st = w.decide(st, sh(2025, 12, 30, 12, 0, 0), "league_review", "同意");
    assert!(st.open_tasks().all(|t| t.step != "final_report"), "not before the case is closed");
    // the Party org acknowledges on Wednesday 31 December 10:00: the case is closed
    st = w.decide(st, sh(2025, 12, 31, 10, 0, 0), "party_ack", "已阅");
    assert_eq!(st.status, Status::Running, "open until the final report");
    let (task, who) = World::task(&st, "final_report");
    assert_eq!(who, dp::CS_SU_VICE_PRESIDENT);
    // 1–3 January are 元旦, Sunday 4 January is a make-up working day: 4, 5, 6, 7, 8 January
    assert_eq!(st.tasks[&task].due_at, Some(sh(2026, 1, 8, 10, 0, 0)));
    st = w.decide(st, sh(2026, 1, 7, 10, 0, 0), "final_report", "终报：事件已妥善处置。");
    assert_eq!(st.status, Status::Finished(Outcome::Approved));
}

#[test]
fn follow_ups_go_to_every_reviewer_on_the_path_while_the_case_is_open() {
    let w = World::new();
    let at = sh(2025, 11, 24, 9, 0, 0);
    let st = w.submit(at, &form("2025-11-24T08:30:00+08:00")).unwrap().state;
    let liaisons: Vec<String> =
        st.open_tasks().filter(|t| t.step == "school_su_ack").map(|t| t.assignee.clone()).collect();
    assert!(!liaisons.is_empty());
    let later = sh(2025, 11, 24, 15, 0, 0);
    let out = w
        .act(&st, later, dp::CS_SU_VICE_PRESIDENT, Command::FollowUp { text: "续报：人员已全部疏散。".into() })
        .unwrap();
    assert!(
        out.events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::FollowedUp { text } if text == "续报：人员已全部疏散。"))
    );
    let mut to = mailed(&out, Template::FollowUp);
    to.sort();
    let mut want = liaisons.clone();
    want.push(dp::CS_LEAGUE_SECRETARY.to_string());
    want.push(dp::CS_SU_PRESIDENT.to_string()); // copied at the start
    want.sort();
    assert_eq!(to, want, "everyone on the path (reviewers reached, the president copied), not the author");
    let st = out.state;
    // the department SU president may add one too; the submitter is then told as well
    let out = w.act(&st, later, dp::CS_SU_PRESIDENT, Command::FollowUp { text: "续报二".into() }).unwrap();
    assert!(mailed(&out, Template::FollowUp).contains(&dp::CS_SU_VICE_PRESIDENT.to_string()));
    // nobody else; not empty
    assert!(matches!(
        w.act(&st, later, dp::CS_LEAGUE_SECRETARY, Command::FollowUp { text: "x".into() }),
        Err(EngineError::NotAllowed(_))
    ));
    assert!(matches!(
        w.act(&st, later, dp::CS_SU_VICE_PRESIDENT, Command::FollowUp { text: "  ".into() }),
        Err(EngineError::BadFollowUp("required", _))
    ));
    // a withdrawn (finished) case takes none
    let done = w.act(&st, later, dp::CS_SU_VICE_PRESIDENT, Command::Withdraw).unwrap().state;
    assert!(matches!(
        w.act(&done, later, dp::CS_SU_VICE_PRESIDENT, Command::FollowUp { text: "x".into() }),
        Err(EngineError::Finished)
    ));
    // a definition without `follow_ups:` refuses them
    let m1 = builtin("major_matter_report").unwrap();
    let env = Env { def: &m1, dir: &w.dir, cal: &w.cal, now: at };
    let f = json!({ "kind": "report", "matter_type": "reform_progress", "title": "报告", "body": "……" });
    let st = engine::submit(&env, "R2", dp::CS_SU_PRESIDENT, Channel::Api, &f).unwrap().state;
    assert_eq!(
        engine::handle(&env, &st, dp::CS_SU_PRESIDENT, Channel::Api, Command::FollowUp { text: "x".into() }),
        Err(EngineError::FollowUpsNotAllowed)
    );
}

#[test]
fn report_within_follow_ups_and_notify_rungs_are_checked_with_line_and_column() {
    let base = builtin_text();
    // `after:` must name a date or date-time field
    let bad = base.replace(
        "- { after: form.occurred_at, within: 2h, else: warn }",
        "- { after: form.title, within: 2h, else: warn }",
    );
    let d = workflows::validate::check_source(&bad).diagnostics;
    let e = d.iter().find(|d| d.code == "type_mismatch").expect("type_mismatch");
    assert_eq!((e.pos.line, e.pos.col), (line_of(&bad, "after: form.title"), 14));
    // a duration that is not one
    let bad = base.replace("within: 2h", "within: 2hours");
    assert!(workflows::validate::check_source(&bad).diagnostics.iter().any(|d| d.code == "bad_duration"));
    // a rung with both `to:` and `notify:`
    let bad = base.replace(
        "- { after: 24h, notify: { body: department_league_org, of: submitter.department, roles: [secretary] } }\n  final_report",
        "- { after: 24h, to: submitter, notify: { body: department_league_org, of: submitter.department, roles: [secretary] } }\n  final_report",
    );
    assert_ne!(bad, base);
    assert!(workflows::validate::check_source(&bad).diagnostics.iter().any(|d| d.code == "bad_value"));
    // follow_ups: only true, false or { who }
    let bad = base.replace("follow_ups:\n  who:", "follow_ups:\n  whom:");
    let d = workflows::validate::check_source(&bad).diagnostics;
    assert!(d.iter().any(|d| d.code == "unknown_key" && d.pos.line == line_of(&bad, "whom:")), "{d:?}");
    let ok = base.replace(
        "follow_ups:\n  who: { body: department_su, of: submitter.department, roles: [president] }",
        "follow_ups: true",
    );
    let parsed = workflows::validate::check_source(&ok);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    assert_eq!(parsed.definition.unwrap().follow_ups.map(|f| f.who.len()), Some(0));
}

fn builtin_text() -> String {
    workflows::builtin::BUILTIN.iter().find(|(f, _)| *f == "incident_report.yaml").unwrap().1.to_string()
}

fn line_of(text: &str, needle: &str) -> u32 {
    text.lines().position(|l| l.contains(needle)).expect("in the text") as u32 + 1
}
