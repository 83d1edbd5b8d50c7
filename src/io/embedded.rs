//! Depth carried inside a photo: Google depth photos (GDepth XMP) and Android
//! Dynamic Depth, decoded to real depth (larger = farther).

use crate::io::depth_file::FloatMap;
use crate::io::xmp::{read_xmp, Xmp, XmpError};
use crate::io::{dynamic_depth, gdepth};
use image::{ImageFormat, ImageReader, Limits};
use std::io::Cursor;
use std::path::{Path, PathBuf};

/// Largest embedded depth image accepted, in pixels.
const MAX_DEPTH_PIXELS: u64 = 50_000_000;

/// Which convention the embedded depth followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EmbeddedFormat {
    /// `GDepth:` properties in XMP (Google depth photo).
    Gdepth,
    /// Android Dynamic Depth 1.0: a depth image appended to the JPEG container.
    DynamicDepth,
}

/// Depth read from a photo.
#[derive(Debug, Clone)]
pub struct EmbeddedDepth {
    /// Depth in the file's units (larger = farther), at the depth image's size.
    pub depth: FloatMap,
    pub format: EmbeddedFormat,
}

/// Why depth embedded in a photo cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error("{}: {source}", path.display())]
    Xmp { path: PathBuf, source: XmpError },
    #[error("{}: embedded depth: {detail}", path.display())]
    Invalid { path: PathBuf, detail: String },
}

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

/// Reads the depth embedded in a photo file's bytes: GDepth first, then
/// Dynamic Depth. None when the photo carries neither.
pub fn read_embedded_depth(
    bytes: &[u8],
    path: &Path,
) -> Result<Option<EmbeddedDepth>, EmbeddedError> {
    let xmp_error = |source| EmbeddedError::Xmp {
        path: path.to_path_buf(),
        source,
    };
    let Some(packets) = read_xmp(bytes).map_err(xmp_error)? else {
        return Ok(None);
    };
    let xmp = Xmp::parse(&packets).map_err(xmp_error)?;
    let invalid = |detail: String| EmbeddedError::Invalid {
        path: path.to_path_buf(),
        detail,
    };
    if let Some(depth) = gdepth::read(&xmp).map_err(invalid)? {
        return Ok(Some(EmbeddedDepth {
            depth,
            format: EmbeddedFormat::Gdepth,
        }));
    }
    Ok(dynamic_depth::read(&xmp, bytes)
        .map_err(invalid)?
        .map(|depth| EmbeddedDepth {
            depth,
            format: EmbeddedFormat::DynamicDepth,
        }))
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
    limits.max_alloc = Some(MAX_DEPTH_PIXELS * 8);
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|e| format!("cannot decode the {mime} depth image: {e}"))?;
    if u64::from(image.width()) * u64::from(image.height()) > MAX_DEPTH_PIXELS {
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

/// Applies EXIF orientation `orientation` (1..=8) to a map, as was done to the photo.
pub fn orient_map(map: FloatMap, orientation: u8) -> FloatMap {
    use image::imageops::{flip_horizontal, flip_vertical, rotate180, rotate270, rotate90};
    match orientation {
        2 => flip_horizontal(&map),
        3 => rotate180(&map),
        4 => flip_vertical(&map),
        5 => flip_horizontal(&rotate90(&map)),
        6 => rotate90(&map),
        7 => flip_horizontal(&rotate270(&map)),
        8 => rotate270(&map),
        _ => map,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_formats_invert_each_other_and_hit_near_and_far() {
        for format in [RangeFormat::Linear, RangeFormat::Inverse] {
            let (near, far) = (0.5, 12.0);
            assert!((format.depth(0.0, near, far) - near).abs() < 1e-6);
            assert!((format.depth(1.0, near, far) - far).abs() < 1e-4);
            for d in [0.6f32, 1.0, 3.3, 11.0] {
                let back = format.depth(format.value(d, near, far), near, far);
                assert!((back - d).abs() < 1e-4 * d, "{format:?} {d} {back}");
            }
        }
        // RangeInverse spaces values evenly in 1/d: the midpoint is the harmonic mean.
        let mid = RangeFormat::Inverse.depth(0.5, 1.0, 3.0);
        assert!((mid - 1.5).abs() < 1e-6);
    }

    #[test]
    fn bad_ranges_are_refused() {
        assert!(Range::parse(Some("RangeInverse"), Some("0"), Some("5")).is_err());
        assert!(Range::parse(Some("RangeLinear"), Some("5"), Some("2")).is_err());
        assert!(Range::parse(Some("RangeCubic"), Some("1"), Some("2")).is_err());
        assert!(Range::parse(Some("RangeLinear"), Some("x"), Some("2")).is_err());
        assert!(Range::parse(Some("RangeLinear"), Some("0"), Some("2")).is_ok());
    }

    #[test]
    fn orientation_six_rotates_clockwise() {
        let map = FloatMap::from_fn(3, 2, |x, y| image::Luma([(y * 3 + x) as f32]));
        let turned = orient_map(map, 6);
        assert_eq!(turned.dimensions(), (2, 3));
        // The bottom-left pixel comes to the top-left.
        assert_eq!(turned.get_pixel(0, 0)[0], 3.0);
    }
}
