//! The command line's arguments (clap structs) and their conversion to the
//! library's options.

use clap::{Subcommand, ValueEnum};
use photo3d::config::Config;
use photo3d::depth::chain::{DepthOptions, SourceChoice};
use photo3d::depth::stereo::StereoParams;
use photo3d::depth::{DepthKind, HolePolicy};
use photo3d::output::motion::VideoFormats;
use photo3d::pipeline::RunOptions;
use photo3d::render::parallax::Parallax;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub(crate) enum ModelsCommand {
    /// Show the known models and whether they are cached.
    List,
    /// Download a model into the cache, checking its SHA-256.
    Fetch {
        /// Model name, as shown by `photo3d models list`.
        name: String,
    },
}

#[derive(clap::Args)]
pub(crate) struct BenchArgs {
    /// The photo (its classical depth is computed once and given to every case).
    #[arg(default_value = "examples/photos/coffee.png")]
    pub(crate) photo: PathBuf,
    /// Also run the photo upscaled to 4000x3000 and 6000x4000 (minutes, several GB).
    #[arg(long)]
    pub(crate) large: bool,
    /// Frames rendered and encoded at 960 px.
    #[arg(long, default_value_t = 240)]
    pub(crate) frames: usize,
    /// Frames rendered at the large sizes (figures are per frame).
    #[arg(long, default_value_t = 12)]
    pub(crate) large_frames: usize,
    /// A disparity map for the photo (NaN and infinite values filled), used
    /// instead of the classical estimate: a real depth map makes a much
    /// larger layered mesh than a smooth estimate.
    #[arg(long)]
    pub(crate) depth: Option<PathBuf>,
    /// Run each case this many times and report the best figures (the
    /// fastest of each, the highest peak memory): noise only adds time.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) repeat: u32,
    /// Run only this case in this process and print its measurement as JSON.
    #[arg(long, hide = true)]
    pub(crate) case: Option<usize>,
}

#[derive(clap::Args)]
pub(crate) struct StereoArgs {
    /// The photo.
    pub(crate) photo: PathBuf,
    /// How to show the two views.
    #[arg(long, value_enum, default_value = "sbs")]
    pub(crate) format: StereoArg,
    /// Eye separation (divergence): the nearest surface shifts by this percent of the width between views.
    #[arg(long, visible_alias = "divergence", default_value_t = 3.0)]
    pub(crate) baseline: f32,
    /// Convergence plane, 0..1: 0 puts the screen at infinity (parallel eyes),
    /// 1 at the nearest surface; between them linearly in inverse depth.
    #[arg(long, default_value_t = 0.0)]
    pub(crate) convergence: f32,
    /// Output file (default stereo-<format>.png, or .gif for wiggle).
    #[arg(short, long)]
    pub(crate) out: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) depth: DepthArgs,
    /// TOML configuration (keys as in `photo3d config`).
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum StereoArg {
    Sbs,
    /// Side by side with the right eye's view on the left, for free viewing cross-eyed.
    CrossEye,
    /// The left eye's view above the right one.
    TopBottom,
    Anaglyph,
    Wiggle,
}

#[derive(clap::Args)]
pub(crate) struct EvalArgs {
    /// A benchmark folder (with scenes.json) or a folder of scene folders, each holding
    /// left.png, right.png and disp.pfm; instead of --left/--right/--disparity.
    #[arg(conflicts_with_all = ["left", "right", "disparity"])]
    pub(crate) dir: Option<PathBuf>,
    /// Left image of a rectified stereo pair.
    #[arg(long, required_unless_present = "dir")]
    pub(crate) left: Option<PathBuf>,
    /// Left disparity in pixels (PFM as Middlebury writes it, NPY, 16-bit PNG); inf/NaN = unknown.
    #[arg(long, required_unless_present = "dir")]
    pub(crate) disparity: Option<PathBuf>,
    /// The real right image.
    #[arg(long, required_unless_present = "dir")]
    pub(crate) right: Option<PathBuf>,
    /// Also write the scores as JSON to this file ("-" for standard output).
    #[arg(long)]
    pub(crate) json: Option<PathBuf>,
    /// Write each method's render, the disocclusion mask and error maps as PNG here
    /// (one sub-folder per scene for a benchmark folder).
    #[arg(long)]
    pub(crate) save: Option<PathBuf>,
    /// TOML configuration (keys as in `photo3d config`).
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
}

#[derive(clap::Args)]
pub(crate) struct DepthCommandArgs {
    /// The photo.
    pub(crate) photo: PathBuf,
    /// Output depth map: .png (16-bit), .pfm, .npy or .exr. Units follow the
    /// source: metres (depth photos), disparity in pixels (stereo), relative
    /// inverse depth (estimates), or a depth file's own values.
    #[arg(short, long)]
    pub(crate) out: PathBuf,
    #[command(flatten)]
    pub(crate) depth: DepthArgs,
}

