//! Pipeline settings. Keys mirror the reference's `argument.yml` so its users
//! can carry their settings over; unknown keys are an error.

use crate::render::path::{motion_paths, Motion};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Every tunable of the pipeline, with the reference's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Longer side of the working size in pixels.
    pub longer_side_len: u32,
    /// Normalised disparity jump (disparity scaled to [0, 3]) that cuts a link.
    pub depth_threshold: f32,
    /// Rounds of sparse weighted-median depth sharpening.
    pub sparse_iter: usize,
    /// Window size of each sharpening round.
    pub filter_size: Vec<usize>,
    /// Connected surfaces smaller than this many pixels are merged into their surroundings.
    pub min_component_size: usize,
    /// Discontinuity curves of at most this many pixels are dropped.
    pub redundant_number: usize,
    /// Rings of hidden background synthesized behind each discontinuity (pass 1).
    pub background_thickness: usize,
    /// Rings of visible background used as context (pass 1).
    pub context_thickness: usize,
    /// Synthesis rings of the second pass.
    pub background_thickness_2: usize,
    /// Context rings of the second pass.
    pub context_thickness_2: usize,
    /// Context rings next to the edge whose colour is redrawn with the hole (pass 1).
    /// The reference uses 10; 3 removes colour fringes of slightly misplaced depth
    /// edges while keeping accurate ones (10 costs 1.6 dB on `tests/it/eval.rs`).
    pub depth_edge_dilate: usize,
    /// Width of the band kept sharp around continued depth edges.
    pub depth_edge_dilate_2: usize,
    /// Extend the scene beyond the image border so camera motion shows no frame edge.
    pub extrapolate_border: bool,
    /// Width of that extension in pixels.
    pub extrapolation_thickness: usize,
    /// Shape of each video's camera path: `double-straight-line`, `straight-line` or `circle`.
    pub traj_types: Vec<String>,
    /// Per-video camera shift amplitude along x (scene units).
    #[serde(alias = "x_shift")]
    pub x_shift_range: Vec<f32>,
    /// Per-video camera shift amplitude along y.
    #[serde(alias = "y_shift")]
    pub y_shift_range: Vec<f32>,
    /// Per-video camera shift amplitude along z.
    #[serde(alias = "z_shift")]
    pub z_shift_range: Vec<f32>,
    /// Per-video file name; a name containing "dolly" turns on the dolly-zoom field of view.
    pub video_postfix: Vec<String>,
    /// Frames per video.
    pub num_frames: usize,
    /// Video frame rate.
    pub fps: u32,
    /// Fractions cropped from each rendered frame: top, left, bottom, right.
    pub crop_border: [f32; 4],
    /// Longer side of the videos in pixels; unset: the photo's own (or the
    /// working size's, if that is larger). Either
    /// way capped to what h264 takes (3840x2160, either orientation). Above the
    /// working size the surfaces that are the photo itself are drawn from the
    /// photo at this size, so the videos keep its detail.
    pub video_size: Option<u32>,
    /// Supersample frames to suppress flicker on thin structures.
    pub anti_flickering: bool,
    /// Samples per pixel side when `anti_flickering` is on.
    pub supersample: u32,
    /// Write the PLY as ASCII instead of binary.
    pub ascii_ply: bool,
    /// Synthesize the background hidden behind discontinuities (off only for comparisons).
    pub inpaint: bool,
    /// Triangle budget of mesh.glb; flat regions are merged until it is met.
    pub glb_triangles: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            longer_side_len: 960,
            depth_threshold: 0.04,
            sparse_iter: 5,
            filter_size: vec![7, 7, 5, 5, 5],
            min_component_size: 200,
            redundant_number: 12,
            background_thickness: 70,
            context_thickness: 140,
            background_thickness_2: 70,
            context_thickness_2: 70,
            depth_edge_dilate: 3,
            depth_edge_dilate_2: 5,
            extrapolate_border: true,
            extrapolation_thickness: 60,
            traj_types: vec![
                "double-straight-line".into(),
                "double-straight-line".into(),
                "circle".into(),
                "circle".into(),
            ],
            x_shift_range: vec![0.0, 0.0, -0.015, -0.015],
            y_shift_range: vec![0.0, 0.0, -0.015, 0.0],
            z_shift_range: vec![-0.05; 4],
            video_postfix: vec![
                "dolly-zoom-in".into(),
                "zoom-in".into(),
                "circle".into(),
                "swing".into(),
            ],
            num_frames: 240,
            fps: 40,
            crop_border: [0.03, 0.03, 0.05, 0.03],
            video_size: None,
            anti_flickering: true,
            supersample: 2,
            ascii_ply: false,
            inpaint: true,
            glb_triangles: crate::mesh::glb::DEFAULT_TRIANGLES,
        }
    }
}

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read config: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// Why configuration text is unusable, without the file name (one line).
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// Not TOML, or keys and types that are not the configuration's.
    #[error("{0}")]
    Syntax(String),
    /// Values that would make the pipeline meaningless.
    #[error("{0}")]
    Invalid(String),
}

