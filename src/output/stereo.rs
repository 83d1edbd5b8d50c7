//! Two-eye views of a 3D photo: side-by-side, red–cyan anaglyph and wiggle.

use crate::render::{render, Camera};
use crate::scene::Scene;
use image::RgbImage;

/// Camera translation between the eyes for a baseline of `percent` of the
/// image width: the nearest surface shifts by that much between the views.
pub fn eye_separation(scene: &Scene, percent: f32) -> f32 {
    let k = scene.prepared.intrinsics;
    let width = scene.prepared.rgb.width() as f32;
    let nearest = scene
        .mesh
        .positions
        .iter()
        .map(|p| p[2])
        .fold(f32::INFINITY, f32::min);
    let nearest = if nearest.is_finite() && nearest > 0.0 {
        nearest
    } else {
        1.0
    };
    percent / 100.0 * width * nearest / k.fx
}

/// Left and right eye views, each camera half the separation from the photo's.
pub fn eye_views(scene: &Scene, separation: f32, samples: u32) -> (RgbImage, RgbImage) {
    let (w, h) = scene.prepared.rgb.dimensions();
    let base = Camera::original(&scene.prepared.intrinsics, w, h);
    // Camera centre = −t: the left eye sits at −separation/2.
    let left = render(
        &scene.mesh,
        &base.posed([separation / 2.0, 0.0, 0.0], 1.0),
        samples,
    );
    let right = render(
        &scene.mesh,
        &base.posed([-separation / 2.0, 0.0, 0.0], 1.0),
        samples,
    );
    (left, right)
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
    }
}
