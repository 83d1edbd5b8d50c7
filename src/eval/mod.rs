//! View-synthesis evaluation: render the right view of a rectified stereo pair
//! from the left image and its disparity, and score it against the real right
//! image, overall, in the pixels the left view sees and in those it cannot;
//! [`bench`] runs it over a folder of scenes.

use crate::config::Config;
use crate::depth::DepthKind;
use crate::depth::{DepthEstimate, DepthSource};
use crate::filter::blur::gaussian_blur_ssim;
use crate::filter::fill::fill_from_far_side;
use crate::map::FloatMap;
use crate::pipeline::build_scene;
use crate::progress::Timings;
use crate::render::raster::{render, render_over};
use crate::render::Camera;
use image::RgbImage;
use serde::Serialize;

pub mod bench;
pub mod methods;

/// PSNR (dB) and SSIM over a set of pixels.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Score {
    pub psnr: f64,
    pub ssim: f64,
    pub pixels: usize,
}

/// Scores of one method: over all pixels, the pixels the left view sees
/// (covered), and the pixels it cannot (disoccluded), where the gradient
/// similarity also judges texture.
#[derive(Debug, Clone, Serialize)]
pub struct MethodScores {
    pub method: &'static str,
    pub all: Score,
    pub covered: Score,
    pub disoccluded: Score,
    pub gradient_disoccluded: f64,
}

/// Our pipeline against the baselines on one stereo pair.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub width: u32,
    pub height: u32,
    pub methods: Vec<MethodScores>,
}

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("left image is {0}×{1}, right image {2}×{3}, disparity {4}×{5}: sizes must match")]
    SizeMismatch(u32, u32, u32, u32, u32, u32),
    #[error("disparity has no finite value")]
    NoDisparity,
}

/// The methods every evaluation renders, in table order.
pub const METHODS: [&str; 5] = [
    "ours",
    "stretch",
    "black",
    "background-extension",
    "forward-warp",
];

/// Renders the right view (x_right = x_left − d) with every method of [`METHODS`]
/// and scores each against `right`. NaN/inf disparities are unknown: filled for
/// our renderer, skipped by the warps, left out of the disocclusion mask.
pub fn evaluate(
    left: &RgbImage,
    disparity: &FloatMap,
    right: &RgbImage,
    config: &Config,
) -> Result<Evaluation, EvalError> {
    let views = render_all(left, disparity, right, config)?;
    Ok(score_views(&views, disparity, right))
}

/// The right view rendered by each method of [`METHODS`], in that order.
pub fn render_all(
    left: &RgbImage,
    disparity: &FloatMap,
    right: &RgbImage,
    config: &Config,
) -> Result<Vec<RgbImage>, EvalError> {
    let (w, h) = left.dimensions();
    if right.dimensions() != (w, h) || disparity.dimensions() != (w, h) {
        let (rw, rh) = right.dimensions();
        let (dw, dh) = disparity.dimensions();
        return Err(EvalError::SizeMismatch(w, h, rw, rh, dw, dh));
    }
    let filled = fill_unknown(disparity).ok_or(EvalError::NoDisparity)?;
    Ok(vec![
        render_right(left, &filled, config, true, true, None),
        render_right(left, &filled, config, false, false, None),
        render_right(left, &filled, config, true, false, Some([0, 0, 0])),
        methods::background_extension(left, disparity),
        methods::forward_warp(left, disparity),
    ])
}

/// Scores views rendered by [`render_all`] against `right`.
pub fn score_views(views: &[RgbImage], disparity: &FloatMap, right: &RgbImage) -> Evaluation {
    let (w, h) = right.dimensions();
    let (mask, covered) = masks(disparity);
    let all = vec![true; (w * h) as usize];
    let truth_luma = luma(right);
    let methods = METHODS
        .iter()
        .zip(views)
        .map(|(&name, view)| MethodScores {
            method: name,
            all: score(view, right, &all),
            covered: score(view, right, &covered),
            disoccluded: score(view, right, &mask),
            gradient_disoccluded: methods::gradient_similarity(
                &luma(view),
                &truth_luma,
                w as usize,
                h as usize,
                &mask,
            ),
        })
        .collect();
    Evaluation {
        width: w,
        height: h,
        methods,
    }
}

/// Disocclusion mask as a black/white image (white = disoccluded).
pub fn mask_image(mask: &[bool], w: u32, h: u32) -> image::GrayImage {
    image::GrayImage::from_fn(w, h, |x, y| {
        image::Luma([if mask[(y * w + x) as usize] { 255 } else { 0 }])
    })
}

