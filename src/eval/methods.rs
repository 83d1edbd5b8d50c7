//! Reference renders and measures for `photo3d eval` that need no scene: the
//! nearest-pixel forward warp (the bar our renderer must meet on covered
//! pixels), background extension (the bar our inpainting must beat in the
//! holes), and a gradient-magnitude similarity that judges texture in the holes.

use crate::map::FloatMap;
use image::RgbImage;

/// One row-major target pixel of a forward warp: the colour and disparity that won the z-buffer.
type Hit = Option<([u8; 3], f32)>;

/// Nearest-pixel forward warp `x_right = round(x − d)`; where several left
/// pixels land, the larger disparity (nearer) wins. Unknown disparities are skipped.
fn warp(left: &RgbImage, disparity: &FloatMap) -> Vec<Hit> {
    let (w, h) = (left.width() as usize, left.height() as usize);
    let mut hits: Vec<Hit> = vec![None; w * h];
    for (x, y, d) in disparity.enumerate_pixels() {
        let d = d[0];
        if !d.is_finite() {
            continue;
        }
        let target = (x as f32 - d).round();
        if target < 0.0 || target >= w as f32 {
            continue;
        }
        let i = y as usize * w + target as usize;
        if hits[i].is_none_or(|(_, old)| d > old) {
            hits[i] = Some((left.get_pixel(x, y).0, d));
        }
    }
    hits
}

/// Fills each run of empty pixels on a row with `fill(start colour/disparity, end, t)`,
/// where a run touching the border uses its one known end for both, and `t` goes
/// from 0 to 1 across the run. A row with no hit at all stays black.
fn fill_runs(
    hits: &[Hit],
    w: usize,
    h: usize,
    fill: impl Fn(([u8; 3], f32), ([u8; 3], f32), f32) -> [u8; 3],
) -> RgbImage {
    let mut out = RgbImage::new(w as u32, h as u32);
    for y in 0..h {
        let row = &hits[y * w..(y + 1) * w];
        let mut x = 0;
        while x < w {
            if let Some((c, _)) = row[x] {
                out.put_pixel(x as u32, y as u32, image::Rgb(c));
                x += 1;
                continue;
            }
            let end = (x..w).find(|&e| row[e].is_some()).unwrap_or(w);
            let before = x.checked_sub(1).and_then(|b| row[b]);
            let after = row.get(end).copied().flatten();
            if let Some((a, b)) = before.or(after).zip(after.or(before)) {
                for (k, xx) in (x..end).enumerate() {
                    let t = (k + 1) as f32 / (end - x + 1) as f32;
                    out.put_pixel(xx as u32, y as u32, image::Rgb(fill(a, b, t)));
                }
            }
            x = end;
        }
    }
    out
}

/// The forward warp with each hole run filled by a linear ramp between the colours at its two ends.
pub fn forward_warp(left: &RgbImage, disparity: &FloatMap) -> RgbImage {
    let (w, h) = (left.width() as usize, left.height() as usize);
    fill_runs(&warp(left, disparity), w, h, |(a, _), (b, _), t| {
        std::array::from_fn(|c| (a[c] as f32 * (1.0 - t) + b[c] as f32 * t).round() as u8)
    })
}

/// The forward warp with each hole run taking the colour of the end with the
/// smaller disparity: the background side of the discontinuity that opened it.
pub fn background_extension(left: &RgbImage, disparity: &FloatMap) -> RgbImage {
    let (w, h) = (left.width() as usize, left.height() as usize);
    fill_runs(
        &warp(left, disparity),
        w,
        h,
        |(a, da), (b, db), _| {
            if da <= db {
                a
            } else {
                b
            }
        },
    )
}

/// Sobel gradient magnitude of `v` (w×h, borders clamped), divided by 4 so a step of s gives about s.
fn sobel_magnitude(v: &[f64], w: usize, h: usize) -> Vec<f64> {
    let at = |x: isize, y: isize| {
        let (x, y) = (
            x.clamp(0, w as isize - 1) as usize,
            y.clamp(0, h as isize - 1) as usize,
        );
        v[y * w + x]
    };
    (0..w * h)
        .map(|i| {
            let (x, y) = ((i % w) as isize, (i / w) as isize);
            let gx = at(x + 1, y - 1) + 2.0 * at(x + 1, y) + at(x + 1, y + 1)
                - at(x - 1, y - 1)
                - 2.0 * at(x - 1, y)
                - at(x - 1, y + 1);
            let gy = at(x - 1, y + 1) + 2.0 * at(x, y + 1) + at(x + 1, y + 1)
                - at(x - 1, y - 1)
                - 2.0 * at(x, y - 1)
                - at(x + 1, y - 1);
            (gx * gx + gy * gy).sqrt() / 4.0
        })
        .collect()
}

