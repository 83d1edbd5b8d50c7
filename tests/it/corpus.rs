//! The bad-input corpus: files made here, each run through `photo3d run`.
//! A bad one must fail with one error line naming the file and the problem,
//! a non-zero exit, no panic and no output folder; an awkward but valid one
//! must succeed. New inputs are one line in a table (see `Case`).

use crate::common::*;
use image::{DynamicImage, ImageBuffer, ImageFormat, Luma, Rgb, RgbImage, Rgba};
use std::io::Cursor;
use std::path::Path;
use std::process::Output;

/// Size of the photo used with `--depth`/`--config` cases (depth maps match it).
const W: u32 = 48;
const H: u32 = 32;

/// Flags that keep every run small.
const QUICK: [&str; 4] = ["--num-frames", "2", "--longer-side-len", "64"];

/// Where a case's file goes on the command line.
#[derive(Clone, Copy)]
enum Role {
    /// The file is the photo.
    Photo,
    /// The file is the value of this flag; the photo is the standard test scene.
    Flag(&'static str),
}

const PHOTO: Role = Role::Photo;
const DEPTH: Role = Role::Flag("--depth");
const CONFIG: Role = Role::Flag("--config");

/// One corpus entry: a file built by `bytes`, saved as `file`, passed as `role`
/// with extra `args`; `error` None means the run must succeed, Some(s) that it
/// must fail with an error line naming `file` and containing `s`.
struct Case {
    file: &'static str,
    role: Role,
    bytes: fn() -> Vec<u8>,
    args: &'static [&'static str],
    error: Option<&'static str>,
}

const fn fails(
    file: &'static str,
    role: Role,
    bytes: fn() -> Vec<u8>,
    error: &'static str,
) -> Case {
    fails_with(file, role, bytes, &[], error)
}

const fn fails_with(
    file: &'static str,
    role: Role,
    bytes: fn() -> Vec<u8>,
    args: &'static [&'static str],
    error: &'static str,
) -> Case {
    Case {
        file,
        role,
        bytes,
        args,
        error: Some(error),
    }
}

const fn succeeds(file: &'static str, role: Role, bytes: fn() -> Vec<u8>) -> Case {
    succeeds_with(file, role, bytes, &[])
}

const fn succeeds_with(
    file: &'static str,
    role: Role,
    bytes: fn() -> Vec<u8>,
    args: &'static [&'static str],
) -> Case {
    Case {
        file,
        role,
        bytes,
        args,
        error: None,
    }
}

/// Photos: broken, lying or unusual files.
const PHOTOS: &[Case] = &[
    fails("zero.jpg", PHOTO, Vec::new, "empty file"),
    fails("notes.jpg", PHOTO, text, "unknown format"),
    fails("cut.jpg", PHOTO, truncated_jpeg, "end-of-image marker"),
    fails("cut.png", PHOTO, truncated_png, "truncated or corrupt"),
    fails("magic_only.png", PHOTO, png_magic_only, "corrupt"),
    fails("soi_junk.jpg", PHOTO, jpeg_soi_then_junk, "soi_junk.jpg"),
    fails("gif_magic.gif", PHOTO, gif_magic_only, "gif_magic.gif"),
    fails("huge.png", PHOTO, png_claiming_50k, "megapixel limit"),
    fails("huge.jpg", PHOTO, jpeg_claiming_50k, "megapixel limit"),
    succeeds("png_named.jpg", PHOTO, png_scene),
    succeeds("rgba.png", PHOTO, rgba_png),
    succeeds("transparent.png", PHOTO, transparent_png),
    succeeds("cmyk.jpg", PHOTO, cmyk_jpeg),
    succeeds("gray.jpg", PHOTO, gray_jpeg),
    succeeds("gray.png", PHOTO, gray_png),
    succeeds("rgb16.png", PHOTO, rgb16_png),
    succeeds("gray16.png", PHOTO, gray16_png),
    succeeds("palette.gif", PHOTO, gif_scene),
    succeeds("scene.tiff", PHOTO, tiff_scene),
    succeeds("scene.bmp", PHOTO, bmp_scene),
    succeeds("one.png", PHOTO, one_by_one),
    succeeds("two.png", PHOTO, two_by_two),
    succeeds("wide.png", PHOTO, wide_400x100),
    fails("strip.png", PHOTO, wide_4000x3, "too thin"),
    fails("pole.png", PHOTO, tall_3x2000, "too thin"),
    succeeds("bad_exif.jpg", PHOTO, jpeg_with_garbage_exif),
];

