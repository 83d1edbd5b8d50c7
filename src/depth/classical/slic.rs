//! SLIC superpixels with their statistics (colour, position, texture, focus) and adjacency graph.

use super::params::{EDGE_MIN, SLIC_COMPACTNESS, SLIC_ITERS, SP_STEP};
use super::working::dist2;
use crate::filter::blur::gaussian_blur;
use rayon::prelude::*;
use std::collections::VecDeque;

/// SLIC superpixels of the working image with their statistics and adjacency graph.
pub(super) struct Segmentation {
    pub(super) w: usize,
    pub(super) h: usize,
    /// Superpixel index of every working pixel.
    pub(super) labels: Vec<u32>,
    pub(super) regions: Vec<Region>,
    pub(super) graph: Graph,
}

impl Segmentation {
    /// Segment a Lab image and gather everything the cues read.
    pub(super) fn new(lab: &[[f32; 3]], w: usize, h: usize) -> Self {
        let (labels, n) = slic(lab, w, h);
        let regions = region_stats(lab, &labels, n, w, h);
        let graph = Graph::build(&labels, &regions, w, h);
        Segmentation {
            w,
            h,
            labels,
            regions,
            graph,
        }
    }

    /// Number of superpixels.
    pub(super) fn len(&self) -> usize {
        self.regions.len()
    }

    /// Pixel count of the working image.
    pub(super) fn area(&self) -> f32 {
        (self.w * self.h) as f32
    }

    /// Total pixel count of the superpixels in `members`.
    pub(super) fn area_of(&self, members: &[usize]) -> f32 {
        members.iter().map(|&m| self.regions[m].size).sum()
    }

    /// The superpixels connected to `start` through ones that pass `keep`, marked in `seen`.
    pub(super) fn component(
        &self,
        start: usize,
        seen: &mut [bool],
        keep: impl Fn(usize) -> bool,
    ) -> Vec<usize> {
        let mut members = vec![start];
        seen[start] = true;
        let mut k = 0;
        while k < members.len() {
            let p = members[k];
            k += 1;
            for (q, _) in self.graph.edges(p) {
                if !seen[q] && keep(q) {
                    seen[q] = true;
                    members.push(q);
                }
            }
        }
        members
    }

    /// Every connected component of superpixels passing `keep`.
    pub(super) fn components(&self, keep: impl Fn(usize) -> bool) -> Vec<Vec<usize>> {
        let mut seen = vec![false; self.len()];
        let mut out = Vec::new();
        for start in 0..self.len() {
            if !seen[start] && keep(start) {
                out.push(self.component(start, &mut seen, &keep));
            }
        }
        out
    }
}

/// SLIC superpixels (Achanta et al. 2012) over a Lab image; returns labels and their count.
pub(super) fn slic(lab: &[[f32; 3]], w: usize, h: usize) -> (Vec<u32>, usize) {
    let gx = ((w as f32 / SP_STEP as f32).round() as usize).max(1);
    let gy = ((h as f32 / SP_STEP as f32).round() as usize).max(1);
    let step = ((w * h) as f32 / (gx * gy) as f32).sqrt().max(1.0);
    let mut centres: Vec<[f32; 5]> = (0..gx * gy)
        .map(|k| {
            let x = ((2 * (k % gx) + 1) * w / (2 * gx)).min(w - 1);
            let y = ((2 * (k / gx) + 1) * h / (2 * gy)).min(h - 1);
            let (x, y) = lowest_gradient(lab, w, h, x, y);
            let c = lab[y * w + x];
            [c[0], c[1], c[2], x as f32, y as f32]
        })
        .collect();
    let grid = SlicGrid {
        gx,
        gy,
        w,
        h,
        spatial: (SLIC_COMPACTNESS / step).powi(2),
    };
    let mut labels = vec![0u32; w * h];
    for _ in 0..SLIC_ITERS {
        labels
            .par_chunks_mut(w)
            .zip(lab.par_chunks(w))
            .enumerate()
            .for_each(|(y, (row, lab_row))| grid.assign_row(row, lab_row, y, &centres));
        slic_update(&mut centres, lab, &labels, w);
    }
    let min_size = ((step * step) as usize / 4).max(1);
    enforce_connectivity(&labels, w, h, min_size)
}

