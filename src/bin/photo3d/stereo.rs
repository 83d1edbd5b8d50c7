//! `photo3d stereo`: views from two eyes as side-by-side, cross-eye, top-bottom
//! or anaglyph PNG, or a wiggle GIF.

use crate::args::{load_config, run_options_from, StereoArg, StereoArgs};
use crate::exit::{before_writing, single_output};
use std::path::PathBuf;
use std::process::ExitCode;

pub(crate) fn stereo(args: StereoArgs) -> ExitCode {
    single_output(|| run_stereo(&args))
}

fn run_stereo(args: &StereoArgs) -> Result<(), String> {
    use photo3d::output::stereo::{anaglyph, eye_separation, eye_views, side_by_side, top_bottom};
    use photo3d::output::video::GifWriter;
    if !(args.baseline > 0.0 && args.baseline <= 20.0) {
        return Err(format!(
            "--baseline {} is outside (0, 20] percent",
            args.baseline
        ));
    }
    if !(0.0..=1.0).contains(&args.convergence) {
        return Err(format!(
            "--convergence {} is outside [0, 1]",
            args.convergence
        ));
    }
    let config = load_config(args.config.as_deref()).map_err(|e| e.to_string())?;
    let samples = config.samples_per_side();
    let options = run_options_from(config, &args.depth)?;
    let scene = photo3d::pipeline::photo_scene(&args.photo, &options).map_err(|e| e.to_string())?;
    let separation = eye_separation(&scene, args.baseline);
    let (left, right) = eye_views(&scene, separation, args.convergence, samples);
    let (name, default) = match args.format {
        StereoArg::Sbs => ("sbs", "stereo-sbs.png"),
        StereoArg::CrossEye => ("cross-eye", "stereo-cross-eye.png"),
        StereoArg::TopBottom => ("top-bottom", "stereo-top-bottom.png"),
        StereoArg::Anaglyph => ("anaglyph", "stereo-anaglyph.png"),
        StereoArg::Wiggle => ("wiggle", "stereo-wiggle.gif"),
    };
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from(default));
    before_writing()?;
    match args.format {
        StereoArg::Sbs => photo3d::io::staging::save_png_atomic(&side_by_side(&left, &right), &out),
        StereoArg::CrossEye => {
            photo3d::io::staging::save_png_atomic(&side_by_side(&right, &left), &out)
        }
        StereoArg::TopBottom => {
            photo3d::io::staging::save_png_atomic(&top_bottom(&left, &right), &out)
        }
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
    }
    .map_err(|e| e.to_string())?;
    eprintln!(
        "{}: {name} stereo → {}",
        args.photo.display(),
        out.display()
    );
    Ok(())
}

/// Frame rate of the wiggle GIF: slow enough to see each eye's view.
const WIGGLE_FPS: u32 = 6;
