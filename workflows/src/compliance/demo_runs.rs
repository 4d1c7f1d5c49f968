//! The demo university's planted requests (domain.md §4, issue 11 item 5), driven through the
//! real engine by the people the org names, at past moments relative to the day the demo is
//! first started, so that a fresh daemon shows them in its lists and inboxes and its compliance
//! report shows exactly the planted kinds ([`super::demo`]) on any day it is started:
//!
//! | request | where it stands | finding |
//! |---|---|---|
//! | `cs` major-matter report (M1) | approved; the college decided the day it was asked, the school SU liaison did not acknowledge within 1 working day, it escalated to the secretary-general, who acknowledged 2 working days after the college was asked | `m1_branch_b_late` |
//! | `ee` major-matter report (M1) | approved; the liaison acknowledged the same day | none |
//! | twelve congress proposals (M5) | one in each status of `proposal_handling`: in first review, returned to the proposer, at the proposal committee, to be classified, at the offices (the co-handling office has given its opinion), being compiled, awaiting the proposer's rating, rated satisfied, rated unsatisfied and handled again, not accepted, merged, converted to a suggestion | none: every office reply and rating is within its time |
//! | last year's summary and plan to the federation (M9) | sent on 20 December (and this year's, when the demo starts after 20 December) | none |
//! | every department SU's annual work report (M9) | heard on 10 December, when the demo starts after 12 December (`fl`'s cites its May symposium, of the year before: `fl` still has none this year) | none |
//!
//! Every moment is a working day before the start day (10:00 and so on, Asia/Shanghai), counted
//! back with the working-day calendar, so the demo looks the same whatever day it starts. Timers
//! that fell due in between (reminders, the escalation of the late branch B) are fired through
//! [`engine::fire`] at their time, as the daemon would have. A request whose story cannot be
//! told on that day (its people hold no post yet: the demo's terms begin on 1 September 2025) is
//! left out and named in [`DemoRuns::skipped`].

use crate::calendar::WorkCalendar;
use crate::catalog::Role;
use crate::engine::{self, Channel, Command, Instance, Output, TaskId};
use crate::model::Definition;
use crate::org::{Directory, OrgDirectory, PersonId};
use crate::records::Semester;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The definition keys the demo's requests run on.
pub const KEYS: &[&str] =
    &["major_matter_report", "proposal_handling", "federation_annual_summary", "annual_work_report"];

/// One planted request: its stable name (the seed's idempotency key) and every engine output
/// from its submit on, in order (one per command or timer).
#[derive(Debug, Clone)]
pub struct DemoRun {
    /// Stable name, e.g. `proposal:committee_review` (the same whatever the day).
    pub name: String,
    /// The outputs: the submit first.
    pub outputs: Vec<Output>,
}

impl DemoRun {
    /// The request as it stands at the start.
    pub fn state(&self) -> &Instance {
        &self.outputs.last().expect("a run has its submit").state
    }
}

/// The planted requests of a start, and the stories left out (name: why).
#[derive(Debug, Clone, Default)]
pub struct DemoRuns {
    /// The requests, in the order they were submitted.
    pub runs: Vec<DemoRun>,
    /// Stories that could not be told on this day, with the reason.
    pub skipped: Vec<(String, String)>,
}

/// The moment `h:m` (Asia/Shanghai) of `day`, in UTC.
fn local(day: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&day.and_hms_opt(h, m, 0).expect("valid time"))
        .earliest()
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc))
}

/// One request's story: the engine run step by step at the story's moments.
struct Story<'a> {
    def: &'a Definition,
    dir: &'a OrgDirectory,
    cal: &'a WorkCalendar,
    st: Instance,
    outputs: Vec<Output>,
    clock: DateTime<Utc>,
    /// Timers that fired with nothing left to do (the engine keeps no event of them).
    spent: std::collections::BTreeSet<String>,
}

