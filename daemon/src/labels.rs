//! Words for the engine's values in zh-CN and English, shared by mail and pages.

use workflows::catalog::Lang;
use workflows::engine::{CancelReason, Channel, Decision};

/// A request's form as people read it, in the definition's field order (then any other key):
/// (field label, value) with enums by their option label, dates as 2027年1月20日, and
/// departments, classes, offices and people by name ([`workflows::form::display_value`]).
pub fn form_fields(
    def: Option<&workflows::model::Definition>,
    form: &serde_json::Map<String, serde_json::Value>,
    lang: Lang,
    org: &dyn workflows::org::Directory,
) -> Vec<(String, String)> {
    // Submit fields, then what reviewers filled at steps (offices chosen, a rating).
    let all = def.map(|d| d.all_fields()).unwrap_or_default();
    let declared = all.as_slice();
    let mut out: Vec<(String, String)> = declared
        .iter()
        .filter_map(|f| form.get(&f.name).map(|v| (f, v)))
        .filter(|(_, v)| !v.is_null())
        .map(|(f, v)| {
            let label = f.label.as_ref().map_or_else(|| f.name.clone(), |l| l.get(lang).to_string());
            (label, workflows::form::display_value(Some(f), v, lang, org))
        })
        .collect();
    for (k, v) in form.iter().filter(|(k, v)| !v.is_null() && !declared.iter().any(|f| &f.name == *k)) {
        out.push((k.clone(), workflows::form::display_value(None, v, lang, org)));
    }
    out
}

/// `text` cut to `max` characters, with … when cut.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max { text.to_string() } else { text.chars().take(max).chain(['…']).collect() }
}

/// A deadline (Asia/Shanghai) as people read it: one at the end of a day reads as that day,
/// `2026年12月2日（周三）当天` ([`workflows::calendar::format_deadline`]).
pub fn deadline(t: chrono::DateTime<chrono::Utc>, lang: Lang) -> String {
    workflows::calendar::format_deadline(t, lang)
}

/// 同意, 驳回…
pub fn decision(d: Decision, lang: Lang) -> &'static str {
    let zh = lang == Lang::Zh;
    match d {
        Decision::Approve => {
            if zh {
                "同意"
            } else {
                "Approved"
            }
        }
        Decision::Reject => {
            if zh {
                "驳回"
            } else {
                "Rejected"
            }
        }
        Decision::Return => {
            if zh {
                "退回"
            } else {
                "Returned"
            }
        }
        Decision::Acknowledge => {
            if zh {
                "已阅"
            } else {
                "Acknowledged"
            }
        }
        Decision::Option => {
            if zh {
                "选择办理选项"
            } else {
                "Chose an option"
            }
        }
        Decision::Score => {
            if zh {
                "评分"
            } else {
                "Scored"
            }
        }
    }
}

/// The button for a decision: 同意, 驳回, 退回, 已阅 / Approve, Reject, Return, Acknowledge.
pub fn verb(d: Decision, lang: Lang) -> &'static str {
    let zh = lang == Lang::Zh;
    match d {
        Decision::Approve => {
            if zh {
                "同意"
            } else {
                "Approve"
            }
        }
        Decision::Reject => {
            if zh {
                "驳回"
            } else {
                "Reject"
            }
        }
        Decision::Return => {
            if zh {
                "退回"
            } else {
                "Return"
            }
        }
        Decision::Acknowledge => {
            if zh {
                "已阅"
            } else {
                "Acknowledge"
            }
        }
        Decision::Option => {
            if zh {
                "选择"
            } else {
                "Choose"
            }
        }
        Decision::Score => {
            if zh {
                "提交评分"
            } else {
                "Submit the scores"
            }
        }
    }
}

