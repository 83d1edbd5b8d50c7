//! Which hidden surfaces a camera can see at all. A node behind the photo's
//! own surface shows only once the front surface slides off it, and it slides
//! by at most (reach × inverse-depth gap) pixels, where the reach grows with
//! the camera's move. So each hidden node gets the reach it needs before it
//! can show, and a frame skips the faces that need more than its camera has.
//!
//! The bound: seen from a camera at −t (any rotation: visibility depends on
//! the centre only), a point at pixel q with inverse depth d moves by
//! (f·t_xy·d − t_z·d·(q − c)) / (1 + t_z·d). For a front point p near q the
//! move relative to q's is a(q)·(d_p − d_q)·|f·t_xy − t_z·(q − c)| beside a
//! scaling of p − q by a(p) = 1 / (1 + t_z·d_p) > 0, so when the front surface
//! is whole over the square of radius r around q and that relative move stays
//! under r on the square's border, the moved square still covers q's new
//! position, with a point in front of it.

use super::camera::{Camera, IDENTITY};
use crate::ldi::{Ldi, DOWN, LEFT, NONE, RIGHT, UP};
use crate::prepare::Intrinsics;
use rayon::prelude::*;

/// Pixels a face's point may lie from the node whose need it takes (a cell
/// and a half-pixel edge offset), plus half a pixel to spare.
const MARGIN: f32 = 2.0;

/// Front surfaces closer to the camera than this share of their depth are
/// not trusted to hide anything (the near plane, huge projections).
const MIN_DEPTH_SHARE: f32 = 0.25;

/// What a camera's move is measured against: the scene's intrinsics, the
/// canvas extent around the principal point, and its largest inverse depth.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reach {
    fx: f32,
    fy: f32,
    /// Canvas extent, in pixels from the principal point, across and down.
    x: [f32; 2],
    y: [f32; 2],
    inverse_depth_max: f32,
}

impl Reach {
    /// The reach of `camera` (pixels of move per unit of inverse-depth gap);
    /// infinite for a turned camera or one too close to the scene.
    pub fn of(&self, camera: &Camera) -> f32 {
        let [tx, ty, tz] = camera.translation;
        let closest = 1.0 + tz.min(0.0) * self.inverse_depth_max;
        if camera.rotation != IDENTITY || closest.is_nan() || closest < MIN_DEPTH_SHARE {
            return f32::INFINITY;
        }
        let across = |f: f32, t: f32, [lo, hi]: [f32; 2]| {
            (f * t - tz * lo).abs().max((f * t - tz * hi).abs())
        };
        let reach = across(self.fx, tx, self.x).max(across(self.fy, ty, self.y)) / closest;
        if reach.is_finite() {
            reach
        } else {
            f32::INFINITY
        }
    }
}

/// Per node, the reach a camera needs before the node can show (0 for the
/// photo's own surface and for nodes it cannot keep hidden), with the
/// [`Reach`] of the scene. `tolerance` is how far (in inverse depth) the drawn
/// surfaces may depart from their nodes.
pub fn node_needs(ldi: &Ldi, k: &Intrinsics, tolerance: f32) -> (Vec<f32>, Reach) {
    let (w, h) = (ldi.width, ldi.height);
    let front: Vec<f32> = (0..w * h)
        .map(|p| match ldi.first_layer[p] {
            // Never inside a whole square: any value does.
            NONE => 0.0,
            n => 1.0 / ldi.depth[n as usize],
        })
        .collect();
    let inverse_depth_max =
        ldi.depth
            .iter()
            .map(|z| 1.0 / z)
            .fold(0.0f32, |m, d| if d > m { d } else { m });
    let frame = ldi.frame as f32;
    let reach = Reach {
        fx: k.fx,
        fy: k.fy,
        x: [-frame - 1.0 - k.cx, w as f32 - frame + 1.0 - k.cx],
        y: [-frame - 1.0 - k.cy, h as f32 - frame + 1.0 - k.cy],
        inverse_depth_max,
    };
    let whole = whole_distance(ldi);
    let hidden: Vec<u32> = (0..ldi.node_count() as u32)
        .filter(|&n| ldi.first_layer[ldi.pixel[n as usize] as usize] != n)
        .collect();
    // Inverse depths the hidden node's surface spans around it, widened by
    // the tolerance of both surfaces.
    let spans: Vec<[f32; 2]> = (hidden.par_iter())
        .map(|&n| {
            let [lo, hi] = surface_span(ldi, n as usize);
            [lo - 2.0 * tolerance, hi + 2.0 * tolerance]
        })
        .collect();
    let mut best = vec![0f32; hidden.len()];
    // The largest square any hidden node's surroundings allow.
    let max_r = (hidden.iter())
        .map(|&n| whole[ldi.pixel[n as usize] as usize].saturating_sub(1) as usize)
        .max()
        .unwrap_or(0);
    for_each_square(&front, w, h, max_r, |r, near, far| {
        let usable = r as f32 - MARGIN;
        if usable <= 0.0 {
            return;
        }
        (best.par_iter_mut().zip(&hidden).zip(&spans)).for_each(|((best, &n), &[lo, hi])| {
            let p = ldi.pixel[n as usize] as usize;
            // The square must be whole: no border of the front surface in it.
            if whole[p] as usize <= r || far[p] - 2.0 * tolerance <= hi {
                return;
            }
            let need = usable / (near[p] + 2.0 * tolerance - lo);
            if need > *best {
                *best = need;
            }
        });
    });
    let mut needs = vec![0f32; ldi.node_count()];
    for (&n, &need) in hidden.iter().zip(&best) {
        needs[n as usize] = need;
    }
    (needs, reach)
}

