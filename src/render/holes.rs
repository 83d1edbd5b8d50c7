//! Screen-space filling of the pixels a view sees no surface through.
//!
//! Large camera moves can look past the inpainted layers; a flat grey patch
//! there reads as a hole in the photo. Such pixels take a blend of the
//! surfaces around them by push-pull (a weighted image pyramid) over each
//! cluster's surroundings, weighted towards far surfaces because what a view
//! newly uncovers lies behind.

use crate::filter::colour::to_channel;
use image::RgbImage;
use rayon::prelude::*;

/// How much farther surfaces dominate the fill: weights grow as the square of
/// depth relative to the nearest surface around the hole, up to this ratio, so
/// that a very distant sky does not outweigh the ground right beside a hole.
const MAX_DEPTH_RATIO: f32 = 4.0;

/// What the rasterizer knows of each output pixel besides its colour.
pub struct Coverage<'a> {
    /// Samples of the pixel that hit a surface, out of `full`.
    pub hits: &'a [u16],
    /// Mean inverse depth of the hit samples (0 where none hit).
    pub inv_z: &'a [f32],
    pub full: u16,
}

/// Surroundings of a cluster of misses that its pyramid draws on: as wide as
/// the cluster, within these bounds (pixels).
const MIN_MARGIN: usize = 8;
const MAX_MARGIN: usize = 48;

/// One pyramid level: weighted colour sums and weight per pixel.
struct Level {
    w: usize,
    h: usize,
    sum: Vec<[f32; 3]>,
    weight: Vec<f32>,
}

/// The view being filled: the resolved image and what each pixel hit.
struct View<'a> {
    pixels: &'a [u8],
    width: usize,
    coverage: &'a Coverage<'a>,
    background: [f32; 3],
}

impl View<'_> {
    /// Mean colour of the samples of pixel `i` that hit a surface, and its fill
    /// weight: hits × (depth / nearest depth)², the ratio at most
    /// [`MAX_DEPTH_RATIO`], where `nearest_inv_z` is the nearest surface's
    /// inverse depth. None where nothing was hit.
    fn hit(&self, i: usize, nearest_inv_z: f32) -> Option<([f32; 3], f32)> {
        let hits = f32::from(self.coverage.hits[i]);
        let full = f32::from(self.coverage.full);
        let inv_z = self.coverage.inv_z[i];
        if hits == 0.0 || inv_z <= 0.0 {
            return None;
        }
        let ratio = (nearest_inv_z / inv_z).clamp(1.0, MAX_DEPTH_RATIO);
        let weight = hits * ratio * ratio;
        // Undo the resolve's background share to get the hit samples' mean.
        let p = &self.pixels[3 * i..3 * i + 3];
        let bg = self.background;
        let mean = [0, 1, 2].map(|k| (f32::from(p[k]) * full - (full - hits) * bg[k]) / hits);
        Some((mean, weight))
    }
}

/// Replaces the empty part of every pixel with a blend of the nearby surfaces.
/// `image` holds, per pixel, the hit samples averaged with `background` for the
/// missed ones (as the rasterizer resolves them); pixels with no miss are kept.
pub fn fill_uncovered(image: &mut RgbImage, coverage: &Coverage, background: [u8; 3]) {
    let (width, height) = (image.width() as usize, image.height() as usize);
    // Most frames miss nothing: a scan the compiler vectorises says so
    // sooner than the parallel search below (about 1 % of a frame's CPU).
    if coverage.hits.iter().fold(u16::MAX, |m, &h| m.min(h)) >= coverage.full {
        return;
    }
    // In parallel: on most frames this scan is all there is to do, and it
    // would leave a core idle at every frame's end.
    let missed: Vec<usize> = (0..width * height)
        .into_par_iter()
        .filter(|&i| coverage.hits[i] < coverage.full)
        .collect();
    if missed.is_empty() {
        return;
    }
    let view = View {
        pixels: image.as_raw(),
        width,
        coverage,
        background: background.map(f32::from),
    };
    // Each cluster of misses is filled from a pyramid over its own surroundings:
    // most frames miss a few scattered samples, and a whole-frame pyramid per
    // frame would cost more than the misses are worth.
    let fills: Vec<(usize, [f32; 3])> = clusters(&missed, coverage, width, height)
        .par_iter()
        .flat_map_iter(|cluster| {
            let area = bounding_area(cluster, width, height);
            let fill = pull(push(base_level(&view, &area)));
            let area_width = area.x1 - area.x0;
            cluster.iter().filter_map(move |&i| {
                let (x, y) = (i % width - area.x0, i / width - area.y0);
                fill[y * area_width + x].map(|colour| (i, colour))
            })
        })
        .collect();
    let full = f32::from(coverage.full);
    let pixels: &mut [u8] = image;
    for (i, colour) in fills {
        let missed = full - f32::from(coverage.hits[i]);
        for k in 0..3 {
            let value = f32::from(pixels[3 * i + k])
                + missed / full * (colour[k] - f32::from(background[k]));
            pixels[3 * i + k] = to_channel(value);
        }
    }
}