/// What a decision reads as on a timeline: the step's option label for a named option
/// (并案处理), filing the named comment for an acknowledgement on a step that names it
/// (提交书面报告, see [`filed`]), else [`decision`].
pub fn decision_named(
    def: Option<&workflows::model::Definition>,
    step: &str,
    d: Decision,
    option: Option<&str>,
    lang: Lang,
) -> String {
    match option {
        Some(o) => def
            .and_then(|def| def.step(step))
            .and_then(|s| s.decision.option(o))
            .and_then(|o| o.label.as_ref())
            .map_or_else(|| o.to_string(), |l| l.get(lang).to_string()),
        None => filed(def, step, d, lang).unwrap_or_else(|| decision(d, lang).to_string()),
    }
}

/// The name of `step`'s comment when the step names it (`comment_label:`, e.g. 书面报告 /
/// Written report); `None`: an opinion (意见).
pub fn comment_name(def: Option<&workflows::model::Definition>, step: &str, lang: Lang) -> Option<String> {
    Some(def?.step(step)?.decision.comment_label.as_ref()?.value.get(lang).to_string())
}

/// An acknowledgement on a step that names its comment is the filing of that text, not a
/// reading: 提交书面报告 / Submit the written report (the button and the timeline). `None` for
/// any other decision or step.
pub fn filed(def: Option<&workflows::model::Definition>, step: &str, d: Decision, lang: Lang) -> Option<String> {
    let name = comment_name(def, step, lang).filter(|_| d == Decision::Acknowledge)?;
    Some(if lang == Lang::Zh { format!("提交{name}") } else { format!("Submit the {}", name.to_lowercase()) })
}

/// The button for decision `d` on `step`: [`filed`] when the step names its comment, else [`verb`].
pub fn verb_on(def: Option<&workflows::model::Definition>, step: &str, d: Decision, lang: Lang) -> String {
    filed(def, step, d, lang).unwrap_or_else(|| verb(d, lang).to_string())
}

/// What a decision's comment is called on a timeline and in a mail: [`comment_name`] or 意见 /
/// Comment.
pub fn comment_heading(def: Option<&workflows::model::Definition>, step: &str, lang: Lang) -> String {
    comment_name(def, step, lang).unwrap_or_else(|| (if lang == Lang::Zh { "意见" } else { "Comment" }).to_string())
}

/// The criteria of score step `step` with their labels, in the step's order.
fn criteria<'d>(def: Option<&'d workflows::model::Definition>, step: &str) -> Vec<&'d workflows::model::Criterion> {
    match def.and_then(|d| d.step(step)).map(|s| &s.kind) {
        Some(workflows::model::StepKind::Score(spec)) => spec.criteria.iter().collect(),
        _ => Vec::new(),
    }
}

/// `values` (criterion key → number) in words: 思想作风 80；工作实绩 90 (labels from step `step`).
fn criterion_values(
    def: Option<&workflows::model::Definition>,
    step: &str,
    values: &std::collections::BTreeMap<String, f64>,
    lang: Lang,
) -> String {
    let known = criteria(def, step);
    let label = |k: &str| {
        known.iter().find(|c| c.key.value == k).map_or_else(|| k.to_string(), |c| c.label.get(lang).to_string())
    };
    let mut keys: Vec<&String> = values.keys().collect();
    keys.sort_by_key(|k| known.iter().position(|c| c.key.value == **k).unwrap_or(usize::MAX));
    let parts: Vec<String> = keys.into_iter().map(|k| format!("{} {}", label(k), values[k])).collect();
    parts.join(if lang == Lang::Zh { "；" } else { "; " })
}

/// A score sheet in words: 思想作风 80；工作实绩 90；联系同学 85.
pub fn score_sheet(
    def: Option<&workflows::model::Definition>,
    step: &str,
    sheet: &workflows::score::Sheet,
    lang: Lang,
) -> String {
    criterion_values(def, step, sheet, lang)
}

