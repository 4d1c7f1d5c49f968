//! Edge routes on the laid-out grid: ports spread along the bottom and top of each box (ordered by
//! the other end, so edges do not cross at a node), cubic curves with vertical ends through the
//! dummies of long edges, and label spots in the free gaps between layers.

use super::build::Diagram;
use super::layout::{Direction, Grid, Rect};
use super::node::{SMALL_SIZE, Shape};
use super::text;

/// Height of an edge label box.
pub(super) const LABEL_H: f64 = 17.0;

/// The route of one edge.
#[derive(Debug, Clone)]
pub(super) struct Route {
    /// SVG path data, from the edge's source to its target.
    pub d: String,
    /// Where its label sits (centre box), if it has one.
    pub label: Option<Rect>,
}

/// The route of every edge of `d`, and the label boxes placed (avoiding `obstacles` and each other).
pub(super) fn routes(d: &Diagram, g: &Grid, obstacles: &[Rect]) -> (Vec<Route>, Vec<Rect>) {
    let n = d.nodes.len();
    let total = g.boxes.len();
    let (boxes, chains, dirs) = (&g.boxes, &g.chains, &g.dirs);
    let x: Vec<f64> = boxes.iter().map(|b| b.x + b.w / 2.0).collect();
    // Ports: where edges leave the bottom and enter the top of each box, in order of the other
    // end (for a direct edge, the other end's port, so that edges into a bar come straight down).
    let mut bottom_att: Vec<Vec<(f64, usize)>> = vec![Vec::new(); total];
    for (e, (chain, dir)) in chains.iter().zip(dirs).enumerate() {
        match dir {
            Direction::Down | Direction::Up => bottom_att[chain[0]].push((x[chain[1]], e)),
            Direction::Flat => {
                bottom_att[chain[0]].push((x[chain[1]], e));
                bottom_att[chain[1]].push((x[chain[0]], e));
            }
            Direction::Loop => {}
        }
    }
    // Per edge: (node, port) of each end on a bottom side.
    let mut bottom_port: Vec<Vec<(usize, (f64, f64))>> = vec![Vec::new(); d.edges.len()];
    for v in 0..n {
        let atts = &mut bottom_att[v];
        atts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (&(_, e), px) in atts.iter().zip(port_xs(&boxes[v], g.shapes[v], atts, true)) {
            bottom_port[e].push((v, (px, boundary_y(&boxes[v], g.shapes[v], px, true))));
        }
    }
    let bottom_of = |e: usize, v: usize| bottom_port[e].iter().find(|p| p.0 == v).map_or((x[v], 0.0), |p| p.1);
    let mut top_att: Vec<Vec<(f64, usize)>> = vec![Vec::new(); total];
    for (e, (chain, dir)) in chains.iter().zip(dirs).enumerate() {
        if matches!(dir, Direction::Down | Direction::Up) {
            let other = if chain.len() == 2 { bottom_of(e, chain[0]).0 } else { x[chain[chain.len() - 2]] };
            top_att[chain[chain.len() - 1]].push((other, e));
        }
    }
    let mut top_port = vec![(0.0, 0.0); d.edges.len()];
    for v in 0..n {
        let atts = &mut top_att[v];
        atts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (&(_, e), px) in atts.iter().zip(port_xs(&boxes[v], g.shapes[v], atts, false)) {
            top_port[e] = (px, boundary_y(&boxes[v], g.shapes[v], px, false));
        }
    }

    // Routes and labels.
    let mut placed: Vec<Rect> = Vec::new();
    let routes = (0..d.edges.len())
        .map(|e| {
            let chain = &chains[e];
            let label_w = d.edges[e].label.as_ref().map(|l| text::width(l, SMALL_SIZE, false) + 10.0);
            let mut segs: Vec<Seg> = Vec::new();
            match dirs[e] {
                Direction::Down | Direction::Up => {
                    // Straight down to the bottom of the source's band, curves only across the
                    // gaps between bands, straight through dummies and into the target.
                    let mut p = bottom_of(e, chain[0]);
                    let (first, last) = (g.layer[chain[0]], g.layer[chain[chain.len() - 1]]);
                    let band_bottom = g.band_top[first] + g.band_h[first];
                    if p.1 < band_bottom - 0.5 {
                        segs.push(Seg::Line(p, (p.0, band_bottom)));
                        p = (p.0, band_bottom);
                    }
                    for &dm in &chain[1..chain.len() - 1] {
                        let l = g.layer[dm];
                        let q = (x[dm], g.band_top[l]);
                        segs.push(Seg::Curve(p, q));
                        p = (x[dm], g.band_top[l] + g.band_h[l]);
                        segs.push(Seg::Line(q, p));
                    }
                    let q = top_port[e];
                    if q.1 > g.band_top[last] + 0.5 {
                        segs.push(Seg::Curve(p, (q.0, g.band_top[last])));
                        segs.push(Seg::Line((q.0, g.band_top[last]), q));
                    } else {
                        segs.push(Seg::Curve(p, q));
                    }
                }
                Direction::Flat => {
                    segs.push(Seg::Arc(bottom_of(e, chain[0]), bottom_of(e, chain[1])));
                }
                Direction::Loop => {}
            }
            if dirs[e] == Direction::Up {
                segs = segs.into_iter().rev().map(Seg::reverse).collect();
            }
            // The label goes on the curve nearest the source, in the free gap between bands.
            let label = label_w.and_then(|w| {
                let seg = segs.iter().find(|s| !matches!(s, Seg::Line(..)))?;
                Some(place_label(seg, w, obstacles, &mut placed))
            });
            Route { d: segs.iter().enumerate().map(|(i, s)| s.path(i == 0)).collect::<Vec<_>>().join(" "), label }
        })
        .collect();

    (routes, placed)
}