#[derive(clap::Args)]
pub(crate) struct ViewArgs {
    /// The photo.
    pub(crate) photo: PathBuf,
    /// Camera translation t as tx,ty,tz in scene units (camera centre at −t, +x right, +y down, +z forward).
    #[arg(long, value_parser = parse_pose, default_value = "0,0,0", allow_hyphen_values = true)]
    pub(crate) pose: [f32; 3],
    /// Focal length factor (1 = the photo's own).
    #[arg(long, default_value_t = 1.0)]
    pub(crate) zoom: f32,
    /// Output PNG.
    #[arg(short, long, default_value = "view.png")]
    pub(crate) out: PathBuf,
    #[command(flatten)]
    pub(crate) depth: DepthArgs,
    /// TOML configuration (keys as in `photo3d config`).
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
}

/// Where depth comes from, shared by the commands that build a scene.
#[derive(clap::Args)]
pub(crate) struct DepthArgs {
    /// Depth or disparity map for the photo (16-bit PNG, NPY, PFM, OpenEXR).
    #[arg(long)]
    pub(crate) depth: Option<PathBuf>,
    /// Whether --depth holds depth or disparity.
    #[arg(long, value_enum, default_value = "disparity")]
    pub(crate) depth_kind: KindArg,
    /// NaN or infinite values in --depth: refuse the file, or fill them from neighbours.
    #[arg(long, value_enum, default_value = "reject")]
    pub(crate) depth_holes: HolesArg,
    /// Depth source; without it: file, embedded, stereo, neural, classical, first that applies.
    #[arg(long, value_enum)]
    pub(crate) depth_source: Option<SourceArg>,
    /// Right view of a stereo pair whose left view is the photo.
    #[arg(long, value_name = "FILE")]
    pub(crate) right: Option<PathBuf>,
    /// The photo is a side-by-side stereo image: left view | right view.
    #[arg(long)]
    pub(crate) stereo_sbs: bool,
    /// Largest stereo disparity searched, as a fraction of the image width.
    #[arg(long, value_parser = parse_fraction, default_value_t = StereoParams::default().max_disparity_fraction)]
    pub(crate) max_disparity: f32,
    #[command(flatten)]
    pub(crate) model: ModelArgs,
}