/// Depth maps given with `--depth` for the 48×32 scene.
const DEPTHS: &[Case] = &[
    fails("zero.npy", DEPTH, Vec::new, "empty file"),
    fails("text.npy", DEPTH, text, "not a depth map"),
    fails("cut.npy", DEPTH, truncated_npy, "cut.npy"),
    fails("complex.npy", DEPTH, complex_npy, "unsupported dtype"),
    fails("cut.pfm", DEPTH, truncated_pfm, "cut.pfm"),
    fails("nan.pfm", DEPTH, nan_pfm, "NaN"),
    fails("inf.npy", DEPTH, inf_npy, "infinite"),
    fails_with(
        "all_nan.npy",
        DEPTH,
        all_nan_npy,
        &["--depth-holes", "fill"],
        "no valid depth",
    ),
    fails(
        "square.png",
        DEPTH,
        square_depth_png,
        "aspect ratios differ",
    ),
    succeeds_with("holes.pfm", DEPTH, nan_pfm, &["--depth-holes", "fill"]),
    succeeds("constant.npy", DEPTH, constant_npy),
    succeeds_with(
        "negative.pfm",
        DEPTH,
        negative_pfm,
        &["--depth-kind", "depth"],
    ),
    succeeds("half_size.png", DEPTH, half_size_depth_png),
    succeeds("rgb.exr", DEPTH, rgb_exr),
    fails("cut.exr", DEPTH, truncated_exr, "cut.exr"),
];

/// Configuration files given with `--config`.
const CONFIGS: &[Case] = &[
    fails("syntax.toml", CONFIG, bad_toml, "line 2"),
    fails(
        "unknown.toml",
        CONFIG,
        unknown_key_toml,
        "backgroud_thickness",
    ),
    fails("type.toml", CONFIG, wrong_type_toml, "invalid type"),
    fails("lists.toml", CONFIG, mismatched_lists_toml, "lists.toml"),
    fails("binary.toml", CONFIG, binary_toml, "cannot read config"),
    succeeds("empty.toml", CONFIG, Vec::new),
];

#[test]
fn bad_and_awkward_photos() {
    check_all(PHOTOS);
}

#[test]
fn bad_and_awkward_depth_maps() {
    check_all(DEPTHS);
}

#[test]
fn bad_and_awkward_configs() {
    check_all(CONFIGS);
}

