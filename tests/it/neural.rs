//! Neural depth and `photo3d models`, with no internet: models are served by a
//! loopback HTTP server inside the test, and tiny ONNX models with the real
//! input/output contracts run through the real loading and processing code.

use crate::common::*;
use photo3d::depth::neural::{Architecture, NeuralModel};
use photo3d::models::{self, ModelError, ModelInfo, MODELS};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

/// What the loopback server sends for every request.
#[derive(Clone)]
struct Reply {
    body: Vec<u8>,
    /// Content-Length announced; more than `body.len()` makes a truncated reply.
    announced: usize,
}

/// Serves `reply` to at most `requests` connections on 127.0.0.1; returns the
/// base URL and the thread (which ends after the last request).
fn serve(reply: Reply, requests: usize) -> (String, JoinHandle<()>) {
    // Every download test talks to this server, in process or through the CLI.
    std::env::set_var(models::ALLOW_LOOPBACK_HTTP_ENV, "1");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let mut stream = stream.unwrap();
            skip_request_head(&stream);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                reply.announced
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&reply.body);
        }
    });
    (base, handle)
}

/// Reads a request's line and headers, up to the blank line.
fn skip_request_head(stream: &TcpStream) {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
        line.clear();
    }
}

/// The next connection to `listener`, its request read.
fn accept_request(listener: &TcpListener) -> TcpStream {
    let (stream, _) = listener.accept().unwrap();
    skip_request_head(&stream);
    stream
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A registry entry for bytes the test serves (the real ones' checksums
/// cannot match test data).
fn test_model(sha256: &'static str) -> ModelInfo {
    ModelInfo {
        name: "test-model",
        file: "test-model.onnx",
        url: "https://example.invalid/test-model.onnx",
        approx_bytes: 1000,
        sha256,
        sha256_confirmed: true,
        licence: "MIT",
        architecture: Architecture::DepthAnythingV2,
    }
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

fn model_bytes() -> Vec<u8> {
    std::fs::read(data("tiny_depth_anything.onnx")).unwrap()
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

#[test]
fn fetch_verifies_and_keeps_a_good_download() {
    let body = model_bytes();
    let sha: &'static str = Box::leak(sha256_hex(&body).into_boxed_str());
    let info = test_model(sha);
    let (base, server) = serve(
        Reply {
            announced: body.len(),
            body: body.clone(),
        },
        1,
    );
    let cache = tempfile::tempdir().unwrap();
    let mut last = (0, None);
    let url = models::model_url(&info, Some(&base));
    let path = models::fetch(&info, &url, cache.path(), &mut |done, total| {
        last = (done, total)
    })
    .unwrap();
    server.join().unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), body);
    assert_eq!(last, (body.len() as u64, Some(body.len() as u64)));
    // The model and the record of its verification, nothing else.
    let mut kept = files_in(cache.path());
    kept.sort();
    assert_eq!(
        kept,
        vec![cache.path().join(".test-model.onnx.verified"), path.clone()]
    );
    // Once cached, ensure_model needs no server, even offline.
    let again = models::ensure_model(&info, cache.path(), None, true, &mut |_, _| {}).unwrap();
    assert_eq!(again, path);
}

#[test]
fn truncated_download_is_an_error_and_leaves_nothing() {
    let body = model_bytes();
    let sha: &'static str = Box::leak(sha256_hex(&body).into_boxed_str());
    let info = test_model(sha);
    let half = body[..body.len() / 2].to_vec();
    let (base, server) = serve(
        Reply {
            announced: body.len(),
            body: half,
        },
        1,
    );
    let cache = tempfile::tempdir().unwrap();
    let url = models::model_url(&info, Some(&base));
    let err = models::fetch(&info, &url, cache.path(), &mut |_, _| {}).unwrap_err();
    server.join().unwrap();
    assert!(
        matches!(
            err,
            ModelError::Truncated { .. } | ModelError::Download { .. }
        ),
        "{err}"
    );
    assert_eq!(err.to_string().lines().count(), 1);
    assert!(err.to_string().contains(&url), "{err}");
    assert!(
        files_in(cache.path()).is_empty(),
        "{:?}",
        files_in(cache.path())
    );
}

#[test]
fn wrong_checksum_is_an_error_and_leaves_nothing() {
    let body = model_bytes();
    let info = test_model("0000000000000000000000000000000000000000000000000000000000000000");
    let (base, server) = serve(
        Reply {
            announced: body.len(),
            body: body.clone(),
        },
        1,
    );
    let cache = tempfile::tempdir().unwrap();
    let url = models::model_url(&info, Some(&base));
    let err = models::fetch(&info, &url, cache.path(), &mut |_, _| {}).unwrap_err();
    server.join().unwrap();
    match &err {
        ModelError::Checksum { actual, .. } => assert_eq!(actual, &sha256_hex(&body)),
        other => panic!("expected a checksum error, got {other}"),
    }
    assert!(
        files_in(cache.path()).is_empty(),
        "{:?}",
        files_in(cache.path())
    );
}

#[test]
fn offline_without_cache_is_an_error_naming_the_model() {
    let cache = tempfile::tempdir().unwrap();
    let err =
        models::ensure_model(&MODELS[0], cache.path(), None, true, &mut |_, _| {}).unwrap_err();
    assert!(matches!(err, ModelError::Offline { .. }), "{err}");
    assert!(err.to_string().contains(MODELS[0].name));
}

#[test]
fn models_list_and_fetch_on_the_command_line() {
    let cache = tempfile::tempdir().unwrap();
    let cache_str = cache.path().to_str().unwrap();
    let list = photo3d_env(&["models", "list"], &[("PHOTO3D_CACHE_DIR", cache_str)]);
    assert!(list.status.success(), "{}", stderr(&list));
    let text = String::from_utf8_lossy(&list.stdout);
    for m in &MODELS {
        assert!(text.contains(m.name) && text.contains(m.sha256) && text.contains(m.url));
    }
    assert_eq!(text.matches("cached:  no").count(), MODELS.len(), "{text}");

    // The real registry's checksum cannot match the served bytes: a clean
    // one-line failure, and the cache stays empty.
    let (base, server) = serve(
        Reply {
            announced: 300,
            body: vec![7; 300],
        },
        1,
    );
    let fetch = photo3d_env(
        &["models", "fetch", "midas-v21-small"],
        &[
            ("PHOTO3D_CACHE_DIR", cache_str),
            ("PHOTO3D_MODEL_BASE_URL", &base),
        ],
    );
    server.join().unwrap();
    // Without a terminal, no progress bar: one line of what was received.
    let received: Vec<_> = stderr(&fetch)
        .lines()
        .filter(|l| l.contains("received"))
        .map(String::from)
        .collect();
    assert_eq!(received.len(), 1, "{}", stderr(&fetch));
    assert!(
        received[0].starts_with("midas-v21-small: received 300 of 300 bytes in "),
        "{}",
        received[0]
    );
    assert_clean_failure(&fetch, "midas-v21-small.onnx");
    assert!(stderr(&fetch).contains("SHA-256"), "{}", stderr(&fetch));
    assert!(files_in(cache.path()).is_empty());

    let unknown = photo3d_env(
        &["models", "fetch", "nope"],
        &[("PHOTO3D_CACHE_DIR", cache_str)],
    );
    assert_clean_failure(&unknown, "nope");
}

/// A photo whose left half is red and right half black.
fn red_black(width: u32, height: u32) -> image::RgbImage {
    image::RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            image::Rgb([255, 0, 0])
        } else {
            image::Rgb([0, 0, 0])
        }
    })
}

