//! The depth range shared by GDepth and Dynamic Depth (near, far, linear or
//! inverse) and the decoding of their PNG/JPEG depth images to real depth.

use crate::map::FloatMap;
use image::{ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// Largest embedded depth image accepted, in pixels (half the limit for depth
/// files: an embedded map is never larger than its photo).
pub const MAX_EMBEDDED_DEPTH_PIXELS: u64 = 50_000_000;

/// How stored depth values v in [0, 1] map to depth (GDepth and Dynamic Depth share it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RangeFormat {
    /// d = v·(far − near) + near.
    Linear,
    /// d = far·near / (far − v·(far − near)): evenly spaced in 1/d.
    Inverse,
}

impl RangeFormat {
    /// Parses `RangeLinear` / `RangeInverse`.
    pub fn parse(text: &str) -> Option<RangeFormat> {
        match text {
            "RangeLinear" => Some(RangeFormat::Linear),
            "RangeInverse" => Some(RangeFormat::Inverse),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            RangeFormat::Linear => "RangeLinear",
            RangeFormat::Inverse => "RangeInverse",
        }
    }

    /// Depth of a stored value v in [0, 1].
    pub fn depth(self, v: f32, near: f32, far: f32) -> f32 {
        match self {
            RangeFormat::Linear => v * (far - near) + near,
            RangeFormat::Inverse => far * near / (far - v * (far - near)),
        }
    }

    /// Stored value in [0, 1] of depth `d` (the inverse of [`RangeFormat::depth`]).
    pub fn value(self, d: f32, near: f32, far: f32) -> f32 {
        let v = match self {
            RangeFormat::Linear => (d - near) / (far - near),
            RangeFormat::Inverse => far * (d - near) / (d * (far - near)),
        };
        v.clamp(0.0, 1.0)
    }
}

/// The range parameters of an embedded depth image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub format: RangeFormat,
    pub near: f32,
    pub far: f32,
}

impl Range {
    /// Parses and checks format, near and far as found in XMP.
    pub fn parse(
        format: Option<&str>,
        near: Option<&str>,
        far: Option<&str>,
    ) -> Result<Range, String> {
        let format = format.ok_or("no Format")?;
        let format =
            RangeFormat::parse(format).ok_or_else(|| format!("unknown Format \"{format}\""))?;
        let number = |name: &str, text: Option<&str>| -> Result<f32, String> {
            let text = text.ok_or_else(|| format!("no {name}"))?;
            text.parse::<f32>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("{name} \"{text}\" is not a number"))
        };
        let (near, far) = (number("Near", near)?, number("Far", far)?);
        let near_ok = near > 0.0 || (format == RangeFormat::Linear && near >= 0.0);
        if !near_ok || far <= near {
            return Err(format!(
                "Near {near} and Far {far} do not make a depth range"
            ));
        }
        Ok(Range { format, near, far })
    }
}

/// Decodes a PNG or JPEG depth image and converts its values to depth.
pub fn decode_depth_image(bytes: &[u8], mime: &str, range: Range) -> Result<FloatMap, String> {
    let format = match mime {
        "image/png" => ImageFormat::Png,
        "image/jpeg" => ImageFormat::Jpeg,
        other => return Err(format!("unsupported depth image type \"{other}\"")),
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_EMBEDDED_DEPTH_PIXELS * 8);
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|e| format!("cannot decode the {mime} depth image: {e}"))?;
    if u64::from(image.width()) * u64::from(image.height()) > MAX_EMBEDDED_DEPTH_PIXELS {
        return Err("depth image is too large".into());
    }
    let (w, h) = (image.width(), image.height());
    let values: Vec<f32> = match image {
        image::DynamicImage::ImageLuma16(_) | image::DynamicImage::ImageLumaA16(_) => image
            .to_luma16()
            .into_raw()
            .into_iter()
            .map(|v| f32::from(v) / 65535.0)
            .collect(),
        other => other
            .to_luma8()
            .into_raw()
            .into_iter()
            .map(|v| f32::from(v) / 255.0)
            .collect(),
    };
    let depth = values
        .into_iter()
        .map(|v| range.format.depth(v, range.near, range.far))
        .collect();
    FloatMap::from_raw(w, h, depth).ok_or_else(|| "depth image has no pixels".into())
}
