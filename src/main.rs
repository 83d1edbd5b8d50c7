//! The `photo3d` command line: parses arguments and wires them to the library.

use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use photo3d::config::Config;
use photo3d::depth::chain::SourceChoice;
use photo3d::depth::neural::ModelFile;
use photo3d::depth::stereo::StereoParams;
use photo3d::depth::HolePolicy;
use photo3d::interrupt;
use photo3d::models::{self, ModelInfo, MODELS};
use photo3d::pipeline::outputs_complete;
use photo3d::pipeline::{run_photo, Event, RunOptions};
use photo3d::prepare::DepthKind;
use photo3d::Error;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
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
    /// Score view synthesis on a stereo pair against two baselines.
    Eval(EvalArgs),
    /// Views from two eyes: side-by-side or anaglyph PNG, or a wiggle GIF.
    Stereo(StereoArgs),
    /// Print the default configuration as TOML.
    Config,
    /// List or download the neural depth models.
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Time every stage, the renderer and the encoder, and measure peak memory.
    Bench(BenchArgs),
}

#[derive(Subcommand)]
enum ModelsCommand {
    /// Show the known models and whether they are cached.
    List,
    /// Download a model into the cache, checking its SHA-256.
    Fetch {
        /// Model name, as shown by `photo3d models list`.
        name: String,
    },
}

#[derive(clap::Args)]
struct BenchArgs {
    /// The photo (its classical depth is computed once and given to every case).
    #[arg(default_value = "examples/photos/coffee.png")]
    photo: PathBuf,
    /// Also run the photo upscaled to 4000x3000 and 6000x4000 (minutes, several GB).
    #[arg(long)]
    large: bool,
    /// Frames rendered and encoded at 960 px.
    #[arg(long, default_value_t = 240)]
    frames: usize,
    /// Frames rendered at the large sizes (figures are per frame).
    #[arg(long, default_value_t = 12)]
    large_frames: usize,
    /// Run only this case in this process and print its measurement as JSON.
    #[arg(long, hide = true)]
    case: Option<usize>,
}