/// Mean of the ImageNet-normalised channels of an RGB colour in [0, 1].
fn normalised_mean(rgb: [f32; 3]) -> f32 {
    let mean = [0.485, 0.456, 0.406];
    let std = [0.229, 0.224, 0.225];
    (0..3).map(|c| (rgb[c] - mean[c]) / std[c]).sum::<f32>() / 3.0
}

/// The tiny models output the mean of their normalised input channels, so the
/// map must show red on the left and black on the right at the photo's size,
/// constant down each column (a transposed resize would break both).
fn check_channel_mean_model(file: &str, architecture: Architecture) {
    let (w, h) = (90, 50);
    let model = NeuralModel::load(&data(file), architecture).unwrap();
    let map = model.estimate(&red_black(w, h)).unwrap();
    assert_eq!(map.dimensions(), (w, h));
    let red = normalised_mean([1.0, 0.0, 0.0]);
    let black = normalised_mean([0.0, 0.0, 0.0]);
    for y in 0..h {
        assert!(
            (map.get_pixel(2, y)[0] - red).abs() < 1e-3,
            "{file} left, row {y}"
        );
        assert!(
            (map.get_pixel(w - 3, y)[0] - black).abs() < 1e-3,
            "{file} right, row {y}"
        );
    }
    let middle = map.get_pixel(w / 2 - 1, h / 2)[0];
    assert!(middle < red && middle > black, "{file}: {middle}");
}