/// Move a seed to the lowest-gradient pixel in its 3×3 neighbourhood, off edges.
pub(super) fn lowest_gradient(
    lab: &[[f32; 3]],
    w: usize,
    h: usize,
    x: usize,
    y: usize,
) -> (usize, usize) {
    let grad = |x: usize, y: usize| {
        let (xl, xr) = (x.saturating_sub(1), (x + 1).min(w - 1));
        let (yu, yd) = (y.saturating_sub(1), (y + 1).min(h - 1));
        dist2(lab[y * w + xl], lab[y * w + xr]) + dist2(lab[yu * w + x], lab[yd * w + x])
    };
    let mut best = (x, y);
    let mut best_g = f32::INFINITY;
    for ny in y.saturating_sub(1)..=(y + 1).min(h - 1) {
        for nx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
            let g = grad(nx, ny);
            if g < best_g {
                best_g = g;
                best = (nx, ny);
            }
        }
    }
    best
}

/// The seed grid of SLIC and its distance weighting.
pub(super) struct SlicGrid {
    pub(super) gx: usize,
    pub(super) gy: usize,
    pub(super) w: usize,
    pub(super) h: usize,
    /// Squared compactness over squared spacing: weight of squared pixel distance.
    pub(super) spatial: f32,
}

impl SlicGrid {
    /// Assign each pixel of row `y` to the nearest centre among the 3×3 grid cells around it.
    pub(super) fn assign_row(
        &self,
        row: &mut [u32],
        lab_row: &[[f32; 3]],
        y: usize,
        centres: &[[f32; 5]],
    ) {
        let (gx, gy) = (self.gx, self.gy);
        let cy = (y * gy / self.h).min(gy - 1);
        let (cy0, cy1) = (cy.saturating_sub(1), (cy + 1).min(gy - 1));
        for (x, (label, &c)) in row.iter_mut().zip(lab_row).enumerate() {
            let cx = (x * gx / self.w).min(gx - 1);
            let (cx0, cx1) = (cx.saturating_sub(1), (cx + 1).min(gx - 1));
            let mut best = f32::INFINITY;
            for j in cy0..=cy1 {
                for (k, ct) in centres[j * gx + cx0..=j * gx + cx1].iter().enumerate() {
                    let (dx, dy) = (ct[3] - x as f32, ct[4] - y as f32);
                    let d = dist2(c, [ct[0], ct[1], ct[2]]) + (dx * dx + dy * dy) * self.spatial;
                    if d < best {
                        best = d;
                        *label = (j * gx + cx0 + k) as u32;
                    }
                }
            }
        }
    }
}

/// Move each SLIC centre to the mean colour and position of its pixels.
pub(super) fn slic_update(centres: &mut [[f32; 5]], lab: &[[f32; 3]], labels: &[u32], w: usize) {
    let mut sums = vec![[0.0f64; 6]; centres.len()];
    for (i, (&l, c)) in labels.iter().zip(lab).enumerate() {
        let s = &mut sums[l as usize];
        s[0] += f64::from(c[0]);
        s[1] += f64::from(c[1]);
        s[2] += f64::from(c[2]);
        s[3] += (i % w) as f64;
        s[4] += (i / w) as f64;
        s[5] += 1.0;
    }
    for (ct, s) in centres.iter_mut().zip(&sums) {
        if s[5] > 0.0 {
            for (v, &t) in ct.iter_mut().zip(s) {
                *v = (t / s[5]) as f32;
            }
        }
    }
}

