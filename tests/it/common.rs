//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The example photo shipped in the repository.
pub fn example_photo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/photos/coffee.png")
}

/// Runs the photo3d binary with `args`.
pub fn photo3d(args: &[&str]) -> Output {
    photo3d_env(args, &[])
}

/// A model cache folder that stays empty, so that no model a developer has
/// fetched changes what the tests see.
fn empty_model_cache() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temporary folder"))
        .path()
}

/// Runs the photo3d binary with `args` and extra environment variables (the
/// model cache is an empty folder unless `env` names one).
pub fn photo3d_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_photo3d"))
        .args(args)
        .env("PHOTO3D_CACHE_DIR", empty_model_cache())
        .envs(env.iter().copied())
        .output()
        .expect("photo3d binary runs")
}

/// The report.json of a photo's output folder `dir`, parsed.
pub fn read_report(dir: &Path) -> serde_json::Value {
    let bytes = std::fs::read(dir.join("report.json")).expect("report.json exists");
    serde_json::from_slice(&bytes).expect("report.json is JSON")
}

/// Standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts a clean failure: non-zero exit, no panic, an error line naming `name`.
pub fn assert_clean_failure(out: &Output, name: &str) {
    let err = stderr(out);
    assert!(!out.status.success(), "expected failure, stderr: {err}");
    assert!(!err.contains("panicked"), "panic: {err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line in: {err}"));
    assert!(
        line.contains(name),
        "error line does not name {name}: {line}"
    );
}

/// ffprobe's `key=value` stream fields for the first video stream, or None when
/// ffprobe is missing and PHOTO3D_REQUIRE_FFPROBE is not set.
pub fn ffprobe_stream(path: &Path) -> Option<std::collections::HashMap<String, String>> {
    let run = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-count_frames",
            "-show_entries",
        ])
        .arg("stream=codec_name,width,height,nb_read_frames,r_frame_rate,pix_fmt")
        .args(["-of", "default=noprint_wrappers=1"])
        .arg(path)
        .output();
    let out = match run {
        Ok(out) => out,
        Err(_) if std::env::var("PHOTO3D_REQUIRE_FFPROBE").as_deref() != Ok("1") => {
            eprintln!("ffprobe not found; skipping video checks");
            return None;
        }
        Err(e) => panic!("ffprobe is required (PHOTO3D_REQUIRE_FFPROBE=1) but cannot run: {e}"),
    };
    assert!(
        out.status.success(),
        "ffprobe failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    Some(
        text.lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// Runs the photo3d binary with `args` and returns its output with its peak
/// resident memory in bytes (from `wait4`'s resource usage of that child).
#[cfg(target_os = "linux")]
#[expect(clippy::zombie_processes, reason = "the child is reaped by wait4")]
pub fn photo3d_with_peak_memory(args: &[&str]) -> (Output, u64) {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_photo3d"))
        .args(args)
        .env("PHOTO3D_CACHE_DIR", empty_model_cache())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("photo3d binary runs");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).expect("read child output");
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid, and wait4 reaps only this child,
    // whose pid std does not wait on afterwards.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t, "wait4 failed");
    let output = Output {
        status: std::os::unix::process::ExitStatusExt::from_raw(status),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    // Linux gives ru_maxrss in KiB.
    (output, usage.ru_maxrss as u64 * 1024)
}
