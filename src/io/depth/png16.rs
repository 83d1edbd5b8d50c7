//! 16-bit grayscale PNG encoding, and the depth.png writer: a map normalised
//! to the full 16-bit range.

use std::io::Cursor;
use std::path::Path;

use super::checks::DepthFileError;
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

/// The finite values of `map` scaled to 0..65535 (a constant map, or one with
/// no finite value, becomes all zeros; NaN/inf become 0).
pub(super) fn normalised_u16(map: &FloatMap) -> Vec<u16> {
    let (lo, hi) = map
        .as_raw()
        .iter()
        .filter(|v| v.is_finite())
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let range = f64::from(hi) - f64::from(lo);
    map.as_raw()
        .iter()
        .map(|&v| {
            if v.is_finite() && range > 0.0 {
                // In 0..=65535 by construction; `as` saturates anyway.
                ((f64::from(v) - f64::from(lo)) / range * 65_535.0).round() as u16
            } else {
                0
            }
        })
        .collect()
}
