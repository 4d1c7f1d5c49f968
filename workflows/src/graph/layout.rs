//! The layered top-to-bottom layout, by hand: layers by longest path from the start (returns and
//! other back edges reversed), dummy nodes on long edges, barycenter ordering against crossings,
//! least-squares x placement, then edge routes (cubic curves with vertical ends) and label spots.

use super::build::{Diagram, EdgeStyle};
use super::node::Shape;
use super::order;
use super::route;

/// A rectangle: top-left corner and size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Rect {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

impl Rect {
    /// Whether the two rectangles share any area (touching edges do not count).
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }
    /// The rectangle grown by `m` on every side.
    pub fn grow(&self, m: f64) -> Rect {
        Rect { x: self.x - m, y: self.y - m, w: self.w + 2.0 * m, h: self.h + 2.0 * m }
    }
}

/// How an edge runs through the layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Direction {
    /// From an upper layer down.
    Down,
    /// Back up to an upper layer (returns, loops).
    Up,
    /// Between two nodes of one layer.
    Flat,
    /// From a node to itself: not drawn.
    Loop,
}

/// Positions of everything.
#[derive(Debug, Clone)]
pub(super) struct Layout {
    /// Box of each diagram node (bars stretched over their branches).
    pub boxes: Vec<Rect>,
    /// Escalation ladder box of each node that has one.
    pub ladders: Vec<Option<Rect>>,
    /// Route of each diagram edge.
    pub routes: Vec<route::Route>,
    /// Right edge of the drawing.
    pub right: f64,
    /// Bottom edge of the drawing.
    pub bottom: f64,
}

/// The layered graph with its coordinates, handed to the router.
#[derive(Debug, Clone)]
pub(super) struct Grid {
    /// Box of every layered node: the diagram's nodes, then the dummies (zero-sized).
    pub boxes: Vec<Rect>,
    /// Layer of every layered node.
    pub layer: Vec<usize>,
    /// Shape of every layered node (`None` for a dummy).
    pub shapes: Vec<Option<Shape>>,
    /// Top of each layer's band.
    pub band_top: Vec<f64>,
    /// Height of each layer's band.
    pub band_h: Vec<f64>,
    /// Each edge's nodes from its upper to its lower end, dummies between.
    pub chains: Vec<Vec<usize>>,
    /// Which way each edge runs.
    pub dirs: Vec<Direction>,
}

/// Vertical space between two layers (edge labels live there).
const LAYER_GAP: f64 = 66.0;
/// Horizontal space between two nodes of a layer.
const NODE_GAP: f64 = 40.0;
/// Horizontal space next to a dummy node.
const DUMMY_GAP: f64 = 18.0;

/// A node of the layered graph: a diagram node or a dummy on a long edge.
#[derive(Debug, Clone)]
struct LNode {
    // Box size, extents left and right of the box, shape (`None` for a dummy), layer.
    w: f64,
    h: f64,
    left: f64,
    right: f64,
    shape: Option<Shape>,
    layer: usize,
}

impl LNode {
    /// A dummy on a long edge (not drawn).
    fn dummy(&self) -> bool {
        self.shape.is_none()
    }
    /// A fork or join bar, stretched over its branches.
    fn bar(&self) -> bool {
        matches!(self.shape, Some(Shape::Fork | Shape::Join))
    }
}

