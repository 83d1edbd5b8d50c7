//! The whole job as plain functions: photo and depth in, scene and files out.
//! Nothing here prints; callers watch progress through `Event`s.

use crate::config::Config;
use crate::depth::chain::{choose_depth, DepthOptions};
use crate::depth::DepthKind;
use crate::depth::{DepthEstimate, DepthOrigin, DepthSource};
use crate::edges::{
    drop_short_edges, find_cuts, link_near_edges, merge_small_surfaces, sharpen_depth,
    snap_cuts_to_colour, CutRule,
};
use crate::error::Error;
use crate::inpaint::{
    border::{extend_frame, synthesize_frame},
    inpaint_layers,
    region::Thickness,
    InpaintParams, InpaintStats,
};
use crate::interrupt;
use crate::io::depth::write_depth_png16;
use crate::io::embedded::gdepth::encode_depth_photo;
use crate::io::photo::load_photo;
use crate::io::staging::StagedDir;
use crate::ldi::Ldi;
use crate::map::FloatMap;
use crate::mesh::{build_mesh, glb::encode_glb, ply::write_ply};
use crate::output::motion::{VideoFormats, VideoSinks};
use crate::output::video::MAX_VIDEO_SIDES;
use crate::output::viewer::{viewer_html, ViewerPath};
use crate::prepare::{prepare, working_size};
use crate::progress::{Event, Timings};
use crate::render::parallax::{safe_scale, Parallax};
use crate::render::path::{CameraPath, Pose};
use crate::render::repeats::FrameReuse;
use crate::render::{dolly_zoom, render, Camera, Photo, RenderMesh, Renderer};
use crate::scene::{Scene, SceneStats};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Everything `run_photo` needs besides the photo.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub config: Config,
    /// Where depth comes from.
    pub depth: DepthOptions,
    /// Also write depth-photo.jpg: the working-size photo with GDepth depth.
    pub write_depth_photo: bool,
    /// Camera paths of the videos; empty means the config's motions.
    pub paths: Vec<CameraPath>,
    pub parallax: Parallax,
    pub formats: VideoFormats,
}

/// What mesh.glb holds, for the report.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct GlbStats {
    pub triangles: usize,
    pub vertices: usize,
    /// Texture atlas size in texels.
    pub atlas: [u32; 2],
    pub bytes: usize,
}

