//! Words and text metrics of the step graph: XML escaping, width estimates, wrapping, and the
//! phrases (who, mode, due, join rule, escalation rung) drawn inside the nodes.

use crate::catalog::{BodyKind, DIVISIONS, Lang, Level, Role};
use crate::duration::{DurationSpec, DurationUnit};
use crate::model::{
    AutoAction, Definition, Join, Mode, Outcome, Quorum, Reminder, Rung, ScopeRef, Selector, SelectorKind, StepKind,
};

/// The font stack of every text: CJK fonts first so that Chinese renders everywhere.
pub(super) const FONT_FAMILY: &str = "'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif";

/// Escapes `&`, `<`, `>`, `"` and `'` for XML text and attribute values.
pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0; drop them.
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// The estimated advance of one character, in em: CJK and other wide characters ≈ 1em, Latin ≈ 0.6em.
fn char_em(c: char) -> f64 {
    if (c as u32) < 0x2000 { 0.6 } else { 1.0 }
}

/// The estimated width of `s` at font size `size` (bold text is a little wider).
pub(super) fn width(s: &str, size: f64, bold: bool) -> f64 {
    let em: f64 = s.chars().map(char_em).sum();
    em * size * if bold { 1.05 } else { 1.0 }
}

/// Breaks `s` into lines no wider than `max` (CJK may break between any two characters, Latin
/// text between words; a word wider than a line is cut).
pub(super) fn wrap(s: &str, max: f64, size: f64, bold: bool) -> Vec<String> {
    // Tokens: a Latin word with its trailing spaces, or one wide character.
    let mut tokens: Vec<String> = Vec::new();
    let mut word = String::new();
    for c in s.chars() {
        if char_em(c) < 1.0 {
            if c == ' ' {
                word.push(c);
                tokens.push(std::mem::take(&mut word));
            } else {
                word.push(c);
            }
        } else {
            if !word.is_empty() {
                tokens.push(std::mem::take(&mut word));
            }
            tokens.push(c.to_string());
        }
    }
    if !word.is_empty() {
        tokens.push(word);
    }
    let mut lines = Vec::new();
    let mut line = String::new();
    for token in tokens {
        let candidate = format!("{line}{token}");
        if width(candidate.trim_end(), size, bold) <= max {
            line = candidate;
            continue;
        }
        if !line.trim().is_empty() {
            lines.push(line.trim_end().to_string());
            line = String::new();
        }
        if width(token.trim_end(), size, bold) <= max {
            line = token.trim_start().to_string();
        } else {
            // Cut an over-long word character by character.
            for c in token.chars() {
                if width(&format!("{line}{c}"), size, bold) > max && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                line.push(c);
            }
        }
    }
    if !line.trim().is_empty() {
        lines.push(line.trim_end().to_string());
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// Like [`wrap`], but prefers to break at the ` · ` between the parts of a line (the separator is
/// dropped at a break).
pub(super) fn wrap_parts(s: &str, max: f64, size: f64, bold: bool) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for part in s.split(" · ") {
        let candidate = if line.is_empty() { part.to_string() } else { format!("{line} · {part}") };
        if width(&candidate, size, bold) <= max {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        let mut pieces = wrap(part, max, size, bold);
        line = pieces.pop().unwrap_or_default();
        lines.extend(pieces);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Cuts `s` to at most `max` wide, ending in `…` when it was cut.
pub(super) fn truncate(s: &str, max: f64, size: f64) -> String {
    if width(s, size, false) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        if width(&format!("{out}{c}…"), size, false) > max {
            break;
        }
        out.push(c);
    }
    format!("{}…", out.trim_end())
}

/// Picks the zh-CN or English phrase.
pub(super) fn tr(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::Zh => zh.to_string(),
        Lang::En => en.to_string(),
    }
}

/// A duration in words: `3wd` → "3个工作日" / "3 working days".
pub(super) fn duration(d: DurationSpec, lang: Lang) -> String {
    let n = d.amount;
    match lang {
        Lang::Zh => {
            let unit = match d.unit {
                DurationUnit::Minutes => "分钟",
                DurationUnit::Hours => "小时",
                DurationUnit::Days => "天",
                DurationUnit::WorkingDays => "个工作日",
                DurationUnit::Months => "个月",
            };
            format!("{n}{unit}")
        }
        Lang::En => {
            let unit = match d.unit {
                DurationUnit::Minutes => "minute",
                DurationUnit::Hours => "hour",
                DurationUnit::Days => "day",
                DurationUnit::WorkingDays => "working day",
                DurationUnit::Months => "month",
            };
            format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
        }
    }
}

/// How the reviewers' decisions combine: 或签 / 会签 / 依次 / k-of-n.
pub(super) fn mode(m: &Mode, lang: Lang) -> String {
    match (m, lang) {
        (Mode::Any, Lang::Zh) => "或签".into(),
        (Mode::Any, Lang::En) => "any one decides".into(),
        (Mode::All, Lang::Zh) => "会签".into(),
        (Mode::All, Lang::En) => "all must approve".into(),
        (Mode::Sequence, Lang::Zh) => "依次审批".into(),
        (Mode::Sequence, Lang::En) => "one after another".into(),
        (Mode::Quorum(Quorum::Count(k)), Lang::Zh) => format!("{k}-of-n：至少{k}人通过"),
        (Mode::Quorum(Quorum::Count(k)), Lang::En) => format!("{k} of n must approve"),
        (Mode::Quorum(Quorum::Percent(p)), Lang::Zh) => format!("k-of-n：至少{p}%通过"),
        (Mode::Quorum(Quorum::Percent(p)), Lang::En) => format!("{p}% of n must approve"),
    }
}

/// The mode, deadline and reminders of a task step, on one line.
pub(super) fn mode_due_line(
    mode: Option<String>,
    due: Option<DurationSpec>,
    remind: &[Reminder],
    lang: Lang,
) -> Option<String> {
    let mut parts = Vec::new();
    parts.extend(mode);
    if let Some(d) = due {
        parts.push(match lang {
            Lang::Zh => format!("时限 {}", duration(d, lang)),
            Lang::En => format!("due in {}", duration(d, lang)),
        });
    }
    if !remind.is_empty() {
        let times: Vec<String> = remind
            .iter()
            .map(|r| match r {
                Reminder::Percent(p) => format!("{p}%"),
                Reminder::After(d) => duration(*d, lang),
            })
            .collect();
        parts.push(match lang {
            Lang::Zh => format!("提醒 {}", times.join("、")),
            Lang::En => format!("remind at {}", times.join(", ")),
        });
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// The label of a form field, or its name.
fn field_label(def: &Definition, field: &str, lang: Lang) -> String {
    let name = field.strip_prefix("form.").unwrap_or(field);
    def.field(name).and_then(|f| f.label.as_ref()).map_or_else(|| name.to_string(), |l| l.get(lang).to_string())
}

/// A scope in words: "提交人院系" / "the submitter's department".
fn scope(def: &Definition, s: &ScopeRef, lang: Lang) -> String {
    match s {
        ScopeRef::SubmitterClass => tr(lang, "提交人班级", "the submitter's class"),
        ScopeRef::SubmitterDepartment => tr(lang, "提交人院系", "the submitter's department"),
        ScopeRef::SubmitterSu => tr(lang, "提交人所在学生会", "the submitter's student union"),
        ScopeRef::School => tr(lang, "学校", "the school"),
        ScopeRef::Field(f) => match lang {
            Lang::Zh => format!("表单「{}」", field_label(def, f, lang)),
            Lang::En => format!("form field “{}”", field_label(def, f, lang)),
        },
    }
}

/// Whether `s` is where a body of kind `body` is looked for when `of` is not written.
fn is_default_scope(body: BodyKind, s: &ScopeRef) -> bool {
    match body.levels() {
        [Level::Class] => *s == ScopeRef::SubmitterClass,
        levels if levels.contains(&Level::Department) => *s == ScopeRef::SubmitterDepartment,
        _ => *s == ScopeRef::School,
    }
}

/// Roles joined by `/`.
fn roles(rs: &[Role], lang: Lang) -> String {
    rs.iter().map(|r| r.label().get(lang).to_string()).collect::<Vec<_>>().join("/")
}

/// One selector in words: "学院团组织 · 书记", "提交人院系的联络人(M2)", "逐级向上至 书记".
pub(super) fn selector(def: &Definition, sel: &Selector, lang: Lang) -> String {
    match &sel.kind {
        SelectorKind::Body { body, roles: rs, of, code, division } => {
            let mut who = body.label().get(lang).to_string();
            if let Some(code) = code {
                who = match lang {
                    Lang::Zh => format!("{who}（{code}）"),
                    Lang::En => format!("{who} ({code})"),
                };
            }
            if let Some(div) = division {
                let name = DIVISIONS
                    .iter()
                    .find(|(id, _, _)| id == div)
                    .map_or(div.as_str(), |(_, zh, en)| if lang == Lang::Zh { zh } else { en });
                who = match lang {
                    Lang::Zh => format!("{who}{name}"),
                    Lang::En => format!("{who}, {name}"),
                };
            }
            if !is_default_scope(*body, of) {
                who = match lang {
                    Lang::Zh => format!("{}的{who}", scope(def, of, lang)),
                    Lang::En => format!("{who} of {}", scope(def, of, lang)),
                };
            }
            let rs = if rs.is_empty() { tr(lang, "全体成员", "every post") } else { roles(rs, lang) };
            format!("{who} · {rs}")
        }
        SelectorKind::LiaisonOf(of) => match lang {
            Lang::Zh => format!("{}的联络人(M2)", scope(def, of, lang)),
            Lang::En => format!("liaison (M2) of {}", scope(def, of, lang)),
        },
        SelectorKind::UpUntil { from, roles: rs, .. } => {
            let from = if *from == ScopeRef::SubmitterClass {
                String::new()
            } else {
                match lang {
                    Lang::Zh => format!("自{}", scope(def, from, lang)),
                    Lang::En => format!(" from {}", scope(def, from, lang)),
                }
            };
            match lang {
                Lang::Zh => format!("{from}逐级向上至 {}", roles(rs, lang)),
                Lang::En => format!("up the levels{from} to {}", roles(rs, lang)),
            }
        }
        SelectorKind::Person(p) => match lang {
            Lang::Zh => format!("指定人员 {p}"),
            Lang::En => format!("person {p}"),
        },
        SelectorKind::Field(f) => match lang {
            Lang::Zh => format!("表单「{}」所填人员", field_label(def, f, lang)),
            Lang::En => format!("the person in “{}”", field_label(def, f, lang)),
        },
        SelectorKind::Submitter => tr(lang, "提交人", "the submitter"),
    }
}

/// Several selectors in words (their people are all asked).
pub(super) fn selectors(def: &Definition, sels: &[Selector], lang: Lang) -> String {
    let parts: Vec<String> = sels.iter().map(|s| selector(def, s, lang)).collect();
    parts.join(if lang == Lang::Zh { "；" } else { "; " })
}

/// The longer selector text of a tooltip: an `up_until` also names the bodies it climbs through.
pub(super) fn selector_detail(def: &Definition, sel: &Selector, lang: Lang) -> String {
    let short = selector(def, sel, lang);
    match &sel.kind {
        SelectorKind::UpUntil { bodies, .. } if !bodies.is_empty() => {
            let path: Vec<String> = bodies.iter().map(|b| b.label().get(lang).to_string()).collect();
            match lang {
                Lang::Zh => format!("{short}（{}）", path.join(" → ")),
                Lang::En => format!("{short} ({})", path.join(" → ")),
            }
        }
        _ => short,
    }
}

/// One escalation rung: "5个工作日 → 学院党组织 · 书记", "10个工作日 → 自动通过".
pub(super) fn rung(def: &Definition, r: &Rung, lang: Lang) -> String {
    let mut what = Vec::new();
    if !r.to.is_empty() {
        let people = selectors(def, &r.to, lang);
        what.push(if r.notify_only {
            match lang {
                Lang::Zh => format!("告知 {people}（督办）"),
                Lang::En => format!("tell {people} (oversight)"),
            }
        } else {
            people
        });
    }
    if let Some(a) = r.action {
        what.push(match a {
            AutoAction::Approve => tr(lang, "自动通过", "auto-approve"),
            AutoAction::Reject => tr(lang, "自动驳回", "auto-reject"),
            AutoAction::Skip => tr(lang, "自动跳过", "auto-skip"),
        });
    }
    let sep = if lang == Lang::Zh { "，" } else { ", " };
    format!("{} → {}", duration(r.after.value, lang), what.join(sep))
}

/// The rule of a join: "college 决定，school_su 须知悉", "全部通过", "任一通过", "2/3 通过".
pub(super) fn join(def: &Definition, join: &Join, branches: &[(String, String)], lang: Lang) -> String {
    let n = branches.len();
    match join {
        Join::All => tr(lang, "全部通过", "all must approve"),
        Join::Any => tr(lang, "任一通过", "any one approves"),
        Join::Count(k) => match lang {
            Lang::Zh => format!("{k}/{n} 通过"),
            Lang::En => format!("{k} of {n} approve"),
        },
        Join::Decides { decides, waits_for } => {
            // A waited-for branch that starts with an acknowledgement must acknowledge; else complete.
            let acks = |b: &str| {
                branches
                    .iter()
                    .find(|(name, _)| name == b)
                    .and_then(|(_, first)| def.step(first))
                    .is_some_and(|s| matches!(s.kind, StepKind::Acknowledge(_)))
            };
            let waits: Vec<String> = waits_for
                .iter()
                .map(|w| match (lang, acks(&w.value)) {
                    (Lang::Zh, true) => format!("{} 须知悉", w.value),
                    (Lang::Zh, false) => format!("{} 须完成", w.value),
                    (Lang::En, true) => format!("{} must acknowledge", w.value),
                    (Lang::En, false) => format!("{} must complete", w.value),
                })
                .collect();
            let head = match lang {
                Lang::Zh => format!("{} 决定", decides.value),
                Lang::En => format!("{} decides", decides.value),
            };
            std::iter::once(head).chain(waits).collect::<Vec<_>>().join(if lang == Lang::Zh { "，" } else { ", " })
        }
    }
}

/// The label of an end step without its own label: "已通过", "未通过", …
pub(super) fn outcome(o: Outcome, lang: Lang) -> String {
    o.label().get(lang).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_special_character() {
        assert_eq!(escape(r#"a<b>&"c'"#), "a&lt;b&gt;&amp;&quot;c&apos;");
    }

    #[test]
    fn wraps_cjk_and_latin() {
        let lines = wrap("学院团组织审核学院团组织审核", 6.0 * 12.0, 12.0, false);
        assert_eq!(lines, vec!["学院团组织审", "核学院团组织", "审核"]);
        let lines = wrap("one two three", 8.0 * 0.6 * 10.0, 10.0, false);
        assert_eq!(lines, vec!["one two", "three"]);
        let lines = wrap_parts("department League org · secretary", 25.0 * 0.6 * 10.0, 10.0, false);
        assert_eq!(lines, vec!["department League org", "secretary"]);
    }

    #[test]
    fn says_durations_in_both_languages() {
        let d = DurationSpec::new(3, DurationUnit::WorkingDays);
        assert_eq!(duration(d, Lang::Zh), "3个工作日");
        assert_eq!(duration(d, Lang::En), "3 working days");
        assert_eq!(duration(DurationSpec::new(1, DurationUnit::WorkingDays), Lang::En), "1 working day");
    }

    #[test]
    fn truncates_with_an_ellipsis() {
        assert_eq!(truncate("short", 100.0, 10.0), "short");
        let t = truncate("form.matter_type in ['sensitive_incident']", 60.0, 10.0);
        assert!(t.ends_with('…') && width(&t, 10.0, false) <= 60.0, "{t}");
    }
}