/// Lays out `d` with its top-left corner at (`x0`, `y0`).
pub(super) fn layout(d: &Diagram, x0: f64, y0: f64) -> Layout {
    let n = d.nodes.len();
    let mut nodes: Vec<LNode> = d
        .nodes
        .iter()
        .map(|v| LNode { w: v.w, h: v.outer_h(), left: v.left, right: v.right, shape: Some(v.shape), layer: 0 })
        .collect();

    // 1. Which edges go against the flow: back edges of a depth-first walk from the start.
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (e, edge) in d.edges.iter().enumerate() {
        if edge.style != EdgeStyle::Return && edge.from != edge.to {
            out[edge.from].push(e);
        }
    }
    let mut reversed = vec![false; d.edges.len()];
    let mut state = vec![0u8; n]; // 0 unvisited, 1 on the stack, 2 done
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        let mut stack = vec![(root, 0usize)];
        state[root] = 1;
        while let Some(&mut (u, ref mut i)) = stack.last_mut() {
            if let Some(&e) = out[u].get(*i) {
                *i += 1;
                let v = d.edges[e].to;
                match state[v] {
                    0 => {
                        state[v] = 1;
                        stack.push((v, 0));
                    }
                    1 => reversed[e] = true,
                    _ => {}
                }
            } else {
                state[u] = 2;
                stack.pop();
            }
        }
    }

    // 2. Layers: longest path over the acyclic edges; ends all go to the bottom layer.
    let mut dag: Vec<(usize, usize)> = Vec::new();
    for (e, edge) in d.edges.iter().enumerate() {
        if edge.style != EdgeStyle::Return && edge.from != edge.to {
            dag.push(if reversed[e] { (edge.to, edge.from) } else { (edge.from, edge.to) });
        }
    }
    dag.extend(d.constraints.iter().copied());
    let layer = longest_path(n, &dag);
    let last = layer.iter().copied().max().unwrap_or(0);
    for (v, node) in nodes.iter_mut().enumerate() {
        node.layer = if matches!(node.shape, Some(Shape::End(_))) { last.max(layer[v]) } else { layer[v] };
    }

    // 3. Chains through dummy nodes, top to bottom.
    let mut chains: Vec<Vec<usize>> = Vec::new();
    let mut dirs: Vec<Direction> = Vec::new();
    for (e, edge) in d.edges.iter().enumerate() {
        let (a, b) = (edge.from, edge.to);
        let (la, lb) = (nodes[a].layer, nodes[b].layer);
        let dir = if a == b {
            Direction::Loop
        } else if la == lb {
            Direction::Flat
        } else if la < lb {
            Direction::Down
        } else {
            Direction::Up
        };
        // A DFS back edge between layers always runs up after layering.
        debug_assert!(!reversed[e] || dir != Direction::Down);
        let (top, bottom) = if dir == Direction::Up { (b, a) } else { (a, b) };
        let mut chain = vec![top];
        if matches!(dir, Direction::Down | Direction::Up) {
            for l in nodes[top].layer + 1..nodes[bottom].layer {
                nodes.push(LNode { w: 0.0, h: 0.0, left: 0.0, right: 0.0, shape: None, layer: l });
                chain.push(nodes.len() - 1);
            }
        }
        chain.push(bottom);
        chains.push(chain);
        dirs.push(dir);
    }
    let total = nodes.len();
    let mut upper: Vec<Vec<usize>> = vec![Vec::new(); total];
    let mut lower: Vec<Vec<usize>> = vec![Vec::new(); total];
    for (chain, dir) in chains.iter().zip(&dirs) {
        if matches!(dir, Direction::Down | Direction::Up) {
            for w in chain.windows(2) {
                lower[w[0]].push(w[1]);
                upper[w[1]].push(w[0]);
            }
        }
    }

    // 4. Order within layers: depth-first discovery, then barycenter sweeps and adjacent swaps.
    let layers_n = nodes.iter().map(|v| v.layer).max().unwrap_or(0) + 1;
    let mut seen = vec![usize::MAX; total];
    let mut count = 0;
    for root in 0..total {
        let mut stack = vec![root];
        while let Some(u) = stack.pop() {
            if seen[u] != usize::MAX {
                continue;
            }
            seen[u] = count;
            count += 1;
            stack.extend(lower[u].iter().rev().copied());
        }
    }
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); layers_n];
    let mut by_discovery: Vec<usize> = (0..total).collect();
    by_discovery.sort_by_key(|&v| seen[v]);
    for v in by_discovery {
        layers[nodes[v].layer].push(v);
    }
    let layers = order::order(layers, &upper, &lower, total);

    // 5. X: least-squares placement towards neighbours, sweeping down and up.
    let mut x = vec![0.0f64; total];
    let mut width: Vec<f64> = nodes.iter().map(|v| v.w).collect();
    let base: Vec<f64> = width.clone();
    for layer in &layers {
        let mut at = 0.0;
        for (i, &v) in layer.iter().enumerate() {
            if i > 0 {
                at += sep(&nodes, &width, layer[i - 1], v);
            }
            x[v] = at;
        }
        let mid = at / 2.0;
        for &v in layer {
            x[v] -= mid;
        }
    }
    for round in 0..24 {
        let down = round % 2 == 0;
        stretch_bars(&nodes, &base, &upper, &lower, &x, &mut width);
        let range: Vec<usize> =
            if down { (1..layers_n).collect() } else { (0..layers_n.saturating_sub(1)).rev().collect() };
        for l in range {
            let desired: Vec<f64> = layers[l]
                .iter()
                .map(|&v| {
                    let nb = if down { &upper[v] } else { &lower[v] };
                    if nb.is_empty() { x[v] } else { nb.iter().map(|&u| x[u]).sum::<f64>() / nb.len() as f64 }
                })
                .collect();
            place(&layers[l], &desired, &nodes, &width, &mut x);
        }
    }
    stretch_bars(&nodes, &base, &upper, &lower, &x, &mut width);
    for layer in &layers {
        let desired: Vec<f64> = layer.iter().map(|&v| x[v]).collect();
        place(layer, &desired, &nodes, &width, &mut x);
    }
    let min_x = (0..total).map(|v| x[v] - width[v] / 2.0 - nodes[v].left).fold(f64::INFINITY, f64::min);
    for xv in &mut x {
        *xv += x0 - min_x;
    }

    // 6. Y: each layer is a band as tall as its tallest node; boxes are centred in it.
    let mut band_top = vec![0.0; layers_n];
    let mut band_h = vec![0.0; layers_n];
    let mut y = y0;
    for l in 0..layers_n {
        band_top[l] = y;
        band_h[l] = layers[l].iter().map(|&v| nodes[v].h).fold(0.0, f64::max);
        y += band_h[l] + LAYER_GAP;
    }
    let boxes: Vec<Rect> = (0..total)
        .map(|v| {
            let l = nodes[v].layer;
            let h = if v < n { d.nodes[v].h } else { 0.0 };
            Rect { x: x[v] - width[v] / 2.0, y: band_top[l] + (band_h[l] - h) / 2.0, w: width[v], h }
        })
        .collect();
    let ladders: Vec<Option<Rect>> = (0..n)
        .map(|v| {
            let (w, h) = d.nodes[v].ladder_size;
            let b = boxes[v];
            (w > 0.0).then(|| Rect { x: b.x + b.w + super::node::LADDER_GAP, y: b.y + b.h / 2.0 - h / 2.0, w, h })
        })
        .collect();
    let mut obstacles: Vec<Rect> = (0..n).map(|v| boxes[v]).chain(ladders.iter().flatten().copied()).collect();
    for (node, b) in d.nodes.iter().zip(&boxes) {
        if node.left > 0.0 {
            obstacles.push(Rect { x: b.x - node.left, y: b.y, w: node.left, h: b.h });
        }
    }

    // 7. and 8. Ports, routes and labels.
    let grid = Grid {
        boxes,
        layer: nodes.iter().map(|v| v.layer).collect(),
        shapes: nodes.iter().map(|v| v.shape).collect(),
        band_top,
        band_h,
        chains,
        dirs,
    };
    let (routes, placed) = route::routes(d, &grid, &obstacles);
    let boxes = grid.boxes;
    let right = obstacles.iter().chain(&placed).map(|r| r.x + r.w).fold(x0, f64::max);
    let bottom = obstacles.iter().chain(&placed).map(|r| r.y + r.h).fold(y0, f64::max);
    Layout { boxes: boxes[..n].to_vec(), ladders, routes, right, bottom }
}

