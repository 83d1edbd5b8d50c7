//! Small helpers over dense row-major grids.

use crate::map::FloatMap;

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
/// the shortest way in. Pixels no ring reaches stay unknown. Each ring is
/// found from the last one's neighbours, so a pixel is visited once.
pub fn propagate_mean<const C: usize>(
    width: usize,
    height: usize,
    values: &mut [[f32; C]],
    known: &mut [bool],
    target: &[bool],
) {
    let neighbours = |i: usize| grid_neighbours(i, width, height);
    let mut queued = vec![false; width * height];
    let mut ring: Vec<usize> = (0..width * height)
        .filter(|&i| target[i] && !known[i] && neighbours(i).any(|n| known[n]))
        .collect();
    let mut ready: Vec<(usize, [f32; C])> = Vec::new();
    while !ring.is_empty() {
        ready.clear();
        for &i in &ring {
            let mut sum = [0.0f32; C];
            let mut count = 0;
            for n in neighbours(i).filter(|&n| known[n]) {
                for c in 0..C {
                    sum[c] += values[n][c];
                }
                count += 1;
            }
            ready.push((i, sum.map(|s| s / count as f32)));
        }
        for &(i, v) in &ready {
            values[i] = v;
            known[i] = true;
        }
        ring.clear();
        for &(i, _) in &ready {
            for n in neighbours(i) {
                if target[n] && !known[n] && !queued[n] {
                    queued[n] = true;
                    ring.push(n);
                }
            }
        }
    }
}

/// Resamples a float map to `width`×`height` with a separable triangle filter
/// whose support widens when shrinking (area-like averaging). Unlike
/// `image::imageops::resize`, values are not clamped to [0, 1].
pub fn resize_map(map: &FloatMap, width: u32, height: u32) -> FloatMap {
    let (sw, sh) = (map.width() as usize, map.height() as usize);
    let (w, h) = (width as usize, height as usize);
    if sw == 0 || sh == 0 || w == 0 || h == 0 {
        return FloatMap::new(width, height);
    }
    let src: &[f32] = map.as_raw();
    let xs = triangle_weights(sw, w);
    let mut rows = vec![0f32; w * sh];
    for y in 0..sh {
        let line = &src[y * sw..(y + 1) * sw];
        for (x, taps) in xs.iter().enumerate() {
            rows[y * w + x] = taps.iter().map(|&(k, wt)| line[k] * wt).sum();
        }
    }
    let ys = triangle_weights(sh, h);
    let mut out = vec![0f32; w * h];
    for (y, taps) in ys.iter().enumerate() {
        for x in 0..w {
            out[y * w + x] = taps.iter().map(|&(k, wt)| rows[k * w + x] * wt).sum();
        }
    }
    FloatMap::from_raw(width, height, out).unwrap_or_else(|| FloatMap::new(width, height))
}

/// Normalised triangle-filter taps (source index, weight) for each output sample.
fn triangle_weights(src: usize, dst: usize) -> Vec<Vec<(usize, f32)>> {
    let scale = src as f32 / dst as f32;
    let support = scale.max(1.0);
    (0..dst)
        .map(|i| {
            let centre = (i as f32 + 0.5) * scale - 0.5;
            let lo = (centre - support).floor().max(0.0) as usize;
            let hi = ((centre + support).ceil() as usize).min(src - 1);
            let mut taps: Vec<(usize, f32)> = (lo..=hi)
                .map(|k| (k, (1.0 - (k as f32 - centre).abs() / support).max(0.0)))
                .filter(|&(_, wt)| wt > 0.0)
                .collect();
            if taps.is_empty() {
                taps.push((centre.round().clamp(0.0, (src - 1) as f32) as usize, 1.0));
            }
            let total: f32 = taps.iter().map(|t| t.1).sum();
            taps.iter_mut().for_each(|t| t.1 /= total);
            taps
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn propagation_takes_each_ring_from_the_rings_before_it() {
        // 4×3: the left column's ends are known; (2, 1) is no target and
        // stays as it was, so (3, 1) is reached last, from above and below.
        let (w, h) = (4, 3);
        let mut values = vec![[-1.0f32]; w * h];
        values[0] = [4.0];
        values[2 * w] = [8.0];
        let mut known = vec![false; w * h];
        known[0] = true;
        known[2 * w] = true;
        let mut target = vec![true; w * h];
        target[w + 2] = false;
        propagate_mean(w, h, &mut values, &mut known, &target);
        let expected = [4.0, 4.0, 4.0, 4.0, 6.0, 6.0, -1.0, 6.0, 8.0, 8.0, 8.0, 8.0];
        assert_eq!(values.iter().map(|v| v[0]).collect::<Vec<_>>(), expected);
        assert_eq!(known.iter().filter(|&&k| !k).count(), 1);
        // With nothing known, nothing is reached.
        let mut none_known = vec![false; w * h];
        propagate_mean(w, h, &mut values, &mut none_known, &target);
        assert!(none_known.iter().all(|&k| !k));
    }

    #[test]
    fn resize_keeps_values_outside_unit_range() {
        let map = FloatMap::from_fn(10, 6, |x, _| image::Luma([3.0 * x as f32]));
        let up = resize_map(&map, 20, 12);
        let max = up.pixels().map(|p| p[0]).fold(0.0, f32::max);
        assert!(max > 26.0 && max <= 27.0, "{max}");
        let down = resize_map(&map, 5, 3);
        assert!(down.pixels().all(|p| p[0] >= 0.0 && p[0] <= 27.0));
        let flat = resize_map(&FloatMap::from_pixel(7, 7, image::Luma([5.0])), 3, 11);
        assert!(flat.pixels().all(|p| (p[0] - 5.0).abs() < 1e-5));
    }
}