/// Builds the 3D photo from a photo and its depth (the pipeline's core).
pub fn build_scene(
    rgb: &image::RgbImage,
    depth: &DepthEstimate,
    config: &Config,
    timings: &mut Timings,
    observer: &mut dyn FnMut(Event),
) -> Scene {
    let prepared = timings.stage("prepare", observer, |_| {
        prepare(
            rgb,
            &depth.map,
            depth.kind,
            depth.source.origin(),
            config.longer_side_len,
        )
    });
    let (w, h) = (
        prepared.rgb.width() as usize,
        prepared.rgb.height() as usize,
    );
    // A measured map is kept exact: the median sharpening, the slope-blind cut
    // rule and the redrawn colour band all exist to hide a monocular estimate's
    // soft, misplaced edges, and they move or repaint a measured one's true edges.
    let measured = depth.source.origin() == DepthOrigin::Measured;
    let mut sharp = prepared.depth.clone();
    if !measured {
        timings.stage("sharpen", observer, |_| {
            sharpen_depth(
                &mut sharp,
                w,
                h,
                config.depth_threshold,
                &config.filter_size,
                config.sparse_iter,
            )
        });
    }
    let cut_rule = if measured {
        CutRule::Step
    } else {
        CutRule::Jump
    };
    let frame = if config.extrapolate_border {
        config.extrapolation_thickness
    } else {
        0
    };
    let (canvas, cuts, edges) = timings.stage("discontinuities", observer, |_| {
        let mut canvas = extend_frame(&prepared.rgb, &sharp, frame);
        let (cw, ch) = (canvas.width, canvas.height);
        let mut cuts = find_cuts(&canvas.depth, cw, ch, config.depth_threshold, cut_rule);
        if snap_cuts_to_colour(&mut canvas.depth, &canvas.colour, &cuts) > 0 {
            cuts = find_cuts(&canvas.depth, cw, ch, config.depth_threshold, cut_rule);
        }
        merge_small_surfaces(
            &mut canvas.depth,
            &mut cuts,
            config.min_component_size,
            config.depth_threshold,
        );
        let edges = link_near_edges(&canvas.depth, &cuts);
        drop_short_edges(&canvas.depth, &mut cuts, &edges, config.redundant_number);
        let edges = link_near_edges(&canvas.depth, &cuts);
        (canvas, cuts, edges)
    });
    let mut ldi = timings.stage("ldi", observer, |_| {
        Ldi::from_grid(&canvas.depth, &canvas.colour, &canvas.origin, &cuts, frame)
    });
    // The LDI holds all the canvas and cuts say: freed now, their memory
    // serves the later stages instead of fresh pages.
    let cut_links = cuts.count();
    drop((canvas, cuts));
    timings.stage("extrapolate", observer, |_| {
        synthesize_frame(&mut ldi, config.context_thickness)
    });
    let params = InpaintParams {
        first: Thickness {
            background: config.background_thickness,
            context: config.context_thickness,
            band: if measured {
                0
            } else {
                config.depth_edge_dilate
            },
        },
        second: Thickness {
            background: config.background_thickness_2,
            context: config.context_thickness_2,
            band: 0,
        },
        threshold: config.depth_threshold,
        min_curve: config.redundant_number,
        cut_rule,
    };
    let inpaint = timings.stage("inpaint", observer, |_| {
        if config.inpaint {
            inpaint_layers(&mut ldi, &edges, &params)
        } else {
            InpaintStats::default()
        }
    });
    let discontinuities = edges.count;
    drop(edges);
    let size = prepared.rgb.dimensions();
    let video_size = video_frame_size(config, rgb.dimensions());
    // The decimated mesh first: the full mesh's arrays then reuse its
    // scratch instead of adding to it (a 12 MP build's peak is lower).
    let render_mesh = timings.stage("decimate", observer, |_| {
        let photo = photo_for_video(rgb, &prepared.rgb, video_size);
        RenderMesh::decimated(&ldi, &prepared.intrinsics, photo)
    });
    let mesh = timings.stage("mesh", observer, |_| {
        build_mesh(&ldi, &prepared.intrinsics, size)
    });
    let stats = SceneStats {
        cut_links,
        discontinuities,
        inpaint,
        vertices: mesh.positions.len(),
        faces: mesh.faces.len(),
        added_vertices: mesh.added_vertices(),
    };
    Scene {
        prepared,
        sharpened: sharp,
        ldi,
        mesh,
        render_mesh,
        video_size,
        stats,
    }
}

/// The videos' frame size for a photo of `photo` pixels: its own size (never
/// below the working size), or `config.video_size` on the longer side, scaled
/// down to fit h264's largest frame; even sides.
pub fn video_frame_size(config: &Config, photo: (u32, u32)) -> (u32, u32) {
    let own = photo.0.max(photo.1).max(config.longer_side_len);
    let long = config.video_size.unwrap_or(own);
    let (w, h) = working_size(photo.0, photo.1, long);
    let (max_long, max_short) = MAX_VIDEO_SIDES;
    let fit = (f64::from(max_long) / f64::from(w.max(h)))
        .min(f64::from(max_short) / f64::from(w.min(h)))
        .min(1.0);
    let side = |s: u32| ((f64::from(s) * fit) as u32 & !1).max(2);
    (side(w), side(h))
}

/// The photo at the videos' scale, where their frames are larger than the
/// working size (whose frame is its even part).
fn photo_for_video<'a>(
    rgb: &image::RgbImage,
    working: &'a image::RgbImage,
    video: (u32, u32),
) -> Option<Photo<'a>> {
    let (w, h) = working.dimensions();
    let scale = (
        video.0 as f32 / (w & !1).max(1) as f32,
        video.1 as f32 / (h & !1).max(1) as f32,
    );
    if scale.0 <= 1.0 && scale.1 <= 1.0 {
        return None;
    }
    let size = (w as f32 * scale.0, h as f32 * scale.1);
    let (pw, ph) = (size.0.round() as u32, size.1.round() as u32);
    Some(Photo {
        working,
        image: image::imageops::resize(rgb, pw, ph, image::imageops::FilterType::Triangle),
    })
}