/// Longest-path layers of a graph given as edges; a cycle (there should be none) is broken at its
/// smallest node.
fn longest_path(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut indeg = vec![0usize; n];
    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in edges {
        succ[a].push(b);
        indeg[b] += 1;
    }
    let mut layer = vec![0usize; n];
    let mut done = vec![false; n];
    let mut ready: std::collections::BTreeSet<usize> = (0..n).filter(|&v| indeg[v] == 0).collect();
    for _ in 0..n {
        let v = match ready.pop_first() {
            Some(v) => v,
            None => (0..n).find(|&v| !done[v]).unwrap_or(0),
        };
        if done[v] {
            continue;
        }
        done[v] = true;
        for &w in &succ[v] {
            if !done[w] {
                layer[w] = layer[w].max(layer[v] + 1);
                indeg[w] -= 1;
                if indeg[w] == 0 {
                    ready.insert(w);
                }
            }
        }
    }
    layer
}

/// The smallest distance between the centres of two neighbours `a` (left) and `b` in a layer.
fn sep(nodes: &[LNode], width: &[f64], a: usize, b: usize) -> f64 {
    let gap = if nodes[a].dummy() || nodes[b].dummy() { DUMMY_GAP } else { NODE_GAP };
    width[a] / 2.0 + nodes[a].right + gap + nodes[b].left + width[b] / 2.0
}

