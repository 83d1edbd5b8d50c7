//! The core map type: a dense grid of one f32 per pixel, shared by every stage.

use rayon::prelude::*;

/// A dense row-major map of one f32 per pixel (depth, disparity, weights…).
pub type FloatMap = image::ImageBuffer<image::Luma<f32>, Vec<f32>>;

/// A map of `f(x, y)` at every pixel, like `FloatMap::from_fn`, rows in parallel.
pub fn par_from_fn(w: u32, h: u32, f: impl Fn(u32, u32) -> f32 + Sync) -> FloatMap {
    let mut values = vec![0.0; w as usize * h as usize];
    (values.par_chunks_mut((w as usize).max(1)).enumerate()).for_each(|(y, row)| {
        for (x, v) in row.iter_mut().enumerate() {
            *v = f(x as u32, y as u32);
        }
    });
    FloatMap::from_raw(w, h, values).expect("a buffer of w × h values")
}

/// Largest relative difference of aspect ratio accepted between a photo and its depth map.
pub const ASPECT_TOLERANCE: f64 = 0.02;

/// Whether a depth map of `depth` size (w, h) has the aspect ratio of a photo of
/// `photo` size, within [`ASPECT_TOLERANCE`]; an empty map never does. A map
/// turned by 90 degrees does not match: nothing says which way to turn it back.
pub fn aspect_matches(depth: (u32, u32), photo: (u32, u32)) -> bool {
    let aspect = |(w, h): (u32, u32)| f64::from(w) / f64::from(h.max(1));
    depth.0 > 0 && depth.1 > 0 && (aspect(depth) / aspect(photo) - 1.0).abs() <= ASPECT_TOLERANCE
}
