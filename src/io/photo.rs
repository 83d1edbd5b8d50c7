//! Loading the input photo: format sniffing, size limits, EXIF orientation and
//! conversion of every supported pixel layout to upright 8-bit sRGB.

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read, Seek};
use std::path::{Path, PathBuf};

use image::error::{ImageFormatHint, LimitErrorKind, UnsupportedErrorKind};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, RgbImage};

/// Largest photo accepted, in pixels; checked from the header before any pixel is decoded.
pub const MAX_PIXELS: u64 = 100_000_000;

/// Most memory a decoder may allocate (1 GiB): enough for a 100 Mpx RGBA 16-bit image,
/// and a cap on what a lying header or oversized metadata chunk can make it reserve.
pub const MAX_DECODE_BYTES: u64 = 1 << 30;

/// Colour that transparent pixels are composited over: neutral mid-grey, which biases
/// neither depth estimation nor inpainting towards "bright sky" or "dark hole" and keeps
/// halos at soft alpha edges low-contrast against both light and dark subjects.
pub const ALPHA_BACKGROUND: [u8; 3] = [128, 128, 128];

/// Why a photo could not be loaded; every message is one line that names the file.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    /// The path does not exist.
    #[error("{}: no such file", path.display())]
    NotFound { path: PathBuf },
    /// The path is a directory, not a file.
    #[error("{}: is a directory, not an image file", path.display())]
    NotAFile { path: PathBuf },
    /// The file exists but could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is zero bytes long.
    #[error("{}: empty file (0 bytes)", path.display())]
    Empty { path: PathBuf },
    /// The content matches no image format that the image crate decodes.
    #[error("{}: not a supported image (unknown format)", path.display())]
    UnknownFormat { path: PathBuf },
    /// A known format, but a variant of it (colour type, compression…) that is not supported.
    #[error("{}: unsupported image: {detail}", path.display())]
    Unsupported { path: PathBuf, detail: String },
    /// The data ends early or does not follow the format.
    #[error("{}: truncated or corrupt image data: {detail}", path.display())]
    Corrupt { path: PathBuf, detail: String },
    /// The header announces more than [`MAX_PIXELS`] pixels.
    #[error(
        "{}: image is {width}×{height} = {} megapixels, over the {} megapixel limit",
        path.display(),
        megapixels(u64::from(*width) * u64::from(*height)),
        MAX_PIXELS / 1_000_000
    )]
    TooLarge {
        path: PathBuf,
        width: u32,
        height: u32,
    },
    /// Decoding would need more memory than [`MAX_DECODE_BYTES`].
    #[error("{}: image needs too much memory to decode: {detail}", path.display())]
    OutOfMemoryLimit { path: PathBuf, detail: String },
}

/// An upright 8-bit RGB photo plus what was done to get it there.
#[derive(Debug, Clone)]
pub struct Photo {
    /// Upright pixels; any alpha has been composited over [`ALPHA_BACKGROUND`].
    pub rgb: RgbImage,
    /// The source had an alpha channel (even if every pixel was opaque).
    pub had_alpha: bool,
    /// EXIF orientation (1..=8) that was applied; 1 when there was none.
    pub orientation_applied: u8,
    /// Bits per channel of the source (1, 8, 16, 32…).
    pub source_bit_depth: u8,
}

/// Loads a photo from disk, sniffing the format from its content rather than its extension.
pub fn load_photo(path: &Path) -> Result<Photo, PhotoError> {
    let file = File::open(path).map_err(|e| io_error(path, e))?;
    let meta = file.metadata().map_err(|e| io_error(path, e))?;
    if meta.is_dir() {
        return Err(PhotoError::NotAFile { path: path.into() });
    }
    if meta.len() == 0 {
        return Err(PhotoError::Empty { path: path.into() });
    }
    let reader = ImageReader::new(BufReader::new(file))
        .with_guessed_format()
        .map_err(|e| io_error(path, e))?;
    match reader.format() {
        None => Err(PhotoError::UnknownFormat { path: path.into() }),
        // The JPEG decoder buffers the whole file anyway, and the truncation check needs it.
        Some(ImageFormat::Jpeg) => {
            let mut bytes = Vec::new();
            reader
                .into_inner()
                .read_to_end(&mut bytes)
                .map_err(|e| io_error(path, e))?;
            decode_photo(&bytes, path)
        }
        Some(_) => decode_reader(reader, path),
    }
}

