//! Brings photo and depth to the working size and the reference's depth scale.

use crate::depth::{DepthKind, DepthOrigin};
use crate::filter::blur::mean3x3;
use crate::grid::resize_map;
use crate::map::{par_from_fn, FloatMap};
use image::{imageops, imageops::FilterType, RgbImage};
use rayon::prelude::*;

/// Disparity is scaled so its maximum is this (reference constant).
pub const DISPARITY_SCALE: f32 = 3.0;
/// Disparity floor, so depth never exceeds 1 / 0.05 = 20.
pub const DISPARITY_FLOOR: f32 = 0.05;

/// Pinhole camera of the working image, in pixels; +X right, +Y down, +Z forward.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Intrinsics {
    pub fx: f32,
    pub fy: f32,
    pub cx: f32,
    pub cy: f32,
    /// Horizontal field of view in radians.
    pub hfov: f32,
    /// Vertical field of view in radians.
    pub vfov: f32,
}

impl Intrinsics {
    /// The reference's camera: focal length = longer side of the original photo,
    /// principal point at its integer centre, rescaled to the working size.
    pub fn reference(original: (u32, u32), working: (u32, u32)) -> Intrinsics {
        let (w0, h0) = (original.0.max(1) as f32, original.1.max(1) as f32);
        let (w, h) = (working.0 as f32, working.1 as f32);
        let focal = w0.max(h0);
        Intrinsics {
            fx: focal / w0 * w,
            fy: focal / h0 * h,
            cx: (original.0 / 2) as f32 / w0 * w,
            cy: (original.1 / 2) as f32 / h0 * h,
            hfov: 2.0 * (w0 / (2.0 * focal)).atan(),
            vfov: 2.0 * (h0 / (2.0 * focal)).atan(),
        }
    }
}

/// Photo and depth at the working size, ready for discontinuity detection.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub rgb: RgbImage,
    /// Depth in [1/3, 20], larger = farther.
    pub depth: FloatMap,
    pub intrinsics: Intrinsics,
    /// Depth at the image centre before sharpening; the dolly zoom keeps it fixed.
    pub mean_loc_depth: f32,
    /// How input disparity d became working disparity: scale · (d − offset).
    pub disparity_map: DisparityMapping,
}

/// The affine map from input disparity (or inverse depth) to the reference's
/// [0, 3] scale, kept so metric comparisons can undo it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DisparityMapping {
    pub offset: f32,
    pub scale: f32,
}

/// Working size: the longer side becomes `longer_side`, the aspect ratio is kept.
pub fn working_size(width: u32, height: u32, longer_side: u32) -> (u32, u32) {
    let long = width.max(height).max(1) as u64;
    let scaled = |side: u32| ((side as u64 * longer_side as u64 / long) as u32).max(1);
    (scaled(width), scaled(height))
}

/// Resizes the photo and converts the map to the reference's depth scale.
/// The map must be finite; it may have any size (it is resampled to the photo).
pub fn prepare(
    rgb: &RgbImage,
    map: &FloatMap,
    kind: DepthKind,
    origin: DepthOrigin,
    longer_side: u32,
) -> Prepared {
    let original = rgb.dimensions();
    let (w, h) = working_size(original.0, original.1, longer_side);
    let photo = if (w, h) == original {
        rgb.clone()
    } else {
        imageops::resize(rgb, w, h, FilterType::Triangle)
    };
    let (disparity, disparity_map) = normalized_disparity(map, kind, origin);
    let disparity = if disparity.dimensions() == (w, h) {
        disparity
    } else {
        resize_map(&disparity, w, h)
    };
    let depth = par_from_fn(w, h, |x, y| {
        1.0 / disparity.get_pixel(x, y)[0].max(DISPARITY_FLOOR)
    });
    let mean_loc_depth = depth.get_pixel(w / 2, h / 2)[0];
    Prepared {
        rgb: photo,
        depth,
        intrinsics: Intrinsics::reference(original, (w, h)),
        mean_loc_depth,
        disparity_map,
    }
}

/// Disparity scaled to max [`DISPARITY_SCALE`] (reference §1): an estimate is
/// shifted to start at 0 and box-blurred 3×3 (its farthest values then meet
/// [`DISPARITY_FLOOR`]); a measurement is mapped exactly onto
/// [`DISPARITY_FLOOR`]..[`DISPARITY_SCALE`], so no value is clamped or blurred.
fn normalized_disparity(
    map: &FloatMap,
    kind: DepthKind,
    origin: DepthOrigin,
) -> (FloatMap, DisparityMapping) {
    let mut disp = match kind {
        DepthKind::Disparity => map.clone(),
        DepthKind::Depth => inverse_depth(map),
    };
    let min = disp.par_iter().copied().reduce(|| f32::INFINITY, f32::min);
    disp.par_iter_mut().for_each(|d| *d -= min);
    let (mut disp, floor) = match origin {
        DepthOrigin::Estimated => (mean3x3(&disp), 0.0),
        DepthOrigin::Measured => (disp, DISPARITY_FLOOR),
    };
    let max = disp.par_iter().copied().reduce(|| 0.0, f32::max);
    let scale = if max > 0.0 {
        (DISPARITY_SCALE - floor) / max
    } else {
        0.0
    };
    disp.par_iter_mut().for_each(|d| *d = *d * scale + floor);
    let offset = if scale > 0.0 {
        min - floor / scale
    } else {
        min
    };
    (disp, DisparityMapping { offset, scale })
}

