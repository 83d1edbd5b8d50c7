//! Extension of the photo beyond its border, so a moving camera never sees
//! the edge of the scene.

use image::RgbImage;

use crate::io::depth_file::FloatMap;
use crate::ldi::origin;

/// Photo and depth on a canvas grown by `frame` pixels on every side.
pub struct Canvas {
    pub width: usize,
    pub height: usize,
    pub color: Vec<[u8; 3]>,
    pub depth: Vec<f32>,
    pub origin: Vec<u8>,
}

/// Mirrors colour and depth across the border into the frame, so textures and
/// depth edges continue outward consistently; frame pixels are marked extrapolated.
pub fn mirror_frame(rgb: &RgbImage, depth: &FloatMap, frame: usize) -> Canvas {
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    let (cw, ch) = (w + 2 * frame, h + 2 * frame);
    let mut canvas = Canvas {
        width: cw,
        height: ch,
        color: Vec::with_capacity(cw * ch),
        depth: Vec::with_capacity(cw * ch),
        origin: Vec::with_capacity(cw * ch),
    };
    for y in 0..ch {
        let (sy, inside_y) = reflect(y as i64 - frame as i64, h);
        for x in 0..cw {
            let (sx, inside_x) = reflect(x as i64 - frame as i64, w);
            canvas.color.push(rgb.get_pixel(sx as u32, sy as u32).0);
            canvas.depth.push(depth.get_pixel(sx as u32, sy as u32)[0]);
            canvas.origin.push(if inside_x && inside_y {
                origin::ORIGINAL
            } else {
                origin::EXTRAPOLATED
            });
        }
    }
    canvas
}

/// Index reflected into 0..n (symmetric: −1 → 0), and whether it was inside.
fn reflect(i: i64, n: usize) -> (usize, bool) {
    let n = n as i64;
    let period = 2 * n;
    let m = i.rem_euclid(period);
    let r = if m < n { m } else { period - 1 - m };
    (r as usize, (0..n).contains(&i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflection_is_symmetric_and_handles_wide_frames() {
        assert_eq!(reflect(-1, 5), (0, false));
        assert_eq!(reflect(-2, 5), (1, false));
        assert_eq!(reflect(5, 5), (4, false));
        assert_eq!(reflect(3, 5), (3, true));
        assert_eq!(reflect(-4, 3).0, 2);
        assert_eq!(reflect(-12, 3).0, 0);
        assert!(reflect(100, 1).0 == 0);
    }

    #[test]
    fn canvas_keeps_photo_in_the_middle() {
        let rgb = RgbImage::from_fn(4, 3, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let depth = FloatMap::from_fn(4, 3, |x, _| image::Luma([x as f32 + 1.0]));
        let c = mirror_frame(&rgb, &depth, 2);
        assert_eq!((c.width, c.height), (8, 7));
        assert_eq!(c.color[2 * 8 + 2], [0, 0, 7]);
        assert_eq!(c.origin[2 * 8 + 2], origin::ORIGINAL);
        assert_eq!(c.origin[0], origin::EXTRAPOLATED);
        assert_eq!(c.depth[2 * 8 + 1], 1.0, "mirrored first column");
    }
}