#[test]
fn depth_anything_contract_model_runs_through_real_processing() {
    check_channel_mean_model("tiny_depth_anything.onnx", Architecture::DepthAnythingV2);
}

#[test]
fn midas_contract_model_runs_through_real_processing() {
    check_channel_mean_model("tiny_midas.onnx", Architecture::MidasV21Small);
}

/// The pattern `tests/data/make_midas_opset9.py` fed to onnxruntime.
fn midas_test_photo() -> image::RgbImage {
    image::RgbImage::from_fn(256, 256, |x, y| {
        image::Rgb([
            ((x * 5 + y * 3) % 256) as u8,
            ((x * x / 7 + y * 2) % 256) as u8,
            (((x / 8) * 37 + (y / 8) * 11) % 256) as u8,
        ])
    })
}

/// A graph built like MiDaS's own export (opset 9, `Upsample` nearest and
/// linear, ImageNet normalisation inside the graph) gives onnxruntime's output:
/// the Upsample translation samples as onnxruntime does, and the photo is not
/// normalised a second time.
#[test]
fn midas_opset9_export_matches_onnxruntime() {
    let model =
        NeuralModel::load(&data("tiny_midas_opset9.onnx"), Architecture::MidasV21Small).unwrap();
    assert!(model.normalised_in_graph());
    let map = model.estimate(&midas_test_photo()).unwrap();
    assert_eq!(map.dimensions(), (256, 256));
    let expected = photo3d::io::depth::read_depth_file(&data("midas_opset9_expected.npy")).unwrap();
    assert_eq!(expected.dimensions(), (48, 96));
    let mut worst = 0f32;
    for y in 0..96 {
        for x in 0..48 {
            let (mx, my) = if y < 48 { (x, y) } else { (208 + x, 160 + y) };
            let diff = (map.get_pixel(mx, my)[0] - expected.get_pixel(x, y)[0]).abs();
            worst = worst.max(diff);
        }
    }
    assert!(worst < 1e-4, "largest difference from onnxruntime {worst}");
}

#[test]
fn graphs_without_normalisation_are_fed_normalised_input() {
    for file in ["tiny_midas.onnx", "tiny_depth_anything.onnx"] {
        let model = NeuralModel::load(&data(file), Architecture::MidasV21Small).unwrap();
        assert!(!model.normalised_in_graph(), "{file}");
    }
}

