//! `photo3d models list|fetch`, and the `--model` download with its progress bar.

use crate::args::{ModelsCommand, RunArgs};
use indicatif::{ProgressBar, ProgressStyle};
use photo3d::depth::neural::ModelFile;
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
    let result = models::ensure_model(info, cache, base.as_deref(), offline, &mut |done, total| {
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
    result.map_err(|e| e.to_string())
}

/// The model of `--model`, fetched if needed; None (after one warning line)
/// when it cannot be had, so the run falls back to the classical estimate.
pub(crate) fn neural_model(args: &RunArgs) -> Result<Option<ModelFile>, String> {
    let Some(name) = &args.model else {
        return Ok(None);
    };
    let info = models::find_model(name).map_err(|e| e.to_string())?;
    let fetched = models::cache_dir()
        .map_err(|e| e.to_string())
        .and_then(|cache| fetch_with_progress(info, &cache, args.offline));
    match fetched {
        Ok(path) => Ok(Some(ModelFile {
            name: info.name.to_string(),
            path,
            architecture: info.architecture,
        })),
        Err(message) => {
            eprintln!("warning: {message}; using the classical estimate");
            Ok(None)
        }
    }
}
