//! Camera poses: intrinsics, crop, translation, rotation and the dolly zoom.

use crate::prepare::Intrinsics;

/// A pinhole view of the mesh: camera centre at −`translation` (the reference's
/// convention), a world-to-camera `rotation` (rows: right, down, forward), and
/// pixel intrinsics of the output image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    pub width: u32,
    pub height: u32,
    pub fx: f32,
    pub fy: f32,
    pub cx: f32,
    pub cy: f32,
    pub translation: [f32; 3],
    pub rotation: [[f32; 3]; 3],
}

/// The rotation that leaves the photo's own viewing direction.
pub const IDENTITY: [[f32; 3]; 3] = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

impl Camera {
    /// The photo's own camera at the working size; renders the input photo back.
    pub fn original(k: &Intrinsics, width: u32, height: u32) -> Camera {
        Camera {
            width,
            height,
            fx: k.fx,
            fy: k.fy,
            cx: k.cx,
            cy: k.cy,
            translation: [0.0; 3],
            rotation: IDENTITY,
        }
    }

    /// The same view in a frame of `width`×`height` pixels.
    pub fn resized(&self, width: u32, height: u32) -> Camera {
        let sx = width as f32 / self.width.max(1) as f32;
        let sy = height as f32 / self.height.max(1) as f32;
        Camera {
            width,
            height,
            fx: self.fx * sx,
            fy: self.fy * sy,
            cx: self.cx * sx,
            cy: self.cy * sy,
            ..*self
        }
    }

    /// The same camera turned by the world-to-camera `rotation`.
    pub fn rotated(&self, rotation: [[f32; 3]; 3]) -> Camera {
        Camera { rotation, ..*self }
    }

    /// Camera moved to centre −`t`, with focal length scaled by `zoom` about the principal point.
    pub fn posed(&self, t: [f32; 3], zoom: f32) -> Camera {
        Camera {
            fx: self.fx * zoom,
            fy: self.fy * zoom,
            translation: t,
            ..*self
        }
    }

    /// Crops fractions [top, left, bottom, right] and stretches the rest back
    /// to the full size, as the reference does after rendering; done here in the
    /// camera so no resampling blur is added.
    pub fn cropped(&self, crop: [f32; 4]) -> Camera {
        let (w, h) = (self.width as f32, self.height as f32);
        let top = (crop[0] * h).floor();
        let left = (crop[1] * w).floor();
        let bottom = (crop[2] * h).floor();
        let right = (crop[3] * w).floor();
        let sx = w / (w - left - right).max(1.0);
        let sy = h / (h - top - bottom).max(1.0);
        Camera {
            fx: self.fx * sx,
            fy: self.fy * sy,
            cx: (self.cx - left) * sx,
            cy: (self.cy - top) * sy,
            ..*self
        }
    }
}

/// Translations t_k of one of the reference's paths with amplitude `shift`:
/// the reference's own formulas in its double precision, which the path
/// presets must reproduce.
#[cfg(test)]
pub(crate) fn trajectory(kind: &str, shift: [f32; 3], frames: usize) -> Vec<[f64; 3]> {
    let n = frames.max(1);
    let shift = shift.map(f64::from);
    (0..n)
        .map(|k| match kind {
            "circle" => {
                let s = -2.0 + 4.0 * k as f64 / n as f64;
                let pi = std::f64::consts::PI;
                [
                    shift[0] * (pi * s).cos(),
                    shift[1] * (pi * s).sin(),
                    shift[2] * (pi * s / 2.0).cos(),
                ]
            }
            "straight-line" => {
                let a = if n > 1 {
                    k as f64 / (n - 1) as f64
                } else {
                    0.0
                };
                shift.map(|p| a * p)
            }
            _ => {
                let a = if n > 1 {
                    2.0 * k as f64 / (n - 1) as f64 - 1.0
                } else {
                    0.0
                };
                shift.map(|p| a * p)
            }
        })
        .collect()
}

/// Focal-length factor of the dolly zoom: keeps the plane at `focus_depth`
/// the same size while the camera moves along z (reference: fov_k from
/// tan(fov0/2)·|d| / |d − C_z|).
pub fn dolly_zoom(focus_depth: f32, translation: [f32; 3]) -> f32 {
    let camera_z = -translation[2];
    let d = focus_depth.abs().max(1e-6);
    ((d - camera_z).abs() / d).max(1e-3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_line_runs_from_minus_to_plus() {
        let t = trajectory("double-straight-line", [0.0, 0.0, -0.05], 240);
        assert_eq!(t.len(), 240);
        assert!((t[0][2] - 0.05).abs() < 1e-6 && (t[239][2] + 0.05).abs() < 1e-6);
    }

    #[test]
    fn circle_excludes_endpoint_and_loops_twice() {
        let t = trajectory("circle", [-0.015, -0.015, -0.05], 240);
        assert!((t[0][0] + 0.015).abs() < 1e-6, "{:?}", t[0]);
        // Two x/y loops: frame 120 repeats frame 0 in x and y, z is opposite.
        assert!((t[120][0] - t[0][0]).abs() < 1e-5 && (t[120][1] - t[0][1]).abs() < 1e-5);
        assert!((t[120][2] + t[0][2]).abs() < 1e-5);
    }

    #[test]
    fn dolly_zoom_keeps_focus_plane_size() {
        // Camera moves forward by 0.5 towards a plane at depth 2: its distance becomes 1.5.
        let zoom = dolly_zoom(2.0, [0.0, 0.0, -0.5]);
        assert!((zoom - 0.75).abs() < 1e-6);
    }

    #[test]
    fn crop_maps_crop_corner_to_image_corner() {
        let k = Intrinsics::reference((100, 50), (100, 50));
        let cam = Camera::original(&k, 100, 50).cropped([0.1, 0.1, 0.1, 0.1]);
        // The old pixel coordinate 10 (left crop line) must land on the new 0.
        let x_world = (10.0 - k.cx) / k.fx;
        assert!((cam.fx * x_world + cam.cx).abs() < 1e-4);
    }
}
