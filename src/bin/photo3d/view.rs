//! `photo3d view`: one novel view of a photo to PNG.

use crate::args::{load_config, run_options_from, ViewArgs};
use crate::exit::{before_writing, single_output};
use std::process::ExitCode;

pub(crate) fn view(args: ViewArgs) -> ExitCode {
    single_output(|| {
        let config = load_config(args.config.as_deref()).map_err(|e| e.to_string())?;
        let options = run_options_from(config, &args.depth)?;
        let image = photo3d::pipeline::render_view(&args.photo, &options, args.pose, args.zoom)
            .map_err(|e| e.to_string())?;
        before_writing()?;
        photo3d::io::staging::save_png_atomic(&image, &args.out).map_err(|e| e.to_string())
    })
}
