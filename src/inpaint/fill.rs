//! Depth fill of a synthesis region from its context only.

use super::region::Region;
use crate::grid::propagate_mean;
use crate::ldi::Ldi;

/// Depth behind the foreground: continued from the context, smoothed, and kept
/// behind the foreground node that hides it. NaN where nothing could be filled.
pub fn fill_depth(region: &Region, ldi: &Ldi) -> Vec<f32> {
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
            let front = ldi.depth[region.hole[i] as usize];
            let d = values[i][0];
            if d <= front {
                front + 0.01
            } else {
                d
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
