//! Decimation: flat, fully linked regions merged into larger quads under a triangle budget,
//! never across a cut.

use super::atlas::{Corner, Layout, Tile, TILE};
use crate::ldi::{Ldi, NONE};
use crate::prepare::Intrinsics;
use rayon::prelude::*;

/// Side of the texels a tile's blocks read: the tile and the first row and
/// column of its neighbours.
const SPAN: usize = TILE + 1;

/// Camera shift (scene units) at which merged surfaces are held to `PIXEL_ERROR`;
/// the largest shift of the reference's paths and of the web viewer.
pub const MAX_SHIFT: f32 = 0.05;

/// On-screen deviation (pixels) a merge may cause at `MAX_SHIFT` while the
/// budget allows; the tolerance doubles until the budget is met. One pixel
/// at the largest shift: against 0.25 px it scored the same or better on the
/// real-scene benchmark (merging smooths stepped disparity) and left a third
/// fewer triangles to draw on a real depth map.
const PIXEL_ERROR: f32 = 1.0;

/// Side (pixels) of the squares of a tile by which its leaves are listed,
/// square by square, so that consecutive blocks lie together: the renderer
/// culls hidden faces a run of them at a time.
pub(crate) const SPOT: usize = 8;

/// Tolerance doublings tried before merging regardless of flatness.
const MAX_DOUBLINGS: usize = 16;

/// Triangles of a decimated mesh.
pub(crate) struct Triangles<'a> {
    /// Per tile of the layout, the triangles of its merged blocks of fully
    /// linked cells: every texel inside a block's square is a node of the
    /// block's surface.
    pub(crate) blocks: Vec<Vec<[Corner; 3]>>,
    /// Per tile, how many of its triangles in `blocks` each merged block
    /// has, in order (two, or a fan's count).
    pub(crate) block_sizes: Vec<Vec<u32>>,
    /// Mesh faces outside fully linked cells (along cuts), kept as they are.
    pub(crate) lone: &'a [[Corner; 3]],
}

impl Triangles<'_> {
    pub(crate) fn len(&self) -> usize {
        self.blocks.iter().map(Vec::len).sum::<usize>() + self.lone.len()
    }
}

/// Merges flat regions until the triangle count fits `max_triangles` (or no
/// more merging is possible) and returns the triangles.
pub(crate) fn decimate<'a>(
    ldi: &Ldi,
    layout: &'a Layout,
    k: &Intrinsics,
    max_triangles: usize,
) -> Triangles<'a> {
    let fits = |t: &Triangles| t.len() <= max_triangles;
    let finest = finest_tolerance(k);
    let triangles = triangulate(ldi, layout, finest);
    if fits(&triangles) {
        return triangles;
    }
    // A block's fit stays within the inverse depths of its corners, so past
    // this tolerance every block passes it and only the slack holds merges
    // back. The count falls as the tolerance grows: when even this one
    // misses the budget, no finite tolerance meets it.
    let flat_anyway = 2.0 * inverse_depth_span(ldi);
    if finest >= flat_anyway || !fits(&triangulate(ldi, layout, flat_anyway)) {
        return triangulate(ldi, layout, f32::INFINITY);
    }
    let mut tol = finest;
    for _ in 0..MAX_DOUBLINGS {
        tol *= 2.0;
        let triangles = triangulate(ldi, layout, tol);
        if fits(&triangles) {
            return triangles;
        }
    }
    triangulate(ldi, layout, f32::INFINITY)
}

/// The inverse-depth error that moves a point by `PIXEL_ERROR` at the
/// largest shift: how far a block of the render mesh may depart from its nodes.
pub(crate) fn finest_tolerance(k: &Intrinsics) -> f32 {
    PIXEL_ERROR / (k.fx.max(k.fy) * MAX_SHIFT)
}

/// Largest minus smallest inverse depth of the LDI's nodes (0 when empty).
fn inverse_depth_span(ldi: &Ldi) -> f32 {
    let (lo, hi) = ldi
        .depth
        .iter()
        .map(|d| 1.0 / d)
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo <= hi {
        hi - lo
    } else {
        0.0
    }
}

/// All triangles with cells merged into quadtree blocks, tile by tile, where
/// inverse depth departs from the block's two-triangle surface by at most
/// `tol` and each node's [`slack`].
fn triangulate<'a>(ldi: &Ldi, layout: &'a Layout, tol: f32) -> Triangles<'a> {
    let leaves: Vec<Vec<Leaf>> = layout
        .tiles
        .par_iter()
        .map(|tile| merge_blocks(&Surface::of(ldi, layout, tile), tile, ldi, tol))
        .collect();
    // Nodes that are a corner of some leaf or lone triangle, on any page: a
    // node can sit on several pages, and a block side passing through one
    // must go through it too, or a crack opens at the T-junction.
    let mut corner = vec![false; ldi.node_count()];
    for (tile, leaves) in layout.tiles.iter().zip(&leaves) {
        for &(x, y, s) in leaves {
            for (dx, dy) in [(0, 0), (s, 0), (0, s), (s, s)] {
                corner[layout.node_in_tile(tile, x + dx, y + dy) as usize] = true;
            }
        }
    }
    for &t in &layout.triangles {
        for c in t {
            corner[layout.node_of(c) as usize] = true;
        }
    }
    let (blocks, block_sizes) = layout
        .tiles
        .par_iter()
        .zip(&leaves)
        .map(|(tile, leaves)| {
            // Two triangles per leaf but for the fans.
            let mut out = Vec::with_capacity(2 * leaves.len());
            let mut ring = Vec::with_capacity(4 * TILE);
            let sizes = leaves
                .iter()
                .map(|&leaf| {
                    let before = out.len();
                    block_triangles(layout, tile, leaf, &corner, &mut ring, &mut out);
                    (out.len() - before) as u32
                })
                .collect();
            (out, sizes)
        })
        .unzip();
    Triangles {
        blocks,
        block_sizes,
        lone: &layout.triangles,
    }
}

