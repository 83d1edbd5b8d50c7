//! Keeping work safe: interrupted runs leave nothing, complete outputs are
//! skipped on a re-run unless `--force`.

use crate::common::*;
use std::path::Path;
use std::process::{Command, Stdio};

/// Writes a small synthetic photo (a near square on a gradient) to `path`.
fn write_photo(path: &Path, w: u32, h: u32) {
    image::RgbImage::from_fn(w, h, |x, y| {
        if x > w / 3 && x < 2 * w / 3 && y > h / 4 && y < 3 * h / 4 {
            image::Rgb([220, 60, 40])
        } else {
            image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 160])
        }
    })
    .save(path)
    .unwrap();
}

/// Sends `signal` (as `kill` spells it) to `child` and waits for it to end.
fn signal_and_wait(child: std::process::Child, signal: &str) -> std::process::Output {
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args([signal, &pid])
        .status()
        .unwrap()
        .success());
    child.wait_with_output().unwrap()
}

/// Starts a long run, sends `signal` once its staging folder exists, and
/// checks exit status 130 and an empty output folder.
fn interrupt_run(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("scene.png");
    write_photo(&photo, 96, 64);
    let out = dir.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_photo3d"))
        .args(["run", photo.to_str().unwrap(), "-o", out.to_str().unwrap()])
        .args(["--num-frames", "5000", "--longer-side-len", "96"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let staged = loop {
        let found = std::fs::read_dir(&out)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().contains(".partial"));
        if found {
            break true;
        }
        if child.try_wait().unwrap().is_some() {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    assert!(staged, "run ended before its staging folder appeared");
    let result = signal_and_wait(child, signal);
    let err = stderr(&result);
    assert_eq!(result.status.code(), Some(130), "{signal}: {err}");
    assert!(err.contains("scene.png: interrupted"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let left: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{signal} left {left:?}");
}

#[cfg(unix)]
#[test]
fn sigint_leaves_no_partial_output() {
    interrupt_run("-INT");
}

#[cfg(unix)]
#[test]
fn sigterm_leaves_no_partial_output() {
    interrupt_run("-TERM");
}

#[test]
fn rerun_with_another_depth_source_is_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("a.png");
    write_photo(&photo, 48, 32);
    // A depth map: near in the middle, far at the sides.
    let depth = dir.path().join("depth.png");
    image::GrayImage::from_fn(48, 32, |x, _| {
        image::Luma([(255 - 8 * x.abs_diff(24)) as u8])
    })
    .save(&depth)
    .unwrap();
    let out = dir.path().join("out");
    let run = |extra: &[&str]| {
        let mut args = vec!["run", photo.to_str().unwrap(), "-o", out.to_str().unwrap()];
        args.extend(["--num-frames", "2", "--longer-side-len", "48"]);
        args.extend(extra);
        let result = photo3d(&args);
        assert!(result.status.success(), "{}", stderr(&result));
        stderr(&result)
    };
    let with_depth = ["--depth", depth.to_str().unwrap()];
    let kind = || read_report(&out.join("a"))["depth_source"]["kind"].clone();
    assert!(!run(&[]).contains("skipped"));
    assert_eq!(kind(), "classical");
    let changed = run(&with_depth);
    assert!(!changed.contains("skipped"), "{changed}");
    assert_eq!(kind(), "file");
    assert!(run(&with_depth).contains("skipped (complete)"));
    let named = run(&["--depth-source", "classical"]);
    assert!(!named.contains("skipped"), "{named}");
    assert_eq!(kind(), "classical");
}

#[test]
fn rerun_skips_complete_outputs_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir(&inputs).unwrap();
    write_photo(&inputs.join("a.png"), 48, 32);
    write_photo(&inputs.join("b.png"), 32, 48);
    let out = dir.path().join("out");
    let run = |extra: &[&str]| {
        let mut args = vec!["run", inputs.to_str().unwrap(), "-o", out.to_str().unwrap()];
        args.extend(["--num-frames", "2", "--longer-side-len", "48"]);
        args.extend(extra);
        let result = photo3d(&args);
        assert!(result.status.success(), "{}", stderr(&result));
        stderr(&result)
    };
    // A marker survives only if the photo's folder is not redone.
    let mark = |name: &str| std::fs::write(out.join(name).join("marker"), "x").unwrap();
    let kept = |name: &str| out.join(name).join("marker").exists();

    let first = run(&[]);
    assert!(!first.contains("skipped"), "{first}");
    mark("a");
    mark("b");
    let second = run(&[]);
    assert_eq!(second.matches("skipped (complete)").count(), 2, "{second}");
    assert!(kept("a") && kept("b"));

    std::fs::remove_file(out.join("a/circle.mp4")).unwrap();
    let third = run(&[]);
    assert_eq!(third.matches("skipped (complete)").count(), 1, "{third}");
    assert!(
        !kept("a") && kept("b"),
        "incomplete a must be redone, b kept"
    );
    assert!(out.join("a/circle.mp4").exists());

    mark("a");
    let forced = run(&["--force"]);
    assert!(!forced.contains("skipped"), "{forced}");
    assert!(!kept("a") && !kept("b"));
}

/// `view` interrupted while it builds the scene exits 130 and writes nothing.
#[cfg(unix)]
#[test]
fn interrupted_view_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("big.toml");
    // A large working size keeps the scene build busy for seconds.
    std::fs::write(&config, "longer_side_len = 2400\n").unwrap();
    let out = dir.path().join("view.png");
    let child = Command::new(env!("CARGO_BIN_EXE_photo3d"))
        .arg("view")
        .arg(example_photo())
        .args(["--config", config.to_str().unwrap(), "-o"])
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let result = signal_and_wait(child, "-INT");
    let err = stderr(&result);
    assert_eq!(result.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("big.toml")], "{left:?}");
}

/// A config's video name that leaves the output folder, or a video size
/// over h264's largest, is refused before any work.
#[test]
fn hostile_video_settings_are_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("square.png");
    write_photo(&photo, 40, 40);
    let out = dir.path().join("deep/out");
    let config = dir.path().join("bad.toml");
    std::fs::write(
        &config,
        "video_postfix = [\"dolly-zoom-in\", \"zoom-in\", \"circle\", \"../../escaped\"]\n",
    )
    .unwrap();
    let args = ["run", photo.to_str().unwrap(), "-o", out.to_str().unwrap()];
    let escaped = photo3d(&[&args[..], &["--config", config.to_str().unwrap()]].concat());
    assert_clean_failure(&escaped, "video_postfix");
    assert!(!dir.path().join("escaped.mp4").exists() && !out.exists());

    let big = photo3d(&[&args[..], &["--video-size", "4000"]].concat());
    assert_clean_failure(&big, "video_size");
    assert!(!out.exists());
}

