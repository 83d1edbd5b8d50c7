//! The depth a user exports: the chosen source's map at the photo's size, in
//! that source's own units (metres, disparity pixels, or relative inverse depth).

use crate::depth::chain::{choose_depth, DepthOptions};
use crate::depth::{DepthError, DepthEstimate, DepthSource};
use crate::grid::resize_map;
use crate::io::depth::DepthUnits;
use crate::io::photo::load_photo;
use crate::map::FloatMap;
use crate::progress::Event;
use std::path::Path;

/// A depth map ready to write for other tools.
#[derive(Debug, Clone)]
pub struct ExportedDepth {
    /// At the photo's size (after EXIF rotation; the left view of a side-by-side image).
    pub map: FloatMap,
    pub units: DepthUnits,
    pub source: DepthSource,
}

/// Depth of the photo at `path` from the chain of `options`, at the photo's
/// size and in its source's units.
pub fn export_depth(
    path: &Path,
    options: &DepthOptions,
    observer: &mut dyn FnMut(Event),
) -> Result<ExportedDepth, DepthError> {
    let photo = load_photo(path)?;
    let (rgb, estimate) = choose_depth(path, photo, options, observer)?;
    let units = units_of(&estimate);
    let map = at_size(&estimate.map, rgb.width(), rgb.height(), units);
    Ok(ExportedDepth {
        map,
        units,
        source: estimate.source,
    })
}

/// The units each source measures in.
fn units_of(estimate: &DepthEstimate) -> DepthUnits {
    match estimate.source {
        DepthSource::Embedded { .. } => DepthUnits::Metres,
        DepthSource::Stereo { .. } => DepthUnits::DisparityPixels,
        DepthSource::File { .. } => DepthUnits::AsGiven,
        DepthSource::Neural { .. } | DepthSource::Classical => DepthUnits::Relative,
    }
}

/// `map` resampled to `width`×`height`; disparities in pixels scale with the width.
fn at_size(map: &FloatMap, width: u32, height: u32, units: DepthUnits) -> FloatMap {
    if map.dimensions() == (width, height) {
        return map.clone();
    }
    let mut resized = resize_map(map, width, height);
    if units == DepthUnits::DisparityPixels {
        let scale = width as f32 / map.width().max(1) as f32;
        resized.pixels_mut().for_each(|p| p[0] *= scale);
    }
    resized
}
