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
    // Strips at least eight times as tall as the rows they reach beyond.
    needs_by_strips(ldi, k, tolerance, |max_r| STRIP_ROWS.max(8 * max_r))
}

/// [`node_needs`], its squares found in strips of `strip_rows(max_r)` rows,
/// where max_r is the largest square's radius.
fn needs_by_strips(
    ldi: &Ldi,
    k: &Intrinsics,
    tolerance: f32,
    strip_rows: impl Fn(usize) -> usize,
) -> (Vec<f32>, Reach) {
    let (w, h) = (ldi.width, ldi.height);
    let front: Vec<f32> = (0..w * h)
        .into_par_iter()
        .map(|p| match ldi.first_layer[p] {
            // Never inside a whole square: any value does.
            NONE => 0.0,
            n => 1.0 / ldi.depth[n as usize],
        })
        .collect();
    let larger = |m: f32, d: f32| if d > m { d } else { m };
    let inverse_depth_max = (ldi.depth.par_iter())
        .map(|z| 1.0 / z)
        .reduce(|| 0.0, larger);
    let frame = ldi.frame as f32;
    let reach = Reach {
        fx: k.fx,
        fy: k.fy,
        x: [-frame - 1.0 - k.cx, w as f32 - frame + 1.0 - k.cx],
        y: [-frame - 1.0 - k.cy, h as f32 - frame + 1.0 - k.cy],
        inverse_depth_max,
    };
    let whole = whole_distance(ldi);
    // Hidden nodes that some whole square surrounds, in pixel order so that
    // each level reads the canvases front to back.
    let pending: Vec<Pending> = (0..h)
        .into_par_iter()
        .flat_map_iter(|y| {
            let surrounded = (y * w..y * w + w).filter(|&pixel| whole[pixel] > 1);
            surrounded.flat_map(|pixel| {
                ldi.layers(pixel).skip(1).map(move |n| {
                    // Inverse depths the node's surface spans around it,
                    // widened by the tolerance of both surfaces.
                    let [lo, hi] = surface_span(ldi, n as usize);
                    Pending {
                        node: n,
                        pixel: pixel as u32,
                        span: [lo - 2.0 * tolerance, hi + 2.0 * tolerance],
                        need: 0.0,
                    }
                })
            })
        })
        .collect();
    // The largest square any hidden node's surroundings allow.
    let max_r = (pending.iter())
        .map(|p| whole[p.pixel as usize] as usize - 1)
        .max()
        .unwrap_or(0);
    let mut needs = vec![0f32; ldi.node_count()];
    let mut canvases = Vec::new();
    let strip = strip_rows(max_r).max(1);
    for y0 in (0..h).step_by(strip) {
        let y1 = (y0 + strip).min(h);
        // The strip's squares reach max_r rows above and below it.
        let (top, bottom) = (y0.saturating_sub(max_r), (y1 + max_r).min(h));
        let first = pending.partition_point(|p| (p.pixel as usize) < y0 * w);
        let end = pending.partition_point(|p| (p.pixel as usize) < y1 * w);
        if first == end {
            continue;
        }
        let mut part = pending[first..end].to_vec();
        let values = &front[top * w..bottom * w];
        for_each_square(values, w, max_r, &mut canvases, |r, near, far| {
            // The square must be whole: no border of the front surface in it.
            part.retain(|p| {
                let inside = whole[p.pixel as usize] as usize > r;
                if !inside {
                    needs[p.node as usize] = p.need;
                }
                inside
            });
            let usable = r as f32 - MARGIN;
            if usable <= 0.0 {
                return;
            }
            part.par_iter_mut().for_each(|p| {
                let (q, [lo, hi]) = (p.pixel as usize - top * w, p.span);
                if far[q] - 2.0 * tolerance > hi {
                    p.need = p.need.max(usable / (near[q] + 2.0 * tolerance - lo));
                }
            });
        });
        for p in &part {
            needs[p.node as usize] = p.need;
        }
    }
    (needs, reach)
}