impl<'a> Story<'a> {
    fn submit(
        w: &World<'a>,
        key: &str,
        id: String,
        submitter: &str,
        form: serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<Self, String> {
        let def: &Definition = w.defs.get(key).ok_or_else(|| format!("no published workflow `{key}`"))?;
        let env = engine::Env { def, dir: w.dir, cal: w.cal, now: at };
        let out = engine::submit(&env, &id, submitter, Channel::Web, &form).map_err(|e| e.to_string())?;
        Ok(Story {
            def,
            dir: w.dir,
            cal: w.cal,
            st: out.state.clone(),
            outputs: vec![out],
            clock: at,
            spent: Default::default(),
        })
    }

    fn push(&mut self, out: Output) {
        if !out.events.is_empty() {
            self.st = out.state.clone();
            self.outputs.push(out);
        }
    }

    /// Fires, in order, every timer due at or before `at`.
    fn until(&mut self, at: DateTime<Utc>) -> Result<(), String> {
        for _ in 0..200 {
            let due = self.st.timers.values().filter(|t| t.at <= at && !self.spent.contains(&t.id));
            let Some(t) = due.min_by_key(|t| (t.at, t.id.clone())).cloned() else {
                self.clock = self.clock.max(at);
                return Ok(());
            };
            let env = engine::Env { def: self.def, dir: self.dir, cal: self.cal, now: t.at.max(self.clock) };
            let out = engine::fire(&env, &self.st, &t.id).map_err(|e| e.to_string())?;
            if out.events.is_empty() {
                self.spent.insert(t.id.clone());
            }
            self.clock = env.now;
            self.push(out);
        }
        Err("too many timers".into())
    }

    /// The open tasks of `step`: (task, assignee).
    fn open(&self, step: &str) -> Vec<(TaskId, PersonId)> {
        self.st.open_tasks().filter(|t| t.step == step).map(|t| (t.id, t.assignee.clone())).collect()
    }

    /// The assignee of the `nth` open task of `step` does `cmd` at `at`.
    fn act_nth(
        &mut self,
        at: DateTime<Utc>,
        step: &str,
        nth: usize,
        cmd: impl Fn(TaskId) -> Command,
    ) -> Result<(), String> {
        if at < self.clock {
            return Err(format!("{step}: {at} is before {}", self.clock));
        }
        self.until(at)?;
        let (task, who) =
            self.open(step).get(nth).cloned().ok_or_else(|| format!("no open task {nth} at `{step}` on {at}"))?;
        let env = engine::Env { def: self.def, dir: self.dir, cal: self.cal, now: at };
        let out = engine::handle(&env, &self.st, &who, Channel::Web, cmd(task)).map_err(|e| format!("{step}: {e}"))?;
        self.push(out);
        Ok(())
    }

    fn act(&mut self, at: DateTime<Utc>, step: &str, cmd: impl Fn(TaskId) -> Command) -> Result<(), String> {
        self.act_nth(at, step, 0, cmd)
    }

    /// The first `n` reviewers of `step` approve, five minutes apart from `at`.
    fn approve_n(&mut self, at: DateTime<Utc>, step: &str, n: usize, comment: &str) -> Result<(), String> {
        for i in 0..n {
            let c = Some(comment.to_string());
            self.act(at + Duration::minutes(5 * i as i64), step, |task| Command::Approve { task, comment: c.clone() })?;
        }
        Ok(())
    }

    fn finish(mut self, name: &str, now: DateTime<Utc>) -> Result<DemoRun, String> {
        self.until(now)?;
        Ok(DemoRun { name: name.to_string(), outputs: self.outputs })
    }
}

fn approve(comment: &str) -> impl Fn(TaskId) -> Command + '_ {
    move |task| Command::Approve { task, comment: Some(comment.to_string()) }
}

fn ack(comment: &str) -> impl Fn(TaskId) -> Command + '_ {
    move |task| Command::Acknowledge { task, comment: Some(comment.to_string()) }
}

fn decide(decision: &str, comment: &str, fields: serde_json::Value) -> impl Fn(TaskId) -> Command {
    let (decision, comment) = (decision.to_string(), comment.to_string());
    let fields = fields.as_object().cloned().unwrap_or_default();
    move |task| Command::Decide {
        task,
        decision: decision.clone(),
        comment: (!comment.is_empty()).then(|| comment.clone()),
        fields: fields.clone(),
    }
}

/// What every story shares: the org, the calendar, the definitions, the start and the ids.
struct World<'a> {
    dir: &'a OrgDirectory,
    cal: &'a WorkCalendar,
    defs: &'a BTreeMap<String, Arc<Definition>>,
    /// The start day (Asia/Shanghai).
    day: NaiveDate,
    now: DateTime<Utc>,
}

