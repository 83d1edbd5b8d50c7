//! mesh.glb and viewer.html checked with outside tools that .ci/run installs:
//! the Khronos glTF validator (node, .ci/node_modules) and headless Chromium.
//! Without them the tests skip with a message, unless PHOTO3D_REQUIRE_TOOLS=1.

use image::{Luma, Rgb, RgbImage};
use photo3d::config::Config;
use photo3d::depth::DepthKind;
use photo3d::depth::{DepthEstimate, DepthSource};
use photo3d::map::FloatMap;
use photo3d::mesh::glb::encode_glb;
use photo3d::output::viewer::{viewer_html, ViewerPath, LIMITS};
use photo3d::pipeline::build_scene;
use photo3d::progress::Timings;
use photo3d::render::{render, Camera};
use photo3d::scene::Scene;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const W: u32 = 192;
const H: u32 = 128;
/// The browser window is the photo scaled by this (headless Chromium keeps
/// windows at least 500 px wide), which also checks the viewer's fitting.
const VIEW_SCALE: u32 = 3;

/// A near disc with stripes in front of a far plane with a checker over a
/// gradient: a discontinuity all round, an inpainted layer behind it.
fn scene() -> Scene {
    scene_with(Config {
        longer_side_len: W,
        ..Config::default()
    })
}

/// The synthetic scene built with `config`.
fn scene_with(config: Config) -> Scene {
    let near = |x: u32, y: u32| (x as f32 - 90.0).hypot(y as f32 - 60.0) < 30.0;
    let rgb = RgbImage::from_fn(W, H, |x, y| {
        if near(x, y) {
            Rgb(if (x / 3) % 2 == 0 {
                [230, 40, 30]
            } else {
                [240, 210, 50]
            })
        } else {
            let check = if (x / 8 + y / 8) % 2 == 0 { 60 } else { 0 };
            Rgb([
                30 + check,
                (y * 150 / H) as u8 + check,
                120 + (x * 100 / W) as u8,
            ])
        }
    });
    let depth = FloatMap::from_fn(W, H, |x, y| Luma([if near(x, y) { 1.0 } else { 4.0 }]));
    let estimate = DepthEstimate {
        map: depth,
        kind: DepthKind::Depth,
        source: DepthSource::Classical,
    };
    build_scene(
        &rgb,
        &estimate,
        &config,
        &mut Timings::default(),
        &mut |_| {},
    )
}

fn glb_of(scene: &Scene) -> Vec<u8> {
    let k = scene.prepared.intrinsics;
    encode_glb(
        &scene.ldi,
        &scene.mesh,
        &scene.render_mesh.atlas,
        &k,
        250_000,
    )
    .expect("GLB encodes")
    .bytes
}

/// Whether a missing tool must fail the test rather than skip it.
fn tools_required() -> bool {
    std::env::var("PHOTO3D_REQUIRE_TOOLS").as_deref() == Ok("1")
}

/// Skips (returns false) or fails when a tool is missing.
fn have(tool: &str, found: bool) -> bool {
    if !found {
        assert!(
            !tools_required(),
            "{tool} is missing but PHOTO3D_REQUIRE_TOOLS=1"
        );
        eprintln!("{tool} not found; skipping (install with .ci/run)");
    }
    found
}

