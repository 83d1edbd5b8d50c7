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

/// Fills the unknown values of a disparity map (larger = nearer) the way
/// stereo occlusions are filled: along each row, a run of non-finite values
/// takes the smaller disparity of its two ends, the far side that the near
/// object hid from the other camera (a run at the row's end takes its one
/// end). Rows with no known value are then filled by [`fill_non_finite`].
/// Returns None when no value is valid.
pub fn fill_from_far_side(map: &mut FloatMap) -> Option<()> {
    let w = map.width() as usize;
    for row in map.as_mut().chunks_mut(w) {
        let mut x = 0;
        while x < w {
            if row[x].is_finite() {
                x += 1;
                continue;
            }
            let end = (x..w).find(|&e| row[e].is_finite()).unwrap_or(w);
            let before = x.checked_sub(1).map(|b| row[b]);
            let after = row.get(end).copied();
            let far = match (before, after) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (one, other) => one.or(other),
            };
            if let Some(far) = far {
                row[x..end].fill(far);
            }
            x = end;
        }
    }
    fill_non_finite(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    #[test]
    fn occlusion_runs_take_the_far_end_and_empty_rows_their_neighbours() {
        let row = [9.0, f32::NAN, f32::NAN, 2.0, 2.0, f32::NAN, 7.0, f32::NAN];
        let mut map = FloatMap::from_fn(8, 2, |x, y| {
            Luma([if y == 0 { row[x as usize] } else { f32::NAN }])
        });
        fill_from_far_side(&mut map).unwrap();
        let filled: Vec<f32> = (0..8).map(|x| map.get_pixel(x, 0)[0]).collect();
        assert_eq!(filled, [9.0, 2.0, 2.0, 2.0, 2.0, 2.0, 7.0, 7.0]);
        assert_eq!(map.get_pixel(3, 1)[0], 2.0);
        let mut unknown = FloatMap::from_pixel(3, 3, Luma([f32::INFINITY]));
        assert!(fill_from_far_side(&mut unknown).is_none());
    }
}