/// A batch where two photos share a stem, one is named `..png` and one
/// panics: each gets its own folder inside OUT, the panic is that photo's
/// one-line error, the batch goes on and exits 1; a re-run skips only what is
/// complete for the same photo and settings.
#[test]
fn batch_names_stay_distinct_and_a_panic_stays_in_its_photo() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir(&inputs).unwrap();
    for name in ["a.jpg", "a.png", "..png", "b.png"] {
        write_photo(&inputs.join(name), 48, 32);
    }
    let out = dir.path().join("out");
    let run = |extra: &[&str]| {
        let mut args = vec!["run", inputs.to_str().unwrap(), "-o", out.to_str().unwrap()];
        args.extend(["--num-frames", "2", "--longer-side-len", "48"]);
        args.extend(extra);
        photo3d_env(&args, &[("PHOTO3D_TEST_PANIC_ON", "b.png")])
    };
    let first = run(&[]);
    assert_eq!(first.status.code(), Some(1), "{}", stderr(&first));
    let err = stderr(&first);
    assert!(!err.contains("panicked"), "{err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(errors[0].contains("b.png") && errors[0].contains("PHOTO3D_TEST_PANIC_ON"));
    assert!(err.contains("3 of 4 photos done, 1 failed"), "{err}");
    for (folder, photo) in [("a", "a.jpg"), ("a.png", "a.png"), ("_", "..png")] {
        let report = read_report(&out.join(folder));
        assert!(
            report["photo"].as_str().unwrap().ends_with(photo),
            "{folder}"
        );
    }
    assert!(!out.join("b").exists());
    // Nothing was staged or written beside OUT.
    let beside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(beside.len(), 2, "{beside:?}");

    let second = run(&[]);
    assert_eq!(
        stderr(&second).matches("skipped (complete)").count(),
        3,
        "{}",
        stderr(&second)
    );
    let other_settings = run(&["--fps", "25"]);
    assert!(
        !stderr(&other_settings).contains("skipped"),
        "{}",
        stderr(&other_settings)
    );
}