#[derive(clap::Args)]
struct StereoArgs {
    /// The photo.
    photo: PathBuf,
    /// How to show the two views.
    #[arg(long, value_enum, default_value = "sbs")]
    format: StereoArg,
    /// Eye separation: the nearest surface shifts by this percent of the width between views.
    #[arg(long, default_value_t = 3.0)]
    baseline: f32,
    /// Output file (default stereo-<format>.png, or .gif for wiggle).
    #[arg(short, long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    depth: DepthArgs,
    /// TOML configuration (keys as in `photo3d config`).
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum StereoArg {
    Sbs,
    Anaglyph,
    Wiggle,
}

#[derive(clap::Args)]
struct EvalArgs {
    /// Left image of a rectified stereo pair.
    #[arg(long)]
    left: PathBuf,
    /// Left disparity in pixels (PFM as Middlebury writes it, NPY, 16-bit PNG); inf/NaN = unknown.
    #[arg(long)]
    disparity: PathBuf,
    /// The real right image.
    #[arg(long)]
    right: PathBuf,
    /// Also write the scores as JSON to this file ("-" for standard output).
    #[arg(long)]
    json: Option<PathBuf>,
    /// TOML configuration (keys as in `photo3d config`).
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ViewArgs {
    /// The photo.
    photo: PathBuf,
    /// Camera translation t as tx,ty,tz in scene units (camera centre at −t, +x right, +y down, +z forward).
    #[arg(long, value_parser = parse_pose, default_value = "0,0,0", allow_hyphen_values = true)]
    pose: [f32; 3],
    /// Focal length factor (1 = the photo's own).
    #[arg(long, default_value_t = 1.0)]
    zoom: f32,
    /// Output PNG.
    #[arg(short, long, default_value = "view.png")]
    out: PathBuf,
    #[command(flatten)]
    depth: DepthArgs,
    /// TOML configuration (keys as in `photo3d config`).
    #[arg(long)]
    config: Option<PathBuf>,
}

/// Where depth comes from, shared by the commands that build a scene.
#[derive(clap::Args)]
struct DepthArgs {
    /// Depth or disparity map for the photo (16-bit PNG, NPY, PFM, OpenEXR).
    #[arg(long)]
    depth: Option<PathBuf>,
    /// Whether --depth holds depth or disparity.
    #[arg(long, value_enum, default_value = "disparity")]
    depth_kind: KindArg,
    /// NaN or infinite values in --depth: refuse the file, or fill them from neighbours.
    #[arg(long, value_enum, default_value = "reject")]
    depth_holes: HolesArg,
    /// Depth source; without it: file, embedded, stereo, neural, classical, first that applies.
    #[arg(long, value_enum)]
    depth_source: Option<SourceArg>,
    /// Right view of a stereo pair whose left view is the photo.
    #[arg(long, value_name = "FILE")]
    right: Option<PathBuf>,
    /// The photo is a side-by-side stereo image: left view | right view.
    #[arg(long)]
    stereo_sbs: bool,
    /// Largest stereo disparity searched, as a fraction of the image width.
    #[arg(long, value_parser = parse_fraction, default_value_t = StereoParams::default().max_disparity_fraction)]
    max_disparity: f32,
}

#[derive(Clone, Copy, ValueEnum)]
enum SourceArg {
    File,
    Embedded,
    Stereo,
    Neural,
    Classical,
}

/// Parses a fraction in (0, 1].
fn parse_fraction(text: &str) -> Result<f32, String> {
    text.parse::<f32>()
        .ok()
        .filter(|v| *v > 0.0 && *v <= 1.0)
        .ok_or_else(|| format!("'{text}' is not a fraction in (0, 1]"))
}

/// Parses "tx,ty,tz".
fn parse_pose(text: &str) -> Result<[f32; 3], String> {
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
struct RunArgs {
    /// Photos, or folders whose images are all processed.
    #[arg(required = true)]
    photos: Vec<PathBuf>,
    /// Output folder; each photo gets OUT/<photo name>/.
    #[arg(short, long, default_value = "photo3d-out")]
    out: PathBuf,
    /// TOML configuration (keys as in `photo3d config`).
    #[arg(long)]
    config: Option<PathBuf>,
    #[command(flatten)]
    depth: DepthArgs,
    /// Also write depth-photo.jpg, a Google depth photo (GDepth XMP) of the result.
    #[arg(long)]
    write_depth_photo: bool,
    /// Estimate depth with this neural model (see `photo3d models list`) when
    /// no --depth is given; fetched on first use.
    #[arg(long, value_name = "NAME")]
    model: Option<String>,
    /// Never download: use --model only if it is already cached.
    #[arg(long)]
    offline: bool,
    /// Write the mesh as ASCII PLY.
    #[arg(long)]
    ascii_ply: bool,
    /// Frames per video (overrides the config).
    #[arg(long)]
    num_frames: Option<usize>,
    /// Video frame rate (overrides the config).
    #[arg(long)]
    fps: Option<u32>,
    /// Longer side of the working size (overrides the config).
    #[arg(long)]
    longer_side_len: Option<u32>,
    /// Triangle budget of mesh.glb (overrides the config).
    #[arg(long)]
    glb_triangles: Option<usize>,
    /// Redo photos whose output folder is already complete (normally skipped).
    #[arg(long)]
    force: bool,
    /// Print the time of every stage.
    #[arg(short, long)]
    verbose: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    Depth,
    Disparity,
}

#[derive(Clone, Copy, ValueEnum)]
enum HolesArg {
    Reject,
    Fill,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Config => {
            print!("{}", Config::default_toml());
            ExitCode::SUCCESS
        }
        Command::Run(args) => run(args),
        Command::View(args) => view(args),
        Command::Eval(args) => eval(args),
        Command::Stereo(args) => stereo(args),
        Command::Bench(args) => bench(args),
        Command::Models(command) => exit_code(models_command(command)),
    }
}

fn models_command(command: ModelsCommand) -> Result<(), String> {
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
fn fetch_with_progress(info: &ModelInfo, cache: &Path, offline: bool) -> Result<PathBuf, String> {
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
fn neural_model(args: &RunArgs) -> Result<Option<ModelFile>, String> {
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

fn bench(args: BenchArgs) -> ExitCode {
    use photo3d::bench::{cases, measure, measure_in_child, table};
    let result = match args.case {
        Some(index) => match cases(true).get(index) {
            Some(&case) => measure(&args.photo, case, args.frames).and_then(|m| {
                serde_json::to_string(&m).map_err(|e| photo3d::Error::output(Path::new("-"), e))
            }),
            None => Err(photo3d::Error::input(&args.photo, "no such benchmark case")),
        }
        .map(|json| println!("{json}")),
        None => std::env::current_exe()
            .map_err(|e| photo3d::Error::input(Path::new("photo3d"), e))
            .and_then(|exe| {
                eprintln!(
                    "photo3d bench: {}, {} threads",
                    args.photo.display(),
                    rayon::current_num_threads()
                );
                let mut results = Vec::new();
                for index in 0..cases(args.large).len() {
                    let frames = if index == 0 {
                        args.frames
                    } else {
                        args.large_frames
                    };
                    let m = measure_in_child(&exe, &args.photo, index, frames)?;
                    if let Some(note) = &m.encode_note {
                        eprintln!("case {index}: no encode figure: {note}");
                    }
                    results.push(m);
                }
                print!("{}", table(&results));
                Ok(())
            }),
    };
    exit_code(result)
}

fn view(args: ViewArgs) -> ExitCode {
    single_output(|| {
        let config = load_config(args.config.as_deref()).map_err(|e| e.to_string())?;
        let options = depth_options(config, &args.depth);
        let image = photo3d::pipeline::render_view(&args.photo, &options, args.pose, args.zoom)
            .map_err(|e| e.to_string())?;
        before_writing()?;
        photo3d::io::staging::save_png_atomic(&image, &args.out).map_err(|e| e.to_string())
    })
}

fn stereo(args: StereoArgs) -> ExitCode {
    single_output(|| run_stereo(&args))
}

/// Runs a command that writes one file under the Ctrl-C handler: an
/// interruption before the write ends it with exit code 130 and nothing
/// written; one during the (atomic) write lets the write finish.
fn single_output(command: impl FnOnce() -> Result<(), String>) -> ExitCode {
    if let Err(e) = interrupt::install_handler() {
        eprintln!("warning: Ctrl-C may leave a temporary file: {e}");
    }
    match command() {
        Err(message) if interrupt::requested() => {
            eprintln!("error: {message}");
            ExitCode::from(interrupt::EXIT_CODE)
        }
        result => exit_code(result),
    }
}

/// The last safe point before a command's output is written.
fn before_writing() -> Result<(), String> {
    interrupt::check().map_err(|e| e.to_string())
}

fn run_stereo(args: &StereoArgs) -> Result<(), String> {
    use photo3d::output::stereo::{anaglyph, eye_separation, eye_views, side_by_side};
    use photo3d::output::video::GifWriter;
    if !(args.baseline > 0.0 && args.baseline <= 20.0) {
        return Err(format!(
            "--baseline {} is outside (0, 20] percent",
            args.baseline
        ));
    }
    let config = load_config(args.config.as_deref()).map_err(|e| e.to_string())?;
    let samples = config.samples_per_side();
    let options = depth_options(config, &args.depth);
    let scene = photo3d::pipeline::photo_scene(&args.photo, &options).map_err(|e| e.to_string())?;
    let (left, right) = eye_views(&scene, eye_separation(&scene, args.baseline), samples);
    let (name, default) = match args.format {
        StereoArg::Sbs => ("sbs", "stereo-sbs.png"),
        StereoArg::Anaglyph => ("anaglyph", "stereo-anaglyph.png"),
        StereoArg::Wiggle => ("wiggle", "stereo-wiggle.gif"),
    };
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from(default));
    before_writing()?;
    match args.format {
        StereoArg::Sbs => photo3d::io::staging::save_png_atomic(&side_by_side(&left, &right), &out),
        StereoArg::Anaglyph => {
            photo3d::io::staging::save_png_atomic(&anaglyph(&left, &right), &out)
        }
        StereoArg::Wiggle => photo3d::io::staging::write_atomic(&out, |temp| {
            let (w, h) = left.dimensions();
            let mut gif = GifWriter::create(temp, w, h, WIGGLE_FPS)?;
            for frame in [&left, &right] {
                gif.push(frame)?;
            }
            gif.finish()
        }),
    }?;
    eprintln!(
        "{}: {name} stereo → {}",
        args.photo.display(),
        out.display()
    );
    Ok(())
}

/// Frame rate of the wiggle GIF: slow enough to see each eye's view.
const WIGGLE_FPS: u32 = 6;

fn eval(args: EvalArgs) -> ExitCode {
    exit_code(run_eval(&args))
}

/// Success, or the error printed as one line and failure.
fn exit_code(result: Result<(), impl std::fmt::Display>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
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
        photo3d::io::depth_file::read_depth_file(&args.disparity).map_err(|e| e.to_string())?;
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

/// The config file's settings, or the defaults.
fn load_config(path: Option<&Path>) -> Result<Config, photo3d::config::ConfigError> {
    match path {
        Some(path) => Config::from_file(path),
        None => Ok(Config::default()),
    }
}

/// Run options from a config and the depth flags.
fn depth_options(config: Config, depth: &DepthArgs) -> RunOptions {
    RunOptions {
        config,
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
        write_depth_photo: false,
        neural: None,
    }
}

fn run(args: RunArgs) -> ExitCode {
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
        ("--depth", options.depth_file.is_some()),
        ("--right", options.right_photo.is_some()),
    ] {
        if given && photos.len() > 1 {
            eprintln!(
                "error: {flag} applies to one photo, but {} were given",
                photos.len()
            );
            return ExitCode::FAILURE;
        }
    }
    let options = match neural_model(&args) {
        Ok(neural) => RunOptions { neural, ..options },
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = interrupt::install_handler() {
        eprintln!("warning: Ctrl-C will not clean up: {e}");
    }
    let mut failed = 0;
    for photo in &photos {
        let out_dir = args.out.join(output_name(photo));
        if !args.force && outputs_complete(&out_dir) {
            eprintln!(
                "{}: skipped (complete) → {}",
                photo.display(),
                out_dir.display()
            );
            continue;
        }
        let mut observer = Observer::new(args.verbose);
        match run_photo(photo, &out_dir, &options, &mut |e| observer.on(e)) {
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
fn run_options(args: &RunArgs) -> Result<RunOptions, String> {
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
    if let Some(n) = args.glb_triangles {
        config.glb_triangles = n;
    }
    config
        .validate()
        .map_err(|e| format!("invalid settings: {e}"))?;
    Ok(RunOptions {
        write_depth_photo: args.write_depth_photo,
        ..depth_options(config, &args.depth)
    })
}

/// File extensions taken from folders.
const IMAGE_EXTENSIONS: [&str; 8] = ["jpg", "jpeg", "png", "webp", "tif", "tiff", "bmp", "mpo"];

/// Files as given; folders replaced by their images in name order.
fn expand_inputs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
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

fn has_image_extension(path: &Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.as_str()))
}

/// Output folder name of a photo: its file stem.
fn output_name(photo: &Path) -> String {
    photo
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "photo".into())
}

/// Turns pipeline events into a progress bar on a terminal and `-v` timings.
struct Observer {
    verbose: bool,
    bar: Option<ProgressBar>,
}

impl Observer {
    fn new(verbose: bool) -> Self {
        Observer { verbose, bar: None }
    }

    fn on(&mut self, event: Event) {
        match event {
            Event::Stage(name) => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
                let bar = ProgressBar::new_spinner().with_message(name.to_string());
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
                self.bar = Some(bar);
            }
            Event::StageDone(name, seconds) => {
                if self.verbose {
                    self.println(&format!("{name:>24}: {seconds:7.3} s"));
                }
            }
            Event::Frames { video, done, total } => {
                if let Some(bar) = &self.bar {
                    if bar.length() != Some(total as u64) {
                        bar.set_length(total as u64);
                        bar.set_style(
                            ProgressStyle::with_template("{msg:>24} {bar:40} {pos}/{len} frames")
                                .unwrap_or_else(|_| ProgressStyle::default_bar()),
                        );
                        bar.set_message(video.to_string());
                    }
                    bar.set_position(done as u64);
                }
            }
            Event::Warning(line) => self.println(&format!("warning: {line}")),
        }
    }

    fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