/// Samples per pixel side of a video frame: the config's at the working size,
/// fewer where the frame is larger (its pixels are smaller on the mesh).
pub fn frame_samples(scene: &Scene, config: &Config) -> u32 {
    let samples = config.samples_per_side();
    let scale = scene.video_size.0 as f32 / (scene.prepared.rgb.width() & !1).max(1) as f32;
    if scale > 1.0 {
        (samples as f32 / scale).ceil().max(1.0) as u32
    } else {
        samples
    }
}

/// The camera of one frame of a path: the cropped video frame, moved and
/// turned by `pose`, with the path's field of view.
pub fn video_camera(scene: &Scene, config: &Config, path: &CameraPath, pose: &Pose) -> Camera {
    let (w, h) = scene.prepared.rgb.dimensions();
    let base =
        Camera::original(&scene.prepared.intrinsics, w & !1, h & !1).cropped(config.crop_border);
    let zoom = if path.dolly_zoom {
        dolly_zoom(scene.prepared.mean_loc_depth, pose.translation)
    } else if let Some(fov) = pose.fov {
        base.width as f32 / (2.0 * base.fx) / (fov.to_radians() / 2.0).tan()
    } else {
        1.0
    };
    base.posed(pose.translation, zoom).rotated(pose.rotation)
}

/// The cameras of every frame of a path at parallax `scale`.
pub fn video_cameras(scene: &Scene, config: &Config, path: &CameraPath, scale: f32) -> Vec<Camera> {
    path.poses(config.num_frames, config.fps, scale)
        .iter()
        .map(|pose| video_camera(scene, config, path, pose))
        .collect()
}

/// The largest parallax (at most 1) for which no frame of `path` shows a hole.
pub fn safe_parallax(scene: &Scene, config: &Config, path: &CameraPath) -> f32 {
    safe_scale(&scene.render_mesh, &|scale| {
        video_cameras(scene, config, path, scale)
    })
}

/// One video of the run, for report.json.
#[derive(Debug, Clone, Serialize)]
pub struct VideoReport {
    pub name: String,
    /// Multiple of the path's motion used.
    pub parallax: f32,
    /// The largest multiple (up to 1) that leaves no hole in any frame.
    pub safe_parallax: f32,
    pub frames: usize,
    pub files: Vec<String>,
}

/// Most bytes of frame images a video keeps for the later frames that
/// repeat them: at 960x766 the 119 that a swing's second half repeats fit.
const REUSE_BYTES: usize = 256 << 20;

/// Renders `path` at parallax `scale` into the files `formats` asks for in
/// `dir`; returns their names.
#[allow(clippy::too_many_arguments)]
pub fn write_video(
    scene: &Scene,
    config: &Config,
    path: &CameraPath,
    scale: f32,
    formats: VideoFormats,
    dir: &Path,
    observer: &mut dyn FnMut(Event),
) -> Result<Vec<String>, Error> {
    let (w, h) = scene.video_size;
    let cameras: Vec<Camera> = (video_cameras(scene, config, path, scale).iter())
        .map(|camera| camera.resized(w, h))
        .collect();
    let samples = frame_samples(scene, config);
    let (mut sinks, files) = VideoSinks::create(dir, &path.name, (w, h), config.fps, formats)?;
    let mut renderer = Renderer::default();
    let mut reuse = FrameReuse::new(&cameras, REUSE_BYTES);
    // Frame k+1 is rendered while frame k is encoded, as two tasks of the
    // same thread pool: an encoder thread of its own would take a core from
    // the render's bands, and the other core would then wait at the
    // frame's end for the band put off.
    let mut encoding: Option<image::RgbImage> = None;
    for (k, camera) in cameras.iter().enumerate() {
        interrupt::check()?;
        let repeat = reuse.take(k);
        let (encoded, frame) = rayon::join(
            || encoding.take().map_or(Ok(()), |frame| sinks.push(&frame)),
            || repeat.unwrap_or_else(|| renderer.render(&scene.render_mesh, camera, samples)),
        );
        encoded?;
        reuse.offer(k, &frame);
        encoding = Some(frame);
        observer(Event::Frames {
            video: &path.name,
            done: k + 1,
            total: cameras.len(),
        });
    }
    if let Some(frame) = encoding {
        sinks.push(&frame)?;
    }
    sinks.finish()?;
    Ok(files)
}

