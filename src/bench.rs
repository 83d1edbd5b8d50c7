//! `photo3d bench`: seconds per stage, renderer frames per second, video
//! encode time and peak memory for one photo at several sizes, each beside
//! its ratio to the first (960 px) case and the pixel ratio. Depth is given
//! (the classical estimate or a disparity map, read once outside the
//! timings), so the figures measure the pipeline, not the depth source.

use crate::config::Config;
use crate::depth::{classical_depth, depth_from_file, DepthEstimate, DepthKind, HolePolicy};
use crate::error::Error;
use crate::grid::resize_map;
use crate::io::photo::load_photo;
use crate::output::motion::VideoFormats;
use crate::output::video::Mp4Writer;
use crate::pipeline::{build_scene, frame_samples, video_cameras, write_video};
use crate::progress::{Event, Timings};
use crate::render::{Camera, Photo, RenderMesh, Renderer};
use crate::scene::Scene;
use image::imageops::{self, FilterType};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One benchmark size: the photo is resized to `photo_size` (when set) and
/// worked on with the longer side `longer_side`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Case {
    pub photo_size: Option<(u32, u32)>,
    pub longer_side: u32,
}

/// The 960 px case, then with `large` the photo upscaled to 12 MP and 24 MP.
pub fn cases(large: bool) -> Vec<Case> {
    let mut cases = vec![Case {
        photo_size: None,
        longer_side: 960,
    }];
    if large {
        for (w, h) in [(4000, 3000), (6000, 4000)] {
            cases.push(Case {
                photo_size: Some((w, h)),
                longer_side: w.max(h),
            });
        }
    }
    cases
}

/// What one case measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Measurement {
    pub working_size: [u32; 2],
    pub faces: usize,
    /// Triangles the renderer draws (the mesh decimated).
    #[serde(default)]
    pub render_triangles: usize,
    /// Seconds per stage of `build_scene`, in order.
    pub stages: Vec<(String, f64)>,
    /// CPU seconds (all threads) per stage, in the same order.
    pub stage_cpu_seconds: Vec<f64>,
    pub render_frames: usize,
    pub render_seconds: f64,
    pub render_cpu_seconds: f64,
    /// Frames encoded (rendered beforehand, outside the timing) and the
    /// encoder's seconds for them; None when the encoder refuses the size.
    pub encode: Option<(usize, f64)>,
    /// Wall seconds of `write_video` (render and encode) for the first video.
    pub video: Option<(usize, f64)>,
    /// How busy the cores were during `write_video`: CPU seconds of all
    /// threads / wall seconds / worker threads (1 = every core all the time).
    pub video_utilisation: Option<f64>,
    /// Why there is no encode figure.
    pub encode_note: Option<String>,
    /// Frame size of the videos (the encode and video figures are at it).
    #[serde(default)]
    pub video_size: [u32; 2],
    /// Frames rendered at 3840x2560 from the 960 px scene (photo drawn at
    /// that size) and their seconds; only for the 960 px case.
    #[serde(default)]
    pub render_4k: Option<(usize, f64)>,
    /// Peak resident memory in bytes after the scene is built and at the end
    /// (VmHWM of this process); None where /proc is missing.
    pub peak_scene: Option<u64>,
    pub peak_total: Option<u64>,
}

impl Measurement {
    pub fn scene_seconds(&self) -> f64 {
        self.stages.iter().map(|(_, s)| s).sum()
    }

    pub fn fps(&self) -> f64 {
        self.render_frames as f64 / self.render_seconds.max(1e-9)
    }

    pub fn pixels(&self) -> f64 {
        self.working_size[0] as f64 * self.working_size[1] as f64
    }
}

