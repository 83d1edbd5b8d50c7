//! `photo3d run`: the whole pipeline on photos or folders of photos.

use crate::args::{load_config, run_options_from, RunArgs};
use crate::progress::Observer;
use photo3d::interrupt;
use photo3d::pipeline::{outputs_complete_for, run_photo, Report, RunOptions};
use photo3d::render::path::PathFile;
use photo3d::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub(crate) fn run(args: RunArgs) -> ExitCode {
    let options = match run_options(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    let photos = match expand_inputs(&args.photos) {
        Ok(photos) => photos,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    for (flag, given) in [
        ("--depth", options.depth.depth_file.is_some()),
        ("--right", options.depth.right_photo.is_some()),
    ] {
        if given && photos.len() > 1 {
            eprintln!(
                "error: {flag} applies to one photo, but {} were given",
                photos.len()
            );
            return ExitCode::FAILURE;
        }
    }
    if let Err(e) = interrupt::install_handler() {
        eprintln!("warning: Ctrl-C will not clean up: {e}");
    }
    let mut failed = 0;
    let _quiet = QuietPanics::install();
    for (photo, name) in photos.iter().zip(output_names(&photos)) {
        let out_dir = args.out.join(name);
        if !args.force && outputs_complete_for(&out_dir, photo, &options) {
            eprintln!(
                "{}: skipped (complete) → {}",
                photo.display(),
                out_dir.display()
            );
            continue;
        }
        let mut observer = Observer::new(args.verbose);
        match run_isolated(photo, &out_dir, &options, &mut observer) {
            Ok(report) => {
                observer.finish();
                eprintln!(
                    "{}: done in {:.1} s → {}",
                    photo.display(),
                    report.total_seconds,
                    out_dir.display()
                );
            }
            Err(Error::Interrupted(why)) => {
                observer.finish();
                eprintln!("error: {}: {why}", photo.display());
                return ExitCode::from(interrupt::EXIT_CODE);
            }
            Err(err) => {
                observer.finish();
                eprintln!("error: {err}");
                failed += 1;
            }
        }
    }
    if photos.len() > 1 {
        eprintln!(
            "{} of {} photos done, {failed} failed",
            photos.len() - failed,
            photos.len()
        );
    }
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Config file, then command-line overrides.
pub(crate) fn run_options(args: &RunArgs) -> Result<RunOptions, String> {
    let mut config = load_config(args.config.as_deref()).map_err(|e| e.to_string())?;
    config.ascii_ply |= args.ascii_ply;
    if let Some(n) = args.num_frames {
        config.num_frames = n;
    }
    if let Some(fps) = args.fps {
        config.fps = fps;
    }
    if let Some(len) = args.longer_side_len {
        config.longer_side_len = len;
    }
    if args.video_size.is_some() {
        config.video_size = args.video_size;
    }
    if let Some(n) = args.glb_triangles {
        config.glb_triangles = n;
    }
    config
        .validate()
        .map_err(|e| format!("invalid settings: {e}"))?;
    let mut paths = Vec::new();
    for file in &args.paths {
        paths.extend(PathFile::read(file).map_err(|e| e.to_string())?.paths);
    }
    Ok(RunOptions {
        write_depth_photo: args.write_depth_photo,
        paths,
        parallax: args.parallax,
        formats: args.format,
        ..run_options_from(config, &args.depth)?
    })
}

/// File extensions taken from folders.
pub(crate) const IMAGE_EXTENSIONS: [&str; 8] =
    ["jpg", "jpeg", "png", "webp", "tif", "tiff", "bmp", "mpo"];

/// Files as given; folders replaced by their images in name order.
pub(crate) fn expand_inputs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut photos = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let entries = std::fs::read_dir(input)
                .map_err(|e| format!("{}: cannot list folder: {e}", input.display()))?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && has_image_extension(p))
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(format!("{}: folder holds no images", input.display()));
            }
            photos.extend(found);
        } else {
            photos.push(input.clone());
        }
    }
    Ok(photos)
}

pub(crate) fn has_image_extension(path: &Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.as_str()))
}

/// Set to a photo's file name, makes its run panic: tests use it to check
/// that a panic stays within its photo.
const TEST_PANIC_ENV: &str = "PHOTO3D_TEST_PANIC_ON";

/// One photo's run; a panic becomes that photo's one-line error.
fn run_isolated(
    photo: &Path,
    out_dir: &Path,
    options: &RunOptions,
    observer: &mut Observer,
) -> Result<Report, Error> {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if std::env::var_os(TEST_PANIC_ENV).is_some_and(|n| photo.file_name() == Some(&n)) {
            panic!("{TEST_PANIC_ENV} names this photo");
        }
        run_photo(photo, out_dir, options, &mut |e| observer.on(e))
    }));
    outcome.unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".into());
        Err(Error::input(
            photo,
            format!("internal error (a bug, please report it): {message}"),
        ))
    })
}

/// Silences the default panic message (several lines) while a batch runs: a
/// caught panic is reported as its photo's one-line error instead.
struct QuietPanics;

impl QuietPanics {
    fn install() -> QuietPanics {
        std::panic::set_hook(Box::new(|_| {}));
        QuietPanics
    }
}

impl Drop for QuietPanics {
    fn drop(&mut self) {
        let _ = std::panic::take_hook();
    }
}

/// Output folder names of a batch, distinct and plain: a photo's file stem;
/// its whole file name when an earlier photo took the stem (a.jpg → a, then
/// a.png → a.png); then a numbered suffix. Names that would not be a plain
/// folder name (`..png`, `.png`) get their leading dots replaced by `_`.
pub(crate) fn output_names(photos: &[PathBuf]) -> Vec<String> {
    let mut taken = std::collections::HashSet::new();
    photos
        .iter()
        .map(|photo| {
            let plain = |s: Option<&std::ffi::OsStr>| {
                let text = s
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let dots = text.len() - text.trim_start_matches('.').len();
                let text = format!("{}{}", "_".repeat(dots), &text[dots..]);
                (!text.is_empty()).then_some(text)
            };
            let stem = plain(photo.file_stem()).unwrap_or_else(|| "photo".into());
            let file = plain(photo.file_name()).unwrap_or_else(|| stem.clone());
            let mut candidates = [stem.clone(), file.clone()]
                .into_iter()
                .chain((2..).map(|k| format!("{file}-{k}")));
            let name = candidates.find(|c| !taken.contains(c)).unwrap_or(stem);
            taken.insert(name.clone());
            name
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_names_are_distinct_and_plain() {
        let photos: Vec<PathBuf> = ["x/a.jpg", "y/a.png", "z/a.png", "..png", ".png", "b.png"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(
            output_names(&photos),
            ["a", "a.png", "a.png-2", "_", "_png", "b"]
        );
    }
}
