//! Composition of the cues into one disparity per pixel: the ground-plane prior, sky, defocus and
//! the rounded foreground layer standing at its ground contact. The cues are composed as a
//! residual over the prior, each scaled by how far the photo supports it, so a photo without
//! clear evidence keeps the prior exactly.

use super::params::{
    DEFOCUS_PUSH, FG_BULGE, FG_BULGE_REACH, FG_MAX, FG_MIN, FG_POP, GROUND_BOTTOM, GROUND_TOP,
    SKY_DISP, SP_STEP,
};
use super::saliency::Evidence;
use super::slic::Segmentation;
use crate::filter::blur::box_blur_3pass;
use crate::map::FloatMap;
use rayon::prelude::*;

/// The ground-plane prior alone (for images too small to analyse): nearer towards the bottom.
pub(super) fn ground_only(w: u32, h: u32) -> FloatMap {
    let rows = (h.max(2) - 1) as f32;
    FloatMap::from_fn(w, h, |_, y| image::Luma([ground(y as f32 / rows)]))
}

/// Ground-plane disparity at normalised height `y` (0 = top row, 1 = bottom row).
pub(super) fn ground(y: f32) -> f32 {
    GROUND_TOP + (GROUND_BOTTOM - GROUND_TOP) * y.clamp(0.0, 1.0)
}

/// Per-pixel disparity minus the ground prior: the defocus push, sky far, and foreground
/// objects standing at their ground contact plus a pop, rounded by a bulge away from their
/// outline; the push and the objects scaled by `evidence`.
pub(super) fn compose_residual(
    seg: &Segmentation,
    sky: &[bool],
    fg: &[f32],
    sharp: &[f32],
    evidence: Evidence,
) -> Vec<f32> {
    let (w, h) = (seg.w, seg.h);
    let front = object_front(seg, fg);
    let mask: Vec<bool> = seg.labels.iter().map(|&l| fg[l as usize] >= 0.5).collect();
    let inside = distance_inside(&mask, w, h);
    let reach = FG_BULGE_REACH * w.min(h) as f32;
    let push: Vec<f32> = seg
        .labels
        .iter()
        .map(|&l| evidence.defocus * DEFOCUS_PUSH * (1.0 - sharp[l as usize]))
        .collect();
    let push = box_blur_3pass(&push, w, h, 2 * SP_STEP);
    let rows = (h.max(2) - 1) as f32;
    let mut out = vec![0.0f32; w * h];
    out.par_chunks_mut(w).enumerate().for_each(|(y, row)| {
        let g = ground(y as f32 / rows);
        let span = y * w..(y + 1) * w;
        let cells = seg.labels[span.clone()]
            .iter()
            .zip(&inside[span.clone()])
            .zip(&push[span]);
        for (d, ((&l, &dist), &push)) in row.iter_mut().zip(cells) {
            let l = l as usize;
            *d = if sky[l] {
                SKY_DISP - g
            } else {
                let bg = g - push;
                let bulge = FG_BULGE * (dist / reach).min(1.0).sqrt();
                evidence.subject * fg[l] * ((front[l] - bg).max(0.0) + bulge) - push
            };
        }
    });
    out
}

/// Disparity of each superpixel's foreground object: connected foreground superpixels share
/// one value, set by the ground at the object's lowest point plus [`FG_POP`].
pub(super) fn object_front(seg: &Segmentation, fg: &[f32]) -> Vec<f32> {
    let mut front: Vec<f32> = seg
        .regions
        .iter()
        .map(|r| ground(r.y_max) + FG_POP)
        .collect();
    for object in seg.components(|i| fg[i] >= 0.5) {
        let bottom = object
            .iter()
            .map(|&m| seg.regions[m].y_max)
            .fold(0.0f32, f32::max);
        object
            .iter()
            .for_each(|&m| front[m] = ground(bottom) + FG_POP);
    }
    front.iter_mut().for_each(|v| *v = v.clamp(FG_MIN, FG_MAX));
    front
}

/// Chamfer distance (in pixels) from each pixel inside `mask` to the nearest pixel outside it.
pub(super) fn distance_inside(mask: &[bool], w: usize, h: usize) -> Vec<f32> {
    const DIAG: f32 = std::f32::consts::SQRT_2;
    let big = (w + h) as f32;
    let mut d: Vec<f32> = mask.iter().map(|&m| if m { big } else { 0.0 }).collect();
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let mut v = d[i];
            if x > 0 {
                v = v.min(d[i - 1] + 1.0);
            }
            if y > 0 {
                v = v.min(d[i - w] + 1.0);
                if x > 0 {
                    v = v.min(d[i - w - 1] + DIAG);
                }
                if x + 1 < w {
                    v = v.min(d[i - w + 1] + DIAG);
                }
            }
            d[i] = v;
        }
    }
    for y in (0..h).rev() {
        for x in (0..w).rev() {
            let i = y * w + x;
            let mut v = d[i];
            if x + 1 < w {
                v = v.min(d[i + 1] + 1.0);
            }
            if y + 1 < h {
                v = v.min(d[i + w] + 1.0);
                if x + 1 < w {
                    v = v.min(d[i + w + 1] + DIAG);
                }
                if x > 0 {
                    v = v.min(d[i + w - 1] + DIAG);
                }
            }
            d[i] = v;
        }
    }
    d
}