/// Decodes a photo held in memory (e.g. one image of an MPO); `name` is only used in messages.
pub fn decode_photo(bytes: &[u8], name: &Path) -> Result<Photo, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty { path: name.into() });
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| io_error(name, e))?;
    match reader.format() {
        None => Err(PhotoError::UnknownFormat { path: name.into() }),
        Some(ImageFormat::Jpeg) => {
            // zune-jpeg silently fills missing scan data with grey; refuse that instead.
            if jpeg_is_truncated(bytes) {
                return Err(PhotoError::Corrupt {
                    path: name.into(),
                    detail: "JPEG ends before its end-of-image marker".into(),
                });
            }
            decode_reader(reader, name)
        }
        Some(_) => decode_reader(reader, name),
    }
}

/// Shared decoding path once the format is known: size checks, orientation, conversion.
fn decode_reader<R: BufRead + Seek>(
    mut reader: ImageReader<R>,
    name: &Path,
) -> Result<Photo, PhotoError> {
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| image_error(name, e))?;

    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(PhotoError::TooLarge {
            path: name.into(),
            width,
            height,
        });
    }
    if decoder.total_bytes() > MAX_DECODE_BYTES {
        return Err(PhotoError::OutOfMemoryLimit {
            path: name.into(),
            detail: format!(
                "{} bytes of pixels, over the {} byte limit",
                decoder.total_bytes(),
                MAX_DECODE_BYTES
            ),
        });
    }

    let color = decoder.color_type();
    let original = decoder.original_color_type();
    let source_bit_depth = match original.channel_count() {
        0 => color.bits_per_pixel() / u16::from(color.channel_count().max(1)),
        n => original.bits_per_pixel() / u16::from(n),
    };
    let source_bit_depth = u8::try_from(source_bit_depth).unwrap_or(u8::MAX);
    // A malformed EXIF block must not cost the user their photo: treat it as "upright".
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);

    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| image_error(name, e))?;
    image.apply_orientation(orientation);
    let had_alpha = image.color().has_alpha();
    Ok(Photo {
        rgb: to_rgb8_composited(image),
        had_alpha,
        orientation_applied: orientation.to_exif(),
        source_bit_depth,
    })
}

/// Converts any decoded layout to 8-bit RGB: alpha is composited over [`ALPHA_BACKGROUND`]
/// and 16-bit channels are scaled with rounding (not truncated to their high byte).
fn to_rgb8_composited(image: DynamicImage) -> RgbImage {
    let (w, h) = (image.width(), image.height());
    match image {
        DynamicImage::ImageRgb8(img) => img,
        DynamicImage::ImageLuma8(img) => RgbImage::from_fn(w, h, |x, y| {
            let l = img.get_pixel(x, y).0[0];
            image::Rgb([l, l, l])
        }),
        DynamicImage::ImageLumaA8(img) => RgbImage::from_fn(w, h, |x, y| {
            let [l, a] = img.get_pixel(x, y).0;
            composite8([l, l, l], a)
        }),
        DynamicImage::ImageRgba8(img) => RgbImage::from_fn(w, h, |x, y| {
            let [r, g, b, a] = img.get_pixel(x, y).0;
            composite8([r, g, b], a)
        }),
        DynamicImage::ImageLuma16(img) => RgbImage::from_fn(w, h, |x, y| {
            let l = u16_to_u8(img.get_pixel(x, y).0[0]);
            image::Rgb([l, l, l])
        }),
        DynamicImage::ImageLumaA16(img) => RgbImage::from_fn(w, h, |x, y| {
            let [l, a] = img.get_pixel(x, y).0;
            composite16([l, l, l], a)
        }),
        DynamicImage::ImageRgb16(img) => RgbImage::from_fn(w, h, |x, y| {
            let [r, g, b] = img.get_pixel(x, y).0;
            image::Rgb([u16_to_u8(r), u16_to_u8(g), u16_to_u8(b)])
        }),
        DynamicImage::ImageRgba16(img) => RgbImage::from_fn(w, h, |x, y| {
            let [r, g, b, a] = img.get_pixel(x, y).0;
            composite16([r, g, b], a)
        }),
        // Float (and any future) layouts: let `image` clamp and round to 8 bits first.
        other if other.color().has_alpha() => {
            let rgba = other.to_rgba8();
            RgbImage::from_fn(w, h, |x, y| {
                let [r, g, b, a] = rgba.get_pixel(x, y).0;
                composite8([r, g, b], a)
            })
        }
        other => other.to_rgb8(),
    }
}