/// The best of several runs of one case, since noise on a shared machine
/// only ever adds time: the stage figures of the run whose scene was built
/// fastest, the least render, encode, video and 4K times (each with its own
/// run's other figures), and the highest peak memory. None without runs.
pub fn best_of(runs: Vec<Measurement>) -> Option<Measurement> {
    let least = |key: &dyn Fn(&Measurement) -> Option<f64>| {
        (runs.iter())
            .filter_map(|m| key(m).map(|k| (k, m)))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, m)| m)
    };
    let scene = least(&|m| Some(m.scene_seconds()))?;
    let render = least(&|m| Some(m.render_seconds))?;
    let per = |figure: Option<(usize, f64)>| figure.map(|(n, s)| s / n.max(1) as f64);
    let encode = least(&|m| per(m.encode)).and_then(|m| m.encode);
    let video = least(&|m| per(m.video));
    let render_4k = least(&|m| per(m.render_4k)).and_then(|m| m.render_4k);
    let most = |key: &dyn Fn(&Measurement) -> Option<u64>| runs.iter().filter_map(key).max();
    Some(Measurement {
        stages: scene.stages.clone(),
        stage_cpu_seconds: scene.stage_cpu_seconds.clone(),
        render_frames: render.render_frames,
        render_seconds: render.render_seconds,
        render_cpu_seconds: render.render_cpu_seconds,
        encode,
        video: video.and_then(|m| m.video),
        video_utilisation: video.and_then(|m| m.video_utilisation),
        render_4k,
        peak_scene: most(&|m| m.peak_scene),
        peak_total: most(&|m| m.peak_total),
        ..scene.clone()
    })
}

/// Runs `case` on `photo` in this process: builds the scene, renders `frames`
/// frames of the first video's path, encodes them and writes that video once.
/// With `depth`, that disparity map (holes filled) instead of the classical estimate.
pub fn measure(
    photo: &Path,
    depth: Option<&Path>,
    case: Case,
    frames: usize,
) -> Result<Measurement, Error> {
    let mut rgb = load_photo(photo)?.rgb;
    let mut depth: DepthEstimate = match depth {
        Some(path) => depth_from_file(
            path,
            DepthKind::Disparity,
            rgb.dimensions(),
            HolePolicy::Fill,
        )?,
        None => classical_depth(&rgb),
    };
    if let Some((w, h)) = case.photo_size {
        rgb = imageops::resize(&rgb, w, h, FilterType::Triangle);
        depth.map = resize_map(&depth.map, w, h);
    }
    let config = Config {
        longer_side_len: case.longer_side,
        num_frames: frames.max(1),
        ..Config::default()
    };
    let mut timings = Timings::default();
    let mut cpu = Vec::new();
    let mut started = 0.0;
    let scene = build_scene(&rgb, &depth, &config, &mut timings, &mut |event| {
        let now = cpu_seconds().unwrap_or(0.0);
        match event {
            Event::Stage(_) => started = now,
            Event::StageDone(..) => cpu.push(now - started),
            Event::Frames { .. } | Event::Warning(_) => {}
        }
    });
    drop((rgb, depth));
    let peak_scene = peak_rss();

    let first = &config.camera_paths()[0];
    let poses = video_cameras(&scene, &config, first, 1.0);
    let samples = config.samples_per_side();
    let mut renderer = Renderer::default();
    let (start, cpu_start) = (Instant::now(), cpu_seconds().unwrap_or(0.0));
    for camera in &poses {
        std::hint::black_box(renderer.render(&scene.render_mesh, camera, samples));
    }
    let render_seconds = start.elapsed().as_secs_f64();
    let render_cpu_seconds = cpu_seconds().unwrap_or(0.0) - cpu_start;

    let (w, h) = scene.video_size;
    let video_poses: Vec<Camera> = poses.iter().map(|c| c.resized(w, h)).collect();
    let video_samples = frame_samples(&scene, &config);
    let path = scratch_path("mp4");
    let (encode, video, video_utilisation, encode_note) =
        match Mp4Writer::create(&path, w, h, config.fps) {
            Ok(mut writer) => {
                let mut encode_seconds = 0.0;
                for camera in &video_poses {
                    let frame = renderer.render(&scene.render_mesh, camera, video_samples);
                    let start = Instant::now();
                    writer.push(&frame)?;
                    encode_seconds += start.elapsed().as_secs_f64();
                }
                let start = Instant::now();
                writer.finish()?;
                encode_seconds += start.elapsed().as_secs_f64();
                let (start, cpu_start) = (Instant::now(), cpu_seconds());
                let dir = scratch_path("d");
                std::fs::create_dir_all(&dir).map_err(|e| Error::output(&dir, e))?;
                let formats = VideoFormats::default();
                write_video(&scene, &config, first, 1.0, formats, &dir, &mut |_| {})?;
                let _ = std::fs::remove_dir_all(&dir);
                let video_seconds = start.elapsed().as_secs_f64();
                let cpu = cpu_seconds().zip(cpu_start).map(|(end, start)| end - start);
                let threads = rayon::current_num_threads() as f64;
                (
                    Some((poses.len(), encode_seconds)),
                    Some((poses.len(), video_seconds)),
                    cpu.map(|cpu| cpu / video_seconds.max(1e-9) / threads),
                    None,
                )
            }
            Err(err) => (None, None, None, Some(err.to_string())),
        };
    // The scratch file is the benchmark's own; a failure to remove it changes no figure.
    let _ = std::fs::remove_file(&path);
    let peak_total = peak_rss();
    let render_4k = match case.photo_size {
        None => Some(render_4k(photo, &scene, &poses, frames.min(24))?),
        Some(_) => None,
    };
    let (ww, wh) = scene.prepared.rgb.dimensions();
    Ok(Measurement {
        working_size: [ww, wh],
        faces: scene.mesh.faces.len(),
        render_triangles: scene.render_mesh.faces.len(),
        stages: timings.0,
        stage_cpu_seconds: cpu,
        render_frames: poses.len(),
        render_seconds,
        render_cpu_seconds,
        encode,
        video,
        video_utilisation,
        encode_note,
        video_size: [w, h],
        render_4k,
        peak_scene,
        peak_total,
    })
}

