//! Depth fill of a synthesis region from its context only.

use super::region::Region;
use crate::grid::propagate_mean;
use crate::ldi::Ldi;

/// Depth behind the foreground: continued from the context and smoothed, and
/// at least a jump (`threshold`, in disparity) behind the foreground node that
/// hides it, so that the two part as separate surfaces when the camera moves.
/// NaN where nothing could be filled, or where the foreground is too far for
/// anything to lie a jump behind it.
pub fn fill_depth(region: &Region, ldi: &Ldi, threshold: f32) -> Vec<f32> {
    let n = region.width * region.height;
    let mut values: Vec<[f32; 1]> = region
        .context
        .iter()
        .map(|&c| {
            [if c == crate::ldi::NONE {
                0.0
            } else {
                ldi.depth[c as usize]
            }]
        })
        .collect();
    let mut known: Vec<bool> = (0..n).map(|i| region.is_context(i)).collect();
    let target: Vec<bool> = (0..n).map(|i| region.is_hole(i)).collect();
    propagate_mean(
        region.width,
        region.height,
        &mut values,
        &mut known,
        &target,
    );
    smooth_inside(region, &mut values, &known, 2);
    let mut disparity: Vec<f32> = (0..n)
        .map(|i| {
            if !target[i] || !known[i] {
                return f32::NAN;
            }
            let front = 1.0 / hider_depth(region, ldi, i);
            let fill = 1.0 / values[i][0];
            if front - fill > threshold {
                return fill;
            }
            let behind = just_behind(front, threshold);
            if behind > 0.0 {
                behind
            } else {
                f32::NAN
            }
        })
        .collect();
    bound_slope_to_hiders(region, ldi, threshold, &mut disparity);
    // A hider barely a jump in front of infinity can bound a fill to zero or below.
    disparity
        .iter()
        .map(|&d| if d > 0.0 { 1.0 / d } else { f32::NAN })
        .collect()
}

/// The disparity just beyond a jump behind `front`, so that the cut rule sees one.
fn just_behind(front: f32, threshold: f32) -> f32 {
    front - threshold * 1.01
}

/// Depth of the foreground node that hides hole pixel `i`.
fn hider_depth(region: &Region, ldi: &Ldi, i: usize) -> f32 {
    ldi.depth[region.hole[i] as usize]
}

/// Lowers the fill's disparity so that it rises by at most a jump per pixel
/// from a jump behind any hider, except where it must stay linked to the
/// context. A fill pulled behind its own hider while its neighbour is not
/// would otherwise hang a steep strip of triangles (a "curtain") between
/// them, which new views show in front of the visible surface.
fn bound_slope_to_hiders(region: &Region, ldi: &Ldi, threshold: f32, disparity: &mut [f32]) {
    let (w, h) = (region.width, region.height);
    let filled = |i: usize| !disparity[i].is_nan();
    let mut ceiling: Vec<f32> = (0..w * h)
        .map(|i| {
            if filled(i) {
                just_behind(1.0 / hider_depth(region, ldi, i), threshold)
            } else {
                f32::NAN
            }
        })
        .collect();
    spread_min(w, h, &mut ceiling, threshold);
    // The floor, negated: fills linked to a context node keep their disparity,
    // and those around them may fall below it by a jump per pixel.
    let mut minus_floor: Vec<f32> = (0..w * h)
        .map(|i| {
            if !filled(i) {
                return f32::NAN;
            }
            let links = crate::grid::grid_neighbours(i, w, h).any(|j| {
                region.is_context(j)
                    && (1.0 / ldi.depth[region.context[j] as usize] - disparity[i]).abs()
                        <= threshold
            });
            if links {
                -disparity[i]
            } else {
                f32::INFINITY
            }
        })
        .collect();
    spread_min(w, h, &mut minus_floor, threshold);
    for ((d, ceiling), minus_floor) in disparity.iter_mut().zip(&ceiling).zip(&minus_floor) {
        *d = d.min(ceiling.max(-minus_floor));
    }
}

