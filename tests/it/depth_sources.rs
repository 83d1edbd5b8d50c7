//! End-to-end tests of the depth-source chain: stereo pairs (two files, MPO,
//! side by side), depth photos written and read back, and refusals.

use crate::common::*;
use image::{GrayImage, RgbImage};
use photo3d::io::mpo::encode_stereo_mpo;
use serde_json::Value;
use std::path::Path;

const W: u32 = 192;
const H: u32 = 128;
/// Disparity of the background and of the near square in the middle.
const FAR: u32 = 2;
const NEAR: u32 = 12;

fn in_square(x: u32, y: u32) -> bool {
    (64..128).contains(&x) && (32..96).contains(&y)
}

fn texture(x: u32, y: u32, layer: u32) -> u8 {
    let mut z = u64::from(x / 2).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ u64::from(y / 2).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
        ^ u64::from(layer).wrapping_mul(0x1656_67B1_9E37_79F9);
    z ^= z >> 29;
    (z.wrapping_mul(0xBF58_476D_1CE4_E5B9) >> 56) as u8
}

/// A rectified pair: textured background at disparity FAR, a textured square at NEAR.
fn pair() -> (RgbImage, RgbImage) {
    let left = GrayImage::from_fn(W, H, |x, y| {
        image::Luma([if in_square(x, y) {
            texture(x, y, 1)
        } else {
            texture(x, y, 0)
        }])
    });
    let right = GrayImage::from_fn(W, H, |x, y| {
        image::Luma([if in_square(x + NEAR, y) {
            texture(x + NEAR, y, 1)
        } else {
            texture(x + FAR, y, 0)
        }])
    });
    let rgb = |g: GrayImage| image::DynamicImage::ImageLuma8(g).to_rgb8();
    (rgb(left), rgb(right))
}

fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95)
        .encode_image(img)
        .unwrap();
    out
}

/// Runs a quick pipeline and returns the output folder's report.
fn run(photo: &Path, out: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "run",
        photo.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--num-frames",
        "2",
        "--longer-side-len",
        "192",
    ];
    args.extend_from_slice(extra);
    let result = photo3d(&args);
    assert!(result.status.success(), "run failed: {}", stderr(&result));
    let stem = photo.file_stem().unwrap().to_str().unwrap();
    read_report(&out.join(stem))
}

/// Mean of depth.png (normalised disparity: brighter = nearer) inside and outside the square.
fn square_contrast(dir: &Path) -> (f32, f32) {
    let depth = image::open(dir.join("depth.png")).unwrap().to_luma16();
    let (mut inside, mut outside) = ((0.0, 0), (0.0, 0));
    for (x, y, p) in depth.enumerate_pixels() {
        let v = f32::from(p[0]);
        // Away from the edges of the square and from the left border.
        let margin = |a: u32, lo: u32, hi: u32| a >= lo + 6 && a + 6 < hi;
        if margin(x, 64, 128) && margin(y, 32, 96) {
            inside = (inside.0 + v, inside.1 + 1);
        } else if !in_square(x, y) && x > 24 && !(56..136).contains(&x) {
            outside = (outside.0 + v, outside.1 + 1);
        }
    }
    (inside.0 / inside.1 as f32, outside.0 / outside.1 as f32)
}

#[test]
fn stereo_from_two_files_mpo_and_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let (left, right) = pair();
    let (lp, rp) = (dir.path().join("left.png"), dir.path().join("right.png"));
    left.save(&lp).unwrap();
    right.save(&rp).unwrap();
    let mpo = dir.path().join("pair.mpo");
    std::fs::write(&mpo, encode_stereo_mpo(&jpeg(&left), &jpeg(&right))).unwrap();
    let mut sbs = RgbImage::new(2 * W, H);
    image::imageops::replace(&mut sbs, &left, 0, 0);
    image::imageops::replace(&mut sbs, &right, i64::from(W), 0);
    let sbs_path = dir.path().join("sbs.png");
    sbs.save(&sbs_path).unwrap();

    let out = dir.path().join("out");
    let rp_arg = rp.to_str().unwrap();
    for (photo, extra, input) in [
        (&lp, vec!["--right", rp_arg], "two-files"),
        (&mpo, vec![], "mpo"),
        (&sbs_path, vec!["--stereo-sbs"], "side-by-side"),
    ] {
        let report = run(photo, &out, &extra);
        assert_eq!(report["depth_source"]["kind"], "stereo", "{input}");
        assert_eq!(report["depth_source"]["input"], input);
        assert_eq!(report["photo_size"], serde_json::json!([W, H]), "{input}");
        let stem = photo.file_stem().unwrap().to_str().unwrap();
        let (inside, outside) = square_contrast(&out.join(stem));
        // Disparity 12 against 2: the square must stand well in front.
        assert!(inside > outside + 10000.0, "{input}: {inside} vs {outside}");
    }
}

