//! The order of nodes within each layer: barycenter sweeps down and up, then swaps of neighbours
//! while they remove crossings; the best order seen wins.

/// Orders each layer to reduce crossings: barycenter sweeps down and up, then swaps of neighbours;
/// keeps the best order seen.
pub(super) fn order(
    mut layers: Vec<Vec<usize>>,
    upper: &[Vec<usize>],
    lower: &[Vec<usize>],
    total: usize,
) -> Vec<Vec<usize>> {
    let mut pos = vec![0usize; total];
    let index = |layers: &Vec<Vec<usize>>, pos: &mut Vec<usize>| {
        for layer in layers {
            for (i, &v) in layer.iter().enumerate() {
                pos[v] = i;
            }
        }
    };
    index(&layers, &mut pos);
    let mut best = layers.clone();
    let mut best_c = crossings(&layers, lower, &pos);
    for round in 0..8 {
        let down = round % 2 == 0;
        let range: Vec<usize> =
            if down { (1..layers.len()).collect() } else { (0..layers.len().saturating_sub(1)).rev().collect() };
        for l in range {
            let bary: Vec<(f64, usize)> = layers[l]
                .iter()
                .map(|&v| {
                    let nb = if down { &upper[v] } else { &lower[v] };
                    let b = if nb.is_empty() {
                        pos[v] as f64
                    } else {
                        nb.iter().map(|&u| pos[u] as f64).sum::<f64>() / nb.len() as f64
                    };
                    (b, v)
                })
                .collect();
            let mut sorted = bary;
            // Stable: ties keep their current order.
            sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
            layers[l] = sorted.into_iter().map(|(_, v)| v).collect();
            for (i, &v) in layers[l].iter().enumerate() {
                pos[v] = i;
            }
        }
        // Swap neighbours while that removes crossings.
        let mut improved = true;
        while improved {
            improved = false;
            for l in 0..layers.len() {
                for i in 0..layers[l].len().saturating_sub(1) {
                    let before = crossings(&layers, lower, &pos);
                    layers[l].swap(i, i + 1);
                    index(&layers, &mut pos);
                    if crossings(&layers, lower, &pos) < before {
                        improved = true;
                    } else {
                        layers[l].swap(i, i + 1);
                        index(&layers, &mut pos);
                    }
                }
            }
        }
        let c = crossings(&layers, lower, &pos);
        if c < best_c {
            best_c = c;
            best = layers.clone();
        }
    }
    best
}

/// How many pairs of edges cross between adjacent layers.
fn crossings(layers: &[Vec<usize>], lower: &[Vec<usize>], pos: &[usize]) -> usize {
    let mut c = 0;
    for layer in layers {
        let pairs: Vec<(usize, usize)> =
            layer.iter().flat_map(|&u| lower[u].iter().map(move |&v| (pos[u], pos[v]))).collect();
        for (i, a) in pairs.iter().enumerate() {
            for b in &pairs[i + 1..] {
                if (a.0 < b.0 && a.1 > b.1) || (a.0 > b.0 && a.1 < b.1) {
                    c += 1;
                }
            }
        }
    }
    c
}