/// Which neural model estimates depth when no depth map, depth photo or
/// stereo pair gives it.
#[derive(clap::Args)]
pub(crate) struct ModelArgs {
    /// Neural model from `photo3d models list`, fetched on first use; `none`
    /// for the classical estimate. Without it a cached model is used if any.
    #[arg(long, value_name = "NAME")]
    pub(crate) model: Option<String>,
    /// Never download: use --model only if it is already cached.
    #[arg(long)]
    pub(crate) offline: bool,
    /// Any ONNX export of a known model family (with --model-arch).
    #[arg(
        long,
        value_name = "FILE.onnx",
        conflicts_with = "model",
        requires = "model_arch"
    )]
    pub(crate) model_file: Option<PathBuf>,
    /// The family of --model-file: its input size, normalisation and output.
    #[arg(long, value_enum, requires = "model_file")]
    pub(crate) model_arch: Option<ArchArg>,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ArchArg {
    /// Depth Anything (V1/V2, any size): input sides multiples of 14, shorter side 518.
    DepthAnything,
    /// MiDaS v2.1 small: fixed 256×256 input.
    Midas,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum SourceArg {
    File,
    Embedded,
    Stereo,
    Neural,
    Classical,
}

/// Parses a fraction in (0, 1].
pub(crate) fn parse_fraction(text: &str) -> Result<f32, String> {
    text.parse::<f32>()
        .ok()
        .filter(|v| *v > 0.0 && *v <= 1.0)
        .ok_or_else(|| format!("'{text}' is not a fraction in (0, 1]"))
}

/// Parses "tx,ty,tz".
pub(crate) fn parse_pose(text: &str) -> Result<[f32; 3], String> {
    let values: Vec<f32> = text
        .split(',')
        .map(|v| {
            v.trim()
                .parse::<f32>()
                .map_err(|_| format!("'{v}' is not a number"))
        })
        .collect::<Result<_, _>>()?;
    match values.as_slice() {
        [x, y, z] if values.iter().all(|v| v.is_finite()) => Ok([*x, *y, *z]),
        _ => Err("expected three finite numbers tx,ty,tz".into()),
    }
}

#[derive(clap::Args)]
pub(crate) struct RunArgs {
    /// Photos, or folders whose images are all processed.
    #[arg(required = true)]
    pub(crate) photos: Vec<PathBuf>,
    /// Output folder; each photo gets OUT/<photo name>/.
    #[arg(short, long, default_value = "photo3d-out")]
    pub(crate) out: PathBuf,
    /// TOML configuration (keys as in `photo3d config`).
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) depth: DepthArgs,
    /// Also write depth-photo.jpg, a Google depth photo (GDepth XMP) of the result.
    #[arg(long)]
    pub(crate) write_depth_photo: bool,
    /// Write the mesh as ASCII PLY.
    #[arg(long)]
    pub(crate) ascii_ply: bool,
    /// Frames per video (overrides the config).
    #[arg(long)]
    pub(crate) num_frames: Option<usize>,
    /// Video frame rate (overrides the config).
    #[arg(long)]
    pub(crate) fps: Option<u32>,
    /// Longer side of the working size (overrides the config).
    #[arg(long)]
    pub(crate) longer_side_len: Option<u32>,
    /// Longer side of the videos (overrides the config; default the photo's
    /// own, capped to 3840x2160).
    #[arg(long)]
    pub(crate) video_size: Option<u32>,
    /// Triangle budget of mesh.glb (overrides the config).
    #[arg(long)]
    pub(crate) glb_triangles: Option<usize>,
    /// Camera paths for the videos (TOML `[[path]]` tables, as `photo3d config --paths` prints);
    /// replaces the config's motions. May be given more than once.
    #[arg(long = "path", value_name = "FILE.toml")]
    pub(crate) paths: Vec<PathBuf>,
    /// Motion amount: `auto` scales each path down until no frame shows a hole
    /// (never above 1), a number uses that multiple of the path's motion.
    #[arg(long, default_value = "auto", value_parser = parse_parallax)]
    pub(crate) parallax: Parallax,
    /// Video files to write, comma-separated: mp4, gif (small, looping), png (frame folder).
    #[arg(long, default_value = "mp4", value_parser = VideoFormats::parse)]
    pub(crate) format: VideoFormats,
    /// Redo photos whose output folder is already complete (normally skipped).
    #[arg(long)]
    pub(crate) force: bool,
    /// Print the time of every stage.
    #[arg(short, long)]
    pub(crate) verbose: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum KindArg {
    Depth,
    Disparity,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum HolesArg {
    Reject,
    Fill,
}

/// `auto` or a positive number.
fn parse_parallax(text: &str) -> Result<Parallax, String> {
    if text == "auto" {
        return Ok(Parallax::Auto);
    }
    match text.parse::<f32>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(Parallax::Amount(v)),
        _ => Err(format!("expected auto or a number >= 0, got {text:?}")),
    }
}

/// The config file's settings, or the defaults.
pub(crate) fn load_config(path: Option<&Path>) -> Result<Config, photo3d::config::ConfigError> {
    match path {
        Some(path) => Config::from_file(path),
        None => Ok(Config::default()),
    }
}

/// Depth options from the depth flags.
pub(crate) fn depth_options(depth: &DepthArgs) -> DepthOptions {
    DepthOptions {
        depth_file: depth.depth.clone(),
        depth_kind: Some(match depth.depth_kind {
            KindArg::Depth => DepthKind::Depth,
            KindArg::Disparity => DepthKind::Disparity,
        }),
        depth_holes: match depth.depth_holes {
            HolesArg::Reject => HolePolicy::Reject,
            HolesArg::Fill => HolePolicy::Fill,
        },
        depth_source: depth.depth_source.map(|s| match s {
            SourceArg::File => SourceChoice::File,
            SourceArg::Embedded => SourceChoice::Embedded,
            SourceArg::Stereo => SourceChoice::Stereo,
            SourceArg::Neural => SourceChoice::Neural,
            SourceArg::Classical => SourceChoice::Classical,
        }),
        right_photo: depth.right.clone(),
        stereo_sbs: depth.stereo_sbs,
        stereo: StereoParams {
            max_disparity_fraction: depth.max_disparity,
            ..StereoParams::default()
        },
        neural: None,
    }
}

/// Depth options from the depth flags, with the neural model chosen (and
/// fetched) as the model flags say.
pub(crate) fn depth_options_with_model(depth: &DepthArgs) -> Result<DepthOptions, String> {
    let mut options = depth_options(depth);
    options.neural = crate::models::neural_choice(depth)?;
    Ok(options)
}

/// Run options from a config and the depth flags.
pub(crate) fn run_options_from(config: Config, depth: &DepthArgs) -> Result<RunOptions, String> {
    Ok(RunOptions {
        config,
        depth: depth_options_with_model(depth)?,
        write_depth_photo: false,
        ..RunOptions::default()
    })
}
