//! Depth sources: a user's depth map, depth embedded in the photo, a stereo
//! pair, a neural model, or the classical estimate that needs no model.

pub mod chain;
pub mod classical;
pub mod export;
pub mod neural;
pub mod onnx_graph;
pub mod stereo;

use crate::filter::fill::fill_non_finite;
use crate::io::depth::{count_non_finite, read_depth_file, DepthFileError};
use crate::map::FloatMap;
use crate::message::one_line;
use std::path::{Path, PathBuf};

/// Whether a map holds depth (larger = farther) or disparity (larger = nearer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DepthKind {
    Depth,
    Disparity,
}

/// How much the depth map can be trusted, which decides how it is conditioned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepthOrigin {
    /// A monocular estimate: smoothed 3×3 and floored as the reference does,
    /// which hides its pixel noise.
    Estimated,
    /// A measurement (a depth file, a depth photo, a stereo pair): kept exact,
    /// so edges stay where they were measured and no far value is clamped.
    Measured,
}

/// Where the depth of a run came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum DepthSource {
    /// A depth or disparity map given by the user.
    File {
        #[serde(serialize_with = "crate::io::serialize_path_lossy")]
        path: PathBuf,
    },
    /// Depth stored in the photo by a phone camera.
    Embedded {
        format: crate::io::embedded::EmbeddedFormat,
    },
    /// Semi-global matching of a stereo pair.
    Stereo {
        input: chain::StereoInput,
        #[serde(
            skip_serializing_if = "Option::is_none",
            serialize_with = "crate::io::serialize_optional_path_lossy"
        )]
        right: Option<PathBuf>,
    },
    /// The built-in estimate from colour cues.
    Classical,
    /// A neural monocular depth model, by its registry name.
    Neural { model: String },
}

impl DepthSource {
    /// The source's name, as report.json's `kind` spells it.
    pub fn name(&self) -> &'static str {
        match self {
            DepthSource::File { .. } => "file",
            DepthSource::Embedded { .. } => "embedded",
            DepthSource::Stereo { .. } => "stereo",
            DepthSource::Classical => "classical",
            DepthSource::Neural { .. } => "neural",
        }
    }

    /// Whether the depth was measured (kept exact) or estimated (smoothed as the reference does).
    pub fn origin(&self) -> DepthOrigin {
        match self {
            DepthSource::File { .. }
            | DepthSource::Embedded { .. }
            | DepthSource::Stereo { .. } => DepthOrigin::Measured,
            DepthSource::Classical | DepthSource::Neural { .. } => DepthOrigin::Estimated,
        }
    }
}

/// A depth or disparity map with its provenance.
#[derive(Debug, Clone)]
pub struct DepthEstimate {
    pub map: FloatMap,
    pub kind: DepthKind,
    pub source: DepthSource,
}

/// What to do with NaN or infinite values in a depth file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HolePolicy {
    /// Refuse the file, saying how many values are bad.
    #[default]
    Reject,
    /// Fill them from their valid neighbours.
    Fill,
}

/// Why a depth map could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DepthError {
    #[error(transparent)]
    File(#[from] DepthFileError),
    #[error("{path}: {nan} NaN and {inf} infinite values (use --depth-holes fill to treat them as holes)")]
    NonFinite {
        path: String,
        nan: usize,
        inf: usize,
    },
    #[error(transparent)]
    Photo(#[from] crate::io::photo::PhotoError),
    #[error(transparent)]
    Embedded(#[from] crate::io::embedded::EmbeddedError),
    /// An input the chosen source cannot use (one line).
    #[error("{path}: {message}")]
    Input { path: String, message: String },
    #[error("{path}: no valid depth value")]
    NoValidValue { path: String },
    #[error("{path}: depth map is {depth_w}×{depth_h} but the photo is {photo_w}×{photo_h}; the aspect ratios differ")]
    SizeMismatch {
        path: String,
        depth_w: u32,
        depth_h: u32,
        photo_w: u32,
        photo_h: u32,
    },
}

impl DepthError {
    /// An input that cannot be used.
    pub fn input(path: &Path, message: impl std::fmt::Display) -> DepthError {
        DepthError::Input {
            path: path.display().to_string(),
            message: one_line(message),
        }
    }
}

/// Reads a user depth map for a photo of `photo_size`; a map of another
/// resolution but the same aspect ratio is accepted (it is resampled later).
pub fn depth_from_file(
    path: &Path,
    kind: DepthKind,
    photo_size: (u32, u32),
    holes: HolePolicy,
) -> Result<DepthEstimate, DepthError> {
    let shown = path.display().to_string();
    let mut map = read_depth_file(path)?;
    let (dw, dh) = map.dimensions();
    let (pw, ph) = photo_size;
    if !crate::map::aspect_matches((dw, dh), (pw, ph)) {
        return Err(DepthError::SizeMismatch {
            path: shown,
            depth_w: dw,
            depth_h: dh,
            photo_w: pw,
            photo_h: ph,
        });
    }
    let (nan, inf) = count_non_finite(&map);
    if nan + inf > 0 {
        if holes == HolePolicy::Reject {
            return Err(DepthError::NonFinite {
                path: shown,
                nan,
                inf,
            });
        }
        fill_non_finite(&mut map).ok_or(DepthError::NoValidValue { path: shown })?;
    }
    Ok(DepthEstimate {
        map,
        kind,
        source: DepthSource::File {
            path: path.to_path_buf(),
        },
    })
}

/// The built-in monocular estimate; always available.
pub fn classical_depth(rgb: &image::RgbImage) -> DepthEstimate {
    DepthEstimate {
        map: classical::estimate_disparity(rgb),
        kind: DepthKind::Disparity,
        source: DepthSource::Classical,
    }
}

/// Relative inverse depth from a neural model named `name` in the report.
pub fn neural_depth(
    rgb: &image::RgbImage,
    model: &neural::NeuralModel,
    name: &str,
) -> Result<DepthEstimate, neural::NeuralError> {
    Ok(DepthEstimate {
        map: model.estimate(rgb)?,
        kind: DepthKind::Disparity,
        source: DepthSource::Neural {
            model: name.to_string(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holes_are_filled_from_neighbours() {
        let mut map = FloatMap::from_fn(5, 5, |x, _| {
            image::Luma([if x == 2 { f32::NAN } else { 4.0 }])
        });
        fill_non_finite(&mut map).unwrap();
        assert!(map.pixels().all(|p| p[0] == 4.0));
        let mut empty = FloatMap::from_pixel(2, 2, image::Luma([f32::INFINITY]));
        assert!(fill_non_finite(&mut empty).is_none());
    }
}
