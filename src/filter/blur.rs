//! Blurs shared by the stages: Gaussian and box blurs over f32 planes, borders clamped.
//! Two Gaussians and two box blurs live here side by side; their names say how they differ
//! (each is kept exactly, since outputs depend on its numbers).

use crate::map::FloatMap;
use rayon::prelude::*;

/// `i` clamped into `0..n` (`n` > 0).
pub fn clamp_index(i: isize, n: usize) -> usize {
    i.clamp(0, n as isize - 1) as usize
}

/// Separable Gaussian blur of a plane, borders clamped.
pub fn gaussian_blur(p: &[f32], w: usize, h: usize, sigma: f32) -> Vec<f32> {
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
pub fn transpose(src: &[f32], out: &mut [f32], w: usize, h: usize) {
    out.par_chunks_mut(h).enumerate().for_each(|(x, col)| {
        for (y, v) in col.iter_mut().enumerate() {
            *v = src[y * w + x];
        }
    });
}

/// Three passes of a box blur of radius `r` (≈ Gaussian of σ ≈ r), borders clamped.
pub fn box_blur_3pass(p: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
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
pub fn box_line(line: &mut [f32], r: usize) {
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

/// The SSIM window: separable Gaussian blur in f64 with σ = 1.5 and radius 5, edges clamped.
/// Not the same numbers as [`gaussian_blur`] (f32, any σ).
pub fn gaussian_blur_ssim(v: &[f64], w: usize, h: usize) -> Vec<f64> {
    let kernel: Vec<f64> = (-5i64..=5)
        .map(|k| (-(k * k) as f64 / (2.0 * 1.5 * 1.5)).exp())
        .collect();
    let total: f64 = kernel.iter().sum();
    let kernel: Vec<f64> = kernel.iter().map(|k| k / total).collect();
    let pass = |src: &[f64], horizontal: bool| -> Vec<f64> {
        (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as i64, (i / w) as i64);
                kernel
                    .iter()
                    .enumerate()
                    .map(|(k, weight)| {
                        let o = k as i64 - 5;
                        let j = if horizontal {
                            y * w as i64 + (x + o).clamp(0, w as i64 - 1)
                        } else {
                            (y + o).clamp(0, h as i64 - 1) * w as i64 + x
                        };
                        weight * src[j as usize]
                    })
                    .sum()
            })
            .collect()
    };
    pass(&pass(v, true), false)
}

/// One 3×3 mean with edge replication (not [`box_blur_3pass`], which repeats a box of any radius).
pub fn mean3x3(map: &FloatMap) -> FloatMap {
    let (w, h) = (map.width() as usize, map.height() as usize);
    let values: &[f32] = map.as_raw();
    let mut out = vec![0.0; w * h];
    (out.par_chunks_mut(w.max(1)).enumerate()).for_each(|(y, row)| {
        let rows = [y.saturating_sub(1), y, (y + 1).min(h - 1)].map(|r| &values[r * w..][..w]);
        for (x, mean) in row.iter_mut().enumerate() {
            let columns = [x.saturating_sub(1), x, (x + 1).min(w - 1)];
            let mut sum = 0.0;
            for source in rows {
                for c in columns {
                    sum += source[c];
                }
            }
            *mean = sum / 9.0;
        }
    });
    FloatMap::from_raw(map.width(), map.height(), out).expect("a buffer of w × h values")
}
