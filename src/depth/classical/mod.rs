//! Classical monocular disparity from colour alone: the default depth source, no neural model.
//!
//! The photo is reduced to a working size and cut into SLIC superpixels; classical cues are
//! combined per superpixel — a ground-plane prior (lower is nearer), top-connected sky pushed
//! far, defocus (blurred background recedes), and a salient subject found by
//! background-connectivity saliency (Zhu et al. 2014) lifted forward as one rounded layer
//! standing at its ground contact (cf. Hoiem et al. 2005, "Automatic Photo Pop-up"). The
//! subject and defocus cues count only as far as the photo supports them (a subject that stands
//! out clearly, is in focus against a blurred background, or is small); where that evidence is
//! weak the estimate is the prior itself, which beats a wrong subject on real scenes. The
//! residual over the prior is smoothed edge-aware and upsampled with the full-size photo as
//! guide, so depth steps land on real colour edges and everything else stays smooth.

mod compose;
mod params;
mod saliency;
mod sky;
mod slic;
mod smooth;
mod working;

use crate::filter::colour::srgb_to_lab;
use crate::map::FloatMap;
use compose::{compose_residual, ground, ground_only};
use image::RgbImage;
use params::{MIN_SIDE, SMOOTH_RANGE, SMOOTH_SPATIAL, WORK_SIDE};
use rayon::prelude::*;
use saliency::{evidence, foreground_weight, saliency, sharpness};
use sky::sky_regions;
use slic::Segmentation;
use smooth::{domain_transform, joint_bilateral_upsample};
use working::working_image;

/// Estimate relative disparity (larger = nearer) in [0, 1] from colour alone.
pub fn estimate_disparity(rgb: &RgbImage) -> FloatMap {
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    if w.min(h) < MIN_SIDE {
        return ground_only(rgb.width(), rgb.height());
    }
    let scale = WORK_SIDE as f32 / w.max(h) as f32;
    let ww = ((w as f32 * scale).round() as usize).max(1);
    let wh = ((h as f32 * scale).round() as usize).max(1);
    let small = working_image(rgb, ww, wh);
    let lab: Vec<[f32; 3]> = small.par_iter().map(|&c| srgb_to_lab(c)).collect();

    let seg = Segmentation::new(&lab, ww, wh);
    let sharp = sharpness(&seg);
    let sky = sky_regions(&seg, &lab);
    let salient = saliency(&seg, &sky, &sharp);
    let fg = foreground_weight(&seg, &salient);
    let trust = evidence(&seg, &salient, &fg, &sharp);
    let mut residual = compose_residual(&seg, &sky, &fg, &sharp, trust);
    domain_transform(&mut residual, &lab, ww, wh, SMOOTH_SPATIAL, SMOOTH_RANGE);

    let full = if (ww, wh) == (w, h) {
        residual
    } else {
        joint_bilateral_upsample(&residual, &small, ww, wh, rgb)
    };
    let rows = (h.max(2) - 1) as f32;
    let data = full
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let d = ground((i / w) as f32 / rows) + r;
            if d.is_finite() {
                d.clamp(0.0, 1.0)
            } else {
                0.5
            }
        })
        .collect();
    FloatMap::from_raw(rgb.width(), rgb.height(), data)
        .unwrap_or_else(|| ground_only(rgb.width(), rgb.height()))
}

#[cfg(test)]
mod tests {
    use super::slic::{enforce_connectivity, slic};
    use super::*;
    use image::Rgb;

    /// Deterministic per-pixel noise in -1..1 (integer hash), for textures.
    fn noise(x: u32, y: u32, seed: u32) -> f32 {
        let mut v = x.wrapping_mul(0x9E37_79B1)
            ^ y.wrapping_mul(0x85EB_CA77)
            ^ seed.wrapping_mul(0xC2B2_AE3D);
        v ^= v >> 15;
        v = v.wrapping_mul(0x2C1B_3C6D);
        v ^= v >> 12;
        (v & 0xFFFF) as f32 / 32767.5 - 1.0
    }

    /// `base` colour with ±`amp` texture noise.
    fn textured(base: [f32; 3], amp: f32, x: u32, y: u32, seed: u32) -> Rgb<u8> {
        let n = noise(x, y, seed) * amp;
        Rgb(base.map(|c| (c + n).clamp(0.0, 255.0) as u8))
    }