/// Rows whose squares [`node_needs`] finds together (with the rows their
/// squares reach), so that the canvases are a strip's, reused by the next:
/// at 24 MP a whole photo's canvas is 96 MB, and fresh pages cost more to
/// fault in than the passes over them cost to run.
const STRIP_ROWS: usize = 1024;

/// A hidden node whose need is still growing with the squares.
#[derive(Clone)]
struct Pending {
    node: u32,
    pixel: u32,
    /// The inverse depths its surface spans (`surface_span`), widened.
    span: [f32; 2],
    need: f32,
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
    let first = &ldi.first_layer;
    let mut distance = vec![0u32; w * h];
    distance
        .par_chunks_mut(w.max(1))
        .enumerate()
        .for_each(|(y, row)| {
            let inner_row = y > 0 && y + 1 < h;
            for (x, d) in row.iter_mut().enumerate() {
                let p = y * w + x;
                let n = first[p];
                let whole = n != NONE && inner_row && x > 0 && x + 1 < w && {
                    let l = &ldi.links[n as usize];
                    l[LEFT] == first[p - 1]
                        && l[RIGHT] == first[p + 1]
                        && l[UP] == first[p - w]
                        && l[DOWN] == first[p + w]
                };
                if whole {
                    *d = u32::MAX;
                }
            }
        });
    // Two passes of the 8-neighbour chamfer with unit steps: down, then up.
    for y in 0..h {
        let (done, rest) = distance.split_at_mut(y * w);
        let before = y.checked_sub(1).map(|b| &done[b * w..]);
        chamfer_row(&mut rest[..w], before, false);
    }
    for y in (0..h).rev() {
        let (row, after) = distance[y * w..].split_at_mut(w);
        chamfer_row(row, (y + 1 < h).then(|| &after[..w]), true);
    }
    distance
}

/// One row of a chamfer pass: each pixel takes one more than the smallest
/// distance among the three pixels of the row already done beside it
/// (`done`; None off the canvas, whose outside is not whole) and then one
/// more than its neighbour in the scan direction (right to left when
/// `leftward`).
fn chamfer_row(row: &mut [u32], done: Option<&[u32]>, leftward: bool) {
    let w = row.len();
    match done {
        Some(done) => {
            for (x, d) in row.iter_mut().enumerate() {
                let left = if x > 0 { done[x - 1] } else { 0 };
                let right = if x + 1 < w { done[x + 1] } else { 0 };
                let near = left.min(done[x]).min(right);
                *d = (*d).min(near.saturating_add(1));
            }
        }
        None => row.iter_mut().for_each(|d| *d = (*d).min(1)),
    }
    let mut previous = 0u32;
    let mut scan = |d: &mut u32| {
        *d = (*d).min(previous.saturating_add(1));
        previous = *d;
    };
    if leftward {
        row.iter_mut().rev().for_each(&mut scan);
    } else {
        row.iter_mut().for_each(&mut scan);
    }
}