#[test]
fn written_depth_photo_is_read_back_as_embedded_depth() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let report = run(&example_photo(), &first, &["--write-depth-photo"]);
    assert!(report["outputs"]
        .as_array()
        .unwrap()
        .contains(&Value::from("depth-photo.jpg")));
    let photo = dir.path().join("depth-photo.jpg");
    std::fs::copy(first.join("coffee/depth-photo.jpg"), &photo).unwrap();
    let second = run(&photo, &dir.path().join("second"), &[]);
    assert_eq!(second["depth_source"]["kind"], "embedded");
    assert_eq!(second["depth_source"]["format"], "gdepth");
    let a = image::open(first.join("coffee/depth.png"))
        .unwrap()
        .to_luma16();
    let b = image::open(dir.path().join("second/depth-photo/depth.png"))
        .unwrap()
        .to_luma16();
    assert_eq!(a.dimensions(), b.dimensions());
    // The second run re-sharpens the depth, so compare broadly: mean absolute
    // difference under 3% of the 16-bit range.
    let diff: f64 = a
        .pixels()
        .zip(b.pixels())
        .map(|(p, q)| (f64::from(p[0]) - f64::from(q[0])).abs())
        .sum::<f64>()
        / f64::from(a.width() * a.height());
    assert!(diff < 0.03 * 65535.0, "mean difference {diff}");
}

#[test]
fn named_sources_that_do_not_apply_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let photo = example_photo();
    let photo_arg = photo.to_str().unwrap();
    let out_arg = out.to_str().unwrap();
    for source in ["embedded", "stereo", "neural", "file"] {
        let result = photo3d(&["run", photo_arg, "-o", out_arg, "--depth-source", source]);
        assert_clean_failure(&result, "coffee.png");
        assert!(
            stderr(&result).contains(source),
            "{source}: {}",
            stderr(&result)
        );
    }
    let bad = dir.path().join("bad.mpo");
    std::fs::write(&bad, corrupt_mpo()).unwrap();
    let result = photo3d(&[
        "run",
        bad.to_str().unwrap(),
        "-o",
        out_arg,
        "--depth-source",
        "stereo",
    ]);
    assert_clean_failure(&result, "bad.mpo");
    assert!(
        stderr(&result).contains("corrupt MPO"),
        "{}",
        stderr(&result)
    );
    assert!(!out.exists(), "a failed run must leave no output");
}

/// Median of `map` over the pixels where `keep` holds.
fn median_where(map: &photo3d::map::FloatMap, keep: impl Fn(u32, u32) -> bool) -> f32 {
    let mut values: Vec<f32> = map
        .enumerate_pixels()
        .filter(|(x, y, _)| keep(*x, *y))
        .map(|(_, _, p)| p[0])
        .collect();
    values.sort_by(f32::total_cmp);
    values[values.len() / 2]
}

#[test]
fn depth_command_writes_stereo_disparity_in_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let (left, right) = pair();
    let (lp, rp) = (dir.path().join("left.png"), dir.path().join("right.png"));
    left.save(&lp).unwrap();
    right.save(&rp).unwrap();
    for name in ["d.pfm", "d.npy", "d.exr", "d.png"] {
        let out = dir.path().join(name);
        let args = [
            "depth",
            lp.to_str().unwrap(),
            "--right",
            rp.to_str().unwrap(),
        ];
        let result = photo3d(&[&args[..], &["-o", out.to_str().unwrap()]].concat());
        assert!(result.status.success(), "{name}: {}", stderr(&result));
        assert!(
            stderr(&result).contains("stereo depth"),
            "{}",
            stderr(&result)
        );
        let mut map = photo3d::io::depth::read_depth_file(&out).unwrap();
        assert_eq!(map.dimensions(), (W, H), "{name}");
        if name.ends_with(".png") {
            // KITTI's encoding: disparity × 256.
            map.pixels_mut().for_each(|p| p[0] /= 256.0);
        }
        let inside = median_where(&map, |x, y| (72..120).contains(&x) && (40..88).contains(&y));
        let outside = median_where(&map, |x, y| {
            !in_square(x, y) && x > 24 && !(56..136).contains(&x)
        });
        assert!(
            (inside - NEAR as f32).abs() < 0.5,
            "{name}: square at {inside} px"
        );
        assert!(
            (outside - FAR as f32).abs() < 0.5,
            "{name}: background at {outside} px"
        );
    }
}

