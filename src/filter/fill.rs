//! Hole filling of maps: non-finite values replaced from their valid neighbours.

use crate::grid::propagate_mean;
use crate::map::FloatMap;

/// Replaces non-finite values by the mean of valid neighbours, ring by ring.
/// Returns None when no value is valid.
pub fn fill_non_finite(map: &mut FloatMap) -> Option<()> {
    let (w, h) = (map.width() as usize, map.height() as usize);
    let mut values: Vec<[f32; 1]> = map.pixels().map(|p| [p[0]]).collect();
    let mut known: Vec<bool> = values.iter().map(|v| v[0].is_finite()).collect();
    if !known.iter().any(|&k| k) {
        return None;
    }
    let target = vec![true; w * h];
    propagate_mean(w, h, &mut values, &mut known, &target);
    for (p, v) in map.pixels_mut().zip(&values) {
        p[0] = v[0];
    }
    Some(())
}
