//! The core map type: a dense grid of one f32 per pixel, shared by every stage.

/// A dense row-major map of one f32 per pixel (depth, disparity, weights…).
pub type FloatMap = image::ImageBuffer<image::Luma<f32>, Vec<f32>>;
