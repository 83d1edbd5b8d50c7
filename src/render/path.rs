//! Camera paths a user can write: keyframes of camera position, view direction
//! and field of view, eased between keys, read from and written to TOML. The
//! reference's four motions are presets in the same form, so one can be copied
//! and changed.

use super::camera::IDENTITY;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// How a key's values blend into the next key's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Easing {
    #[default]
    Linear,
    /// Smoothstep: starts and stops gently at each key.
    Smooth,
}

/// A periodic offset of the camera centre (the reference's `circle`): at
/// s = start + span·k/N, (r₀ cos πs, r₁ sin πs, r₂ cos(πs/2)); the endpoint is
/// excluded, so the loop closes seamlessly.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Orbit {
    pub radius: [f32; 3],
    #[serde(default = "orbit_start")]
    pub start: f32,
    #[serde(default = "orbit_span")]
    pub span: f32,
}

fn orbit_start() -> f32 {
    -2.0
}

fn orbit_span() -> f32 {
    4.0
}

/// One keyframe. Keys without `frame` or `time` are spread evenly over the
/// video. Angles are in degrees; +x is right, +y down, +z forward (scene units).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Key {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame: Option<f32>,
    /// Seconds from the start (frame = time·fps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<f32>,
    /// Camera centre.
    #[serde(default)]
    pub position: [f32; 3],
    /// A point the camera looks at; replaces yaw and pitch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub look_at: Option<[f32; 3]>,
    /// Turn to the right.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub yaw: f32,
    /// Tilt up.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pitch: f32,
    /// Turn clockwise on screen.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub roll: f32,
    /// Horizontal field of view in degrees (default: the photo's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fov: Option<f32>,
}

fn is_zero(v: &f32) -> bool {
    *v == 0.0
}

/// A named camera path: one video.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraPath {
    /// Video file name without extension.
    pub name: String,
    #[serde(default)]
    pub easing: Easing,
    /// The last frame flows into the first (the last key blends back to the first).
    #[serde(default, rename = "loop")]
    pub looped: bool,
    /// The field of view keeps the mean-depth plane the same size as the camera moves in z.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dolly_zoom: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orbit: Option<Orbit>,
    #[serde(default, rename = "key")]
    pub keys: Vec<Key>,
}

/// Paths as a TOML file holds them: `[[path]]` tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathFile {
    #[serde(rename = "path")]
    pub paths: Vec<CameraPath>,
}

/// A path file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    #[error("{path}: cannot read camera paths: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: invalid camera paths: {message}")]
    Invalid { path: String, message: String },
}

/// Where the camera is in one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pose {
    /// Camera centre at −translation (the renderer's convention).
    pub translation: [f32; 3],
    /// World-to-camera rotation.
    pub rotation: [[f32; 3]; 3],
    /// Horizontal field of view in degrees, when a key sets one.
    pub fov: Option<f32>,
}

/// A key reduced to numbers that blend: centre, yaw/pitch/roll (degrees), fov.
#[derive(Debug, Clone, Copy)]
struct State {
    frame: f32,
    centre: [f32; 3],
    angles: [f32; 3],
    fov: Option<f32>,
}