/// Smallest and largest inverse depth of node `n` and the nodes linked
/// around it (its 3×3 on its own surface).
fn surface_span(ldi: &Ldi, n: usize) -> [f32; 2] {
    let mut span = [f32::INFINITY, f32::NEG_INFINITY];
    let mut add = |m: u32| {
        if m != NONE {
            let d = 1.0 / ldi.depth[m as usize];
            span = [span[0].min(d), span[1].max(d)];
        }
    };
    for across in [ldi.links[n][LEFT], n as u32, ldi.links[n][RIGHT]] {
        add(across);
        if across != NONE {
            add(ldi.links[across as usize][UP]);
            add(ldi.links[across as usize][DOWN]);
        }
    }
    span
}

/// Per pixel, the chessboard distance to the nearest pixel where the front
/// surface is not whole: no front node, or a side not linked to the front
/// node beside it (a cut, the canvas border, a link into a hidden layer).
fn whole_distance(ldi: &Ldi) -> Vec<u32> {
    let (w, h) = (ldi.width, ldi.height);
    let mut distance: Vec<u32> = (0..w * h)
        .map(|p| {
            let n = ldi.first_layer[p];
            let (x, y) = (p % w, p / w);
            let neighbours = [
                (x > 0).then(|| p - 1),
                (x + 1 < w).then(|| p + 1),
                (y > 0).then(|| p - w),
                (y + 1 < h).then(|| p + w),
            ];
            let whole = n != NONE
                && [LEFT, RIGHT, UP, DOWN]
                    .iter()
                    .zip(neighbours)
                    .all(|(&dir, q)| {
                        q.is_some_and(|q| ldi.links[n as usize][dir] == ldi.first_layer[q])
                    });
            if whole {
                u32::MAX
            } else {
                0
            }
        })
        .collect();
    // Two passes of the 8-neighbour chamfer with unit steps.
    for y in 0..h {
        for x in 0..w {
            let mut d = distance[y * w + x];
            for (dx, dy) in [(-1, 0), (-1, -1), (0, -1), (1, -1)] {
                d = d.min(step(&distance, w, h, x, y, dx, dy));
            }
            distance[y * w + x] = d;
        }
    }
    for y in (0..h).rev() {
        for x in (0..w).rev() {
            let mut d = distance[y * w + x];
            for (dx, dy) in [(1, 0), (1, 1), (0, 1), (-1, 1)] {
                d = d.min(step(&distance, w, h, x, y, dx, dy));
            }
            distance[y * w + x] = d;
        }
    }
    distance
}

/// The distance at pixel (x + dx, y + dy) plus one; 1 off the canvas (its
/// outside is not whole).
fn step(distance: &[u32], w: usize, h: usize, x: usize, y: usize, dx: isize, dy: isize) -> u32 {
    let (nx, ny) = (x as isize + dx, y as isize + dy);
    if nx < 0 || ny < 0 || nx >= w as isize || ny >= h as isize {
        return 1;
    }
    distance[ny as usize * w + nx as usize].saturating_add(1)
}

/// Calls `visit(r, near, far)` with, per pixel, the largest and smallest of
/// `values` over the square of radius r around it, for r = 1, 2, 3, 4, 6, 8,
/// 12, … up to `max_r` (squares reaching off the canvas clamp to it).
fn for_each_square(
    values: &[f32],
    w: usize,
    h: usize,
    max_r: usize,
    mut visit: impl FnMut(usize, &[f32], &[f32]),
) {
    if max_r == 0 {
        return;
    }
    let both = |square: (&[f32], &[f32]), shifts: &[isize]| {
        (
            grow(square.0, w, h, shifts, f32::max),
            grow(square.1, w, h, shifts, f32::min),
        )
    };
    let (near, far) = both((values, values), &[-1, 0, 1]);
    visit(1, &near, &far);
    // Two chains, 2, 4, 8, … and 3, 6, 12, …: a square of radius a + b is
    // the union of the four of radius a shifted by (±b, ±b), for b ≤ a.
    let (near, far) = both((&near, &far), &[-1, 1]);
    let three = both((&near, &far), &[-1, 1]);
    let mut chains = [(2, near, far), (3, three.0, three.1)];
    while chains.iter().any(|c| c.0 <= max_r) {
        for (r, near, far) in &mut chains {
            if *r <= max_r {
                visit(*r, near, far);
                let shift = *r as isize;
                (*near, *far) = both((near, far), &[-shift, shift]);
                *r *= 2;
            }
        }
    }
}