/// Renders `frames` of `poses` at 3840x2560 from the scene's mesh, with the
/// photo at that size for the surfaces that are the photo; returns the
/// frames and their seconds.
fn render_4k(
    photo: &Path,
    scene: &Scene,
    poses: &[Camera],
    frames: usize,
) -> Result<(usize, f64), Error> {
    let (w, h) = (3840, 2560);
    let rgb = load_photo(photo)?.rgb;
    let photo = Photo {
        working: &scene.prepared.rgb,
        image: imageops::resize(&rgb, w, h, FilterType::Triangle),
    };
    let k = &scene.prepared.intrinsics;
    let mesh = RenderMesh::decimated(&scene.ldi, k, Some(photo));
    let mut renderer = Renderer::default();
    let start = Instant::now();
    for camera in poses.iter().take(frames) {
        std::hint::black_box(renderer.render(&mesh, &camera.resized(w, h), 1));
    }
    Ok((frames.min(poses.len()), start.elapsed().as_secs_f64()))
}

/// A file name in the temp folder unique to this process.
fn scratch_path(ext: &str) -> PathBuf {
    std::env::temp_dir().join(format!("photo3d-bench-{}.{ext}", std::process::id()))
}

/// CPU seconds (user + system, all threads) this process has used, from
/// /proc/self/stat in clock ticks of 1/100 s (Linux's USER_HZ); wall time
/// alone misleads on a machine shared with other work.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    parse_cpu_ticks(&stat).map(|ticks| ticks as f64 / 100.0)
}

/// utime + stime (fields 14 and 15) of a /proc/PID/stat line.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Peak resident set size of this process (VmHWM), in bytes.
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_hwm(&status)
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Frames a video has, to extrapolate partial encode figures to.
pub const VIDEO_FRAMES: usize = 240;

