//! Drawing one node: its shape by kind, its texts, the loop back to the submitter and the
//! escalation ladder beside it.

use super::build::EdgeStyle;
use super::layout::Rect;
use super::node::{DETAIL_LINE, DETAIL_SIZE, LOOP_W, Node, PAD_Y, SMALL_SIZE, Shape, TITLE_LINE, TITLE_SIZE};
use super::route::num;
use super::svg::{ESCALATION, ESCALATION_INK, INK, Ink, bbox, edge_color, node_colors, shape_name, text_line};
use super::text::escape;
use std::fmt::Write;

/// Draws one node: its shape, texts, ladder and return loop.
pub(super) fn draw_node(out: &mut String, node: &Node, b: &Rect, ladder: Option<&Rect>, prefix: &str) {
    let (fill, stroke, ink) = node_colors(node.shape);
    let cx = b.x + b.w / 2.0;
    let class = shape_name(node.shape);
    let step = node.step.as_deref().map(|s| format!(r#" data-step="{}""#, escape(s))).unwrap_or_default();
    let (step_attr, join_attr) = if node.shape == Shape::Join {
        (String::new(), step.replace("data-step", "data-join-of"))
    } else {
        (step, String::new())
    };
    let outcome = match node.shape {
        Shape::End(o) => format!(r#" data-outcome="{}""#, o.as_str()),
        _ => String::new(),
    };
    let _ = writeln!(out, r#"<g class="node {class}"{step_attr}{join_attr}{outcome} data-bbox="{}">"#, bbox(b));
    if !node.tooltip.is_empty() {
        let _ = writeln!(out, "<title>{}</title>", escape(&node.tooltip));
    }
    let (x, y, w, h) = (num(b.x), num(b.y), num(b.w), num(b.h));
    match node.shape {
        Shape::Approve | Shape::Acknowledge => {
            let _ = writeln!(
                out,
                r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="10" fill="{fill}" stroke="{stroke}" stroke-width="1.6"/>"#
            );
        }
        Shape::Notify => {
            // A sheet of paper with a wavy lower edge.
            let (x0, y0, x1, y1) = (b.x, b.y, b.x + b.w, b.y + b.h - 6.0);
            let _ = writeln!(
                out,
                r#"<path d="M{} {} H{} V{} C{} {} {} {} {} {} Z" fill="{fill}" stroke="{stroke}" stroke-width="1.4" stroke-dasharray="5 3"/>"#,
                num(x0),
                num(y0),
                num(x1),
                num(y1),
                num(x0 + b.w * 0.7),
                num(y1 - 10.0),
                num(x0 + b.w * 0.3),
                num(y1 + 10.0),
                num(x0),
                num(y1)
            );
        }
        Shape::Fork | Shape::Join => {
            let _ = writeln!(
                out,
                r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="5" fill="{fill}" stroke="{stroke}"/>"#
            );
        }
        Shape::Switch => {
            let cy = b.y + b.h / 2.0;
            let _ = writeln!(
                out,
                r#"<polygon points="{},{} {},{} {},{} {},{}" fill="{fill}" stroke="{stroke}" stroke-width="1.6"/>"#,
                num(cx),
                num(b.y),
                num(b.x + b.w),
                num(cy),
                num(cx),
                num(b.y + b.h),
                num(b.x),
                num(cy)
            );
        }
        Shape::End(_) | Shape::Start => {
            let dash = "";
            let _ = writeln!(
                out,
                r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="{}" fill="{fill}" stroke="{stroke}" stroke-width="1.6"{dash}/>"#,
                num(b.h / 2.0)
            );
        }
    }
    // Texts.
    match node.shape {
        Shape::Approve | Shape::Acknowledge | Shape::Notify => {
            let mut cy = b.y + PAD_Y + TITLE_LINE / 2.0;
            for t in &node.title {
                text_line(out, (cx, cy), Ink { size: TITLE_SIZE, bold: true, fill: ink, anchor: "middle" }, t);
                cy += TITLE_LINE;
            }
            cy += 4.0 - TITLE_LINE / 2.0 + DETAIL_LINE / 2.0;
            for t in &node.lines {
                text_line(out, (cx, cy), Ink { size: DETAIL_SIZE, bold: false, fill: INK, anchor: "middle" }, t);
                cy += DETAIL_LINE;
            }
        }
        Shape::Fork | Shape::Join => {
            let mut cy = b.y + b.h / 2.0 - 7.0 * (node.title.len() as f64 - 1.0);
            for t in &node.title {
                text_line(out, (cx, cy), Ink { size: SMALL_SIZE, bold: false, fill: ink, anchor: "middle" }, t);
                cy += 14.0;
            }
        }
        Shape::Switch | Shape::End(_) | Shape::Start => {
            let size = TITLE_SIZE - 1.0;
            let mut cy = b.y + b.h / 2.0 - 8.5 * (node.title.len() as f64 - 1.0);
            for t in &node.title {
                text_line(out, (cx, cy), Ink { size, bold: true, fill: ink, anchor: "middle" }, t);
                cy += 17.0;
            }
        }
    }
    // The loop back to the submitter, left of the box.
    if let Some(label) = &node.return_loop {
        let (y1, y2) = (b.y + b.h * 0.68, b.y + b.h * 0.32);
        let _ = writeln!(
            out,
            r#"<path class="return-loop" d="M{} {} C{} {} {} {} {} {}" fill="none" stroke="{c}" stroke-width="1.5" stroke-dasharray="6 4" marker-end="url(#{prefix}-return)"/>"#,
            num(b.x),
            num(y1),
            num(b.x - LOOP_W * 1.3),
            num(y1),
            num(b.x - LOOP_W * 1.3),
            num(y2),
            num(b.x),
            num(y2),
            c = edge_color(EdgeStyle::Return),
        );
        text_line(
            out,
            (b.x - LOOP_W - 4.0, b.y + b.h / 2.0),
            Ink { size: SMALL_SIZE, bold: false, fill: edge_color(EdgeStyle::Return), anchor: "end" },
            label,
        );
    }
    out.push_str("</g>\n");
    if let Some(r) = ladder {
        draw_ladder(out, node, b, r);
    }
}

/// The escalation ladder beside a node: one rung per line, in orange.
fn draw_ladder(out: &mut String, node: &Node, b: &Rect, r: &Rect) {
    let step = node.step.as_deref().unwrap_or_default();
    let _ = writeln!(out, r#"<g class="ladder" data-ladder-of="{}" data-bbox="{}">"#, escape(step), bbox(r));
    let cy = b.y + b.h / 2.0;
    let _ = writeln!(
        out,
        r#"<path d="M{} {} H{}" stroke="{ESCALATION}" stroke-width="1.4" stroke-dasharray="3 3" fill="none"/>"#,
        num(b.x + b.w),
        num(cy),
        num(r.x)
    );
    let _ = writeln!(
        out,
        r##"<rect x="{}" y="{}" width="{}" height="{}" rx="6" fill="#fff4e5" stroke="{ESCALATION}" stroke-width="1.2"/>"##,
        num(r.x),
        num(r.y),
        num(r.w),
        num(r.h)
    );
    let (rail_l, rail_r) = (r.x + 10.0, r.x + 20.0);
    let mut y = r.y + 6.0;
    let mut rung_ys = Vec::new();
    for (k, lines) in node.ladder.iter().enumerate() {
        for (i, t) in lines.iter().enumerate() {
            let cy = y + DETAIL_LINE / 2.0;
            if k == 0 {
                text_line(
                    out,
                    (r.x + 10.0, cy),
                    Ink { size: DETAIL_SIZE, bold: true, fill: ESCALATION_INK, anchor: "start" },
                    t,
                );
            } else {
                if i == 0 {
                    rung_ys.push(cy);
                }
                text_line(
                    out,
                    (r.x + 28.0, cy),
                    Ink { size: DETAIL_SIZE, bold: false, fill: ESCALATION_INK, anchor: "start" },
                    t,
                );
            }
            y += DETAIL_LINE;
        }
        y += 4.0;
    }
    if let (Some(first), Some(last)) = (rung_ys.first(), rung_ys.last()) {
        let mut d = String::new();
        let _ = write!(
            d,
            "M{} {} V{} M{} {} V{}",
            num(rail_l),
            num(first - 7.0),
            num(last + 7.0),
            num(rail_r),
            num(first - 7.0),
            num(last + 7.0)
        );
        for ry in &rung_ys {
            let _ = write!(d, " M{} {} H{}", num(rail_l), num(*ry), num(rail_r));
        }
        let _ = writeln!(out, r#"<path d="{d}" stroke="{ESCALATION}" stroke-width="1.6" fill="none"/>"#);
    }
    out.push_str("</g>\n");
}
