//! Edge-aware smoothing (domain transform) and joint bilateral upsampling to the photo size, so
//! depth steps land on colour edges.

use super::params::UPSAMPLE_RANGE;
use super::working::dist2;
use crate::filter::blur::{clamp_index, transpose};
use image::RgbImage;
use rayon::prelude::*;

/// Edge-aware smoothing by the recursive domain transform (Gastal & Oliveira 2011), guided by
/// Lab colour, three iterations: smooths within regions, keeps steps at colour edges.
pub(super) fn domain_transform(
    data: &mut [f32],
    lab: &[[f32; 3]],
    w: usize,
    h: usize,
    sigma_s: f32,
    sigma_r: f32,
) {
    const ITERS: i32 = 3;
    let ratio = sigma_s / sigma_r;
    let step = |a: &[f32; 3], b: &[f32; 3]| {
        1.0 + ratio * ((a[0] - b[0]).abs() + (a[1] - b[1]).abs() + (a[2] - b[2]).abs())
    };
    // Domain steps between each pixel and its predecessor along rows, and along columns.
    let mut dh = vec![0.0f32; w * h];
    dh.par_chunks_mut(w)
        .zip(lab.par_chunks(w))
        .for_each(|(d, line)| {
            for (o, pair) in d[1..].iter_mut().zip(line.windows(2)) {
                *o = step(&pair[1], &pair[0]);
            }
        });
    let mut dv = vec![0.0f32; w * h];
    dv.par_chunks_mut(h).enumerate().for_each(|(x, d)| {
        for (y, o) in d.iter_mut().enumerate().skip(1) {
            *o = step(&lab[y * w + x], &lab[(y - 1) * w + x]);
        }
    });
    let mut t = vec![0.0f32; w * h];
    for i in 0..ITERS {
        let sigma_h =
            sigma_s * 3f32.sqrt() * 2f32.powi(ITERS - i - 1) / (4f32.powi(ITERS) - 1.0).sqrt();
        let ln_a = -(2f32.sqrt()) / sigma_h;
        data.par_chunks_mut(w)
            .zip(dh.par_chunks(w))
            .for_each(|(line, d)| recursive_pass(line, d, ln_a));
        transpose(data, &mut t, w, h);
        t.par_chunks_mut(h)
            .zip(dv.par_chunks(h))
            .for_each(|(line, d)| recursive_pass(line, d, ln_a));
        transpose(&t, data, h, w);
    }
}

/// One causal and one anti-causal recursive filter pass along a line; `d[i]` is the domain
/// step between samples `i − 1` and `i`.
pub(super) fn recursive_pass(line: &mut [f32], d: &[f32], ln_a: f32) {
    let Some(&first) = line.first() else {
        return;
    };
    let mut prev = first;
    for (v, &di) in line.iter_mut().zip(d).skip(1) {
        *v += (ln_a * di).exp() * (prev - *v);
        prev = *v;
    }
    let n = line.len();
    let mut next = line[n - 1];
    for (v, &di) in line[..n - 1].iter_mut().rev().zip(d[1..].iter().rev()) {
        *v += (ln_a * di).exp() * (next - *v);
        next = *v;
    }
}

/// Up to three low-res sample positions along one axis with their Gaussian weights.
#[derive(Clone, Copy)]
pub(super) struct Taps {
    pub(super) first: usize,
    pub(super) count: usize,
    pub(super) weight: [f32; 3],
}

impl Taps {
    /// The low-res samples around full-res index `i` (of `n`) on an axis of `low` samples.
    pub(super) fn new(i: usize, n: usize, low: usize) -> Self {
        let centre = (i as f32 + 0.5) * low as f32 / n as f32 - 0.5;
        let c = centre.round() as isize;
        let first = clamp_index(c - 1, low);
        let last = clamp_index(c + 1, low);
        let mut weight = [0.0f32; 3];
        for (k, w) in weight.iter_mut().enumerate().take(last - first + 1) {
            let d = (first + k) as f32 - centre;
            *w = (-0.5 * d * d).exp();
        }
        Taps {
            first,
            count: last - first + 1,
            weight,
        }
    }
}

/// Joint bilateral upsampling (Kopf et al. 2007): each full-size pixel averages the nearest
/// 3×3 low-res disparities weighted by colour similarity, so steps snap to full-size edges.
pub(super) fn joint_bilateral_upsample(
    disp: &[f32],
    small: &[[f32; 3]],
    sw: usize,
    sh: usize,
    full: &RgbImage,
) -> Vec<f32> {
    const LUT_LEN: usize = 1024;
    const LUT_STEP: f32 = 8.0;
    let (w, h) = (full.width() as usize, full.height() as usize);
    let lut: Vec<f32> = (0..LUT_LEN)
        .map(|k| (-(k as f32 * LUT_STEP) / (2.0 * UPSAMPLE_RANGE * UPSAMPLE_RANGE)).exp())
        .collect();
    let range =
        |c: [f32; 3], q: [f32; 3]| lut[((dist2(c, q) / LUT_STEP) as usize).min(LUT_LEN - 1)];
    let taps_x: Vec<Taps> = (0..w).map(|x| Taps::new(x, w, sw)).collect();
    let mut out = vec![0.0f32; w * h];
    out.par_chunks_mut(w)
        .zip(full.as_raw().par_chunks(w * 3))
        .enumerate()
        .for_each(|(y, (row, src))| {
            let ty = Taps::new(y, h, sh);
            for ((o, px), tx) in row.iter_mut().zip(src.chunks_exact(3)).zip(&taps_x) {
                let c = [f32::from(px[0]), f32::from(px[1]), f32::from(px[2])];
                let (mut num, mut den) = (0.0f32, 0.0f32);
                for (qy, wy) in (ty.first..).zip(&ty.weight[..ty.count]) {
                    let base = qy * sw + tx.first;
                    let cols = small[base..base + tx.count].iter().zip(&disp[base..]);
                    for ((&q, &d), wx) in cols.zip(&tx.weight) {
                        let wgt = wy * wx * range(c, q) + 1e-6;
                        num += wgt * d;
                        den += wgt;
                    }
                }
                *o = num / den;
            }
        });
    out
}
