//! Looping animated GIF writing.

use super::error::VideoError;
use crate::filter::colour::to_channel;
use image::RgbImage;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// NeuQuant speed for the per-frame GIF palette (1 best .. 30 fastest); 10 is the usual compromise.
pub(super) const GIF_QUANT_SPEED: i32 = 10;

/// 8×8 Bayer matrix: the order in which a threshold is crossed across a tile.
const BAYER8: [[u8; 8]; 8] = [
    [0, 32, 8, 40, 2, 34, 10, 42],
    [48, 16, 56, 24, 50, 18, 58, 26],
    [12, 44, 4, 36, 14, 46, 6, 38],
    [60, 28, 52, 20, 62, 30, 54, 22],
    [3, 35, 11, 43, 1, 33, 9, 41],
    [51, 19, 59, 27, 49, 17, 57, 25],
    [15, 47, 7, 39, 13, 45, 5, 37],
    [63, 31, 55, 23, 61, 29, 53, 21],
];

/// Amplitude of the ordered dither, in 8-bit levels (peak to peak): about the
/// spacing of a 256-colour palette's neighbouring colours, so smooth gradients
/// become fine patterns instead of bands.
const DITHER_SPREAD: f32 = 16.0;

/// A NeuQuant palette for `frame` and its pixels mapped to it through an
/// ordered (Bayer) dither of `spread` levels. Ordered, not error-diffusion, dithering keeps the
/// pattern still where the picture is still, so a moving camera does not make
/// the whole frame shimmer, and it compresses better.
fn quantise_dithered(frame: &RgbImage, spread: f32) -> (Vec<u8>, Vec<u8>) {
    let rgba: Vec<u8> = frame
        .pixels()
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect();
    let quantiser = color_quant::NeuQuant::new(GIF_QUANT_SPEED, 256, &rgba);
    let indices = frame
        .enumerate_pixels()
        .map(|(x, y, p)| {
            let threshold =
                (f32::from(BAYER8[(y % 8) as usize][(x % 8) as usize]) + 0.5) / 64.0 - 0.5;
            let offset = threshold * spread;
            let c = |v: u8| to_channel(f32::from(v) + offset);
            quantiser.index_of(&[c(p[0]), c(p[1]), c(p[2]), 255]) as u8
        })
        .collect();
    (quantiser.color_map_rgb(), indices)
}

/// Streams RGB frames into an infinitely looping animated GIF (one 256-colour palette per frame).
pub struct GifWriter {
    path: String,
    width: u16,
    height: u16,
    /// Frame delay in 1/100 s.
    delay: u16,
    encoder: ::gif::Encoder<BufWriter<File>>,
    frames: u64,
}

impl GifWriter {
    /// Starts a GIF at `path` with frames of `width`x`height` (each at most 65535) shown at `fps`;
    /// GIF delays are whole 1/100 s, so the rate is rounded (40 fps plays at 1/0.03 s ≈ 33 fps).
    pub fn create(path: &Path, width: u32, height: u32, fps: u32) -> Result<Self, VideoError> {
        let shown = path.display().to_string();
        let (Ok(w), Ok(h)) = (u16::try_from(width), u16::try_from(height)) else {
            return Err(VideoError::BadSize {
                path: shown,
                message: format!("gif frame size {width}x{height} exceeds 65535"),
            });
        };
        if w == 0 || h == 0 || fps == 0 {
            return Err(VideoError::BadSize {
                path: shown,
                message: format!(
                    "gif needs a non-empty size and fps, got {width}x{height} at {fps} fps"
                ),
            });
        }
        // Browsers treat delays under 2/100 s as 10/100 s, so never go below 2.
        let delay = ((200 + fps) / (2 * fps)).clamp(2, u32::from(u16::MAX)) as u16;
        let file = File::create(path).map_err(|source| VideoError::Io {
            path: shown.clone(),
            source,
        })?;
        let gif_error = |source| VideoError::Gif {
            path: shown.clone(),
            source,
        };
        let mut encoder = ::gif::Encoder::new(BufWriter::with_capacity(1 << 20, file), w, h, &[])
            .map_err(gif_error)?;
        encoder
            .set_repeat(::gif::Repeat::Infinite)
            .map_err(gif_error)?;
        Ok(Self {
            path: shown,
            width: w,
            height: h,
            delay,
            encoder,
            frames: 0,
        })
    }

