//! Looping animated GIF writing.

use super::error::VideoError;
use image::RgbImage;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// NeuQuant speed for the per-frame GIF palette (1 best .. 30 fastest); 10 is the usual compromise.
pub(super) const GIF_QUANT_SPEED: i32 = 10;

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
        let mut gif_frame =
            ::gif::Frame::from_rgb_speed(self.width, self.height, frame.as_raw(), GIF_QUANT_SPEED);
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
