//! CPU rasterizer: z-buffered, perspective-correct vertex colours, supersampled,
//! parallel over horizontal bands of the frame.

use super::camera::Camera;
use crate::mesh::Mesh;
use image::RgbImage;
use rayon::prelude::*;

/// Colour where no surface is hit (the reference's grey canvas).
pub const BACKGROUND: [u8; 3] = [128, 128, 128];
/// Surfaces closer than this to the camera are not drawn.
const NEAR_PLANE: f32 = 1e-3;
/// Rows per band of the supersampled frame; each band is one parallel task.
const BAND_ROWS: usize = 32;

/// A vertex on the supersampled screen.
#[derive(Clone, Copy)]
struct ScreenVertex {
    x: f32,
    y: f32,
    inv_z: f32,
}

/// Renders `mesh` from `camera`, `samples` × `samples` per pixel.
pub fn render(mesh: &Mesh, camera: &Camera, samples: u32) -> RgbImage {
    render_over(mesh, camera, samples, BACKGROUND)
}

/// Renders like `render`, with `background` where no surface is hit.
pub fn render_over(mesh: &Mesh, camera: &Camera, samples: u32, background: [u8; 3]) -> RgbImage {
    let s = samples.max(1) as usize;
    let (w, h) = (camera.width as usize * s, camera.height as usize * s);
    let screen = project(mesh, camera, s as f32);
    let bands = bin_triangles(mesh, &screen, h);
    let mut color = vec![[0f32; 3]; w * h];
    color
        .par_chunks_mut(w * BAND_ROWS)
        .zip(bands.par_iter())
        .enumerate()
        .for_each(|(band, (pixels, triangles))| {
            let y0 = band * BAND_ROWS;
            let rows = pixels.len() / w;
            let mut depth = vec![0f32; pixels.len()];
            pixels.fill(background.map(f32::from));
            for &t in triangles {
                let face = mesh.faces[t as usize];
                draw_triangle(mesh, &screen, face, pixels, &mut depth, w, y0, rows);
            }
        });
    downsample(&color, camera.width, camera.height, s)
}

/// Projects vertices to supersampled pixel coordinates; vertices behind the
/// near plane get inv_z = 0 and their triangles are skipped.
fn project(mesh: &Mesh, camera: &Camera, s: f32) -> Vec<ScreenVertex> {
    let t = camera.translation;
    mesh.positions
        .par_iter()
        .map(|p| {
            let (x, y, z) = (p[0] + t[0], p[1] + t[1], p[2] + t[2]);
            if z <= NEAR_PLANE {
                return ScreenVertex {
                    x: 0.0,
                    y: 0.0,
                    inv_z: 0.0,
                };
            }
            let inv_z = 1.0 / z;
            ScreenVertex {
                x: (camera.fx * x * inv_z + camera.cx) * s,
                y: (camera.fy * y * inv_z + camera.cy) * s,
                inv_z,
            }
        })
        .collect()
}

/// Triangle ids per band of rows they may cover.
fn bin_triangles(mesh: &Mesh, screen: &[ScreenVertex], height: usize) -> Vec<Vec<u32>> {
    let band_count = height.div_ceil(BAND_ROWS).max(1);
    let mut bands = vec![Vec::new(); band_count];
    for (t, f) in mesh.faces.iter().enumerate() {
        let v = f.map(|i| screen[i as usize]);
        if v.iter().any(|p| p.inv_z == 0.0) {
            continue;
        }
        let lo = v.iter().map(|p| p.y).fold(f32::INFINITY, f32::min);
        let hi = v.iter().map(|p| p.y).fold(f32::NEG_INFINITY, f32::max);
        if hi < 0.0 || lo >= height as f32 || !(lo.is_finite() && hi.is_finite()) {
            continue;
        }
        let first = (lo.max(0.0) as usize) / BAND_ROWS;
        let last = ((hi.min(height as f32 - 1.0)) as usize) / BAND_ROWS;
        for band in &mut bands[first..=last.min(band_count - 1)] {
            band.push(t as u32);
        }
    }
    bands
}

