//! Depth maps written for other tools: 16-bit PNG, PFM, NPY or OpenEXR, chosen
//! by the file's extension, in the units of the source the depth came from.

use std::io::Cursor;
use std::path::Path;

use super::checks::DepthFileError;
use super::png16::{encode_png16, normalised_u16};
use crate::io::staging::write_atomic;
use crate::map::FloatMap;

/// What the values of a depth map measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DepthUnits {
    /// Distance along the optical axis in metres (depth photos).
    Metres,
    /// Horizontal disparity in pixels of the map as written (stereo pairs).
    DisparityPixels,
    /// Relative inverse depth, larger = nearer, with no unit (estimates).
    Relative,
    /// The values of a depth file, unchanged: whatever its maker measured.
    AsGiven,
}

impl DepthUnits {
    /// How a 16-bit PNG stores these units, for messages and docs.
    pub fn png16_encoding(self) -> &'static str {
        match self {
            DepthUnits::Metres => "millimetres (0 = unknown)",
            DepthUnits::DisparityPixels => "disparity × 256 (0 = unknown)",
            DepthUnits::Relative => "min–max normalised to 0..65535",
            DepthUnits::AsGiven => "the values, rounded (0..65535)",
        }
    }
}

/// The file formats a depth map can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepthFormat {
    Png16,
    Pfm,
    Npy,
    Exr,
}

impl DepthFormat {
    /// The format named by `path`'s extension (case-insensitive).
    pub fn from_path(path: &Path) -> Result<DepthFormat, DepthFileError> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("png") => Ok(DepthFormat::Png16),
            Some("pfm") => Ok(DepthFormat::Pfm),
            Some("npy") => Ok(DepthFormat::Npy),
            Some("exr") => Ok(DepthFormat::Exr),
            _ => Err(DepthFileError::Write {
                path: path.into(),
                detail: "unknown depth format: the name must end in .png, .pfm, .npy or .exr"
                    .into(),
            }),
        }
    }
}

/// Writes `map` (in `units`) to `path` in the format its extension names,
/// atomically: a failed write leaves nothing behind. Non-finite values mean
/// unknown: NaN in PFM, NPY and EXR, 0 in PNG.
pub fn write_depth_map(
    map: &FloatMap,
    units: DepthUnits,
    path: &Path,
) -> Result<(), DepthFileError> {
    let write_err = |detail: String| DepthFileError::Write {
        path: path.into(),
        detail,
    };
    let bytes = match DepthFormat::from_path(path)? {
        DepthFormat::Png16 => {
            let values = png16_values(map, units, path)?;
            encode_png16(map.width(), map.height(), values).map_err(write_err)?
        }
        DepthFormat::Pfm => encode_pfm(map),
        DepthFormat::Npy => encode_npy(map),
        DepthFormat::Exr => encode_exr_channels(
            map.width() as usize,
            map.height() as usize,
            "depth",
            vec![(exr_channel(units), map.as_raw().to_vec())],
        )
        .map_err(|e| write_err(e.to_string()))?,
    };
    write_atomic(path, |temp| std::fs::write(temp, &bytes)).map_err(|e| write_err(e.to_string()))
}

/// 16-bit samples for `units`: fixed scales where the units have a meaning
/// other tools share (millimetres; disparity × 256 as KITTI stores it), else
/// min–max normalised. Values a fixed scale cannot hold are an error naming
/// the formats that can.
fn png16_values(
    map: &FloatMap,
    units: DepthUnits,
    path: &Path,
) -> Result<Vec<u16>, DepthFileError> {
    let (scale, limit) = match units {
        DepthUnits::Metres => (1000.0, "65.535 m"),
        DepthUnits::DisparityPixels => (256.0, "256 px"),
        DepthUnits::AsGiven => (1.0, "65535"),
        DepthUnits::Relative => return Ok(normalised_u16(map)),
    };
    let finite = map.as_raw().iter().filter(|v| v.is_finite());
    let largest = finite.clone().fold(0f32, |m, &v| m.max(v));
    if f64::from(largest) * scale > 65_535.0 || finite.clone().any(|&v| v < 0.0) {
        return Err(DepthFileError::Write {
            path: path.into(),
            detail: format!(
                "values up to {largest} (or below 0) do not fit a 16-bit PNG of {} (limit {limit}); \
                 write .pfm, .npy or .exr",
                units.png16_encoding()
            ),
        });
    }
    Ok(map
        .as_raw()
        .iter()
        .map(|&v| {
            if v.is_finite() {
                (f64::from(v) * scale).round() as u16
            } else {
                0
            }
        })
        .collect())
}