/// Relabel SLIC output into 4-connected regions numbered from 0, merging fragments smaller
/// than `min_size` into a neighbour; returns the labels and their count.
pub(super) fn enforce_connectivity(
    labels: &[u32],
    w: usize,
    h: usize,
    min_size: usize,
) -> (Vec<u32>, usize) {
    const NONE: u32 = u32::MAX;
    let mut out = vec![NONE; w * h];
    let mut next = 0u32;
    let mut queue = VecDeque::new();
    let mut members = Vec::new();
    for start in 0..w * h {
        if out[start] != NONE {
            continue;
        }
        let adjacent = neighbours4(start, w, h)
            .find(|&n| out[n] != NONE)
            .map(|n| out[n]);
        let old = labels[start];
        members.clear();
        out[start] = next;
        queue.push_back(start);
        while let Some(p) = queue.pop_front() {
            members.push(p);
            for n in neighbours4(p, w, h) {
                if out[n] == NONE && labels[n] == old {
                    out[n] = next;
                    queue.push_back(n);
                }
            }
        }
        match adjacent {
            Some(a) if members.len() < min_size => members.iter().for_each(|&p| out[p] = a),
            _ => next += 1,
        }
    }
    (out, next as usize)
}

/// The up-to-four 4-connected neighbours of pixel `i` in a `w`×`h` raster.
pub(super) fn neighbours4(i: usize, w: usize, h: usize) -> impl Iterator<Item = usize> {
    let (x, y) = (i % w, i / w);
    [
        (x > 0).then(|| i - 1),
        (y > 0).then(|| i - w),
        (x + 1 < w).then(|| i + 1),
        (y + 1 < h).then(|| i + w),
    ]
    .into_iter()
    .flatten()
}

/// Per-superpixel statistics that the depth cues read.
#[derive(Clone, Default)]
pub(super) struct Region {
    /// Mean Lab colour.
    pub(super) lab: [f32; 3],
    /// Centroid in fractions of the longer side (keeps the aspect ratio for distances).
    pub(super) cx: f32,
    pub(super) cy: f32,
    /// Centroid row and lowest row, in fractions of the image height.
    pub(super) y: f32,
    pub(super) y_max: f32,
    /// Pixel count.
    pub(super) size: f32,
    /// Mean lightness gradient magnitude (texture).
    pub(super) grad: f32,
    /// Edge-weighted re-blur gradient ratio (≈1 defocused, ≈2 sharp); 0 where no edges.
    pub(super) focus: f32,
    /// Total edge strength behind `focus`.
    pub(super) edge: f32,
    /// Pixels on the top, bottom, left and right image borders.
    pub(super) border: [u32; 4],
}

/// Gather per-superpixel colour, position, texture, focus and border statistics.
pub(super) fn region_stats(
    lab: &[[f32; 3]],
    labels: &[u32],
    n: usize,
    w: usize,
    h: usize,
) -> Vec<Region> {
    let (grad, ratio) = defocus_ratio(lab, w, h);
    let mut acc = vec![[0.0f64; 9]; n];
    let mut regions = vec![Region::default(); n];
    for (i, (&l, c)) in labels.iter().zip(lab).enumerate() {
        let (x, y) = (i % w, i / w);
        let edge = (grad[i] - EDGE_MIN).max(0.0);
        let values = [
            c[0],
            c[1],
            c[2],
            x as f32,
            y as f32,
            1.0,
            grad[i],
            edge,
            edge * ratio[i],
        ];
        let (a, r) = (&mut acc[l as usize], &mut regions[l as usize]);
        a.iter_mut()
            .zip(values)
            .for_each(|(s, v)| *s += f64::from(v));
        r.y_max = r.y_max.max(y as f32);
        let sides = [y == 0, y + 1 == h, x == 0, x + 1 == w];
        for (b, s) in r.border.iter_mut().zip(sides) {
            *b += u32::from(s);
        }
    }
    let long = w.max(h) as f32;
    let rows = (h.max(2) - 1) as f32;
    for (r, a) in regions.iter_mut().zip(&acc) {
        let mean = |j: usize| (a[j] / a[5].max(1.0)) as f32;
        r.lab = [mean(0), mean(1), mean(2)];
        r.cx = mean(3) / long;
        r.cy = mean(4) / long;
        r.y = mean(4) / rows;
        r.y_max /= rows;
        r.size = a[5] as f32;
        r.grad = mean(6);
        r.edge = a[7] as f32;
        r.focus = if a[7] > 1e-3 {
            (a[8] / a[7]) as f32
        } else {
            0.0
        };
    }
    regions
}

