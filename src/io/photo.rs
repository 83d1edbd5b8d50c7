//! TEMP STUB
use std::path::Path;
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("{0}: bad")]
    Bad(String),
}
pub struct Photo {
    pub rgb: image::RgbImage,
    pub had_alpha: bool,
    pub orientation_applied: u8,
    pub source_bit_depth: u8,
}
pub fn load_photo(path: &Path) -> Result<Photo, PhotoError> {
    let img = image::open(path).map_err(|_| PhotoError::Bad(path.display().to_string()))?;
    Ok(Photo {
        rgb: img.to_rgb8(),
        had_alpha: false,
        orientation_applied: 1,
        source_bit_depth: 8,
    })
}
