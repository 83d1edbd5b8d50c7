//! `photo3d models list|fetch`, and the `--model` download with its progress bar.

use crate::args::{ArchArg, DepthArgs, ModelsCommand, SourceArg};
use indicatif::{ProgressBar, ProgressStyle};
use photo3d::depth::chain::NeuralChoice;
use photo3d::depth::neural::{Architecture, ModelFile};
use photo3d::models::{self, ModelInfo, MODELS};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

pub(crate) fn models_command(command: ModelsCommand) -> Result<(), String> {
    let cache = models::cache_dir().map_err(|e| e.to_string())?;
    match command {
        ModelsCommand::List => {
            println!("cache: {}", cache.display());
            for m in &MODELS {
                let cached = models::cached_path(m, &cache).is_file();
                let check = if m.sha256_confirmed {
                    ""
                } else {
                    " (needs confirmation)"
                };
                println!(
                    "{}\n  file:    {}\n  size:    about {:.1} MB\n  sha256:  {}{check}\n  licence: {}\n  url:     {}\n  cached:  {}",
                    m.name,
                    m.file,
                    m.approx_bytes as f64 / 1e6,
                    m.sha256,
                    m.licence,
                    m.url,
                    if cached { "yes" } else { "no" }
                );
            }
            Ok(())
        }
        ModelsCommand::Fetch { name } => {
            let info = models::find_model(&name).map_err(|e| e.to_string())?;
            let path = fetch_with_progress(info, &cache, false)?;
            eprintln!("{name}: {}", path.display());
            Ok(())
        }
    }
}

/// The cached model file, downloaded first (with a progress bar on a terminal)
/// unless `offline`.
pub(crate) fn fetch_with_progress(
    info: &ModelInfo,
    cache: &Path,
    offline: bool,
) -> Result<PathBuf, String> {
    let base = models::base_url_from_env();
    let bar = std::io::stderr().is_terminal().then(|| {
        ProgressBar::new(info.approx_bytes).with_style(
            ProgressStyle::with_template("{msg} {bar:40} {bytes}/{total_bytes} {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        )
    });
    if let Some(bar) = &bar {
        bar.set_message(info.name);
    }
    let started = std::time::Instant::now();
    let mut received = None;
    let result = models::ensure_model(info, cache, base.as_deref(), offline, &mut |done, total| {
        received = Some((done, total));
        if let Some(bar) = &bar {
            if let Some(total) = total {
                bar.set_length(total);
            }
            bar.set_position(done);
        }
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    // The bar (drawn at most a few times a second) is for terminals; one line
    // stays after any download.
    if let Some((done, total)) = received {
        let total = total.map_or(String::new(), |t| format!(" of {t}"));
        eprintln!(
            "{}: received {done}{total} bytes in {:.1} s",
            info.name,
            started.elapsed().as_secs_f64()
        );
    }
    result.map_err(|e| e.to_string())
}

/// The neural model for the depth chain: `--model-file`, the named `--model`
/// (fetched unless --offline; why not, when it cannot be had), or else the
/// first cached model, with a one-line tip to fetch one when none is cached.
pub(crate) fn neural_choice(depth: &DepthArgs) -> Result<Option<NeuralChoice>, String> {
    let args = &depth.model;
    if let (Some(path), Some(arch)) = (&args.model_file, args.model_arch) {
        return Ok(Some(NeuralChoice::Ready(ModelFile {
            name: path.display().to_string(),
            path: path.clone(),
            architecture: match arch {
                ArchArg::DepthAnything => Architecture::DepthAnythingV2,
                ArchArg::Midas => Architecture::MidasV21Small,
            },
        })));
    }
    match args.model.as_deref() {
        Some("none") => Ok(None),
        Some(name) => {
            let info = models::find_model(name).map_err(|e| e.to_string())?;
            let fetched = models::cache_dir()
                .map_err(|e| e.to_string())
                .and_then(|cache| fetch_with_progress(info, &cache, args.offline));
            Ok(Some(match fetched {
                Ok(path) => NeuralChoice::Ready(model_file(info, path)),
                Err(why) => NeuralChoice::Unavailable {
                    name: info.name.to_string(),
                    why,
                },
            }))
        }
        None => {
            // The first model in the cache; one that fails verification is
            // not used, and the chain says why.
            let cached = models::cache_dir().ok().and_then(|cache| {
                MODELS
                    .iter()
                    .find_map(|info| match models::verified_cached(info, &cache) {
                        Ok(None) => None,
                        Ok(Some(path)) => Some(NeuralChoice::Ready(model_file(info, path))),
                        Err(e) => Some(NeuralChoice::Unavailable {
                            name: info.name.to_string(),
                            why: e.to_string(),
                        }),
                    })
            });
            if cached.is_none() && may_use_a_model(depth) {
                let first = &MODELS[0];
                eprintln!(
                    "tip: `photo3d models fetch {}` (about {:.0} MB) gives better depth than the built-in estimate",
                    first.name,
                    first.approx_bytes as f64 / 1e6
                );
            }
            Ok(cached)
        }
    }
}

fn model_file(info: &ModelInfo, path: PathBuf) -> ModelFile {
    ModelFile {
        name: info.name.to_string(),
        path,
        architecture: info.architecture,
    }
}

/// Whether the depth chain can reach the neural source: no depth map, stereo
/// pair or other named source.
fn may_use_a_model(depth: &DepthArgs) -> bool {
    depth.depth.is_none()
        && depth.right.is_none()
        && !depth.stereo_sbs
        && matches!(depth.depth_source, None | Some(SourceArg::Neural))
}
