//! Small helpers over dense row-major grids.

/// The 4-neighbours of pixel `i` inside a `w`×`h` grid.
pub fn grid_neighbours(i: usize, w: usize, h: usize) -> impl Iterator<Item = usize> {
    let (x, y) = (i % w, i / w);
    let left = (x > 0).then(|| i - 1);
    let right = (x + 1 < w).then(|| i + 1);
    let up = (y > 0).then(|| i - w);
    let down = (y + 1 < h).then(|| i + w);
    [left, right, up, down].into_iter().flatten()
}

/// Fills `target` pixels ring by ring inward from `known` ones: each ring takes
/// the mean of its known 4-neighbours, so values continue the boundary along
/// the shortest way in. Pixels no ring reaches stay unknown.
pub fn propagate_mean<const C: usize>(
    width: usize,
    height: usize,
    values: &mut [[f32; C]],
    known: &mut [bool],
    target: &[bool],
) {
    let mut pending: Vec<usize> = (0..width * height)
        .filter(|&i| target[i] && !known[i])
        .collect();
    let mut ready: Vec<(usize, [f32; C])> = Vec::new();
    while !pending.is_empty() {
        ready.clear();
        for &i in &pending {
            let mut sum = [0.0f32; C];
            let mut count = 0;
            for n in grid_neighbours(i, width, height).filter(|&n| known[n]) {
                for c in 0..C {
                    sum[c] += values[n][c];
                }
                count += 1;
            }
            if count > 0 {
                ready.push((i, sum.map(|s| s / count as f32)));
            }
        }
        if ready.is_empty() {
            break;
        }
        for &(i, v) in &ready {
            values[i] = v;
            known[i] = true;
        }
        pending.retain(|&i| !known[i]);
    }
}
