//! Frames that repeat an earlier frame's camera: a swing passes every pose
//! twice, so half of its frames can take an earlier frame's image instead of
//! a render of their own.

use super::Camera;
use image::RgbImage;
use std::collections::HashMap;

/// Per camera, the nearest earlier one equal to it, or None. Equal cameras
/// render equal frames; +0 and −0 count as equal.
pub fn earlier_twins(cameras: &[Camera]) -> Vec<Option<usize>> {
    let mut last_of: HashMap<[u32; 18], usize> = HashMap::with_capacity(cameras.len());
    (cameras.iter().enumerate())
        .map(|(k, camera)| last_of.insert(key(camera), k))
        .collect()
}

/// The camera's fields as bits, −0 made +0 (adding +0 does that and leaves
/// every other value, NaN aside, as it is).
fn key(c: &Camera) -> [u32; 18] {
    let floats = [c.fx, c.fy, c.cx, c.cy]
        .into_iter()
        .chain(c.translation)
        .chain(c.rotation.into_iter().flatten());
    let mut key = [0; 18];
    key[0] = c.width;
    key[1] = c.height;
    for (slot, f) in key[2..].iter_mut().zip(floats) {
        *slot = (f + 0.0).to_bits();
    }
    key
}

/// The images of a video's frames that a later frame repeats, kept until it
/// comes while they fit `budget` bytes; frames past the budget are rendered
/// again.
pub struct FrameReuse {
    twin: Vec<Option<usize>>,
    repeated: Vec<bool>,
    kept: HashMap<usize, RgbImage>,
    bytes: usize,
    budget: usize,
}

impl FrameReuse {
    /// Reuse among the frames of `cameras`, holding at most `budget` bytes of images.
    pub fn new(cameras: &[Camera], budget: usize) -> FrameReuse {
        let twin = earlier_twins(cameras);
        let mut repeated = vec![false; cameras.len()];
        for &j in twin.iter().flatten() {
            repeated[j] = true;
        }
        FrameReuse {
            twin,
            repeated,
            kept: HashMap::new(),
            bytes: 0,
            budget,
        }
    }

    /// Frame `k`'s image, where it repeats a frame whose image is kept.
    pub fn take(&mut self, k: usize) -> Option<RgbImage> {
        let image = self.kept.remove(&self.twin.get(k).copied().flatten()?)?;
        self.bytes -= image.len();
        Some(image)
    }

    /// Keeps a copy of frame `k`'s image when a later frame repeats it and it fits.
    pub fn offer(&mut self, k: usize, image: &RgbImage) {
        if self.repeated.get(k) == Some(&true) && self.bytes + image.len() <= self.budget {
            self.bytes += image.len();
            self.kept.insert(k, image.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::camera::IDENTITY;

    fn camera_at(x: f32) -> Camera {
        Camera {
            width: 4,
            height: 2,
            fx: 4.0,
            fy: 4.0,
            cx: 2.0,
            cy: 1.0,
            translation: [x, 0.0, 0.0],
            rotation: IDENTITY,
        }
    }

    #[test]
    fn twins_are_the_nearest_earlier_equal_camera() {
        let mut cameras: Vec<Camera> = [0.0, 1.0, 0.0, 2.0, 0.0].map(camera_at).to_vec();
        cameras[4].translation[1] = -0.0;
        assert_eq!(
            earlier_twins(&cameras),
            [None, None, Some(0), None, Some(2)]
        );
        // Another size is another frame.
        cameras[2].width = 8;
        assert_eq!(earlier_twins(&cameras)[2], None);
    }

    #[test]
    fn repeated_frames_come_back_while_they_fit_the_budget() {
        let cameras = [0.0, 1.0, 2.0, 1.0, 0.0].map(camera_at);
        let frame = |k: usize| RgbImage::from_pixel(4, 2, image::Rgb([k as u8; 3]));
        let one = frame(0).len();
        // Room for one image: frame 0 is kept, frame 1 is not, so frame 3 is rendered.
        let mut reuse = FrameReuse::new(&cameras, one);
        let mut rendered = Vec::new();
        for k in 0..cameras.len() {
            let image = reuse.take(k).unwrap_or_else(|| {
                rendered.push(k);
                frame(k)
            });
            reuse.offer(k, &image);
            if k == 4 {
                assert_eq!(image, frame(0));
            }
        }
        assert_eq!(rendered, [0, 1, 2, 3]);
        assert_eq!(reuse.bytes, 0);
        // Room for both: only the first three are rendered.
        let mut reuse = FrameReuse::new(&cameras, 2 * one);
        let rendered: Vec<usize> = (0..cameras.len())
            .filter(|&k| {
                let image = reuse.take(k);
                let fresh = image.is_none();
                reuse.offer(k, &image.unwrap_or_else(|| frame(k)));
                fresh
            })
            .collect();
        assert_eq!(rendered, [0, 1, 2]);
    }
}
