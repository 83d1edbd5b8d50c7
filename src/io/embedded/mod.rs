//! Depth carried inside a photo: Google depth photos (GDepth XMP) and Android
//! Dynamic Depth, decoded to real depth (larger = farther).

use crate::map::FloatMap;
pub mod dynamic_depth;
pub mod gdepth;
pub mod range;
pub mod xmp;

use std::path::{Path, PathBuf};
use xmp::{read_xmp, Xmp, XmpError};

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

/// Reads the depth embedded in a photo file's bytes: GDepth first, then
/// Dynamic Depth. None when the photo carries neither. `photo` is the photo's
/// size as stored (before EXIF orientation): the map must have its aspect ratio.
pub fn read_embedded_depth(
    bytes: &[u8],
    path: &Path,
    photo: (u32, u32),
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
    if let Some(depth) = gdepth::read(&xmp, photo).map_err(invalid)? {
        return Ok(Some(EmbeddedDepth {
            depth,
            format: EmbeddedFormat::Gdepth,
        }));
    }
    Ok(dynamic_depth::read(&xmp, bytes, photo)
        .map_err(invalid)?
        .map(|depth| EmbeddedDepth {
            depth,
            format: EmbeddedFormat::DynamicDepth,
        }))
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
    use super::range::{Range, RangeFormat};
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
