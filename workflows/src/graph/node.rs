//! The nodes of the diagram: their shapes, the texts drawn inside them (label, who, mode, due,
//! escalation rungs) and their measured sizes.

use super::text;
use crate::catalog::Lang;
use crate::model::{Definition, Mode, Next, Outcome, ReturnTarget, Step, StepKind};

/// Font size of a node's first line (its label).
pub(super) const TITLE_SIZE: f64 = 14.0;
/// Line height of the label lines.
pub(super) const TITLE_LINE: f64 = 19.0;
/// Font size of the detail lines, edge labels and escalation rungs.
pub(super) const DETAIL_SIZE: f64 = 12.0;
/// Line height of the detail lines.
pub(super) const DETAIL_LINE: f64 = 16.0;
/// Font size of bars (fork, join) and the return loop's label.
pub(super) const SMALL_SIZE: f64 = 11.5;
/// Horizontal padding inside a box.
pub(super) const PAD_X: f64 = 14.0;
/// Vertical padding inside a box.
pub(super) const PAD_Y: f64 = 9.0;
/// Height of a fork or join bar.
pub(super) const BAR_H: f64 = 24.0;
/// Space between a task box and its escalation ladder.
pub(super) const LADDER_GAP: f64 = 16.0;
/// Width of the loop that returns to the submitter, left of a box.
pub(super) const LOOP_W: f64 = 26.0;
/// Widest text line inside a node.
const MAX_TEXT: f64 = 250.0;

/// What a node of the drawing is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// Where a request enters: the submission.
    Start,
    /// 审批.
    Approve,
    /// 知悉/备案.
    Acknowledge,
    /// 抄送.
    Notify,
    /// The bar where a parallel step's branches fan out.
    Fork,
    /// The bar where the branches meet, labelled with the join rule.
    Join,
    /// A diamond routing on conditions.
    Switch,
    /// The end of the request (or of a branch), by outcome.
    End(Outcome),
}

/// A node with its text and measured size.
#[derive(Debug, Clone)]
pub(super) struct Node {
    /// Its shape.
    pub shape: Shape,
    /// The step it draws (a join bar names its parallel step).
    pub step: Option<String>,
    /// The label, wrapped.
    pub title: Vec<String>,
    /// Detail lines (who, mode, due), wrapped.
    pub lines: Vec<String>,
    /// Hover text with the full details.
    pub tooltip: String,
    /// Escalation ladder header and rungs (each rung wrapped); empty when there is none.
    pub ladder: Vec<Vec<String>>,
    /// The label of the loop back to the submitter, when the step may return there.
    pub return_loop: Option<String>,
    /// Box width.
    pub w: f64,
    /// Box height.
    pub h: f64,
    /// Space taken left of the box (the return loop).
    pub left: f64,
    /// Space taken right of the box (the ladder).
    pub right: f64,
    /// Ladder box width and height.
    pub ladder_size: (f64, f64),
}

impl Node {
    /// The height of everything the node draws.
    pub fn outer_h(&self) -> f64 {
        self.h.max(self.ladder_size.1)
    }
}

impl Node {
    /// A node with its texts; sizes are filled in by [`measure`].
    pub(super) fn new(shape: Shape, step: Option<String>, title: Vec<String>, lines: Vec<String>) -> Self {
        Node {
            shape,
            step,
            title,
            lines,
            tooltip: String::new(),
            ladder: Vec::new(),
            return_loop: None,
            w: 0.0,
            h: 0.0,
            left: 0.0,
            right: 0.0,
            ladder_size: (0.0, 0.0),
        }
    }
}

