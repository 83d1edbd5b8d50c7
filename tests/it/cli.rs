//! End-to-end tests of the `photo3d` command on a real photo and on bad input.

use crate::common::*;
use photo3d::mesh::ply::read_ply;
use std::path::Path;

/// Working size used by the end-to-end run (small, so the test is quick).
const SIDE: u32 = 320;

#[test]
fn run_writes_every_output() {
    let out = tempfile::tempdir().unwrap();
    let photo = example_photo();
    let result = photo3d(&[
        "run",
        photo.to_str().unwrap(),
        "-o",
        out.path().to_str().unwrap(),
        "--longer-side-len",
        &SIDE.to_string(),
    ]);
    assert!(result.status.success(), "run failed: {}", stderr(&result));
    let dir = out.path().join("coffee");
    let (w, h) = (SIDE, SIDE * 400 / 600);

    let depth = image::open(dir.join("depth.png")).unwrap();
    assert_eq!(
        depth.color(),
        image::ColorType::L16,
        "depth.png must be 16-bit gray"
    );
    assert_eq!((depth.width(), depth.height()), (w, h));
    let levels: std::collections::HashSet<u16> = depth.to_luma16().pixels().map(|p| p[0]).collect();
    assert!(levels.len() > 256, "depth has only {} levels", levels.len());

    let mut file = std::io::BufReader::new(std::fs::File::open(dir.join("mesh.ply")).unwrap());
    let mesh = read_ply(&mut file).unwrap();
    assert_eq!((mesh.width, mesh.height), (w, h));
    let inpainted = mesh.labels.iter().filter(|&&l| matches!(l, 2..=4)).count();
    assert!(inpainted > 0, "no inpainted vertices");
    assert!(mesh.positions.len() >= (w * h) as usize + inpainted);
    assert!(mesh.faces.len() > mesh.positions.len());
    assert!((mesh.hfov.to_degrees() - 53.13).abs() < 0.01);

    for video in ["circle", "swing", "zoom-in", "dolly-zoom-in"] {
        let path = dir.join(format!("{video}.mp4"));
        assert!(
            path.metadata().unwrap().len() > 10_000,
            "{video}.mp4 is tiny"
        );
        if let Some(stream) = ffprobe_stream(&path) {
            assert_eq!(stream["codec_name"], "h264", "{video}");
            assert_eq!(stream["nb_read_frames"], "240", "{video}");
            // The photo's own size, larger than the working size.
            assert_eq!(stream["width"], "600", "{video}");
            assert_eq!(stream["height"], "400", "{video}");
            assert_eq!(stream["r_frame_rate"], "40/1", "{video}");
        }
    }

    let report = read_report(&dir);
    assert_eq!(report["photo_size"], serde_json::json!([600, 400]));
    assert_eq!(report["working_size"], serde_json::json!([w, h]));
    assert_eq!(report["depth_source"]["kind"], "classical");
    assert_eq!(
        report["scene"]["vertices"].as_u64().unwrap() as usize,
        mesh.positions.len()
    );
    let stages: Vec<&str> = report["timings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t[0].as_str().unwrap())
        .collect();
    for stage in [
        "load",
        "depth",
        "sharpen",
        "discontinuities",
        "inpaint",
        "mesh",
        "parallax circle",
        "video circle",
    ] {
        assert!(
            stages.contains(&stage),
            "report lacks stage {stage}: {stages:?}"
        );
    }
    let glb = std::fs::read(dir.join("mesh.glb")).unwrap();
    assert_eq!(&glb[..4], b"glTF");
    assert_eq!(report["glb"]["bytes"].as_u64().unwrap() as usize, glb.len());
    let triangles = report["glb"]["triangles"].as_u64().unwrap() as usize;
    assert!(
        triangles > 0 && triangles < mesh.faces.len(),
        "{triangles} GLB triangles"
    );
    let viewer = std::fs::read_to_string(dir.join("viewer.html")).unwrap();
    assert!(
        viewer.len() > glb.len(),
        "viewer.html does not embed the GLB"
    );
    for file in ["mesh.glb", "viewer.html"] {
        assert!(
            report["outputs"].as_array().unwrap().contains(&file.into()),
            "report.json does not list {file}"
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        1,
        "staging folders left behind: {leftovers:?}"
    );
}

/// Runs `photo3d run` on `photo` with extra args and a fresh output folder;
/// checks a clean failure naming `name` and that nothing was written.
fn assert_run_fails(photo: &Path, extra: &[&str], name: &str) {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("out");
    let mut args = vec![
        "run",
        photo.to_str().unwrap(),
        "-o",
        target.to_str().unwrap(),
        "--num-frames",
        "2",
        "--longer-side-len",
        "64",
    ];
    args.extend_from_slice(extra);
    let result = photo3d(&args);
    assert_clean_failure(&result, name);
    let written = std::fs::read_dir(&target).map(|d| d.count()).unwrap_or(0);
    assert_eq!(written, 0, "output written for a failed run");
}

#[test]
fn bad_photos_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    assert_run_fails(&dir.path().join("missing.jpg"), &[], "missing.jpg");
    let text = dir.path().join("notes.jpg");
    std::fs::write(&text, "this is not an image\n").unwrap();
    assert_run_fails(&text, &[], "notes.jpg");
    let truncated = dir.path().join("cut.png");
    let bytes = std::fs::read(example_photo()).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    assert_run_fails(&truncated, &[], "cut.png");
}

#[test]
fn bad_depth_files_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let photo = example_photo();
    let square = dir.path().join("square.png");
    image::ImageBuffer::<image::Luma<u16>, Vec<u16>>::from_fn(50, 50, |x, _| {
        image::Luma([x as u16 * 100])
    })
    .save(&square)
    .unwrap();
    assert_run_fails(&photo, &["--depth", square.to_str().unwrap()], "square.png");
    let nan = dir.path().join("holes.pfm");
    let mut pfm = b"Pf\n6 4\n-1.0\n".to_vec();
    for i in 0..24 {
        let v: f32 = if i == 5 { f32::NAN } else { 1.0 + i as f32 };
        pfm.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(&nan, &pfm).unwrap();
    assert_run_fails(&photo, &["--depth", nan.to_str().unwrap()], "holes.pfm");
    let err = stderr(&photo3d(&[
        "run",
        photo.to_str().unwrap(),
        "--depth",
        nan.to_str().unwrap(),
        "-o",
        dir.path().join("o").to_str().unwrap(),
    ]));
    assert!(err.contains("1 NaN"), "{err}");
}

#[test]
fn batch_finishes_good_photos_and_reports_failure() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir(&inputs).unwrap();
    std::fs::copy(example_photo(), inputs.join("a.png")).unwrap();
    std::fs::write(inputs.join("b.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]).unwrap();
    let out = dir.path().join("out");
    let result = photo3d(&[
        "run",
        inputs.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--num-frames",
        "2",
        "--longer-side-len",
        "96",
    ]);
    assert_clean_failure(&result, "b.jpg");
    assert!(
        out.join("a/report.json").exists(),
        "good photo not finished"
    );
    assert!(!out.join("b").exists());
    assert!(stderr(&result).contains("1 of 2 photos done, 1 failed"));
}

#[test]
fn config_prints_defaults_and_rejects_unknown_keys() {
    let printed = photo3d(&["config"]);
    assert!(printed.status.success());
    let text = String::from_utf8(printed.stdout).unwrap();
    let parsed = photo3d::config::Config::from_toml(&text).unwrap();
    assert_eq!(parsed, photo3d::config::Config::default());
    assert!(text.contains("background_thickness = 70"));

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "fps = 30\nbackgroud_thickness = 5\n").unwrap();
    let result = photo3d(&[
        "run",
        example_photo().to_str().unwrap(),
        "--config",
        bad.to_str().unwrap(),
        "-o",
        dir.path().join("o").to_str().unwrap(),
    ]);
    assert_clean_failure(&result, "bad.toml");
    assert!(stderr(&result).contains("backgroud_thickness"));
}

#[test]
fn flags_override_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        "num_frames = 3\nfps = 12\nvideo_postfix = [\"a\", \"b\", \"c\", \"d\"]\n",
    )
    .unwrap();
    let out = dir.path().join("o");
    let result = photo3d(&[
        "run",
        example_photo().to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
        "--num-frames",
        "5",
        "--longer-side-len",
        "80",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(out.join("coffee/a.mp4").exists());
    if let Some(stream) = ffprobe_stream(&out.join("coffee/d.mp4")) {
        assert_eq!(stream["nb_read_frames"], "5");
        assert_eq!(stream["r_frame_rate"], "12/1");
    }
}

/// `photo3d stereo PHOTO --format FORMAT --config CFG -o OUT EXTRA…`, which must succeed.
fn run_stereo(photo: &Path, cfg: &Path, format: &str, out: &Path, extra: &[&str]) {
    let mut args = vec![
        "stereo",
        photo.to_str().unwrap(),
        "--format",
        format,
        "--config",
        cfg.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    let result = photo3d(&args);
    assert!(result.status.success(), "{format}: {}", stderr(&result));
}

#[test]
fn stereo_writes_sbs_anaglyph_and_wiggle() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("small.toml");
    std::fs::write(&cfg, "longer_side_len = 120\n").unwrap();
    let photo = example_photo();
    let (w, h) = (120, 80);
    for (format, file) in [("sbs", "s.png"), ("anaglyph", "a.png"), ("wiggle", "w.gif")] {
        let out = dir.path().join(file);
        run_stereo(&photo, &cfg, format, &out, &[]);
        if format == "wiggle" {
            use image::AnimationDecoder;
            let decoder = image::codecs::gif::GifDecoder::new(std::io::BufReader::new(
                std::fs::File::open(&out).unwrap(),
            ))
            .unwrap();
            let frames = decoder.into_frames().collect_frames().unwrap();
            assert_eq!(frames.len(), 2);
            assert_eq!(frames[0].buffer().dimensions(), (w, h));
            assert_ne!(
                frames[0].buffer(),
                frames[1].buffer(),
                "the two eyes see the same"
            );
        } else {
            let image = image::open(&out).unwrap().to_rgb8();
            let expected = if format == "sbs" { (2 * w, h) } else { (w, h) };
            assert_eq!(image.dimensions(), expected);
        }
    }
    let sbs = image::open(dir.path().join("s.png")).unwrap().to_rgb8();
    let (left, right) = (
        image::imageops::crop_imm(&sbs, 0, 0, w, h).to_image(),
        image::imageops::crop_imm(&sbs, w, 0, w, h).to_image(),
    );
    let differing = left
        .pixels()
        .zip(right.pixels())
        .filter(|(a, b)| a != b)
        .count();
    assert!(
        differing > (w * h / 20) as usize,
        "views barely differ: {differing} pixels"
    );
    let bad = photo3d(&["stereo", photo.to_str().unwrap(), "--baseline", "0"]);
    assert!(!bad.status.success() && stderr(&bad).contains("--baseline"));
}

#[test]
fn stereo_writes_cross_eye_and_top_bottom_with_divergence_and_convergence() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("small.toml");
    std::fs::write(&cfg, "longer_side_len = 120\n").unwrap();
    let photo = example_photo();
    let (w, h) = (120, 80);
    let stereo = |format: &str, file: &str, extra: &[&str]| {
        let out = dir.path().join(file);
        run_stereo(&photo, &cfg, format, &out, extra);
        image::open(&out).unwrap().to_rgb8()
    };
    let sbs = stereo("sbs", "s.png", &["--divergence", "4"]);
    let cross = stereo("cross-eye", "c.png", &["--divergence", "4"]);
    assert_eq!(cross.dimensions(), (2 * w, h));
    // Cross-eye is side-by-side with the eyes swapped.
    let half = |img: &image::RgbImage, x| image::imageops::crop_imm(img, x, 0, w, h).to_image();
    assert_eq!(half(&cross, 0), half(&sbs, w));
    assert_eq!(half(&cross, w), half(&sbs, 0));

    let tb = stereo(
        "top-bottom",
        "t.png",
        &["--divergence", "4", "--convergence", "1"],
    );
    assert_eq!(tb.dimensions(), (w, 2 * h));
    let top = image::imageops::crop_imm(&tb, 0, 0, w, h).to_image();
    // Converging on the nearest surface moves the left view against the parallel one.
    assert_ne!(top, half(&sbs, 0));
    let bad = photo3d(&["stereo", photo.to_str().unwrap(), "--convergence", "2"]);
    assert!(!bad.status.success() && stderr(&bad).contains("--convergence"));
}
