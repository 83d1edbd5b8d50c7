//! What every depth reader shares: the error type, the size limits checked
//! before anything is allocated, and the finiteness checks.

use std::path::{Path, PathBuf};

use crate::map::FloatMap;
use image::ImageBuffer;

/// Largest depth map accepted, in pixels (same limit as for photos).
pub const MAX_DEPTH_PIXELS: u64 = 100_000_000;

/// Largest depth file read into memory: 100 Mpx of float64 plus room for a header.
pub(super) const MAX_DEPTH_FILE_BYTES: u64 = MAX_DEPTH_PIXELS * 8 + (1 << 20);

/// Why a depth map could not be read or written; every message is one line naming the file.
#[derive(Debug, thiserror::Error)]
pub enum DepthFileError {
    /// The path does not exist.
    #[error("{}: no such file", path.display())]
    NotFound { path: PathBuf },
    /// The file could not be read (or is a directory).
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The output could not be written.
    #[error("{}: cannot write: {detail}", path.display())]
    Write { path: PathBuf, detail: String },
    /// The file is zero bytes long.
    #[error("{}: empty file (0 bytes)", path.display())]
    Empty { path: PathBuf },
    /// The file is larger than any depth map we accept.
    #[error("{}: file is {bytes} bytes, too large for a depth map", path.display())]
    FileTooLarge { path: PathBuf, bytes: u64 },
    /// Neither NPY, PFM nor an image format the image crate knows.
    #[error("{}: not a depth map (expected .npy, .pfm, .exr or a grayscale PNG/TIFF)", path.display())]
    UnknownFormat { path: PathBuf },
    /// The NPY preamble or header dictionary is malformed.
    #[error("{}: bad NPY header: {detail}", path.display())]
    BadNpyHeader { path: PathBuf, detail: String },
    /// The NPY element type is not one we convert.
    #[error("{}: unsupported dtype '{dtype}'", path.display())]
    UnsupportedDtype { path: PathBuf, dtype: String },
    /// The array is not a single 2-D plane.
    #[error(
        "{}: unsupported shape {shape} (expected (H, W), (H, W, 1) or (1, H, W))",
        path.display()
    )]
    UnsupportedShape { path: PathBuf, shape: String },
    /// The PFM header is malformed.
    #[error("{}: bad PFM header: {detail}", path.display())]
    BadPfmHeader { path: PathBuf, detail: String },
    /// Fewer values than the header announces.
    #[error(
        "{}: truncated: header says {width}×{height}, found {found} of {expected} values",
        path.display()
    )]
    Truncated {
        path: PathBuf,
        width: u64,
        height: u64,
        found: u64,
        expected: u64,
    },
    /// More data than the header announces, so the header cannot be trusted.
    #[error(
        "{}: size mismatch: header says {width}×{height} ({expected} bytes of data) but the file has {found} bytes of data",
        path.display()
    )]
    SizeMismatch {
        path: PathBuf,
        width: u64,
        height: u64,
        expected: u64,
        found: u64,
    },
    /// The header announces more than [`MAX_DEPTH_PIXELS`] pixels.
    #[error(
        "{}: depth map is {width}×{height}, over the {} megapixel limit",
        path.display(),
        MAX_DEPTH_PIXELS / 1_000_000
    )]
    TooLarge {
        path: PathBuf,
        width: u64,
        height: u64,
    },
    /// Non-finite values where the caller does not allow holes (see [`check_finite`]).
    #[error(
        "{}: {nan} NaN and {inf} infinite values (use --depth-holes fill to treat them as holes)",
        path.display()
    )]
    NonFinite {
        path: PathBuf,
        nan: usize,
        inf: usize,
    },
    /// A colour image whose channels differ, e.g. a colour-mapped depth visualisation.
    #[error(
        "{}: depth image is colour ({colour}); expected a single-channel grayscale depth map",
        path.display()
    )]
    ColourImage { path: PathBuf, colour: String },
    /// The image crate could not decode the depth image.
    #[error("{}: cannot decode depth image: {detail}", path.display())]
    Image { path: PathBuf, detail: String },
}

/// Checks `width × height` against overflow and [`MAX_DEPTH_PIXELS`], returning the count.
pub(super) fn checked_pixels(
    width: usize,
    height: usize,
    name: &Path,
) -> Result<usize, DepthFileError> {
    let too_large = || DepthFileError::TooLarge {
        path: name.into(),
        width: width as u64,
        height: height as u64,
    };
    let count = width.checked_mul(height).ok_or_else(too_large)?;
    if count as u64 > MAX_DEPTH_PIXELS
        || u32::try_from(width).is_err()
        || u32::try_from(height).is_err()
    {
        return Err(too_large());
    }
    Ok(count)
}

/// Wraps row-major values into a [`FloatMap`] (sizes were checked by the caller).
pub(super) fn make_map(
    width: usize,
    height: usize,
    values: Vec<f32>,
    name: &Path,
) -> Result<FloatMap, DepthFileError> {
    let (Ok(w), Ok(h)) = (u32::try_from(width), u32::try_from(height)) else {
        return Err(DepthFileError::TooLarge {
            path: name.into(),
            width: width as u64,
            height: height as u64,
        });
    };
    ImageBuffer::from_raw(w, h, values).ok_or_else(|| DepthFileError::Image {
        path: name.into(),
        detail: "internal size mismatch".into(),
    })
}

/// Counts non-finite values as (NaN, ±infinity).
pub fn count_non_finite(map: &FloatMap) -> (usize, usize) {
    map.as_raw().iter().fold((0, 0), |(nan, inf), v| {
        (
            nan + usize::from(v.is_nan()),
            inf + usize::from(v.is_infinite()),
        )
    })
}

/// Fails with [`DepthFileError::NonFinite`] if `map` holds any NaN or infinity; for callers
/// that do not treat such values as holes.
pub fn check_finite(map: &FloatMap, name: &Path) -> Result<(), DepthFileError> {
    match count_non_finite(map) {
        (0, 0) => Ok(()),
        (nan, inf) => Err(DepthFileError::NonFinite {
            path: name.into(),
            nan,
            inf,
        }),
    }
}
