//! Decimation: flat, fully linked regions merged into larger quads under a triangle budget,
//! never across a cut.

use super::atlas::{Corner, Layout};
use crate::ldi::{Ldi, NONE};
use crate::prepare::Intrinsics;

/// Camera shift (scene units) at which merged surfaces are held to `PIXEL_ERROR`;
/// the largest shift of the reference's paths and of the web viewer.
pub const MAX_SHIFT: f32 = 0.05;

/// On-screen deviation (pixels) a merge may cause at `MAX_SHIFT` while the
/// budget allows; the tolerance doubles until the budget is met.
const PIXEL_ERROR: f32 = 0.25;

/// Largest merged block side, in cells.
const MAX_BLOCK: usize = 32;

/// Tolerance doublings tried before merging regardless of flatness.
const MAX_DOUBLINGS: usize = 16;

/// Triangles of a decimated mesh.
#[derive(Default)]
pub(crate) struct Triangles {
    /// Triangles of merged blocks of fully linked cells: every texel inside a
    /// block's square is a node of the block's surface.
    pub(crate) blocks: Vec<[Corner; 3]>,
    /// Mesh faces outside fully linked cells (along cuts), kept as they are.
    pub(crate) lone: Vec<[Corner; 3]>,
}

impl Triangles {
    pub(crate) fn len(&self) -> usize {
        self.blocks.len() + self.lone.len()
    }

    /// Lone triangles, then blocks, page by page as they were made.
    pub(crate) fn all(&self) -> impl Iterator<Item = &[Corner; 3]> {
        self.lone.iter().chain(&self.blocks)
    }
}

/// Merges flat regions until the triangle count fits `max_triangles` (or no
/// more merging is possible) and returns the triangles.
pub(crate) fn decimate(
    ldi: &Ldi,
    layout: &Layout,
    k: &Intrinsics,
    max_triangles: usize,
) -> Triangles {
    // Inverse depth error that moves a point by PIXEL_ERROR at the largest shift.
    let mut tol = PIXEL_ERROR / (k.fx.max(k.fy) * MAX_SHIFT);
    let mut doublings = 0;
    // Pixels with more than one layer: only there can a merge need its slack.
    let layered: Vec<bool> = (0..ldi.width * ldi.height)
        .map(|pixel| ldi.layers(pixel).nth(1).is_some())
        .collect();
    loop {
        let triangles = triangulate(ldi, layout, &layered, tol);
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
/// departs from the block's two-triangle surface by at most `tol` and each
/// node's [`slack`].
fn triangulate(ldi: &Ldi, layout: &Layout, layered: &[bool], tol: f32) -> Triangles {
    let (w, h) = (ldi.width, ldi.height);
    // Nodes that are a corner of some leaf or lone triangle, on any page: a
    // node can sit on several pages, and a block side passing through one
    // must go through it too, or a crack opens at the T-junction.
    let mut corner = vec![false; ldi.node_count()];
    let mut mark = |page: &[u32], pixel: usize| corner[page[pixel] as usize] = true;
    let mut leaves = Vec::with_capacity(layout.pages.len());
    for (p, page) in layout.pages.iter().enumerate() {
        let mut leaf = vec![0u8; w * h];
        for &(_, pixel) in layout.cells.iter().filter(|c| c.0 == p as u32) {
            leaf[pixel as usize] = 1;
        }
        merge_blocks(ldi, page, layered, &mut leaf, tol);
        let page_leaves: Vec<(usize, usize)> = (0..w * h)
            .filter(|&i| leaf[i] > 0)
            .map(|i| (i, leaf[i] as usize))
            .collect();
        for &(i, s) in &page_leaves {
            for (dx, dy) in [(0, 0), (s, 0), (0, s), (s, s)] {
                mark(page, i + dy * w + dx);
            }
        }
        leaves.push(page_leaves);
    }
    for t in &layout.triangles {
        for &(p, pixel) in t {
            mark(&layout.pages[p as usize], pixel as usize);
        }
    }
    let mut out = Triangles::default();
    for (p, (page, page_leaves)) in layout.pages.iter().zip(leaves).enumerate() {
        let used: Vec<bool> = page
            .iter()
            .map(|&n| n != NONE && corner[n as usize])
            .collect();
        let lone = layout.triangles.iter().filter(|t| t[0].0 == p as u32);
        out.lone.extend(lone.copied());
        for (i, s) in page_leaves {
            block_triangles(p as u32, i, s, w, &used, &mut out.blocks);
        }
    }
    out
}

/// How far (inverse depth) node `n` at `pixel` may move before it reaches
/// halfway to another layer at that pixel; infinite where there is none.
/// Merging within this keeps every surface on its side of the others, so
/// layers close behind one another do not show through it.
fn slack(ldi: &Ldi, n: u32, pixel: usize) -> f32 {
    let inv = 1.0 / ldi.depth[n as usize];
    ldi.layers(pixel)
        .filter(|&m| m != n)
        .map(|m| 0.5 * (inv - 1.0 / ldi.depth[m as usize]).abs())
        .fold(f32::INFINITY, f32::min)
}

/// Grows quadtree leaves (side per top-left pixel, 0 where none) of one page
/// by joining four equal flat neighbours, up to `MAX_BLOCK`.
fn merge_blocks(ldi: &Ldi, page: &[u32], layered: &[bool], leaf: &mut [u8], tol: f32) {
    let (w, h) = (ldi.width, ldi.height);
    let mut s = 2;
    while s <= MAX_BLOCK {
        let half = s / 2;
        for by in (0..h.saturating_sub(s)).step_by(s) {
            for bx in (0..w.saturating_sub(s)).step_by(s) {
                let i = by * w + bx;
                let quads = [i, i + half, i + half * w, i + half * w + half];
                if quads.iter().all(|&q| leaf[q] as usize == half)
                    && is_flat(ldi, page, layered, i, s, tol)
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
/// depth) of the block's two triangles, split like `build_mesh` splits a cell,
/// and within its [`slack`] where `layered` (more than one layer at the pixel).
/// An infinite `tol` merges regardless.
fn is_flat(ldi: &Ldi, page: &[u32], layered: &[bool], i: usize, s: usize, tol: f32) -> bool {
    if tol.is_infinite() {
        return true;
    }
    let w = ldi.width;
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
            let pixel = i + y * w + x;
            let off = (inv(x, y) - fit).abs();
            off <= tol && (!layered[pixel] || off <= slack(ldi, page[pixel], pixel))
        })
    })
}

/// Triangles of one leaf: its two cell triangles, or, where neighbours use
/// points along its sides, a fan from its centre through all of them so no
/// crack opens at T-junctions.
fn block_triangles(
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