impl PathFile {
    /// Reads `[[path]]` tables from a TOML file and checks them.
    pub fn read(path: &Path) -> Result<PathFile, PathError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| PathError::Read {
            path: shown.clone(),
            source,
        })?;
        PathFile::parse(&text).map_err(|message| PathError::Invalid {
            path: shown,
            message,
        })
    }

    /// Parses and checks TOML text; the message is one line.
    pub fn parse(text: &str) -> Result<PathFile, String> {
        let file: PathFile = toml::from_str(text).map_err(|e| one_line(&e.to_string()))?;
        file.paths.iter().try_for_each(CameraPath::check)?;
        Ok(file)
    }

    /// The paths as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl CameraPath {
    /// Rejects what cannot make a video: a file name that leaves the output
    /// folder, a path with nothing in it, keys partly timed, values not finite.
    pub fn check(&self) -> Result<(), String> {
        let name = &self.name;
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(format!("path name {name:?} is not a plain file name"));
        }
        if self.keys.is_empty() && self.orbit.is_none() {
            return Err(format!("path {name} has neither keys nor an orbit"));
        }
        let timed = self
            .keys
            .iter()
            .filter(|k| k.frame.is_some() || k.time.is_some())
            .count();
        if timed != 0 && timed != self.keys.len() {
            return Err(format!(
                "path {name}: either every key has a frame or time, or none does"
            ));
        }
        let finite = self.keys.iter().all(|k| {
            let mut values = vec![k.yaw, k.pitch, k.roll];
            values.extend(k.position);
            values.extend(k.look_at.into_iter().flatten());
            values.extend(k.frame.into_iter().chain(k.time).chain(k.fov));
            values.iter().all(|v| v.is_finite())
        });
        if !finite
            || self
                .keys
                .iter()
                .any(|k| k.fov.is_some_and(|f| f <= 0.0 || f >= 179.0))
        {
            return Err(format!(
                "path {name} has a value that is not finite or a fov outside (0, 179)"
            ));
        }
        Ok(())
    }

    /// The camera of each of `frames` frames at `fps`; the centre's offsets
    /// are multiplied by `scale` (the parallax amount; 1 leaves them exact).
    pub fn poses(&self, frames: usize, fps: u32, scale: f32) -> Vec<Pose> {
        let n = frames.max(1);
        let states = self.states(n, fps);
        (0..n)
            .map(|k| {
                let s = self.blend(&states, k, n);
                let mut centre = s.centre;
                if let Some(orbit) = self.orbit {
                    let o = orbit_offset(&orbit, k, n);
                    centre = if self.keys.is_empty() {
                        o
                    } else {
                        [0, 1, 2].map(|i| centre[i] + o[i])
                    };
                }
                Pose {
                    translation: centre.map(|c| -(c * scale)),
                    rotation: rotation(s.angles),
                    fov: s.fov,
                }
            })
            .collect()
    }

    /// Keys as blendable states, each on its frame.
    fn states(&self, n: usize, fps: u32) -> Vec<State> {
        let count = self.keys.len();
        // Evenly spread keys end on the last frame, or for a loop one step before the first again.
        let spread = if self.looped { n } else { n - 1 } as f32;
        self.keys
            .iter()
            .enumerate()
            .map(|(i, key)| {
                let even = if count > 1 {
                    let steps = if self.looped { count } else { count - 1 };
                    i as f32 * spread / steps as f32
                } else {
                    0.0
                };
                let frame = key
                    .frame
                    .or(key.time.map(|t| t * fps as f32))
                    .unwrap_or(even);
                State {
                    frame,
                    centre: key.position,
                    angles: key_angles(key),
                    fov: key.fov,
                }
            })
            .collect()
    }

    /// The state at frame `k`: between the keys around it, eased.
    fn blend(&self, states: &[State], k: usize, n: usize) -> State {
        let Some(first) = states.first() else {
            return State {
                frame: 0.0,
                centre: [0.0; 3],
                angles: [0.0; 3],
                fov: None,
            };
        };
        let f = k as f32;
        let next = states.iter().position(|s| s.frame > f);
        let (a, b, span_end) = match next {
            Some(0) => return *first,
            Some(j) => (states[j - 1], states[j], states[j].frame),
            None if self.looped && states.len() > 1 => {
                let last = states[states.len() - 1];
                (last, *first, first.frame + n as f32)
            }
            None => return states[states.len() - 1],
        };
        let width = span_end - a.frame;
        if width <= 0.0 {
            return a;
        }
        let u = (f - a.frame) / width;
        let u = match self.easing {
            Easing::Linear => u,
            Easing::Smooth => u * u * (3.0 - 2.0 * u),
        };
        State {
            frame: f,
            centre: [0, 1, 2].map(|i| lerp(a.centre[i], b.centre[i], u)),
            angles: [0, 1, 2].map(|i| lerp(a.angles[i], b.angles[i], u)),
            fov: match (a.fov, b.fov) {
                (Some(x), Some(y)) => Some(lerp(x, y, u)),
                (x, y) => x.or(y),
            },
        }
    }
}

/// Blends about the midpoint, ((a + b) + (b − a)(2u − 1))/2: for keys ±p this
/// is p(2u − 1) exactly, the reference's double straight line.
fn lerp(a: f32, b: f32, u: f32) -> f32 {
    ((a + b) + (b - a) * (2.0 * u - 1.0)) * 0.5
}