#[test]
fn a_broken_model_file_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.onnx");
    std::fs::write(&path, b"not a model").unwrap();
    let err = match NeuralModel::load(&path, Architecture::DepthAnythingV2) {
        Err(err) => err.to_string(),
        Ok(_) => panic!("a broken model loaded"),
    };
    assert!(
        err.contains("broken.onnx") && err.lines().count() == 1,
        "{err}"
    );
}

/// Reads `depth_source` from a run's report.json.
fn report_source(out: &Path) -> serde_json::Value {
    read_report(&out.join("coffee"))["depth_source"].clone()
}

/// A small run of the example photo with `model_flags`, the model cache at `cache`.
fn run_with_flags(cache: &Path, out: &Path, model_flags: &[&str]) -> std::process::Output {
    let photo = example_photo();
    let mut args = vec![
        "run",
        photo.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--longer-side-len",
        "96",
        "--num-frames",
        "2",
    ];
    args.extend_from_slice(model_flags);
    photo3d_env(&args, &[("PHOTO3D_CACHE_DIR", cache.to_str().unwrap())])
}

fn run_with_model(cache: &Path, out: &Path) -> std::process::Output {
    run_with_flags(
        cache,
        out,
        &["--model", "depth-anything-v2-small", "--offline"],
    )
}

/// Puts the tiny Depth Anything model in `cache` as the registry's, with the
/// record a verified download leaves (its checksum cannot match the real one).
fn cache_tiny_model(cache: &Path) -> PathBuf {
    let path = models::cached_path(&MODELS[0], cache);
    std::fs::copy(data("tiny_depth_anything.onnx"), &path).unwrap();
    models::record_verified(&MODELS[0], cache).unwrap();
    path
}

fn warning_lines(out: &std::process::Output) -> Vec<String> {
    stderr(out)
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .map(String::from)
        .collect()
}

#[test]
fn run_uses_a_cached_model_and_falls_back_without_one() {
    let cache = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let missing = run_with_model(cache.path(), out.path());
    assert!(missing.status.success(), "{}", stderr(&missing));
    let warnings = warning_lines(&missing);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("--offline"), "{}", warnings[0]);
    assert_eq!(report_source(out.path())["kind"], "classical");
    // The fallback is in report.json too, in the same words.
    let reported = read_report(&out.path().join("coffee"))["warnings"].clone();
    assert_eq!(
        reported,
        serde_json::json!([warnings[0]["warning: ".len()..]])
    );

    cache_tiny_model(cache.path());
    // A fresh output folder: a complete one would be skipped.
    let out = tempfile::tempdir().unwrap();
    let cached = run_with_model(cache.path(), out.path());
    assert!(cached.status.success(), "{}", stderr(&cached));
    assert!(!stderr(&cached).contains("warning"), "{}", stderr(&cached));
    let source = report_source(out.path());
    assert_eq!(source["kind"], "neural");
    assert_eq!(source["model"], "depth-anything-v2-small");
}

#[test]
fn run_uses_a_cached_model_unasked_and_tips_when_none_is_cached() {
    let cache = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let bare = run_with_flags(cache.path(), out.path(), &[]);
    assert!(bare.status.success(), "{}", stderr(&bare));
    let tips: Vec<_> = stderr(&bare)
        .lines()
        .filter(|l| l.starts_with("tip: "))
        .map(String::from)
        .collect();
    assert_eq!(tips.len(), 1, "{}", stderr(&bare));
    assert!(tips[0].contains("photo3d models fetch"), "{}", tips[0]);
    assert_eq!(report_source(out.path())["kind"], "classical");

    cache_tiny_model(cache.path());
    let out = tempfile::tempdir().unwrap();
    let cached = run_with_flags(cache.path(), out.path(), &[]);
    assert!(cached.status.success(), "{}", stderr(&cached));
    assert!(!stderr(&cached).contains("tip: "), "{}", stderr(&cached));
    let source = report_source(out.path());
    assert_eq!(source["kind"], "neural");
    assert_eq!(source["model"], "depth-anything-v2-small");

    let out = tempfile::tempdir().unwrap();
    let none = run_with_flags(cache.path(), out.path(), &["--model", "none"]);
    assert!(none.status.success(), "{}", stderr(&none));
    assert_eq!(report_source(out.path())["kind"], "classical");
}

