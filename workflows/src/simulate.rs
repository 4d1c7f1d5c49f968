//! The simulator: drives a definition against an org with scripted decisions and timers, and
//! tells, step by step, who would be asked, when each timer falls and how it ends.

use crate::calendar::{WorkCalendar, format_local};
use crate::catalog::Lang;
use crate::engine::{self, Channel, Command, Decision, EngineError, Env, Event, EventKind, Instance, Status, TaskKind};
use crate::model::Definition;
use crate::org::Directory;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// What a reviewer does when the simulator reaches their task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Approve (or acknowledge, on an acknowledge task).
    Approve,
    /// Reject.
    Reject,
    /// Return (to the submitter or the step's return target); the submitter then resubmits.
    Return,
    /// Do nothing: let the timers run.
    Wait,
    /// Pick the step's named option (`options:`), e.g. `merge`.
    Option(String),
}

impl Choice {
    /// Parses `approve`/`ack`, `reject`, `return`, `wait`/`timeout`, or a named option's name
    /// (lowercase letters, digits and `_`).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "approve" | "yes" | "ack" | "acknowledge" | "同意" | "已阅" => Some(Choice::Approve),
            "reject" | "no" | "驳回" => Some(Choice::Reject),
            "return" | "退回" => Some(Choice::Return),
            "wait" | "timeout" | "none" => Some(Choice::Wait),
            o if o.starts_with(|c: char| c.is_ascii_lowercase())
                && o.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') =>
            {
                Some(Choice::Option(o.to_string()))
            }
            _ => None,
        }
    }
}

/// Scripted choices by step name, consumed one per visit of the step; the default is approve.
/// Steps with a decision form (`fields:`) take their values from [`Script::fill`], one object per
/// visit (the last one repeats).
#[derive(Debug, Clone, Default)]
pub struct Script {
    choices: BTreeMap<String, Vec<Choice>>,
    fields: BTreeMap<String, Vec<serde_json::Map<String, serde_json::Value>>>,
}

