//! Colour fill of a synthesis region from its context only.

use super::region::Region;
use crate::grid::propagate_mean;
use crate::ldi::{Ldi, NONE};

/// Colour for every hole pixel, drawn from context pixels only (never from the
/// foreground that hides the hole). Unfilled pixels stay black.
pub fn fill_colour(region: &Region, ldi: &Ldi, _depth: &[f32]) -> Vec<[u8; 3]> {
    let n = region.width * region.height;
    let mut values: Vec<[f32; 3]> = region
        .context
        .iter()
        .map(|&c| {
            if c == NONE {
                [0.0; 3]
            } else {
                ldi.color[c as usize].map(f32::from)
            }
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
    values
        .iter()
        .map(|v| v.map(|c| c.round().clamp(0.0, 255.0) as u8))
        .collect()
}
