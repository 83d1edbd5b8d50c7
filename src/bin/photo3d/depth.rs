//! `photo3d depth`: the photo's depth map, from any source, written for other
//! tools in that source's units.

use crate::args::{depth_options_with_model, DepthCommandArgs};
use crate::exit::{before_writing, single_output};
use photo3d::depth::export::export_depth;
use photo3d::io::depth::{write_depth_map, DepthFormat, DepthUnits};
use std::process::ExitCode;

pub(crate) fn depth(args: DepthCommandArgs) -> ExitCode {
    single_output(|| {
        // A bad output name fails before any depth is computed.
        let format = DepthFormat::from_path(&args.out).map_err(|e| e.to_string())?;
        let options = depth_options_with_model(&args.depth)?;
        let exported = export_depth(&args.photo, &options, &mut |event| {
            if let photo3d::progress::Event::Warning(line) = event {
                eprintln!("warning: {line}");
            }
        })
        .map_err(|e| e.to_string())?;
        before_writing()?;
        write_depth_map(&exported.map, exported.units, &args.out).map_err(|e| e.to_string())?;
        let (w, h) = exported.map.dimensions();
        let units = match (exported.units, format) {
            (units, DepthFormat::Png16) => units.png16_encoding(),
            (DepthUnits::Metres, _) => "metres",
            (DepthUnits::DisparityPixels, _) => "disparity in pixels",
            (DepthUnits::Relative, _) => "relative inverse depth (larger = nearer)",
            (DepthUnits::AsGiven, _) => "the depth file's values",
        };
        eprintln!(
            "{}: {} depth, {w}×{h}, {units} → {}",
            args.photo.display(),
            exported.source.name(),
            args.out.display()
        );
        Ok(())
    })
}