/// Runs every case and reports all that misbehave at once.
fn check_all(cases: &[Case]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| check(case).err().map(|e| format!("{}: {e}", case.file)))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Runs one case in a fresh folder and checks what it must do.
fn check(case: &Case) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let file = dir.path().join(case.file);
    std::fs::write(&file, (case.bytes)()).map_err(|e| e.to_string())?;
    let out = dir.path().join("out");
    let photo = match case.role {
        Role::Photo => file.clone(),
        Role::Flag(_) => {
            let scene = dir.path().join("scene.png");
            std::fs::write(&scene, png_scene()).map_err(|e| e.to_string())?;
            scene
        }
    };
    let mut args = vec![
        "run".to_string(),
        photo.display().to_string(),
        "-o".into(),
        out.display().to_string(),
    ];
    if let Role::Flag(flag) = case.role {
        args.extend([flag.to_string(), file.display().to_string()]);
    }
    args.extend(QUICK.iter().chain(case.args).map(|a| a.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = photo3d(&refs);
    match case.error {
        Some(expected) => expect_failure(&result, case.file, expected, &out),
        None => expect_success(&result, &out, &photo),
    }
}

/// One error line naming `name` and containing `expected`, no panic, nothing written.
fn expect_failure(result: &Output, name: &str, expected: &str, out: &Path) -> Result<(), String> {
    let err = stderr(result);
    if result.status.success() || err.contains("panicked") {
        return Err(format!(
            "expected a clean failure, got {:?}: {err}",
            result.status
        ));
    }
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    match lines.as_slice() {
        [line] if line.contains(name) && line.contains(expected) => {}
        _ => return Err(format!("want one error line with '{expected}', got: {err}")),
    }
    let left = std::fs::read_dir(out).map(|d| d.count()).unwrap_or(0);
    if left > 0 {
        return Err(format!("{left} entries left in {}", out.display()));
    }
    Ok(())
}

/// Exit 0 and one complete output folder, with nothing staged left beside it.
fn expect_success(result: &Output, out: &Path, photo: &Path) -> Result<(), String> {
    if !result.status.success() {
        return Err(format!("expected success: {}", stderr(result)));
    }
    let stem = photo.file_stem().unwrap_or_default();
    let entries: Vec<_> = std::fs::read_dir(out)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    if entries != [stem] {
        return Err(format!("output folder holds {entries:?}"));
    }
    let depth = image::open(out.join(stem).join("depth.png")).map_err(|e| e.to_string())?;
    if depth.width() == 0 || depth.height() == 0 {
        return Err("empty depth.png".into());
    }
    if !photo3d::pipeline::outputs_complete(&out.join(stem)) {
        return Err("outputs listed in report.json are missing".into());
    }
    Ok(())
}

#[test]
fn every_exif_orientation_gives_the_rotated_size() {
    let dir = tempfile::tempdir().unwrap();
    let sizes: Vec<(u32, u32)> = (1..=8u8)
        .map(|orientation| {
            let photo = dir.path().join(format!("o{orientation}.jpg"));
            std::fs::write(&photo, jpeg_with_orientation(orientation)).unwrap();
            let out = dir.path().join("out");
            let mut args = vec!["run", photo.to_str().unwrap(), "-o", out.to_str().unwrap()];
            args.extend(QUICK);
            let result = photo3d(&args);
            assert!(
                result.status.success(),
                "orientation {orientation}: {}",
                stderr(&result)
            );
            let depth = out.join(format!("o{orientation}/depth.png"));
            image::image_dimensions(depth).unwrap()
        })
        .collect();
    let (w, h) = sizes[0];
    assert!(w > h, "upright photo is landscape: {w}×{h}");
    for (k, &size) in sizes.iter().enumerate() {
        let want = if k < 4 { (w, h) } else { (h, w) };
        assert_eq!(size, want, "orientation {}", k + 1);
    }
}

/// Output places that cannot be written, even by root.
#[test]
fn unwritable_outputs_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("scene.png");
    std::fs::write(&photo, png_scene()).unwrap();
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, "a file, not a folder").unwrap();
    let cases = [
        (blocker.join("out"), "blocker"),
        (
            Path::new("/proc/photo3d-no-such-dir/out").to_path_buf(),
            "/proc/photo3d-no-such-dir",
        ),
    ];
    for (out, name) in cases {
        let mut args = vec!["run", photo.to_str().unwrap(), "-o", out.to_str().unwrap()];
        args.extend(QUICK);
        let result = photo3d(&args);
        assert_clean_failure(&result, name);
        assert!(!out.exists());
    }
    assert_eq!(std::fs::read(&blocker).unwrap(), b"a file, not a folder");
}

