//! Semi-global matching speed at 960 px wide: `cargo bench --bench sgm`.
//! Prints seconds per match and the throughput in Mpx·disparities per second.

use image::GrayImage;
use photo3d::depth::stereo::{sgm, StereoParams};
use std::time::Instant;

/// Textured pair: the right view is the left shifted by a disparity that grows downwards.
fn pair(w: u32, h: u32, max_d: u32) -> (GrayImage, GrayImage) {
    let texture = |x: u32, y: u32| {
        let mut z = u64::from(x / 2).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ u64::from(y / 2).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
        z ^= z >> 29;
        (z.wrapping_mul(0xBF58_476D_1CE4_E5B9) >> 56) as u8
    };
    let left = GrayImage::from_fn(w, h, |x, y| image::Luma([texture(x, y)]));
    let right = GrayImage::from_fn(w, h, |x, y| {
        let d = y * max_d / h;
        image::Luma([texture(x + d, y)])
    });
    (left, right)
}

fn main() {
    let (w, h) = (960, 640);
    let params = StereoParams::default();
    let levels = (w as f32 * params.max_disparity_fraction).ceil() as usize;
    let (left, right) = pair(w, h, levels as u32 - 8);
    let _ = sgm(&left, &right, levels, &params);
    let runs = 3;
    let start = Instant::now();
    for _ in 0..runs {
        std::hint::black_box(sgm(&left, &right, levels, &params));
    }
    let seconds = start.elapsed().as_secs_f64() / runs as f64;
    let work = (w * h) as f64 * levels as f64 / 1e6;
    println!(
        "sgm {w}x{h}, {levels} disparities, {} threads: {seconds:.3} s per pair, {:.0} Mpx·disparities/s",
        rayon::current_num_threads(),
        work / seconds
    );
}
