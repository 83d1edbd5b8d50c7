//! Video writers: H.264 MP4 (openh264 + the `mp4` muxer, no ffmpeg needed) and looping animated GIF.
//!
//! Both writers take `RgbImage` frames one at a time, so a caller can render and encode in a stream
//! without holding a whole animation in memory.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use image::RgbImage;
use openh264::encoder::{
    BitRate, Complexity, Encoder, EncoderConfig, FrameRate, FrameType, IntraFramePeriod, QpRange,
    RateControlMode, UsageType, VuiConfig,
};
use openh264::formats::YUVSource;
use openh264::OpenH264API;

/// Errors of video writing; every message is one line and starts with the file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    #[error("{path}: cannot write video: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: h264 encoding failed: {message}")]
    Encode { path: String, message: String },
    #[error("{path}: mp4 muxing failed: {source}")]
    Mux { path: String, source: mp4::Error },
    #[error("{path}: gif encoding failed: {source}")]
    Gif {
        path: String,
        source: gif::EncodingError,
    },
    #[error("{path}: {message}")]
    BadSize { path: String, message: String },
}

/// Target bits per pixel per frame: 0.4 is 9.8 Mbit/s at 960x640@40, enough for fine photo detail
/// in Constrained Baseline (openh264 has no CABAC or 8x8 transform).
const BITS_PER_PIXEL: f64 = 0.4;
/// Quantiser range for the rate control; the cap of 24 keeps the first I-frame and busy frames
/// from going blocky (the bitrate may overshoot instead).
const QP_RANGE: (u8, u8) = (12, 24);
/// Seconds between IDR frames, so players can seek without decoding from the start.
const KEYFRAME_SECONDS: u32 = 2;

/// Ticks per frame in the track timescale (`fps * SAMPLE_TICKS`), giving exact integer durations.
const SAMPLE_TICKS: u32 = 1000;

/// Streams RGB frames into an H.264 MP4 file (constant frame rate, one video track).
pub struct Mp4Writer {
    path: String,
    width: u32,
    height: u32,
    /// Track timescale; each frame lasts exactly `SAMPLE_TICKS` of it.
    timescale: u32,
    encoder: Encoder,
    yuv: Yuv420,
    mux: mp4::Mp4Writer<BufWriter<File>>,
    /// Parameter sets from the first IDR frame; the track is added once they are known.
    sps: Vec<u8>,
    pps: Vec<u8>,
    frames: u64,
}

