//! Classical monocular disparity from colour alone: the default depth source, no neural model.
//!
//! The photo is reduced to a working size and cut into SLIC superpixels; classical cues are
//! combined per superpixel — a ground-plane prior (lower is nearer), top-connected sky pushed
//! far, defocus (blurred background recedes), and a salient, in-focus subject found by
//! background-connectivity saliency (Zhu et al. 2014) lifted forward as one rounded layer
//! standing at its ground contact (cf. Hoiem et al. 2005, "Automatic Photo Pop-up"). The map
//! is then smoothed edge-aware and upsampled with the full-size photo as guide, so depth steps
//! land on real colour edges and everything else stays smooth.

use crate::io::depth_file::FloatMap;
use image::RgbImage;
use rayon::prelude::*;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Longer side of the working image; larger photos are area-averaged down to it.
const WORK_SIDE: usize = 384;
/// Photos with a side shorter than this get the ground-plane prior alone.
const MIN_SIDE: usize = 8;
/// Target superpixel spacing in working-image pixels.
const SP_STEP: usize = 12;
/// SLIC compactness: weight of spatial distance against Lab colour distance.
const SLIC_COMPACTNESS: f32 = 10.0;
/// SLIC k-means iterations.
const SLIC_ITERS: usize = 8;

/// Disparity of the ground-plane prior at the top row.
const GROUND_TOP: f32 = 0.2;
/// Disparity of the ground-plane prior at the bottom row.
const GROUND_BOTTOM: f32 = 0.7;
/// Disparity given to sky.
const SKY_DISP: f32 = 0.03;
/// How far a foreground object stands in front of the ground at its base.
const FG_POP: f32 = 0.3;
/// The least and most disparity of a foreground object's outline.
const FG_MIN: f32 = 0.75;
const FG_MAX: f32 = 0.9;
/// Extra disparity deep inside a foreground object, rounding it like a bulge.
const FG_BULGE: f32 = 0.1;
/// Distance from the outline (fraction of the shorter side) at which the bulge is full.
const FG_BULGE_REACH: f32 = 0.25;
/// Foreground objects smaller than this fraction of the image are dropped (speckle).
const FG_MIN_AREA: f32 = 0.005;
/// Half-width of the soft band around the foreground threshold. Kept narrow: a wide band
/// lifts fringe superpixels of the background part-way, and after sharpening those ramps
/// become floating islands of background that tear away in the videos (0.08 showed them
/// around the coffee cup; 0.03 leaves far fewer).
const FG_BAND: f32 = 0.03;
/// How much farther fully defocused background sits than sharp background.
const DEFOCUS_PUSH: f32 = 0.15;

/// Lab colour scale (σ) of geodesic area and smoothness weights (Zhu et al. 2014).
const SIGMA_CLR: f32 = 10.0;
/// Lab steps below this are free in geodesic distances (texture noise is not a boundary).
const GEO_CLIP: f32 = 1.5;
/// Spatial scale (σ, fraction of the longer side) of the contrast cue.
const SIGMA_SPA: f32 = 0.25;
/// Weight of bottom-border superpixels as background evidence (the bottom is often the subject).
const BOTTOM_BORDER_WEIGHT: f32 = 0.4;
/// Gauss–Seidel sweeps of the saliency optimisation.
const SALIENCY_SWEEPS: usize = 100;

/// Lightness gradient (L units per pixel) below which a pixel carries no defocus evidence.
const EDGE_MIN: f32 = 2.0;
/// Total edge strength a superpixel needs for its own focus measure to count.
const EDGE_KNOWN: f32 = 40.0;
/// Re-blur gradient ratios read as fully defocused and fully sharp.
const FOCUS_BLURRED: f32 = 1.15;
const FOCUS_SHARP: f32 = 1.6;

/// Largest Lab step between neighbouring superpixels inside the confident sky.
const SKY_STEP: f32 = 12.0;
/// Largest mean lightness gradient of a confident sky superpixel.
const SKY_SMOOTH: f32 = 4.0;
/// Largest Lab distance of a pixel from its row's sky colour to count as sky.
const SKY_MATCH: f32 = 15.0;
/// Fraction of sky-coloured pixels that makes a superpixel sky.
const SKY_FRACTION: f32 = 0.3;
/// Fraction of sky-coloured pixels that lets a superpixel mostly surrounded by sky join it.
const SKY_FRACTION_CLOSE: f32 = 0.1;
/// Non-sky pockets enclosed by sky and smaller than this fraction of the image join the sky.
const SKY_ISLAND: f32 = 0.002;
/// Sky pieces smaller than this fraction of the image are dropped (sky seen through lattices).
const SKY_MIN_AREA: f32 = 0.01;
/// Fraction of a row that must be confident sky for the row's sky colour to be trusted.
const SKY_ROW_MIN: f32 = 0.05;

/// Spatial (working pixels) and Lab range scales of the final edge-aware smoothing.
const SMOOTH_SPATIAL: f32 = 24.0;
const SMOOTH_RANGE: f32 = 12.0;
/// RGB range scale of the joint bilateral upsampling.
const UPSAMPLE_RANGE: f32 = 14.0;