/// Rounded 16→8 bit scaling: `round(v * 255 / 65535)`.
fn u16_to_u8(v: u16) -> u8 {
    // At most 255 by construction, so the narrowing cannot lose anything.
    ((u32::from(v) * 255 + 32_767) / 65_535) as u8
}

/// Straight-alpha "over" onto [`ALPHA_BACKGROUND`] with 8-bit channels, rounded.
fn composite8(rgb: [u8; 3], alpha: u8) -> image::Rgb<u8> {
    let a = u32::from(alpha);
    let mix = |c: u8, bg: u8| ((u32::from(c) * a + u32::from(bg) * (255 - a) + 127) / 255) as u8;
    image::Rgb([
        mix(rgb[0], ALPHA_BACKGROUND[0]),
        mix(rgb[1], ALPHA_BACKGROUND[1]),
        mix(rgb[2], ALPHA_BACKGROUND[2]),
    ])
}

/// Straight-alpha "over" with 16-bit channels, done at full precision then rounded to 8 bits.
fn composite16(rgb: [u16; 3], alpha: u16) -> image::Rgb<u8> {
    let a = u64::from(alpha);
    const DENOM: u64 = 65_535 * 257;
    let mix = |c: u16, bg: u8| {
        let bg16 = u64::from(bg) * 257;
        ((u64::from(c) * a + bg16 * (65_535 - a) + DENOM / 2) / DENOM) as u8
    };
    image::Rgb([
        mix(rgb[0], ALPHA_BACKGROUND[0]),
        mix(rgb[1], ALPHA_BACKGROUND[1]),
        mix(rgb[2], ALPHA_BACKGROUND[2]),
    ])
}

/// True when a JPEG has a start-of-scan but no end-of-image marker after it. Entropy-coded
/// data byte-stuffs every 0xFF, so `FF D9` after the first SOS can only be a real EOI;
/// segments before the SOS (e.g. an EXIF thumbnail with its own EOI) are skipped by length.
/// Anything that does not parse is left for the decoder to report.
fn jpeg_is_truncated(bytes: &[u8]) -> bool {
    let mut pos = 2; // after SOI
    loop {
        let (Some(&ff), Some(&marker)) = (bytes.get(pos), bytes.get(pos + 1)) else {
            return true; // ran out of bytes before the image data even started
        };
        if ff != 0xFF {
            return false;
        }
        match marker {
            0xFF => pos += 1, // fill byte
            0xD9 => return false,
            0x01 | 0xD0..=0xD7 => pos += 2, // markers without a length
            0xDA => {
                let scan = bytes.get(pos + 2..).unwrap_or(&[]);
                return !scan.windows(2).any(|w| w == [0xFF, 0xD9]);
            }
            _ => {
                let (Some(&hi), Some(&lo)) = (bytes.get(pos + 2), bytes.get(pos + 3)) else {
                    return true;
                };
                pos += 2 + usize::from(u16::from_be_bytes([hi, lo]));
            }
        }
    }
}

