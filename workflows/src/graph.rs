//! The step graph of a definition as a standalone SVG: layered top to bottom, task steps as boxes
//! with who acts, the mode and the deadline, escalation rungs in orange, parallel forks and joins as
//! bars with the join rule, switches as diamonds, ends as pills coloured by outcome.

use crate::catalog::{Label, Lang};
use crate::duration::{DurationSpec, DurationUnit};
use crate::model::*;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

const FONT: f64 = 13.0;
const LINE: f64 = 18.0;
const GAP_X: f64 = 36.0;
const GAP_Y: f64 = 64.0;
const MARGIN: f64 = 24.0;

/// A node of the drawing: a step, or the join bar of a parallel step.
#[derive(Debug, Clone)]
struct Node {
    id: String,
    lines: Vec<(String, &'static str)>,
    shape: Shape,
    w: f64,
    h: f64,
    x: f64,
    y: f64,
    tip: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    Approve,
    Ack,
    Notify,
    Fork,
    Join,
    Switch,
    End(Outcome),
}

#[derive(Debug, Clone)]
struct Edge {
    from: String,
    to: String,
    label: String,
    back: bool,
}

fn text_width(s: &str) -> f64 {
    s.chars().map(|c| if c.is_ascii() { 0.6 * FONT } else { FONT }).sum()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn t<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    if lang == Lang::Zh { zh } else { en }
}

/// A duration in words: `3wd` → 3个工作日 / 3 working days.
pub fn duration_words(d: DurationSpec, lang: Lang) -> String {
    let n = d.amount;
    let (zh, en) = match d.unit {
        DurationUnit::Minutes => ("分钟", "minutes"),
        DurationUnit::Hours => ("小时", "hours"),
        DurationUnit::Days => ("天", "days"),
        DurationUnit::WorkingDays => ("个工作日", "working days"),
        DurationUnit::Months => ("个月", "months"),
    };
    if lang == Lang::Zh { format!("{n}{zh}") } else { format!("{n} {en}") }
}

/// Who a selector names, in words.
pub fn selector_words(s: &Selector, lang: Lang) -> String {
    let scope = |of: &ScopeRef| match of {
        ScopeRef::SubmitterClass => t(lang, "本班", "own class: ").to_string(),
        ScopeRef::SubmitterDepartment => t(lang, "本院系", "own department: ").to_string(),
        ScopeRef::School => String::new(),
        ScopeRef::Field(f) => format!("{}{f} ", t(lang, "表单指定 ", "form.")),
    };
    // 本院系 + 院系学生会组织 reads 本院系学生会组织; 本院系 + 学院团组织 reads 本学院团组织.
    let scoped = |of: &ScopeRef, label: &str| {
        let prefix = scope(of);
        match prefix.as_str() {
            "本院系" if label.starts_with("院系") => format!("本{label}"),
            "本院系" if label.starts_with("学院") => format!("本{label}"),
            "本班" if label.starts_with("班级") => format!("本{}", &label["班级".len()..]),
            _ => format!("{prefix}{label}"),
        }
    };
    let roles =
        |rs: &[crate::catalog::Role]| rs.iter().map(|r| r.label().get(lang).to_string()).collect::<Vec<_>>().join("/");
    match &s.kind {
        SelectorKind::Body { body, roles: rs, of, code, division } => {
            let mut out = scoped(of, body.label().get(lang));
            if let Some(c) = code {
                let _ = write!(out, " {c}");
            }
            if let Some(d) = division.as_ref().and_then(|d| crate::catalog::DIVISIONS.iter().find(|x| x.0 == d)) {
                let _ = write!(out, " {}", if lang == Lang::Zh { d.1 } else { d.2 });
            }
            if !rs.is_empty() {
                let _ = write!(out, " · {}", roles(rs));
            }
            out
        }
        SelectorKind::LiaisonOf(of) => format!("{}{}", scope(of), t(lang, "联系人（M2）", "liaison (M2)")),
        SelectorKind::UpUntil { roles: rs, .. } => {
            format!("{}{}", t(lang, "逐级向上至 ", "up the levels to "), roles(rs))
        }
        SelectorKind::Person(p) => p.clone(),
        SelectorKind::Field(f) => format!("{}{f}", t(lang, "表单指定 ", "form.")),
        SelectorKind::Submitter => t(lang, "提交人", "the submitter").to_string(),
    }
}

fn mode_words(m: &Mode, lang: Lang) -> String {
    match m {
        Mode::Any => t(lang, "或签", "any one").into(),
        Mode::All => t(lang, "会签", "all").into(),
        Mode::Sequence => t(lang, "依次审批", "one after another").into(),
        Mode::Quorum(Quorum::Count(k)) => {
            if lang == Lang::Zh {
                format!("{k}人同意")
            } else {
                format!("{k} must approve")
            }
        }
        Mode::Quorum(Quorum::Percent(p)) => {
            if lang == Lang::Zh {
                format!("{p}%同意")
            } else {
                format!("{p}% must approve")
            }
        }
    }
}

fn join_words(j: &Join, lang: Lang) -> String {
    match j {
        Join::All => t(lang, "全部通过", "all branches approve").into(),
        Join::Any => t(lang, "任一通过", "any branch approves").into(),
        Join::Count(k) => {
            if lang == Lang::Zh {
                format!("{k}个分支通过")
            } else {
                format!("{k} branches approve")
            }
        }
        Join::Decides { decides, waits_for } => {
            let w: Vec<&str> = waits_for.iter().map(|b| b.value.as_str()).collect();
            if lang == Lang::Zh {
                format!("{} 决定，{} 须知悉", decides.value, w.join("、"))
            } else {
                format!("{} decides, {} must acknowledge", decides.value, w.join(", "))
            }
        }
    }
}

fn label_of(step: &Step, lang: Lang) -> String {
    step.label.as_ref().map_or_else(|| step.name.clone(), |l: &Label| l.get(lang).to_string())
}

fn build(def: &Definition, lang: Lang) -> (Vec<Node>, Vec<Edge>) {
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    let edge = |edges: &mut Vec<Edge>, from: &str, to: &str, label: String| {
        edges.push(Edge { from: from.into(), to: to.into(), label, back: false })
    };
    // Which parallel each step's open end flows into: a branch step whose path ends there.
    let join_of: BTreeMap<String, String> = branch_members(def)
        .into_iter()
        .filter(|(n, _)| {
            def.step(n).is_some_and(|step| match &step.next {
                Next::None => !matches!(step.kind, StepKind::Switch { .. }),
                Next::On { approve: None, .. } => true,
                _ => false,
            })
        })
        .collect();
    for s in &def.steps {
        let title = label_of(s, lang);
        let mut lines = vec![(title.clone(), "title")];
        let shape = match &s.kind {
            StepKind::Approve(spec) | StepKind::Acknowledge(spec) => {
                for w in &spec.who {
                    lines.push((selector_words(w, lang), "who"));
                }
                let mut meta = if matches!(s.kind, StepKind::Acknowledge(_)) {
                    t(lang, "备案/知悉", "acknowledge").to_string()
                } else {
                    mode_words(&spec.mode, lang)
                };
                if let Some(d) = &s.due {
                    let _ = write!(meta, " · {}{}", t(lang, "时限 ", "due in "), duration_words(d.value, lang));
                }
                lines.push((meta, "meta"));
                for r in &s.escalate {
                    let what = match r.action {
                        Some(AutoAction::Approve) => t(lang, "自动通过", "auto-approve").to_string(),
                        Some(AutoAction::Reject) => t(lang, "自动驳回", "auto-reject").to_string(),
                        Some(AutoAction::Skip) => t(lang, "自动跳过", "auto-skip").to_string(),
                        None => r.to.iter().map(|w| selector_words(w, lang)).collect::<Vec<_>>().join(", "),
                    };
                    lines.push((format!("⇧ {} → {what}", duration_words(r.after.value, lang)), "rung"));
                }
                if matches!(s.kind, StepKind::Acknowledge(_)) { Shape::Ack } else { Shape::Approve }
            }
            StepKind::Notify { who } => {
                if !title.starts_with("抄送") && !title.to_lowercase().starts_with("copy") {
                    lines[0].0 = format!("{} {title}", t(lang, "抄送", "copy:"));
                }
                for w in who {
                    lines.push((selector_words(w, lang), "who"));
                }
                Shape::Notify
            }
            StepKind::Parallel { branches, join } => {
                lines = vec![(format!("{} {title}", t(lang, "并行", "parallel:")), "title")];
                for (b, start) in branches {
                    edge(&mut edges, &s.name, &start.value, b.clone());
                }
                let jid = format!("{}#join", s.name);
                let jl = join_words(&join.value, lang);
                let w = text_width(&jl) + 40.0;
                nodes.push(Node {
                    id: jid.clone(),
                    lines: vec![(jl, "meta")],
                    shape: Shape::Join,
                    w,
                    h: 30.0,
                    x: 0.0,
                    y: 0.0,
                    tip: String::new(),
                });
                Shape::Fork
            }
            StepKind::Switch { cases, default } => {
                for (e, to) in cases {
                    let short: String = e.source.chars().take(28).collect();
                    let short = if short.len() < e.source.len() { format!("{short}…") } else { short };
                    edges.push(Edge { from: s.name.clone(), to: to.value.clone(), label: short, back: false });
                }
                if let Some(d) = default {
                    edge(&mut edges, &s.name, &d.value, t(lang, "否则", "else").into());
                }
                Shape::Switch
            }
            StepKind::End(o) => {
                lines = vec![(o.label().get(lang).to_string(), "title")];
                if s.label.as_ref().is_some_and(|l| l.get(lang) != o.label().get(lang)) {
                    lines[0].0 = format!("{} · {title}", o.label().get(lang));
                }
                Shape::End(*o)
            }
        };
        // Where the step goes next (a parallel's `next` leaves from its join bar).
        let from =
            if matches!(s.kind, StepKind::Parallel { .. }) { format!("{}#join", s.name) } else { s.name.clone() };
        match &s.next {
            Next::Always(x) => edge(&mut edges, &from, &x.value, String::new()),
            Next::On { approve, reject, ret } => {
                let (ok, no) = if matches!(s.kind, StepKind::Parallel { .. }) {
                    (t(lang, "通过", "approved"), t(lang, "未通过", "rejected"))
                } else {
                    (t(lang, "同意", "approve"), t(lang, "驳回", "reject"))
                };
                if let Some(a) = approve {
                    edge(&mut edges, &from, &a.value, ok.into());
                }
                if let Some(r) = reject {
                    edge(&mut edges, &from, &r.value, no.into());
                }
                if let Some(r) = ret
                    && let ReturnTarget::Step(target) = &r.value
                {
                    edges.push(Edge {
                        from: from.clone(),
                        to: target.clone(),
                        label: t(lang, "退回", "return").into(),
                        back: true,
                    });
                }
            }
            Next::None => {}
        }
        if let Some(p) = join_of.get(&s.name) {
            edge(&mut edges, &s.name, &format!("{p}#join"), String::new());
        }
        let returns_to_submitter =
            matches!(&s.next, Next::On { ret: Some(r), .. } if r.value == ReturnTarget::Submitter);
        if returns_to_submitter {
            lines.push((t(lang, "↩ 可退回提交人", "↩ may return to the submitter").into(), "meta"));
        }
        let w = lines.iter().map(|(l, _)| text_width(l)).fold(0.0, f64::max) + 28.0;
        let (w, h) = match shape {
            Shape::Switch => ((w * 1.3).max(120.0), 64.0),
            Shape::End(_) => (w.max(90.0), 34.0),
            Shape::Fork => (w.max(160.0), 30.0),
            _ => (w.max(150.0), lines.len() as f64 * LINE + 14.0),
        };
        let tip = match &s.kind {
            StepKind::Switch { cases, .. } => {
                cases.iter().map(|(e, to)| format!("{} → {}", e.source, to.value)).collect::<Vec<_>>().join("\n")
            }
            _ => s.name.clone(),
        };
        nodes.push(Node { id: s.name.clone(), lines, shape, w, h, x: 0.0, y: 0.0, tip });
    }
    (nodes, edges)
}

/// Step → the parallel step whose branch it belongs to.
fn branch_members(def: &Definition) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for s in &def.steps {
        let StepKind::Parallel { branches, .. } = &s.kind else { continue };
        let mut stack: Vec<String> = branches.iter().map(|(_, b)| b.value.clone()).collect();
        while let Some(n) = stack.pop() {
            let Some(step) = def.step(&n) else { continue };
            if matches!(step.kind, StepKind::End(_)) || out.contains_key(&n) {
                continue;
            }
            out.insert(n.clone(), s.name.clone());
            match &step.next {
                Next::Always(x) => stack.push(x.value.clone()),
                Next::On { approve, reject, .. } => {
                    stack.extend(approve.iter().chain(reject.iter()).map(|x| x.value.clone()))
                }
                Next::None => {}
            }
            if let StepKind::Switch { cases, default } = &step.kind {
                stack.extend(cases.iter().map(|c| c.1.value.clone()).chain(default.iter().map(|d| d.value.clone())));
            }
        }
    }
    out
}