/// Per-pixel error of `view` against `truth`: mean absolute channel difference ×4, clipped.
pub fn error_image(view: &RgbImage, truth: &RgbImage) -> image::GrayImage {
    image::GrayImage::from_fn(view.width(), view.height(), |x, y| {
        let (a, b) = (view.get_pixel(x, y).0, truth.get_pixel(x, y).0);
        let sum: u32 = (0..3).map(|c| a[c].abs_diff(b[c]) as u32).sum();
        image::Luma([(sum * 4 / 3).min(255) as u8])
    })
}

/// Builds the scene from the left view and renders it from the right camera.
/// `cut` = false disables discontinuities (a stretched mesh); `inpaint` = false
/// leaves the disoccluded holes empty. Pixels that see no surface show
/// `background`, or with None are filled from their surroundings as the
/// videos and views fill them.
pub fn render_right(
    left: &RgbImage,
    disparity: &FloatMap,
    config: &Config,
    cut: bool,
    inpaint: bool,
    background: Option<[u8; 3]>,
) -> RgbImage {
    let (w, h) = left.dimensions();
    let config = Config {
        longer_side_len: w.max(h),
        depth_threshold: if cut {
            config.depth_threshold
        } else {
            f32::MAX
        },
        inpaint,
        ..config.clone()
    };
    let estimate = DepthEstimate {
        map: disparity.clone(),
        kind: DepthKind::Disparity,
        // The true disparity is a measurement: kept exact, as a depth file is.
        // Its path is never reported by an evaluation.
        source: DepthSource::File {
            path: std::path::PathBuf::new(),
        },
    };
    let scene = build_scene(
        left,
        &estimate,
        &config,
        &mut Timings::default(),
        &mut |_| {},
    );
    // Working disparity D = s·(d − o) and screen shift fx·t/z = fx·t·D; choose
    // t and a principal-point shift so the shift is exactly −d.
    let map = scene.prepared.disparity_map;
    let k = scene.prepared.intrinsics;
    let mut camera = Camera::original(&k, w, h);
    if map.scale > 0.0 {
        camera = camera.posed([-1.0 / (map.scale * k.fx), 0.0, 0.0], 1.0);
    }
    camera.cx -= map.offset;
    let samples = config.samples_per_side();
    match background {
        Some(background) => render_over(&scene.render_mesh, &camera, samples, background),
        None => render(&scene.render_mesh, &camera, samples),
    }
}

/// Unknown disparities filled from the far side of each occlusion; None if none is known.
fn fill_unknown(disparity: &FloatMap) -> Option<FloatMap> {
    let mut filled = disparity.clone();
    fill_from_far_side(&mut filled).map(|_| filled)
}

/// Right-view pixels that no left pixel with known disparity lands on
/// (forward warp, each left pixel covering the interval it maps to), leaving
/// out the columns at the right border that lie outside the left view.
pub fn disocclusion_mask(disparity: &FloatMap) -> Vec<bool> {
    masks(disparity).0
}

/// The disocclusion mask and the covered pixels (those some left pixel's interval lands on).
fn masks(disparity: &FloatMap) -> (Vec<bool>, Vec<bool>) {
    let (w, h) = (disparity.width() as usize, disparity.height() as usize);
    let mut covered = vec![false; w * h];
    let mut max_d: f32 = 0.0;
    for y in 0..h {
        for x in 0..w {
            let d = disparity.get_pixel(x as u32, y as u32)[0];
            if !d.is_finite() {
                continue;
            }
            max_d = max_d.max(d);
            let (a, b) = (x as f32 - d, x as f32 + 1.0 - d);
            let first = (a - 0.5).ceil().max(0.0) as usize;
            let last = ((b - 0.5).floor().max(-1.0) + 1.0) as usize;
            for c in first.min(w)..last.min(w) {
                covered[y * w + c] = true;
            }
        }
    }
    let edge = w.saturating_sub(max_d.ceil() as usize + 1);
    let mask = (0..w * h).map(|i| !covered[i] && i % w < edge).collect();
    (mask, covered)
}