/// A full disk (a 64 KiB file-size limit): the failing write is reported and
/// the staged folder removed.
#[cfg(unix)]
#[test]
fn full_disk_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("scene.png");
    std::fs::write(&photo, png_scene()).unwrap();
    let out = dir.path().join("out");
    let script = format!(
        "ulimit -f 128; exec '{}' run '{}' -o '{}' --num-frames 2 --longer-side-len 200",
        env!("CARGO_BIN_EXE_photo3d"),
        photo.display(),
        out.display()
    );
    let result = std::process::Command::new("sh")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert_clean_failure(&result, "out");
    let err = stderr(&result);
    assert!(
        err.contains("too large") || err.contains("No space"),
        "{err}"
    );
    let left = std::fs::read_dir(&out).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "staging folder left behind");
}

// ---- builders: every file is made here, from a small synthetic scene ----

/// A 48×32 scene with a near square on a sloping background, so depth has edges.
fn scene_rgb(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let near = x > w / 3 && x < 2 * w / 3 && y > h / 4 && y < 3 * h / 4;
        if near {
            Rgb([220, 60, 40])
        } else {
            Rgb([(x * 255 / w.max(1)) as u8, (y * 255 / h.max(1)) as u8, 160])
        }
    })
}

fn encode(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, format).unwrap();
    bytes.into_inner()
}

fn png_scene() -> Vec<u8> {
    encode(scene_rgb(W, H).into(), ImageFormat::Png)
}

fn text() -> Vec<u8> {
    b"This is a text file that someone renamed.\n".to_vec()
}

fn truncated_png() -> Vec<u8> {
    let bytes = encode(scene_rgb(200, 150).into(), ImageFormat::Png);
    bytes[..bytes.len() / 2].to_vec()
}

fn png_magic_only() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(b"definitely not chunks");
    bytes
}

fn gif_magic_only() -> Vec<u8> {
    b"GIF89a\x10".to_vec()
}

fn jpeg_soi_then_junk() -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    bytes.extend_from_slice(&[0x55; 40]);
    bytes
}

/// A JPEG of `w`×`h` pixels of `data` in `color`, with an optional APP1 (EXIF) segment.
fn jpeg(
    data: &[u8],
    w: u16,
    h: u16,
    color: jpeg_encoder::ColorType,
    app1: Option<Vec<u8>>,
) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut bytes, 90);
    if let Some(segment) = app1 {
        encoder.add_app_segment(1, segment).unwrap();
    }
    encoder.encode(data, w, h, color).unwrap();
    bytes
}

fn rgb_jpeg(app1: Option<Vec<u8>>) -> Vec<u8> {
    let rgb = scene_rgb(W, H);
    jpeg(
        rgb.as_raw(),
        W as u16,
        H as u16,
        jpeg_encoder::ColorType::Rgb,
        app1,
    )
}

fn truncated_jpeg() -> Vec<u8> {
    let bytes = rgb_jpeg(None);
    bytes[..bytes.len() * 2 / 3].to_vec()
}

/// A valid JPEG whose frame header is patched to claim 50 000×50 000 pixels.
fn jpeg_claiming_50k() -> Vec<u8> {
    let mut bytes = rgb_jpeg(None);
    let sof = bytes.windows(2).position(|m| m == [0xFF, 0xC0]).unwrap();
    bytes[sof + 5..sof + 9].copy_from_slice(&[0xC3, 0x50, 0xC3, 0x50]);
    bytes
}

/// A PNG whose header claims 50 000×50 000 pixels, followed by a tiny bogus IDAT.
fn png_claiming_50k() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&50_000u32.to_be_bytes());
    ihdr.extend_from_slice(&50_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    push_png_chunk(&mut bytes, b"IHDR", &ihdr);
    push_png_chunk(&mut bytes, b"IDAT", &[0x78, 0x9C, 0x03, 0x00]);
    push_png_chunk(&mut bytes, b"IEND", &[]);
    bytes
}

fn push_png_chunk(bytes: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    bytes.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = bytes.len();
    bytes.extend_from_slice(kind);
    bytes.extend_from_slice(data);
    let crc = crc32fast::hash(&bytes[start..]);
    bytes.extend_from_slice(&crc.to_be_bytes());
}