/// The x of each port along a box's top or bottom, for attachments sorted by the other end's x.
fn port_xs(b: &Rect, shape: Option<Shape>, atts: &[(f64, usize)], bottom: bool) -> Vec<f64> {
    let k = atts.len();
    let cx = b.x + b.w / 2.0;
    match shape {
        _ if k == 0 => Vec::new(),
        Some(Shape::Fork | Shape::Join) => {
            let mut xs: Vec<f64> = atts.iter().map(|a| a.0.clamp(b.x + 14.0, b.x + b.w - 14.0)).collect();
            for i in 1..k {
                xs[i] = xs[i].max(xs[i - 1] + 12.0);
            }
            xs
        }
        _ if k == 1 => vec![cx],
        // From a diamond: the left corner, the bottom corner, the right corner, then between.
        Some(Shape::Switch) if bottom => (0..k).map(|i| b.x + 1.0 + (b.w - 2.0) * i as f64 / (k - 1) as f64).collect(),
        _ => {
            let span = (b.w * 0.7).min(56.0 * (k - 1) as f64);
            (0..k).map(|i| cx - span / 2.0 + span * i as f64 / (k - 1) as f64).collect()
        }
    }
}

/// Where a vertical line at `px` meets the bottom (or top) outline of a node.
fn boundary_y(b: &Rect, shape: Option<Shape>, px: f64, bottom: bool) -> f64 {
    let cy = b.y + b.h / 2.0;
    let half = match shape {
        Some(Shape::Switch) => b.h / 2.0 * (1.0 - ((px - b.x - b.w / 2.0).abs() / (b.w / 2.0)).min(1.0)),
        Some(Shape::Notify) if bottom => b.h / 2.0 - 4.0,
        _ => b.h / 2.0,
    };
    if bottom { cy + half } else { cy - half }
}

/// A piece of an edge's path.
#[derive(Debug, Clone, Copy)]
enum Seg {
    /// A cubic curve leaving and arriving vertically.
    Curve((f64, f64), (f64, f64)),
    /// A straight line (through a dummy's layer).
    Line((f64, f64), (f64, f64)),
    /// A curve that dips below a layer between two of its nodes.
    Arc((f64, f64), (f64, f64)),
}

impl Seg {
    /// The same piece run the other way.
    fn reverse(self) -> Seg {
        match self {
            Seg::Curve(a, b) => Seg::Curve(b, a),
            Seg::Line(a, b) => Seg::Line(b, a),
            Seg::Arc(a, b) => Seg::Arc(b, a),
        }
    }
    /// The curve's control points: start, two controls, end.
    fn cubic(&self) -> [(f64, f64); 4] {
        match *self {
            Seg::Curve(p, q) => {
                let k = (q.1 - p.1) / 2.0;
                [p, (p.0, p.1 + k), (q.0, q.1 - k), q]
            }
            Seg::Line(p, q) => [p, p, q, q],
            Seg::Arc(p, q) => {
                let k = 34.0 + (q.0 - p.0).abs() * 0.12;
                [p, (p.0, p.1 + k), (q.0, q.1 + k), q]
            }
        }
    }
    /// SVG path data of the piece (with its `M` when it is the first).
    fn path(&self, first: bool) -> String {
        let [p, c1, c2, q] = self.cubic();
        let start = if first { format!("M{} {} ", num(p.0), num(p.1)) } else { String::new() };
        match self {
            Seg::Line(..) => format!("{start}L{} {}", num(q.0), num(q.1)),
            _ => format!("{start}C{} {} {} {} {} {}", num(c1.0), num(c1.1), num(c2.0), num(c2.1), num(q.0), num(q.1)),
        }
    }
    /// The point at parameter `t`.
    fn at(&self, t: f64) -> (f64, f64) {
        let [p, c1, c2, q] = self.cubic();
        let u = 1.0 - t;
        let f =
            |a: f64, b: f64, c: f64, d: f64| u * u * u * a + 3.0 * u * u * t * b + 3.0 * u * t * t * c + t * t * t * d;
        (f(p.0, c1.0, c2.0, q.0), f(p.1, c1.1, c2.1, q.1))
    }
}

/// Puts a label of width `w` on `seg`, at the first spot from its start that hits nothing placed yet.
fn place_label(seg: &Seg, w: f64, obstacles: &[Rect], placed: &mut Vec<Rect>) -> Rect {
    let rect_at = |t: f64| {
        let (px, py) = seg.at(t);
        Rect { x: px - w / 2.0, y: py - LABEL_H / 2.0, w, h: LABEL_H }
    };
    let free = |r: &Rect, placed: &[Rect]| !obstacles.iter().chain(placed.iter()).any(|o| o.grow(2.0).overlaps(r));
    let [p, _, _, q] = seg.cubic();
    let len = (q.1 - p.1).abs().max(1.0);
    // Try spots every few pixels along the segment, nearest to the source first.
    let steps = 24;
    let first = (LABEL_H / 2.0 + 6.0) / len;
    let mut choice = rect_at(first.min(0.5));
    for i in 0..steps {
        let t = first + (1.0 - 2.0 * first) * i as f64 / steps as f64;
        if !(0.0..=1.0).contains(&t) {
            break;
        }
        let r = rect_at(t);
        if free(&r, placed) {
            choice = r;
            break;
        }
    }
    placed.push(choice);
    choice
}

/// A coordinate with at most one decimal, without a trailing `.0` (stable text for the same input).
pub(super) fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    let r = if r == 0.0 { 0.0 } else { r };
    if r.fract() == 0.0 { format!("{}", r as i64) } else { format!("{r:.1}") }
}
