//! Camera paths, safe parallax and the GIF/PNG video outputs, end to end.

use crate::common::{example_photo, photo3d, read_report, stderr};
use photo3d::config::Config;
use photo3d::pipeline::{photo_scene, safe_parallax, video_cameras, RunOptions};
use photo3d::render::parallax::{has_hole, HOLE_SIDE};
use photo3d::render::Renderer;
use std::path::Path;

/// True when some frame of `cameras` shows a hole at full size.
fn any_hole(
    scene: &photo3d::scene::Scene,
    cameras: &[photo3d::render::Camera],
    samples: u32,
) -> bool {
    let mut renderer = Renderer::default();
    cameras.iter().any(|camera| {
        renderer.render_over(&scene.render_mesh, camera, samples, [0; 3]);
        has_hole(renderer.hits(), camera.width as usize, HOLE_SIDE)
    })
}

#[test]
fn auto_parallax_leaves_no_hole_in_any_frame_of_a_real_photo() {
    let photo = example_photo();
    let config = Config {
        longer_side_len: 480,
        num_frames: 60,
        ..Config::default()
    };
    let options = RunOptions {
        config: config.clone(),
        ..RunOptions::default()
    };
    let scene = photo_scene(&photo, &options).unwrap();
    let samples = config.samples_per_side();
    let mut reduced = 0;
    for path in config.camera_paths() {
        let safe = safe_parallax(&scene, &config, &path);
        assert!((0.0..=1.0).contains(&safe), "{}: {safe}", path.name);
        let cameras = video_cameras(&scene, &config, &path, safe);
        assert!(
            !any_hole(&scene, &cameras, samples),
            "{} at {safe}",
            path.name
        );
        if safe < 1.0 {
            reduced += 1;
        }
    }
    // Four times the motion must uncover what the inpainting never filled.
    let circle = &config.camera_paths()[2];
    assert!(any_hole(
        &scene,
        &video_cameras(&scene, &config, circle, 4.0),
        samples
    ));
    // This photo's dolly zoom uncovers holes at the full motion: auto did reduce something.
    assert!(reduced >= 1);
}

/// Runs photo3d on the example photo at a small size with `extra` flags.
fn small_run(out: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "run",
        example_photo().to_str().unwrap(),
        "--num-frames",
        "6",
        "--longer-side-len",
        "96",
        "-o",
        out.to_str().unwrap(),
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = photo3d(&refs);
    assert!(result.status.success(), "{}", stderr(&result));
    read_report(&out.join("coffee"))
}

#[test]
fn printed_presets_give_the_built_in_frames_and_gif_png_decode() {
    let dir = tempfile::tempdir().unwrap();
    let printed = photo3d(&["config", "--paths"]);
    assert!(printed.status.success());
    let presets = dir.path().join("presets.toml");
    std::fs::write(&presets, &printed.stdout).unwrap();

    let built_in = dir.path().join("a");
    let report = small_run(&built_in, &["--format", "png,gif"]);
    let from_file = dir.path().join("b");
    small_run(
        &from_file,
        &["--format", "png", "--path", presets.to_str().unwrap()],
    );
    let videos = report["videos"].as_array().unwrap();
    assert_eq!(videos.len(), 4);
    for video in videos {
        let name = video["name"].as_str().unwrap();
        assert_eq!(video["frames"], 6);
        assert!(video["parallax"].as_f64().unwrap() <= 1.0);
        for k in 0..6 {
            let frame = format!("coffee/{name}-frames/frame-{k:04}.png");
            let a = std::fs::read(built_in.join(&frame)).unwrap();
            assert_eq!(a, std::fs::read(from_file.join(&frame)).unwrap(), "{frame}");
        }
        assert!(!built_in
            .join(format!("coffee/{name}-frames/frame-0006.png"))
            .exists());
        use image::AnimationDecoder;
        let gif = std::fs::File::open(built_in.join(format!("coffee/{name}.gif"))).unwrap();
        let decoder = image::codecs::gif::GifDecoder::new(std::io::BufReader::new(gif)).unwrap();
        // 40 fps GIFs keep frames 0 and 3 of 6.
        assert_eq!(decoder.into_frames().collect_frames().unwrap().len(), 2);
        assert!(!built_in.join(format!("coffee/{name}.mp4")).exists());
    }
}

#[test]
fn a_parallax_beyond_the_safe_amount_says_so_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let paths = dir.path().join("pan.toml");
    std::fs::write(
        &paths,
        "[[path]]\nname = \"pan\"\nloop = true\neasing = \"smooth\"\n\
         [[path.key]]\nposition = [-0.05, 0.0, 0.0]\nyaw = -3\n\
         [[path.key]]\nposition = [0.05, 0.0, 0.0]\nyaw = 3\n",
    )
    .unwrap();
    let out = dir.path().join("o");
    let report = small_run(
        &out,
        &["--path", paths.to_str().unwrap(), "--parallax", "6"],
    );
    let video = &report["videos"][0];
    assert_eq!(video["name"], "pan");
    assert_eq!(video["parallax"], 6.0);
    let warnings = report["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].as_str().unwrap().contains("exceeds the safe"));
    assert!(out.join("coffee/pan.mp4").exists());
}