/// The measurements as a table: one row per figure, one column per case,
/// each cell with its ratio to the first case.
pub fn table(results: &[Measurement]) -> String {
    let Some(base) = results.first() else {
        return String::new();
    };
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    let ratio = |v: f64, b: f64| {
        if b > 0.0 {
            format!(" ({:.1}x)", v / b)
        } else {
            String::new()
        }
    };
    let cell = |m: &Measurement, value: Option<f64>, b: Option<f64>, unit: &str, digits: usize| {
        match value {
            None => "n/a".to_string(),
            Some(v) if std::ptr::eq(m, base) => format!("{v:.digits$}{unit}"),
            Some(v) => format!("{v:.digits$}{unit}{}", ratio(v, b.unwrap_or(0.0))),
        }
    };
    rows.push((
        "working size".into(),
        results
            .iter()
            .map(|m| format!("{}x{}", m.working_size[0], m.working_size[1]))
            .collect(),
    ));
    rows.push((
        "megapixels".into(),
        results
            .iter()
            .map(|m| cell(m, Some(m.pixels() / 1e6), Some(base.pixels() / 1e6), "", 2))
            .collect(),
    ));
    for (name, count) in [
        (
            "mesh faces",
            (|m: &Measurement| m.faces) as fn(&Measurement) -> usize,
        ),
        ("render triangles", |m| m.render_triangles),
    ] {
        rows.push((
            name.into(),
            results
                .iter()
                .map(|m| cell(m, Some(count(m) as f64), Some(count(base) as f64), "", 0))
                .collect(),
        ));
    }
    for (k, (name, _)) in base.stages.iter().enumerate() {
        let b = base.stages[k].1;
        rows.push((
            format!("{name} s"),
            results
                .iter()
                .map(|m| cell(m, m.stages.get(k).map(|s| s.1), Some(b), "", 3))
                .collect(),
        ));
    }
    let b = base.scene_seconds();
    rows.push((
        "scene total s".into(),
        results
            .iter()
            .map(|m| cell(m, Some(m.scene_seconds()), Some(b), "", 3))
            .collect(),
    ));
    let cpu_total = |m: &Measurement| m.stage_cpu_seconds.iter().sum::<f64>();
    rows.push((
        "scene total cpu s".into(),
        results
            .iter()
            .map(|m| cell(m, Some(cpu_total(m)), Some(cpu_total(base)), "", 2))
            .collect(),
    ));
    let inpaint_cpu = |m: &Measurement| {
        let k = m.stages.iter().position(|(name, _)| name == "inpaint")?;
        m.stage_cpu_seconds.get(k).copied()
    };
    rows.push((
        "inpaint cpu s".into(),
        results
            .iter()
            .map(|m| cell(m, inpaint_cpu(m), inpaint_cpu(base), "", 2))
            .collect(),
    ));
    let b = base.render_seconds / base.render_frames.max(1) as f64;
    rows.push((
        "render ms/frame".into(),
        results
            .iter()
            .map(|m| {
                let v = m.render_seconds / m.render_frames.max(1) as f64;
                cell(m, Some(v * 1e3), Some(b * 1e3), "", 1)
            })
            .collect(),
    ));
    let per_frame_4k = |m: &Measurement| m.render_4k.map(|(n, s)| s * 1e3 / n.max(1) as f64);
    rows.push((
        "render ms/frame 3840x2560".into(),
        results
            .iter()
            .map(|m| cell(m, per_frame_4k(m), None, "", 1))
            .collect(),
    ));
    rows.push((
        "render frames/s".into(),
        results.iter().map(|m| format!("{:.1}", m.fps())).collect(),
    ));
    let cpu_per_frame = |m: &Measurement| m.render_cpu_seconds / m.render_frames.max(1) as f64;
    rows.push((
        "render cpu ms/frame".into(),
        results
            .iter()
            .map(|m| {
                cell(
                    m,
                    Some(cpu_per_frame(m) * 1e3),
                    Some(cpu_per_frame(base) * 1e3),
                    "",
                    1,
                )
            })
            .collect(),
    ));
    let per_video = |figure: Option<(usize, f64)>| {
        figure.map(|(n, s)| s * VIDEO_FRAMES as f64 / n.max(1) as f64)
    };
    rows.push((
        "video size".into(),
        results
            .iter()
            .map(|m| format!("{}x{}", m.video_size[0], m.video_size[1]))
            .collect(),
    ));
    let b = per_video(base.encode);
    rows.push((
        format!("encode s/{VIDEO_FRAMES} frames"),
        results
            .iter()
            .map(|m| cell(m, per_video(m.encode), b, "", 2))
            .collect(),
    ));
    let b = per_video(base.video);
    rows.push((
        format!("video s/{VIDEO_FRAMES} frames"),
        results
            .iter()
            .map(|m| cell(m, per_video(m.video), b, "", 2))
            .collect(),
    ));
    rows.push((
        "video cores busy %".into(),
        results
            .iter()
            .map(|m| {
                cell(
                    m,
                    m.video_utilisation.map(|u| u * 1e2),
                    base.video_utilisation.map(|u| u * 1e2),
                    "",
                    0,
                )
            })
            .collect(),
    ));
    let mib = |bytes: Option<u64>| bytes.map(|b| b as f64 / (1024.0 * 1024.0));
    rows.push((
        "peak RSS scene MiB".into(),
        results
            .iter()
            .map(|m| cell(m, mib(m.peak_scene), mib(base.peak_scene), "", 0))
            .collect(),
    ));
    rows.push((
        "peak RSS total MiB".into(),
        results
            .iter()
            .map(|m| cell(m, mib(m.peak_total), mib(base.peak_total), "", 0))
            .collect(),
    ));
    let label = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..results.len())
        .map(|c| rows.iter().map(|r| r.1[c].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (name, cells) in &rows {
        out.push_str(&format!("{name:<label$}"));
        for (c, text) in cells.iter().enumerate() {
            out.push_str(&format!("  {text:>width$}", width = widths[c]));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_hwm_is_read_in_bytes() {
        let status = "Name:\tx\nVmPeak:\t  999 kB\nVmHWM:\t    2048 kB\nVmRSS:\t 1 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(2048 * 1024));
        assert_eq!(parse_vm_hwm("Name:\tx\n"), None);
    }

    #[test]
    fn cpu_ticks_skip_a_name_with_spaces() {
        let stat = "42 (a) b) S 1 42 42 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 3 0";
        assert_eq!(parse_cpu_ticks(stat), Some(280));
    }

    #[test]
    fn table_gives_ratios_to_the_first_case() {
        let small = Measurement {
            working_size: [100, 100],
            faces: 10,
            render_triangles: 4,
            stages: vec![("prepare".into(), 1.0)],
            stage_cpu_seconds: vec![2.0],
            render_frames: 10,
            render_seconds: 1.0,
            render_cpu_seconds: 2.0,
            encode: Some((10, 0.5)),
            video: None,
            video_utilisation: None,
            encode_note: None,
            video_size: [100, 100],
            render_4k: Some((2, 0.5)),
            peak_scene: Some(100 << 20),
            peak_total: Some(200 << 20),
        };
        let large = Measurement {
            working_size: [200, 200],
            stages: vec![("prepare".into(), 3.0)],
            encode: None,
            render_4k: None,
            ..small.clone()
        };
        let text = table(&[small.clone(), large]);
        let line = |name: &str| {
            text.lines()
                .find(|l| l.starts_with(name))
                .unwrap()
                .to_string()
        };
        assert!(line("megapixels").ends_with("0.04 (4.0x)"), "{text}");
        assert!(line("prepare s").ends_with("3.000 (3.0x)"), "{text}");
        assert!(line("encode s").ends_with("n/a"), "{text}");
        // 0.5 s for 10 frames is 12 s for a 240-frame video.
        assert!(line("encode s").contains("12.00"), "{text}");
        assert!(line("render ms/frame 3840").contains("250.0"), "{text}");
        assert!(line("render ms/frame 3840").ends_with("n/a"), "{text}");
    }

    #[test]
    fn best_of_takes_each_figure_from_its_fastest_run() {
        let slow_scene = Measurement {
            working_size: [100, 100],
            faces: 10,
            render_triangles: 4,
            stages: vec![("prepare".into(), 2.0), ("mesh".into(), 1.0)],
            stage_cpu_seconds: vec![2.0, 1.0],
            render_frames: 10,
            render_seconds: 1.0,
            render_cpu_seconds: 2.0,
            encode: Some((10, 0.9)),
            video: Some((10, 3.0)),
            video_utilisation: Some(0.9),
            encode_note: None,
            video_size: [100, 100],
            render_4k: None,
            peak_scene: Some(300),
            peak_total: Some(400),
        };
        // Faster scene in total, though one stage was slower.
        let fast_scene = Measurement {
            stages: vec![("prepare".into(), 0.5), ("mesh".into(), 1.5)],
            stage_cpu_seconds: vec![0.6, 1.6],
            render_seconds: 2.0,
            render_cpu_seconds: 3.0,
            encode: Some((10, 0.4)),
            video: Some((10, 4.0)),
            video_utilisation: Some(0.5),
            peak_scene: Some(350),
            peak_total: Some(380),
            ..slow_scene.clone()
        };
        let best = best_of(vec![slow_scene, fast_scene]).unwrap();
        assert_eq!(best.stages[0].1, 0.5);
        assert_eq!(best.stages[1].1, 1.5);
        assert_eq!(best.stage_cpu_seconds, vec![0.6, 1.6]);
        assert_eq!((best.render_seconds, best.render_cpu_seconds), (1.0, 2.0));
        assert_eq!(best.encode, Some((10, 0.4)));
        assert_eq!(
            (best.video, best.video_utilisation),
            (Some((10, 3.0)), Some(0.9))
        );
        assert_eq!((best.peak_scene, best.peak_total), (Some(350), Some(400)));
        assert!(best_of(Vec::new()).is_none());
    }
}