/// Places a layer's nodes as near their desired centres as their order and spacing allow (least
/// squares, by pooling adjacent violators).
fn place(layer: &[usize], desired: &[f64], nodes: &[LNode], width: &[f64], x: &mut [f64]) {
    // With offsets o_i (cumulative spacing), z_i = c_i − o_i must not decrease.
    let mut offset = Vec::with_capacity(layer.len());
    let mut at = 0.0;
    for (i, &v) in layer.iter().enumerate() {
        if i > 0 {
            at += sep(nodes, width, layer[i - 1], v);
        }
        offset.push(at);
    }
    // Blocks of (sum, count, first index).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
    for i in 0..layer.len() {
        let weight = if nodes[layer[i]].dummy() { 0.5 } else { 1.0 };
        blocks.push(((desired[i] - offset[i]) * weight, weight, i));
        while blocks.len() > 1 {
            let (s1, c1, _) = blocks[blocks.len() - 1];
            let (s0, c0, i0) = blocks[blocks.len() - 2];
            if s0 / c0 > s1 / c1 {
                blocks.pop();
                blocks.pop();
                blocks.push((s0 + s1, c0 + c1, i0));
            } else {
                break;
            }
        }
    }
    for (k, &(s, c, start)) in blocks.iter().enumerate() {
        let end = blocks.get(k + 1).map_or(layer.len(), |b| b.2);
        for i in start..end {
            x[layer[i]] = s / c + offset[i];
        }
    }
}

/// Widens each fork bar over its branches and each join bar over what flows into it.
fn stretch_bars(
    nodes: &[LNode],
    base: &[f64],
    upper: &[Vec<usize>],
    lower: &[Vec<usize>],
    x: &[f64],
    width: &mut [f64],
) {
    for v in 0..nodes.len() {
        if !nodes[v].bar() {
            continue;
        }
        let nb = if nodes[v].shape == Some(Shape::Fork) { &lower[v] } else { &upper[v] };
        let lo = nb.iter().map(|&u| x[u]).fold(f64::INFINITY, f64::min);
        let hi = nb.iter().map(|&u| x[u]).fold(f64::NEG_INFINITY, f64::max);
        let span = if nb.is_empty() { 0.0 } else { 2.0 * (hi - x[v]).max(x[v] - lo) + 48.0 };
        width[v] = base[v].max(span);
    }
}