fn orbit_offset(orbit: &Orbit, k: usize, n: usize) -> [f32; 3] {
    // Measured from the middle of the span, so that frames k and n − k of an
    // orbit centred on 0 (the reference's) get exactly opposite angles: a
    // swing's second half then repeats its first exactly.
    let middle = orbit.start + 0.5 * orbit.span;
    let s = middle + orbit.span * (2 * k as i64 - n as i64) as f32 / (2 * n) as f32;
    let pi = std::f32::consts::PI;
    let r = orbit.radius;
    [
        r[0] * (pi * s).cos(),
        r[1] * (pi * s).sin(),
        r[2] * (pi * s / 2.0).cos(),
    ]
}

/// Yaw, pitch and roll of a key; a look-at point sets yaw and pitch.
fn key_angles(key: &Key) -> [f32; 3] {
    match key.look_at {
        Some(target) => {
            let d = [0, 1, 2].map(|i| target[i] - key.position[i]);
            let yaw = d[0].atan2(d[2]).to_degrees();
            let pitch = (-d[1]).atan2(d[0].hypot(d[2])).to_degrees();
            [yaw, pitch, key.roll]
        }
        None => [key.yaw, key.pitch, key.roll],
    }
}

/// World-to-camera rotation (rows: right, down, forward) for yaw (right),
/// pitch (up) and roll (clockwise), in degrees; zero angles give the identity.
pub fn rotation(angles: [f32; 3]) -> [[f32; 3]; 3] {
    if angles == [0.0; 3] {
        return IDENTITY;
    }
    let [yaw, pitch, roll] = angles.map(f32::to_radians);
    let (sy, cy) = yaw.sin_cos();
    let (sp, cp) = pitch.sin_cos();
    let (sr, cr) = roll.sin_cos();
    let right = [cy, 0.0, -sy];
    let down = [sy * sp, cp, cy * sp];
    let forward = [sy * cp, -sp, cy * cp];
    [
        [0, 1, 2].map(|i| right[i] * cr - down[i] * sr),
        [0, 1, 2].map(|i| down[i] * cr + right[i] * sr),
        forward,
    ]
}

/// One motion as the reference's settings list it: trajectory type, camera
/// translation t (the camera centre is −t) and video name.
pub struct Motion<'a> {
    pub kind: &'a str,
    pub shift: [f32; 3],
    pub name: &'a str,
}