#[test]
fn model_file_of_a_named_family_runs_and_a_broken_one_says_so() {
    let cache = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let model = data("tiny_midas_opset9.onnx");
    let flags = [
        "--model-file",
        model.to_str().unwrap(),
        "--model-arch",
        "midas",
    ];
    let good = run_with_flags(cache.path(), out.path(), &flags);
    assert!(good.status.success(), "{}", stderr(&good));
    assert!(warning_lines(&good).is_empty(), "{}", stderr(&good));
    let source = report_source(out.path());
    assert_eq!(source["kind"], "neural");
    assert!(
        source["model"]
            .as_str()
            .unwrap()
            .ends_with("tiny_midas_opset9.onnx"),
        "{source}"
    );

    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.onnx");
    std::fs::write(&broken, b"not a model").unwrap();
    let out = tempfile::tempdir().unwrap();
    let flags = [
        "--model-file",
        broken.to_str().unwrap(),
        "--model-arch",
        "depth-anything",
    ];
    let failed = run_with_flags(cache.path(), out.path(), &flags);
    assert!(failed.status.success(), "{}", stderr(&failed));
    let warnings = warning_lines(&failed);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("broken.onnx"), "{}", warnings[0]);
    assert_eq!(report_source(out.path())["kind"], "classical");
    let reported = read_report(&out.path().join("coffee"))["warnings"].clone();
    assert_eq!(reported.as_array().map(Vec::len), Some(1), "{reported}");

    let without_arch = photo3d(&["run", "x.png", "--model-file", "m.onnx"]);
    assert!(!without_arch.status.success());
    assert!(
        stderr(&without_arch).contains("--model-arch"),
        "{}",
        stderr(&without_arch)
    );
}

/// A server announcing more than the registry size allows is refused before
/// the body is read, and nothing is kept.
#[test]
fn oversized_download_is_refused() {
    let info = test_model("0000000000000000000000000000000000000000000000000000000000000000");
    let (base, server) = serve(
        Reply {
            announced: models::max_download_bytes(&info) as usize + 1,
            body: vec![0; 10],
        },
        1,
    );
    let cache = tempfile::tempdir().unwrap();
    let url = models::model_url(&info, Some(&base));
    let err = models::fetch(&info, &url, cache.path(), &mut |_, _| {}).unwrap_err();
    server.join().unwrap();
    assert!(err.to_string().contains("the most expected"), "{err}");
    assert!(files_in(cache.path()).is_empty());
}

/// A server that announces no length and never stops sending is cut off at
/// the registry's size cap (it would otherwise fill the disk before the
/// checksum is checked), and nothing is kept.
#[test]
fn endless_download_stops_at_the_size_cap() {
    std::env::set_var(models::ALLOW_LOOPBACK_HTTP_ENV, "1");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let mut stream = accept_request(&listener);
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n";
        let _ = stream.write_all(head.as_bytes());
        // Sends until the client hangs up; counts what it sent.
        let chunk = vec![0u8; 1 << 16];
        let mut sent = 0u64;
        while stream.write_all(&chunk).is_ok() {
            sent += chunk.len() as u64;
        }
        sent
    });
    let info = test_model("0000000000000000000000000000000000000000000000000000000000000000");
    let cache = tempfile::tempdir().unwrap();
    let url = models::model_url(&info, Some(&base));
    let mut most = 0;
    let err = models::fetch(&info, &url, cache.path(), &mut |got, _| most = got).unwrap_err();
    let sent = server.join().unwrap();
    let cap = models::max_download_bytes(&info);
    assert!(err.to_string().contains("the most expected"), "{err}");
    assert!(most <= cap, "kept reading to {most} bytes (cap {cap})");
    // The client stopped: the server could not send far past the cap plus
    // what the socket buffers hold.
    assert!(sent < cap + (16 << 20), "server sent {sent} bytes");
    assert!(files_in(cache.path()).is_empty());
}