/// Chooses a path's parallax, warns when a fixed amount exceeds the `safe`
/// one, and writes its video files.
fn write_path(
    scene: &Scene,
    options: &RunOptions,
    path: &CameraPath,
    safe: f32,
    dir: &Path,
    observer: &mut dyn FnMut(Event),
) -> Result<VideoReport, Error> {
    let config = &options.config;
    let parallax = match options.parallax {
        Parallax::Auto => safe,
        Parallax::Amount(amount) => {
            if amount > safe {
                observer(Event::Warning(&format!(
                    "{}: parallax {amount} exceeds the safe {safe:.2}; frames will show filled holes",
                    path.name
                )));
            }
            amount
        }
    };
    let files = write_video(
        scene,
        config,
        path,
        parallax,
        options.formats,
        dir,
        observer,
    )?;
    Ok(VideoReport {
        name: path.name.clone(),
        parallax,
        safe_parallax: safe,
        frames: config.num_frames.max(1),
        files,
    })
}

/// What a run produced, written as report.json.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The photo's path; invalid UTF-8 in it is written as U+FFFD.
    #[serde(serialize_with = "crate::io::serialize_path_lossy")]
    pub photo: PathBuf,
    /// The settings the run used: a re-run with others does not skip it.
    pub settings: Config,
    /// [`RunOptions::digest`] of the run: a re-run with another depth source,
    /// model, path, parallax or format does not skip it either.
    pub options_digest: String,
    pub photo_size: [u32; 2],
    pub working_size: [u32; 2],
    pub depth_source: DepthSource,
    pub depth_kind: DepthKind,
    pub scene: SceneStats,
    pub glb: GlbStats,
    pub timings: Timings,
    pub total_seconds: f64,
    pub outputs: Vec<String>,
    pub videos: Vec<VideoReport>,
    /// Every warning line of the run (e.g. a named model that could not be used).
    pub warnings: Vec<String>,
}

/// Shortest side of the working size that still makes a 3D photo and a video.
pub const MIN_WORKING_SIDE: u32 = 16;

/// Refuses a photo so thin that, scaled to the working size, a side falls
/// under [`MIN_WORKING_SIDE`] (e.g. 4000×3), before any work is spent on it.
fn check_working_size(photo: &Path, size: (u32, u32), config: &Config) -> Result<(), Error> {
    let longer_side = config.longer_side_len;
    let (w, h) = working_size(size.0, size.1, longer_side);
    if w.min(h) >= MIN_WORKING_SIDE {
        return Ok(());
    }
    Err(Error::input(
        photo,
        format!(
            "photo is {}×{}, too thin: at a longer side of {longer_side} px it becomes {w}×{h}, \
             and each side needs at least {MIN_WORKING_SIDE} px",
            size.0, size.1
        ),
    ))
}

/// Loads a photo and its depth from the source the options select.
pub fn load_with_depth(
    photo: &Path,
    options: &RunOptions,
    timings: &mut Timings,
    observer: &mut dyn FnMut(Event),
) -> Result<(image::RgbImage, DepthEstimate), Error> {
    let loaded = timings.stage("load", observer, |_| load_photo(photo))?;
    check_working_size(photo, loaded.rgb.dimensions(), &options.config)?;
    let chosen = timings.stage("depth", observer, |obs| {
        choose_depth(photo, loaded, &options.depth, obs)
    })?;
    Ok(chosen)
}

/// Loads a photo and builds its 3D scene, quietly.
pub fn photo_scene(photo: &Path, options: &RunOptions) -> Result<Scene, Error> {
    let mut timings = Timings::default();
    let (rgb, estimate) = load_with_depth(photo, options, &mut timings, &mut |_| {})?;
    Ok(build_scene(
        &rgb,
        &estimate,
        &options.config,
        &mut timings,
        &mut |_| {},
    ))
}

