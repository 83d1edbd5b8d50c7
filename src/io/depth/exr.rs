//! OpenEXR depth maps, as renderers (Blender, Houdini, Nuke) and depth tools write
//! them: float depth in a `Z`, `depth`, `Y` or `R` channel, possibly beside colour
//! channels or inside a named layer such as `ViewLayer.Depth.Z`.

use std::io::Cursor;
use std::path::Path;

use exr::prelude::{read, FlatSamples, ReadChannels, ReadLayers};

use super::checks::{checked_pixels, make_map, DepthFileError, MAX_DEPTH_PIXELS};
use crate::map::FloatMap;

/// The four magic bytes that open every OpenEXR file.
pub const EXR_MAGIC: [u8; 4] = [0x76, 0x2f, 0x31, 0x01];

/// Channel names (the part after the last dot, lower case) that hold depth, best
/// first: dedicated depth channels before luminance and red.
const DEPTH_CHANNELS: [&str; 7] = ["z", "depth", "distance", "disparity", "v", "y", "r"];

/// Most bytes of decoded samples per byte of an OpenEXR file beyond
/// [`FREE_EXR_SAMPLE_BYTES`]: twice deflate's largest expansion.
const MAX_EXR_EXPANSION: u64 = 2048;

/// Decoded samples any OpenEXR file may declare, whatever its size: 16 M
/// float samples, so small constant maps still open.
const FREE_EXR_SAMPLE_BYTES: u64 = 64 << 20;

