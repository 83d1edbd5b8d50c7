//! Decimation: flat, fully linked regions merged into larger quads under a triangle budget,
//! never across a cut.

use super::atlas::{Corner, Layout};
use crate::ldi::Ldi;
use crate::prepare::Intrinsics;

/// Camera shift (scene units) at which merged surfaces are held to `PIXEL_ERROR`;
/// the largest shift of the reference's paths and of the web viewer.
pub const MAX_SHIFT: f32 = 0.05;

/// On-screen deviation (pixels) a merge may cause at `MAX_SHIFT` while the
/// budget allows; the tolerance doubles until the budget is met.
pub(super) const PIXEL_ERROR: f32 = 0.25;

/// Largest merged block side, in cells.
pub(super) const MAX_BLOCK: usize = 32;

/// Tolerance doublings tried before merging regardless of flatness.
pub(super) const MAX_DOUBLINGS: usize = 16;

/// Merges flat regions until the triangle count fits `max_triangles` (or no
/// more merging is possible) and returns the triangles.
pub(super) fn decimate(
    ldi: &Ldi,
    layout: &Layout,
    k: &Intrinsics,
    max_triangles: usize,
) -> Vec<[Corner; 3]> {
    // Inverse depth error that moves a point by PIXEL_ERROR at the largest shift.
    let mut tol = PIXEL_ERROR / (k.fx.max(k.fy) * MAX_SHIFT);
    let mut doublings = 0;
    loop {
        let triangles = triangulate(ldi, layout, tol);
        if triangles.len() <= max_triangles || tol.is_infinite() {
            return triangles;
        }
        doublings += 1;
        tol = if doublings >= MAX_DOUBLINGS {
            f32::INFINITY
        } else {
            tol * 2.0
        };
    }
}

/// All triangles with cells merged into quadtree blocks where inverse depth
/// departs from the block's two-triangle surface by at most `tol`.
pub(super) fn triangulate(ldi: &Ldi, layout: &Layout, tol: f32) -> Vec<[Corner; 3]> {
    let (w, h) = (ldi.width, ldi.height);
    let mut out = Vec::new();
    for (p, page) in layout.pages.iter().enumerate() {
        let mut leaf = vec![0u8; w * h];
        for &(_, pixel) in layout.cells.iter().filter(|c| c.0 == p as u32) {
            leaf[pixel as usize] = 1;
        }
        merge_blocks(ldi, page, &mut leaf, w, h, tol);
        let mut used = vec![false; w * h];
        let leaves: Vec<(usize, usize)> = (0..w * h)
            .filter(|&i| leaf[i] > 0)
            .map(|i| (i, leaf[i] as usize))
            .collect();
        for &(i, s) in &leaves {
            for (dx, dy) in [(0, 0), (s, 0), (0, s), (s, s)] {
                used[i + dy * w + dx] = true;
            }
        }
        let lone = layout.triangles.iter().filter(|t| t[0].0 == p as u32);
        for t in lone.clone() {
            for &(_, pixel) in t {
                used[pixel as usize] = true;
            }
        }
        out.extend(lone.copied());
        for (i, s) in leaves {
            block_triangles(p as u32, i, s, w, &used, &mut out);
        }
    }
    out
}

/// Grows quadtree leaves (side per top-left pixel, 0 where none) of one page
/// by joining four equal flat neighbours, up to `MAX_BLOCK`.
pub(super) fn merge_blocks(ldi: &Ldi, page: &[u32], leaf: &mut [u8], w: usize, h: usize, tol: f32) {
    let mut s = 2;
    while s <= MAX_BLOCK {
        let half = s / 2;
        for by in (0..h.saturating_sub(s)).step_by(s) {
            for bx in (0..w.saturating_sub(s)).step_by(s) {
                let i = by * w + bx;
                let quads = [i, i + half, i + half * w, i + half * w + half];
                if quads.iter().all(|&q| leaf[q] as usize == half)
                    && is_flat(ldi, page, w, i, s, tol)
                {
                    quads.iter().for_each(|&q| leaf[q] = 0);
                    leaf[i] = s as u8;
                }
            }
        }
        s *= 2;
    }
}

/// Whether every node of the s×s block at pixel `i` lies within `tol` (inverse
/// depth) of the block's two triangles, split like `build_mesh` splits a cell.
pub(super) fn is_flat(ldi: &Ldi, page: &[u32], w: usize, i: usize, s: usize, tol: f32) -> bool {
    if tol.is_infinite() {
        return true;
    }
    let inv = |x: usize, y: usize| 1.0 / ldi.depth[page[i + y * w + x] as usize];
    let (f00, f10, f01, f11) = (inv(0, 0), inv(s, 0), inv(0, s), inv(s, s));
    let sf = s as f32;
    (0..=s).all(|y| {
        (0..=s).all(|x| {
            let (u, v) = (x as f32 / sf, y as f32 / sf);
            let fit = if u + v <= 1.0 {
                f00 + (f10 - f00) * u + (f01 - f00) * v
            } else {
                f11 + (f01 - f11) * (1.0 - u) + (f10 - f11) * (1.0 - v)
            };
            (inv(x, y) - fit).abs() <= tol
        })
    })
}

/// Triangles of one leaf: its two cell triangles, or, where neighbours use
/// points along its sides, a fan from its centre through all of them so no
/// crack opens at T-junctions.
pub(super) fn block_triangles(
    page: u32,
    i: usize,
    s: usize,
    w: usize,
    used: &[bool],
    out: &mut Vec<[Corner; 3]>,
) {
    let at = |x: usize, y: usize| (page, (i + y * w + x) as u32);
    let mut ring = Vec::with_capacity(4 * s);
    ring.extend((0..s).map(|x| (x, 0)));
    ring.extend((0..s).map(|y| (s, y)));
    ring.extend((0..s).map(|x| (s - x, s)));
    ring.extend((0..s).map(|y| (0, s - y)));
    ring.retain(|&(x, y)| used[i + y * w + x]);
    if ring.len() == 4 {
        let [tl, tr, br, bl] = [at(0, 0), at(s, 0), at(s, s), at(0, s)];
        out.push([tl, bl, tr]);
        out.push([br, tr, bl]);
        return;
    }
    let centre = at(s / 2, s / 2);
    for k in 0..ring.len() {
        let (a, b) = (ring[k], ring[(k + 1) % ring.len()]);
        out.push([centre, at(b.0, b.1), at(a.0, a.1)]);
    }
}
