//! Screen-space filling of the pixels a view sees no surface through.
//!
//! Large camera moves can look past the inpainted layers; a flat grey patch
//! there reads as a hole in the photo. Such pixels take a smooth blend of the
//! surfaces around them by push-pull (a weighted image pyramid), weighted
//! towards far surfaces because what a view newly uncovers lies behind.

use image::RgbImage;

/// How much farther surfaces dominate the fill: weights grow as depth^FAR_POWER.
const FAR_POWER: i32 = 2;

/// What the rasterizer knows of each output pixel besides its colour.
pub struct Coverage<'a> {
    /// Samples of the pixel that hit a surface, out of `full`.
    pub hits: &'a [u16],
    /// Mean inverse depth of the hit samples (0 where none hit).
    pub inv_z: &'a [f32],
    pub full: u16,
}

/// One pyramid level: weighted colour sums and weight per pixel.
struct Level {
    w: usize,
    h: usize,
    sum: Vec<[f32; 3]>,
    weight: Vec<f32>,
}

/// Replaces the empty part of every pixel with a blend of the nearby surfaces.
/// `image` holds, per pixel, the hit samples averaged with `background` for the
/// missed ones (as the rasterizer resolves them); pixels with no miss are kept.
pub fn fill_holes(image: &mut RgbImage, coverage: &Coverage, background: [u8; 3]) {
    let Some(area) = hole_area(image.width() as usize, image.height() as usize, coverage) else {
        return;
    };
    let full = f32::from(coverage.full);
    let bg = background.map(f32::from);
    let (w, h) = (area.x1 - area.x0, area.y1 - area.y0);
    let mut base = Level {
        w,
        h,
        sum: vec![[0.0; 3]; w * h],
        weight: vec![0.0; w * h],
    };
    let width = image.width() as usize;
    let index = |j: usize| (area.y0 + j / w) * width + area.x0 + j % w;
    for j in 0..w * h {
        let i = index(j);
        let hits = f32::from(coverage.hits[i]);
        if hits == 0.0 {
            continue;
        }
        // Undo the resolve's background share to get the hit samples' mean.
        let p = &image.as_raw()[3 * i..3 * i + 3];
        let mean = [0, 1, 2].map(|k| (f32::from(p[k]) * full - (full - hits) * bg[k]) / hits);
        let weight = hits * (1.0 / coverage.inv_z[i]).powi(FAR_POWER);
        if weight.is_finite() && weight > 0.0 {
            base.sum[j] = mean.map(|c| c * weight);
            base.weight[j] = weight;
        }
    }
    let fill = pull(push(base));
    let pixels: &mut [u8] = image;
    for (j, colour) in fill.into_iter().enumerate() {
        let i = index(j);
        let missed = full - f32::from(coverage.hits[i]);
        let Some(colour) = colour.filter(|_| missed > 0.0) else {
            continue;
        };
        for k in 0..3 {
            let value = f32::from(pixels[3 * i + k]) + missed / full * (colour[k] - bg[k]);
            pixels[3 * i + k] = value.round().clamp(0.0, 255.0) as u8;
        }
    }
}

/// Surroundings of the missed pixels that the fill draws on, in pixels.
const MARGIN: usize = 48;

/// The pixel rectangle [x0, x1) × [y0, y1) to fill.
struct Area {
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
}

/// The bounding box of the pixels with missed samples, grown by [`MARGIN`];
/// None when every sample hit a surface.
fn hole_area(width: usize, height: usize, coverage: &Coverage) -> Option<Area> {
    let mut area: Option<Area> = None;
    for (i, _) in coverage
        .hits
        .iter()
        .enumerate()
        .filter(|(_, &c)| c < coverage.full)
    {
        let (x, y) = (i % width, i / width);
        let a = area.get_or_insert(Area {
            x0: x,
            y0: y,
            x1: x,
            y1: y,
        });
        (a.x0, a.y0, a.x1, a.y1) = (a.x0.min(x), a.y0.min(y), a.x1.max(x), a.y1.max(y));
    }
    area.map(|a| Area {
        x0: a.x0.saturating_sub(MARGIN),
        y0: a.y0.saturating_sub(MARGIN),
        x1: (a.x1 + 1 + MARGIN).min(width),
        y1: (a.y1 + 1 + MARGIN).min(height),
    })
}