/// Estimate relative disparity (larger = nearer) in [0, 1] from colour alone.
pub fn estimate_disparity(rgb: &RgbImage) -> FloatMap {
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    if w.min(h) < MIN_SIDE {
        return ground_only(rgb.width(), rgb.height());
    }
    let scale = (WORK_SIDE as f32 / w.max(h) as f32).min(1.0);
    let ww = ((w as f32 * scale).round() as usize).clamp(1, w);
    let wh = ((h as f32 * scale).round() as usize).clamp(1, h);
    let small = downsample(rgb, ww, wh);
    let lab: Vec<[f32; 3]> = small.par_iter().map(|&c| srgb_to_lab(c)).collect();

    let seg = Segmentation::new(&lab, ww, wh);
    let sharp = sharpness(&seg);
    let sky = sky_regions(&seg, &lab);
    let fg = foreground_weight(&seg, &saliency(&seg, &sky, &sharp));
    let mut disp = compose(&seg, &sky, &fg, &sharp);
    domain_transform(&mut disp, &lab, ww, wh, SMOOTH_SPATIAL, SMOOTH_RANGE);

    let full = if (ww, wh) == (w, h) {
        disp
    } else {
        joint_bilateral_upsample(&disp, &small, ww, wh, rgb)
    };
    let data = full
        .into_iter()
        .map(|d| {
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

/// The ground-plane prior alone (for images too small to analyse): nearer towards the bottom.
fn ground_only(w: u32, h: u32) -> FloatMap {
    let rows = (h.max(2) - 1) as f32;
    FloatMap::from_fn(w, h, |_, y| image::Luma([ground(y as f32 / rows)]))
}

/// Ground-plane disparity at normalised height `y` (0 = top row, 1 = bottom row).
fn ground(y: f32) -> f32 {
    GROUND_TOP + (GROUND_BOTTOM - GROUND_TOP) * y.clamp(0.0, 1.0)
}

/// Hermite smoothstep of `x` between `a` and `b`.
fn smoothstep(a: f32, b: f32, x: f32) -> f32 {
    let t = ((x - a) / (b - a)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Squared Euclidean distance of two colours.
fn dist2(a: [f32; 3], b: [f32; 3]) -> f32 {
    let (d0, d1, d2) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    d0 * d0 + d1 * d1 + d2 * d2
}

/// `i` clamped into `0..n` (`n` > 0).
fn clamp_index(i: isize, n: usize) -> usize {
    i.clamp(0, n as isize - 1) as usize
}

// ---------------------------------------------------------------------------------------------
// Working image

/// Area-average `img` down to `w`×`h`, as RGB floats in 0..255.
fn downsample(img: &RgbImage, w: usize, h: usize) -> Vec<[f32; 3]> {
    let (sw, sh) = (img.width() as usize, img.height() as usize);
    let src = img.as_raw();
    let mut out = vec![[0.0f32; 3]; w * h];
    out.par_chunks_mut(w).enumerate().for_each(|(y, row)| {
        let y0 = y * sh / h;
        let y1 = ((y + 1) * sh / h).clamp(y0 + 1, sh);
        for (x, px) in row.iter_mut().enumerate() {
            let x0 = x * sw / w;
            let x1 = ((x + 1) * sw / w).clamp(x0 + 1, sw);
            *px = box_mean(src, sw, x0..x1, y0..y1);
        }
    });
    out
}

/// Mean colour of an axis-aligned box of an interleaved RGB8 buffer `sw` pixels wide.
fn box_mean(
    src: &[u8],
    sw: usize,
    xs: std::ops::Range<usize>,
    ys: std::ops::Range<usize>,
) -> [f32; 3] {
    let mut acc = [0u32; 3];
    let n = (xs.len() * ys.len()).max(1) as f32;
    for sy in ys {
        let row = &src[(sy * sw + xs.start) * 3..(sy * sw + xs.end) * 3];
        for px in row.chunks_exact(3) {
            acc[0] += u32::from(px[0]);
            acc[1] += u32::from(px[1]);
            acc[2] += u32::from(px[2]);
        }
    }
    acc.map(|a| a as f32 / n)
}

/// sRGB (0..255) to CIE Lab (D65), the perceptual space all colour distances use.
fn srgb_to_lab(c: [f32; 3]) -> [f32; 3] {
    let lin = |v: f32| {
        let v = (v / 255.0).clamp(0.0, 1.0);
        if v <= 0.040_45 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let (r, g, b) = (lin(c[0]), lin(c[1]), lin(c[2]));
    let x = (0.412_4 * r + 0.357_6 * g + 0.180_5 * b) / 0.950_47;
    let y = 0.212_6 * r + 0.715_2 * g + 0.072_2 * b;
    let z = (0.019_3 * r + 0.119_2 * g + 0.950_5 * b) / 1.088_83;
    let f = |t: f32| {
        if t > 0.008_856 {
            t.cbrt()
        } else {
            7.787 * t + 16.0 / 116.0
        }
    };
    let (fx, fy, fz) = (f(x), f(y), f(z));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

// ---------------------------------------------------------------------------------------------
// Superpixels

/// SLIC superpixels of the working image with their statistics and adjacency graph.
struct Segmentation {
    w: usize,
    h: usize,
    /// Superpixel index of every working pixel.
    labels: Vec<u32>,
    regions: Vec<Region>,
    graph: Graph,
}

impl Segmentation {
    /// Segment a Lab image and gather everything the cues read.
    fn new(lab: &[[f32; 3]], w: usize, h: usize) -> Self {
        let (labels, n) = slic(lab, w, h);
        let regions = region_stats(lab, &labels, n, w, h);
        let graph = Graph::build(&labels, &regions, w, h);
        Segmentation {
            w,
            h,
            labels,
            regions,
            graph,
        }
    }

    /// Number of superpixels.
    fn len(&self) -> usize {
        self.regions.len()
    }

    /// Pixel count of the working image.
    fn area(&self) -> f32 {
        (self.w * self.h) as f32
    }

    /// Total pixel count of the superpixels in `members`.
    fn area_of(&self, members: &[usize]) -> f32 {
        members.iter().map(|&m| self.regions[m].size).sum()
    }

    /// The superpixels connected to `start` through ones that pass `keep`, marked in `seen`.
    fn component(
        &self,
        start: usize,
        seen: &mut [bool],
        keep: impl Fn(usize) -> bool,
    ) -> Vec<usize> {
        let mut members = vec![start];
        seen[start] = true;
        let mut k = 0;
        while k < members.len() {
            let p = members[k];
            k += 1;
            for (q, _) in self.graph.edges(p) {
                if !seen[q] && keep(q) {
                    seen[q] = true;
                    members.push(q);
                }
            }
        }
        members
    }

    /// Every connected component of superpixels passing `keep`.
    fn components(&self, keep: impl Fn(usize) -> bool) -> Vec<Vec<usize>> {
        let mut seen = vec![false; self.len()];
        let mut out = Vec::new();
        for start in 0..self.len() {
            if !seen[start] && keep(start) {
                out.push(self.component(start, &mut seen, &keep));
            }
        }
        out
    }
}

/// SLIC superpixels (Achanta et al. 2012) over a Lab image; returns labels and their count.
fn slic(lab: &[[f32; 3]], w: usize, h: usize) -> (Vec<u32>, usize) {
    let gx = ((w as f32 / SP_STEP as f32).round() as usize).max(1);
    let gy = ((h as f32 / SP_STEP as f32).round() as usize).max(1);
    let step = ((w * h) as f32 / (gx * gy) as f32).sqrt().max(1.0);
    let mut centres: Vec<[f32; 5]> = (0..gx * gy)
        .map(|k| {
            let x = ((2 * (k % gx) + 1) * w / (2 * gx)).min(w - 1);
            let y = ((2 * (k / gx) + 1) * h / (2 * gy)).min(h - 1);
            let (x, y) = lowest_gradient(lab, w, h, x, y);
            let c = lab[y * w + x];
            [c[0], c[1], c[2], x as f32, y as f32]
        })
        .collect();
    let grid = SlicGrid {
        gx,
        gy,
        w,
        h,
        spatial: (SLIC_COMPACTNESS / step).powi(2),
    };
    let mut labels = vec![0u32; w * h];
    for _ in 0..SLIC_ITERS {
        labels
            .par_chunks_mut(w)
            .zip(lab.par_chunks(w))
            .enumerate()
            .for_each(|(y, (row, lab_row))| grid.assign_row(row, lab_row, y, &centres));
        slic_update(&mut centres, lab, &labels, w);
    }
    let min_size = ((step * step) as usize / 4).max(1);
    enforce_connectivity(&labels, w, h, min_size)
}

/// Move a seed to the lowest-gradient pixel in its 3×3 neighbourhood, off edges.
fn lowest_gradient(lab: &[[f32; 3]], w: usize, h: usize, x: usize, y: usize) -> (usize, usize) {
    let grad = |x: usize, y: usize| {
        let (xl, xr) = (x.saturating_sub(1), (x + 1).min(w - 1));
        let (yu, yd) = (y.saturating_sub(1), (y + 1).min(h - 1));
        dist2(lab[y * w + xl], lab[y * w + xr]) + dist2(lab[yu * w + x], lab[yd * w + x])
    };
    let mut best = (x, y);
    let mut best_g = f32::INFINITY;
    for ny in y.saturating_sub(1)..=(y + 1).min(h - 1) {
        for nx in x.saturating_sub(1)..=(x + 1).min(w - 1) {
            let g = grad(nx, ny);
            if g < best_g {
                best_g = g;
                best = (nx, ny);
            }
        }
    }
    best
}

/// The seed grid of SLIC and its distance weighting.
struct SlicGrid {
    gx: usize,
    gy: usize,
    w: usize,
    h: usize,
    /// Squared compactness over squared spacing: weight of squared pixel distance.
    spatial: f32,
}

impl SlicGrid {
    /// Assign each pixel of row `y` to the nearest centre among the 3×3 grid cells around it.
    fn assign_row(&self, row: &mut [u32], lab_row: &[[f32; 3]], y: usize, centres: &[[f32; 5]]) {
        let (gx, gy) = (self.gx, self.gy);
        let cy = (y * gy / self.h).min(gy - 1);
        let (cy0, cy1) = (cy.saturating_sub(1), (cy + 1).min(gy - 1));
        for (x, (label, &c)) in row.iter_mut().zip(lab_row).enumerate() {
            let cx = (x * gx / self.w).min(gx - 1);
            let (cx0, cx1) = (cx.saturating_sub(1), (cx + 1).min(gx - 1));
            let mut best = f32::INFINITY;
            for j in cy0..=cy1 {
                for (k, ct) in centres[j * gx + cx0..=j * gx + cx1].iter().enumerate() {
                    let (dx, dy) = (ct[3] - x as f32, ct[4] - y as f32);
                    let d = dist2(c, [ct[0], ct[1], ct[2]]) + (dx * dx + dy * dy) * self.spatial;
                    if d < best {
                        best = d;
                        *label = (j * gx + cx0 + k) as u32;
                    }
                }
            }
        }
    }
}

/// Move each SLIC centre to the mean colour and position of its pixels.
fn slic_update(centres: &mut [[f32; 5]], lab: &[[f32; 3]], labels: &[u32], w: usize) {
    let mut sums = vec![[0.0f64; 6]; centres.len()];
    for (i, (&l, c)) in labels.iter().zip(lab).enumerate() {
        let s = &mut sums[l as usize];
        s[0] += f64::from(c[0]);
        s[1] += f64::from(c[1]);
        s[2] += f64::from(c[2]);
        s[3] += (i % w) as f64;
        s[4] += (i / w) as f64;
        s[5] += 1.0;
    }
    for (ct, s) in centres.iter_mut().zip(&sums) {
        if s[5] > 0.0 {
            for (v, &t) in ct.iter_mut().zip(s) {
                *v = (t / s[5]) as f32;
            }
        }
    }
}

/// Relabel SLIC output into 4-connected regions numbered from 0, merging fragments smaller
/// than `min_size` into a neighbour; returns the labels and their count.
fn enforce_connectivity(labels: &[u32], w: usize, h: usize, min_size: usize) -> (Vec<u32>, usize) {
    const NONE: u32 = u32::MAX;
    let mut out = vec![NONE; w * h];
    let mut next = 0u32;
    let mut queue = VecDeque::new();
    let mut members = Vec::new();
    for start in 0..w * h {
        if out[start] != NONE {
            continue;
        }
        let adjacent = neighbours4(start, w, h)
            .find(|&n| out[n] != NONE)
            .map(|n| out[n]);
        let old = labels[start];
        members.clear();
        out[start] = next;
        queue.push_back(start);
        while let Some(p) = queue.pop_front() {
            members.push(p);
            for n in neighbours4(p, w, h) {
                if out[n] == NONE && labels[n] == old {
                    out[n] = next;
                    queue.push_back(n);
                }
            }
        }
        match adjacent {
            Some(a) if members.len() < min_size => members.iter().for_each(|&p| out[p] = a),
            _ => next += 1,
        }
    }
    (out, next as usize)
}

/// The up-to-four 4-connected neighbours of pixel `i` in a `w`×`h` raster.
fn neighbours4(i: usize, w: usize, h: usize) -> impl Iterator<Item = usize> {
    let (x, y) = (i % w, i / w);
    [
        (x > 0).then(|| i - 1),
        (y > 0).then(|| i - w),
        (x + 1 < w).then(|| i + 1),
        (y + 1 < h).then(|| i + w),
    ]
    .into_iter()
    .flatten()
}

/// Per-superpixel statistics that the depth cues read.
#[derive(Clone, Default)]
struct Region {
    /// Mean Lab colour.
    lab: [f32; 3],
    /// Centroid in fractions of the longer side (keeps the aspect ratio for distances).
    cx: f32,
    cy: f32,
    /// Centroid row and lowest row, in fractions of the image height.
    y: f32,
    y_max: f32,
    /// Pixel count.
    size: f32,
    /// Mean lightness gradient magnitude (texture).
    grad: f32,
    /// Edge-weighted re-blur gradient ratio (≈1 defocused, ≈2 sharp); 0 where no edges.
    focus: f32,
    /// Total edge strength behind `focus`.
    edge: f32,
    /// Pixels on the top, bottom, left and right image borders.
    border: [u32; 4],
}

/// Gather per-superpixel colour, position, texture, focus and border statistics.
fn region_stats(lab: &[[f32; 3]], labels: &[u32], n: usize, w: usize, h: usize) -> Vec<Region> {
    let (grad, ratio) = defocus_ratio(lab, w, h);
    let mut acc = vec![[0.0f64; 9]; n];
    let mut regions = vec![Region::default(); n];
    for (i, (&l, c)) in labels.iter().zip(lab).enumerate() {
        let (x, y) = (i % w, i / w);
        let edge = (grad[i] - EDGE_MIN).max(0.0);
        let values = [
            c[0],
            c[1],
            c[2],
            x as f32,
            y as f32,
            1.0,
            grad[i],
            edge,
            edge * ratio[i],
        ];
        let (a, r) = (&mut acc[l as usize], &mut regions[l as usize]);
        a.iter_mut()
            .zip(values)
            .for_each(|(s, v)| *s += f64::from(v));
        r.y_max = r.y_max.max(y as f32);
        let sides = [y == 0, y + 1 == h, x == 0, x + 1 == w];
        for (b, s) in r.border.iter_mut().zip(sides) {
            *b += u32::from(s);
        }
    }
    let long = w.max(h) as f32;
    let rows = (h.max(2) - 1) as f32;
    for (r, a) in regions.iter_mut().zip(&acc) {
        let mean = |j: usize| (a[j] / a[5].max(1.0)) as f32;
        r.lab = [mean(0), mean(1), mean(2)];
        r.cx = mean(3) / long;
        r.cy = mean(4) / long;
        r.y = mean(4) / rows;
        r.y_max /= rows;
        r.size = a[5] as f32;
        r.grad = mean(6);
        r.edge = a[7] as f32;
        r.focus = if a[7] > 1e-3 {
            (a[8] / a[7]) as f32
        } else {
            0.0
        };
    }
    regions
}

/// Defocus cue (Zhuo & Sim 2011): per pixel, the lightness gradient magnitude and its ratio to
/// the gradient after a Gaussian re-blur; sharp edges lose much when re-blurred, blurred ones little.
fn defocus_ratio(lab: &[[f32; 3]], w: usize, h: usize) -> (Vec<f32>, Vec<f32>) {
    let l: Vec<f32> = lab.iter().map(|c| c[0]).collect();
    let g1 = central_gradient(&l, w, h);
    let g2 = central_gradient(&gaussian_blur(&l, w, h, 1.0), w, h);
    let ratio = g1
        .iter()
        .zip(&g2)
        .map(|(&a, &b)| (a / b.max(1e-3)).clamp(1.0, 4.0))
        .collect();
    (g1, ratio)
}

/// Central-difference gradient magnitude of a plane, borders clamped.
fn central_gradient(p: &[f32], w: usize, h: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; w * h];
    out.par_chunks_mut(w).enumerate().for_each(|(y, row)| {
        let (up, down) = (&p[y.saturating_sub(1) * w..], &p[(y + 1).min(h - 1) * w..]);
        let mid = &p[y * w..(y + 1) * w];
        for (x, g) in row.iter_mut().enumerate() {
            let gx = mid[(x + 1).min(w - 1)] - mid[x.saturating_sub(1)];
            let gy = down[x] - up[x];
            *g = (gx * gx + gy * gy).sqrt() * 0.5;
        }
    });
    out
}

/// Separable Gaussian blur of a plane, borders clamped.
fn gaussian_blur(p: &[f32], w: usize, h: usize, sigma: f32) -> Vec<f32> {
    let r = (3.0 * sigma).ceil() as isize;
    let k: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let norm: f32 = k.iter().sum();
    let k: Vec<f32> = k.iter().map(|v| v / norm).collect();
    let convolve = |line: &[f32], out: &mut [f32]| {
        let n = line.len();
        for (x, o) in out.iter_mut().enumerate() {
            *o = k
                .iter()
                .zip(-r..)
                .map(|(&kv, d)| kv * line[clamp_index(x as isize + d, n)])
                .sum();
        }
    };
    let mut rows = vec![0.0f32; w * h];
    rows.par_chunks_mut(w)
        .zip(p.par_chunks(w))
        .for_each(|(o, line)| convolve(line, o));
    let mut t = vec![0.0f32; w * h];
    transpose(&rows, &mut t, w, h);
    let mut cols = vec![0.0f32; w * h];
    cols.par_chunks_mut(h)
        .zip(t.par_chunks(h))
        .for_each(|(o, line)| convolve(line, o));
    transpose(&cols, &mut rows, h, w);
    rows
}

/// Transpose a `w`×`h` row-major buffer into `out` (`h`×`w`).
fn transpose(src: &[f32], out: &mut [f32], w: usize, h: usize) {
    out.par_chunks_mut(h).enumerate().for_each(|(x, col)| {
        for (y, v) in col.iter_mut().enumerate() {
            *v = src[y * w + x];
        }
    });
}

/// Superpixel adjacency in compressed-row form, with Lab distance as edge cost.
struct Graph {
    start: Vec<usize>,
    nbr: Vec<u32>,
    cost: Vec<f32>,
}

impl Graph {
    /// Link superpixels that share a 4-connected pixel boundary.
    fn build(labels: &[u32], regions: &[Region], w: usize, h: usize) -> Self {
        let mut pairs = Vec::new();
        for (i, &a) in labels.iter().enumerate() {
            let (x, y) = (i % w, i / w);
            let right = (x + 1 < w).then(|| labels[i + 1]);
            let down = (y + 1 < h).then(|| labels[i + w]);
            for b in [right, down].into_iter().flatten() {
                if a != b {
                    pairs.push((a.min(b), a.max(b)));
                }
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        let mut start = vec![0usize; regions.len() + 1];
        for &(a, b) in &pairs {
            start[a as usize + 1] += 1;
            start[b as usize + 1] += 1;
        }
        for i in 1..start.len() {
            start[i] += start[i - 1];
        }
        let mut fill = start.clone();
        let mut nbr = vec![0u32; pairs.len() * 2];
        let mut cost = vec![0.0f32; pairs.len() * 2];
        for &(a, b) in &pairs {
            let c = dist2(regions[a as usize].lab, regions[b as usize].lab).sqrt();
            for (p, q) in [(a, b), (b, a)] {
                let slot = fill[p as usize];
                nbr[slot] = q;
                cost[slot] = c;
                fill[p as usize] += 1;
            }
        }
        Graph { start, nbr, cost }
    }

    /// Neighbours of node `i` with their edge costs.
    fn edges(&self, i: usize) -> impl Iterator<Item = (usize, f32)> + '_ {
        let r = self.start[i]..self.start[i + 1];
        self.nbr[r.clone()]
            .iter()
            .map(|&q| q as usize)
            .zip(self.cost[r].iter().copied())
    }
}

// ---------------------------------------------------------------------------------------------
// Cues

/// Per-superpixel sharpness in [0, 1] from the defocus ratio; superpixels without edges take
/// the mean of known neighbours, spread over up to 20 hops (0.5 where nothing is known).
fn sharpness(seg: &Segmentation) -> Vec<f32> {
    let known = |r: &Region| r.edge > EDGE_KNOWN;
    let mut s: Vec<f32> = seg
        .regions
        .iter()
        .map(|r| {
            if known(r) {
                smoothstep(FOCUS_BLURRED, FOCUS_SHARP, r.focus)
            } else {
                -1.0
            }
        })
        .collect();
    for _ in 0..20 {
        let prev = s.clone();
        for (i, v) in s.iter_mut().enumerate() {
            if known(&seg.regions[i]) {
                continue;
            }
            let (mut sum, mut k) = (0.0, 0.0);
            for (q, _) in seg.graph.edges(i) {
                if prev[q] >= 0.0 {
                    sum += prev[q];
                    k += 1.0;
                }
            }
            if k > 0.0 {
                *v = sum / k;
            }
        }
    }
    s.iter().map(|&v| if v < 0.0 { 0.5 } else { v }).collect()
}

/// Sky superpixels: smooth blue or near-white ones grown from the top border, extended to
/// superpixels above the horizon whose pixels match the sky colour of their rows (sky seen
/// through masts and branches), then cleaned of small pockets either way.
fn sky_regions(seg: &Segmentation, lab: &[[f32; 3]]) -> Vec<bool> {
    let regions = &seg.regions;
    let candidate: Vec<bool> = regions.iter().map(is_sky_like).collect();
    let seeds: Vec<usize> = (0..seg.len())
        .filter(|&i| candidate[i] && regions[i].border[0] > 0)
        .collect();
    let mut sky = vec![false; seg.len()];
    grow(seg, &mut sky, seeds, |q, c| candidate[q] && c < SKY_STEP);
    if !sky.contains(&true) {
        return sky;
    }
    let matched = sky_matches(seg, lab, &sky_row_colours(seg, &sky, lab));
    let horizon = (0..seg.len())
        .filter(|&i| sky[i])
        .map(|i| regions[i].y)
        .fold(0.0f32, f32::max);
    let allowed = |i: usize| regions[i].border[1] == 0 && regions[i].y <= horizon;
    for (i, s) in sky.iter_mut().enumerate() {
        *s |= allowed(i) && matched[i] > SKY_FRACTION;
    }
    for _ in 0..2 {
        close_sky(seg, &mut sky, |i| {
            allowed(i) && matched[i] > SKY_FRACTION_CLOSE
        });
    }
    for island in seg.components(|i| !sky[i]) {
        let enclosed = island.iter().all(|&m| regions[m].border == [0; 4]);
        if enclosed && seg.area_of(&island) < SKY_ISLAND * seg.area() {
            island.iter().for_each(|&m| sky[m] = true);
        }
    }
    for piece in seg.components(|i| sky[i]) {
        if seg.area_of(&piece) < SKY_MIN_AREA * seg.area() {
            piece.iter().for_each(|&m| sky[m] = false);
        }
    }
    sky
}

/// Colour and texture test for a confident sky superpixel: smooth and blue, or smooth and near-white.
fn is_sky_like(r: &Region) -> bool {
    let [l, a, b] = r.lab;
    let blue = b < -8.0 && -b > a.abs() && l > 8.0;
    let white = l > 85.0 && (a * a + b * b).sqrt() < 10.0;
    (blue || white) && r.grad < SKY_SMOOTH
}

/// Breadth-first growth of `mask` from `seeds` over graph edges that `accept(node, cost)`.
fn grow(
    seg: &Segmentation,
    mask: &mut [bool],
    seeds: Vec<usize>,
    accept: impl Fn(usize, f32) -> bool,
) {
    seeds.iter().for_each(|&i| mask[i] = true);
    let mut queue: VecDeque<usize> = seeds.into();
    while let Some(p) = queue.pop_front() {
        for (q, c) in seg.graph.edges(p) {
            if !mask[q] && accept(q, c) {
                mask[q] = true;
                queue.push_back(q);
            }
        }
    }
}

/// Mean Lab colour of sky pixels in each row; infinite (matching nothing) in rows with little sky.
fn sky_row_colours(seg: &Segmentation, sky: &[bool], lab: &[[f32; 3]]) -> Vec<[f32; 3]> {
    let min_count = SKY_ROW_MIN * seg.w as f32;
    seg.labels
        .chunks_exact(seg.w)
        .zip(lab.chunks_exact(seg.w))
        .map(|(lrow, crow)| {
            let (mut acc, mut k) = ([0.0f32; 3], 0.0f32);
            for (&l, c) in lrow.iter().zip(crow) {
                if sky[l as usize] {
                    acc.iter_mut().zip(c).for_each(|(a, v)| *a += v);
                    k += 1.0;
                }
            }
            if k >= min_count.max(1.0) {
                acc.map(|a| a / k)
            } else {
                [f32::INFINITY; 3]
            }
        })
        .collect()
}

/// Fraction of each superpixel's pixels within [`SKY_MATCH`] of their row's sky colour.
fn sky_matches(seg: &Segmentation, lab: &[[f32; 3]], reference: &[[f32; 3]]) -> Vec<f32> {
    let mut matched = vec![0.0f32; seg.len()];
    let rows = seg.labels.chunks_exact(seg.w).zip(lab.chunks_exact(seg.w));
    for ((lrow, crow), &r) in rows.zip(reference) {
        for (&l, &c) in lrow.iter().zip(crow) {
            if dist2(c, r) < SKY_MATCH * SKY_MATCH {
                matched[l as usize] += 1.0;
            }
        }
    }
    matched
        .iter()
        .zip(&seg.regions)
        .map(|(m, r)| m / r.size.max(1.0))
        .collect()
}

/// One closing step: a superpixel with some sky colour whose neighbours are mostly sky joins it.
fn close_sky(seg: &Segmentation, sky: &mut [bool], some_sky: impl Fn(usize) -> bool) {
    let before = sky.to_vec();
    for (i, s) in sky.iter_mut().enumerate() {
        if before[i] || !some_sky(i) {
            continue;
        }
        let (mut yes, mut all) = (0, 0);
        for (q, _) in seg.graph.edges(i) {
            all += 1;
            yes += usize::from(before[q]);
        }
        *s = 2 * yes > all;
    }
}

/// Saliency per superpixel: background connectivity and background-weighted contrast
/// (Zhu et al. 2014) with defocus and centre priors, made coherent by a graph-regularised
/// least-squares fit. Sky is never salient.
fn saliency(seg: &Segmentation, sky: &[bool], sharp: &[f32]) -> Vec<f32> {
    let w_bg = background_weight(seg);
    let inv2spa = 1.0 / (2.0 * SIGMA_SPA * SIGMA_SPA);
    let regions = &seg.regions;
    let mut w_fg: Vec<f32> = (0..seg.len())
        .into_par_iter()
        .map(|p| {
            let rp = &regions[p];
            let contrast: f32 = regions
                .iter()
                .zip(&w_bg)
                .map(|(rq, &bq)| {
                    let ds = (rp.cx - rq.cx).powi(2) + (rp.cy - rq.cy).powi(2);
                    dist2(rp.lab, rq.lab).sqrt() * (-ds * inv2spa).exp() * bq
                })
                .sum();
            let centre = (-((rp.cx - 0.5).powi(2) + (rp.y - 0.55).powi(2)) / 0.18).exp();
            contrast * (0.3 + 0.7 * sharp[p]) * (0.5 + 0.5 * centre)
        })
        .collect();
    let max = w_fg.iter().copied().fold(0.0f32, f32::max).max(1e-6);
    for (v, &s) in w_fg.iter_mut().zip(sky) {
        *v = if s { 0.0 } else { *v / max };
    }
    optimise_saliency(&seg.graph, &w_bg, &w_fg)
}

/// Background probability from boundary connectivity: how much of a superpixel's geodesic
/// colour neighbourhood touches the image border (the bottom border counting less).
fn background_weight(seg: &Segmentation) -> Vec<f32> {
    let bnd: Vec<f32> = seg
        .regions
        .iter()
        .map(|r| {
            let [top, bottom, left, right] = r.border;
            if top + left + right > 0 {
                1.0
            } else if bottom > 0 {
                BOTTOM_BORDER_WEIGHT
            } else {
                0.0
            }
        })
        .collect();
    let inv2s2 = 1.0 / (2.0 * SIGMA_CLR * SIGMA_CLR);
    let n = seg.len();
    (0..n)
        .into_par_iter()
        .map_init(
            || (vec![0.0f32; n], BinaryHeap::new()),
            |(dist, heap), p| {
                geodesic(&seg.graph, p, 4.0 * SIGMA_CLR, dist, heap);
                let (mut area, mut len) = (0.0f32, 0.0f32);
                for (&d, &b) in dist.iter().zip(&bnd) {
                    let s = (-d * d * inv2s2).exp();
                    area += s;
                    len += b * s;
                }
                let con = len / area.max(1e-6).sqrt();
                1.0 - (-con * con / 2.0).exp()
            },
        )
        .collect()
}

/// Geodesic (shortest-path) colour distance from `src` to every node, into `dist`; nodes
/// farther than `limit` may be left at a larger value (they no longer matter).
fn geodesic(
    graph: &Graph,
    src: usize,
    limit: f32,
    dist: &mut [f32],
    heap: &mut BinaryHeap<Reverse<(u32, u32)>>,
) {
    dist.fill(f32::INFINITY);
    dist[src] = 0.0;
    heap.clear();
    heap.push(Reverse((0, src as u32)));
    // Non-negative finite f32 order like their bit patterns, so the heap can key on bits.
    while let Some(Reverse((bits, p))) = heap.pop() {
        let (d, p) = (f32::from_bits(bits), p as usize);
        if d > limit {
            break;
        }
        if d > dist[p] {
            continue;
        }
        for (q, c) in graph.edges(p) {
            let nd = d + (c - GEO_CLIP).max(0.0);
            if nd < dist[q] {
                dist[q] = nd;
                heap.push(Reverse((nd.to_bits(), q as u32)));
            }
        }
    }
}

/// Solve min Σ w_bg s² + Σ w_fg (s−1)² + Σ w_ij (s_i−s_j)² by Gauss–Seidel sweeps.
fn optimise_saliency(graph: &Graph, w_bg: &[f32], w_fg: &[f32]) -> Vec<f32> {
    let inv2s2 = 1.0 / (2.0 * SIGMA_CLR * SIGMA_CLR);
    let w_edge: Vec<f32> = graph
        .cost
        .iter()
        .map(|&c| (-c * c * inv2s2).exp() + 0.1)
        .collect();
    let mut s = w_fg.to_vec();
    for _ in 0..SALIENCY_SWEEPS {
        for i in 0..s.len() {
            let (mut num, mut den) = (w_fg[i], w_bg[i] + w_fg[i]);
            let r = graph.start[i]..graph.start[i + 1];
            for (&q, &wij) in graph.nbr[r.clone()].iter().zip(&w_edge[r]) {
                num += wij * s[q as usize];
                den += wij;
            }
            s[i] = num / den.max(1e-6);
        }
    }
    s
}

/// Turn saliency into a coherent foreground weight per superpixel: robustly normalised,
/// split at an area-weighted Otsu threshold with a narrow soft band, small blobs dropped.
fn foreground_weight(seg: &Segmentation, saliency: &[f32]) -> Vec<f32> {
    let top = weighted_quantile(saliency, &seg.regions, 0.97).max(1e-6);
    let s: Vec<f32> = saliency.iter().map(|&v| (v / top).min(1.0)).collect();
    let t = otsu(&s, &seg.regions).clamp(0.3, 0.7);
    let mut f: Vec<f32> = s
        .iter()
        .map(|&v| smoothstep(t - FG_BAND, t + FG_BAND, v))
        .collect();
    for blob in seg.components(|i| f[i] >= 0.5) {
        if seg.area_of(&blob) < FG_MIN_AREA * seg.area() {
            blob.iter().for_each(|&m| f[m] = 0.0);
        }
    }
    f
}

/// Area-weighted `q`-quantile of per-superpixel values.
fn weighted_quantile(v: &[f32], regions: &[Region], q: f32) -> f32 {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_unstable_by(|&a, &b| v[a].total_cmp(&v[b]).then(a.cmp(&b)));
    let target = q * regions.iter().map(|r| r.size).sum::<f32>();
    let mut acc = 0.0;
    for &i in &idx {
        acc += regions[i].size;
        if acc >= target {
            return v[i];
        }
    }
    idx.last().map_or(0.0, |&i| v[i])
}

/// Area-weighted Otsu threshold of values in [0, 1].
fn otsu(v: &[f32], regions: &[Region]) -> f32 {
    const BINS: usize = 64;
    let mut hist = [0.0f64; BINS];
    for (&x, r) in v.iter().zip(regions) {
        hist[(x.clamp(0.0, 1.0) * (BINS - 1) as f32).round() as usize] += f64::from(r.size);
    }
    let total: f64 = hist.iter().sum();
    let moment: f64 = hist.iter().enumerate().map(|(i, &c)| i as f64 * c).sum();
    let (mut w0, mut m0, mut best, mut best_t) = (0.0, 0.0, -1.0, 0.5);
    for (i, &c) in hist.iter().enumerate() {
        w0 += c;
        m0 += i as f64 * c;
        let w1 = total - w0;
        if w0 <= 0.0 || w1 <= 0.0 {
            continue;
        }
        let between = w0 * w1 * (m0 / w0 - (moment - m0) / w1).powi(2);
        if between > best {
            best = between;
            best_t = (i as f32 + 0.5) / (BINS - 1) as f32;
        }
    }
    best_t
}

// ---------------------------------------------------------------------------------------------
// Composition

/// Per-pixel disparity: ground prior minus the defocus push, sky far, and foreground objects
/// standing at their ground contact plus a pop, rounded by a bulge away from their outline.
fn compose(seg: &Segmentation, sky: &[bool], fg: &[f32], sharp: &[f32]) -> Vec<f32> {
    let (w, h) = (seg.w, seg.h);
    let front = object_front(seg, fg);
    let mask: Vec<bool> = seg.labels.iter().map(|&l| fg[l as usize] >= 0.5).collect();
    let inside = distance_inside(&mask, w, h);
    let reach = FG_BULGE_REACH * w.min(h) as f32;
    let push: Vec<f32> = seg
        .labels
        .iter()
        .map(|&l| DEFOCUS_PUSH * (1.0 - sharp[l as usize]))
        .collect();
    let push = box_blur3(&push, w, h, 2 * SP_STEP);
    let rows = (h.max(2) - 1) as f32;
    let mut out = vec![0.0f32; w * h];
    out.par_chunks_mut(w).enumerate().for_each(|(y, row)| {
        let g = ground(y as f32 / rows);
        let span = y * w..(y + 1) * w;
        let cells = seg.labels[span.clone()]
            .iter()
            .zip(&inside[span.clone()])
            .zip(&push[span]);
        for (d, ((&l, &dist), &push)) in row.iter_mut().zip(cells) {
            let l = l as usize;
            *d = if sky[l] {
                SKY_DISP
            } else {
                let bg = g - push;
                let bulge = FG_BULGE * (dist / reach).min(1.0).sqrt();
                bg + fg[l] * ((front[l] - bg).max(0.0) + bulge)
            };
        }
    });
    out
}

/// Disparity of each superpixel's foreground object: connected foreground superpixels share
/// one value, set by the ground at the object's lowest point plus [`FG_POP`].
fn object_front(seg: &Segmentation, fg: &[f32]) -> Vec<f32> {
    let mut front: Vec<f32> = seg
        .regions
        .iter()
        .map(|r| ground(r.y_max) + FG_POP)
        .collect();
    for object in seg.components(|i| fg[i] >= 0.5) {
        let bottom = object
            .iter()
            .map(|&m| seg.regions[m].y_max)
            .fold(0.0f32, f32::max);
        object
            .iter()
            .for_each(|&m| front[m] = ground(bottom) + FG_POP);
    }
    front.iter_mut().for_each(|v| *v = v.clamp(FG_MIN, FG_MAX));
    front
}

/// Chamfer distance (in pixels) from each pixel inside `mask` to the nearest pixel outside it.
fn distance_inside(mask: &[bool], w: usize, h: usize) -> Vec<f32> {
    const DIAG: f32 = std::f32::consts::SQRT_2;
    let big = (w + h) as f32;
    let mut d: Vec<f32> = mask.iter().map(|&m| if m { big } else { 0.0 }).collect();
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let mut v = d[i];
            if x > 0 {
                v = v.min(d[i - 1] + 1.0);
            }
            if y > 0 {
                v = v.min(d[i - w] + 1.0);
                if x > 0 {
                    v = v.min(d[i - w - 1] + DIAG);
                }
                if x + 1 < w {
                    v = v.min(d[i - w + 1] + DIAG);
                }
            }
            d[i] = v;
        }
    }
    for y in (0..h).rev() {
        for x in (0..w).rev() {
            let i = y * w + x;
            let mut v = d[i];
            if x + 1 < w {
                v = v.min(d[i + 1] + 1.0);
            }
            if y + 1 < h {
                v = v.min(d[i + w] + 1.0);
                if x + 1 < w {
                    v = v.min(d[i + w + 1] + DIAG);
                }
                if x > 0 {
                    v = v.min(d[i + w - 1] + DIAG);
                }
            }
            d[i] = v;
        }
    }
    d
}

/// Three passes of a box blur of radius `r` (≈ Gaussian of σ ≈ r), borders clamped.
fn box_blur3(p: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
    let mut a = p.to_vec();
    let mut t = vec![0.0f32; w * h];
    for _ in 0..3 {
        a.par_chunks_mut(w).for_each(|row| box_line(row, r));
        transpose(&a, &mut t, w, h);
        t.par_chunks_mut(h).for_each(|col| box_line(col, r));
        transpose(&t, &mut a, h, w);
    }
    a
}

/// In-place running-sum box filter of radius `r` along one line, borders clamped.
fn box_line(line: &mut [f32], r: usize) {
    let n = line.len();
    if n == 0 {
        return;
    }
    let src = line.to_vec();
    let at = |i: isize| src[clamp_index(i, n)];
    let r = r as isize;
    let mut sum: f32 = (-r..=r).map(at).sum();
    let norm = 1.0 / (2 * r + 1) as f32;
    for (i, v) in (0isize..).zip(line.iter_mut()) {
        *v = sum * norm;
        sum += at(i + r + 1) - at(i - r);
    }
}

// ---------------------------------------------------------------------------------------------
// Edge-aware smoothing and upsampling

/// Edge-aware smoothing by the recursive domain transform (Gastal & Oliveira 2011), guided by
/// Lab colour, three iterations: smooths within regions, keeps steps at colour edges.
fn domain_transform(
    data: &mut [f32],
    lab: &[[f32; 3]],
    w: usize,
    h: usize,
    sigma_s: f32,
    sigma_r: f32,
) {
    const ITERS: i32 = 3;
    let ratio = sigma_s / sigma_r;
    let step = |a: &[f32; 3], b: &[f32; 3]| {
        1.0 + ratio * ((a[0] - b[0]).abs() + (a[1] - b[1]).abs() + (a[2] - b[2]).abs())
    };
    // Domain steps between each pixel and its predecessor along rows, and along columns.
    let mut dh = vec![0.0f32; w * h];
    dh.par_chunks_mut(w)
        .zip(lab.par_chunks(w))
        .for_each(|(d, line)| {
            for (o, pair) in d[1..].iter_mut().zip(line.windows(2)) {
                *o = step(&pair[1], &pair[0]);
            }
        });
    let mut dv = vec![0.0f32; w * h];
    dv.par_chunks_mut(h).enumerate().for_each(|(x, d)| {
        for (y, o) in d.iter_mut().enumerate().skip(1) {
            *o = step(&lab[y * w + x], &lab[(y - 1) * w + x]);
        }
    });
    let mut t = vec![0.0f32; w * h];
    for i in 0..ITERS {
        let sigma_h =
            sigma_s * 3f32.sqrt() * 2f32.powi(ITERS - i - 1) / (4f32.powi(ITERS) - 1.0).sqrt();
        let ln_a = -(2f32.sqrt()) / sigma_h;
        data.par_chunks_mut(w)
            .zip(dh.par_chunks(w))
            .for_each(|(line, d)| recursive_pass(line, d, ln_a));
        transpose(data, &mut t, w, h);
        t.par_chunks_mut(h)
            .zip(dv.par_chunks(h))
            .for_each(|(line, d)| recursive_pass(line, d, ln_a));
        transpose(&t, data, h, w);
    }
}

/// One causal and one anti-causal recursive filter pass along a line; `d[i]` is the domain
/// step between samples `i − 1` and `i`.
fn recursive_pass(line: &mut [f32], d: &[f32], ln_a: f32) {
    let Some(&first) = line.first() else {
        return;
    };
    let mut prev = first;
    for (v, &di) in line.iter_mut().zip(d).skip(1) {
        *v += (ln_a * di).exp() * (prev - *v);
        prev = *v;
    }
    let n = line.len();
    let mut next = line[n - 1];
    for (v, &di) in line[..n - 1].iter_mut().rev().zip(d[1..].iter().rev()) {
        *v += (ln_a * di).exp() * (next - *v);
        next = *v;
    }
}

/// Up to three low-res sample positions along one axis with their Gaussian weights.
#[derive(Clone, Copy)]
struct Taps {
    first: usize,
    count: usize,
    weight: [f32; 3],
}

impl Taps {
    /// The low-res samples around full-res index `i` (of `n`) on an axis of `low` samples.
    fn new(i: usize, n: usize, low: usize) -> Self {
        let centre = (i as f32 + 0.5) * low as f32 / n as f32 - 0.5;
        let c = centre.round() as isize;
        let first = clamp_index(c - 1, low);
        let last = clamp_index(c + 1, low);
        let mut weight = [0.0f32; 3];
        for (k, w) in weight.iter_mut().enumerate().take(last - first + 1) {
            let d = (first + k) as f32 - centre;
            *w = (-0.5 * d * d).exp();
        }
        Taps {
            first,
            count: last - first + 1,
            weight,
        }
    }
}

/// Joint bilateral upsampling (Kopf et al. 2007): each full-size pixel averages the nearest
/// 3×3 low-res disparities weighted by colour similarity, so steps snap to full-size edges.
fn joint_bilateral_upsample(
    disp: &[f32],
    small: &[[f32; 3]],
    sw: usize,
    sh: usize,
    full: &RgbImage,
) -> Vec<f32> {
    const LUT_LEN: usize = 1024;
    const LUT_STEP: f32 = 8.0;
    let (w, h) = (full.width() as usize, full.height() as usize);
    let lut: Vec<f32> = (0..LUT_LEN)
        .map(|k| (-(k as f32 * LUT_STEP) / (2.0 * UPSAMPLE_RANGE * UPSAMPLE_RANGE)).exp())
        .collect();
    let range =
        |c: [f32; 3], q: [f32; 3]| lut[((dist2(c, q) / LUT_STEP) as usize).min(LUT_LEN - 1)];
    let taps_x: Vec<Taps> = (0..w).map(|x| Taps::new(x, w, sw)).collect();
    let mut out = vec![0.0f32; w * h];
    out.par_chunks_mut(w)
        .zip(full.as_raw().par_chunks(w * 3))
        .enumerate()
        .for_each(|(y, (row, src))| {
            let ty = Taps::new(y, h, sh);
            for ((o, px), tx) in row.iter_mut().zip(src.chunks_exact(3)).zip(&taps_x) {
                let c = [f32::from(px[0]), f32::from(px[1]), f32::from(px[2])];
                let (mut num, mut den) = (0.0f32, 0.0f32);
                for (qy, wy) in (ty.first..).zip(&ty.weight[..ty.count]) {
                    let base = qy * sw + tx.first;
                    let cols = small[base..base + tx.count].iter().zip(&disp[base..]);
                    for ((&q, &d), wx) in cols.zip(&tx.weight) {
                        let wgt = wy * wx * range(c, q) + 1e-6;
                        num += wgt * d;
                        den += wgt;
                    }
                }
                *o = num / den;
            }
        });
    out
}

#[cfg(test)]
mod tests {
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