/// Renders one novel view of a photo's 3D scene: camera centre at −`translation`
/// (scene units, the reference's convention), focal length times `zoom`.
pub fn render_view(
    photo: &Path,
    options: &RunOptions,
    translation: [f32; 3],
    zoom: f32,
) -> Result<image::RgbImage, Error> {
    let scene = photo_scene(photo, options)?;
    let (w, h) = scene.prepared.rgb.dimensions();
    let camera = Camera::original(&scene.prepared.intrinsics, w, h).posed(translation, zoom);
    Ok(render(
        &scene.render_mesh,
        &camera,
        options.config.samples_per_side(),
    ))
}

/// True when `out_dir` holds a finished run: a report.json whose list of
/// outputs is non-empty and names only files (or frame folders) that exist (so a re-run can skip it).
pub fn outputs_complete(out_dir: &Path) -> bool {
    let Ok(bytes) = std::fs::read(out_dir.join("report.json")) else {
        return false;
    };
    let Ok(report) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return false;
    };
    report["outputs"].as_array().is_some_and(|outputs| {
        !outputs.is_empty()
            && outputs.iter().all(|name| {
                name.as_str()
                    .is_some_and(|name| out_dir.join(name).exists())
            })
    })
}

impl RunOptions {
    /// SHA-256 (hex) of everything in these options, settings and depth
    /// options included, in their debug form: equal options give equal digests.
    pub fn digest(&self) -> String {
        crate::models::sha256_hex(format!("{self:?}").as_bytes())
    }
}