/// The pyramid from `base` up to a single pixel, finest first.
fn push(base: Level) -> Vec<Level> {
    let mut levels = vec![base];
    loop {
        let fine = &levels[levels.len() - 1];
        if fine.w == 1 && fine.h == 1 {
            break levels;
        }
        let (w, h) = (fine.w.div_ceil(2), fine.h.div_ceil(2));
        let mut coarse = Level {
            w,
            h,
            sum: vec![[0.0; 3]; w * h],
            weight: vec![0.0; w * h],
        };
        for y in 0..fine.h {
            for x in 0..fine.w {
                let (i, j) = (y * fine.w + x, (y / 2) * w + x / 2);
                for k in 0..3 {
                    coarse.sum[j][k] += fine.sum[i][k];
                }
                coarse.weight[j] += fine.weight[i];
            }
        }
        levels.push(coarse);
    }
}

/// A filled pixel: colour and the weight of the surfaces behind it.
type Filled = Option<([f32; 3], f32)>;

/// Colour per base pixel: its own where it has weight, else interpolated
/// from the next coarser level, filled first, by bilinear factors times the
/// corners' weights (so far surfaces keep their pull). None when nothing was hit.
fn pull(levels: Vec<Level>) -> Vec<Option<[f32; 3]>> {
    let mut coarser: Option<(usize, usize, Vec<Filled>)> = None;
    for level in levels.into_iter().rev() {
        let own = |i: usize| {
            let weight = level.weight[i];
            (weight > 0.0).then(|| (level.sum[i].map(|s| s / weight), weight))
        };
        let filled: Vec<Filled> = match &coarser {
            None => (0..level.w * level.h).map(own).collect(),
            Some((cw, ch, up)) => (0..level.w * level.h)
                .map(|i| {
                    own(i).or_else(|| {
                        let (x, y) = (i % level.w, i / level.w);
                        let (cx, cy) = ((x as f32 - 0.5) / 2.0, (y as f32 - 0.5) / 2.0);
                        // A coarse weight sums four fine pixels' worth.
                        bilinear(up, *cw, *ch, cx, cy).map(|(c, w)| (c, w / 4.0))
                    })
                })
                .collect(),
        };
        coarser = Some((level.w, level.h, filled));
    }
    coarser
        .map(|(_, _, filled)| filled.into_iter().map(|f| f.map(|(c, _)| c)).collect())
        .unwrap_or_default()
}