impl Config {
    /// The video motions as camera paths (the presets `photo3d config --paths` prints).
    pub fn camera_paths(&self) -> Vec<crate::render::path::CameraPath> {
        let motions: Vec<Motion> = (0..self.traj_types.len())
            .map(|i| Motion {
                kind: &self.traj_types[i],
                shift: [
                    self.x_shift_range[i],
                    self.y_shift_range[i],
                    self.z_shift_range[i],
                ],
                name: &self.video_postfix[i],
            })
            .collect();
        motion_paths(&motions)
    }

    /// Reads a TOML config; missing keys keep their defaults.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        let config = Config::from_toml(&text).map_err(|e| ConfigError::Parse {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        config.validate().map_err(|e| ConfigError::Invalid {
            path: shown,
            message: e.to_string(),
        })?;
        Ok(config)
    }

    /// Parses TOML text; the error is one line (TOML's own report spans several).
    pub fn from_toml(text: &str) -> Result<Config, SettingsError> {
        toml::from_str(text)
            .map_err(|e| {
                let message = e.message().trim().to_string();
                match e.span() {
                    Some(span) => {
                        let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                        format!("line {line}: {message}")
                    }
                    None => message,
                }
            })
            .map_err(SettingsError::Syntax)
    }

    /// The defaults as commented TOML, for `photo3d config`.
    pub fn default_toml() -> String {
        let body = toml::to_string(&Config::default()).unwrap_or_default();
        format!("# photo3d configuration (keys follow the reference's argument.yml)\n{body}")
    }

    /// Checks values that would make the pipeline meaningless.
    pub fn validate(&self) -> Result<(), SettingsError> {
        self.check().map_err(SettingsError::Invalid)
    }

    /// `validate` with the reason as text.
    fn check(&self) -> Result<(), String> {
        let videos = self.traj_types.len();
        let lists = [
            ("x_shift_range", self.x_shift_range.len()),
            ("y_shift_range", self.y_shift_range.len()),
            ("z_shift_range", self.z_shift_range.len()),
            ("video_postfix", self.video_postfix.len()),
        ];
        for (name, len) in lists {
            if len != videos {
                return Err(format!(
                    "{name} has {len} entries but traj_types has {videos}"
                ));
            }
        }
        for kind in &self.traj_types {
            if !matches!(
                kind.as_str(),
                "double-straight-line" | "straight-line" | "circle"
            ) {
                return Err(format!(
                    "unknown traj_types entry '{kind}' (expected double-straight-line, straight-line or circle)"
                ));
            }
        }
        if !(16..=16384).contains(&self.longer_side_len) {
            return Err(format!(
                "longer_side_len {} is outside 16..=16384",
                self.longer_side_len
            ));
        }
        if let Some(size) = self.video_size {
            let longest = crate::output::video::MAX_VIDEO_SIDES.0;
            if !(16..=longest).contains(&size) {
                return Err(format!(
                    "video_size {size} is outside 16..={longest} (h264's largest)"
                ));
            }
        }
        for name in &self.video_postfix {
            check_file_stem(name).map_err(|why| format!("video_postfix \"{name}\" {why}"))?;
        }
        if !(self.depth_threshold > 0.0 && self.depth_threshold.is_finite()) {
            return Err("depth_threshold must be a positive number".into());
        }
        if self.filter_size.iter().any(|&k| k == 0 || k > 63) {
            return Err("filter_size entries must be in 1..=63".into());
        }
        if self.fps == 0 || self.fps > 240 {
            return Err(format!("fps {} is outside 1..=240", self.fps));
        }
        if self.num_frames == 0 || self.num_frames > 100_000 {
            return Err(format!(
                "num_frames {} is outside 1..=100000",
                self.num_frames
            ));
        }
        if self.crop_border.iter().any(|c| !(0.0..0.45).contains(c)) {
            return Err("crop_border fractions must be in [0, 0.45)".into());
        }
        if self.glb_triangles < 2 {
            return Err("glb_triangles must be at least 2".into());
        }
        if !(1..=4).contains(&self.supersample) {
            return Err("supersample must be 1..=4".into());
        }
        Ok(())
    }

    /// Samples per pixel side actually used by the renderer.
    pub fn samples_per_side(&self) -> u32 {
        if self.anti_flickering {
            self.supersample
        } else {
            1
        }
    }
}

