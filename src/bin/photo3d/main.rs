//! The `photo3d` command line: clap wiring only; each command lives in its own file.

mod args;
mod bench;
mod depth;
mod eval;
mod exit;
mod heap;
mod models;
mod progress;
mod run;
mod stereo;
mod view;

use args::{BenchArgs, DepthCommandArgs, EvalArgs, ModelsCommand, RunArgs, StereoArgs, ViewArgs};
use clap::{Parser, Subcommand};
use photo3d::config::Config;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "photo3d",
    version,
    about = "Turn one photo into a 3D photo: layered inpainted mesh and parallax videos"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole pipeline on photos (files or folders of images).
    Run(RunArgs),
    /// Render one novel view of a photo to PNG.
    View(ViewArgs),
    /// Write the photo's depth map (any source) as 16-bit PNG, PFM, NPY or OpenEXR.
    Depth(DepthCommandArgs),
    /// Score view synthesis on a stereo pair or a benchmark folder against baselines.
    Eval(EvalArgs),
    /// Views from two eyes: side-by-side or anaglyph PNG, or a wiggle GIF.
    Stereo(StereoArgs),
    /// Print the default configuration as TOML (or, with --paths, the camera path presets).
    Config {
        /// Print the four motions as `[[path]]` tables for `photo3d run --path`.
        #[arg(long)]
        paths: bool,
    },
    /// List or download the neural depth models.
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Time every stage, the renderer and the encoder, and measure peak memory.
    Bench(BenchArgs),
}

fn main() -> ExitCode {
    heap::reuse_freed_memory();
    let cli = Cli::parse();
    match cli.command {
        Command::Config { paths } => {
            if paths {
                let presets = Config::default().camera_paths();
                print!(
                    "{}",
                    photo3d::render::path::PathFile { paths: presets }.to_toml()
                );
            } else {
                print!("{}", Config::default_toml());
            }
            ExitCode::SUCCESS
        }
        Command::Run(args) => run::run(args),
        Command::View(args) => view::view(args),
        Command::Depth(args) => depth::depth(args),
        Command::Eval(args) => eval::eval(args),
        Command::Stereo(args) => stereo::stereo(args),
        Command::Bench(args) => bench::bench(args),
        Command::Models(command) => exit::exit_code(models::models_command(command)),
    }
}
