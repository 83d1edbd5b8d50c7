//! Checks MP4 output with the real ffprobe/ffmpeg when they are installed: codec, decoded frame
//! count, size, frame rate and colours. Set `PHOTO3D_REQUIRE_FFPROBE=1` to fail instead of skip.

use std::path::Path;
use std::process::Command;

use image::{Rgb, RgbImage};
use photo3d::output::video::Mp4Writer;

const W: u32 = 150;
const H: u32 = 94;
const FPS: u32 = 40;
const FRAMES: u32 = 48;

/// Four solid quadrants (red, green, blue, white) with a moving grey bar, so colours can be checked;
/// the size is deliberately not a multiple of 16 so the SPS cropping is exercised.
fn frame(i: u32) -> RgbImage {
    RgbImage::from_fn(W, H, |x, y| {
        if (x + W - 2 * i % W) % W < 8 {
            return Rgb([128, 128, 128]);
        }
        match (x < W / 2, y < H / 2) {
            (true, true) => Rgb([230, 20, 20]),
            (false, true) => Rgb([20, 230, 20]),
            (true, false) => Rgb([20, 20, 230]),
            (false, false) => Rgb([240, 240, 240]),
        }
    })
}

fn have_tool(name: &str) -> bool {
    let found = Command::new(name).arg("-version").output().is_ok();
    if !found {
        if std::env::var("PHOTO3D_REQUIRE_FFPROBE").as_deref() == Ok("1") {
            panic!("{name} is not on PATH but PHOTO3D_REQUIRE_FFPROBE=1; install ffmpeg");
        }
        eprintln!("skipping: {name} is not on PATH (set PHOTO3D_REQUIRE_FFPROBE=1 to require it)");
    }
    found
}

fn write_video(path: &Path) {
    let mut writer = Mp4Writer::create(path, W, H, FPS).unwrap();
    for i in 0..FRAMES {
        writer.push(&frame(i)).unwrap();
    }
    writer.finish().unwrap();
}

#[test]
fn ffprobe_sees_every_h264_frame() {
    if !have_tool("ffprobe") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("probe.mp4");
    write_video(&path);

    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-count_frames"])
        .args([
            "-show_entries",
            "stream=codec_name,pix_fmt,width,height,r_frame_rate,nb_frames,nb_read_frames",
        ])
        .args(["-of", "default=noprint_wrappers=1"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "ffprobe: {stderr}"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no {key} in ffprobe output:\n{text}"))
            .to_string()
    };
    assert_eq!(field("codec_name"), "h264");
    assert_eq!(field("pix_fmt"), "yuv420p");
    assert_eq!(field("width"), W.to_string());
    assert_eq!(field("height"), H.to_string());
    assert_eq!(field("r_frame_rate"), format!("{FPS}/1"));
    assert_eq!(field("nb_frames"), FRAMES.to_string());
    assert_eq!(field("nb_read_frames"), FRAMES.to_string());
}

#[test]
fn ffmpeg_decodes_the_right_colours() {
    if !have_tool("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("colours.mp4");
    write_video(&path);

    // Frame 5 as raw RGB, converted with the BT.709 matrix the stream is tagged with.
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&path)
        .args([
            "-vf",
            "select=eq(n\\,5),scale=in_color_matrix=bt709:in_range=tv",
        ])
        .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ffmpeg: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decoded = RgbImage::from_raw(W, H, out.stdout).expect("one full rgb frame");
    let expected = frame(5);
    // Quadrant centres, away from the moving bar (x 10..18 in frame 5) and chroma edges.
    for (x, y) in [
        (W / 4 + 10, H / 4),
        (3 * W / 4, H / 4),
        (W / 4 + 10, 3 * H / 4),
        (3 * W / 4, 3 * H / 4),
    ] {
        let (got, want) = (decoded.get_pixel(x, y), expected.get_pixel(x, y));
        for c in 0..3 {
            let diff = (i32::from(got[c]) - i32::from(want[c])).abs();
            assert!(
                diff <= 8,
                "pixel ({x},{y}): decoded {got:?}, expected {want:?}"
            );
        }
    }
}
