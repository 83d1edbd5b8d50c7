//! Sky: top-connected, smooth, sky-coloured superpixels, pushed far.

use super::params::{
    SKY_FRACTION, SKY_FRACTION_CLOSE, SKY_ISLAND, SKY_MATCH, SKY_MIN_AREA, SKY_ROW_MIN, SKY_SMOOTH,
    SKY_STEP,
};
use super::slic::{Region, Segmentation};
use super::working::dist2;
use std::collections::VecDeque;

/// Sky superpixels: smooth blue or near-white ones grown from the top border, extended to
/// superpixels above the horizon whose pixels match the sky colour of their rows (sky seen
/// through masts and branches), then cleaned of small pockets either way.
pub(super) fn sky_regions(seg: &Segmentation, lab: &[[f32; 3]]) -> Vec<bool> {
    let regions = &seg.regions;
    let candidate: Vec<bool> = regions.iter().map(is_sky_like).collect();
    let seeds: Vec<usize> = (0..seg.len())
        .filter(|&i| candidate[i] && regions[i].border[0] > 0)
        .collect();
    let mut sky = vec![false; seg.len()];
    grow(seg, &mut sky, seeds, |q, c| candidate[q] && c < SKY_STEP);
    if !sky.contains(&true) {
        return sky;
    }
    let matched = sky_matches(seg, lab, &sky_row_colours(seg, &sky, lab));
    let horizon = (0..seg.len())
        .filter(|&i| sky[i])
        .map(|i| regions[i].y)
        .fold(0.0f32, f32::max);
    let allowed = |i: usize| regions[i].border[1] == 0 && regions[i].y <= horizon;
    for (i, s) in sky.iter_mut().enumerate() {
        *s |= allowed(i) && matched[i] > SKY_FRACTION;
    }
    for _ in 0..2 {
        close_sky(seg, &mut sky, |i| {
            allowed(i) && matched[i] > SKY_FRACTION_CLOSE
        });
    }
    for island in seg.components(|i| !sky[i]) {
        let enclosed = island.iter().all(|&m| regions[m].border == [0; 4]);
        if enclosed && seg.area_of(&island) < SKY_ISLAND * seg.area() {
            island.iter().for_each(|&m| sky[m] = true);
        }
    }
    for piece in seg.components(|i| sky[i]) {
        if seg.area_of(&piece) < SKY_MIN_AREA * seg.area() {
            piece.iter().for_each(|&m| sky[m] = false);
        }
    }
    sky
}

/// Colour and texture test for a confident sky superpixel: smooth and blue, or smooth and near-white.
pub(super) fn is_sky_like(r: &Region) -> bool {
    let [l, a, b] = r.lab;
    let blue = b < -8.0 && -b > a.abs() && l > 8.0;
    let white = l > 85.0 && (a * a + b * b).sqrt() < 10.0;
    (blue || white) && r.grad < SKY_SMOOTH
}

/// Breadth-first growth of `mask` from `seeds` over graph edges that `accept(node, cost)`.
pub(super) fn grow(
    seg: &Segmentation,
    mask: &mut [bool],
    seeds: Vec<usize>,
    accept: impl Fn(usize, f32) -> bool,
) {
    seeds.iter().for_each(|&i| mask[i] = true);
    let mut queue: VecDeque<usize> = seeds.into();
    while let Some(p) = queue.pop_front() {
        for (q, c) in seg.graph.edges(p) {
            if !mask[q] && accept(q, c) {
                mask[q] = true;
                queue.push_back(q);
            }
        }
    }
}

/// Mean Lab colour of sky pixels in each row; infinite (matching nothing) in rows with little sky.
pub(super) fn sky_row_colours(seg: &Segmentation, sky: &[bool], lab: &[[f32; 3]]) -> Vec<[f32; 3]> {
    let min_count = SKY_ROW_MIN * seg.w as f32;
    seg.labels
        .chunks_exact(seg.w)
        .zip(lab.chunks_exact(seg.w))
        .map(|(lrow, crow)| {
            let (mut acc, mut k) = ([0.0f32; 3], 0.0f32);
            for (&l, c) in lrow.iter().zip(crow) {
                if sky[l as usize] {
                    acc.iter_mut().zip(c).for_each(|(a, v)| *a += v);
                    k += 1.0;
                }
            }
            if k >= min_count.max(1.0) {
                acc.map(|a| a / k)
            } else {
                [f32::INFINITY; 3]
            }
        })
        .collect()
}

/// Fraction of each superpixel's pixels within [`SKY_MATCH`] of their row's sky colour.
pub(super) fn sky_matches(
    seg: &Segmentation,
    lab: &[[f32; 3]],
    reference: &[[f32; 3]],
) -> Vec<f32> {
    let mut matched = vec![0.0f32; seg.len()];
    let rows = seg.labels.chunks_exact(seg.w).zip(lab.chunks_exact(seg.w));
    for ((lrow, crow), &r) in rows.zip(reference) {
        for (&l, &c) in lrow.iter().zip(crow) {
            if dist2(c, r) < SKY_MATCH * SKY_MATCH {
                matched[l as usize] += 1.0;
            }
        }
    }
    matched
        .iter()
        .zip(&seg.regions)
        .map(|(m, r)| m / r.size.max(1.0))
        .collect()
}

/// One closing step: a superpixel with some sky colour whose neighbours are mostly sky joins it.
pub(super) fn close_sky(seg: &Segmentation, sky: &mut [bool], some_sky: impl Fn(usize) -> bool) {
    let before = sky.to_vec();
    for (i, s) in sky.iter_mut().enumerate() {
        if before[i] || !some_sky(i) {
            continue;
        }
        let (mut yes, mut all) = (0, 0);
        for (q, _) in seg.graph.edges(i) {
            all += 1;
            yes += usize::from(before[q]);
        }
        *s = 2 * yes > all;
    }
}
