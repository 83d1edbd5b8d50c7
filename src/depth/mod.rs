//! Depth sources: a user's depth map, depth embedded in the photo, a stereo
//! pair, a neural model, or the classical estimate that needs no model.

pub mod chain;
pub mod classical;
pub mod neural;
pub mod stereo;

use crate::grid::propagate_mean;
use crate::io::depth_file::{count_non_finite, read_depth_file, DepthFileError, FloatMap};
use crate::prepare::DepthKind;
use std::path::{Path, PathBuf};

/// Where the depth of a run came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum DepthSource {
    /// A depth or disparity map given by the user.
    File { path: PathBuf },
    /// Depth stored in the photo by a phone camera.
    Embedded {
        format: crate::io::embedded::EmbeddedFormat,
    },
    /// Semi-global matching of a stereo pair.
    Stereo {
        input: chain::StereoInput,
        #[serde(skip_serializing_if = "Option::is_none")]
        right: Option<PathBuf>,
    },
    /// The built-in estimate from colour cues.
    Classical,
    /// A neural monocular depth model, by its registry name.
    Neural { model: String },
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

/// Largest relative difference of aspect ratio accepted between photo and depth map.
const ASPECT_TOLERANCE: f64 = 0.02;

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
    let aspect = |w: u32, h: u32| w as f64 / h.max(1) as f64;
    if dw == 0 || dh == 0 || (aspect(dw, dh) / aspect(pw, ph) - 1.0).abs() > ASPECT_TOLERANCE {
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
        fill_holes(&mut map).ok_or(DepthError::NoValidValue { path: shown })?;
    }
    Ok(DepthEstimate {
        map,
        kind,
        source: DepthSource::File {
            path: path.to_path_buf(),
        },
    })
}

/// Replaces non-finite values by the mean of valid neighbours, ring by ring.
/// Returns None when no value is valid.
fn fill_holes(map: &mut FloatMap) -> Option<()> {
    let (w, h) = (map.width() as usize, map.height() as usize);
    let mut values: Vec<[f32; 1]> = map.pixels().map(|p| [p[0]]).collect();
    let mut known: Vec<bool> = values.iter().map(|v| v[0].is_finite()).collect();
    if !known.iter().any(|&k| k) {
        return None;
    }
    let target = vec![true; w * h];
    propagate_mean(w, h, &mut values, &mut known, &target);
    for (p, v) in map.pixels_mut().zip(&values) {
        p[0] = v[0];
    }
    Some(())
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
        fill_holes(&mut map).unwrap();
        assert!(map.pixels().all(|p| p[0] == 4.0));
        let mut empty = FloatMap::from_pixel(2, 2, image::Luma([f32::INFINITY]));
        assert!(fill_holes(&mut empty).is_none());
    }
}
