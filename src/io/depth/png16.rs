//! The depth.png writer: a map normalised to a 16-bit grayscale PNG.

use std::path::Path;

use super::checks::DepthFileError;
use crate::map::FloatMap;
use image::{ImageBuffer, ImageFormat, Luma};

/// Writes `map` as a 16-bit grayscale PNG, min–max normalised over its finite values to
/// 0..65535 (a constant map, or one with no finite value, becomes all zeros; NaN/inf
/// become 0). Writes `path` directly: the caller handles any atomic rename.
pub fn write_depth_png16(map: &FloatMap, path: &Path) -> Result<(), DepthFileError> {
    let (w, h) = map.dimensions();
    if w == 0 || h == 0 {
        return Err(DepthFileError::Write {
            path: path.into(),
            detail: format!("cannot write an empty {w}×{h} depth map as PNG"),
        });
    }
    let (lo, hi) = map
        .as_raw()
        .iter()
        .filter(|v| v.is_finite())
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let range = f64::from(hi) - f64::from(lo);
    let data: Vec<u16> = map
        .as_raw()
        .iter()
        .map(|&v| {
            if v.is_finite() && range > 0.0 {
                // In 0..=65535 by construction; `as` saturates anyway.
                ((f64::from(v) - f64::from(lo)) / range * 65_535.0).round() as u16
            } else {
                0
            }
        })
        .collect();
    let img: ImageBuffer<Luma<u16>, Vec<u16>> =
        ImageBuffer::from_raw(w, h, data).ok_or_else(|| DepthFileError::Write {
            path: path.into(),
            detail: "internal size mismatch".into(),
        })?;
    img.save_with_format(path, ImageFormat::Png)
        .map_err(|e| DepthFileError::Write {
            path: path.into(),
            detail: e
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        })
}
