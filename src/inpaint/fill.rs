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
    (0..n)
        .map(|i| {
            if !target[i] || !known[i] {
                return f32::NAN;
            }
            let front = 1.0 / ldi.depth[region.hole[i] as usize];
            let d = values[i][0];
            if front - 1.0 / d > threshold {
                return d;
            }
            // Just beyond the jump, so that the cut rule sees one.
            let behind = front - threshold * 1.01;
            if behind > 0.0 {
                1.0 / behind
            } else {
                f32::NAN
            }
        })
        .collect()
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