    /// Mean of `map` over the pixels where `keep(x, y)` holds.
    fn mean_where(map: &FloatMap, keep: impl Fn(u32, u32) -> bool) -> f32 {
        let (mut sum, mut n) = (0.0f64, 0u32);
        for (x, y, p) in map.enumerate_pixels() {
            if keep(x, y) {
                sum += f64::from(p.0[0]);
                n += 1;
            }
        }
        assert!(n > 0, "empty region");
        (sum / f64::from(n)) as f32
    }

    fn assert_valid(map: &FloatMap, w: u32, h: u32) {
        assert_eq!(map.dimensions(), (w, h));
        for &v in map.as_raw() {
            assert!(v.is_finite() && (0.0..=1.0).contains(&v), "bad value {v}");
        }
    }

    fn load(name: &str) -> RgbImage {
        let path = format!("{}/examples/photos/{name}", env!("CARGO_MANIFEST_DIR"));
        match image::open(&path) {
            Ok(img) => img.to_rgb8(),
            Err(e) => panic!("cannot load {path}: {e}"),
        }
    }

    #[test]
    fn bright_textured_disc_is_nearer_than_its_background() {
        let (w, h) = (240u32, 180u32);
        let (cx, cy, r) = (120.0f32, 95.0f32, 45.0f32);
        let img = RgbImage::from_fn(w, h, |x, y| {
            let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
            if d < r {
                textured([235.0, 200.0, 60.0], 25.0, x, y, 1)
            } else {
                textured([60.0, 90.0, 70.0], 25.0, x, y, 2)
            }
        });
        let d = estimate_disparity(&img);
        assert_valid(&d, w, h);
        let dist = |x: u32, y: u32| ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
        let inside = mean_where(&d, |x, y| dist(x, y) < 0.7 * r);
        let ring = mean_where(&d, |x, y| dist(x, y) > 1.3 * r && (y as f32 - cy).abs() < r);
        assert!(inside > ring + 0.2, "disc {inside} vs background {ring}");
    }

    #[test]
    fn ground_gets_nearer_towards_the_bottom() {
        let (w, h) = (200u32, 150u32);
        let img = RgbImage::from_fn(w, h, |x, y| {
            let t = y as f32 / h as f32;
            textured([120.0 + 60.0 * t, 100.0 + 40.0 * t, 70.0], 20.0, x, y, 3)
        });
        let d = estimate_disparity(&img);
        assert_valid(&d, w, h);
        let top = mean_where(&d, |_, y| y < h / 10);
        let bottom = mean_where(&d, |_, y| y >= h - h / 10);
        assert!(bottom > top + 0.2, "bottom {bottom} vs top {top}");
    }

    #[test]
    fn blue_sky_band_is_farthest() {
        let (w, h) = (240u32, 160u32);
        let img = RgbImage::from_fn(w, h, |x, y| {
            if y < h / 3 {
                let t = y as f32 / (h / 3) as f32;
                Rgb([(70.0 + 60.0 * t) as u8, (120.0 + 50.0 * t) as u8, 220])
            } else {
                textured([110.0, 85.0, 55.0], 30.0, x, y, 4)
            }
        });
        let d = estimate_disparity(&img);
        assert_valid(&d, w, h);
        let sky = mean_where(&d, |_, y| y < h / 3 - 8);
        let rest = mean_where(&d, |_, y| y > h / 3 + 8);
        assert!(sky < 0.1, "sky {sky}");
        let sky_max = (0..w)
            .flat_map(|x| (0..h / 3 - 8).map(move |y| (x, y)))
            .map(|(x, y)| d.get_pixel(x, y).0[0])
            .fold(0.0f32, f32::max);
        let rest_min = (0..w)
            .flat_map(|x| (h / 3 + 8..h).map(move |y| (x, y)))
            .map(|(x, y)| d.get_pixel(x, y).0[0])
            .fold(1.0f32, f32::min);
        assert!(
            sky_max < rest_min,
            "sky up to {sky_max}, ground from {rest_min} (mean {rest})"
        );
    }

