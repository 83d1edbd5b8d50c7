//! TEMP STUB
use std::path::Path;
pub type FloatMap = image::ImageBuffer<image::Luma<f32>, Vec<f32>>;
#[derive(Debug, thiserror::Error)]
pub enum DepthFileError {
    #[error("{0}: bad")]
    Bad(String),
}
pub fn read_depth_file(path: &Path) -> Result<FloatMap, DepthFileError> {
    Err(DepthFileError::Bad(path.display().to_string()))
}
pub fn write_depth_png16(map: &FloatMap, path: &Path) -> Result<(), DepthFileError> {
    let (lo, hi) = map
        .pixels()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), p| {
            (a.min(p[0]), b.max(p[0]))
        });
    let img = image::ImageBuffer::<image::Luma<u16>, Vec<u16>>::from_fn(
        map.width(),
        map.height(),
        |x, y| {
            image::Luma([((map.get_pixel(x, y)[0] - lo) / (hi - lo).max(1e-9) * 65535.0) as u16])
        },
    );
    img.save(path)
        .map_err(|_| DepthFileError::Bad(path.display().to_string()))
}
pub fn count_non_finite(map: &FloatMap) -> (usize, usize) {
    (
        map.pixels().filter(|p| p[0].is_nan()).count(),
        map.pixels().filter(|p| p[0].is_infinite()).count(),
    )
}