/// Formats a pixel count as megapixels without trailing zeros ("2500", "100.01").
fn megapixels(pixels: u64) -> String {
    let s = format!("{:.2}", pixels as f64 / 1e6);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Maps an I/O error on `path` to the matching [`PhotoError`].
fn io_error(path: &Path, e: std::io::Error) -> PhotoError {
    match e.kind() {
        std::io::ErrorKind::NotFound => PhotoError::NotFound { path: path.into() },
        std::io::ErrorKind::IsADirectory => PhotoError::NotAFile { path: path.into() },
        std::io::ErrorKind::UnexpectedEof => PhotoError::Corrupt {
            path: path.into(),
            detail: one_line(&e.to_string()),
        },
        _ => PhotoError::Io {
            path: path.into(),
            source: e,
        },
    }
}

/// Maps an `image` crate error on `path` to the matching [`PhotoError`].
fn image_error(path: &Path, e: ImageError) -> PhotoError {
    let path = path.to_path_buf();
    match e {
        ImageError::IoError(io) => io_error(&path, io),
        ImageError::Unsupported(u) => match u.kind() {
            UnsupportedErrorKind::Format(ImageFormatHint::Unknown) => {
                PhotoError::UnknownFormat { path }
            }
            _ => PhotoError::Unsupported {
                path,
                detail: one_line(&u.to_string()),
            },
        },
        ImageError::Limits(l) => match l.kind() {
            LimitErrorKind::InsufficientMemory => PhotoError::OutOfMemoryLimit {
                path,
                detail: one_line(&l.to_string()),
            },
            _ => PhotoError::Unsupported {
                path,
                detail: one_line(&l.to_string()),
            },
        },
        other => PhotoError::Corrupt {
            path,
            detail: one_line(&other.to_string()),
        },
    }
}

/// Collapses a message onto one line so every error prints as a single line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::jpeg::JpegEncoder;
    use image::codecs::png::PngEncoder;
    use image::{ExtendedColorType, ImageEncoder, Rgb};
    use std::time::{Duration, Instant};

    fn name() -> &'static Path {
        Path::new("photo.jpg")
    }

    fn png_bytes(data: &[u8], w: u32, h: u32, color: ExtendedColorType) -> Vec<u8> {
        let mut out = Vec::new();
        PngEncoder::new(&mut out)
            .write_image(data, w, h, color)
            .expect("encode test png");
        out
    }

    fn jpeg_bytes(img: &RgbImage) -> Vec<u8> {
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 95)
            .write_image(
                img.as_raw(),
                img.width(),
                img.height(),
                ExtendedColorType::Rgb8,
            )
            .expect("encode test jpeg");
        out
    }

    /// Inserts a hand-made EXIF APP1 (big-endian TIFF, one IFD entry 0x0112) after SOI.
    fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        let mut tiff = Vec::new();
        tiff.extend_from_slice(b"MM\0\x2a");
        tiff.extend_from_slice(&8u32.to_be_bytes()); // IFD0 offset
        tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
        tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
        tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
        tiff.extend_from_slice(&1u32.to_be_bytes()); // count
        tiff.extend_from_slice(&orientation.to_be_bytes());
        tiff.extend_from_slice(&[0, 0]); // value padding
        tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
        let mut app1 = vec![0xFF, 0xE1];
        let len = u16::try_from(2 + 6 + tiff.len()).unwrap();
        app1.extend_from_slice(&len.to_be_bytes());
        app1.extend_from_slice(b"Exif\0\0");
        app1.extend_from_slice(&tiff);
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&app1);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    fn mean_rgb(img: &RgbImage, x0: u32, y0: u32, size: u32) -> [f32; 3] {
        let mut sum = [0f32; 3];
        for y in y0..y0 + size {
            for x in x0..x0 + size {
                let p = img.get_pixel(x, y).0;
                for c in 0..3 {
                    sum[c] += f32::from(p[c]);
                }
            }
        }
        sum.map(|s| s / (size * size) as f32)
    }

    fn is_red(c: [f32; 3]) -> bool {
        c[0] > 200.0 && c[1] < 60.0 && c[2] < 60.0
    }

    fn is_green(c: [f32; 3]) -> bool {
        c[1] > 200.0 && c[0] < 60.0 && c[2] < 60.0
    }

    #[test]
    fn all_eight_exif_orientations_come_out_upright() {
        // Stored 64×32, blue; red block in the stored top-left, green in the stored top-right.
        let (w, h, b) = (64u32, 32u32, 16u32);
        let stored = RgbImage::from_fn(w, h, |x, y| {
            if y < b && x < b {
                Rgb([255, 0, 0])
            } else if y < b && x >= w - b {
                Rgb([0, 255, 0])
            } else {
                Rgb([0, 0, 255])
            }
        });
        let jpeg = jpeg_bytes(&stored);
        // Upright size and the corners (0 TL, 1 TR, 2 BR, 3 BL) where red and green must land.
        let expected = [
            (1u16, (w, h), 0usize, 1usize),
            (2, (w, h), 1, 0),
            (3, (w, h), 2, 3),
            (4, (w, h), 3, 2),
            (5, (h, w), 0, 3),
            (6, (h, w), 1, 2),
            (7, (h, w), 2, 1),
            (8, (h, w), 3, 0),
        ];
        for (tag, (ew, eh), red_corner, green_corner) in expected {
            let photo = decode_photo(&with_exif_orientation(&jpeg, tag), name())
                .unwrap_or_else(|e| panic!("orientation {tag}: {e}"));
            assert_eq!(photo.orientation_applied, tag as u8);
            assert_eq!(photo.rgb.dimensions(), (ew, eh), "orientation {tag}");
            let corner = |i: usize| {
                let (x, y) = [(0, 0), (ew - b, 0), (ew - b, eh - b), (0, eh - b)][i];
                mean_rgb(&photo.rgb, x, y, b)
            };
            assert!(
                is_red(corner(red_corner)),
                "orientation {tag}: red not at corner {red_corner}"
            );
            assert!(
                is_green(corner(green_corner)),
                "orientation {tag}: green not at corner {green_corner}"
            );
        }
    }

    #[test]
    fn jpeg_without_exif_is_orientation_1() {
        let photo = decode_photo(&jpeg_bytes(&RgbImage::new(16, 8)), name()).unwrap();
        assert_eq!(photo.orientation_applied, 1);
        assert_eq!(photo.rgb.dimensions(), (16, 8));
        assert_eq!(photo.source_bit_depth, 8);
        assert!(!photo.had_alpha);
    }

    #[test]
    fn rgba_is_composited_over_mid_grey() {
        let data = [
            255, 0, 0, 255, // opaque red
            255, 0, 0, 128, // half red
            0, 255, 0, 0, // fully transparent green
        ];
        let png = png_bytes(&data, 3, 1, ExtendedColorType::Rgba8);
        let photo = decode_photo(&png, Path::new("a.png")).unwrap();
        assert!(photo.had_alpha);
        assert_eq!(photo.rgb.get_pixel(0, 0), &Rgb([255, 0, 0]));
        // (255*128 + 128*127) / 255 = 192.2, (128*127) / 255 = 63.75
        assert_eq!(photo.rgb.get_pixel(1, 0), &Rgb([192, 64, 64]));
        assert_eq!(photo.rgb.get_pixel(2, 0), &Rgb([128, 128, 128]));
    }

    #[test]
    fn gray_alpha_8_and_16_are_composited() {
        let png = png_bytes(&[0, 0, 255, 255], 2, 1, ExtendedColorType::La8);
        let photo = decode_photo(&png, Path::new("la.png")).unwrap();
        assert!(photo.had_alpha);
        assert_eq!(photo.rgb.get_pixel(0, 0), &Rgb([128, 128, 128]));
        assert_eq!(photo.rgb.get_pixel(1, 0), &Rgb([255, 255, 255]));

        // La16: white at half alpha (32768) → (65535*32768 + 32896*32767) / 65535 / 257 ≈ 191.5
        let mut data = Vec::new();
        for v in [65_535u16, 32_768] {
            data.extend_from_slice(&v.to_ne_bytes());
        }
        let png = png_bytes(&data, 1, 1, ExtendedColorType::La16);
        let photo = decode_photo(&png, Path::new("la16.png")).unwrap();
        assert_eq!(photo.source_bit_depth, 16);
        let v = photo.rgb.get_pixel(0, 0).0[0];
        assert!(v == 191 || v == 192, "got {v}");
    }

    #[test]
    fn sixteen_bit_is_rounded_not_truncated() {
        // 0x00FF truncates to 0 but rounds to 1; 0xFF00 truncates to 255 but rounds to 254.
        let values: [u16; 3] = [0x00FF, 0xFF00, 0xFFFF];
        let mut data = Vec::new();
        for v in values {
            data.extend_from_slice(&v.to_ne_bytes());
        }
        let png = png_bytes(&data, 1, 1, ExtendedColorType::Rgb16);
        let photo = decode_photo(&png, Path::new("deep.png")).unwrap();
        assert_eq!(photo.source_bit_depth, 16);
        assert_eq!(photo.rgb.get_pixel(0, 0), &Rgb([1, 254, 255]));

        let mut data = Vec::new();
        for v in [0x00FFu16, 0x8080, 0] {
            data.extend_from_slice(&v.to_ne_bytes());
        }
        let png = png_bytes(&data, 3, 1, ExtendedColorType::L16);
        let photo = decode_photo(&png, Path::new("deep.png")).unwrap();
        assert_eq!(photo.rgb.get_pixel(0, 0), &Rgb([1, 1, 1]));
        assert_eq!(photo.rgb.get_pixel(1, 0), &Rgb([128, 128, 128]));
        assert_eq!(photo.rgb.get_pixel(2, 0), &Rgb([0, 0, 0]));
    }

    #[test]
    fn rgba16_composite() {
        let mut data = Vec::new();
        for v in [0xFFFFu16, 0, 0, 0xFFFF, 0xFFFF, 0, 0, 0] {
            data.extend_from_slice(&v.to_ne_bytes());
        }
        let png = png_bytes(&data, 2, 1, ExtendedColorType::Rgba16);
        let photo = decode_photo(&png, Path::new("a16.png")).unwrap();
        assert!(photo.had_alpha);
        assert_eq!(photo.rgb.get_pixel(0, 0), &Rgb([255, 0, 0]));
        assert_eq!(photo.rgb.get_pixel(1, 0), &Rgb([128, 128, 128]));
    }

    #[test]
    fn gray_is_expanded_to_rgb() {
        let png = png_bytes(&[0, 77, 255], 3, 1, ExtendedColorType::L8);
        let photo = decode_photo(&png, Path::new("g.png")).unwrap();
        assert!(!photo.had_alpha);
        assert_eq!(photo.rgb.get_pixel(1, 0), &Rgb([77, 77, 77]));
        assert_eq!(photo.rgb.get_pixel(2, 0), &Rgb([255, 255, 255]));
    }

    #[test]
    fn one_by_one_and_zero_sized_images_decode() {
        let png = png_bytes(&[1, 2, 3], 1, 1, ExtendedColorType::Rgb8);
        let photo = decode_photo(&png, Path::new("dot.png")).unwrap();
        assert_eq!(photo.rgb.dimensions(), (1, 1));
        assert_eq!(photo.rgb.get_pixel(0, 0), &Rgb([1, 2, 3]));

        // PNG cannot express 0×N, farbfeld can: magic, u32 BE width, u32 BE height.
        let mut ff = b"farbfeld".to_vec();
        ff.extend_from_slice(&0u32.to_be_bytes());
        ff.extend_from_slice(&5u32.to_be_bytes());
        let photo = decode_photo(&ff, Path::new("empty.ff")).unwrap();
        assert_eq!(photo.rgb.dimensions(), (0, 5));
    }

    #[test]
    fn other_formats_decode() {
        let img = RgbImage::from_fn(8, 4, |x, y| Rgb([x as u8 * 30, y as u8 * 60, 7]));
        for format in [ImageFormat::Bmp, ImageFormat::Tiff, ImageFormat::WebP] {
            let mut bytes = Cursor::new(Vec::new());
            DynamicImage::ImageRgb8(img.clone())
                .write_to(&mut bytes, format)
                .unwrap();
            let photo = decode_photo(bytes.get_ref(), Path::new("x.img"))
                .unwrap_or_else(|e| panic!("{format:?}: {e}"));
            assert_eq!(photo.rgb, img, "{format:?} (lossless) must round-trip");
        }
    }

    #[test]
    fn huge_png_header_is_refused_quickly() {
        // A valid-looking 50000×50000 RGBA PNG header with no pixel data.
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&50_000u32.to_be_bytes());
        ihdr.extend_from_slice(&50_000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
        png.extend_from_slice(&13u32.to_be_bytes());
        png.extend_from_slice(&ihdr);
        png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
        // A tiny IDAT (an empty stored zlib block) so only the size can be the problem.
        let idat = b"IDAT\x78\x01\x01\x00\x00\xff\xff\x00\x00\x00\x01";
        png.extend_from_slice(&(idat.len() as u32 - 4).to_be_bytes());
        png.extend_from_slice(idat);
        png.extend_from_slice(&crc32(idat).to_be_bytes());
        png.extend_from_slice(&0u32.to_be_bytes());
        png.extend_from_slice(b"IEND");
        png.extend_from_slice(&crc32(b"IEND").to_be_bytes());

        let start = Instant::now();
        let err = decode_photo(&png, Path::new("big.png")).unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(2));
        assert!(matches!(err, PhotoError::TooLarge { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "big.png: image is 50000×50000 = 2500 megapixels, over the 100 megapixel limit"
        );
    }

    #[test]
    fn truncated_png_is_a_clear_error() {
        let data: Vec<u8> = (0..64 * 64 * 3).map(|i| (i * 7 % 251) as u8).collect();
        let png = png_bytes(&data, 64, 64, ExtendedColorType::Rgb8);
        for cut in [png.len() / 2, 40, 20, 9] {
            let err = decode_photo(&png[..cut], Path::new("cut.png")).unwrap_err();
            let msg = err.to_string();
            assert!(msg.starts_with("cut.png: "), "{msg}");
            assert!(!msg.contains('\n'), "{msg}");
            assert!(
                matches!(err, PhotoError::Corrupt { .. }),
                "cut at {cut}: {msg}"
            );
        }
    }

    #[test]
    fn truncated_jpeg_is_a_clear_error() {
        let img = RgbImage::from_fn(64, 64, |x, y| Rgb([x as u8 * 4, y as u8 * 4, 99]));
        let jpeg = jpeg_bytes(&img);
        for cut in [jpeg.len() - 2, jpeg.len() / 2, 100, 3] {
            let err = decode_photo(&jpeg[..cut], name()).unwrap_err();
            let msg = err.to_string();
            assert!(
                msg.starts_with("photo.jpg: truncated or corrupt image data"),
                "{msg}"
            );
            assert!(!msg.contains('\n'), "{msg}");
        }
        // Trailing bytes after EOI are common and harmless.
        let mut padded = jpeg.clone();
        padded.extend_from_slice(&[0; 16]);
        assert!(decode_photo(&padded, name()).is_ok());
    }

    #[test]
    fn garbage_inputs_are_clear_errors() {
        let err = decode_photo(b"", name()).unwrap_err();
        assert_eq!(err.to_string(), "photo.jpg: empty file (0 bytes)");

        let err = decode_photo(b"hello, this is a text file\n", name()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "photo.jpg: not a supported image (unknown format)"
        );

        // PNG with a damaged signature is not recognised at all.
        let mut png = png_bytes(&[1, 2, 3], 1, 1, ExtendedColorType::Rgb8);
        png[1] = b'Q';
        let err = decode_photo(&png, Path::new("p.png")).unwrap_err();
        assert!(matches!(err, PhotoError::UnknownFormat { .. }), "{err}");

        // JPEG magic followed by junk.
        let mut junk = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        junk.extend(std::iter::repeat_n(0xAB, 200));
        let err = decode_photo(&junk, name()).unwrap_err();
        assert!(err.to_string().starts_with("photo.jpg: "), "{err}");
    }

    #[test]
    fn arbitrary_prefixes_never_panic() {
        let jpeg = with_exif_orientation(&jpeg_bytes(&RgbImage::new(24, 16)), 6);
        let png = png_bytes(&[9; 4 * 4 * 4], 4, 4, ExtendedColorType::Rgba8);
        for bytes in [&jpeg, &png] {
            for cut in 0..bytes.len() {
                let _ = decode_photo(&bytes[..cut], name());
                let mut flipped = bytes.clone();
                flipped[cut] ^= 0x5A;
                let _ = decode_photo(&flipped, name());
            }
        }
    }

    #[test]
    fn files_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("x.jpg");
        let err = load_photo(&missing).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}: no such file", missing.display())
        );

        let text = dir.path().join("notes.jpg");
        std::fs::write(&text, "not an image").unwrap();
        let err = load_photo(&text).unwrap_err();
        assert!(matches!(err, PhotoError::UnknownFormat { .. }), "{err}");

        let empty = dir.path().join("empty.jpg");
        std::fs::write(&empty, b"").unwrap();
        assert!(matches!(load_photo(&empty), Err(PhotoError::Empty { .. })));

        assert!(matches!(
            load_photo(dir.path()),
            Err(PhotoError::NotAFile { .. })
        ));

        // Content decides, not the extension: a PNG named .jpg and a JPEG named .png.
        let png_as_jpg = dir.path().join("really_png.jpg");
        std::fs::write(
            &png_as_jpg,
            png_bytes(&[5, 6, 7], 1, 1, ExtendedColorType::Rgb8),
        )
        .unwrap();
        assert_eq!(
            load_photo(&png_as_jpg).unwrap().rgb.get_pixel(0, 0),
            &Rgb([5, 6, 7])
        );
        let jpg_as_png = dir.path().join("really_jpeg.png");
        let jpeg = with_exif_orientation(&jpeg_bytes(&RgbImage::new(20, 10)), 8);
        std::fs::write(&jpg_as_png, &jpeg).unwrap();
        let photo = load_photo(&jpg_as_png).unwrap();
        assert_eq!(
            (photo.rgb.dimensions(), photo.orientation_applied),
            ((10, 20), 8)
        );

        let cut = dir.path().join("cut.jpg");
        std::fs::write(&cut, &jpeg[..jpeg.len() / 2]).unwrap();
        assert!(matches!(load_photo(&cut), Err(PhotoError::Corrupt { .. })));
    }

    #[test]
    fn real_fixture_photos_load() {
        let dir = Path::new("/work/shared/fixtures");
        if !dir.is_dir() {
            eprintln!("skipping: {} not present", dir.display());
            return;
        }
        for (file, size) in [
            ("astronaut.png", (512, 512)),
            ("chelsea.png", (451, 300)),
            ("coffee.png", (600, 400)),
            ("rocket.jpg", (640, 427)),
        ] {
            let photo = load_photo(&dir.join(file)).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(photo.rgb.dimensions(), size, "{file}");
            assert_eq!(photo.source_bit_depth, 8, "{file}");
        }
    }

    /// CRC-32 (IEEE) for hand-built PNG chunks.
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