/// Layers by longest path from the start over forward edges; marks the edges that go back.
fn layer(def: &Definition, nodes: &[Node], edges: &mut [Edge]) -> BTreeMap<String, usize> {
    let ids: Vec<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
    let out: BTreeMap<&str, Vec<usize>> = ids
        .iter()
        .map(|id| (*id, edges.iter().enumerate().filter(|(_, e)| e.from == *id && !e.back).map(|(i, _)| i).collect()))
        .collect();
    // Depth-first from the start: an edge to a node on the current path is a back edge.
    let mut state: BTreeMap<String, u8> = BTreeMap::new();
    let mut back = BTreeSet::new();
    fn dfs(
        n: &str,
        out: &BTreeMap<&str, Vec<usize>>,
        edges: &[Edge],
        state: &mut BTreeMap<String, u8>,
        back: &mut BTreeSet<usize>,
    ) {
        state.insert(n.to_string(), 1);
        for &i in out.get(n).into_iter().flatten() {
            let to = edges[i].to.as_str();
            match state.get(to) {
                Some(1) => {
                    back.insert(i);
                }
                Some(_) => {}
                None => dfs(to, out, edges, state, back),
            }
        }
        state.insert(n.to_string(), 2);
    }
    dfs(&def.start.value, &out, edges, &mut state, &mut back);
    for id in &ids {
        if !state.contains_key(*id) {
            dfs(id, &out, edges, &mut state, &mut back);
        }
    }
    for i in back {
        edges[i].back = true;
    }
    let mut level: BTreeMap<String, usize> = ids.iter().map(|id| (id.to_string(), 0)).collect();
    for _ in 0..ids.len() {
        let mut changed = false;
        for e in edges.iter().filter(|e| !e.back) {
            let (Some(&a), Some(&b)) = (level.get(&e.from), level.get(&e.to)) else { continue };
            if b < a + 1 {
                level.insert(e.to.clone(), a + 1);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    level
}

/// Draws `def` as SVG in `lang`. Same input, same bytes.
pub fn render_svg(def: &Definition, lang: Lang) -> String {
    let (mut nodes, mut edges) = build(def, lang);
    edges.retain(|e| nodes.iter().any(|n| n.id == e.to));
    // Inside a branch an `end` ends the branch, not the request: draw it into the join bar.
    let members = branch_members(def);
    for e in &mut edges {
        if let (Some(p), Some(StepKind::End(o))) = (members.get(&e.from), def.step(&e.to).map(|s| &s.kind)) {
            e.to = format!("{p}#join");
            e.label = format!("{} → {}", e.label, o.label().get(lang)).trim_start_matches(" → ").to_string();
        }
    }
    edges.dedup_by(|a, b| a.from == b.from && a.to == b.to && a.label == b.label);
    let levels = layer(def, &nodes, &mut edges);
    let depth = levels.values().copied().max().unwrap_or(0);
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); depth + 1];
    for (i, n) in nodes.iter().enumerate() {
        rows[levels[&n.id]].push(i);
    }
    // Order each row by the mean position of its predecessors (one barycenter pass).
    let mut pos: BTreeMap<String, f64> = BTreeMap::new();
    for row in &mut rows {
        let key = |i: &usize| {
            let preds: Vec<f64> = edges
                .iter()
                .filter(|e| e.to == nodes[*i].id && !e.back)
                .filter_map(|e| pos.get(&e.from).copied())
                .collect();
            if preds.is_empty() { f64::MAX } else { preds.iter().sum::<f64>() / preds.len() as f64 }
        };
        row.sort_by(|a, b| key(a).total_cmp(&key(b)).then(a.cmp(b)));
        for (k, i) in row.iter().enumerate() {
            pos.insert(nodes[*i].id.clone(), k as f64);
        }
    }
    let widths: Vec<f64> = rows
        .iter()
        .map(|r| r.iter().map(|i| nodes[*i].w).sum::<f64>() + GAP_X * (r.len().saturating_sub(1)) as f64)
        .collect();
    let total_w = widths.iter().copied().fold(0.0, f64::max) + 2.0 * MARGIN + 160.0;
    let mut y = MARGIN + 30.0;
    for (r, row) in rows.iter().enumerate() {
        let mut x = (total_w - 160.0 - widths[r]) / 2.0;
        let h = row.iter().map(|i| nodes[*i].h).fold(0.0, f64::max);
        for i in row {
            nodes[*i].x = x;
            nodes[*i].y = y + (h - nodes[*i].h) / 2.0;
            x += nodes[*i].w + GAP_X;
        }
        y += h + GAP_Y;
    }
    let total_h = y - GAP_Y + MARGIN;
    let at = |id: &str| nodes.iter().find(|n| n.id == id);
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{total_w:.0}\" height=\"{total_h:.0}\" viewBox=\"0 0 {total_w:.0} {total_h:.0}\" font-family=\"'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif\" font-size=\"{FONT}\">"
    );
    svg.push_str("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>\n");
    let _ = writeln!(svg, "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>");
    let _ = writeln!(
        svg,
        "<text x=\"{MARGIN}\" y=\"{}\" font-size=\"16\" font-weight=\"bold\">{} · {} v{}</text>",
        MARGIN + 6.0,
        esc(def.name.get(lang)),
        esc(&def.key),
        def.version
    );
    for e in &edges {
        let (Some(a), Some(b)) = (at(&e.from), at(&e.to)) else { continue };
        let (x1, y1) = (a.x + a.w / 2.0, a.y + a.h);
        let (x2, y2) = (b.x + b.w / 2.0, b.y);
        let (path, lx, ly) = if e.back {
            let right = a.x.max(b.x) + a.w.max(b.w) + 50.0;
            let (sx, sy, tx, ty) = (a.x + a.w, a.y + a.h / 2.0, b.x + b.w, b.y + b.h / 2.0);
            (
                format!("M{sx:.1},{sy:.1} C{right:.1},{sy:.1} {right:.1},{ty:.1} {tx:.1},{ty:.1}"),
                right - 20.0,
                (sy + ty) / 2.0,
            )
        } else {
            let my = (y1 + y2) / 2.0;
            (format!("M{x1:.1},{y1:.1} C{x1:.1},{my:.1} {x2:.1},{my:.1} {x2:.1},{y2:.1}"), (x1 + x2) / 2.0 + 4.0, my)
        };
        let dash = if e.back { " stroke-dasharray=\"6 4\"" } else { "" };
        let _ = writeln!(
            svg,
            "<path d=\"{path}\" fill=\"none\" stroke=\"#555\" stroke-width=\"1.3\"{dash} marker-end=\"url(#arrow)\"/>"
        );
        if !e.label.is_empty() {
            let color = if e.label.contains("驳回") || e.label.contains("reject") { "#b3261e" } else { "#333" };
            let _ = writeln!(
                svg,
                "<text x=\"{lx:.1}\" y=\"{ly:.1}\" fill=\"{color}\" font-size=\"11\">{}</text>",
                esc(&e.label)
            );
        }
    }
    for n in &nodes {
        let _ = writeln!(svg, "<g class=\"step\" data-step=\"{}\"><title>{}</title>", esc(&n.id), esc(&n.tip));
        let (x, y, w, h) = (n.x, n.y, n.w, n.h);
        match n.shape {
            Shape::Approve | Shape::Ack | Shape::Notify => {
                let (fill, stroke) = match n.shape {
                    Shape::Approve => ("#e8f0fe", "#1a56db"),
                    Shape::Ack => ("#e0f5f1", "#0f766e"),
                    _ => ("#f3f4f6", "#6b7280"),
                };
                let dash = if n.shape == Shape::Notify { " stroke-dasharray=\"5 3\"" } else { "" };
                let _ = writeln!(
                    svg,
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" rx=\"8\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.5\"{dash}/>"
                );
            }
            Shape::Fork | Shape::Join => {
                let _ = writeln!(
                    svg,
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" rx=\"4\" fill=\"#1f2937\"/>"
                );
            }
            Shape::Switch => {
                let (cx, cy) = (x + w / 2.0, y + h / 2.0);
                let _ = writeln!(
                    svg,
                    "<polygon points=\"{cx:.1},{y:.1} {:.1},{cy:.1} {cx:.1},{:.1} {x:.1},{cy:.1}\" fill=\"#fff7e6\" stroke=\"#b45309\" stroke-width=\"1.5\"/>",
                    x + w,
                    y + h
                );
            }
            Shape::End(o) => {
                let fill = match o {
                    Outcome::Approved => "#16a34a",
                    Outcome::Rejected => "#dc2626",
                    _ => "#6b7280",
                };
                let _ = writeln!(
                    svg,
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" rx=\"{:.1}\" fill=\"{fill}\"/>",
                    h / 2.0
                );
            }
        }
        let dark = matches!(n.shape, Shape::Fork | Shape::Join | Shape::End(_));
        let single = n.lines.len() == 1;
        for (k, (line, kind)) in n.lines.iter().enumerate() {
            let ty = if single { y + h / 2.0 + FONT / 2.0 - 2.0 } else { y + 7.0 + LINE * (k as f64 + 1.0) - 4.0 };
            let (color, weight) = match (*kind, dark) {
                (_, true) => ("#fff", "bold"),
                ("title", _) => ("#111", "bold"),
                ("rung", _) => ("#c2410c", "normal"),
                ("meta", _) => ("#555", "normal"),
                _ => ("#1f2937", "normal"),
            };
            let _ = writeln!(
                svg,
                "<text x=\"{:.1}\" y=\"{ty:.1}\" text-anchor=\"middle\" fill=\"{color}\" font-weight=\"{weight}\">{}</text>",
                x + w / 2.0,
                esc(line)
            );
        }
        svg.push_str("</g>\n");
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m1() -> Definition {
        crate::builtin::builtin("major_matter_report").expect("built-in M1")
    }

    fn boxes(svg: &str) -> Vec<(f64, f64, f64, f64)> {
        let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
        doc.descendants()
            .filter(|n| n.has_tag_name("g"))
            .filter_map(|g| g.children().find(|c| c.has_tag_name("rect") || c.has_tag_name("polygon")))
            .filter_map(|r| {
                if r.has_tag_name("rect") {
                    let f = |a| r.attribute(a).and_then(|v: &str| v.parse::<f64>().ok());
                    Some((f("x")?, f("y")?, f("width")?, f("height")?))
                } else {
                    let pts: Vec<f64> =
                        r.attribute("points")?.split([' ', ',']).filter_map(|v| v.parse().ok()).collect();
                    let xs: Vec<f64> = pts.iter().step_by(2).copied().collect();
                    let ys: Vec<f64> = pts.iter().skip(1).step_by(2).copied().collect();
                    let (x0, x1) =
                        (xs.iter().copied().fold(f64::MAX, f64::min), xs.iter().copied().fold(0.0, f64::max));
                    let (y0, y1) =
                        (ys.iter().copied().fold(f64::MAX, f64::min), ys.iter().copied().fold(0.0, f64::max));
                    Some((x0, y0, x1 - x0, y1 - y0))
                }
            })
            .collect()
    }

    #[test]
    fn m1_draws_every_step_the_join_and_the_ladder() {
        let svg = render_svg(&m1(), Lang::Zh);
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let steps: Vec<&str> = doc.descendants().filter_map(|n| n.attribute("data-step")).collect();
        for s in &m1().steps {
            assert!(steps.contains(&s.name.as_str()), "step {} is drawn", s.name);
        }
        assert!(steps.contains(&"report_both#join"));
        for text in [
            "学院团组织审核",
            "college 决定，school_su 须知悉",
            "1个工作日 → 校级学生会组织 · 秘书长",
            "3个工作日 → 校团委 · 书记",
            "同意",
            "驳回",
            "否则",
            "marker-end",
        ] {
            assert!(svg.contains(text), "the drawing shows {text}");
        }
        let en = render_svg(&m1(), Lang::En);
        assert!(en.contains("college decides, school_su must acknowledge"));
        assert!(en.contains("3 working days"));
    }

    #[test]
    fn no_two_boxes_overlap_in_any_builtin() {
        for def in crate::builtin::builtin_definitions() {
            let b = boxes(&render_svg(&def, Lang::Zh));
            assert!(b.len() >= def.steps.len(), "{}", def.key);
            for (i, p) in b.iter().enumerate() {
                for q in &b[i + 1..] {
                    let apart = p.0 + p.2 <= q.0 || q.0 + q.2 <= p.0 || p.1 + p.3 <= q.1 || q.1 + q.3 <= p.1;
                    assert!(apart, "{}: {p:?} overlaps {q:?}", def.key);
                }
            }
        }
    }

    #[test]
    fn text_is_escaped_and_output_is_deterministic() {
        let mut def = m1();
        def.name = Label::new("<请示> & \"报告\"", "x");
        let svg = render_svg(&def, Lang::Zh);
        assert!(svg.contains("&lt;请示&gt; &amp; &quot;报告&quot;"));
        roxmltree::Document::parse(&svg).unwrap();
        assert_eq!(svg, render_svg(&def, Lang::Zh));
    }
}