/// The finest pyramid level over `area`: each hit pixel's weighted colour.
fn base_level(view: &View, area: &Area) -> Level {
    let (w, h) = (area.x1 - area.x0, area.y1 - area.y0);
    let mut base = Level {
        w,
        h,
        sum: vec![[0.0; 3]; w * h],
        weight: vec![0.0; w * h],
    };
    let pixel = |j: usize| (area.y0 + j / w) * view.width + area.x0 + j % w;
    let nearest_inv_z = (0..w * h)
        .map(|j| view.coverage.inv_z[pixel(j)])
        .fold(0.0, f32::max);
    for j in 0..w * h {
        if let Some((mean, weight)) = view.hit(pixel(j), nearest_inv_z) {
            base.sum[j] = mean.map(|c| c * weight);
            base.weight[j] = weight;
        }
    }
    base
}

/// The pixel rectangle [x0, x1) × [y0, y1) to fill.
struct Area {
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
}

/// The bounding box of `pixels` (not empty), grown by a margin as wide as
/// the box, within [`MIN_MARGIN`, `MAX_MARGIN`].
fn bounding_area(pixels: &[usize], width: usize, height: usize) -> Area {
    let (x0, y0, x1, y1) =
        pixels
            .iter()
            .fold((usize::MAX, usize::MAX, 0, 0), |(x0, y0, x1, y1), &i| {
                let (x, y) = (i % width, i / width);
                (x0.min(x), y0.min(y), x1.max(x), y1.max(y))
            });
    let margin = (x1 - x0).max(y1 - y0).clamp(MIN_MARGIN, MAX_MARGIN);
    Area {
        x0: x0.saturating_sub(margin),
        y0: y0.saturating_sub(margin),
        x1: (x1 + 1 + margin).min(width),
        y1: (y1 + 1 + margin).min(height),
    }
}

/// The missed pixels (ascending) grouped into 8-connected clusters. Which
/// are grouped is kept per missed pixel, not per pixel of the frame: a
/// frame-sized array would be fresh memory to fault in at every frame.
fn clusters(missed: &[usize], coverage: &Coverage, width: usize, height: usize) -> Vec<Vec<usize>> {
    let mut seen = vec![false; missed.len()];
    let mut groups = Vec::new();
    for (k, &start) in missed.iter().enumerate() {
        if seen[k] {
            continue;
        }
        seen[k] = true;
        let mut group = vec![start];
        let mut next = 0;
        while next < group.len() {
            let (x, y) = (group[next] % width, group[next] / width);
            next += 1;
            for qy in y.saturating_sub(1)..(y + 2).min(height) {
                for qx in x.saturating_sub(1)..(x + 2).min(width) {
                    let q = qy * width + qx;
                    if coverage.hits[q] >= coverage.full {
                        continue;
                    }
                    // Every missed pixel is in `missed`.
                    let Ok(j) = missed.binary_search(&q) else {
                        continue;
                    };
                    if !seen[j] {
                        seen[j] = true;
                        group.push(q);
                    }
                }
            }
        }
        groups.push(group);
    }
    groups
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
        fill_uncovered(&mut image, &coverage, GREY);
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
        fill_uncovered(&mut image, &coverage, GREY);
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
        fill_uncovered(&mut image, &coverage, GREY);
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
        fill_uncovered(&mut image, &coverage, GREY);
        assert!(image.pixels().all(|p| p.0 == GREY));
    }

    #[test]
    fn misses_touching_at_a_corner_form_one_cluster() {
        // 6×4: misses at (0, 0) and (1, 1), diagonal neighbours; (4, 2) and
        // (5, 3), also diagonal; (3, 0) alone, partly hit.
        let mut hits = vec![4u16; 24];
        for (i, h) in [(0, 0), (7, 0), (16, 1), (23, 3), (3, 2)] {
            hits[i] = h;
        }
        let inv_z = vec![1f32; 24];
        let coverage = Coverage {
            hits: &hits,
            inv_z: &inv_z,
            full: 4,
        };
        let missed: Vec<usize> = (0..24).filter(|&i| hits[i] < 4).collect();
        let mut groups = clusters(&missed, &coverage, 6, 4);
        groups.iter_mut().for_each(|g| g.sort_unstable());
        assert_eq!(groups, vec![vec![0, 7], vec![3], vec![16, 23]]);
    }
}