/// 1 / depth, with zero or negative depths raised to the smallest positive one.
fn inverse_depth(map: &FloatMap) -> FloatMap {
    let positive_min = (map.par_iter().copied())
        .filter(|&d| d > 0.0)
        .reduce(|| f32::INFINITY, f32::min);
    let floor = if positive_min.is_finite() {
        positive_min
    } else {
        1.0
    };
    par_from_fn(map.width(), map.height(), |x, y| {
        1.0 / map.get_pixel(x, y)[0].max(floor)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    #[test]
    fn working_size_keeps_aspect() {
        assert_eq!(working_size(600, 400, 960), (960, 640));
        assert_eq!(working_size(451, 300, 960), (960, 638));
        assert_eq!(working_size(300, 451, 960), (638, 960));
    }

    #[test]
    fn intrinsics_span_53_degrees_on_longer_side() {
        let k = Intrinsics::reference((600, 400), (960, 640));
        assert!((k.hfov.to_degrees() - 53.13).abs() < 0.01);
        assert!((k.fx - 960.0).abs() < 1e-3 && (k.fy - 960.0).abs() < 1e-3);
        assert_eq!((k.cx, k.cy), (480.0, 320.0));
    }

    #[test]
    fn disparity_maps_to_reference_depth_range() {
        // A map at twice the photo's resolution, resampled on the way.
        let map = FloatMap::from_fn(80, 40, |x, _| Luma([x as f32]));
        let p = prepare(
            &RgbImage::new(40, 20),
            &map,
            DepthKind::Disparity,
            DepthOrigin::Estimated,
            40,
        );
        let near = p.depth.get_pixel(39, 10)[0];
        let far = p.depth.get_pixel(0, 10)[0];
        assert!((1.0 / 3.0 - 1e-4..0.4).contains(&near), "near {near}");
        assert!((far - 20.0).abs() < 1e-3, "far {far}");
    }

    #[test]
    fn depth_kind_inverts_order() {
        let map = FloatMap::from_fn(40, 20, |x, _| Luma([1.0 + x as f32]));
        let p = prepare(
            &RgbImage::new(40, 20),
            &map,
            DepthKind::Depth,
            DepthOrigin::Estimated,
            40,
        );
        assert!(p.depth.get_pixel(0, 10)[0] < p.depth.get_pixel(39, 10)[0]);
    }

    #[test]
    fn constant_map_is_flat_and_finite() {
        let map = FloatMap::from_pixel(10, 10, image::Luma([5.0]));
        let p = prepare(
            &RgbImage::new(10, 10),
            &map,
            DepthKind::Depth,
            DepthOrigin::Estimated,
            10,
        );
        assert!(p.depth.pixels().all(|v| v[0] == 20.0));
    }

    #[test]
    fn measured_disparity_is_mapped_exactly_without_blur_or_clamping() {
        let map = FloatMap::from_fn(20, 4, |x, _| Luma([if x < 10 { 4.0 } else { 20.0 }]));
        let p = prepare(
            &RgbImage::new(20, 4),
            &map,
            DepthKind::Disparity,
            DepthOrigin::Measured,
            20,
        );
        let m = p.disparity_map;
        for x in 0..20 {
            let d = map.get_pixel(x, 1)[0];
            let working = 1.0 / p.depth.get_pixel(x, 1)[0];
            assert!((working - m.scale * (d - m.offset)).abs() < 1e-5, "x = {x}");
        }
        // The step stays one pixel wide, and the far side is not clamped to the floor.
        assert!((1.0 / p.depth.get_pixel(9, 1)[0] - DISPARITY_FLOOR).abs() < 1e-5);
        assert!((1.0 / p.depth.get_pixel(10, 1)[0] - DISPARITY_SCALE).abs() < 1e-5);
        let estimated = prepare(
            &RgbImage::new(20, 4),
            &map,
            DepthKind::Disparity,
            DepthOrigin::Estimated,
            20,
        );
        assert!(1.0 / estimated.depth.get_pixel(10, 1)[0] < DISPARITY_SCALE - 0.5);
    }
}
