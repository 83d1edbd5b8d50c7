//! The working image: the photo area-averaged down or enlarged to the working size, and small
//! colour helpers the cues share.

use image::imageops::FilterType;
use image::RgbImage;
use rayon::prelude::*;

/// Hermite smoothstep of `x` between `a` and `b`.
pub(super) fn smoothstep(a: f32, b: f32, x: f32) -> f32 {
    let t = ((x - a) / (b - a)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Squared Euclidean distance of two colours.
pub(super) fn dist2(a: [f32; 3], b: [f32; 3]) -> f32 {
    let (d0, d1, d2) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    d0 * d0 + d1 * d1 + d2 * d2
}

/// `img` at `w`×`h` as RGB floats in 0..255: area-averaged down, or bilinearly enlarged when
/// the photo is smaller, so every cue sees the same scale of superpixels and measures whatever
/// the photo's resolution.
pub(super) fn working_image(img: &RgbImage, w: usize, h: usize) -> Vec<[f32; 3]> {
    if w > img.width() as usize {
        let big = image::imageops::resize(img, w as u32, h as u32, FilterType::Triangle);
        return big.pixels().map(|p| p.0.map(f32::from)).collect();
    }
    downsample(img, w, h)
}

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
pub(super) fn box_mean(
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