/// Defocus cue (Zhuo & Sim 2011): per pixel, the lightness gradient magnitude and its ratio to
/// the gradient after a Gaussian re-blur; sharp edges lose much when re-blurred, blurred ones little.
pub(super) fn defocus_ratio(lab: &[[f32; 3]], w: usize, h: usize) -> (Vec<f32>, Vec<f32>) {
    let l: Vec<f32> = lab.iter().map(|c| c[0]).collect();
    let g1 = central_gradient(&l, w, h);
    let g2 = central_gradient(&gaussian_blur(&l, w, h, 1.0), w, h);
    let ratio = g1
        .iter()
        .zip(&g2)
        .map(|(&a, &b)| (a / b.max(1e-3)).clamp(1.0, 4.0))
        .collect();
    (g1, ratio)
}

/// Central-difference gradient magnitude of a plane, borders clamped.
pub(super) fn central_gradient(p: &[f32], w: usize, h: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; w * h];
    out.par_chunks_mut(w).enumerate().for_each(|(y, row)| {
        let (up, down) = (&p[y.saturating_sub(1) * w..], &p[(y + 1).min(h - 1) * w..]);
        let mid = &p[y * w..(y + 1) * w];
        for (x, g) in row.iter_mut().enumerate() {
            let gx = mid[(x + 1).min(w - 1)] - mid[x.saturating_sub(1)];
            let gy = down[x] - up[x];
            *g = (gx * gx + gy * gy).sqrt() * 0.5;
        }
    });
    out
}

/// Superpixel adjacency in compressed-row form, with Lab distance as edge cost.
pub(super) struct Graph {
    pub(super) start: Vec<usize>,
    pub(super) nbr: Vec<u32>,
    pub(super) cost: Vec<f32>,
}

impl Graph {
    /// Link superpixels that share a 4-connected pixel boundary.
    pub(super) fn build(labels: &[u32], regions: &[Region], w: usize, h: usize) -> Self {
        let mut pairs = Vec::new();
        for (i, &a) in labels.iter().enumerate() {
            let (x, y) = (i % w, i / w);
            let right = (x + 1 < w).then(|| labels[i + 1]);
            let down = (y + 1 < h).then(|| labels[i + w]);
            for b in [right, down].into_iter().flatten() {
                if a != b {
                    pairs.push((a.min(b), a.max(b)));
                }
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        let mut start = vec![0usize; regions.len() + 1];
        for &(a, b) in &pairs {
            start[a as usize + 1] += 1;
            start[b as usize + 1] += 1;
        }
        for i in 1..start.len() {
            start[i] += start[i - 1];
        }
        let mut fill = start.clone();
        let mut nbr = vec![0u32; pairs.len() * 2];
        let mut cost = vec![0.0f32; pairs.len() * 2];
        for &(a, b) in &pairs {
            let c = dist2(regions[a as usize].lab, regions[b as usize].lab).sqrt();
            for (p, q) in [(a, b), (b, a)] {
                let slot = fill[p as usize];
                nbr[slot] = q;
                cost[slot] = c;
                fill[p as usize] += 1;
            }
        }
        Graph { start, nbr, cost }
    }

    /// Neighbours of node `i` with their edge costs.
    pub(super) fn edges(&self, i: usize) -> impl Iterator<Item = (usize, f32)> + '_ {
        let r = self.start[i]..self.start[i + 1];
        self.nbr[r.clone()]
            .iter()
            .map(|&q| q as usize)
            .zip(self.cost[r].iter().copied())
    }
}