/// A score step's result in words: 评议结果：加权均分 76.29（合格），7 份评分表；各项均分 …
pub fn score_result(
    def: Option<&workflows::model::Definition>,
    r: &workflows::score::ScoreResult,
    lang: Lang,
) -> String {
    let means = criterion_values(def, &r.step, &r.means, lang);
    let (total, panel, sheets) = (r.total, r.panel, r.sheets);
    match (lang == Lang::Zh, r.satisfactory, r.closed_early) {
        (true, ok, early) => format!(
            "评议结果：加权均分 {total}（{}），评议会 {panel} 人中 {sheets} 人评分{}；各项均分：{means}",
            if ok { "合格" } else { "不合格" },
            if early { "（逾期截止）" } else { "" }
        ),
        (false, ok, early) => format!(
            "Result: weighted mean {total} ({}), {sheets} of {panel} panel members scored{}; means: {means}",
            if ok { "satisfactory" } else { "unsatisfactory" },
            if early { " (closed at the due)" } else { "" }
        ),
    }
}

/// 邮件链接, 邮件回复…
pub fn channel(c: Channel, lang: Lang) -> &'static str {
    let zh = lang == Lang::Zh;
    match c {
        Channel::Api => {
            if zh {
                "接口"
            } else {
                "the API"
            }
        }
        Channel::Web => {
            if zh {
                "网页"
            } else {
                "the web"
            }
        }
        Channel::EmailLink => {
            if zh {
                "邮件链接"
            } else {
                "a mail link"
            }
        }
        Channel::EmailReply => {
            if zh {
                "邮件回复"
            } else {
                "a mail reply"
            }
        }
        Channel::Timer => {
            if zh {
                "定时规则"
            } else {
                "a timer"
            }
        }
        Channel::Cli => {
            if zh {
                "命令行"
            } else {
                "the command line"
            }
        }
        Channel::System => {
            if zh {
                "系统"
            } else {
                "the system"
            }
        }
    }
}

/// Why a task ended without its reviewer.
pub fn cancelled(r: CancelReason, lang: Lang) -> &'static str {
    let zh = lang == Lang::Zh;
    match r {
        CancelReason::StepDecided => {
            if zh {
                "该环节已由其他审批人办结"
            } else {
                "another reviewer decided the step"
            }
        }
        CancelReason::BranchEnded => {
            if zh {
                "所在分支已结束"
            } else {
                "its branch ended"
            }
        }
        CancelReason::Withdrawn => {
            if zh {
                "提交人已撤回该事项"
            } else {
                "the submitter withdrew the request"
            }
        }
        CancelReason::Returned => {
            if zh {
                "事项已退回提交人"
            } else {
                "the request was returned to its submitter"
            }
        }
        CancelReason::Escalated => {
            if zh {
                "已超时升级给他人办理"
            } else {
                "it was escalated to someone else"
            }
        }
        CancelReason::Transferred => {
            if zh {
                "已转交他人办理"
            } else {
                "it was transferred to someone else"
            }
        }
        CancelReason::DelegationEnded => {
            if zh {
                "委托已结束，已交还委托人办理"
            } else {
                "the delegation ended; it went back to the person who delegated"
            }
        }
        CancelReason::PostEnded => {
            if zh {
                "审批人的任职已结束，已改由他人办理"
            } else {
                "the reviewer's post ended; it moved to someone else"
            }
        }
    }
}

/// A duration of a definition as people read it: 30天, 5个工作日, 2小时 / 30 days, 5 working days.
pub fn duration(d: workflows::duration::DurationSpec, lang: Lang) -> String {
    use workflows::duration::DurationUnit as U;
    let n = d.amount;
    if lang == Lang::Zh {
        match d.unit {
            U::Minutes => format!("{n}分钟"),
            U::Hours => format!("{n}小时"),
            U::Days => format!("{n}天"),
            U::WorkingDays => format!("{n}个工作日"),
            U::Months => format!("{n}个月"),
        }
    } else {
        let (one, many) = match d.unit {
            U::Minutes => ("minute", "minutes"),
            U::Hours => ("hour", "hours"),
            U::Days => ("day", "days"),
            U::WorkingDays => ("working day", "working days"),
            U::Months => ("month", "months"),
        };
        format!("{n} {}", if n == 1 { one } else { many })
    }
}