/// Photos whose names are not UTF-8 (two that differ only in the invalid
/// byte) each get their own folder and a report.json, and a re-run skips both.
#[cfg(unix)]
#[test]
fn photos_with_non_utf8_names_are_made_and_skipped_when_complete() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir(&inputs).unwrap();
    for byte in [0xfe, 0xff] {
        let name = [b'a', byte, b'.', b'p', b'n', b'g'];
        write_photo(&inputs.join(std::ffi::OsStr::from_bytes(&name)), 48, 32);
    }
    let out = dir.path().join("out");
    let run = || {
        let args = ["run", inputs.to_str().unwrap(), "-o", out.to_str().unwrap()];
        let result =
            photo3d(&[&args[..], &["--num-frames", "2", "--longer-side-len", "48"]].concat());
        assert!(result.status.success(), "{}", stderr(&result));
        stderr(&result)
    };
    assert!(!run().contains("skipped"));
    let folders: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(folders.len(), 2, "{folders:?}");
    for folder in &folders {
        let photo = read_report(folder)["photo"].as_str().unwrap().to_string();
        assert!(photo.ends_with("a\u{fffd}.png"), "{photo}");
    }
    assert_eq!(run().matches("skipped (complete)").count(), 2);
}

/// Crafted files that once cost gigabytes stay under 2 GB of peak memory in a
/// whole run: the fuzzer's EXR depth files (a huge declared tile took 1.68 GB
/// to fail; a block layout the exr crate panics on) are one-line errors, and a
/// depth photo whose embedded depth image is 1×4,000,000 pixels (resized to the
/// photo it was a 15 GB allocation) warns and falls back to the estimate.
#[cfg(target_os = "linux")]
#[test]
fn crafted_files_fail_or_fall_back_within_2_gb() {
    const LIMIT: u64 = 2 << 30;
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("photo.png");
    write_photo(&photo, 64, 48);
    let out = dir.path().join("out");
    let findings = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/findings");
    for exr in ["exr-oom-huge-tile.exr", "exr-panic-block-layout.exr"] {
        let depth = findings.join(exr);
        let args = ["run", photo.to_str().unwrap(), "-o", out.to_str().unwrap()];
        let (result, peak) =
            photo3d_with_peak_memory(&[&args[..], &["--depth", depth.to_str().unwrap()]].concat());
        assert_clean_failure(&result, exr);
        assert!(peak < LIMIT, "{exr}: peak {peak} bytes");
        assert!(!out.exists());
    }

    let rgb = image::open(&photo).unwrap().to_rgb8();
    let sliver = photo3d::map::FloatMap::from_pixel(1, 4_000_000, image::Luma([2.0]));
    let depth_photo = dir.path().join("sliver.jpg");
    let bytes = photo3d::io::embedded::gdepth::encode_depth_photo(&rgb, &sliver).unwrap();
    std::fs::write(&depth_photo, bytes).unwrap();
    let args = [
        "run",
        depth_photo.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    let (result, peak) = photo3d_with_peak_memory(&[&args[..], &["--num-frames", "2"]].concat());
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(peak < LIMIT, "sliver.jpg: peak {peak} bytes");
    let warnings: Vec<_> = stderr(&result)
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .map(str::to_string)
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(
        read_report(&out.join("sliver"))["depth_source"]["kind"],
        "classical"
    );
    eprintln!("sliver.jpg: peak {} MB", peak >> 20);
}