/// Calls `visit(r, near, far)` with, per pixel, the largest and smallest of
/// `values` (rows `w` wide) over the square of radius r around it, for r = 1,
/// 2, 3, 4, 6, 8, 12, … up to `max_r` (squares reaching off the canvas clamp
/// to it). The seven canvases it works in come from `canvases` and go back there.
fn for_each_square(
    values: &[f32],
    w: usize,
    max_r: usize,
    canvases: &mut Vec<Vec<f32>>,
    mut visit: impl FnMut(usize, &[f32], &[f32]),
) {
    if max_r == 0 || values.is_empty() {
        return;
    }
    let mut canvas = || {
        let mut c = canvases.pop().unwrap_or_default();
        c.clear();
        c.resize(values.len(), 0.0);
        c
    };
    let mut scratch = canvas();
    let (mut near, mut far) = (canvas(), canvas());
    let mut two = (canvas(), canvas());
    let mut spare = (canvas(), canvas());
    let mut grown = |from: (&[f32], &[f32]), to: (&mut [f32], &mut [f32]), shift: usize| {
        grow(from.0, to.0, &mut scratch, w, shift, f32::max);
        grow(from.1, to.1, &mut scratch, w, shift, f32::min);
    };
    grown((values, values), (&mut near, &mut far), 1);
    visit(1, &near, &far);
    // Two chains, 2, 4, 8, … and 3, 6, 12, …: a square of radius a + b is
    // the union of the nine of radius a shifted by 0 or ±b across and down
    // (what `grow` takes), for b ≤ a.
    grown((&near, &far), (&mut two.0, &mut two.1), 1);
    let mut three = (near, far);
    grown((&two.0, &two.1), (&mut three.0, &mut three.1), 1);
    let mut chains = [(2, two), (3, three)];
    while chains.iter().any(|c| c.0 <= max_r) {
        for (r, square) in &mut chains {
            if *r <= max_r {
                visit(*r, &square.0, &square.1);
                if 2 * *r <= max_r {
                    grown((&square.0, &square.1), (&mut spare.0, &mut spare.1), *r);
                    std::mem::swap(square, &mut spare);
                }
                *r *= 2;
            }
        }
    }
    let [(_, two), (_, three)] = chains;
    canvases.extend([scratch, two.0, two.1, three.0, three.1, spare.0, spare.1]);
}

/// `pick` over `square` at each pixel and at it shifted by ±`shift` across,
/// down and both (clamped to the canvas) into `out`: a pass along the rows
/// into `across`, then one down the columns; each reads its three inputs at once.
fn grow(
    square: &[f32],
    out: &mut [f32],
    across: &mut [f32],
    w: usize,
    shift: usize,
    pick: impl Fn(f32, f32) -> f32 + Copy + Sync,
) {
    let h = square.len() / w;
    across
        .par_chunks_mut(w)
        .zip(square.par_chunks(w))
        .for_each(|(out, row)| pick_across(out, row, shift, pick));
    let across = &*across;
    let row = |y: usize| &across[y * w..y * w + w];
    out.par_chunks_mut(w).enumerate().for_each(|(y, out)| {
        let (up, down) = (y.saturating_sub(shift), (y + shift).min(h - 1));
        pick_three(out, [row(y), row(up), row(down)], pick);
    });
}

/// `out[x] = pick(pick(row[x], row[x - shift]), row[x + shift])`, with `row`
/// clamped at its ends.
fn pick_across(out: &mut [f32], row: &[f32], shift: usize, pick: impl Fn(f32, f32) -> f32 + Copy) {
    let w = row.len();
    let clamped = |x: usize| {
        pick(
            pick(row[x], row[x.saturating_sub(shift)]),
            row[(x + shift).min(w - 1)],
        )
    };
    // Pixels lo..hi have both shifted neighbours on the row (none when the
    // row is no longer than twice the shift).
    let lo = shift.min(w);
    let hi = w.saturating_sub(shift).max(lo);
    if lo < hi {
        pick_three(
            &mut out[lo..hi],
            [&row[lo..hi], &row[..hi - lo], &row[2 * shift..]],
            pick,
        );
    }
    for x in (0..lo).chain(hi..w) {
        out[x] = clamped(x);
    }
}