/// True when `out_dir` is a folder (not a symlink) whose finished run was of
/// this `photo` with these `options` (a re-run skips only that).
pub fn outputs_complete_for(out_dir: &Path, photo: &Path, options: &RunOptions) -> bool {
    let is_folder = std::fs::symlink_metadata(out_dir).is_ok_and(|m| m.is_dir());
    let report = std::fs::read(out_dir.join("report.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok());
    is_folder
        && outputs_complete(out_dir)
        && report.is_some_and(|report| {
            report["photo"].as_str() == Some(&*photo.to_string_lossy())
                && Config::deserialize(&report["settings"]).is_ok_and(|s| s == options.config)
                && report["options_digest"].as_str() == Some(&options.digest())
        })
}

/// Runs the whole job for one photo and writes `out_dir` (replaced as a whole,
/// and only when every output is complete).
pub fn run_photo(
    photo: &Path,
    out_dir: &Path,
    options: &RunOptions,
    observer: &mut dyn FnMut(Event),
) -> Result<Report, Error> {
    let mut warnings = Vec::new();
    let observer = &mut |event: Event| {
        if let Event::Warning(line) = event {
            warnings.push(line.to_string());
        }
        observer(event)
    };
    let config = &options.config;
    let mut timings = Timings::default();
    let (rgb, estimate) = load_with_depth(photo, options, &mut timings, observer)?;
    interrupt::check()?;
    let scene = build_scene(&rgb, &estimate, config, &mut timings, observer);
    interrupt::check()?;
    let stage = StagedDir::create(out_dir).map_err(|e| Error::output(out_dir, e))?;
    let mut outputs = Vec::new();
    timings.stage("write_depth", observer, |_| {
        let path = stage.path().join("depth.png");
        let disparity =
            FloatMap::from_fn(scene.sharpened.width(), scene.sharpened.height(), |x, y| {
                image::Luma([1.0 / scene.sharpened.get_pixel(x, y)[0]])
            });
        write_depth_png16(&disparity, &path).map_err(Error::from)
    })?;
    outputs.push("depth.png".to_string());
    if options.write_depth_photo {
        timings.stage("write_depth_photo", observer, |_| {
            let path = stage.path().join("depth-photo.jpg");
            let jpeg = encode_depth_photo(&scene.prepared.rgb, &scene.sharpened)
                .map_err(|e| Error::output(&path, e))?;
            std::fs::write(&path, jpeg).map_err(|e| Error::output(&path, e))
        })?;
        outputs.push("depth-photo.jpg".to_string());
    }
    interrupt::check()?;
    timings.stage("write_ply", observer, |_| {
        let path = stage.path().join("mesh.ply");
        let file = std::fs::File::create(&path).map_err(|e| Error::output(&path, e))?;
        let mut out = std::io::BufWriter::new(file);
        write_ply(&scene.mesh, &mut out, config.ascii_ply)
            .and_then(|_| out.flush())
            .map_err(|e| Error::output(&path, e))
    })?;
    outputs.push("mesh.ply".to_string());
    let glb = timings.stage("write_glb", observer, |_| {
        let path = stage.path().join("mesh.glb");
        let k = &scene.prepared.intrinsics;
        let glb = encode_glb(
            &scene.ldi,
            &scene.mesh,
            &scene.render_mesh.atlas,
            k,
            config.glb_triangles,
        )
        .map_err(|e| Error::output(&path, e))?;
        std::fs::write(&path, &glb.bytes).map_err(|e| Error::output(&path, e))?;
        Ok::<_, Error>(glb)
    })?;
    outputs.push("mesh.glb".to_string());
    let paths = if options.paths.is_empty() {
        config.camera_paths()
    } else {
        options.paths.clone()
    };
    let mut videos = Vec::new();
    for path in &paths {
        let safe = timings.stage(&format!("parallax {}", path.name), observer, |_| {
            safe_parallax(&scene, config, path)
        });
        let video = timings.stage(&format!("video {}", path.name), observer, |obs| {
            write_path(&scene, options, path, safe, stage.path(), obs)
        })?;
        outputs.extend(video.files.iter().cloned());
        videos.push(video);
    }
    // The viewer comes after the videos: its drag is limited by their safe
    // parallax, and it plays their paths.
    timings.stage("write_viewer", observer, |_| {
        let path = stage.path().join("viewer.html");
        let title = photo.file_stem().unwrap_or_default().to_string_lossy();
        let safe = videos.iter().map(|v| v.safe_parallax).fold(1.0, f32::min);
        let played: Vec<ViewerPath> = paths
            .iter()
            .zip(&videos)
            .map(|(p, v)| {
                let cameras = video_cameras(&scene, config, p, v.parallax);
                ViewerPath::new(&p.name, config.fps, &cameras, scene.prepared.intrinsics.fx)
            })
            .collect();
        let page = viewer_html(&glb.bytes, &title, safe, &played);
        std::fs::write(&path, page).map_err(|e| Error::output(&path, e))
    })?;
    outputs.push("viewer.html".to_string());
    interrupt::check()?;
    outputs.push("report.json".to_string());
    let (pw, ph) = rgb.dimensions();
    let (ww, wh) = scene.prepared.rgb.dimensions();
    let report = Report {
        photo: photo.to_path_buf(),
        settings: config.clone(),
        options_digest: options.digest(),
        photo_size: [pw, ph],
        working_size: [ww, wh],
        depth_source: estimate.source.clone(),
        depth_kind: estimate.kind,
        scene: scene.stats,
        glb: GlbStats {
            triangles: glb.triangles,
            vertices: glb.vertices,
            atlas: glb.atlas,
            bytes: glb.bytes.len(),
        },
        total_seconds: timings.total(),
        timings,
        outputs,
        videos,
        warnings,
    };
    let json_path = stage.path().join("report.json");
    let json = serde_json::to_string_pretty(&report).map_err(|e| Error::output(&json_path, e))?;
    std::fs::write(&json_path, json).map_err(|e| Error::output(&json_path, e))?;
    stage.commit().map_err(|e| Error::output(out_dir, e))?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn videos_take_the_photos_size_within_h264s_largest_frame() {
        let size = |video_size: Option<u32>, photo: (u32, u32)| {
            let config = Config {
                video_size,
                ..Config::default()
            };
            video_frame_size(&config, photo)
        };
        // 24 MP: the longer side would be 3840, but the shorter must fit 2160.
        assert_eq!(size(None, (6000, 4000)), (3240, 2160));
        assert_eq!(size(None, (3000, 4000)), (2160, 2880));
        assert_eq!(size(None, (3000, 3000)), (2160, 2160));
        assert_eq!(size(None, (1921, 1081)), (1920, 1080));
        // Never below the working size (960 by default).
        assert_eq!(size(None, (600, 400)), (960, 640));
        assert_eq!(size(Some(512), (6000, 4000)), (512, 340));
        assert_eq!(size(Some(3840), (600, 300)), (3840, 1920));
    }
}
