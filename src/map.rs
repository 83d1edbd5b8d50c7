//! The core map type: a dense grid of one f32 per pixel, shared by every stage.

/// A dense row-major map of one f32 per pixel (depth, disparity, weights…).
pub type FloatMap = image::ImageBuffer<image::Luma<f32>, Vec<f32>>;

/// Largest relative difference of aspect ratio accepted between a photo and its depth map.
pub const ASPECT_TOLERANCE: f64 = 0.02;

/// Whether a depth map of `depth` size (w, h) has the aspect ratio of a photo of
/// `photo` size, within [`ASPECT_TOLERANCE`]; an empty map never does. A map
/// turned by 90 degrees does not match: nothing says which way to turn it back.
pub fn aspect_matches(depth: (u32, u32), photo: (u32, u32)) -> bool {
    let aspect = |(w, h): (u32, u32)| f64::from(w) / f64::from(h.max(1));
    depth.0 > 0 && depth.1 > 0 && (aspect(depth) / aspect(photo) - 1.0).abs() <= ASPECT_TOLERANCE
}
