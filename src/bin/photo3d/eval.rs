//! `photo3d eval`: view-synthesis scores on a stereo pair, or on every scene of a
//! benchmark folder, for our renderer and the baselines.

use crate::args::{load_config, EvalArgs};
use crate::exit::exit_code;
use photo3d::config::Config;
use photo3d::eval::bench::{self, SceneData, SceneResult};
use photo3d::eval::{self as ev, Evaluation};
use serde::Serialize;
use std::path::Path;
use std::process::ExitCode;

pub(crate) fn eval(args: EvalArgs) -> ExitCode {
    exit_code(run_eval(&args))
}

fn run_eval(args: &EvalArgs) -> Result<(), String> {
    let config = load_config(args.config.as_deref()).map_err(|e| e.to_string())?;
    match (&args.dir, &args.left, &args.right, &args.disparity) {
        (Some(dir), ..) => run_folder(dir, args, &config),
        (None, Some(left), Some(right), Some(disparity)) => {
            let scene = SceneData {
                left: load_rgb(left)?,
                right: load_rgb(right)?,
                disparity: photo3d::io::depth::read_depth_file(disparity)
                    .map_err(|e| e.to_string())?,
            };
            let scores = score_scene(&scene, &config, args.save.as_deref())
                .map_err(|e| format!("{}: {e}", disparity.display()))?;
            report(&scores, ev::table(&scores), args.json.as_deref())
        }
        _ => Err("give a benchmark folder or --left, --right and --disparity".into()),
    }
}

fn load_rgb(path: &Path) -> Result<image::RgbImage, String> {
    photo3d::io::photo::load_photo(path)
        .map(|p| p.rgb)
        .map_err(|e| e.to_string())
}

/// Scores every scene of `dir` (saving renders under `--save`/<scene>) and prints the summary.
fn run_folder(dir: &Path, args: &EvalArgs, config: &Config) -> Result<(), String> {
    let specs = bench::discover(dir).map_err(|e| e.to_string())?;
    let mut results = Vec::with_capacity(specs.len());
    for spec in specs {
        let scene = bench::load_scene(&spec.dir).map_err(|e| e.to_string())?;
        let save = args.save.as_ref().map(|s| s.join(&spec.name));
        let evaluation = score_scene(&scene, config, save.as_deref())
            .map_err(|e| format!("{}: {e}", spec.dir.display()))?;
        eprintln!("{}: done", spec.name);
        results.push(SceneResult {
            name: spec.name,
            held_out: spec.held_out,
            evaluation,
        });
    }
    let summary = bench::summarize(results);
    report(
        &summary,
        bench::summary_table(&summary),
        args.json.as_deref(),
    )
}

/// Renders and scores one pair; with `save`, writes the renders, the mask and error maps there.
fn score_scene(
    scene: &SceneData,
    config: &Config,
    save: Option<&Path>,
) -> Result<Evaluation, String> {
    let views = ev::render_all(&scene.left, &scene.disparity, &scene.right, config)
        .map_err(|e| e.to_string())?;
    let scores = ev::score_views(&views, &scene.disparity, &scene.right);
    if let Some(dir) = save {
        save_views(dir, scene, &views)?;
    }
    Ok(scores)
}

fn save_views(dir: &Path, scene: &SceneData, views: &[image::RgbImage]) -> Result<(), String> {
    let cannot =
        |path: &Path, e: &dyn std::fmt::Display| format!("{}: cannot write: {e}", path.display());
    std::fs::create_dir_all(dir).map_err(|e| cannot(dir, &e))?;
    let (w, h) = scene.right.dimensions();
    let mask = ev::mask_image(&ev::disocclusion_mask(&scene.disparity), w, h);
    let path = dir.join("mask.png");
    mask.save(&path).map_err(|e| cannot(&path, &e))?;
    for (name, view) in ev::METHODS.iter().zip(views) {
        let path = dir.join(format!("{name}.png"));
        view.save(&path).map_err(|e| cannot(&path, &e))?;
        let path = dir.join(format!("{name}-error.png"));
        ev::error_image(view, &scene.right)
            .save(&path)
            .map_err(|e| cannot(&path, &e))?;
    }
    Ok(())
}

/// Prints `text`, or the JSON of `value` to standard output for `--json -`, writing the file otherwise.
fn report(value: &impl Serialize, text: String, json: Option<&Path>) -> Result<(), String> {
    let json_text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    match json {
        Some(path) if path == Path::new("-") => println!("{json_text}"),
        Some(path) => {
            std::fs::write(path, json_text)
                .map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
            print!("{text}");
        }
        None => print!("{text}"),
    }
    Ok(())
}