/// The reference's motions as paths (see `Config::camera_paths`).
pub fn motion_paths(motions: &[Motion]) -> Vec<CameraPath> {
    motions
        .iter()
        .map(|motion| {
            let centre = motion.shift.map(|t| -t);
            let key = |position| Key {
                position,
                ..Key::default()
            };
            let (keys, orbit, looped) = match motion.kind {
                "circle" => (
                    Vec::new(),
                    Some(Orbit {
                        radius: centre,
                        start: orbit_start(),
                        span: orbit_span(),
                    }),
                    true,
                ),
                "straight-line" => (vec![key([0.0; 3]), key(centre)], None, false),
                _ => (vec![key(centre.map(|c| -c)), key(centre)], None, false),
            };
            CameraPath {
                name: motion.name.to_string(),
                easing: Easing::Linear,
                looped,
                dolly_zoom: motion.name.contains("dolly"),
                orbit,
                keys,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ease_and_loops_close() {
        let text = r#"
            [[path]]
            name = "look"
            easing = "smooth"
            loop = true
            [[path.key]]
            frame = 0
            position = [0.0, 0.0, 0.0]
            [[path.key]]
            frame = 5
            position = [1.0, 0.0, 0.0]
            yaw = 10
        "#;
        let path = &PathFile::parse(text).unwrap().paths[0];
        let poses = path.poses(10, 10, 1.0);
        assert_eq!(poses[5].translation[0], -1.0);
        // Smoothstep at u = 0.2 is 0.104; the loop blends frame 9 back towards frame 0.
        assert!((poses[1].translation[0] + 0.104).abs() < 1e-5);
        assert!((poses[9].translation[0] - poses[1].translation[0]).abs() < 1e-5);
        let yaw = poses[5].rotation[2][0].asin().to_degrees();
        assert!((yaw - 10.0).abs() < 1e-3, "{yaw}");
        // Half the parallax halves the offsets.
        assert_eq!(path.poses(10, 10, 0.5)[5].translation[0], -0.5);
    }

    /// Mean column of the pixels a small white square at depth 4 covers.
    fn square_column(rotation: [[f32; 3]; 3]) -> f32 {
        use crate::mesh::Mesh;
        use crate::render::raster::render_over;
        use crate::render::RenderMesh;
        let h = 0.2;
        let mesh = Mesh {
            labels: vec![1; 4],
            positions: vec![[-h, -h, 4.0], [h, -h, 4.0], [-h, h, 4.0], [h, h, 4.0]],
            colours: vec![[255; 3]; 4],
            faces: vec![[0, 2, 1], [1, 2, 3]],
            width: 80,
            height: 40,
            hfov: 1.0,
            vfov: 1.0,
        };
        let camera = crate::render::Camera {
            width: 80,
            height: 40,
            fx: 40.0,
            fy: 40.0,
            cx: 40.0,
            cy: 20.0,
            translation: [0.0; 3],
            rotation,
        };
        let img = render_over(&RenderMesh::coloured(&mesh), &camera, 3, [0; 3]);
        let (mut sum, mut count) = (0.0, 0.0);
        for (x, _, p) in img.enumerate_pixels() {
            let weight = f32::from(p[0]) / 255.0;
            sum += weight * (x as f32 + 0.5);
            count += weight;
        }
        sum / count
    }

    #[test]
    fn a_rotation_only_path_moves_the_image_as_the_rotation_predicts() {
        let path = CameraPath {
            name: "pan".into(),
            easing: Easing::Linear,
            looped: false,
            dolly_zoom: false,
            orbit: None,
            keys: vec![
                Key::default(),
                Key {
                    yaw: 0.25f32.atan().to_degrees(),
                    ..Key::default()
                },
            ],
        };
        let poses = path.poses(3, 10, 1.0);
        assert!(poses.iter().all(|p| p.translation == [0.0; 3]));
        let still = square_column(poses[0].rotation);
        assert!((still - 40.0).abs() < 0.05, "{still}");
        // Turning right by atan(1/4) moves the centre left by fx/4 = 10 px; halfway, by fx·tan(θ/2).
        let turned = square_column(poses[2].rotation);
        assert!((turned - 30.0).abs() < 0.2, "{turned}");
        let half = 40.0 - 40.0 * (0.25f32.atan() / 2.0).tan();
        let mid = square_column(poses[1].rotation);
        assert!((mid - half).abs() < 0.2, "{mid} vs {half}");
    }

    #[test]
    fn look_at_points_the_forward_axis() {
        let key = Key {
            position: [0.0, 0.0, 0.0],
            look_at: Some([1.0, -1.0, 1.0]),
            ..Key::default()
        };
        let r = rotation(key_angles(&key));
        let n = 3f32.sqrt();
        for (got, want) in r[2].iter().zip([1.0 / n, -1.0 / n, 1.0 / n]) {
            assert!((got - want).abs() < 1e-5, "{:?}", r[2]);
        }
    }

    #[test]
    fn a_swing_passes_every_pose_twice_and_a_circle_does_not() {
        let paths = crate::config::Config::default().camera_paths();
        let path = |name: &str| paths.iter().find(|p| p.name == name).unwrap();
        let n = 240;
        let swing = path("swing").poses(n, 40, 0.7);
        let circle = path("circle").poses(n, 40, 0.7);
        for k in 1..n / 2 {
            assert_eq!(swing[k], swing[n - k], "frame {k}");
            assert_ne!(circle[k], circle[n - k], "frame {k}");
        }
        // The angle still runs over the reference's s = −2 + 4k/n.
        let s = -2.0 + 4.0 * 30.0 / n as f32;
        let x = circle[30].translation[0] / 0.7;
        assert!((x - 0.015 * (std::f32::consts::PI * s).cos()).abs() < 1e-7);
    }

    #[test]
    fn bad_paths_are_one_line_errors() {
        for text in [
            "[[path]]\nname = \"../x\"\n[[path.key]]\n",
            "[[path]]\nname = \"x\"\n",
            "[[path]]\nname = \"x\"\n[[path.key]]\nframe = 1\n[[path.key]]\n",
            "[[path]]\nname = \"x\"\n[[path.key]]\nfov = 200\n",
            "[[path]]\nname = \"x\"\nspeed = 2\n",
        ] {
            let err = PathFile::parse(text).unwrap_err();
            assert!(!err.contains('\n'), "{err}");
        }
    }
}
