//! 16-bit grayscale PNG encoding, and the depth.png writer: a map normalised
//! to the full 16-bit range.

use std::io::Cursor;
use std::path::Path;

use super::checks::DepthFileError;
use super::write::normalised_u16;
use crate::map::FloatMap;
use image::{ImageBuffer, ImageFormat, Luma};

/// Writes `map` as a 16-bit grayscale PNG, min–max normalised over its finite values to
/// 0..65535 (a constant map, or one with no finite value, becomes all zeros; NaN/inf
/// become 0). Writes `path` directly: the caller handles any atomic rename.
pub fn write_depth_png16(map: &FloatMap, path: &Path) -> Result<(), DepthFileError> {
    let (w, h) = map.dimensions();
    let write_err = |detail: String| DepthFileError::Write {
        path: path.into(),
        detail,
    };
    let bytes = encode_png16(w, h, normalised_u16(map)).map_err(write_err)?;
    std::fs::write(path, bytes).map_err(|e| write_err(e.to_string()))
}

/// A `width`×`height` 16-bit grayscale PNG of `values` (row-major).
pub(super) fn encode_png16(width: u32, height: u32, values: Vec<u16>) -> Result<Vec<u8>, String> {
    if width == 0 || height == 0 {
        return Err(format!(
            "cannot write an empty {width}×{height} depth map as PNG"
        ));
    }
    let image: ImageBuffer<Luma<u16>, Vec<u16>> = ImageBuffer::from_raw(width, height, values)
        .ok_or_else(|| "internal size mismatch".to_string())?;
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, ImageFormat::Png).map_err(|e| {
        e.to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    })?;
    Ok(out.into_inner())
}