/// Weighted bilinear sample of a filled grid at (x, y), clamped to the grid:
/// each corner counts by its bilinear factor times its weight.
fn bilinear(grid: &[Filled], w: usize, h: usize, x: f32, y: f32) -> Filled {
    let (x, y) = (x.clamp(0.0, (w - 1) as f32), y.clamp(0.0, (h - 1) as f32));
    let (x0, y0) = (x as usize, y as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let corners = [
        (x0, y0, (1.0 - fx) * (1.0 - fy)),
        (x1, y0, fx * (1.0 - fy)),
        (x0, y1, (1.0 - fx) * fy),
        (x1, y1, fx * fy),
    ];
    let mut sum = [0.0f32; 3];
    let (mut total, mut factors) = (0.0, 0.0);
    for (cx, cy, factor) in corners {
        if let Some((c, weight)) = grid[cy * w + cx] {
            for k in 0..3 {
                sum[k] += factor * weight * c[k];
            }
            total += factor * weight;
            factors += factor;
        }
    }
    (total > 0.0).then(|| (sum.map(|s| s / total), total / factors))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    const GREY: [u8; 3] = [128, 128, 128];

    /// A 20×10 view: left half a near red surface, right half a far blue one,
    /// with an empty vertical strip at x = 8..12 between them.
    fn split_view() -> (RgbImage, Vec<u16>, Vec<f32>) {
        let (w, h) = (20, 10);
        let mut image = RgbImage::new(w, h);
        let mut hits = vec![4u16; (w * h) as usize];
        let mut inv_z = vec![0f32; (w * h) as usize];
        for y in 0..h {
            for x in 0..w {
                let i = (y * w + x) as usize;
                let (colour, z) = match x {
                    0..8 => ([200, 20, 20], 1.0),
                    8..12 => (GREY, 0.0),
                    _ => ([20, 20, 200], 4.0),
                };
                image.put_pixel(x, y, Rgb(colour));
                if z == 0.0 {
                    hits[i] = 0;
                } else {
                    inv_z[i] = 1.0 / z;
                }
            }
        }
        (image, hits, inv_z)
    }

    #[test]
    fn empty_pixels_take_the_far_surface_and_covered_ones_stay() {
        let (mut image, hits, inv_z) = split_view();
        let before = image.clone();
        let coverage = Coverage {
            hits: &hits,
            inv_z: &inv_z,
            full: 4,
        };
        fill_holes(&mut image, &coverage, GREY);
        for y in 0..10 {
            for x in 8..12 {
                let [r, _, b] = image.get_pixel(x, y).0;
                assert!(b > 150 && r < 80, "hole pixel ({x},{y}) = {:?}", [r, b]);
            }
            for x in (0..8).chain(12..20) {
                assert_eq!(image.get_pixel(x, y), before.get_pixel(x, y));
            }
        }
    }

    #[test]
    fn partly_covered_pixels_mix_their_hits_with_the_fill() {
        let (mut image, mut hits, inv_z) = split_view();
        // Pixel (12, 5) hit 2 of 4 samples of the far surface: resolved half grey.
        let i = 5 * 20 + 12;
        hits[i] = 2;
        image.put_pixel(12, 5, Rgb([74, 74, 164]));
        let coverage = Coverage {
            hits: &hits,
            inv_z: &inv_z,
            full: 4,
        };
        fill_holes(&mut image, &coverage, GREY);
        let [r, _, b] = image.get_pixel(12, 5).0;
        assert!(b > 180 && r < 40, "{:?}", image.get_pixel(12, 5));
    }

    #[test]
    fn a_small_hole_far_from_the_corner_is_filled_in_place() {
        let (w, h) = (200u32, 120u32);
        let hole = |x: u32, y: u32| (150..156).contains(&x) && (90..96).contains(&y);
        let mut image = RgbImage::from_fn(w, h, |x, y| {
            Rgb(if hole(x, y) { GREY } else { [10, 200, 60] })
        });
        let hits: Vec<u16> = (0..w * h)
            .map(|i| if hole(i % w, i / w) { 0 } else { 4 })
            .collect();
        let inv_z: Vec<f32> = hits
            .iter()
            .map(|&c| if c > 0 { 0.5 } else { 0.0 })
            .collect();
        let coverage = Coverage {
            hits: &hits,
            inv_z: &inv_z,
            full: 4,
        };
        fill_holes(&mut image, &coverage, GREY);
        assert!(image.pixels().all(|p| p.0 == [10, 200, 60]));
    }

    #[test]
    fn a_view_with_no_surface_keeps_the_background() {
        let mut image = RgbImage::from_pixel(6, 4, Rgb(GREY));
        let (hits, inv_z) = (vec![0u16; 24], vec![0f32; 24]);
        let coverage = Coverage {
            hits: &hits,
            inv_z: &inv_z,
            full: 4,
        };
        fill_holes(&mut image, &coverage, GREY);
        assert!(image.pixels().all(|p| p.0 == GREY));
    }
}