    #[test]
    fn degenerate_sizes_give_valid_maps() {
        for (w, h) in [
            (0, 0),
            (1, 1),
            (2, 2),
            (1, 500),
            (500, 1),
            (7, 300),
            (9, 9),
            (300, 9),
            (2000, 8),
            (13, 17),
        ] {
            let img = RgbImage::from_fn(w, h, |x, y| textured([128.0, 90.0, 60.0], 60.0, x, y, 5));
            assert_valid(&estimate_disparity(&img), w, h);
        }
    }

    #[test]
    fn constant_images_give_valid_maps() {
        for colour in [[0, 0, 0], [255, 255, 255], [90, 140, 230], [120, 120, 120]] {
            let img = RgbImage::from_pixel(64, 48, Rgb(colour));
            assert_valid(&estimate_disparity(&img), 64, 48);
        }
    }

    #[test]
    fn estimation_is_deterministic() {
        let img = RgbImage::from_fn(300, 200, |x, y| {
            let inside = (x as i32 - 150).pow(2) + (y as i32 - 110).pow(2) < 60 * 60;
            let base = if inside {
                [200.0, 60.0, 50.0]
            } else {
                [70.0, 110.0, 160.0]
            };
            textured(base, 40.0, x, y, 6)
        });
        let a = estimate_disparity(&img);
        let b = estimate_disparity(&img);
        assert_eq!(a.as_raw(), b.as_raw());
    }

    #[test]
    fn upsampling_keeps_size_and_range() {
        let img = RgbImage::from_fn(1001, 333, |x, y| {
            textured([100.0, 150.0, 90.0], 50.0, x, y, 7)
        });
        assert_valid(&estimate_disparity(&img), 1001, 333);
    }

    #[test]
    fn superpixels_are_connected_and_numbered_densely() {
        let (w, h) = (60usize, 40usize);
        let lab: Vec<[f32; 3]> = (0..w * h)
            .map(|i| {
                let v = noise((i % w) as u32, (i / w) as u32, 8) * 30.0 + 50.0;
                [v, v * 0.2, -v * 0.1]
            })
            .collect();
        let (labels, n) = slic(&lab, w, h);
        let mut seen = vec![0usize; n];
        labels.iter().for_each(|&l| seen[l as usize] += 1);
        assert!(seen.iter().all(|&c| c > 0), "every label used");
        let (relabelled, m) = enforce_connectivity(&labels, w, h, 1);
        assert_eq!(m, n, "each superpixel is already one 4-connected piece");
        assert!(relabelled.iter().all(|&l| (l as usize) < m));
    }

    #[test]
    fn coffee_cup_stands_in_front_of_the_table() {
        let d = estimate_disparity(&load("coffee.png"));
        let (w, h) = d.dimensions();
        let cup = mean_where(&d, |x, y| {
            (w * 35 / 100..w * 60 / 100).contains(&x) && (h * 30 / 100..h * 60 / 100).contains(&y)
        });
        let top = mean_where(&d, |_, y| y < h / 10);
        assert!(cup > top + 0.3, "cup {cup} vs top band {top}");
    }

    #[test]
    fn astronaut_stands_in_front_of_the_backdrop() {
        let d = estimate_disparity(&load("astronaut.png"));
        let (w, h) = d.dimensions();
        let body = mean_where(&d, |x, y| {
            (w * 30 / 100..w * 60 / 100).contains(&x) && (h * 40 / 100..h * 80 / 100).contains(&y)
        });
        let top = mean_where(&d, |_, y| y < h * 8 / 100);
        assert!(body > top + 0.3, "body {body} vs top band {top}");
    }

    #[test]
    fn rocket_sky_is_far_and_rocket_near() {
        let d = estimate_disparity(&load("rocket.jpg"));
        let (w, h) = d.dimensions();
        let sky = mean_where(&d, |x, y| (w / 5..w * 4 / 5).contains(&x) && y < h / 5);
        let rocket = mean_where(&d, |x, y| {
            (w * 490 / 1000..w * 510 / 1000).contains(&x)
                && (h * 40 / 100..h * 80 / 100).contains(&y)
        });
        assert!(sky < 0.1, "sky {sky}");
        assert!(rocket > sky + 0.5, "rocket {rocket} vs sky {sky}");
    }
}