/// EXIF APP1 payload holding only an orientation tag (little-endian TIFF).
fn exif_orientation(orientation: u8) -> Vec<u8> {
    let mut exif = b"Exif\0\0II*\0\x08\0\0\0\x01\0".to_vec();
    exif.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, orientation, 0, 0, 0]);
    exif.extend_from_slice(&[0, 0, 0, 0]);
    exif
}

fn jpeg_with_orientation(orientation: u8) -> Vec<u8> {
    rgb_jpeg(Some(exif_orientation(orientation)))
}

fn jpeg_with_garbage_exif() -> Vec<u8> {
    rgb_jpeg(Some(b"Exif\0\0MM\0*\xFF\xFF\xFF\xF0garbage".to_vec()))
}

fn cmyk_jpeg() -> Vec<u8> {
    let cmyk: Vec<u8> = scene_rgb(W, H)
        .pixels()
        .flat_map(|p| {
            let k = 255 - p.0.iter().copied().max().unwrap_or(0);
            [255 - p[0] - k, 255 - p[1] - k, 255 - p[2] - k, k]
        })
        .collect();
    jpeg(
        &cmyk,
        W as u16,
        H as u16,
        jpeg_encoder::ColorType::Cmyk,
        None,
    )
}

fn gray_jpeg() -> Vec<u8> {
    let gray = DynamicImage::from(scene_rgb(W, H)).to_luma8();
    jpeg(
        gray.as_raw(),
        W as u16,
        H as u16,
        jpeg_encoder::ColorType::Luma,
        None,
    )
}

fn gray_png() -> Vec<u8> {
    encode(
        DynamicImage::from(scene_rgb(W, H)).to_luma8().into(),
        ImageFormat::Png,
    )
}

fn rgb16_png() -> Vec<u8> {
    encode(
        DynamicImage::from(scene_rgb(W, H)).to_rgb16().into(),
        ImageFormat::Png,
    )
}

fn gray16_png() -> Vec<u8> {
    encode(
        DynamicImage::from(scene_rgb(W, H)).to_luma16().into(),
        ImageFormat::Png,
    )
}

fn rgba_png() -> Vec<u8> {
    let rgb = scene_rgb(W, H);
    let rgba = ImageBuffer::from_fn(W, H, |x, y| {
        let p = rgb.get_pixel(x, y).0;
        Rgba([p[0], p[1], p[2], (x * 255 / W) as u8])
    });
    encode(DynamicImage::ImageRgba8(rgba), ImageFormat::Png)
}

fn transparent_png() -> Vec<u8> {
    encode(
        DynamicImage::ImageRgba8(ImageBuffer::new(W, H)),
        ImageFormat::Png,
    )
}

fn gif_scene() -> Vec<u8> {
    encode(scene_rgb(W, H).into(), ImageFormat::Gif)
}

fn tiff_scene() -> Vec<u8> {
    encode(scene_rgb(W, H).into(), ImageFormat::Tiff)
}

fn bmp_scene() -> Vec<u8> {
    encode(scene_rgb(W, H).into(), ImageFormat::Bmp)
}

fn one_by_one() -> Vec<u8> {
    encode(scene_rgb(1, 1).into(), ImageFormat::Png)
}

fn two_by_two() -> Vec<u8> {
    encode(scene_rgb(2, 2).into(), ImageFormat::Png)
}

fn wide_400x100() -> Vec<u8> {
    encode(scene_rgb(400, 100).into(), ImageFormat::Png)
}

fn wide_4000x3() -> Vec<u8> {
    encode(scene_rgb(4000, 3).into(), ImageFormat::Png)
}

fn tall_3x2000() -> Vec<u8> {
    encode(scene_rgb(3, 2000).into(), ImageFormat::Png)
}

/// An NPY file of `shape` holding `values` as little-endian `descr`.
fn npy(descr: &str, shape: (u32, u32), values: &[u8]) -> Vec<u8> {
    let mut header = format!(
        "{{'descr': '{descr}', 'fortran_order': False, 'shape': ({}, {}), }}",
        shape.0, shape.1
    );
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(values);
    bytes
}