/// The node of one step, with its texts (not yet wrapped).
pub(super) fn step_node(def: &Definition, step: &Step, lang: Lang) -> Node {
    let label = step.label.as_ref().map(|l| l.get(lang).to_string()).filter(|l| !l.is_empty());
    let label = label.unwrap_or_else(|| step.name.clone());
    let remind: Vec<_> = step.remind.iter().map(|r| r.value).collect();
    let due = step.due.as_ref().map(|d| d.value);
    let mut tip = vec![step.name.clone()];
    let mut node = match &step.kind {
        StepKind::Approve(task) | StepKind::Acknowledge(task) => {
            let ack = matches!(step.kind, StepKind::Acknowledge(_));
            let title = if ack { format!("{} · {label}", text::tr(lang, "备案", "ack")) } else { label };
            let mode = match (&task.mode, ack) {
                (Mode::Any, true) => None,
                (Mode::All, true) => Some(text::tr(lang, "全员知悉", "everyone acknowledges")),
                (m, _) => Some(text::mode(m, lang)),
            };
            let mut lines = vec![text::selectors(def, &task.who, lang)];
            lines.extend(text::mode_due_line(mode, due, &remind, lang));
            tip.extend(task.who.iter().map(|s| text::selector_detail(def, s, lang)));
            Node::new(if ack { Shape::Acknowledge } else { Shape::Approve }, None, vec![title], lines)
        }
        StepKind::Score(spec) => {
            let title = format!("{} · {label}", text::tr(lang, "评分", "score"));
            let criteria: Vec<String> =
                spec.criteria.iter().map(|c| format!("{} {}%", c.label.get(lang), c.weight.value)).collect();
            let pass = match lang {
                Lang::Zh => format!("加权均分≥{}为通过", spec.pass.value),
                Lang::En => format!("passes at a weighted mean ≥ {}", spec.pass.value),
            };
            let mut lines = vec![text::selectors(def, &spec.task.who, lang), criteria.join("、"), pass];
            lines.extend(text::mode_due_line(None, due, &remind, lang));
            tip.extend(spec.task.who.iter().map(|s| text::selector_detail(def, s, lang)));
            Node::new(Shape::Approve, None, vec![title], lines)
        }
        StepKind::Notify { who } => {
            let title = format!("{} · {label}", text::tr(lang, "抄送", "copy"));
            let mut lines = vec![text::selectors(def, who, lang)];
            lines.extend(text::mode_due_line(None, due, &remind, lang));
            tip.extend(who.iter().map(|s| text::selector_detail(def, s, lang)));
            Node::new(Shape::Notify, None, vec![title], lines)
        }
        StepKind::Parallel { .. } => {
            Node::new(Shape::Fork, None, vec![format!("{} · {label}", text::tr(lang, "并行", "parallel"))], vec![])
        }
        StepKind::Switch { .. } => Node::new(Shape::Switch, None, vec![label], vec![]),
        StepKind::End(o) => {
            let label = step.label.as_ref().map(|l| l.get(lang).to_string()).filter(|l| !l.is_empty());
            Node::new(Shape::End(*o), None, vec![label.unwrap_or_else(|| text::outcome(*o, lang))], vec![])
        }
    };
    if !step.escalate.is_empty() {
        node.ladder.push(vec![text::tr(lang, "超时升级", "escalation")]);
        for r in &step.escalate {
            let line = text::rung(def, r, lang);
            tip.push(line.clone());
            node.ladder.push(vec![line]);
        }
    }
    if let Next::On { ret: Some(r), .. } = &step.next
        && r.value == ReturnTarget::Submitter
    {
        node.return_loop = Some(text::tr(lang, "退回提交人", "return to submitter"));
    }
    node.step = Some(step.name.clone());
    node.tooltip = tip.join("\n");
    node
}

/// Wraps a node's texts and computes its size.
pub(super) fn measure(mut n: Node) -> Node {
    let title_bold = !matches!(n.shape, Shape::Fork | Shape::Join);
    let wrap_title = |t: &[String], max: f64, size: f64| -> Vec<String> {
        t.iter().flat_map(|l| text::wrap_parts(l, max, size, title_bold)).collect()
    };
    let widest =
        |lines: &[String], size: f64, bold: bool| lines.iter().map(|l| text::width(l, size, bold)).fold(0.0, f64::max);
    match n.shape {
        Shape::Approve | Shape::Acknowledge | Shape::Notify => {
            n.title = wrap_title(&n.title, MAX_TEXT, TITLE_SIZE);
            n.lines = n.lines.iter().flat_map(|l| text::wrap_parts(l, MAX_TEXT, DETAIL_SIZE, false)).collect();
            let tw = widest(&n.title, TITLE_SIZE, true).max(widest(&n.lines, DETAIL_SIZE, false));
            n.w = (tw + 2.0 * PAD_X).max(150.0).ceil();
            let gap = if n.lines.is_empty() { 0.0 } else { 4.0 };
            let wave = if n.shape == Shape::Notify { 6.0 } else { 0.0 };
            n.h = (2.0 * PAD_Y + TITLE_LINE * n.title.len() as f64 + gap + DETAIL_LINE * n.lines.len() as f64 + wave)
                .ceil();
        }
        Shape::Fork | Shape::Join => {
            n.title = wrap_title(&n.title, 2.0 * MAX_TEXT, SMALL_SIZE);
            n.w = (widest(&n.title, SMALL_SIZE, true) + 2.0 * PAD_X).max(160.0).ceil();
            n.h = BAR_H.max(BAR_H - 14.0 + 14.0 * n.title.len() as f64);
        }
        Shape::Switch => {
            n.title = wrap_title(&n.title, 150.0, TITLE_SIZE - 1.0);
            let tw = widest(&n.title, TITLE_SIZE - 1.0, true);
            let th = 17.0 * n.title.len() as f64;
            n.w = (tw * 1.7 + 40.0).max(130.0).ceil();
            n.h = (th * 1.8 + 30.0).max(60.0).ceil();
        }
        Shape::End(_) | Shape::Start => {
            n.title = wrap_title(&n.title, MAX_TEXT, TITLE_SIZE - 1.0);
            n.w = (widest(&n.title, TITLE_SIZE - 1.0, true) + 40.0).max(96.0).ceil();
            n.h = (16.0 + 17.0 * n.title.len() as f64).max(32.0);
        }
    }
    if !n.ladder.is_empty() {
        n.ladder = n.ladder.iter().map(|r| text::wrap_parts(&r[0], 300.0, DETAIL_SIZE, false)).collect();
        let lines: Vec<String> = n.ladder.iter().flatten().cloned().collect();
        let w = widest(&lines, DETAIL_SIZE, false) + 40.0;
        let h = 12.0 + DETAIL_LINE * lines.len() as f64 + 4.0 * (n.ladder.len() - 1) as f64;
        n.ladder_size = (w.ceil(), h.ceil());
        n.right = LADDER_GAP + n.ladder_size.0;
    }
    if let Some(l) = &n.return_loop {
        n.left = LOOP_W + 6.0 + text::width(l, SMALL_SIZE, false).ceil();
    }
    n
}
