//! The salient, in-focus subject: per-superpixel sharpness, background-connectivity saliency
//! (Zhu et al. 2014) and the foreground weight that lifts the subject forward.

use super::params::{
    BOTTOM_BORDER_WEIGHT, EDGE_KNOWN, FG_BAND, FG_MIN_AREA, FOCUS_BLURRED, FOCUS_SHARP, GEO_CLIP,
    SALIENCY_SWEEPS, SIGMA_CLR, SIGMA_SPA, TRUST_FOCUS, TRUST_SEPARATION, TRUST_SMALL,
};
use super::slic::{Graph, Region, Segmentation};
use super::working::{dist2, smoothstep};
use rayon::prelude::*;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Per-superpixel sharpness in [0, 1] from the defocus ratio; superpixels without edges take
/// the mean of known neighbours, spread over up to 20 hops (0.5 where nothing is known).
pub(super) fn sharpness(seg: &Segmentation) -> Vec<f32> {
    let known = |r: &Region| r.edge > EDGE_KNOWN;
    let mut s: Vec<f32> = seg
        .regions
        .iter()
        .map(|r| {
            if known(r) {
                smoothstep(FOCUS_BLURRED, FOCUS_SHARP, r.focus)
            } else {
                -1.0
            }
        })
        .collect();
    for _ in 0..20 {
        let prev = s.clone();
        for (i, v) in s.iter_mut().enumerate() {
            if known(&seg.regions[i]) {
                continue;
            }
            let (mut sum, mut k) = (0.0, 0.0);
            for (q, _) in seg.graph.edges(i) {
                if prev[q] >= 0.0 {
                    sum += prev[q];
                    k += 1.0;
                }
            }
            if k > 0.0 {
                *v = sum / k;
            }
        }
    }
    s.iter().map(|&v| if v < 0.0 { 0.5 } else { v }).collect()
}

/// Saliency per superpixel: background connectivity and background-weighted contrast
/// (Zhu et al. 2014) with defocus and centre priors, made coherent by a graph-regularised
/// least-squares fit. Sky is never salient.
pub(super) fn saliency(seg: &Segmentation, sky: &[bool], sharp: &[f32]) -> Vec<f32> {
    let w_bg = background_weight(seg);
    let inv2spa = 1.0 / (2.0 * SIGMA_SPA * SIGMA_SPA);
    let regions = &seg.regions;
    let mut w_fg: Vec<f32> = (0..seg.len())
        .into_par_iter()
        .map(|p| {
            let rp = &regions[p];
            let contrast: f32 = regions
                .iter()
                .zip(&w_bg)
                .map(|(rq, &bq)| {
                    let ds = (rp.cx - rq.cx).powi(2) + (rp.cy - rq.cy).powi(2);
                    dist2(rp.lab, rq.lab).sqrt() * (-ds * inv2spa).exp() * bq
                })
                .sum();
            let centre = (-((rp.cx - 0.5).powi(2) + (rp.y - 0.55).powi(2)) / 0.18).exp();
            contrast * (0.3 + 0.7 * sharp[p]) * (0.5 + 0.5 * centre)
        })
        .collect();
    let max = w_fg.iter().copied().fold(0.0f32, f32::max).max(1e-6);
    for (v, &s) in w_fg.iter_mut().zip(sky) {
        *v = if s { 0.0 } else { *v / max };
    }
    optimise_saliency(&seg.graph, &w_bg, &w_fg)
}