/// PFM, one channel: little-endian floats, rows from the bottom up.
fn encode_pfm(map: &FloatMap) -> Vec<u8> {
    let (w, h) = (map.width() as usize, map.height() as usize);
    let mut out = format!("Pf\n{w} {h}\n-1.0\n").into_bytes();
    out.reserve(w * h * 4);
    for row in map.as_raw().chunks_exact(w.max(1)).rev() {
        out.extend(row.iter().flat_map(|v| v.to_le_bytes()));
    }
    out
}

/// NPY version 1.0, little-endian float32 of shape (height, width).
fn encode_npy(map: &FloatMap) -> Vec<u8> {
    let (w, h) = map.dimensions();
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({h}, {w}), }}");
    // Magic (6) + version (2) + length (2) + header + newline, padded to 64 bytes.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    out.extend(map.as_raw().iter().flat_map(|v| v.to_le_bytes()));
    out
}

/// The EXR channel name for `units`: Z for distances, as renderers write it;
/// Y (a plain value) for a file's values of unknown meaning.
fn exr_channel(units: DepthUnits) -> &'static str {
    match units {
        DepthUnits::Metres => "Z",
        DepthUnits::DisparityPixels | DepthUnits::Relative => "disparity",
        DepthUnits::AsGiven => "Y",
    }
}

/// Encodes one layer called `layer` of named f32 channels, `width` × `height`,
/// as an EXR file.
pub(super) fn encode_exr_channels(
    width: usize,
    height: usize,
    layer: &str,
    channels: Vec<(&str, Vec<f32>)>,
) -> Result<Vec<u8>, exr::error::Error> {
    use exr::prelude::*;
    let list: Vec<AnyChannel<FlatSamples>> = channels
        .into_iter()
        .map(|(n, v)| AnyChannel::new(n, FlatSamples::F32(v)))
        .collect();
    let layer = Layer::new(
        (width, height),
        LayerAttributes::named(layer),
        Encoding::FAST_LOSSLESS,
        AnyChannels::sort(list.into()),
    );
    let mut out = Cursor::new(Vec::new());
    Image::from_layer(layer).write().to_buffered(&mut out)?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::depth::read_depth_file;

    fn sample() -> FloatMap {
        FloatMap::from_fn(7, 5, |x, y| {
            image::Luma([if (x, y) == (3, 2) {
                f32::NAN
            } else {
                x as f32 * 1.5 + y as f32 * 0.25
            }])
        })
    }

    fn same_or_both_nan(a: f32, b: f32) -> bool {
        a == b || (a.is_nan() && b.is_nan())
    }

    #[test]
    fn float_formats_round_trip_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let map = sample();
        for name in ["d.pfm", "d.npy", "d.exr", "D.NPY"] {
            let path = dir.path().join(name);
            write_depth_map(&map, DepthUnits::DisparityPixels, &path).unwrap();
            let back = read_depth_file(&path).unwrap();
            assert_eq!(back.dimensions(), map.dimensions(), "{name}");
            for (a, b) in map.as_raw().iter().zip(back.as_raw()) {
                assert!(same_or_both_nan(*a, *b), "{name}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn png16_uses_the_units_scale() {
        let dir = tempfile::tempdir().unwrap();
        let map = sample();
        let path = dir.path().join("d.png");
        for (units, scale) in [
            (DepthUnits::DisparityPixels, 256.0),
            (DepthUnits::Metres, 1000.0),
        ] {
            write_depth_map(&map, units, &path).unwrap();
            let back = read_depth_file(&path).unwrap();
            for (a, b) in map.as_raw().iter().zip(back.as_raw()) {
                let expected = if a.is_finite() {
                    (a * scale).round()
                } else {
                    0.0
                };
                assert_eq!(*b, expected, "{units:?}");
            }
        }
        write_depth_map(&map, DepthUnits::Relative, &path).unwrap();
        let back = read_depth_file(&path).unwrap();
        let largest = back.as_raw().iter().fold(0f32, |m, &v| m.max(v));
        assert_eq!(largest, 65535.0);
    }

    #[test]
    fn values_a_png_cannot_hold_are_an_error_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.png");
        let wide = FloatMap::from_pixel(4, 4, image::Luma([300.0]));
        let err = write_depth_map(&wide, DepthUnits::DisparityPixels, &path).unwrap_err();
        assert!(err.to_string().contains(".pfm"), "{err}");
        assert!(!path.exists());
        let err = write_depth_map(&wide, DepthUnits::Relative, &dir.path().join("d.jpg"));
        assert!(err.unwrap_err().to_string().contains(".exr"));
    }
}