/// Refuses a name that is not a plain file name (a separator, `.`/`..`, a
/// leading dot, a control character): video names are joined to OUT/<photo>.
pub fn check_file_stem(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("is empty".into());
    }
    if name.contains(['/', '\\']) || name.chars().any(char::is_control) {
        return Err("is not a plain file name (no separators or control characters)".into());
    }
    if name.starts_with('.') {
        return Err("starts with a dot".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_reproduce_the_reference_motions_exactly() {
        let config = Config::default();
        let text = crate::render::path::PathFile {
            paths: config.camera_paths(),
        }
        .to_toml();
        let read = crate::render::path::PathFile::parse(&text).unwrap();
        assert_eq!(read.paths.len(), 4);
        for (i, path) in read.paths.iter().enumerate() {
            let shift = [
                config.x_shift_range[i],
                config.y_shift_range[i],
                config.z_shift_range[i],
            ];
            let old = crate::render::camera::trajectory(&config.traj_types[i], shift, 240);
            let new = path.poses(240, 40, 1.0);
            for (k, (t, pose)) in old.iter().zip(&new).enumerate() {
                // Within a few roundings of single precision at the shifts' size.
                for (want, got) in t.iter().zip(pose.translation) {
                    assert!(
                        (want - f64::from(got)).abs() <= 2e-8,
                        "{} frame {k}: {t:?} against {:?}",
                        path.name,
                        pose.translation
                    );
                }
                assert_eq!(pose.rotation, crate::render::camera::IDENTITY);
            }
        }
        assert!(read.paths[0].dolly_zoom && !read.paths[1].dolly_zoom);
    }

    #[test]
    fn default_round_trips_through_toml() {
        let text = Config::default_toml();
        let parsed = Config::from_toml(&text).expect("default parses");
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Config::from_toml("fps = 30\nbogus_key = 3\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("bogus_key"), "{err}");
        assert!(err.starts_with("line 2"), "{err}");
        assert!(!err.contains('\n'));
    }

    #[test]
    fn partial_file_keeps_defaults_and_aliases_work() {
        let c = Config::from_toml("fps = 30\nx_shift = [0.1, 0.0, 0.0, 0.0]\n").unwrap();
        assert_eq!(c.fps, 30);
        assert_eq!(c.x_shift_range[0], 0.1);
        assert_eq!(c.num_frames, 240);
    }

    #[test]
    fn mismatched_lists_are_invalid() {
        let c = Config {
            video_postfix: vec!["a".into()],
            ..Config::default()
        };
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("video_postfix"));
    }

    #[test]
    fn video_names_outside_the_folder_are_refused() {
        for bad in [
            "../../escaped",
            "/tmp/x",
            "a/b",
            "..",
            ".hidden",
            "a\\b",
            "",
            "a\nb",
        ] {
            let mut c = Config::default();
            c.video_postfix[0] = bad.into();
            let err = c.validate().unwrap_err().to_string();
            assert!(err.contains("video_postfix"), "{bad:?}: {err}");
        }
        let mut c = Config::default();
        c.video_postfix[0] = "dolly-zoom-in v2".into();
        assert!(c.validate().is_ok());
    }

    #[test]
    fn video_size_is_held_to_what_h264_takes() {
        for (size, ok) in [
            (None, true),
            (Some(16), true),
            (Some(3840), true),
            (Some(8), false),
            (Some(3841), false),
        ] {
            let c = Config {
                video_size: size,
                ..Config::default()
            };
            assert_eq!(c.validate().is_ok(), ok, "{size:?}");
        }
        // The working size is no longer tied to the videos' size.
        let large = Config {
            longer_side_len: 6000,
            ..Config::default()
        };
        assert!(large.validate().is_ok());
    }
}