/// PSNR over RGB and mean SSIM of luma, over the pixels in `mask`.
pub fn score(image: &RgbImage, truth: &RgbImage, mask: &[bool]) -> Score {
    let pixels = mask.iter().filter(|&&m| m).count();
    if pixels == 0 {
        return Score {
            psnr: f64::NAN,
            ssim: f64::NAN,
            pixels,
        };
    }
    let mut squared = 0.0f64;
    for (i, (a, b)) in image.pixels().zip(truth.pixels()).enumerate() {
        if mask[i] {
            squared +=
                a.0.iter()
                    .zip(b.0)
                    .map(|(&p, q)| (p as f64 - q as f64).powi(2))
                    .sum::<f64>();
        }
    }
    let mse = squared / (3 * pixels) as f64;
    let psnr = if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0f64 * 255.0 / mse).log10()
    };
    let ssim_map = ssim_map(
        &luma(image),
        &luma(truth),
        image.width() as usize,
        image.height() as usize,
    );
    let ssim = ssim_map
        .iter()
        .zip(mask)
        .filter(|(_, &m)| m)
        .map(|(s, _)| *s)
        .sum::<f64>()
        / pixels as f64;
    Score { psnr, ssim, pixels }
}

fn luma(image: &RgbImage) -> Vec<f64> {
    image
        .pixels()
        .map(|p| 0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64)
        .collect()
}

/// SSIM at every pixel with an 11×11 Gaussian window (σ = 1.5), the usual constants.
fn ssim_map(a: &[f64], b: &[f64], w: usize, h: usize) -> Vec<f64> {
    let blur = |v: &[f64]| gaussian_blur_ssim(v, w, h);
    let (mu_a, mu_b) = (blur(a), blur(b));
    let aa: Vec<f64> = a.iter().map(|v| v * v).collect();
    let bb: Vec<f64> = b.iter().map(|v| v * v).collect();
    let ab: Vec<f64> = a.iter().zip(b).map(|(x, y)| x * y).collect();
    let (s_aa, s_bb, s_ab) = (blur(&aa), blur(&bb), blur(&ab));
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    (0..w * h)
        .map(|i| {
            let (ma, mb) = (mu_a[i], mu_b[i]);
            let var_a = s_aa[i] - ma * ma;
            let var_b = s_bb[i] - mb * mb;
            let cov = s_ab[i] - ma * mb;
            ((2.0 * ma * mb + c1) * (2.0 * cov + c2))
                / ((ma * ma + mb * mb + c1) * (var_a + var_b + c2))
        })
        .collect()
}

/// The scores as an aligned text table.
pub fn table(eval: &Evaluation) -> String {
    let mut out = format!(
        "{:<21} {:>8} {:>7} {:>7} {:>7} {:>7} {:>7}\n",
        "method", "PSNR all", "covered", "disocc", "SSIM", "SSIM do", "GMS do"
    );
    for m in &eval.methods {
        out += &format!(
            "{:<21} {:>8.2} {:>7.2} {:>7.2} {:>7.4} {:>7.4} {:>7.4}\n",
            m.method,
            m.all.psnr,
            m.covered.psnr,
            m.disoccluded.psnr,
            m.all.ssim,
            m.disoccluded.ssim,
            m.gradient_disoccluded
        );
    }
    let pixels = eval
        .methods
        .first()
        .map(|m| m.disoccluded.pixels)
        .unwrap_or(0);
    out + &format!(
        "disoccluded pixels: {pixels} of {}\n",
        eval.width * eval.height
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_images_score_perfectly_and_noise_lowers_scores() {
        let a = RgbImage::from_fn(32, 24, |x, y| {
            image::Rgb([(x * 7) as u8, (y * 9) as u8, 100])
        });
        let all = vec![true; 32 * 24];
        let same = score(&a, &a, &all);
        assert!(same.psnr.is_infinite() && (same.ssim - 1.0).abs() < 1e-9);
        let mut b = a.clone();
        b.pixels_mut()
            .enumerate()
            .for_each(|(i, p)| p[0] = p[0].wrapping_add((i % 5) as u8 * 10));
        let worse = score(&b, &a, &all);
        assert!(worse.psnr < 30.0 && worse.ssim < 0.99);
    }

    #[test]
    fn mask_marks_the_band_a_near_object_uncovers() {
        // Background disparity 1, a near block (disparity 9) at columns 10..20.
        let d = FloatMap::from_fn(40, 4, |x, _| {
            image::Luma([if (10..20).contains(&x) { 9.0 } else { 1.0 }])
        });
        let mask = disocclusion_mask(&d);
        let row: Vec<usize> = (0..40).filter(|&x| mask[x]).collect();
        // The block lands on 1..11; background from 20.. lands on 19..; so 11..19 is uncovered.
        assert_eq!(row, (11..19).collect::<Vec<_>>());
    }
}