/// Per pixel, `pick` over `square` at the pixel shifted by every (dx, dy) of
/// `shifts` (clamped to the canvas): a pass along the rows, then one down
/// the columns.
fn grow(
    square: &[f32],
    w: usize,
    h: usize,
    shifts: &[isize],
    pick: impl Fn(f32, f32) -> f32 + Copy + Sync,
) -> Vec<f32> {
    let mut across = vec![0f32; w * h];
    across
        .par_chunks_mut(w)
        .zip(square.par_chunks(w))
        .for_each(|(out, row)| {
            out.copy_from_slice(row);
            let (first, last) = (row[0], row[w - 1]);
            for &s in shifts {
                for (x, value) in out.iter_mut().enumerate() {
                    let from = x as isize + s;
                    let v = if from < 0 {
                        first
                    } else if from >= w as isize {
                        last
                    } else {
                        row[from as usize]
                    };
                    *value = pick(*value, v);
                }
            }
        });
    let mut out = across.clone();
    out.par_chunks_mut(w).enumerate().for_each(|(y, out)| {
        for &s in shifts {
            let from = (y as isize + s).clamp(0, h as isize - 1) as usize;
            let row = &across[from * w..from * w + w];
            for (value, &v) in out.iter_mut().zip(row) {
                *value = pick(*value, v);
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edges::{find_cuts, CutRule};
    use crate::ldi::origin;

    /// A 40×40 far plane (depth 4) with a near square (depth 1) over pixels
    /// 10..30, and the plane continued behind the square as a hidden layer.
    fn layered() -> (Ldi, Intrinsics, Vec<u32>) {
        let n = 40;
        let near = |i: usize| (10..30).contains(&(i % n)) && (10..30).contains(&(i / n));
        let depth: Vec<f32> = (0..n * n)
            .map(|i| if near(i) { 1.0 } else { 4.0 })
            .collect();
        let cuts = find_cuts(&depth, n, n, 0.04, CutRule::Step);
        let mut ldi = Ldi::from_grid(
            &depth,
            &vec![[9; 3]; n * n],
            &vec![origin::ORIGINAL; n * n],
            &cuts,
            0,
        );
        let mut hidden = vec![NONE; n * n];
        for p in (0..n * n).filter(|&p| near(p)) {
            hidden[p] = ldi.push_node(p, 4.0, [7; 3], origin::INPAINTED);
        }
        for p in (0..n * n).filter(|&p| near(p)) {
            for (dir, q) in [(RIGHT, p + 1), (DOWN, p + n)] {
                if near(q) {
                    let (a, b) = (hidden[p] as usize, hidden[q]);
                    ldi.links[a][dir] = b;
                    ldi.links[b as usize][dir ^ 1] = a as u32;
                }
            }
        }
        (ldi, Intrinsics::reference((40, 40), (40, 40)), hidden)
    }

    #[test]
    fn nodes_deep_behind_the_front_need_more_reach_than_those_by_its_edge() {
        let (ldi, k, hidden) = layered();
        let (needs, reach) = node_needs(&ldi, &k, 0.0);
        // The photo's own surface shows to every camera.
        assert!((0..1600).all(|p| needs[ldi.first_layer[p] as usize] == 0.0));
        let centre = needs[hidden[20 * 40 + 20] as usize];
        let edge = needs[hidden[20 * 40 + 11] as usize];
        // Nine pixels from the square's edge, behind an inverse-depth gap of
        // 0.75: the largest square tried is radius 8, (8 - 2) / 0.75 = 8.
        assert!((centre - 8.0).abs() < 1e-4, "centre needs {centre}");
        assert_eq!(edge, 0.0);
        let camera = Camera::original(&k, 40, 40);
        assert_eq!(reach.of(&camera), 0.0);
        // A sideways move of t has reach fx·t: a gap of Δd moves by fx·t·Δd pixels.
        let moved = reach.of(&camera.posed([0.1, 0.0, 0.0], 1.0));
        assert!((moved - k.fx * 0.1).abs() < 1e-3, "{moved}");
        assert!(reach
            .of(&camera.rotated([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]]))
            .is_infinite());
        // Too close to the nearest surface (inverse depth 1): no bound.
        assert!(reach.of(&camera.posed([0.0, 0.0, -0.9], 1.0)).is_infinite());
    }
}