/// A quadtree leaf: tile pixel (x, y) of its top-left corner and its side.
type Leaf = (usize, usize, usize);

/// What a tile's merges read, per texel of its SPAN×SPAN square: inverse
/// depth of the page's node and the node's [`slack`] (infinite where the
/// pixel has one layer, NaN where the page has no node).
struct Surface {
    inverse: Vec<f32>,
    slack: Vec<f32>,
}

impl Surface {
    fn of(ldi: &Ldi, layout: &Layout, tile: &Tile) -> Surface {
        let mut inverse = vec![f32::NAN; SPAN * SPAN];
        let mut slack_of = vec![f32::INFINITY; SPAN * SPAN];
        for y in 0..SPAN {
            for x in 0..SPAN {
                let n = layout.node_in_tile(tile, x, y);
                if n == NONE {
                    continue;
                }
                let pixel = ldi.pixel[n as usize] as usize;
                inverse[y * SPAN + x] = 1.0 / ldi.depth[n as usize];
                // Only where the pixel has another layer can a merge need its slack.
                if ldi.layers(pixel).nth(1).is_some() {
                    slack_of[y * SPAN + x] = slack(ldi, n, pixel);
                }
            }
        }
        Surface {
            inverse,
            slack: slack_of,
        }
    }
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

/// The tile's quadtree leaves, [`SPOT`] square by square: its fully linked
/// cells, grown by joining four equal flat neighbours up to the tile's side.
fn merge_blocks(surface: &Surface, tile: &Tile, ldi: &Ldi, tol: f32) -> Vec<Leaf> {
    // Side of the leaf whose top-left corner is at each tile pixel, 0 where none.
    let mut side = [0u8; TILE * TILE];
    for y in 0..TILE {
        for x in 0..TILE {
            if tile.has_cell(x, y) {
                side[y * TILE + x] = 1;
            }
        }
    }
    // A block's far corners must be on the canvas.
    let (x0, y0) = tile.origin;
    let (w, h) = ((ldi.width - x0).min(SPAN), (ldi.height - y0).min(SPAN));
    let mut s = 2;
    while s <= TILE {
        let half = s / 2;
        for y in (0..h.saturating_sub(s)).step_by(s) {
            for x in (0..w.saturating_sub(s)).step_by(s) {
                let i = y * TILE + x;
                let quads = [i, i + half, i + half * TILE, i + half * TILE + half];
                if quads.iter().all(|&q| side[q] as usize == half) && is_flat(surface, x, y, s, tol)
                {
                    quads.iter().for_each(|&q| side[q] = 0);
                    side[i] = s as u8;
                }
            }
        }
        s *= 2;
    }
    let spots = TILE / SPOT;
    (0..spots * spots)
        .flat_map(|spot| {
            let (x0, y0) = (spot % spots * SPOT, spot / spots * SPOT);
            (y0..y0 + SPOT).flat_map(move |y| (x0..x0 + SPOT).map(move |x| (x, y)))
        })
        .filter(|&(x, y)| side[y * TILE + x] > 0)
        .map(|(x, y)| (x, y, side[y * TILE + x] as usize))
        .collect()
}

/// Whether every node of the s×s block at tile pixel (bx, by) lies within
/// `tol` (inverse depth) of the block's two triangles, split like
/// `build_mesh` splits a cell, and within its [`slack`]. An infinite `tol`
/// merges regardless.
fn is_flat(surface: &Surface, bx: usize, by: usize, s: usize, tol: f32) -> bool {
    if tol.is_infinite() {
        return true;
    }
    let at = |x: usize, y: usize| (by + y) * SPAN + bx + x;
    let inv = |x: usize, y: usize| surface.inverse[at(x, y)];
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
            let off = (inv(x, y) - fit).abs();
            off <= tol && off <= surface.slack[at(x, y)]
        })
    })
}

/// Triangles of one leaf: its two cell triangles, or, where neighbours use
/// points along its sides (`corner` nodes), a fan from its centre through all
/// of them so no crack opens at T-junctions. `ring` is scratch.
fn block_triangles(
    layout: &Layout,
    tile: &Tile,
    (bx, by, s): Leaf,
    corner: &[bool],
    ring: &mut Vec<(usize, usize)>,
    out: &mut Vec<[Corner; 3]>,
) {
    let (x0, y0) = (tile.origin.0 + bx, tile.origin.1 + by);
    let at = |x: usize, y: usize| (tile.page, ((y0 + y) * layout.width() + x0 + x) as u32);
    let used = |&(x, y): &(usize, usize)| {
        let n = layout.node_in_tile(tile, bx + x, by + y);
        n != NONE && corner[n as usize]
    };
    ring.clear();
    ring.extend((0..s).map(|x| (x, 0)));
    ring.extend((0..s).map(|y| (s, y)));
    ring.extend((0..s).map(|x| (s - x, s)));
    ring.extend((0..s).map(|y| (0, s - y)));
    ring.retain(used);
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