/// Background probability from boundary connectivity: how much of a superpixel's geodesic
/// colour neighbourhood touches the image border (the bottom border counting less).
pub(super) fn background_weight(seg: &Segmentation) -> Vec<f32> {
    let bnd: Vec<f32> = seg
        .regions
        .iter()
        .map(|r| {
            let [top, bottom, left, right] = r.border;
            if top + left + right > 0 {
                1.0
            } else if bottom > 0 {
                BOTTOM_BORDER_WEIGHT
            } else {
                0.0
            }
        })
        .collect();
    let inv2s2 = 1.0 / (2.0 * SIGMA_CLR * SIGMA_CLR);
    let n = seg.len();
    (0..n)
        .into_par_iter()
        .map_init(
            || (vec![0.0f32; n], BinaryHeap::new()),
            |(dist, heap), p| {
                geodesic(&seg.graph, p, 4.0 * SIGMA_CLR, dist, heap);
                let (mut area, mut len) = (0.0f32, 0.0f32);
                for (&d, &b) in dist.iter().zip(&bnd) {
                    let s = (-d * d * inv2s2).exp();
                    area += s;
                    len += b * s;
                }
                let con = len / area.max(1e-6).sqrt();
                1.0 - (-con * con / 2.0).exp()
            },
        )
        .collect()
}

/// Geodesic (shortest-path) colour distance from `src` to every node, into `dist`; nodes
/// farther than `limit` may be left at a larger value (they no longer matter).
pub(super) fn geodesic(
    graph: &Graph,
    src: usize,
    limit: f32,
    dist: &mut [f32],
    heap: &mut BinaryHeap<Reverse<(u32, u32)>>,
) {
    dist.fill(f32::INFINITY);
    dist[src] = 0.0;
    heap.clear();
    heap.push(Reverse((0, src as u32)));
    // Non-negative finite f32 order like their bit patterns, so the heap can key on bits.
    while let Some(Reverse((bits, p))) = heap.pop() {
        let (d, p) = (f32::from_bits(bits), p as usize);
        if d > limit {
            break;
        }
        if d > dist[p] {
            continue;
        }
        for (q, c) in graph.edges(p) {
            let nd = d + (c - GEO_CLIP).max(0.0);
            if nd < dist[q] {
                dist[q] = nd;
                heap.push(Reverse((nd.to_bits(), q as u32)));
            }
        }
    }
}

/// Solve min Σ w_bg s² + Σ w_fg (s−1)² + Σ w_ij (s_i−s_j)² by Gauss–Seidel sweeps.
pub(super) fn optimise_saliency(graph: &Graph, w_bg: &[f32], w_fg: &[f32]) -> Vec<f32> {
    let inv2s2 = 1.0 / (2.0 * SIGMA_CLR * SIGMA_CLR);
    let w_edge: Vec<f32> = graph
        .cost
        .iter()
        .map(|&c| (-c * c * inv2s2).exp() + 0.1)
        .collect();
    let mut s = w_fg.to_vec();
    for _ in 0..SALIENCY_SWEEPS {
        for i in 0..s.len() {
            let (mut num, mut den) = (w_fg[i], w_bg[i] + w_fg[i]);
            let r = graph.start[i]..graph.start[i + 1];
            for (&q, &wij) in graph.nbr[r.clone()].iter().zip(&w_edge[r]) {
                num += wij * s[q as usize];
                den += wij;
            }
            s[i] = num / den.max(1e-6);
        }
    }
    s
}

/// Turn saliency into a coherent foreground weight per superpixel: robustly normalised,
/// split at an area-weighted Otsu threshold with a narrow soft band, small blobs dropped.
pub(super) fn foreground_weight(seg: &Segmentation, saliency: &[f32]) -> Vec<f32> {
    let top = weighted_quantile(saliency, &seg.regions, 0.97).max(1e-6);
    let s: Vec<f32> = saliency.iter().map(|&v| (v / top).min(1.0)).collect();
    let t = otsu(&s, &seg.regions).clamp(0.3, 0.7);
    let mut f: Vec<f32> = s
        .iter()
        .map(|&v| smoothstep(t - FG_BAND, t + FG_BAND, v))
        .collect();
    for blob in seg.components(|i| f[i] >= 0.5) {
        if seg.area_of(&blob) < FG_MIN_AREA * seg.area() {
            blob.iter().for_each(|&m| f[m] = 0.0);
        }
    }
    f
}