impl Mp4Writer {
    /// Starts an MP4 at `path`; width and height must be even and at most 3840x2160 (openh264's
    /// limit). The index is written by `finish`, so until then the file is unplayable: write to a
    /// temp path and rename it afterwards.
    pub fn create(path: &Path, width: u32, height: u32, fps: u32) -> Result<Self, VideoError> {
        let shown = path.display().to_string();
        let bad = |message: String| VideoError::BadSize {
            path: shown.clone(),
            message,
        };
        if width == 0 || height == 0 || width % 2 != 0 || height % 2 != 0 {
            return Err(bad(format!(
                "h264 needs a non-empty even frame size, got {width}x{height}"
            )));
        }
        if width.max(height) > 3840 || width.min(height) > 2160 {
            return Err(bad(format!(
                "h264 frame size {width}x{height} is larger than 3840x2160"
            )));
        }
        if fps == 0 || fps > 1000 {
            return Err(bad(format!("frame rate {fps} is outside 1..=1000")));
        }

        let mut encoder = Encoder::with_api_config(
            OpenH264API::from_source(),
            encoder_config(width, height, fps),
        )
        .map_err(|e| VideoError::Encode {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        silence_encoder_log(&mut encoder);
        let file = File::create(path).map_err(|source| VideoError::Io {
            path: shown.clone(),
            source,
        })?;
        let timescale = fps * SAMPLE_TICKS;
        let config = mp4::Mp4Config {
            major_brand: mp4::FourCC::from(*b"isom"),
            minor_version: 512,
            compatible_brands: [*b"isom", *b"iso2", *b"avc1", *b"mp41"]
                .into_iter()
                .map(mp4::FourCC::from)
                .collect(),
            // Same scale as the track so movie and track durations carry no rounding.
            timescale,
        };
        let mux = mp4::Mp4Writer::write_start(BufWriter::with_capacity(1 << 20, file), &config)
            .map_err(|source| VideoError::Mux {
                path: shown.clone(),
                source,
            })?;
        Ok(Self {
            path: shown,
            width,
            height,
            timescale,
            encoder,
            yuv: Yuv420::new(width as usize, height as usize),
            mux,
            sps: Vec::new(),
            pps: Vec::new(),
            frames: 0,
        })
    }

    /// Encodes one frame; it must be exactly `width`x`height`.
    pub fn push(&mut self, frame: &RgbImage) -> Result<(), VideoError> {
        if frame.dimensions() != (self.width, self.height) {
            return Err(VideoError::BadSize {
                path: self.path.clone(),
                message: format!(
                    "frame {} is {}x{}, the video is {}x{}",
                    self.frames,
                    frame.width(),
                    frame.height(),
                    self.width,
                    self.height
                ),
            });
        }
        self.yuv.fill_from_rgb(frame);
        let encode_error = |message: String| VideoError::Encode {
            path: self.path.clone(),
            message,
        };
        let stream = self
            .encoder
            .encode(&self.yuv)
            .map_err(|e| encode_error(format!("frame {}: {e}", self.frames)))?;
        let frame_type = stream.frame_type();
        if !matches!(frame_type, FrameType::IDR | FrameType::I | FrameType::P) {
            return Err(encode_error(format!(
                "frame {}: encoder returned a {frame_type:?} frame",
                self.frames
            )));
        }

        // Annex-B NAL units -> 4-byte length-prefixed sample; SPS/PPS go to the avcC box.
        let mut sample = Vec::with_capacity(64 * 1024);
        for l in 0..stream.num_layers() {
            let Some(layer) = stream.layer(l) else {
                continue;
            };
            for n in 0..layer.nal_count() {
                let Some(nal) = layer.nal_unit(n).map(strip_start_code) else {
                    continue;
                };
                let Some(&header) = nal.first() else { continue };
                match header & 0x1f {
                    7 if self.sps.is_empty() => self.sps = nal.to_vec(),
                    8 if self.pps.is_empty() => self.pps = nal.to_vec(),
                    // Repeats of the parameter sets already in avcC are dropped.
                    7 if nal == self.sps.as_slice() => {}
                    8 if nal == self.pps.as_slice() => {}
                    _ => {
                        let len = u32::try_from(nal.len())
                            .map_err(|_| encode_error("nal unit over 4 GiB".into()))?;
                        sample.extend_from_slice(&len.to_be_bytes());
                        sample.extend_from_slice(nal);
                    }
                }
            }
        }
        if sample.is_empty() {
            return Err(encode_error(format!(
                "frame {}: encoder produced no picture data",
                self.frames
            )));
        }

        if self.frames == 0 {
            if self.sps.len() < 4 || self.pps.is_empty() {
                return Err(encode_error(
                    "first frame carries no sequence/picture parameter sets".into(),
                ));
            }
            let avc = mp4::AvcConfig {
                width: self.width as u16,
                height: self.height as u16,
                seq_param_set: self.sps.clone(),
                pic_param_set: self.pps.clone(),
            };
            let track = mp4::TrackConfig {
                track_type: mp4::TrackType::Video,
                timescale: self.timescale,
                language: "und".into(),
                media_conf: mp4::MediaConfig::AvcConfig(avc),
            };
            self.mux
                .add_track(&track)
                .map_err(|source| VideoError::Mux {
                    path: self.path.clone(),
                    source,
                })?;
        }
        let mp4_sample = mp4::Mp4Sample {
            start_time: self.frames * u64::from(SAMPLE_TICKS),
            duration: SAMPLE_TICKS,
            rendering_offset: 0,
            is_sync: frame_type == FrameType::IDR,
            bytes: mp4::Bytes::from(sample),
        };
        self.mux
            .write_sample(1, &mp4_sample)
            .map_err(|source| VideoError::Mux {
                path: self.path.clone(),
                source,
            })?;
        self.frames += 1;
        Ok(())
    }

    /// Writes the index (moov box) and flushes the file; a video needs at least one frame.
    pub fn finish(mut self) -> Result<(), VideoError> {
        if self.frames == 0 {
            return Err(VideoError::BadSize {
                path: self.path,
                message: "no frames were pushed".into(),
            });
        }
        self.mux.write_end().map_err(|source| VideoError::Mux {
            path: self.path.clone(),
            source,
        })?;
        let io = |source| VideoError::Io {
            path: self.path.clone(),
            source,
        };
        let file = self
            .mux
            .into_writer()
            .into_inner()
            .map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)
    }
}

/// Encoder settings: bitrate rate control with a capped quantiser, no frame skipping (every pushed
/// frame becomes a sample), one thread so output is deterministic (callers parallelise per video).
fn encoder_config(width: u32, height: u32, fps: u32) -> EncoderConfig {
    let bps = (BITS_PER_PIXEL * f64::from(width) * f64::from(height) * f64::from(fps))
        .clamp(1_000_000.0, 60_000_000.0) as u32;
    EncoderConfig::new()
        .usage_type(UsageType::CameraVideoRealTime)
        .rate_control_mode(RateControlMode::Bitrate)
        .bitrate(BitRate::from_bps(bps))
        .max_frame_rate(FrameRate::from_hz(fps as f32))
        .qp(QpRange::new(QP_RANGE.0, QP_RANGE.1))
        .skip_frames(false)
        // Low measured ~12% faster than Medium at the same size and PSNR (within 0.01 dB).
        .complexity(Complexity::Low)
        .intra_frame_period(IntraFramePeriod::from_num_frames(fps * KEYFRAME_SECONDS))
        .scene_change_detect(false)
        .background_detection(false)
        .num_threads(1)
        .vui(VuiConfig::bt709())
}

/// Turns off openh264's own stderr logging before it initialises, so a CLI progress display is not
/// interrupted by its warning about rate control without frame skipping (errors still come back as
/// return codes).
fn silence_encoder_log(encoder: &mut Encoder) {
    /// `ENCODER_OPTION_TRACE_LEVEL` and `WELS_LOG_QUIET` from openh264's `codec_app_def.h`.
    const ENCODER_OPTION_TRACE_LEVEL: std::os::raw::c_int = 25;
    let mut quiet: std::os::raw::c_int = 0;
    // SAFETY: the encoder object exists from construction on; the trace-level option is accepted
    // before initialisation and only reads one int through the pointer, which outlives the call.
    // A failure only means the log stays on, so the status code is ignored.
    unsafe {
        encoder
            .raw_api()
            .set_option(ENCODER_OPTION_TRACE_LEVEL, (&raw mut quiet).cast());
    }
}

/// Drops the Annex-B start code (`00 00 01` or `00 00 00 01`) in front of a NAL unit.
fn strip_start_code(nal: &[u8]) -> &[u8] {
    let zeros = nal.iter().take_while(|&&b| b == 0).count();
    if zeros >= 2 && nal.get(zeros) == Some(&1) {
        &nal[zeros + 1..]
    } else {
        nal
    }
}

/// One I420 frame, reused across pushes to avoid a per-frame allocation.
struct Yuv420 {
    width: usize,
    height: usize,
    y: Vec<u8>,
    u: Vec<u8>,
    v: Vec<u8>,
}

impl Yuv420 {
    fn new(width: usize, height: usize) -> Self {
        let chroma = (width / 2) * (height / 2);
        Self {
            width,
            height,
            y: vec![0; width * height],
            u: vec![128; chroma],
            v: vec![128; chroma],
        }
    }