/// `out[x] = pick(pick(a[x], b[x]), c[x])`.
fn pick_three(out: &mut [f32], [a, b, c]: [&[f32]; 3], pick: impl Fn(f32, f32) -> f32) {
    for (value, ((&a, &b), &c)) in out.iter_mut().zip(a.iter().zip(b).zip(c)) {
        *value = pick(pick(a, b), c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edges::{find_cuts, CutRule};
    use crate::ldi::origin;

    /// A 40×40 far plane (depth 4) with a near square (depth 1) over pixels
    /// 10..30, and the plane continued behind the square as a hidden layer.
    fn layered() -> (Ldi, Intrinsics, Vec<u32>) {
        layered_with(|_| 1.0)
    }

    /// [`layered`] with the near square's depth at row y `near_depth(y)`.
    fn layered_with(near_depth: impl Fn(usize) -> f32) -> (Ldi, Intrinsics, Vec<u32>) {
        let n = 40;
        let near = |i: usize| (10..30).contains(&(i % n)) && (10..30).contains(&(i / n));
        let depth: Vec<f32> = (0..n * n)
            .map(|i| if near(i) { near_depth(i / n) } else { 4.0 })
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
    fn squares_hold_the_largest_and_smallest_value_within_their_radius() {
        // The narrow canvas has rows shorter than twice the larger shifts.
        for (w, h) in [(23, 17), (5, 31)] {
            // Scattered values, so that every square has its own extremes.
            let values: Vec<f32> = (0..w * h).map(|i| ((i * 7919) % 97) as f32).collect();
            let values = &values[..];
            let mut radii = Vec::new();
            for_each_square(values, w, 13, &mut Vec::new(), |r, near, far| {
                radii.push(r);
                for (i, (&n, &f)) in near.iter().zip(far).enumerate() {
                    let (x, y) = ((i % w) as isize, (i / w) as isize);
                    let r = r as isize;
                    let square = (y - r..=y + r).flat_map(|sy| {
                        (x - r..=x + r).map(move |sx| {
                            let sx = sx.clamp(0, w as isize - 1) as usize;
                            let sy = sy.clamp(0, h as isize - 1) as usize;
                            values[sy * w + sx]
                        })
                    });
                    let (max, min) =
                        square.fold((f32::MIN, f32::MAX), |(a, b), v| (a.max(v), b.min(v)));
                    assert_eq!((n, f), (max, min), "{w}x{h}: radius {r} at ({x}, {y})");
                }
            });
            assert_eq!(radii, [1, 2, 3, 4, 6, 8, 12]);
        }
    }

    #[test]
    fn strips_find_the_needs_of_the_whole_canvas() {
        // A slanted front, so that each square's extremes depend on its rows.
        let (ldi, k, hidden) = layered_with(|y| 1.0 + 0.02 * y as f32);
        let tolerance = 0.001;
        let (whole, _) = needs_by_strips(&ldi, &k, tolerance, |_| usize::MAX);
        assert!(hidden.iter().any(|&n| n != NONE && whole[n as usize] > 0.0));
        for rows in [1, 7, 16] {
            let (strips, _) = needs_by_strips(&ldi, &k, tolerance, |_| rows);
            assert_eq!(strips, whole, "strips of {rows} rows");
        }
    }

    #[test]
    fn whole_distance_is_the_chessboard_distance_to_a_break_in_the_front() {
        // A near square with a one-pixel notch: breaks along its border, in
        // the notch, and off the canvas all around.
        let (w, h) = (31, 23);
        let near = |i: usize| {
            let (x, y) = (i % w, i / w);
            (6..25).contains(&x) && (4..19).contains(&y) && (x, y) != (14, 11)
        };
        let depth: Vec<f32> = (0..w * h)
            .map(|i| if near(i) { 1.0 } else { 4.0 })
            .collect();
        let cuts = find_cuts(&depth, w, h, 0.04, CutRule::Step);
        let origins = vec![origin::ORIGINAL; w * h];
        let ldi = Ldi::from_grid(&depth, &vec![[0; 3]; w * h], &origins, &cuts, 0);
        let distance = whole_distance(&ldi);
        let whole = |x: isize, y: isize| {
            (0..w as isize).contains(&x)
                && (0..h as isize).contains(&y)
                && distance[y as usize * w + x as usize] != 0
        };
        for (i, &d) in distance.iter().enumerate() {
            let (x, y) = ((i % w) as isize, (i / w) as isize);
            let expected = (0..)
                .find(|&r| (y - r..=y + r).any(|sy| (x - r..=x + r).any(|sx| !whole(sx, sy))))
                .unwrap();
            assert_eq!(d, expected as u32, "({x}, {y})");
        }
        assert!(distance.iter().any(|&d| d >= 4));
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
