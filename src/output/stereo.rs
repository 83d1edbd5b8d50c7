//! Two-eye views of a 3D photo: side-by-side, cross-eye, top-bottom, red–cyan
//! anaglyph and wiggle, with a chosen divergence and convergence plane.

use crate::render::{render, Camera};
use crate::scene::Scene;
use image::RgbImage;

/// Camera translation between the eyes for a baseline of `percent` of the
/// image width: the nearest surface shifts by that much between the views.
pub fn eye_separation(scene: &Scene, percent: f32) -> f32 {
    let k = scene.prepared.intrinsics;
    let width = scene.prepared.rgb.width() as f32;
    percent / 100.0 * width * nearest_depth(scene) / k.fx
}

/// Depth of the nearest mesh vertex (1 for an empty mesh).
fn nearest_depth(scene: &Scene) -> f32 {
    let nearest = scene
        .mesh
        .positions
        .iter()
        .map(|p| p[2])
        .fold(f32::INFINITY, f32::min);
    if nearest.is_finite() && nearest > 0.0 {
        nearest
    } else {
        1.0
    }
}

/// Left and right eye views, each camera half the separation from the
/// photo's. `convergence` in [0, 1] places the plane that shows no disparity
/// (the screen plane): 0 at infinity (parallel eyes, everything in front of
/// the screen), 1 at the nearest surface, between them linearly in inverse depth.
pub fn eye_views(
    scene: &Scene,
    separation: f32,
    convergence: f32,
    samples: u32,
) -> (RgbImage, RgbImage) {
    let (w, h) = scene.prepared.rgb.dimensions();
    let base = Camera::original(&scene.prepared.intrinsics, w, h);
    // A point at depth z moves by fx·separation/(2z) in each eye; shifting the
    // principal points by that amount at the convergence depth cancels it there.
    let shift = base.fx * separation / 2.0 * convergence / nearest_depth(scene);
    let eye = |t: f32, dx: f32| {
        let camera = Camera {
            cx: base.cx + dx,
            ..base.posed([t, 0.0, 0.0], 1.0)
        };
        render(&scene.render_mesh, &camera, samples)
    };
    // Camera centre = −t: the left eye sits at −separation/2.
    (eye(separation / 2.0, -shift), eye(-separation / 2.0, shift))
}

/// The two views next to each other, left first.
pub fn side_by_side(left: &RgbImage, right: &RgbImage) -> RgbImage {
    let (w, h) = left.dimensions();
    RgbImage::from_fn(2 * w, h, |x, y| {
        if x < w {
            *left.get_pixel(x, y)
        } else {
            *right.get_pixel(x - w, y)
        }
    })
}

/// The left view above the right (top-bottom, for headsets and 3D TVs).
pub fn top_bottom(left: &RgbImage, right: &RgbImage) -> RgbImage {
    let (w, h) = left.dimensions();
    RgbImage::from_fn(w, 2 * h, |x, y| {
        if y < h {
            *left.get_pixel(x, y)
        } else {
            *right.get_pixel(x, y - h)
        }
    })
}

/// Red from the left view, green and blue from the right (red–cyan glasses).
pub fn anaglyph(left: &RgbImage, right: &RgbImage) -> RgbImage {
    let (w, h) = left.dimensions();
    RgbImage::from_fn(w, h, |x, y| {
        let (l, r) = (left.get_pixel(x, y), right.get_pixel(x, y));
        image::Rgb([l[0], r[1], r[2]])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compositions_take_the_right_channels_and_halves() {
        let left = RgbImage::from_pixel(4, 2, image::Rgb([200, 10, 20]));
        let right = RgbImage::from_pixel(4, 2, image::Rgb([30, 150, 160]));
        let sbs = side_by_side(&left, &right);
        assert_eq!(sbs.dimensions(), (8, 2));
        assert_eq!(sbs.get_pixel(1, 1).0, [200, 10, 20]);
        assert_eq!(sbs.get_pixel(6, 0).0, [30, 150, 160]);
        assert_eq!(anaglyph(&left, &right).get_pixel(2, 1).0, [200, 150, 160]);
        let tb = top_bottom(&left, &right);
        assert_eq!(tb.dimensions(), (4, 4));
        assert_eq!(tb.get_pixel(3, 1).0, [200, 10, 20]);
        assert_eq!(tb.get_pixel(0, 2).0, [30, 150, 160]);
    }
}