impl Script {
    /// Parses `step=choice[,choice…]` items (as given to `--decide`).
    pub fn parse(items: &[String]) -> Result<Self, String> {
        let mut choices = BTreeMap::new();
        for item in items {
            let (step, list) = item
                .split_once('=')
                .ok_or_else(|| format!("`{item}`: write step=choice, e.g. league_review=reject"))?;
            let parsed = list
                .split(',')
                .map(|c| {
                    Choice::parse(c)
                        .ok_or_else(|| format!("`{c}`: choose approve, reject, return, wait or an option's name"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            choices.insert(step.trim().to_string(), parsed);
        }
        Ok(Self { choices, fields: BTreeMap::new() })
    }

    /// Adds a choice for a step.
    pub fn with(mut self, step: &str, choices: &[Choice]) -> Self {
        self.choices.insert(step.to_string(), choices.to_vec());
        self
    }

    /// Adds the fields a step's reviewer fills, one object per visit (the last one repeats).
    pub fn fill(mut self, step: &str, values: &[serde_json::Value]) -> Self {
        let objs = values.iter().map(|v| v.as_object().cloned().unwrap_or_default()).collect();
        self.fields.insert(step.to_string(), objs);
        self
    }

    /// Parses `step=JSON` items (as given to `--fill`), e.g. `classify={"lead_office":"library"}`;
    /// a step named twice gets one object per visit.
    pub fn parse_fills(mut self, items: &[String]) -> Result<Self, String> {
        for item in items {
            let (step, json) = item
                .split_once('=')
                .ok_or_else(|| format!("`{item}`: write step=JSON, e.g. classify={{\"lead_office\":\"library\"}}"))?;
            let v: serde_json::Value =
                serde_json::from_str(json).map_err(|e| format!("`{item}`: the fields are not JSON: {e}"))?;
            let obj = v.as_object().cloned().ok_or_else(|| format!("`{item}`: the fields must be a JSON object"))?;
            self.fields.entry(step.trim().to_string()).or_default().push(obj);
        }
        Ok(self)
    }
}

/// The whole run: every event, with the time it happened, and the final state.
#[derive(Debug, Clone)]
pub struct Transcript {
    /// Events in order.
    pub events: Vec<Event>,
    /// The state at the end.
    pub state: Instance,
    /// The records the outcome writes (the definition's `records:`), in order.
    pub records: Vec<crate::records::outcome::Record>,
}

/// Runs a request from submission to its end (at most `max_steps` commands and timers).
pub fn simulate(
    def: &Definition,
    dir: &dyn Directory,
    cal: &WorkCalendar,
    submitter: &str,
    form: &serde_json::Value,
    start: DateTime<Utc>,
    script: &Script,
) -> Result<Transcript, EngineError> {
    let mut now = start;
    let mut visits: BTreeMap<String, usize> = BTreeMap::new();
    let env = Env { def, dir, cal, now };
    let out = engine::submit(&env, "SIM-1", submitter, Channel::Cli, form)?;
    let mut events = out.events;
    let mut st = out.state;
    let mut records = recorded(&out.effects);
    for _ in 0..500 {
        if st.is_finished() {
            break;
        }
        let env = Env { def, dir, cal, now };
        if st.status == Status::Returned {
            let out = engine::handle(
                &env,
                &st,
                submitter,
                Channel::Cli,
                Command::Resubmit { form: None, guard: Default::default() },
            )?;
            records.extend(recorded(&out.effects));
            events.extend(out.events);
            st = out.state;
            continue;
        }
        // The first open task whose step's scripted choice is not "wait".
        let mut acted = false;
        let open: Vec<(u32, String, String, TaskKind, u32)> =
            st.open_tasks().map(|t| (t.id, t.step.clone(), t.assignee.clone(), t.kind, t.run)).collect();
        for (task, step, assignee, kind, run) in open {
            let visit = visit_index(&st, &step, run);
            let choice =
                script.choices.get(&step).and_then(|c| c.get(visit).or(c.last())).cloned().unwrap_or(Choice::Approve);
            let fields = script.fields.get(&step).and_then(|f| f.get(visit).or(f.last())).cloned();
            let decide = |decision: &str| Command::Decide {
                task,
                decision: decision.to_string(),
                comment: Some(format!("（模拟）{decision}")),
                fields: fields.clone().unwrap_or_default(),
            };
            // A comment the step requires (`comment_required:`) is filled: its `comment_label`
            // (书面报告, 终报) or the decision, marked as simulated.
            let spec = def.step(&step).map(|s| &s.decision);
            let required = |decision: &str| {
                spec.filter(|s| s.needs_comment(decision)).map(|s| match &s.comment_label {
                    Some(l) => format!("（模拟）{}", l.value.zh),
                    None => format!("（模拟）{decision}"),
                })
            };
            // A score sheet: the scripted fields are the scores; else approve scores every
            // criterion its max and reject (or return) 0.
            let cmd = match (choice, kind) {
                (Choice::Wait, _) => continue,
                (choice, TaskKind::Score) => Command::Decide {
                    task,
                    decision: "score".into(),
                    comment: None,
                    fields: fields
                        .clone()
                        .unwrap_or_else(|| crate::score::uniform_sheet(def, &step, choice == Choice::Approve)),
                },
                (Choice::Option(o), _) => decide(&o),
                (_, TaskKind::Acknowledge) if fields.is_some() => decide("acknowledge"),
                (_, TaskKind::Acknowledge) => Command::Acknowledge { task, comment: required("acknowledge") },
                (Choice::Approve, _) if fields.is_some() => decide("approve"),
                (Choice::Approve, _) => Command::Approve { task, comment: required("approve") },
                (Choice::Reject, _) => Command::Reject { task, comment: Some("（模拟）驳回".into()) },
                (Choice::Return, _) => Command::Return { task, comment: required("return"), to: None },
            };
            *visits.entry(step).or_default() += 1;
            let out = engine::handle(&env, &st, &assignee, Channel::Cli, cmd)?;
            records.extend(recorded(&out.effects));
            events.extend(out.events);
            st = out.state;
            acted = true;
            break;
        }
        if acted {
            continue;
        }
        // Nobody acts: time passes until the next timer.
        let Some(timer) = st.timers.values().min_by_key(|t| (t.at, t.id.clone())).cloned() else {
            break;
        };
        now = now.max(timer.at);
        let env = Env { def, dir, cal, now };
        let out = engine::fire(&env, &st, &timer.id)?;
        records.extend(recorded(&out.effects));
        events.extend(out.events);
        st = out.state;
    }
    Ok(Transcript { events, state: st, records })
}

fn recorded(effects: &[engine::Effect]) -> Vec<crate::records::outcome::Record> {
    effects
        .iter()
        .filter_map(|e| match e {
            engine::Effect::Record { record, .. } => Some(record.clone()),
            _ => None,
        })
        .collect()
}

/// Which visit of `step` run `run` is (0 for the first time the request reaches the step).
/// Which choice of a step applies: one per visit of the step, and one more per escalation rung.
fn visit_index(st: &Instance, step: &str, run: u32) -> usize {
    let earlier = st.runs.values().filter(|r| r.step == step && r.id < run).count();
    earlier + st.runs.get(&run).map_or(0, |r| r.escalated_rungs)
}

impl Transcript {
    /// Renders the run as text, one line per thing a person would notice.
    pub fn render(&self, def: &Definition, dir: &dyn Directory, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        let who = |id: &str| match dir.person(id) {
            Some(p) => format!("{} <{}>", p.name, p.id),
            None => id.to_string(),
        };
        let step_label = |name: &str| {
            def.step(name)
                .and_then(|s| s.label.as_ref())
                .map(|l| format!("{name} ({})", l.get(lang)))
                .unwrap_or_else(|| name.to_string())
        };
        let mut out = String::new();
        let mut runs: BTreeMap<u32, String> = BTreeMap::new();
        for ev in &self.events {
            let t = format_local(ev.at, lang);
            let line = match &ev.kind {
                EventKind::Submitted { title, submitter, .. } => Some(if zh {
                    format!("提交: {title}, 提交人 {}", who(&submitter.id))
                } else {
                    format!("submitted: {title}, by {}", who(&submitter.id))
                }),
                EventKind::LeadTimeWarning { at_least, deadline } => Some(if zh {
                    format!("⚠ 提交晚于提前期 {at_least} (应在 {} 前提交)", format_local(*deadline, lang))
                } else {
                    format!("⚠ later than the lead time {at_least} (due by {})", format_local(*deadline, lang))
                }),
                EventKind::LateReport { within, deadline, .. } => Some(if zh {
                    format!("⚠ 迟报：应在 {within} 内报告 (截至 {})", format_local(*deadline, lang))
                } else {
                    format!("⚠ late report: due within {within} (by {})", format_local(*deadline, lang))
                }),
                EventKind::GuardOverridden { reason, findings, .. } => {
                    let (names, _) = crate::guard::subject_names(findings);
                    Some(if zh {
                        format!("⚑ 门禁已覆盖（{names}），理由：{reason}")
                    } else {
                        format!("⚑ guard overridden ({names}), reason: {reason}")
                    })
                }
                EventKind::FollowedUp { text } => Some(format!("  ✎ {} {text}", if zh { "续报" } else { "follow-up" })),
                EventKind::Overseen { rung, to, .. } => Some(format!(
                    "  ⚑ {} {} → {}",
                    if zh { "督办" } else { "oversight" },
                    rung + 1,
                    to.iter().map(|p| who(p)).collect::<Vec<_>>().join(", ")
                )),
                EventKind::StepEntered { run, step, due_at, .. } => {
                    runs.insert(*run, step.clone());
                    let kind = def.step(step).map(|s| &s.kind);
                    if matches!(kind, Some(crate::model::StepKind::Approve(_) | crate::model::StepKind::Acknowledge(_)))
                    {
                        let due = due_at.map(|d| format_local(d, lang));
                        Some(match (zh, due) {
                            (true, Some(d)) => format!("▶ {} 截止 {d}", step_label(step)),
                            (true, None) => format!("▶ {}", step_label(step)),
                            (false, Some(d)) => format!("▶ {} due {d}", step_label(step)),
                            (false, None) => format!("▶ {}", step_label(step)),
                        })
                    } else if matches!(kind, Some(crate::model::StepKind::Parallel { .. })) {
                        Some(format!("⇉ {}", step_label(step)))
                    } else {
                        None
                    }
                }
                EventKind::Routed { case, to, .. } => Some(format!("  ◇ {case} → {to}")),
                EventKind::TaskCreated { task, assignee, on_behalf_of, kind, .. } => {
                    let what = match (kind, zh) {
                        (TaskKind::Approve, true) => "待审批",
                        (TaskKind::Approve, false) => "to decide",
                        (TaskKind::Acknowledge, true) => "待知悉",
                        (TaskKind::Acknowledge, false) => "to acknowledge",
                        (TaskKind::Score, true) => "待评分",
                        (TaskKind::Score, false) => "to score",
                    };
                    let behalf = on_behalf_of
                        .as_ref()
                        .map(|p| if zh { format!(" (代 {})", who(p)) } else { format!(" (for {})", who(p)) })
                        .unwrap_or_default();
                    Some(format!("  • #{task} {what}: {}{behalf}", who(assignee)))
                }
                EventKind::TaskDecided { task, decision, option, fields, scores, .. } => {
                    let d = match (decision, zh) {
                        (Decision::Approve, true) => "同意",
                        (Decision::Reject, true) => "驳回",
                        (Decision::Return, true) => "退回",
                        (Decision::Acknowledge, true) => "已阅",
                        (Decision::Option, _) => "",
                        (Decision::Approve, false) => "approved",
                        (Decision::Reject, false) => "rejected",
                        (Decision::Return, false) => "returned",
                        (Decision::Acknowledge, false) => "acknowledged",
                        (Decision::Score, true) => "评分",
                        (Decision::Score, false) => "scored",
                    };
                    let by = ev
                        .actor
                        .person_id()
                        .map(who)
                        .unwrap_or_else(|| if zh { "系统".into() } else { "system".into() });
                    let d = option.clone().unwrap_or_else(|| d.to_string());
                    let filled = fields
                        .as_ref()
                        .map(|f| format!(" {}", serde_json::Value::Object(f.clone())))
                        .or_else(|| scores.as_ref().map(|s| format!(" {}", serde_json::json!(s))))
                        .unwrap_or_default();
                    Some(format!("  ✓ #{task} {d}{filled} — {by}"))
                }
                EventKind::TimerScheduled { timer } => {
                    let what = match &timer.kind {
                        crate::engine::TimerKind::Remind { percent: Some(p), .. } if *p >= 100 => {
                            if zh {
                                "逾期提醒".to_string()
                            } else {
                                "overdue notice".to_string()
                            }
                        }
                        crate::engine::TimerKind::Remind { percent, .. } => match (percent, zh) {
                            (Some(p), true) => format!("提醒 {p}%"),
                            (Some(p), false) => format!("reminder {p}%"),
                            (None, true) => "提醒".into(),
                            (None, false) => "reminder".into(),
                        },
                        crate::engine::TimerKind::Escalate { rung, .. } => {
                            if zh {
                                format!("升级第{}级", rung + 1)
                            } else {
                                format!("escalation rung {}", rung + 1)
                            }
                        }
                    };
                    Some(format!("    ⏰ {what} @ {}", format_local(timer.at, lang)))
                }
                EventKind::Reminded { to, overdue, .. } => Some(format!(
                    "  ✉ {} → {}",
                    if *overdue {
                        if zh { "逾期提醒" } else { "overdue" }
                    } else if zh {
                        "催办"
                    } else {
                        "reminder"
                    },
                    to.iter().map(|p| who(p)).collect::<Vec<_>>().join(", ")
                )),
                EventKind::Escalated { rung, to, .. } => Some(format!(
                    "  ⇧ {} {} → {}",
                    if zh { "升级" } else { "escalated" },
                    rung + 1,
                    to.iter().map(|p| who(p)).collect::<Vec<_>>().join(", ")
                )),
                EventKind::AutoActed { action, .. } => Some(format!("  ⚙ auto {action:?}")),
                EventKind::Extended { due_at, by, .. } => Some(if zh {
                    format!("  ⏩ 延期 {by}，新截止 {}", format_local(*due_at, lang))
                } else {
                    format!("  ⏩ extended by {by}, now due {}", format_local(*due_at, lang))
                }),
                EventKind::VisitsExhausted { step, visits, to } => Some(if zh {
                    format!("  ◇ {} 已办理 {visits} 次 → {to}", step_label(step))
                } else {
                    format!("  ◇ {} ran {visits} times → {to}", step_label(step))
                }),
                EventKind::PolicyApplied { note, .. } => Some(format!("  ⓘ {}", note.words(lang))),
                EventKind::Copied { to, .. } => Some(format!(
                    "  ✉ {} → {}",
                    if zh { "抄送" } else { "copied" },
                    to.iter().map(|p| who(p)).collect::<Vec<_>>().join(", ")
                )),
                EventKind::ReturnedToSubmitter { .. } => {
                    Some(if zh { "↩ 退回提交人".into() } else { "↩ returned to the submitter".into() })
                }
                EventKind::Resubmitted { .. } => {
                    Some(if zh { "↪ 重新提交".into() } else { "↪ resubmitted".into() })
                }
                EventKind::BranchCompleted { branch, outcome, .. } => {
                    Some(format!("  ⇥ {} {branch}: {}", if zh { "分支" } else { "branch" }, outcome.label().get(lang)))
                }
                EventKind::Finished { outcome } => {
                    let mut line = format!("■ {}: {}", if zh { "结果" } else { "outcome" }, outcome.label().get(lang));
                    for r in &self.records {
                        line.push_str(&format!(
                            "\n  ✎ {} {}",
                            if zh { "记录" } else { "records" },
                            r.summary(dir, lang)
                        ));
                    }
                    Some(line)
                }
                _ => None,
            };
            if let Some(line) = line {
                out.push_str(&format!("[{t}] {line}\n"));
            }
        }
        if !self.state.is_finished() {
            let waiting: Vec<String> =
                self.state.open_tasks().map(|t| format!("{} ({})", who(&t.assignee), t.step)).collect();
            out.push_str(&if zh {
                format!("■ 未结束，等待: {}\n", waiting.join(", "))
            } else {
                format!("■ not finished, waiting for: {}\n", waiting.join(", "))
            });
        }
        out
    }
}