/// Sets each value to the least of itself and every other value plus `step`
/// per 4-neighbour step between them; NaN marks pixels the paths avoid (a
/// NaN never compares greater, so it is never lowered).
/// Forward and backward chamfer sweeps, repeated while they change anything
/// (the filled pixels need not form a convex shape).
fn spread_min(w: usize, h: usize, values: &mut [f32], step: f32) {
    let mut changed = true;
    while changed {
        changed = false;
        let mut relax = |values: &mut [f32], i: usize, j: usize| {
            if !values[j].is_nan() && values[i] > values[j] + step {
                values[i] = values[j] + step;
                changed = true;
            }
        };
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                if x > 0 {
                    relax(values, i, i - 1);
                }
                if y > 0 {
                    relax(values, i, i - w);
                }
            }
        }
        for y in (0..h).rev() {
            for x in (0..w).rev() {
                let i = y * w + x;
                if x + 1 < w {
                    relax(values, i, i + 1);
                }
                if y + 1 < h {
                    relax(values, i, i + w);
                }
            }
        }
    }
}

/// Jacobi passes averaging each hole pixel with its known 4-neighbours.
fn smooth_inside(region: &Region, values: &mut [[f32; 1]], known: &[bool], passes: usize) {
    let (w, h) = (region.width, region.height);
    for _ in 0..passes {
        let previous = values.to_vec();
        for i in (0..w * h).filter(|&i| region.is_hole(i) && known[i]) {
            let (sum, count) = crate::grid::grid_neighbours(i, w, h)
                .filter(|&n| known[n])
                .fold((previous[i][0], 1), |(s, c), n| (s + previous[n][0], c + 1));
            values[i][0] = sum / count as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edges::find_cuts;
    use crate::ldi::{origin, NONE};

    /// A `w`×`h` patch whose background depth rises by one per row; the middle
    /// columns are hidden by foreground nodes at depth `front`, the rest is context.
    fn ramp_patch(w: usize, h: usize, front: f32) -> (Ldi, Region) {
        let depth: Vec<f32> = (0..w * h).map(|i| 10.0 + (i / w) as f32).collect();
        let cuts = find_cuts(&depth, w, h, 1.0, crate::edges::CutRule::Jump);
        let mut ldi = Ldi::from_grid(
            &depth,
            &vec![[0; 3]; w * h],
            &vec![origin::ORIGINAL; w * h],
            &cuts,
            0,
        );
        let mut region = Region {
            x0: 0,
            y0: 0,
            width: w,
            height: h,
            hole: vec![NONE; w * h],
            ring: vec![0; w * h],
            context: vec![NONE; w * h],
            band: vec![false; w * h],
            guard: vec![false; w * h],
        };
        for i in 0..w * h {
            let x = i % w;
            if (3..w - 3).contains(&x) {
                region.hole[i] = ldi.push_node(i, front, [255, 0, 0], origin::ORIGINAL);
            } else {
                region.context[i] = i as u32;
            }
        }
        (ldi, region)
    }

    #[test]
    fn fill_continues_a_linear_ramp_from_the_context() {
        let (w, h) = (12, 16);
        let (ldi, region) = ramp_patch(w, h, 1.0);
        let filled = fill_depth(&region, &ldi, 0.04);
        for (i, &value) in filled.iter().enumerate() {
            let (x, y) = (i % w, i / w);
            if !region.is_hole(i) {
                assert!(value.is_nan(), "context pixel {x},{y} was filled");
            } else if (3..h - 3).contains(&y) {
                // Away from the top and bottom rows the smoothing sees both sides.
                let expected = 10.0 + y as f32;
                assert!(
                    (value - expected).abs() < 1e-3,
                    "{x},{y}: {} instead of {expected}",
                    value
                );
            } else {
                assert!(value.is_finite() && value > 1.0);
            }
        }
    }

    /// The fill of a 16×16 `ramp_patch` whose hole is hidden by a foreground
    /// at depth 14, except in `near_columns`, hidden by one at depth 1.
    fn fill_behind_two_foregrounds(
        near_columns: std::ops::Range<usize>,
        threshold: f32,
    ) -> (Ldi, Region, Vec<f32>) {
        let (mut ldi, region) = ramp_patch(16, 16, 14.0);
        for i in (0..16 * 16).filter(|&i| near_columns.contains(&(i % 16))) {
            ldi.depth[region.hole[i] as usize] = 1.0;
        }
        let filled = fill_depth(&region, &ldi, threshold);
        (ldi, region, filled)
    }

    #[test]
    fn fill_rises_at_most_a_jump_per_pixel_from_behind_a_hider() {
        // Background disparity 1/10 .. 1/25 by row. Hole columns 3..8 are hidden
        // by a foreground at depth 14, which pushes the upper rows' fill back
        // to a jump behind it; columns 8..13 by one at depth 1, which does not.
        let (w, h, threshold) = (16, 16, 0.01);
        let (ldi, region, filled) = fill_behind_two_foregrounds(8..13, threshold);
        for i in (0..w * h).filter(|&i| region.is_hole(i)) {
            let front = 1.0 / ldi.depth[region.hole[i] as usize];
            assert!(front - 1.0 / filled[i] > threshold, "pixel {i} not behind");
            for j in [i + 1, i + w].into_iter().filter(|&j| j < w * h) {
                if region.is_hole(j) && j % w != 0 {
                    let step = (1.0 / filled[i] - 1.0 / filled[j]).abs();
                    assert!(step <= threshold * 1.001, "{i} to {j}: step {step}");
                }
            }
        }
        // Beside the right context the fill still continues it, and links.
        for y in 3..h - 3 {
            let i = y * w + (w - 4);
            let expected = 10.0 + y as f32;
            assert!(
                (filled[i] - expected).abs() < 1e-3,
                "row {y}: {}",
                filled[i]
            );
        }
    }

    #[test]
    fn fill_beside_the_context_stays_linked_to_it() {
        // As above, but the near foreground hides only columns 11 and 12, so
        // the bound from behind the far one would pull the top rows' fill
        // beside the right context off it: a tear when the camera moves.
        let (w, h, threshold) = (16, 16, 0.01);
        let (ldi, region, filled) = fill_behind_two_foregrounds(11..13, threshold);
        for y in 0..h {
            let (hole, context) = (y * w + w - 4, y * w + w - 3);
            let gap =
                (1.0 / filled[hole] - 1.0 / ldi.depth[region.context[context] as usize]).abs();
            assert!(gap <= threshold, "row {y}: {gap}");
        }
    }

    #[test]
    fn spread_min_follows_paths_around_gaps() {
        // A U-shaped field (NaN in the middle of the top rows) whose one seed
        // at the top left reaches the top right only around the bottom.
        let (w, h) = (5, 4);
        let mut values = vec![f32::INFINITY; w * h];
        for y in 0..3 {
            values[y * w + 2] = f32::NAN;
        }
        values[0] = 0.0;
        spread_min(w, h, &mut values, 1.0);
        assert_eq!(values[4], 10.0);
        assert_eq!(values[3 * w + 2], 5.0);
        assert!(values[2].is_nan());
    }

    #[test]
    fn fill_lies_a_jump_behind_the_foreground() {
        // Background disparity 1/10 .. 1/25 by row. A foreground at depth 12 is
        // within a jump (0.01) of the rows up to depth 13 and in front of the
        // rest by more: those keep their fill, the others move back.
        let (ldi, region) = ramp_patch(10, 16, 12.0);
        let filled = fill_depth(&region, &ldi, 0.01);
        for i in (0..160).filter(|&i| region.is_hole(i)) {
            let row_depth = 10.0 + (i / 10) as f32;
            let gap = 1.0 / 12.0 - 1.0 / filled[i];
            assert!(gap > 0.01, "row depth {row_depth}: {}", filled[i]);
            if 1.0 / 12.0 - 1.0 / row_depth > 0.011 && (3..13).contains(&(i / 10)) {
                assert!(
                    (filled[i] - row_depth).abs() < 1e-3,
                    "row depth {row_depth}: {}",
                    filled[i]
                );
            } else if row_depth < 13.5 {
                assert!(gap < 0.0102, "row depth {row_depth}: gap {gap}");
            }
        }
        // Nothing lies a jump behind a foreground nearly at infinity.
        let (ldi, region) = ramp_patch(10, 16, 1000.0);
        let filled = fill_depth(&region, &ldi, 0.01);
        assert!((0..160)
            .filter(|&i| region.is_hole(i))
            .all(|i| filled[i].is_nan()));
    }
}