impl World<'_> {
    /// The `n`-th working day before the start day, at `h:m`.
    fn wd(&self, n: u32, h: u32, m: u32) -> DateTime<Utc> {
        local(self.cal.sub_working_days(self.day, n), h, m)
    }

    /// The last working day on or before `day`.
    fn working_on_or_before(&self, day: NaiveDate) -> NaiveDate {
        if self.cal.is_working_day(day) { day } else { self.cal.sub_working_days(day, 1) }
    }

    fn first(&self, body: &str, roles: &[Role], day: NaiveDate) -> Option<PersonId> {
        self.dir.holders(body, roles, day).first().map(|p| p.person.clone())
    }
}

/// The demo's planted requests when it starts at `now` (see the module doc). `defs` holds the
/// definitions of [`KEYS`] the requests run on (the daemon's published versions); `new_id`
/// names a request submitted at the given moment. Pure: the same inputs tell the same stories.
pub fn demo_runs(
    dir: &OrgDirectory,
    cal: &WorkCalendar,
    defs: &BTreeMap<String, Arc<Definition>>,
    now: DateTime<Utc>,
    new_id: &mut dyn FnMut(DateTime<Utc>) -> String,
) -> DemoRuns {
    let day = now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let w = World { dir, cal, defs, day, now };
    let mut out = DemoRuns::default();
    let tell = |out: &mut DemoRuns, name: &str, story: Result<DemoRun, String>| match story {
        Ok(run) => out.runs.push(run),
        Err(e) => out.skipped.push((name.to_string(), e)),
    };
    // M9: the summaries and plans sent to the federation on time.
    for year in [day.year() - 1, day.year()] {
        let name = format!("federation_annual_summary:{year}");
        let sent = w.working_on_or_before(NaiveDate::from_ymd_opt(year, 12, 20).expect("valid date"));
        if sent < day {
            let story = federation_summary(&w, new_id, year).and_then(|s| s.finish(&name, now));
            tell(&mut out, &name, story);
        }
    }
    // M9: every department SU's work report of this year heard on 10 December.
    let heard = w.working_on_or_before(NaiveDate::from_ymd_opt(day.year(), 12, 10).expect("valid date"));
    if day > heard + Duration::days(2) {
        for d in &dir.org().departments {
            let name = format!("annual_work_report:{}:{}", d.code, day.year());
            let story = annual_report(&w, new_id, &d.code, heard).and_then(|s| s.finish(&name, now));
            tell(&mut out, &name, story);
        }
    }
    // M1: the late branch B (cs) and one on time (ee).
    for (dept, late) in [("cs", true), ("ee", false)] {
        let name = format!("major_matter_report:{dept}");
        let story = major_matter(&w, new_id, dept, late).and_then(|s| s.finish(&name, now));
        tell(&mut out, &name, story);
    }
    // M5: a proposal in each status.
    proposals(&w, new_id, &mut out);
    out.runs.sort_by_key(|r| r.outputs[0].state.submitted_at);
    out
}

fn federation_summary<'a>(
    w: &World<'a>,
    new_id: &mut dyn FnMut(DateTime<Utc>) -> String,
    year: i32,
) -> Result<Story<'a>, String> {
    let d = |m: u32, dd: u32| NaiveDate::from_ymd_opt(year, m, dd).expect("valid date");
    let submitted = w.working_on_or_before(d(12, 1));
    let president =
        w.first("school_su", &[Role::President], submitted).ok_or("the school SU has no president on that day")?;
    let at = local(submitted, 10, 0);
    let form = serde_json::json!({
        "year": year,
        "next_year": year + 1,
        "summary": format!("{year}年，校学生会围绕三级联动，完成院系学生会换届指导、联系人走访和履职培训等工作。"),
        "plan": format!("{}年，校学生会将继续推进改革，加强与院系、班级的联系。", year + 1),
        "internal_deadline": d(12, 15).to_string(),
    });
    let mut s = Story::submit(w, "federation_annual_summary", new_id(at), &president, form, at)?;
    s.act(local(w.cal.next_working_day(submitted), 15, 0), "league_review", approve("同意报送"))?;
    s.act(local(w.working_on_or_before(d(12, 20)), 11, 0), "send_to_federation", ack("已收到，回执已登记"))?;
    Ok(s)
}