    /// Quantises and appends one frame; it must be exactly `width`x`height`.
    pub fn push(&mut self, frame: &RgbImage) -> Result<(), VideoError> {
        if frame.dimensions() != (u32::from(self.width), u32::from(self.height)) {
            return Err(VideoError::BadSize {
                path: self.path.clone(),
                message: format!(
                    "frame {} is {}x{}, the gif is {}x{}",
                    self.frames,
                    frame.width(),
                    frame.height(),
                    self.width,
                    self.height
                ),
            });
        }
        let (palette, indices) = quantise_dithered(frame, DITHER_SPREAD);
        let mut gif_frame = ::gif::Frame {
            width: self.width,
            height: self.height,
            buffer: indices.into(),
            palette: Some(palette),
            ..::gif::Frame::default()
        };
        gif_frame.delay = self.delay;
        gif_frame.dispose = ::gif::DisposalMethod::Keep;
        self.encoder
            .write_frame(&gif_frame)
            .map_err(|source| VideoError::Gif {
                path: self.path.clone(),
                source,
            })?;
        self.frames += 1;
        Ok(())
    }

    /// Writes the GIF trailer and flushes the file; a GIF needs at least one frame.
    pub fn finish(self) -> Result<(), VideoError> {
        if self.frames == 0 {
            return Err(VideoError::BadSize {
                path: self.path,
                message: "no frames were pushed".into(),
            });
        }
        let path = self.path;
        let writer = self
            .encoder
            .into_inner()
            .map_err(|source| VideoError::Gif {
                path: path.clone(),
                source,
            })?;
        let io = |source| VideoError::Io {
            path: path.clone(),
            source,
        };
        let mut file = writer.into_inner().map_err(|e| io(e.into_error()))?;
        file.flush().map_err(io)?;
        file.sync_all().map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mean absolute difference of 8×8 block means: what the eye sees of a
    /// dither pattern from a normal distance.
    fn block_error(frame: &RgbImage, palette: &[u8], indices: &[u8]) -> f64 {
        let (w, h) = frame.dimensions();
        let mut total = 0.0;
        let mut blocks = 0.0;
        for by in (0..h).step_by(8) {
            for bx in (0..w).step_by(8) {
                for c in 0..3 {
                    let (mut a, mut b) = (0.0, 0.0);
                    for y in by..by + 8 {
                        for x in bx..bx + 8 {
                            a += f64::from(frame.get_pixel(x, y)[c]);
                            let i = indices[(y * w + x) as usize] as usize;
                            b += f64::from(palette[3 * i + c]);
                        }
                    }
                    total += (a - b).abs() / 64.0;
                    blocks += 1.0;
                }
            }
        }
        total / blocks
    }

    #[test]
    fn ordered_dither_follows_smooth_gradients_closer_than_plain_mapping() {
        let frame = RgbImage::from_fn(256, 192, |x, y| {
            image::Rgb([x as u8, (y * 4 / 3) as u8, ((x + y) / 2) as u8])
        });
        let (palette, dithered) = quantise_dithered(&frame, DITHER_SPREAD);
        let (plain_palette, plain) = quantise_dithered(&frame, 0.0);
        assert!(palette.len() <= 256 * 3);
        let (with, without) = (
            block_error(&frame, &palette, &dithered),
            block_error(&frame, &plain_palette, &plain),
        );
        assert!(with < without, "dithered {with:.3} vs plain {without:.3}");
    }
}