fn runs(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn glb_passes_khronos_validator() {
    let ci = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci");
    let installed = ci.join("node_modules/gltf-validator").is_dir();
    if !have("node", runs("node", "--version")) || !have("gltf-validator", installed) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mesh.glb");
    std::fs::write(&path, glb_of(&scene())).unwrap();
    let out = Command::new("node")
        .arg(ci.join("validate-gltf.js"))
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let report: serde_json::Value = serde_json::from_str(text.trim()).unwrap_or_else(|_| {
        panic!(
            "validator printed {text} / {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(report["numErrors"], 0, "validator: {report}");
    assert!(out.status.success());
    eprintln!("validator warnings: {}", report["numWarnings"]);
}

/// A Chromium binary from Debian's packages, if installed.
fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| runs(c, "--version"))
}

/// Screenshot of `page` at `fragment` in headless Chromium (software WebGL).
fn screenshot(browser: &str, page: &Path, fragment: &str, dir: &Path) -> RgbImage {
    screenshot_after(browser, page, fragment, dir, 10_000)
}

/// Screenshot of `page` at `fragment` after `budget_ms` of the browser's
/// virtual time (animations advance by it, not by the clock).
fn screenshot_after(
    browser: &str,
    page: &Path,
    fragment: &str,
    dir: &Path,
    budget_ms: u32,
) -> RgbImage {
    let shot = dir.join("shot.png");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--use-angle=swiftshader",
            "--enable-unsafe-swiftshader",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--virtual-time-budget={budget_ms}"))
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!(
            "--window-size={},{}",
            W * VIEW_SCALE,
            H * VIEW_SCALE
        ))
        .arg(format!("file://{}#{fragment}", page.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // A guard against a hung browser, not a speed requirement.
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    image::open(&shot)
        .unwrap_or_else(|e| panic!("no screenshot at {}: {e}", shot.display()))
        .to_rgb8()
}

fn mean_abs_diff(a: &RgbImage, b: &RgbImage) -> f64 {
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&p, &q)| p.abs_diff(q) as u64)
        .sum();
    sum as f64 / a.as_raw().len() as f64
}

/// Where a test may save images for people to look at.
fn save_for_review(image: &RgbImage, name: &str) {
    if let Ok(dir) = std::env::var("PHOTO3D_TEST_OUT") {
        image.save(PathBuf::from(dir).join(name)).unwrap();
    }
}

#[test]
fn viewer_in_chromium_matches_cpu_render() {
    let Some(browser) = chromium() else {
        have("chromium", false);
        return;
    };
    let scene = scene();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("viewer.html");
    std::fs::write(&page, viewer_html(&glb_of(&scene), "synthetic", 1.0, &[])).unwrap();
    if let Ok(out) = std::env::var("PHOTO3D_TEST_OUT") {
        std::fs::copy(&page, Path::new(&out).join("viewer.html")).unwrap();
    }
    // Sideways, up and forward: the disc (depth 1/3 after preparation) moves
    // about 15 px against the plane and uncovers the inpainted layer.
    let t = [0.025f32, -0.015, 0.03];
    let shot = screenshot(
        browser,
        &page,
        &format!("pose={},{},{}&autoplay=0", t[0], t[1], t[2]),
        dir.path(),
    );
    assert_eq!(
        shot.dimensions(),
        (W * VIEW_SCALE, H * VIEW_SCALE),
        "screenshot size"
    );
    let camera = view_camera(&scene);
    let expected = render(&scene.render_mesh, &camera.posed(t, 1.0), 2);
    let unmoved = render(&scene.render_mesh, &camera, 2);
    save_for_review(&shot, "viewer_chromium.png");
    save_for_review(&expected, "viewer_cpu.png");
    let error = mean_abs_diff(&shot, &expected);
    let wrong_pose = mean_abs_diff(&shot, &unmoved);
    eprintln!("viewer vs CPU render: MAD {error:.2} (vs unmoved pose {wrong_pose:.2})");
    // The two renderers differ only at edges: the viewer samples the atlas
    // bilinearly where the CPU interpolates vertex colours, merges flat cells,
    // and rasterises and antialiases edges its own way. Measured: about 0.25
    // levels of mean absolute difference. 2 levels leaves room for other
    // SwiftShader versions; a wrong pose, flipped axis or lost layer costs far
    // more (the unmoved render differs by about 13).
    assert!(
        error < 2.0,
        "viewer differs from the CPU render: MAD {error:.2}"
    );
    assert!(
        wrong_pose > 2.0 * error,
        "test cannot tell poses apart: {wrong_pose:.2} vs {error:.2}"
    );
}

/// The photo's camera at the browser window's size.
fn view_camera(scene: &Scene) -> Camera {
    let mut k = scene.prepared.intrinsics;
    let s = VIEW_SCALE as f32;
    (k.fx, k.fy, k.cx, k.cy) = (k.fx * s, k.fy * s, k.cx * s, k.cy * s);
    Camera::original(&k, W * VIEW_SCALE, H * VIEW_SCALE)
}

/// Pixels coloured like the disc or half way to it: the far plane's blue is
/// at least 120, the disc's at most 50.
fn disc_pixels(image: &RgbImage) -> usize {
    image.pixels().filter(|p| p.0[2] < 100).count()
}

/// Pixels of exactly the viewer's clear colour (grey 128).
fn clear_colour_pixels(image: &RgbImage) -> usize {
    image.pixels().filter(|p| p.0 == [128, 128, 128]).count()
}

#[test]
fn viewer_at_the_largest_drag_shows_no_clear_colour() {
    let Some(browser) = chromium() else {
        have("chromium", false);
        return;
    };
    // Little inpainted behind the disc and no border beyond the photo: the
    // largest drag looks past every surface the mesh holds.
    let scene = scene_with(Config {
        longer_side_len: W,
        background_thickness: 2,
        background_thickness_2: 2,
        extrapolate_border: false,
        ..Config::default()
    });
    // The synthetic photo holds no pixel of the clear colour, so any such
    // pixel in a screenshot is one that no surface covered and the fill missed.
    let photo = &scene.prepared.rgb;
    assert_eq!(
        clear_colour_pixels(photo),
        0,
        "photo has clear-colour pixels"
    );
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("viewer.html");
    std::fs::write(&page, viewer_html(&glb_of(&scene), "synthetic", 1.0, &[])).unwrap();
    if let Ok(out) = std::env::var("PHOTO3D_TEST_OUT") {
        std::fs::copy(&page, Path::new(&out).join("viewer_near_disc.html")).unwrap();
    }
    let camera = view_camera(&scene);
    // The corner of the drag, moved back: the far plane slides out of the
    // photo's rectangle and the disc uncovers the most.
    let l = LIMITS;
    for (name, t) in [
        ("back", [l[0], l[1], l[2]]),
        ("forward", [-l[0], l[1], -l[2]]),
    ] {
        let fragment = format!("pose={},{},{}&autoplay=0", t[0], t[1], t[2]);
        let shot = screenshot(browser, &page, &fragment, dir.path());
        save_for_review(&shot, &format!("viewer_largest_drag_{name}.png"));
        let grey = clear_colour_pixels(&shot);
        // The fill takes the far plane's colours: the disc covers no more of
        // the screenshot than of the CPU render at the same pose.
        let disc = disc_pixels(&shot);
        let expected = disc_pixels(&render(&scene.render_mesh, &camera.posed(t, 1.0), 2));
        eprintln!(
            "largest drag {name} {t:?}: {grey} clear-colour pixels, disc colours {disc} (CPU {expected})"
        );
        assert_eq!(grey, 0, "{name}: {grey} pixels show the clear colour");
        assert!(
            disc * 100 <= expected * 103,
            "{name}: the fill spreads the disc: {disc} pixels vs {expected}"
        );
    }
}

#[test]
fn viewer_plays_a_path_of_the_run() {
    let Some(browser) = chromium() else {
        have("chromium", false);
        return;
    };
    let scene = scene();
    let k = scene.prepared.intrinsics;
    let camera = Camera::original(&k, W, H);
    // A sideways swing, 4 s a loop: about a quarter loop apart at the two shots.
    let frames = 40;
    let cameras: Vec<Camera> = (0..frames)
        .map(|i| {
            let phase = std::f32::consts::TAU * i as f32 / frames as f32;
            camera.posed([0.02 * phase.sin(), 0.01 * phase.cos(), 0.0], 1.0)
        })
        .collect();
    let path = ViewerPath::new("swing", 10, &cameras, k.fx);
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("viewer.html");
    std::fs::write(
        &page,
        viewer_html(&glb_of(&scene), "synthetic", 1.0, &[path]),
    )
    .unwrap();
    // Auto-play off: only the path can move the view. Headless Chromium
    // sometimes shows (nearly) the same frame at both virtual times (2 runs
    // in 19 on a 2-core machine), so a pair is tried up to three times; a
    // path that never plays fails every time.
    const PLAYED_MAD: f64 = 2.0;
    let mut moved = 0.0;
    for _ in 0..3 {
        let shots: Vec<RgbImage> = [1000, 2500]
            .into_iter()
            .map(|ms| screenshot_after(browser, &page, "play=1&autoplay=0", dir.path(), ms))
            .collect();
        for (shot, name) in shots.iter().zip(["early", "late"]) {
            save_for_review(shot, &format!("viewer_play_{name}.png"));
            let grey = clear_colour_pixels(shot);
            assert_eq!(grey, 0, "{name}: {grey} pixels show the clear colour");
        }
        moved = mean_abs_diff(&shots[0], &shots[1]);
        eprintln!("playback: the two shots differ by MAD {moved:.2}");
        if moved > PLAYED_MAD {
            break;
        }
    }
    assert!(moved > PLAYED_MAD, "the path did not play: MAD {moved:.2}");
}