fn annual_report<'a>(
    w: &World<'a>,
    new_id: &mut dyn FnMut(DateTime<Utc>) -> String,
    dept: &str,
    heard: NaiveDate,
) -> Result<Story<'a>, String> {
    let year = heard.year();
    let body = format!("department_su@{dept}");
    let president = w.first(&body, &[Role::President], heard).ok_or("the department SU has no president")?;
    let org = w.dir.org();
    let name = w.dir.department(dept).map(|d| d.name.zh.clone()).unwrap_or_else(|| dept.to_string());
    let classes = org.classes.iter().filter(|c| c.department == dept && !c.graduating).count();
    // `fl` held its last symposium in May, in the academic year before: none this year (planted).
    let symposium = if dept == "fl" {
        NaiveDate::from_ymd_opt(year, 5, 20).expect("valid date")
    } else {
        NaiveDate::from_ymd_opt(year, 9, 1).expect("valid date") + Duration::days(65)
    };
    let submitted = w.cal.sub_working_days(heard, 6);
    let at = local(submitted, 10, 0);
    let form = serde_json::json!({
        "year": year,
        "title": format!("{name}学生会工作报告"),
        "report": format!("{name}学生会{year}年度工作报告：完成换届、履职培训和班级座谈交流会等工作。"),
        "symposium_date": symposium.to_string(),
        "classes_attended": classes,
        "non_graduating_classes": classes,
    });
    let mut s = Story::submit(w, "annual_work_report", new_id(at), &president, form, at)?;
    s.act(local(w.cal.next_working_day(submitted), 10, 0), "league_review", approve("同意"))?;
    s.approve_n(local(heard, 15, 0), "hearing", 2, "已听取")?;
    Ok(s)
}

/// A department SU's major-matter report: its vice-president submits, the president signs, the
/// college League secretary approves and the Party deputy secretary acknowledges the next
/// working day; the school SU liaison acknowledges the same day (`late`: nobody does, the step
/// escalates to the secretary-general after 1 working day, who acknowledges the day after).
fn major_matter<'a>(
    w: &World<'a>,
    new_id: &mut dyn FnMut(DateTime<Utc>) -> String,
    dept: &str,
    late: bool,
) -> Result<Story<'a>, String> {
    // Inside this academic year when the start day leaves room (the check looks at this year).
    let ay = NaiveDate::from_ymd_opt(Semester::of(w.day).year, 9, 1).expect("valid date");
    let room = w.cal.working_days_between(ay - Duration::days(1), w.day - Duration::days(1)).max(0) as u32;
    let n: u32 = if late {
        if room >= 3 { room.min(6) } else { 6 }
    } else if room >= 2 {
        room.min(9)
    } else {
        9
    };
    let asked = w.cal.sub_working_days(w.day, n);
    let body = format!("department_su@{dept}");
    let vp = w.first(&body, &[Role::VicePresident], asked).ok_or("the department SU has no vice-president")?;
    let name = w.dir.department(dept).map(|d| d.name.zh.clone()).unwrap_or_else(|| dept.to_string());
    let form = serde_json::json!({
        "kind": "report",
        "matter_type": "reform_progress",
        "title": format!("{name}学生会改革推进情况报告"),
        "body": "本学期调整了工作部门设置，精简工作人员，建立了班级联系人制度。",
    });
    let at = local(asked, 9, 0);
    let mut s = Story::submit(w, "major_matter_report", new_id(at), &vp, form, at)?;
    s.act(local(asked, 10, 0), "president_sign", approve("同意报送"))?;
    if late {
        s.act(local(asked, 16, 0), "league_review", approve("同意"))?;
        s.act(local(asked, 17, 0), "party_ack", ack("已阅"))?;
        // The liaison's day passes; the secretary-general acknowledges the working day after.
        s.act(w.wd(n - 2, 10, 0), "school_su_ack", ack("已知悉，请按计划推进"))?;
    } else {
        s.act(local(asked, 14, 0), "school_su_ack", ack("已知悉"))?;
        s.act(w.wd(n - 1, 10, 0), "league_review", approve("同意"))?;
        s.act(w.wd(n - 1, 16, 0), "party_ack", ack("已阅"))?;
    }
    Ok(s)
}

