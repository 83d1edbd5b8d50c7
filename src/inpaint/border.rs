//! Extension of the photo beyond its border, so a moving camera never sees
//! the edge of the scene: depth continues straight outward, colour is
//! synthesized from a band of the photo along each side.

use image::RgbImage;
use rayon::prelude::*;

use super::colour::fill_colour;
use super::region::Region;
use crate::ldi::{origin, Ldi, NONE};
use crate::map::FloatMap;

/// Photo and depth on a canvas grown by `frame` pixels on every side.
pub struct Canvas {
    pub width: usize,
    pub height: usize,
    pub colour: Vec<[u8; 3]>,
    pub depth: Vec<f32>,
    pub origin: Vec<u8>,
}

/// Places the photo in a canvas with a `frame`-wide border whose depth
/// repeats the nearest photo pixel (so depth edges run straight out) and
/// whose colour is a placeholder until `synthesize_frame` fills it.
pub fn extend_frame(rgb: &RgbImage, depth: &FloatMap, frame: usize) -> Canvas {
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    let (cw, ch) = (w + 2 * frame, h + 2 * frame);
    let mut canvas = Canvas {
        width: cw,
        height: ch,
        colour: vec![[0; 3]; cw * ch],
        depth: vec![0.0; cw * ch],
        origin: vec![origin::EXTRAPOLATED; cw * ch],
    };
    let source = |c: usize, n: usize| (c as i64 - frame as i64).clamp(0, n as i64 - 1) as u32;
    (canvas
        .colour
        .par_chunks_mut(cw)
        .zip(canvas.depth.par_chunks_mut(cw)))
    .zip(canvas.origin.par_chunks_mut(cw))
    .enumerate()
    .for_each(|(y, ((colour, depth_row), origin_row))| {
        let sy = source(y, h);
        for x in 0..cw {
            let sx = source(x, w);
            colour[x] = rgb.get_pixel(sx, sy).0;
            depth_row[x] = depth.get_pixel(sx, sy)[0];
        }
        if (frame..frame + h).contains(&y) {
            origin_row[frame..frame + w].fill(origin::ORIGINAL);
        }
    });
    canvas
}

/// Fills the colour of the frame nodes, side by side, with the PatchMatch
/// fill whose sources are a band of the photo along that side, `context`
/// wide but at most twice the frame (wider bands cost time and add little).
pub fn synthesize_frame(ldi: &mut Ldi, context: usize) {
    let f = ldi.frame;
    if f == 0 {
        return;
    }
    let (cw, ch) = (ldi.width, ldi.height);
    let band = context.min(2 * f).min(cw.min(ch) - 2 * f);
    // (x0, y0, width, height) of each strip's patch: strip plus photo band.
    let strips = [
        (0, 0, cw, f + band),
        (0, ch - f - band, cw, f + band),
        (0, f, f + band, ch - 2 * f),
        (cw - f - band, f, f + band, ch - 2 * f),
    ];
    let shared: &Ldi = ldi;
    let fills: Vec<(Region, Vec<[u8; 3]>)> = strips
        .par_iter()
        .map(|&(x0, y0, width, height)| {
            let region = strip_region(shared, x0, y0, width, height);
            let depth: Vec<f32> = region
                .hole
                .iter()
                .map(|&n| {
                    if n == NONE {
                        f32::NAN
                    } else {
                        shared.depth[n as usize]
                    }
                })
                .collect();
            let colour = fill_colour(&region, shared, &depth);
            (region, colour)
        })
        .collect();
    for (region, colour) in fills {
        for (i, &node) in region.hole.iter().enumerate() {
            if node != NONE {
                ldi.colour[node as usize] = colour[i];
            }
        }
    }
}

/// A patch of the canvas whose frame nodes are the hole and photo nodes the context.
fn strip_region(ldi: &Ldi, x0: usize, y0: usize, width: usize, height: usize) -> Region {
    let f = ldi.frame;
    let n = width * height;
    let mut region = Region {
        x0,
        y0,
        width,
        height,
        hole: vec![NONE; n],
        ring: vec![0; n],
        context: vec![NONE; n],
        band: vec![false; n],
        guard: vec![false; n],
    };
    for i in 0..n {
        let (x, y) = (x0 + i % width, y0 + i / width);
        let node = ldi.first_layer[y * ldi.width + x];
        if node == NONE {
            continue;
        }
        if ldi.origin[node as usize] == origin::EXTRAPOLATED {
            region.hole[i] = node;
            let dx = f
                .saturating_sub(x)
                .max((x + f + 1).saturating_sub(ldi.width));
            let dy = f
                .saturating_sub(y)
                .max((y + f + 1).saturating_sub(ldi.height));
            region.ring[i] = dx.max(dy) as u16;
        } else {
            region.context[i] = node;
        }
    }
    region
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edges::find_cuts;

    #[test]
    fn frame_repeats_border_depth_and_keeps_photo_in_the_middle() {
        let rgb = RgbImage::from_fn(4, 3, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let depth = FloatMap::from_fn(4, 3, |x, _| image::Luma([x as f32 + 1.0]));
        let c = extend_frame(&rgb, &depth, 2);
        assert_eq!((c.width, c.height), (8, 7));
        assert_eq!(c.colour[2 * 8 + 2], [0, 0, 7]);
        assert_eq!(c.origin[2 * 8 + 2], origin::ORIGINAL);
        assert_eq!(c.origin[0], origin::EXTRAPOLATED);
        assert_eq!(c.depth[2 * 8], 1.0, "left frame repeats the first column");
        assert_eq!(
            c.depth[2 * 8 + 7],
            4.0,
            "right frame repeats the last column"
        );
    }

    #[test]
    fn frame_colour_comes_from_the_photo_texture() {
        // Vertical stripes of two colours: the frame must continue them, not smear.
        let (w, h, f) = (64usize, 48usize, 8usize);
        let rgb = RgbImage::from_fn(w as u32, h as u32, |x, _| {
            image::Rgb(if (x / 4) % 2 == 0 {
                [200, 40, 40]
            } else {
                [40, 40, 200]
            })
        });
        let depth = FloatMap::from_pixel(w as u32, h as u32, image::Luma([5.0]));
        let canvas = extend_frame(&rgb, &depth, f);
        let cuts = find_cuts(
            &canvas.depth,
            canvas.width,
            canvas.height,
            0.04,
            crate::edges::CutRule::Jump,
        );
        let mut ldi = Ldi::from_grid(&canvas.depth, &canvas.colour, &canvas.origin, &cuts, f);
        synthesize_frame(&mut ldi, 32);
        let top_row: Vec<[u8; 3]> = (f..f + w).map(|x| ldi.colour[x]).collect();
        let pure = top_row.iter().filter(|c| c[0] > 170 || c[2] > 170).count();
        assert!(
            pure * 10 > top_row.len() * 8,
            "frame is smeared: {pure} of {} pure",
            top_row.len()
        );
        let reds = top_row.iter().filter(|c| c[0] > 170).count();
        assert!(
            reds * 4 > top_row.len() && reds * 4 < 3 * top_row.len(),
            "stripes lost: {reds} red"
        );
    }
}
