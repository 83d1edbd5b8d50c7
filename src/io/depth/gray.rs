//! Grayscale depth images (PNG, TIFF…) decoded by the image crate, as raw values.

use std::io::Cursor;
use std::path::Path;

use super::checks::{checked_pixels, make_map, DepthFileError, MAX_DEPTH_PIXELS};
use crate::map::FloatMap;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

/// Decodes a grayscale depth image (PNG, TIFF…) via the image crate, as raw values:
/// 0..65535 for 16-bit, 0..255 for 8-bit. Alpha is ignored; RGB is accepted only when
/// every pixel is gray (R = G = B), so colour-mapped visualisations are refused.
pub(super) fn parse_depth_image(bytes: &[u8], name: &Path) -> Result<FloatMap, DepthFileError> {
    let image_err = |e: image::ImageError| DepthFileError::Image {
        path: name.into(),
        detail: e
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    };
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| DepthFileError::Read {
            path: name.into(),
            source: e,
        })?;
    if reader.format().is_none() {
        return Err(DepthFileError::UnknownFormat { path: name.into() });
    }
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DEPTH_PIXELS * 16);
    reader.limits(limits);
    let decoder = reader.into_decoder().map_err(image_err)?;
    let (w, h) = decoder.dimensions();
    checked_pixels(w as usize, h as usize, name)?;
    let image = DynamicImage::from_decoder(decoder).map_err(image_err)?;

    let colour = |kind: image::ColorType| DepthFileError::ColourImage {
        path: name.into(),
        colour: format!("{kind:?}"),
    };
    let values: Vec<f32> =
        match &image {
            DynamicImage::ImageLuma8(i) => i.pixels().map(|p| f32::from(p.0[0])).collect(),
            DynamicImage::ImageLumaA8(i) => i.pixels().map(|p| f32::from(p.0[0])).collect(),
            DynamicImage::ImageLuma16(i) => i.pixels().map(|p| f32::from(p.0[0])).collect(),
            DynamicImage::ImageLumaA16(i) => i.pixels().map(|p| f32::from(p.0[0])).collect(),
            DynamicImage::ImageRgb8(i) => gray_channel(i.pixels().map(|p| p.0), f32::from)
                .ok_or_else(|| colour(image.color()))?,
            DynamicImage::ImageRgba8(i) => gray_channel(i.pixels().map(|p| p.0), f32::from)
                .ok_or_else(|| colour(image.color()))?,
            DynamicImage::ImageRgb16(i) => gray_channel(i.pixels().map(|p| p.0), f32::from)
                .ok_or_else(|| colour(image.color()))?,
            DynamicImage::ImageRgba16(i) => gray_channel(i.pixels().map(|p| p.0), f32::from)
                .ok_or_else(|| colour(image.color()))?,
            DynamicImage::ImageRgb32F(i) => {
                gray_channel(i.pixels().map(|p| p.0), |v| v).ok_or_else(|| colour(image.color()))?
            }
            DynamicImage::ImageRgba32F(i) => {
                gray_channel(i.pixels().map(|p| p.0), |v| v).ok_or_else(|| colour(image.color()))?
            }
            other => return Err(colour(other.color())),
        };
    make_map(w as usize, h as usize, values, name)
}

/// Returns the first channel if every pixel has equal R, G, B (alpha ignored), else None.
fn gray_channel<T: PartialEq + Copy, const N: usize>(
    pixels: impl Iterator<Item = [T; N]>,
    to_f32: impl Fn(T) -> f32,
) -> Option<Vec<f32>> {
    let mut out = Vec::new();
    for p in pixels {
        // N is 3 or 4 here; `get` keeps this total for any N.
        let (r, g, b) = (p.first()?, p.get(1)?, p.get(2)?);
        // Compare bit patterns via to_f32 so NaN in float images still counts as gray.
        let (fr, fg, fb) = (to_f32(*r), to_f32(*g), to_f32(*b));
        if !((r == g && g == b) || fr.to_bits() == fg.to_bits() && fg.to_bits() == fb.to_bits()) {
            return None;
        }
        out.push(fr);
    }
    Some(out)
}