/// Parses an OpenEXR file and returns its depth channel as a [`FloatMap`].
///
/// The channel is the first by [`DEPTH_CHANNELS`] order, or the only channel of a
/// one-channel file; any other file is an error listing its channels. Sizes are
/// checked from the header before any pixel is decoded.
pub fn parse_exr(bytes: &[u8], name: &Path) -> Result<FloatMap, DepthFileError> {
    let exr_error = |e: exr::error::Error| DepthFileError::Image {
        path: name.into(),
        detail: format!("bad OpenEXR file: {e}"),
    };
    let meta =
        exr::meta::MetaData::read_from_buffered(Cursor::new(bytes), false).map_err(exr_error)?;
    let mut samples = 0u64;
    let mut sample_bytes = 0u64;
    for header in &meta.headers {
        let pixels = checked_pixels(header.layer_size.0, header.layer_size.1, name)? as u64;
        let channels = &header.channels.list;
        samples = samples.saturating_add(pixels.saturating_mul(channels.len() as u64));
        let pixel_bytes: u64 = channels
            .iter()
            .map(|c| c.sample_type.bytes_per_sample() as u64)
            .sum();
        sample_bytes = sample_bytes.saturating_add(pixels.saturating_mul(pixel_bytes));
        // A tile is decoded whole, however far it reaches past the image.
        if let exr::meta::BlockDescription::Tiles(tiles) = &header.blocks {
            let (w, h) = (tiles.tile_size.0 as u64, tiles.tile_size.1 as u64);
            let tile = w.saturating_mul(h).saturating_mul(pixel_bytes);
            sample_bytes = sample_bytes.saturating_add(tile);
        }
    }
    // Every channel of every layer is decoded: their total is capped like one map.
    if samples > MAX_DEPTH_PIXELS {
        return Err(DepthFileError::Image {
            path: name.into(),
            detail: format!(
                "OpenEXR header declares {samples} samples (pixels × channels over all layers), over the limit of {MAX_DEPTH_PIXELS}"
            ),
        });
    }
    // Compressed chunks expand at most about a thousandfold (deflate's limit),
    // but an empty DWA chunk stands for a whole block of zeros: a 1 KB file
    // could decode to 400 MB. Beyond a small allowance, the samples must be
    // paid for in bytes of the file.
    let paid = (bytes.len() as u64).saturating_mul(MAX_EXR_EXPANSION);
    if sample_bytes > FREE_EXR_SAMPLE_BYTES.max(paid) {
        return Err(DepthFileError::Image {
            path: name.into(),
            detail: format!(
                "OpenEXR header declares {sample_bytes} bytes of samples, more than {MAX_EXR_EXPANSION} times the file's {} bytes",
                bytes.len()
            ),
        });
    }
    // The exr crate asserts on some malformed block layouts (found by
    // fuzzing): a panic there is this file's error, not the end of a batch.
    let decoded = std::panic::catch_unwind(|| {
        read()
            .no_deep_data()
            .largest_resolution_level()
            .all_channels()
            .all_layers()
            .all_attributes()
            .non_parallel()
            .from_buffered(Cursor::new(bytes))
    })
    .map_err(|_| DepthFileError::Image {
        path: name.into(),
        detail: "bad OpenEXR file: its blocks do not match its header".to_string(),
    })?;
    let image = decoded.map_err(exr_error)?;

    let channels: Vec<(usize, usize, String)> = image
        .layer_data
        .iter()
        .enumerate()
        .flat_map(|(l, layer)| {
            let prefix = layer
                .attributes
                .layer_name
                .as_ref()
                .map(|n| format!("{n}."))
                .unwrap_or_default();
            layer
                .channel_data
                .list
                .iter()
                .enumerate()
                .map(move |(c, ch)| (l, c, format!("{prefix}{}", ch.name)))
        })
        .collect();
    let (layer, channel) = pick_depth_channel(&channels).ok_or_else(|| DepthFileError::Image {
        path: name.into(),
        detail: format!(
            "no depth channel in OpenEXR file (channels: {}; expected Z, depth, Y or R)",
            channels
                .iter()
                .map(|(_, _, n)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })?;
    let layer = &image.layer_data[layer];
    let (width, height) = (layer.size.0, layer.size.1);
    let count = checked_pixels(width, height, name)?;
    let values: Vec<f32> = match &layer.channel_data.list[channel].sample_data {
        FlatSamples::F16(v) => v.iter().map(|h| h.to_f32()).collect(),
        FlatSamples::F32(v) => v.clone(),
        FlatSamples::U32(v) => v.iter().map(|&u| u as f32).collect(),
    };
    if values.len() != count {
        return Err(DepthFileError::Truncated {
            path: name.into(),
            width: width as u64,
            height: height as u64,
            found: values.len() as u64,
            expected: count as u64,
        });
    }
    make_map(width, height, values, name)
}

/// The (layer, channel) holding depth among `(layer, channel, full name)` triples.
fn pick_depth_channel(channels: &[(usize, usize, String)]) -> Option<(usize, usize)> {
    let short = |full: &str| full.rsplit('.').next().unwrap_or(full).to_ascii_lowercase();
    DEPTH_CHANNELS
        .iter()
        .find_map(|want| channels.iter().find(|(_, _, n)| short(n) == *want))
        .or(match channels {
            [only] => Some(only),
            _ => None,
        })
        .map(|&(l, c, _)| (l, c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::depth::write::encode_exr_channels;

    /// One layer "ViewLayer" of named f32 channels, as Blender names its layers.
    fn exr_bytes(width: usize, height: usize, channels: Vec<(&str, Vec<f32>)>) -> Vec<u8> {
        encode_exr_channels(width, height, "ViewLayer", channels).expect("encode EXR")
    }

    /// A 1×1 file with 40 channels whose header then claims 5000×5000 pixels:
    /// 10⁹ samples, refused from the header before anything is allocated.
    #[test]
    fn many_large_channels_are_refused_from_the_header() {
        let names: Vec<String> = (0..40).map(|i| format!("c{i:02}")).collect();
        let channels = names.iter().map(|n| (n.as_str(), vec![1.0])).collect();
        let mut bytes = exr_bytes(1, 1, channels);
        let key = b"dataWindow\0box2i\0";
        let at = bytes.windows(key.len()).position(|w| w == key).unwrap() + key.len() + 4;
        bytes[at + 8..at + 12].copy_from_slice(&4999i32.to_le_bytes());
        bytes[at + 12..at + 16].copy_from_slice(&4999i32.to_le_bytes());
        let err = parse_exr(&bytes, Path::new("wide.exr"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("wide.exr: ") && err.contains("samples"),
            "{err}"
        );
    }

    /// An OpenEXR file of `width` × `height` float `Z` samples in DWAB
    /// chunks of 256 lines, every chunk empty (which the exr crate decodes as
    /// a block of zeros).
    fn empty_dwab(width: i32, height: i32) -> Vec<u8> {
        let attribute = |name: &str, kind: &str, value: &[u8]| {
            let mut a = [name.as_bytes(), b"\0", kind.as_bytes(), b"\0"].concat();
            a.extend_from_slice(&(value.len() as i32).to_le_bytes());
            a.extend_from_slice(value);
            a
        };
        let ints = |v: &[i32]| v.iter().flat_map(|i| i.to_le_bytes()).collect::<Vec<u8>>();
        let window = ints(&[0, 0, width - 1, height - 1]);
        // Channel Z: float (2), linear 0, 3 reserved, sampling 1 × 1.
        let channels = [&b"Z\0"[..], &ints(&[2, 0, 1, 1]), b"\0"].concat();
        let mut file = [0x76, 0x2f, 0x31, 0x01, 2, 0, 0, 0].to_vec();
        file.extend(attribute("channels", "chlist", &channels));
        file.extend(attribute("compression", "compression", &[9]));
        file.extend(attribute("dataWindow", "box2i", &window));
        file.extend(attribute("displayWindow", "box2i", &window));
        file.extend(attribute("lineOrder", "lineOrder", &[0]));
        file.extend(attribute("pixelAspectRatio", "float", &1f32.to_le_bytes()));
        file.extend(attribute("screenWindowCenter", "v2f", &[0; 8]));
        file.extend(attribute("screenWindowWidth", "float", &1f32.to_le_bytes()));
        file.push(0);
        let chunks = (height + 255) / 256;
        let table_end = file.len() as u64 + 8 * chunks as u64;
        for c in 0..chunks as u64 {
            file.extend((table_end + 8 * c).to_le_bytes());
        }
        for c in 0..chunks {
            file.extend(ints(&[256 * c, 0]));
        }
        file
    }

    /// 917 bytes that decoded to a 100 M pixel map (845 MB peak in a run).
    #[test]
    fn samples_the_file_cannot_pay_for_are_refused_from_the_header() {
        let bytes = empty_dwab(10_000, 9_999);
        assert!(bytes.len() < 1000);
        let err = parse_exr(&bytes, Path::new("empty.exr"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("empty.exr: ") && err.contains("times the file's"),
            "{err}"
        );
        // Within the allowance the same kind of file still opens, as zeros.
        let small = parse_exr(&empty_dwab(300, 200), Path::new("small.exr")).expect("reads");
        assert_eq!(small.dimensions(), (300, 200));
        assert!(small.pixels().all(|p| p.0[0] == 0.0));
    }

    /// Found by the fuzzer (-rss_limit_mb=1024): an 8×6 tiled image whose
    /// tiles are 64 × 150,994,976 pixels took 1.68 GB to fail.
    #[test]
    fn tiles_the_file_cannot_pay_for_are_refused_from_the_header() {
        let bytes = include_bytes!("../../../fuzz/findings/exr-oom-huge-tile.exr");
        let err = parse_exr(bytes, Path::new("tile.exr"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("tile.exr: ") && err.contains("times the file's"),
            "{err}"
        );
    }

    /// Found by the fuzzer: a block layout the exr crate asserts on.
    #[test]
    fn a_decoder_panic_is_this_files_error() {
        let bytes = include_bytes!("../../../fuzz/findings/exr-panic-block-layout.exr");
        let err = parse_exr(bytes, Path::new("panic.exr"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("panic.exr: "), "{err}");
    }

    fn ramp(n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|i| i as f32 * scale).collect()
    }

    #[test]
    fn reads_the_z_channel_beside_colour() {
        let (w, h) = (7, 5);
        let bytes = exr_bytes(
            w,
            h,
            vec![
                ("R", vec![0.25; w * h]),
                ("G", vec![0.5; w * h]),
                ("B", vec![0.75; w * h]),
                ("Z", ramp(w * h, 0.5)),
            ],
        );
        assert!(bytes.starts_with(&EXR_MAGIC));
        let map = parse_exr(&bytes, Path::new("d.exr")).expect("reads");
        assert_eq!(map.dimensions(), (7, 5));
        assert_eq!(map.get_pixel(3, 2).0[0], (2 * 7 + 3) as f32 * 0.5);
    }

    #[test]
    fn reads_a_single_unnamed_channel_and_prefers_depth_over_red() {
        let single = exr_bytes(4, 3, vec![("foo", ramp(12, 1.0))]);
        let map = parse_exr(&single, Path::new("s.exr")).expect("reads");
        assert_eq!(map.get_pixel(1, 2).0[0], 9.0);

        let both = exr_bytes(4, 3, vec![("R", vec![1.0; 12]), ("Depth.V", ramp(12, 2.0))]);
        let map = parse_exr(&both, Path::new("b.exr")).expect("reads");
        assert_eq!(map.get_pixel(1, 2).0[0], 18.0);
    }

    #[test]
    fn bad_files_are_errors_naming_the_file() {
        let two = exr_bytes(2, 2, vec![("A", vec![1.0; 4]), ("B", vec![2.0; 4])]);
        let err = parse_exr(&two, Path::new("two.exr"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("two.exr:") && err.contains("ViewLayer.A"),
            "{err}"
        );

        let good = exr_bytes(8, 8, vec![("Z", ramp(64, 1.0))]);
        for cut in [4, 40, good.len() / 2, good.len() - 1] {
            let err = parse_exr(&good[..cut], Path::new("cut.exr")).unwrap_err();
            assert!(err.to_string().starts_with("cut.exr:"), "{err}");
        }
    }

    #[test]
    fn mutated_files_never_panic() {
        let good = exr_bytes(16, 12, vec![("R", ramp(192, 0.1)), ("Z", ramp(192, 1.0))]);
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3000 {
            let mut bytes = good.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = next() as u8;
            }
            if next() % 3 == 0 {
                bytes.truncate((next() % bytes.len() as u64) as usize);
            }
            if let Ok(map) = parse_exr(&bytes, Path::new("m.exr")) {
                let pixels = u64::from(map.width()) * u64::from(map.height());
                assert!(pixels <= crate::io::depth::MAX_DEPTH_PIXELS);
            }
        }
    }
}