/// Area-weighted `q`-quantile of per-superpixel values.
pub(super) fn weighted_quantile(v: &[f32], regions: &[Region], q: f32) -> f32 {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_unstable_by(|&a, &b| v[a].total_cmp(&v[b]).then(a.cmp(&b)));
    let target = q * regions.iter().map(|r| r.size).sum::<f32>();
    let mut acc = 0.0;
    for &i in &idx {
        acc += regions[i].size;
        if acc >= target {
            return v[i];
        }
    }
    idx.last().map_or(0.0, |&i| v[i])
}

/// Area-weighted Otsu threshold of values in [0, 1].
pub(super) fn otsu(v: &[f32], regions: &[Region]) -> f32 {
    const BINS: usize = 64;
    let mut hist = [0.0f64; BINS];
    for (&x, r) in v.iter().zip(regions) {
        hist[(x.clamp(0.0, 1.0) * (BINS - 1) as f32).round() as usize] += f64::from(r.size);
    }
    let total: f64 = hist.iter().sum();
    let moment: f64 = hist.iter().enumerate().map(|(i, &c)| i as f64 * c).sum();
    let (mut w0, mut m0, mut best, mut best_t) = (0.0, 0.0, -1.0, 0.5);
    for (i, &c) in hist.iter().enumerate() {
        w0 += c;
        m0 += i as f64 * c;
        let w1 = total - w0;
        if w0 <= 0.0 || w1 <= 0.0 {
            continue;
        }
        let between = w0 * w1 * (m0 / w0 - (moment - m0) / w1).powi(2);
        if between > best {
            best = between;
            best_t = (i as f32 + 0.5) / (BINS - 1) as f32;
        }
    }
    best_t
}

/// How far the photo supports the subject and defocus cues, each in [0, 1].
#[derive(Clone, Copy, Debug)]
pub(super) struct Evidence {
    pub(super) subject: f32,
    pub(super) defocus: f32,
}

/// Weigh the evidence for the foreground blob being a real subject: its saliency stands apart
/// from the rest (Fisher separation), it is sharper than a blurred background, or it is small.
/// A large blob that is neither is what a cluttered, all-sharp scene gives (on the real-scene
/// benchmark it takes in the back wall), so it earns no lift. Defocus counts only where the
/// photo shows a depth of field, i.e. the same focus contrast.
pub(super) fn evidence(
    seg: &Segmentation,
    saliency: &[f32],
    fg: &[f32],
    sharp: &[f32],
) -> Evidence {
    let mut stats = [[0.0f64; 4]; 2];
    for (i, r) in seg.regions.iter().enumerate() {
        let (a, s, f) = (
            f64::from(r.size),
            f64::from(saliency[i]),
            f64::from(sharp[i]),
        );
        let side = &mut stats[usize::from(fg[i] >= 0.5)];
        side[0] += a;
        side[1] += a * s;
        side[2] += a * s * s;
        side[3] += a * f;
    }
    let [out, inside] = stats;
    if inside[0] <= 0.0 || out[0] <= 0.0 {
        return Evidence {
            subject: 0.0,
            defocus: 0.0,
        };
    }
    let mean = |side: [f64; 4], k: usize| side[k] / side[0];
    let var = |side: [f64; 4]| (mean(side, 2) - mean(side, 1).powi(2)).max(0.0);
    let separation = (mean(inside, 1) - mean(out, 1)).powi(2) / (var(inside) + var(out)).max(1e-9);
    let focus = (mean(inside, 3) - mean(out, 3)) as f32;
    let area = (inside[0] / (inside[0] + out[0])) as f32;
    let step = |[a, b]: [f32; 2], x: f32| smoothstep(a, b, x);
    let defocus = step(TRUST_FOCUS, focus);
    let subject = defocus
        .max(step(TRUST_SEPARATION, separation as f32))
        .max(step(TRUST_SMALL, area));
    Evidence { subject, defocus }
}
