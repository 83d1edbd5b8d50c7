//! `photo3d eval`: view-synthesis scores on a stereo pair against two baselines.

use crate::args::{load_config, EvalArgs};
use crate::exit::exit_code;
use std::path::Path;
use std::process::ExitCode;

pub(crate) fn eval(args: EvalArgs) -> ExitCode {
    exit_code(run_eval(&args))
}

fn run_eval(args: &EvalArgs) -> Result<(), String> {
    let config = load_config(args.config.as_deref()).map_err(|e| e.to_string())?;
    let left = photo3d::io::photo::load_photo(&args.left)
        .map_err(|e| e.to_string())?
        .rgb;
    let right = photo3d::io::photo::load_photo(&args.right)
        .map_err(|e| e.to_string())?
        .rgb;
    let disparity =
        photo3d::io::depth::read_depth_file(&args.disparity).map_err(|e| e.to_string())?;
    let scores = photo3d::eval::evaluate(&left, &disparity, &right, &config)
        .map_err(|e| format!("{}: {e}", args.disparity.display()))?;
    let json = serde_json::to_string_pretty(&scores).map_err(|e| e.to_string())?;
    match args.json.as_deref() {
        Some(path) if path == Path::new("-") => println!("{json}"),
        Some(path) => {
            std::fs::write(path, json)
                .map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
            print!("{}", photo3d::eval::table(&scores));
        }
        None => print!("{}", photo3d::eval::table(&scores)),
    }
    Ok(())
}