/// The proposals, one per status of `proposal_handling`.
fn proposals(w: &World<'_>, new_id: &mut dyn FnMut(DateTime<Utc>) -> String, out: &mut DemoRuns) {
    let delegates: Vec<PersonId> = w
        .dir
        .holders("student_congress", &[Role::Delegate], w.day)
        .into_iter()
        .filter(|p| w.dir.person(&p.person).is_some_and(|x| x.department.is_some()))
        .map(|p| p.person.clone())
        .collect();
    // (status, title, area, body)
    let texts: [(&str, &str, &str, &str); 12] = [
        (
            "department_review",
            "关于增设自习室夜间开放时段的提案",
            "study",
            "期末周自习室不足，建议教学楼部分教室开放至23点。",
        ),
        ("returned", "关于改善宿舍热水供应的提案", "health", "部分宿舍热水供应不稳定，建议延长供应时间。"),
        (
            "committee_review",
            "关于设立学生心理互助小组的提案",
            "health",
            "建议各学院设立朋辈心理互助小组，并由校医院提供培训。",
        ),
        ("classify", "关于优化选课系统的提案", "study", "选课高峰期系统卡顿，建议分年级错峰选课。"),
        ("handling", "关于延长图书馆开放时间的提案", "study", "建议考试周图书馆延长开放至23点。"),
        ("compile", "关于增加校园夜间照明的提案", "rights", "东区道路夜间照明不足，建议增设路灯。"),
        ("proposer_rating", "关于食堂增加清真窗口的提案", "rights", "建议第二食堂增设清真窗口，方便少数民族同学就餐。"),
        ("satisfied", "关于完善校园网认证方式的提案", "society", "建议校园网支持一次认证多终端使用。"),
        ("rehandled", "关于体育场馆预约开放的提案", "health", "建议体育馆在课余时间向学生开放预约。"),
        ("rejected", "关于取消期末考试的提案", "study", "建议以平时成绩代替期末考试。"),
        ("merged", "关于考试周图书馆通宵开放的提案", "study", "建议考试周图书馆通宵开放。"),
        (
            "converted",
            "关于在学生会公众号开设学习经验专栏的提案",
            "thought",
            "建议学生会公众号每周推送一篇学习经验分享。",
        ),
    ];
    let mut ids: BTreeMap<&str, String> = BTreeMap::new();
    for (i, (status, title, area, body)) in texts.iter().enumerate() {
        let name = format!("proposal_handling:{status}");
        let Some(delegate) = delegates.get(i * 3).cloned() else {
            out.skipped.push((name, "not enough congress delegates".into()));
            continue;
        };
        let form = serde_json::json!({ "title": title, "area": area, "body": body });
        let story = proposal(w, new_id, &delegate, status, form, &ids).and_then(|s| s.finish(&name, w.now));
        match story {
            Ok(run) => {
                ids.insert(status, run.state().id.clone());
                out.runs.push(run);
            }
            Err(e) => out.skipped.push((name, e)),
        }
    }
}

/// Office codes (lead, co-handling) per status.
fn offices(status: &str) -> (&'static str, Vec<&'static str>) {
    match status {
        "classify" | "handling" | "merged" => ("library", vec!["academic_affairs"]),
        "compile" => ("security", vec!["logistics"]),
        "proposer_rating" => ("logistics", vec![]),
        "satisfied" => ("network_center", vec![]),
        _ => ("logistics", vec!["finance"]),
    }
}

