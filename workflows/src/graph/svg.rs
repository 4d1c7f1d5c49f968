//! Writes the laid-out diagram as a standalone SVG document: presentation attributes only (no
//! `<style>`, so embedding it in a page leaks no CSS), every text escaped.

use super::build::{Diagram, EdgeStyle};
use super::draw::draw_node;
use super::layout::{Layout, Rect};
use super::node::{Node, SMALL_SIZE, Shape};
use super::route::num;
use super::text::{self, FONT_FAMILY, escape};
use crate::catalog::Lang;
use crate::model::Outcome;
use std::fmt::Write;

/// Margin around the drawing.
pub(super) const MARGIN: f64 = 24.0;
/// Height of the heading above the graph.
pub(super) const HEADING_H: f64 = 56.0;

/// Main text colour.
pub(super) const INK: &str = "#202124";
/// Secondary text and plain edges.
const MUTED: &str = "#5f6368";
/// Escalation ladders.
pub(super) const ESCALATION: &str = "#e8710a";
/// Escalation ladder text.
pub(super) const ESCALATION_INK: &str = "#b45309";

/// Line colour of an edge style.
pub(super) fn edge_color(s: EdgeStyle) -> &'static str {
    match s {
        EdgeStyle::Plain => MUTED,
        EdgeStyle::Approve => "#188038",
        EdgeStyle::Reject => "#d93025",
        EdgeStyle::Return => "#a142f4",
        EdgeStyle::Case => "#8e24aa",
        EdgeStyle::Branch => "#455a64",
    }
}

/// The name of an edge style, used in class names and marker ids.
fn edge_name(s: EdgeStyle) -> &'static str {
    match s {
        EdgeStyle::Plain => "plain",
        EdgeStyle::Approve => "approve",
        EdgeStyle::Reject => "reject",
        EdgeStyle::Return => "return",
        EdgeStyle::Case => "case",
        EdgeStyle::Branch => "branch",
    }
}

/// Every edge style, one arrowhead marker each.
const STYLES: [EdgeStyle; 6] =
    [EdgeStyle::Plain, EdgeStyle::Approve, EdgeStyle::Reject, EdgeStyle::Return, EdgeStyle::Case, EdgeStyle::Branch];

/// Fill, stroke and label colours of a node shape.
pub(super) fn node_colors(s: Shape) -> (&'static str, &'static str, &'static str) {
    match s {
        Shape::Start => ("#ffffff", MUTED, INK),
        Shape::Approve => ("#e8f0fe", "#1a73e8", "#174ea6"),
        Shape::Acknowledge => ("#e0f2f1", "#00897b", "#00695c"),
        Shape::Notify => ("#f1f3f4", "#80868b", "#3c4043"),
        Shape::Fork | Shape::Join => ("#455a64", "#263238", "#ffffff"),
        Shape::Switch => ("#f3e8fd", "#8e24aa", "#6a1b9a"),
        Shape::End(Outcome::Approved) => ("#188038", "#0d652d", "#ffffff"),
        Shape::End(Outcome::Rejected) => ("#d93025", "#a50e0e", "#ffffff"),
        Shape::End(_) => ("#80868b", "#5f6368", "#ffffff"),
    }
}

/// The class of a node shape.
pub(super) fn shape_name(s: Shape) -> &'static str {
    match s {
        Shape::Start => "start",
        Shape::Approve => "approve",
        Shape::Acknowledge => "acknowledge",
        Shape::Notify => "notify",
        Shape::Fork => "fork",
        Shape::Join => "join",
        Shape::Switch => "switch",
        Shape::End(_) => "end",
    }
}

/// How edges name a node: its step, `start`, or `<parallel step>.join` for a join bar.
fn node_id(n: &Node) -> String {
    match (n.shape, n.step.as_deref()) {
        (Shape::Join, Some(s)) => format!("{s}.join"),
        (_, Some(s)) => s.to_string(),
        (_, None) => "start".to_string(),
    }
}

