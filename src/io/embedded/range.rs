//! The depth range shared by GDepth and Dynamic Depth (near, far, linear or
//! inverse) and the decoding of their PNG/JPEG depth images to real depth.

use crate::map::FloatMap;
use image::{GenericImageView, ImageFormat, ImageReader, Limits};
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

/// Decodes a PNG or JPEG depth image and converts its values to depth. Its
/// header's size is checked first, against the pixel limit and against the
/// aspect ratio of the photo as stored (`photo`, before EXIF orientation).
pub fn decode_depth_image(
    bytes: &[u8],
    mime: &str,
    range: Range,
    photo: (u32, u32),
) -> Result<FloatMap, String> {
    let format = match mime {
        "image/png" => ImageFormat::Png,
        "image/jpeg" => ImageFormat::Jpeg,
        other => return Err(format!("unsupported depth image type \"{other}\"")),
    };
    let (w, h) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| format!("cannot read the {mime} depth image's header: {e}"))?;
    check_size((w, h), photo)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_EMBEDDED_DEPTH_PIXELS * 8);
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|e| format!("cannot decode the {mime} depth image: {e}"))?;
    if image.dimensions() != (w, h) {
        return Err("the depth image's size differs from its header's".into());
    }
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

/// Refuses a depth image of `size` over the pixel limit or of another aspect
/// ratio than the photo's.
fn check_size(size: (u32, u32), photo: (u32, u32)) -> Result<(), String> {
    let (w, h) = size;
    if u64::from(w) * u64::from(h) > MAX_EMBEDDED_DEPTH_PIXELS {
        return Err(format!(
            "the depth image is {w}×{h}, over {MAX_EMBEDDED_DEPTH_PIXELS} pixels"
        ));
    }
    if !crate::map::aspect_matches(size, photo) {
        return Err(format!(
            "the depth image is {w}×{h} but the photo is {}×{}; the aspect ratios differ",
            photo.0, photo.1
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::png::PngEncoder;
    use image::ImageEncoder;

    /// A 4×3 grey PNG whose header then claims `w`×`h` (its CRC fixed).
    fn png_claiming(w: u32, h: u32) -> Vec<u8> {
        let mut png = Vec::new();
        PngEncoder::new(&mut png)
            .write_image(&[0u8; 12], 4, 3, image::ExtendedColorType::L8)
            .unwrap();
        // Signature (8), IHDR length (4), "IHDR" (4), width, height, ..., CRC at 29.
        png[16..20].copy_from_slice(&w.to_be_bytes());
        png[20..24].copy_from_slice(&h.to_be_bytes());
        let crc = crc32fast::hash(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        png
    }

    #[test]
    fn header_over_the_pixel_limit_is_refused_before_decoding() {
        let range = Range::parse(Some("RangeLinear"), Some("1"), Some("2")).unwrap();
        let err = decode_depth_image(&png_claiming(40_000, 30_000), "image/png", range, (4, 3))
            .unwrap_err();
        assert!(err.contains("over 50000000 pixels"), "{err}");
        let ok = decode_depth_image(&png_claiming(4, 3), "image/png", range, (40, 30)).unwrap();
        assert_eq!(ok.dimensions(), (4, 3));
    }
}
