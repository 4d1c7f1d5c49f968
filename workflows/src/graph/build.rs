//! From a [`Definition`] to the abstract diagram: one node per step (plus the start and a join bar
//! per parallel step), the edges between them with their labels, and the measured size of each node (see `node`).

use super::node::{Node, SMALL_SIZE, Shape, measure, step_node};
use super::text;
use crate::catalog::Lang;
use crate::model::{Definition, Next, Outcome, ReturnTarget, Step, StepKind};
use std::collections::BTreeSet;

/// How an edge is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EdgeStyle {
    /// A plain flow (acknowledge, copy, a branch completing).
    Plain,
    /// After approval.
    Approve,
    /// After rejection.
    Reject,
    /// A return to an earlier step: dashed, going back up.
    Return,
    /// A switch case.
    Case,
    /// From a fork bar into a branch, labelled with the branch name.
    Branch,
}

/// An edge between two nodes.
#[derive(Debug, Clone)]
pub(super) struct Edge {
    /// Source node.
    pub from: usize,
    /// Target node.
    pub to: usize,
    /// How it is drawn.
    pub style: EdgeStyle,
    /// The (possibly shortened) label.
    pub label: Option<String>,
    /// The full label, when it was shortened.
    pub tooltip: Option<String>,
}

/// The whole abstract drawing.
#[derive(Debug, Clone)]
pub(super) struct Diagram {
    /// Nodes: 0 is the start, then one per step in file order, then one join bar per parallel step.
    pub nodes: Vec<Node>,
    /// Edges in a stable order.
    pub edges: Vec<Edge>,
    /// Layering-only constraints (a fork sits above its join).
    pub constraints: Vec<(usize, usize)>,
    /// The heading: the definition's name.
    pub title: String,
    /// The second heading line: key and version.
    pub subtitle: String,
}

/// The steps of every branch of the parallel step `p` (end steps excluded), reached by following
/// `next` and switch targets (not returns) from the branch starts.
fn branch_members(def: &Definition, p: &Step) -> BTreeSet<usize> {
    let StepKind::Parallel { branches, .. } = &p.kind else {
        return BTreeSet::new();
    };
    let mut seen = BTreeSet::new();
    let mut stack: Vec<&str> = branches.iter().rev().map(|(_, s)| s.value.as_str()).collect();
    while let Some(name) = stack.pop() {
        let Some(i) = def.steps.iter().position(|s| s.name == name) else {
            continue;
        };
        let step = &def.steps[i];
        if step.name == p.name || matches!(step.kind, StepKind::End(_)) || !seen.insert(i) {
            continue;
        }
        stack.extend(successors(step).into_iter().rev());
    }
    seen
}

/// The steps a step may flow to (returns excluded).
fn successors(step: &Step) -> Vec<&str> {
    let mut out = Vec::new();
    match &step.kind {
        StepKind::Switch { cases, default } => {
            out.extend(cases.iter().map(|(_, t)| t.value.as_str()));
            out.extend(default.iter().map(|t| t.value.as_str()));
        }
        StepKind::Parallel { branches, .. } => out.extend(branches.iter().map(|(_, t)| t.value.as_str())),
        _ => {}
    }
    match &step.next {
        Next::None => {}
        Next::Always(t) => out.push(&t.value),
        Next::On { approve, reject, .. } => {
            out.extend(approve.iter().map(|t| t.value.as_str()));
            out.extend(reject.iter().map(|t| t.value.as_str()));
        }
    }
    // Named options and a visit bound lead on too.
    out.extend(step.decision.options.iter().map(|o| o.next.value.as_str()));
    out.extend(step.decision.visits.iter().map(|v| v.then.value.as_str()));
    out
}

