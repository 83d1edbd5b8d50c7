//! Neural depth inference time per model at its default input size.
//!
//! Runs the stand-in models of benches/data (real input contract and roughly
//! the real computation), and the real models when they are in the cache.

use photo3d::depth::neural::{Architecture, NeuralModel};
use photo3d::models::{self, MODELS};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Timed runs per model after one warm-up.
const RUNS: usize = 2;

fn main() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/data");
    let mut cases: Vec<(String, PathBuf, Architecture)> = vec![
        (
            "depth-anything-v2-small stand-in".into(),
            data.join("vit_s14_standin.onnx"),
            Architecture::DepthAnythingV2,
        ),
        (
            "midas-v21-small stand-in".into(),
            data.join("midas_small_standin.onnx"),
            Architecture::MidasV21Small,
        ),
    ];
    if let Ok(cache) = models::cache_dir() {
        for m in &MODELS {
            let path = models::cached_path(m, &cache);
            if path.is_file() {
                cases.push((m.name.to_string(), path, m.architecture));
            }
        }
    }
    for (name, path, architecture) in cases {
        bench(&name, &path, architecture);
    }
}

/// A 518×518 photo: Depth Anything's default input size, so no resize is timed
/// for it; MiDaS squashes it to 256×256.
fn bench(name: &str, path: &Path, architecture: Architecture) {
    let photo = image::RgbImage::from_fn(518, 518, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let start = Instant::now();
    let model = match NeuralModel::load(path, architecture) {
        Ok(model) => model,
        Err(err) => {
            println!("{name}: {err}");
            return;
        }
    };
    let load = start.elapsed().as_secs_f64();
    let (iw, ih) = architecture.input_size(518, 518);
    let mut seconds = Vec::new();
    for _ in 0..=RUNS {
        let start = Instant::now();
        if let Err(err) = model.estimate(&photo) {
            println!("{name}: {err}");
            return;
        }
        seconds.push(start.elapsed().as_secs_f64());
    }
    let best = seconds[1..].iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "{name:>34}: input {iw}×{ih}, load {load:.3} s, estimate {best:.3} s (first {:.3} s)",
        seconds[0]
    );
}