    /// Converts sRGB to BT.709 limited-range YCbCr 4:2:0 (chroma from the 2x2 average), rounded,
    /// matching the BT.709 colour description written into the stream.
    fn fill_from_rgb(&mut self, rgb: &RgbImage) {
        // 16.16 fixed point: 219/255 * (0.2126, 0.7152, 0.0722), 224/255 * chroma rows.
        const YR: i32 = 11966;
        const YG: i32 = 40254;
        const YB: i32 = 4064;
        const UR: i32 = -6596;
        const UG: i32 = -22188;
        const UB: i32 = 28784;
        const VR: i32 = 28784;
        const VG: i32 = -26145;
        const VB: i32 = -2639;
        let w = self.width;
        let src = rgb.as_raw();
        let row_bytes = w * 3;
        for ((rows, yrows), (urow, vrow)) in src
            .chunks_exact(2 * row_bytes)
            .zip(self.y.chunks_exact_mut(2 * w))
            .zip(
                self.u
                    .chunks_exact_mut(w / 2)
                    .zip(self.v.chunks_exact_mut(w / 2)),
            )
        {
            let (top, bottom) = rows.split_at(row_bytes);
            let (ytop, ybottom) = yrows.split_at_mut(w);
            for x in 0..w / 2 {
                let mut sum = [0i32; 3];
                for (row, yrow) in [(top, &mut *ytop), (bottom, &mut *ybottom)] {
                    for dx in 0..2 {
                        let p = &row[(2 * x + dx) * 3..(2 * x + dx) * 3 + 3];
                        let (r, g, b) = (i32::from(p[0]), i32::from(p[1]), i32::from(p[2]));
                        yrow[2 * x + dx] =
                            ((YR * r + YG * g + YB * b + (16 << 16) + (1 << 15)) >> 16) as u8;
                        sum[0] += r;
                        sum[1] += g;
                        sum[2] += b;
                    }
                }
                let [r, g, b] = sum;
                urow[x] = ((UR * r + UG * g + UB * b + (128 << 18) + (1 << 17)) >> 18).clamp(0, 255)
                    as u8;
                vrow[x] = ((VR * r + VG * g + VB * b + (128 << 18) + (1 << 17)) >> 18).clamp(0, 255)
                    as u8;
            }
        }
    }
}

impl YUVSource for Yuv420 {
    fn dimensions(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    fn strides(&self) -> (usize, usize, usize) {
        (self.width, self.width / 2, self.width / 2)
    }

    fn y(&self) -> &[u8] {
        &self.y
    }

    fn u(&self) -> &[u8] {
        &self.u
    }

    fn v(&self) -> &[u8] {
        &self.v
    }
}

/// NeuQuant speed for the per-frame GIF palette (1 best .. 30 fastest); 10 is the usual compromise.
const GIF_QUANT_SPEED: i32 = 10;

/// Streams RGB frames into an infinitely looping animated GIF (one 256-colour palette per frame).
pub struct GifWriter {
    path: String,
    width: u16,
    height: u16,
    /// Frame delay in 1/100 s.
    delay: u16,
    encoder: gif::Encoder<BufWriter<File>>,
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
        let mut encoder = gif::Encoder::new(BufWriter::with_capacity(1 << 20, file), w, h, &[])
            .map_err(gif_error)?;
        encoder
            .set_repeat(gif::Repeat::Infinite)
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
            gif::Frame::from_rgb_speed(self.width, self.height, frame.as_raw(), GIF_QUANT_SPEED);
        gif_frame.delay = self.delay;
        gif_frame.dispose = gif::DisposalMethod::Keep;
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
    use image::codecs::gif::GifDecoder;
    use image::AnimationDecoder;