/// Mean gradient-magnitude similarity (GMSD's GMS, c = 170 for 8-bit luma) of two
/// luma images over `mask`: 1 where edges match in place and strength, lower
/// where texture is missing or invented. NaN for an empty mask.
pub fn gradient_similarity(a: &[f64], b: &[f64], w: usize, h: usize, mask: &[bool]) -> f64 {
    const C: f64 = 170.0;
    let (ga, gb) = (sobel_magnitude(a, w, h), sobel_magnitude(b, w, h));
    let (sum, n) = (0..w * h)
        .filter(|&i| mask[i])
        .map(|i| (2.0 * ga[i] * gb[i] + C) / (ga[i] * ga[i] + gb[i] * gb[i] + C))
        .fold((0.0, 0usize), |(s, n), g| (s + g, n + 1));
    if n == 0 {
        f64::NAN
    } else {
        sum / n as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Luma, Rgb};

    /// Background (disparity 1, colour by column) with a near red block (disparity 6) at columns 10..16.
    fn pair() -> (RgbImage, FloatMap) {
        let near = |x: u32| (10..16).contains(&x);
        let left = RgbImage::from_fn(30, 3, |x, _| {
            if near(x) {
                Rgb([255, 0, 0])
            } else {
                Rgb([0, (x * 8) as u8, 100])
            }
        });
        let d = FloatMap::from_fn(30, 3, |x, _| Luma([if near(x) { 6.0 } else { 1.0 }]));
        (left, d)
    }

    #[test]
    fn background_extension_fills_the_hole_from_the_far_side() {
        let (left, d) = pair();
        let view = background_extension(&left, &d);
        // The block lands on 4..10; background from 16.. lands on 15..; 10..15 is the hole.
        for x in 4..10 {
            assert_eq!(view.get_pixel(x, 1).0, [255, 0, 0], "x = {x}");
        }
        for x in 10..15 {
            assert_eq!(view.get_pixel(x, 1).0, [0, 128, 100], "x = {x}");
        }
        // The left view's first column lands off-image: the border run takes its one end.
        assert_eq!(view.get_pixel(29, 1).0, view.get_pixel(28, 1).0);
    }

    #[test]
    fn forward_warp_ramps_between_the_ends_of_a_hole() {
        let (left, d) = pair();
        let view = forward_warp(&left, &d);
        assert_eq!(view.get_pixel(9, 0).0, [255, 0, 0]);
        assert_eq!(view.get_pixel(15, 0).0, [0, 128, 100]);
        let mid = view.get_pixel(12, 0).0;
        assert!(mid[0] > 60 && mid[0] < 200 && mid[1] > 30, "{mid:?}");
        // Unknown disparity covers nothing: rows with no hit stay black.
        let unknown = FloatMap::from_pixel(30, 3, Luma([f32::NAN]));
        assert!(forward_warp(&left, &unknown)
            .pixels()
            .all(|p| p.0 == [0, 0, 0]));
    }

    #[test]
    fn gradient_similarity_is_one_for_equal_and_low_for_flattened_texture() {
        let (w, h) = (20, 20);
        let stripes: Vec<f64> = (0..w * h)
            .map(|i| if (i % w) / 2 % 2 == 0 { 200.0 } else { 20.0 })
            .collect();
        let flat = vec![110.0; w * h];
        let all = vec![true; w * h];
        assert!((gradient_similarity(&stripes, &stripes, w, h, &all) - 1.0).abs() < 1e-12);
        // Away from the clamped border columns every stripe pixel sits on an edge.
        let inner: Vec<bool> = (0..w * h).map(|i| (1..w - 1).contains(&(i % w))).collect();
        let flattened = gradient_similarity(&flat, &stripes, w, h, &inner);
        assert!(flattened < 0.01, "{flattened}");
        assert!(gradient_similarity(&flat, &stripes, w, h, &[false; 400]).is_nan());
    }
}
