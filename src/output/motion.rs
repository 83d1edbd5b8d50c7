//! Where a video's frames go: an MP4, a small looping GIF and a PNG frame
//! sequence, any of them, fed one frame at a time.

use super::video::{GifWriter, Mp4Writer, VideoError};
use image::RgbImage;
use std::path::{Path, PathBuf};

/// Which files each video is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoFormats {
    pub mp4: bool,
    pub gif: bool,
    pub png: bool,
}

impl Default for VideoFormats {
    fn default() -> Self {
        Self {
            mp4: true,
            gif: false,
            png: false,
        }
    }
}

impl VideoFormats {
    /// Parses a comma-separated list of `mp4`, `gif` and `png`.
    pub fn parse(text: &str) -> Result<VideoFormats, String> {
        let mut formats = VideoFormats {
            mp4: false,
            gif: false,
            png: false,
        };
        for name in text.split(',').map(str::trim) {
            match name {
                "mp4" => formats.mp4 = true,
                "gif" => formats.gif = true,
                "png" => formats.png = true,
                _ => return Err(format!("unknown video format {name:?} (mp4, gif, png)")),
            }
        }
        Ok(formats)
    }
}

/// Longer side of GIF frames; with [`GIF_MAX_FPS`] this keeps a default
/// 240-frame video to a few MB.
pub const GIF_MAX_SIDE: u32 = 300;
/// GIFs keep every n-th frame so that they play at no more than this rate.
pub const GIF_MAX_FPS: u32 = 14;

/// The small GIF of a video: its writer, frame size and which frames it keeps.
struct GifSink {
    writer: GifWriter,
    size: (u32, u32),
    step: usize,
}

/// Open outputs of one video.
pub struct VideoSinks {
    mp4: Option<Mp4Writer>,
    gif: Option<GifSink>,
    png: Option<PathBuf>,
    frames: usize,
}

/// GIF frame size for a `width`×`height` video: longer side at most [`GIF_MAX_SIDE`].
pub fn gif_size(width: u32, height: u32) -> (u32, u32) {
    let longer = width.max(height).max(1);
    if longer <= GIF_MAX_SIDE {
        return (width, height);
    }
    let scale =
        |v: u32| ((u64::from(v) * u64::from(GIF_MAX_SIDE) / u64::from(longer)) as u32).max(1);
    (scale(width), scale(height))
}

impl VideoSinks {
    /// Opens `<name>.mp4`, `<name>.gif` and `<name>-frames/` in `dir` as
    /// `formats` asks; returns the sinks and the file names they write.
    pub fn create(
        dir: &Path,
        name: &str,
        size: (u32, u32),
        fps: u32,
        formats: VideoFormats,
    ) -> Result<(VideoSinks, Vec<String>), VideoError> {
        let mut files = Vec::new();
        let mp4 = if formats.mp4 {
            files.push(format!("{name}.mp4"));
            Some(Mp4Writer::create(
                &dir.join(format!("{name}.mp4")),
                size.0,
                size.1,
                fps,
            )?)
        } else {
            None
        };
        let gif = if formats.gif {
            files.push(format!("{name}.gif"));
            let step = fps.div_ceil(GIF_MAX_FPS).max(1);
            let small = gif_size(size.0, size.1);
            let path = dir.join(format!("{name}.gif"));
            Some(GifSink {
                writer: GifWriter::create(&path, small.0, small.1, (fps / step).max(1))?,
                size: small,
                step: step as usize,
            })
        } else {
            None
        };
        let png = if formats.png {
            let folder = dir.join(format!("{name}-frames"));
            std::fs::create_dir_all(&folder).map_err(|source| VideoError::Io {
                path: folder.display().to_string(),
                source,
            })?;
            files.push(format!("{name}-frames"));
            Some(folder)
        } else {
            None
        };
        let sinks = VideoSinks {
            mp4,
            gif,
            png,
            frames: 0,
        };
        Ok((sinks, files))
    }

    /// Writes the next frame to every open output.
    pub fn push(&mut self, frame: &RgbImage) -> Result<(), VideoError> {
        if let Some(mp4) = &mut self.mp4 {
            mp4.push(frame)?;
        }
        if let Some(gif) = &mut self.gif {
            if self.frames.is_multiple_of(gif.step) {
                let (w, h) = gif.size;
                let small = if frame.dimensions() == (w, h) {
                    frame.clone()
                } else {
                    image::imageops::resize(frame, w, h, image::imageops::FilterType::Triangle)
                };
                gif.writer.push(&small)?;
            }
        }
        if let Some(folder) = &self.png {
            let path = folder.join(format!("frame-{:04}.png", self.frames));
            frame.save(&path).map_err(|e| VideoError::BadSize {
                path: path.display().to_string(),
                message: format!("cannot write png: {e}"),
            })?;
        }
        self.frames += 1;
        Ok(())
    }

    /// Finishes every output.
    pub fn finish(self) -> Result<(), VideoError> {
        if let Some(mp4) = self.mp4 {
            mp4.finish()?;
        }
        if let Some(gif) = self.gif {
            gif.writer.finish()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::AnimationDecoder;

    #[test]
    fn gif_and_png_outputs_decode_with_their_frame_counts() {
        let dir = tempfile::tempdir().unwrap();
        let formats = VideoFormats::parse("gif, png").unwrap();
        let (mut sinks, files) =
            VideoSinks::create(dir.path(), "v", (720, 480), 40, formats).unwrap();
        assert_eq!(files, ["v.gif", "v-frames"]);
        for i in 0..10u8 {
            sinks
                .push(&RgbImage::from_fn(720, 480, |x, y| {
                    image::Rgb([(x / 3) as u8, (y / 2) as u8, i * 20])
                }))
                .unwrap();
        }
        sinks.finish().unwrap();
        let file = std::fs::File::open(dir.path().join("v.gif")).unwrap();
        let decoder = image::codecs::gif::GifDecoder::new(std::io::BufReader::new(file)).unwrap();
        let frames = decoder.into_frames().collect_frames().unwrap();
        // 40 fps keeps every third frame (0, 3, 6, 9), at 300 px on the longer side.
        assert_eq!(frames.len(), 4);
        assert_eq!(frames[0].buffer().dimensions(), (300, 200));
        let pngs: Vec<_> = (0..10)
            .map(|i| image::open(dir.path().join(format!("v-frames/frame-{i:04}.png"))).unwrap())
            .collect();
        assert_eq!(pngs[9].to_rgb8().get_pixel(0, 0).0, [0, 0, 180]);
        assert!(!dir.path().join("v-frames/frame-0010.png").exists());
        assert!(VideoFormats::parse("mp4,avi").is_err());
    }
}