/// A server that sends the headers and a few bytes, then nothing, is given
/// up after the stall timeout (a minute) instead of hanging the run.
#[test]
fn stalled_download_times_out() {
    std::env::set_var(models::ALLOW_LOOPBACK_HTTP_ENV, "1");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let server = std::thread::spawn(move || {
        let mut stream = accept_request(&listener);
        let head = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n";
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&[0; 10]).unwrap();
        // Holds the connection open until the client has given up.
        let _ = finished.recv_timeout(std::time::Duration::from_secs(300));
    });
    let info = test_model("0000000000000000000000000000000000000000000000000000000000000000");
    let cache = tempfile::tempdir().unwrap();
    let url = models::model_url(&info, Some(&base));
    let started = std::time::Instant::now();
    let err = models::fetch(&info, &url, cache.path(), &mut |_, _| {}).unwrap_err();
    let waited = started.elapsed();
    done.send(()).unwrap();
    server.join().unwrap();
    assert!(
        waited >= models::STALL_TIMEOUT && waited < models::STALL_TIMEOUT * 3,
        "gave up after {waited:?}: {err}"
    );
    assert!(files_in(cache.path()).is_empty());
}

#[test]
fn a_cached_model_changed_since_its_verification_is_not_used() {
    let cache = tempfile::tempdir().unwrap();
    let path = cache_tiny_model(cache.path());
    let out = tempfile::tempdir().unwrap();
    let good = run_with_model(cache.path(), out.path());
    assert!(warning_lines(&good).is_empty(), "{}", stderr(&good));
    assert_eq!(report_source(out.path())["kind"], "neural");

    // Same size, other bytes, a later modification time.
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(later)
        .unwrap();
    for flags in [
        &["--model", "depth-anything-v2-small", "--offline"][..],
        &[][..],
    ] {
        let out = tempfile::tempdir().unwrap();
        let changed = run_with_flags(cache.path(), out.path(), flags);
        assert!(changed.status.success(), "{}", stderr(&changed));
        let warnings = warning_lines(&changed);
        assert_eq!(warnings.len(), 1, "{}", stderr(&changed));
        assert!(
            warnings[0].contains("failed verification"),
            "{}",
            warnings[0]
        );
        assert_eq!(report_source(out.path())["kind"], "classical");
    }
}

#[test]
fn a_verified_cached_model_is_hashed_again_only_when_it_changes() {
    let body = model_bytes();
    let sha: &'static str = Box::leak(sha256_hex(&body).into_boxed_str());
    let info = test_model(sha);
    let cache = tempfile::tempdir().unwrap();
    let path = models::cached_path(&info, cache.path());
    assert!(models::verified_cached(&info, cache.path())
        .unwrap()
        .is_none());
    std::fs::write(&path, &body).unwrap();
    // No record yet: hashed, found good, recorded.
    assert_eq!(
        models::verified_cached(&info, cache.path()).unwrap(),
        Some(path.clone())
    );
    // Size and mtime unchanged: the record is trusted.
    let mut bytes = body.clone();
    bytes[0] ^= 0xff;
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    std::io::Write::write_all(&mut &file, &bytes).unwrap();
    file.set_modified(mtime).unwrap();
    assert!(models::verified_cached(&info, cache.path()).is_ok());
    // mtime changed: hashed again, and the damage is found.
    file.set_modified(mtime + std::time::Duration::from_secs(1))
        .unwrap();
    let err = models::verified_cached(&info, cache.path()).unwrap_err();
    assert!(matches!(err, ModelError::CachedChecksum { .. }), "{err}");
}