/// Fills the pixels of one triangle inside a band, keeping the nearest surface.
#[allow(clippy::too_many_arguments)]
fn draw_triangle(
    mesh: &Mesh,
    screen: &[ScreenVertex],
    face: [u32; 3],
    pixels: &mut [[f32; 3]],
    depth: &mut [f32],
    w: usize,
    y0: usize,
    rows: usize,
) {
    let [a, b, c] = face.map(|i| screen[i as usize]);
    let area = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
    if area.abs() < 1e-12 {
        return;
    }
    let inv_area = 1.0 / area;
    let min_x = a.x.min(b.x).min(c.x).floor().max(0.0) as usize;
    let max_x = (a.x.max(b.x).max(c.x).ceil() as usize).min(w);
    let min_y = (a.y.min(b.y).min(c.y).floor().max(y0 as f32) as usize).max(y0);
    let max_y = (a.y.max(b.y).max(c.y).ceil() as usize).min(y0 + rows);
    if min_x >= max_x || min_y >= max_y {
        return;
    }
    let colors = face.map(|i| mesh.colors[i as usize].map(f32::from));
    for y in min_y..max_y {
        let py = y as f32 + 0.5;
        let row = (y - y0) * w;
        for x in min_x..max_x {
            let px = x as f32 + 0.5;
            let w0 = ((b.x - px) * (c.y - py) - (b.y - py) * (c.x - px)) * inv_area;
            let w1 = ((c.x - px) * (a.y - py) - (c.y - py) * (a.x - px)) * inv_area;
            let w2 = 1.0 - w0 - w1;
            if w0 < 0.0 || w1 < 0.0 || w2 < 0.0 {
                continue;
            }
            let inv_z = w0 * a.inv_z + w1 * b.inv_z + w2 * c.inv_z;
            let i = row + x;
            if inv_z <= depth[i] {
                continue;
            }
            depth[i] = inv_z;
            let (p0, p1, p2) = (
                w0 * a.inv_z / inv_z,
                w1 * b.inv_z / inv_z,
                w2 * c.inv_z / inv_z,
            );
            pixels[i] =
                [0, 1, 2].map(|k| p0 * colors[0][k] + p1 * colors[1][k] + p2 * colors[2][k]);
        }
    }
}

/// Box-filters the supersampled frame down to the output size.
fn downsample(color: &[[f32; 3]], width: u32, height: u32, s: usize) -> RgbImage {
    let sw = width as usize * s;
    let norm = 1.0 / (s * s) as f32;
    let mut out = RgbImage::new(width, height);
    out.par_chunks_mut(width as usize * 3)
        .enumerate()
        .for_each(|(y, row)| {
            for x in 0..width as usize {
                let mut sum = [0f32; 3];
                for sy in 0..s {
                    let base = (y * s + sy) * sw + x * s;
                    for p in &color[base..base + s] {
                        sum[0] += p[0];
                        sum[1] += p[1];
                        sum[2] += p[2];
                    }
                }
                for k in 0..3 {
                    row[3 * x + k] = (sum[k] * norm).round().clamp(0.0, 255.0) as u8;
                }
            }
        });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    type Parts = (Vec<[f32; 3]>, Vec<[u8; 3]>, Vec<[u32; 3]>);

    /// Two triangles covering a square of side 2·half at depth z, in one colour.
    fn square(z: f32, half: f32, color: [u8; 3], base: u32) -> Parts {
        let p = vec![
            [-half, -half, z],
            [half, -half, z],
            [-half, half, z],
            [half, half, z],
        ];
        let f = vec![[base, base + 2, base + 1], [base + 1, base + 2, base + 3]];
        (p, vec![color; 4], f)
    }

    fn camera() -> Camera {
        Camera {
            width: 40,
            height: 40,
            fx: 20.0,
            fy: 20.0,
            cx: 20.0,
            cy: 20.0,
            translation: [0.0; 3],
        }
    }

    #[test]
    fn nearer_surface_wins_and_background_is_grey() {
        let (mut pos, mut col, mut faces) = square(4.0, 2.0, [255, 0, 0], 0);
        let (p2, c2, f2) = square(2.0, 0.5, [0, 0, 255], 4);
        pos.extend(p2);
        col.extend(c2);
        faces.extend(f2);
        // Far square drawn last must not cover the near one.
        faces.reverse();
        let labels = vec![1; pos.len()];
        let mesh = Mesh {
            positions: pos,
            colors: col,
            labels,
            faces,
            width: 40,
            height: 40,
            hfov: 1.0,
            vfov: 1.0,
        };
        let img = render(&mesh, &camera(), 2);
        assert_eq!(img.get_pixel(20, 20).0, [0, 0, 255]);
        assert_eq!(img.get_pixel(20, 27).0, [255, 0, 0]);
        assert_eq!(img.get_pixel(0, 0).0, BACKGROUND);
    }

    #[test]
    fn moving_camera_shifts_near_more_than_far() {
        let (pos, col, faces) = square(2.0, 0.26, [255, 255, 255], 0);
        let labels = vec![1; pos.len()];
        let mesh = Mesh {
            positions: pos,
            colors: col,
            labels,
            faces,
            width: 40,
            height: 40,
            hfov: 1.0,
            vfov: 1.0,
        };
        let moved = camera().posed([0.2, 0.0, 0.0], 1.0);
        let img = render(&mesh, &moved, 1);
        // Unmoved, the square spans pixels 17..=22; x shift = fx * 0.2 / 2 = 2 pixels.
        let cols: Vec<u32> = (0..40)
            .filter(|&x| img.get_pixel(x, 20).0 == [255, 255, 255])
            .collect();
        assert_eq!((cols[0], *cols.last().unwrap()), (19, 24));
    }
}
