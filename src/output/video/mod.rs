//! Video writers: H.264 MP4 (openh264 + the `mp4` muxer, no ffmpeg needed) and looping animated GIF.
//!
//! Both writers take `RgbImage` frames one at a time, so a caller can render and encode in a stream
//! without holding a whole animation in memory.

mod error;
mod gif;
mod mp4;
mod yuv;

pub use error::VideoError;
pub use gif::GifWriter;
pub use mp4::{check_frame_size, Mp4Writer, MAX_VIDEO_SIDES};

#[cfg(test)]
mod tests {
    use super::yuv::Yuv420;
    use super::{GifWriter, Mp4Writer, VideoError};
    use image::codecs::gif::GifDecoder;
    use image::AnimationDecoder;
    use image::RgbImage;
    use std::fs::File;
    use std::path::Path;

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
        let mut reader =
            ::mp4::Mp4Reader::read_header(std::io::BufReader::new(file), size).unwrap();
        assert_eq!(reader.tracks().len(), 1);
        let track = &reader.tracks()[&1];
        assert_eq!(track.media_type().unwrap(), ::mp4::MediaType::H264);
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