/// An H×W float32 NPY map from `f(x, y)`.
fn npy_f32(f: impl Fn(u32, u32) -> f32) -> Vec<u8> {
    let values: Vec<u8> = (0..H)
        .flat_map(|y| (0..W).map(move |x| (x, y)))
        .flat_map(|(x, y)| f(x, y).to_le_bytes())
        .collect();
    npy("<f4", (H, W), &values)
}

fn truncated_npy() -> Vec<u8> {
    let bytes = npy_f32(|x, _| x as f32 + 1.0);
    bytes[..bytes.len() - 100].to_vec()
}

fn complex_npy() -> Vec<u8> {
    npy("<c8", (H, W), &vec![0; (W * H * 8) as usize])
}

fn inf_npy() -> Vec<u8> {
    npy_f32(|x, y| {
        if x == 3 && y == 4 {
            f32::INFINITY
        } else {
            1.0 + x as f32
        }
    })
}

fn all_nan_npy() -> Vec<u8> {
    npy_f32(|_, _| f32::NAN)
}

fn constant_npy() -> Vec<u8> {
    npy_f32(|_, _| 2.5)
}

/// A little-endian single-channel PFM from `f(x, y)` (rows stored bottom-up).
fn pfm(f: impl Fn(u32, u32) -> f32) -> Vec<u8> {
    let mut bytes = format!("Pf\n{W} {H}\n-1.0\n").into_bytes();
    for y in (0..H).rev() {
        for x in 0..W {
            bytes.extend_from_slice(&f(x, y).to_le_bytes());
        }
    }
    bytes
}

fn nan_pfm() -> Vec<u8> {
    pfm(|x, y| {
        if (x + y) % 7 == 0 {
            f32::NAN
        } else {
            1.0 + y as f32
        }
    })
}

fn negative_pfm() -> Vec<u8> {
    pfm(|x, _| x as f32 - 20.0)
}

fn truncated_pfm() -> Vec<u8> {
    let bytes = pfm(|x, _| x as f32);
    bytes[..bytes.len() / 2].to_vec()
}

/// An RGB float OpenEXR (as the image crate writes it) with depth in every channel.
fn rgb_exr() -> Vec<u8> {
    let depth = ImageBuffer::<Rgb<f32>, _>::from_fn(W, H, |x, y| Rgb([1.0 + (x + y) as f32; 3]));
    encode(DynamicImage::ImageRgb32F(depth), ImageFormat::OpenExr)
}

fn truncated_exr() -> Vec<u8> {
    let bytes = rgb_exr();
    bytes[..bytes.len() * 2 / 3].to_vec()
}

fn square_depth_png() -> Vec<u8> {
    encode(
        ImageBuffer::<Luma<u16>, _>::from_fn(50, 50, |x, _| Luma([x as u16 * 100])).into(),
        ImageFormat::Png,
    )
}

fn half_size_depth_png() -> Vec<u8> {
    encode(
        ImageBuffer::<Luma<u16>, _>::from_fn(W / 2, H / 2, |x, y| Luma([(x + y) as u16 * 500]))
            .into(),
        ImageFormat::Png,
    )
}

fn bad_toml() -> Vec<u8> {
    b"fps = 30\nnum_frames = = 3\n".to_vec()
}

fn unknown_key_toml() -> Vec<u8> {
    b"fps = 30\nbackgroud_thickness = 5\n".to_vec()
}

fn wrong_type_toml() -> Vec<u8> {
    b"fps = \"fast\"\n".to_vec()
}

fn mismatched_lists_toml() -> Vec<u8> {
    b"traj_types = [\"circle\"]\n".to_vec()
}

fn binary_toml() -> Vec<u8> {
    vec![0xFF, 0xFE, 0x00, 0x80, 0xC3]
}