#[test]
fn depth_command_writes_estimates_and_depth_photos_at_the_photo_size() {
    let dir = tempfile::tempdir().unwrap();
    let photo = example_photo();
    let size = image::image_dimensions(&photo).unwrap();
    let classical = dir.path().join("classical.npy");
    let result = photo3d(&[
        "depth",
        photo.to_str().unwrap(),
        "-o",
        classical.to_str().unwrap(),
    ]);
    assert!(result.status.success(), "{}", stderr(&result));
    let map = photo3d::io::depth::read_depth_file(&classical).unwrap();
    assert_eq!(map.dimensions(), size);
    assert!(map.as_raw().iter().all(|v| v.is_finite()));

    // A depth photo gives metres: the GDepth written by `run` holds its range.
    let first = dir.path().join("first");
    run(&photo, &first, &["--write-depth-photo"]);
    let depth_photo = first.join("coffee/depth-photo.jpg");
    let metres = dir.path().join("metres.exr");
    let result = photo3d(&[
        "depth",
        depth_photo.to_str().unwrap(),
        "-o",
        metres.to_str().unwrap(),
    ]);
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(
        stderr(&result).contains("embedded depth"),
        "{}",
        stderr(&result)
    );
    let map = photo3d::io::depth::read_depth_file(&metres).unwrap();
    assert_eq!(
        map.dimensions(),
        image::image_dimensions(&depth_photo).unwrap()
    );
    let (lo, hi) = map
        .as_raw()
        .iter()
        .fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    assert!(lo > 0.0 && hi > lo * 1.5, "metres from {lo} to {hi}");

    let bad = dir.path().join("depth.jpg");
    let result = photo3d(&[
        "depth",
        photo.to_str().unwrap(),
        "-o",
        bad.to_str().unwrap(),
    ]);
    assert_clean_failure(&result, "depth.jpg");
    assert!(!bad.exists());
}

/// A stereo MPO whose index still points at the second view, which no longer
/// starts like a JPEG.
fn corrupt_mpo() -> Vec<u8> {
    let (left, right) = pair();
    let right_jpeg = jpeg(&right);
    let mut mpo = encode_stereo_mpo(&jpeg(&left), &right_jpeg);
    let second = mpo.len() - right_jpeg.len();
    mpo[second] = 0;
    mpo
}

/// A depth photo whose GDepth block is damaged (an unknown range format): the
/// chain warns once and goes on; naming the source makes it an error.
#[test]
fn damaged_depth_block_warns_and_falls_through() {
    let dir = tempfile::tempdir().unwrap();
    let (left, _) = pair();
    let depth = photo3d::map::FloatMap::from_pixel(W, H, image::Luma([2.0]));
    let good = photo3d::io::embedded::gdepth::encode_depth_photo(&left, &depth).unwrap();
    // Same length, so every JPEG segment length stays right.
    let at = good.windows(12).position(|w| w == b"RangeInverse").unwrap();
    let mut damaged = good.clone();
    damaged[at..at + 12].copy_from_slice(b"RangeInvalid");
    let photo = dir.path().join("damaged.jpg");
    std::fs::write(&photo, &damaged).unwrap();
    let out = dir.path().join("out");
    let args = ["run", photo.to_str().unwrap(), "-o", out.to_str().unwrap()];
    let result = photo3d(
        &[
            &args[..],
            &["--num-frames", "2", "--longer-side-len", "192"],
        ]
        .concat(),
    );
    assert!(result.status.success(), "{}", stderr(&result));
    let lines: Vec<String> = stderr(&result)
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("RangeInvalid"), "{}", lines[0]);
    let report = read_report(&out.join("damaged"));
    assert_ne!(report["depth_source"]["kind"], "embedded");
    assert_eq!(
        report["warnings"],
        serde_json::json!([&lines[0]["warning: ".len()..]])
    );
    let named = photo3d(&[&args[..], &["--depth-source", "embedded", "--force"]].concat());
    assert_eq!(named.status.code(), Some(1), "{}", stderr(&named));
    assert!(
        stderr(&named).contains("RangeInvalid"),
        "{}",
        stderr(&named)
    );

    let mpo = dir.path().join("bad.mpo");
    std::fs::write(&mpo, corrupt_mpo()).unwrap();
    let args = ["run", mpo.to_str().unwrap(), "-o", out.to_str().unwrap()];
    let result = photo3d(
        &[
            &args[..],
            &["--num-frames", "2", "--longer-side-len", "192"],
        ]
        .concat(),
    );
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(
        stderr(&result).contains("corrupt MPO"),
        "{}",
        stderr(&result)
    );
}