/// Builds the diagram of `def` in `lang`.
pub(super) fn diagram(def: &Definition, lang: Lang) -> Diagram {
    let steps = &def.steps;
    let node_of = |name: &str| steps.iter().position(|s| s.name == name).map(|i| i + 1);
    // Parallel steps and the join bar node of each.
    let parallels: Vec<usize> =
        (0..steps.len()).filter(|&i| matches!(steps[i].kind, StepKind::Parallel { .. })).collect();
    let join_node = |p: usize| 1 + steps.len() + parallels.iter().position(|&q| q == p).unwrap_or(0);
    // The innermost parallel step whose branches hold each step.
    let members: Vec<BTreeSet<usize>> = parallels.iter().map(|&p| branch_members(def, &steps[p])).collect();
    let owner: Vec<Option<usize>> = (0..steps.len())
        .map(|s| {
            (0..parallels.len())
                .filter(|&k| members[k].contains(&s))
                .min_by_key(|&k| members[k].len())
                .map(|k| parallels[k])
        })
        .collect();
    // End steps that something outside every branch leads to: branch edges into them are drawn
    // into the join bar instead (inside a branch, an end ends the branch), keeping them connected.
    let mut reached_outside: BTreeSet<usize> = BTreeSet::new();
    if let Some(i) = node_of(&def.start.value) {
        reached_outside.insert(i - 1);
    }
    for (i, step) in steps.iter().enumerate() {
        let from_join = matches!(step.kind, StepKind::Parallel { .. });
        let outside = owner[i].is_none();
        for t in successors(step) {
            let Some(t) = node_of(t) else { continue };
            let is_branch_start = from_join
                && matches!(&step.kind, StepKind::Parallel { branches, .. } if branches.iter().any(|(_, b)| node_of(&b.value) == Some(t)));
            if outside && !is_branch_start {
                reached_outside.insert(t - 1);
            }
        }
    }

    let mut d = Diagram {
        nodes: Vec::new(),
        edges: Vec::new(),
        constraints: Vec::new(),
        title: def.name.get(lang).to_string(),
        subtitle: format!("{} · v{}", def.key, def.version),
    };
    d.nodes.push(measure(Node::new(Shape::Start, None, vec![text::tr(lang, "提交申请", "submitted")], vec![])));
    for step in steps {
        d.nodes.push(measure(step_node(def, step, lang)));
    }
    for &p in &parallels {
        let StepKind::Parallel { branches, join } = &steps[p].kind else {
            continue;
        };
        let named: Vec<(String, String)> = branches.iter().map(|(b, s)| (b.clone(), s.value.clone())).collect();
        let rule = text::join(def, &join.value, &named, lang);
        let title = format!("{} · {rule}", text::tr(lang, "汇合", "join"));
        let mut node = Node::new(Shape::Join, Some(steps[p].name.clone()), vec![title.clone()], vec![]);
        node.tooltip = format!("{}: {title}", steps[p].name);
        d.nodes.push(measure(node));
        d.constraints.push((p + 1, join_node(p)));
    }

    // Resolves a target seen from inside `ctx` (a parallel step whose branches the source is in).
    let target = |ctx: Option<usize>, name: &str| -> Option<(usize, Option<Outcome>)> {
        let t = node_of(name)?;
        match (ctx, &steps[t - 1].kind) {
            (Some(p), StepKind::End(o)) if reached_outside.contains(&(t - 1)) => Some((join_node(p), Some(*o))),
            _ => Some((t, None)),
        }
    };
    let word = |style: EdgeStyle, ack: bool| -> Option<String> {
        match style {
            EdgeStyle::Approve if ack => Some(text::tr(lang, "知悉", "acknowledged")),
            EdgeStyle::Approve => Some(text::tr(lang, "通过", "approve")),
            EdgeStyle::Reject => Some(text::tr(lang, "驳回", "reject")),
            EdgeStyle::Return => Some(text::tr(lang, "退回", "return")),
            _ => None,
        }
    };
    let push = |d: &mut Diagram,
                from: usize,
                ctx: Option<usize>,
                name: &str,
                style: EdgeStyle,
                label: Option<String>,
                tooltip: Option<String>| {
        let Some((to, ended)) = target(ctx, name) else {
            return;
        };
        // An edge into a join bar that stands for an end step says how the branch ended when that
        // is not what its own label already says.
        let label = match ended {
            Some(Outcome::Approved)
                if matches!(style, EdgeStyle::Plain | EdgeStyle::Approve | EdgeStyle::Branch | EdgeStyle::Case) =>
            {
                label
            }
            Some(Outcome::Rejected) if style == EdgeStyle::Reject => label,
            Some(o) => Some(match label {
                Some(l) => format!("{l} → {}", text::outcome(o, lang)),
                None => text::outcome(o, lang),
            }),
            None => label,
        };
        d.edges.push(Edge { from, to, style, label, tooltip });
    };

    if let Some(first) = node_of(&def.start.value) {
        d.edges.push(Edge { from: 0, to: first, style: EdgeStyle::Plain, label: None, tooltip: None });
    }
    for (i, step) in steps.iter().enumerate() {
        let n = i + 1;
        let ctx = owner[i];
        let ack = matches!(step.kind, StepKind::Acknowledge(_));
        // Where the step's `next` leaves from: a parallel step's join bar, else the node itself.
        let exit = if matches!(step.kind, StepKind::Parallel { .. }) { join_node(i) } else { n };
        match &step.kind {
            StepKind::Parallel { branches, .. } => {
                for (b, first) in branches {
                    push(&mut d, n, Some(i), &first.value, EdgeStyle::Branch, Some(b.clone()), None);
                }
            }
            StepKind::Switch { cases, default } => {
                for (expr, t) in cases {
                    let short = text::truncate(&expr.source, 170.0, SMALL_SIZE);
                    let tip = (short != expr.source).then(|| expr.source.clone());
                    push(&mut d, n, ctx, &t.value, EdgeStyle::Case, Some(short), tip);
                }
                if let Some(t) = default {
                    push(&mut d, n, ctx, &t.value, EdgeStyle::Case, Some(text::tr(lang, "否则", "otherwise")), None);
                }
            }
            StepKind::End(_) => continue,
            _ => {}
        }
        match &step.next {
            Next::None => {
                // Inside a branch, a step without `next` completes the branch: it flows into the join.
                let routes_itself = matches!(step.kind, StepKind::Switch { .. });
                if let (Some(p), false) = (ctx, routes_itself) {
                    d.edges.push(Edge {
                        from: exit,
                        to: join_node(p),
                        style: EdgeStyle::Plain,
                        label: None,
                        tooltip: None,
                    });
                }
            }
            Next::Always(t) => push(&mut d, exit, ctx, &t.value, EdgeStyle::Plain, None, None),
            Next::On { approve, reject, ret } => {
                if let Some(t) = approve {
                    push(&mut d, exit, ctx, &t.value, EdgeStyle::Approve, word(EdgeStyle::Approve, ack), None);
                }
                if let Some(t) = reject {
                    push(&mut d, exit, ctx, &t.value, EdgeStyle::Reject, word(EdgeStyle::Reject, ack), None);
                }
                if let Some(ReturnTarget::Step(t)) = ret.as_ref().map(|r| &r.value)
                    && let Some(to) = node_of(t)
                {
                    d.edges.push(Edge {
                        from: n,
                        to,
                        style: EdgeStyle::Return,
                        label: word(EdgeStyle::Return, false),
                        tooltip: None,
                    });
                }
            }
        }
        // Named options (并案处理, 转为建议…) and the way out of a bounded loop.
        for o in &step.decision.options {
            let label = o.label.as_ref().map_or_else(|| o.name.clone(), |l| l.get(lang).to_string());
            push(&mut d, exit, ctx, &o.next.value, EdgeStyle::Plain, Some(label), None);
        }
        if let Some(v) = &step.decision.visits {
            let label = text::tr(lang, &format!("满{}次", v.max), &format!("after {} runs", v.max));
            push(&mut d, n, ctx, &v.then.value, EdgeStyle::Plain, Some(label), None);
        }
    }
    d
}