/// One proposal, told until it stands at `status`.
fn proposal<'a>(
    w: &World<'a>,
    new_id: &mut dyn FnMut(DateTime<Utc>) -> String,
    delegate: &str,
    status: &str,
    form: serde_json::Value,
    earlier: &BTreeMap<&str, String>,
) -> Result<Story<'a>, String> {
    // When it was submitted, in working days before the start.
    let start: u32 = match status {
        "department_review" => 2,
        "returned" => 4,
        "committee_review" => 5,
        "classify" => 9,
        "handling" => 14,
        "merged" => 12,
        "converted" => 10,
        "rejected" => 11,
        "compile" => 17,
        "proposer_rating" => 18,
        "satisfied" => 36,
        _ => 44,
    };
    let t = |n: u32, h: u32| w.wd(n, h, 0);
    let at = t(start, 9);
    let mut s = Story::submit(w, "proposal_handling", new_id(at), delegate, form, at)?;
    if status == "department_review" {
        return Ok(s);
    }
    if status == "returned" {
        s.act(t(start - 2, 10), "department_review", |task| Command::Return {
            task,
            comment: Some("请补充具体涉及的宿舍楼栋和时段后再提交".into()),
            to: None,
        })?;
        return Ok(s);
    }
    s.act(t(start - 1, 10), "department_review", approve("符合提案要求，同意提交"))?;
    match status {
        "committee_review" => {
            // Two of the seven members have accepted; four are needed.
            return s.approve_n(t(start - 3, 10), "committee_review", 2, "同意立案").map(|_| s);
        }
        "rejected" => {
            for i in 0..4 {
                s.act(t(start - 3, 10) + Duration::minutes(5 * i), "committee_review", |task| Command::Reject {
                    task,
                    comment: Some("属于个人学业诉求，不符合提案“一事一案、涉及同学共同利益”的要求".into()),
                })?;
            }
            return Ok(s);
        }
        "merged" => {
            let into = earlier.get("handling").cloned().ok_or("the proposal it merges into is not there")?;
            let merge = decide(
                "merge",
                "与《关于延长图书馆开放时间的提案》内容相同，并案处理",
                serde_json::json!({ "merged_into": into }),
            );
            return s.act(t(start - 3, 10), "committee_review", merge).map(|_| s);
        }
        "converted" => {
            let convert =
                decide("convert", "属于学生会自身工作建议，转校学生会新媒体中心研究落实", serde_json::json!({}));
            return s.act(t(start - 3, 10), "committee_review", convert).map(|_| s);
        }
        _ => {}
    }
    s.approve_n(t(start - 3, 10), "committee_review", 4, "同意立案")?;
    if status == "classify" {
        return Ok(s);
    }
    let (lead, co) = offices(status);
    let fields = serde_json::json!({ "lead_office": lead, "co_offices": co });
    s.act(t(start - 5, 10), "classify", decide("approve", "按职责交办", fields))?;
    // The offices answer within 30 days of receiving it (at most 12 working days here).
    let has_co = !co.is_empty();
    let handle = |s: &mut Story<'_>, entered: u32, co_at: u32, lead_at: u32| -> Result<(), String> {
        if has_co {
            s.act(t(entered - co_at, 11), "co_opinions", ack("同意主办部门意见，配合落实"))?;
        }
        if lead_at > 0 {
            s.act(t(entered - lead_at, 15), "lead_reply", approve("已研究，将于下学期起落实"))?;
        }
        Ok(())
    };
    let entered = start - 5;
    if status == "handling" {
        return handle(&mut s, entered, 3, 0).map(|_| s);
    }
    handle(&mut s, entered, 6, 10)?;
    let compiled = entered - 10;
    if status == "compile" {
        return Ok(s);
    }
    s.act(t(compiled - 2, 10), "compile", approve("已汇总办理意见，反馈提案人"))?;
    let rate = |rating: &str, comment: &str| {
        decide("acknowledge", "", serde_json::json!({ "rating": rating, "rating_comment": comment }))
    };
    if status == "proposer_rating" {
        return Ok(s);
    }
    if status == "satisfied" {
        return s.act(t(compiled - 4, 20), "proposer_rating", rate("satisfied", "办理及时，感谢")).map(|_| s);
    }
    // Rated unsatisfied: handled once more, compiled and rated again.
    s.act(t(compiled - 4, 20), "proposer_rating", rate("unsatisfied", "只答复了研究，没有具体时间安排"))?;
    let again = compiled - 4;
    handle(&mut s, again, 3, 6)?;
    s.act(t(again - 8, 10), "compile", approve("已再次汇总办理意见"))?;
    s.act(t(again - 10, 20), "proposer_rating", rate("basically_satisfied", "已明确开放时间，基本满意"))?;
    Ok(s)
}

#[cfg(test)]
mod tests;