/// A rectangle as `data-bbox` text.
pub(super) fn bbox(r: &Rect) -> String {
    format!("{} {} {} {}", num(r.x), num(r.y), num(r.w), num(r.h))
}

/// How a line of text looks.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ink<'a> {
    /// Font size.
    pub size: f64,
    /// Bold or regular.
    pub bold: bool,
    /// Colour.
    pub fill: &'a str,
    /// `start`, `middle` or `end`.
    pub anchor: &'a str,
}

/// One line of text anchored at `at.0` whose middle is at `at.1`.
pub(super) fn text_line(out: &mut String, at: (f64, f64), ink: Ink, s: &str) {
    let _ = writeln!(
        out,
        r#"<text x="{}" y="{}" font-size="{}"{} fill="{}" text-anchor="{}">{}</text>"#,
        num(at.0),
        num(at.1 + ink.size * 0.35),
        num(ink.size),
        if ink.bold { r#" font-weight="bold""# } else { "" },
        ink.fill,
        ink.anchor,
        escape(s)
    );
}

/// Writes the SVG document.
pub(super) fn write(d: &Diagram, l: &Layout, key: &str, lang: Lang) -> String {
    let prefix: String =
        format!("lg-{key}").chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    let heading_w = text::width(&d.title, 18.0, true).max(text::width(&d.subtitle, 12.0, false));
    let (legend, legend_w, legend_h) = legend(lang, MARGIN, l.bottom + 28.0, &prefix);
    let width = (l.right + MARGIN).max(MARGIN * 2.0 + heading_w).max(MARGIN * 2.0 + legend_w).ceil();
    let height = (l.bottom + 28.0 + legend_h + MARGIN).ceil();
    let mut out = String::new();
    let _ = writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{font}" role="img" aria-label="{label}">"#,
        w = num(width),
        h = num(height),
        font = escape(FONT_FAMILY),
        label = escape(&d.title),
    );
    let _ = writeln!(out, "<title>{}</title>", escape(&d.title));
    out.push_str("<defs>\n");
    for s in STYLES {
        let _ = writeln!(
            out,
            r#"<marker id="{prefix}-{name}" viewBox="0 0 10 10" refX="9.5" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="{color}"/></marker>"#,
            name = edge_name(s),
            color = edge_color(s),
        );
    }
    out.push_str("</defs>\n");
    let _ = writeln!(out, r##"<rect x="0" y="0" width="{}" height="{}" fill="#ffffff"/>"##, num(width), num(height));
    text_line(&mut out, (MARGIN, MARGIN + 10.0), Ink { size: 18.0, bold: true, fill: INK, anchor: "start" }, &d.title);
    text_line(
        &mut out,
        (MARGIN, MARGIN + 32.0),
        Ink { size: 12.0, bold: false, fill: MUTED, anchor: "start" },
        &d.subtitle,
    );

    // Edges under the nodes.
    out.push_str("<g class=\"edges\" fill=\"none\" stroke-width=\"1.5\">\n");
    for (e, (edge, route)) in d.edges.iter().zip(&l.routes).enumerate() {
        if route.d.is_empty() {
            continue;
        }
        let dash = if edge.style == EdgeStyle::Return { r#" stroke-dasharray="6 4""# } else { "" };
        let _ = writeln!(
            out,
            r#"<path class="edge {name}" data-edge="{e}" data-from="{from}" data-to="{to}" d="{path}" stroke="{color}"{dash} marker-end="url(#{prefix}-{name})"/>"#,
            name = edge_name(edge.style),
            from = escape(&node_id(&d.nodes[edge.from])),
            to = escape(&node_id(&d.nodes[edge.to])),
            path = route.d,
            color = edge_color(edge.style),
        );
    }
    out.push_str("</g>\n");

    // Nodes.
    out.push_str("<g class=\"nodes\">\n");
    for (v, node) in d.nodes.iter().enumerate() {
        draw_node(&mut out, node, &l.boxes[v], l.ladders[v].as_ref(), &prefix);
    }
    out.push_str("</g>\n");

    // Edge labels above everything.
    out.push_str("<g class=\"edge-labels\">\n");
    for (e, (edge, route)) in d.edges.iter().zip(&l.routes).enumerate() {
        let (Some(label), Some(r)) = (&edge.label, &route.label) else {
            continue;
        };
        let color = edge_color(edge.style);
        let _ = write!(out, r#"<g class="edge-label" data-edge="{e}" data-bbox="{}">"#, bbox(r));
        if let Some(t) = &edge.tooltip {
            let _ = write!(out, "<title>{}</title>", escape(t));
        }
        let _ = writeln!(
            out,
            r##"<rect x="{}" y="{}" width="{}" height="{}" rx="4" fill="#ffffff" fill-opacity="0.92" stroke="{color}" stroke-opacity="0.35"/>"##,
            num(r.x),
            num(r.y),
            num(r.w),
            num(r.h)
        );
        text_line(
            &mut out,
            (r.x + r.w / 2.0, r.y + r.h / 2.0),
            Ink { size: SMALL_SIZE, bold: false, fill: color, anchor: "middle" },
            label,
        );
        out.push_str("</g>\n");
    }
    out.push_str("</g>\n");
    out.push_str(&legend);
    out.push_str("</svg>\n");
    out
}

/// The key of colours and strokes under the graph: the group, its width and height.
fn legend(lang: Lang, x0: f64, y0: f64, prefix: &str) -> (String, f64, f64) {
    let items: [(&str, &str, Option<Shape>, Option<EdgeStyle>); 8] = [
        ("审批", "approval", Some(Shape::Approve), None),
        ("备案/知悉", "acknowledgement", Some(Shape::Acknowledge), None),
        ("抄送", "copy", Some(Shape::Notify), None),
        ("条件分支", "condition", Some(Shape::Switch), None),
        ("超时升级", "escalation", None, None),
        ("通过", "approve", None, Some(EdgeStyle::Approve)),
        ("驳回", "reject", None, Some(EdgeStyle::Reject)),
        ("退回", "return", None, Some(EdgeStyle::Return)),
    ];
    let mut out = format!("<g class=\"legend\" font-size=\"{}\">\n", num(SMALL_SIZE));
    let mut x = x0;
    let cy = y0 + 8.0;
    for (zh, en, shape, edge) in items {
        let label = text::tr(lang, zh, en);
        match (shape, edge) {
            (Some(s), _) => {
                let (fill, stroke, _) = node_colors(s);
                let dash = if s == Shape::Notify { r#" stroke-dasharray="3 2""# } else { "" };
                let _ = writeln!(
                    out,
                    r#"<rect x="{}" y="{}" width="18" height="12" rx="3" fill="{fill}" stroke="{stroke}"{dash}/>"#,
                    num(x),
                    num(cy - 6.0)
                );
            }
            (None, Some(e)) => {
                let dash = if e == EdgeStyle::Return { r#" stroke-dasharray="4 3""# } else { "" };
                let _ = writeln!(
                    out,
                    r#"<path d="M{} {} H{}" stroke="{c}" stroke-width="1.5"{dash} marker-end="url(#{prefix}-{n})"/>"#,
                    num(x),
                    num(cy),
                    num(x + 18.0),
                    c = edge_color(e),
                    n = edge_name(e),
                );
            }
            (None, None) => {
                let _ = writeln!(
                    out,
                    r##"<rect x="{}" y="{}" width="18" height="12" rx="3" fill="#fff4e5" stroke="{ESCALATION}"/>"##,
                    num(x),
                    num(cy - 6.0)
                );
            }
        }
        text_line(
            &mut out,
            (x + 24.0, cy),
            Ink { size: SMALL_SIZE, bold: false, fill: MUTED, anchor: "start" },
            &label,
        );
        x += 24.0 + text::width(&label, SMALL_SIZE, false) + 18.0;
    }
    out.push_str("</g>\n");
    (out, x - x0, 16.0)
}