    /// A diagonal colour gradient that slides right by `i` pixels, so frames differ.
    fn frame(width: u32, height: u32, i: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            let t = ((x + 3 * i) % width) * 255 / width;
            image::Rgb([t as u8, (y * 255 / height) as u8, (255 - t) as u8])
        })
    }

    fn write_mp4(path: &Path, frames: u32) {
        let mut writer = Mp4Writer::create(path, 64, 48, 40).unwrap();
        for i in 0..frames {
            writer.push(&frame(64, 48, i)).unwrap();
        }
        writer.finish().unwrap();
    }

    #[test]
    fn mp4_reads_back_with_all_samples() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.mp4");
        write_mp4(&path, 12);

        let file = File::open(&path).unwrap();
        let size = file.metadata().unwrap().len();
        let mut reader = mp4::Mp4Reader::read_header(std::io::BufReader::new(file), size).unwrap();
        assert_eq!(reader.tracks().len(), 1);
        let track = &reader.tracks()[&1];
        assert_eq!(track.media_type().unwrap(), mp4::MediaType::H264);
        assert_eq!((track.width(), track.height()), (64, 48));
        assert_eq!(track.sample_count(), 12);
        assert_eq!(track.duration(), std::time::Duration::from_millis(300));
        assert_eq!(track.frame_rate(), 40.0);
        let first = reader.read_sample(1, 1).unwrap().unwrap();
        assert!(first.is_sync);
        // Length-prefixed (AVCC), not Annex-B: the first NAL's length fits inside the sample.
        let len = u32::from_be_bytes(first.bytes[..4].try_into().unwrap()) as usize;
        assert!(len + 4 <= first.bytes.len());
        assert!(!reader.read_sample(1, 2).unwrap().unwrap().is_sync);
    }

    #[test]
    fn mp4_is_deterministic() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.mp4"), dir.path().join("b.mp4"));
        write_mp4(&a, 12);
        write_mp4(&b, 12);
        assert_eq!(std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    }

    #[test]
    fn odd_size_and_wrong_frames_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("odd.mp4");
        let err = Mp4Writer::create(&path, 63, 48, 40).err().unwrap();
        assert!(matches!(err, VideoError::BadSize { .. }), "{err}");
        let message = err.to_string();
        assert!(
            message.contains("odd.mp4") && message.contains("63x48"),
            "{message}"
        );
        assert!(!message.contains('\n'));

        let mut writer = Mp4Writer::create(&path, 64, 48, 40).unwrap();
        let err = writer.push(&frame(32, 48, 0)).unwrap_err();
        assert!(err.to_string().contains("32x48"), "{err}");
        assert!(Mp4Writer::create(&path, 64, 48, 40)
            .unwrap()
            .finish()
            .is_err());
    }

    #[test]
    fn unwritable_path_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("x.mp4");
        let err = Mp4Writer::create(&path, 64, 48, 40).err().unwrap();
        assert!(matches!(err, VideoError::Io { .. }));
        assert!(err.to_string().contains("x.mp4"), "{err}");
    }

    #[test]
    fn bt709_conversion_of_primaries() {
        let mut yuv = Yuv420::new(2, 2);
        for (rgb, expect) in [
            ([255, 255, 255], (235, 128, 128)),
            ([0, 0, 0], (16, 128, 128)),
            ([255, 0, 0], (63, 102, 240)),
            ([0, 0, 255], (32, 240, 118)),
        ] {
            yuv.fill_from_rgb(&RgbImage::from_pixel(2, 2, image::Rgb(rgb)));
            assert_eq!((yuv.y[0], yuv.u[0], yuv.v[0]), expect, "{rgb:?}");
        }
    }

    #[test]
    fn gif_loops_with_every_frame() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.gif");
        let mut writer = GifWriter::create(&path, 64, 48, 40).unwrap();
        for i in 0..12 {
            writer.push(&frame(64, 48, i)).unwrap();
        }
        writer.finish().unwrap();

        let bytes = std::fs::read(&path).unwrap();
        assert!(
            bytes.windows(11).any(|w| w == b"NETSCAPE2.0"),
            "no loop extension"
        );
        let decoder = GifDecoder::new(std::io::Cursor::new(bytes)).unwrap();
        let frames = decoder.into_frames().collect_frames().unwrap();
        assert_eq!(frames.len(), 12);
        assert_eq!(frames[0].buffer().dimensions(), (64, 48));
        // 40 fps rounds to 3/100 s per frame.
        assert_eq!(frames[0].delay().numer_denom_ms(), (30, 1));
        assert!(GifWriter::create(&path, 70_000, 48, 40).is_err());
    }
}
