//! Google depth photos: the `GDepth` XMP properties (format, near, far, mime)
//! and the base64 depth image, read from and written to JPEGs.

use super::range::{decode_depth_image, Range, RangeFormat};
use super::xmp::{insert_segments, md5_hex, xmp_segments, Xmp, NOTE_NS};
use crate::map::FloatMap;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{ImageEncoder, ImageError, RgbImage};

/// The GDepth XMP namespace.
pub const GDEPTH_NS: &str = "http://ns.google.com/photos/1.0/depthmap/";

/// JPEG quality of written depth photos.
const JPEG_QUALITY: u8 = 92;

/// Standard base64 that accepts data with or without padding.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The GDepth depth map of a photo's XMP as real depth; None when there is no
/// `GDepth:Data`. `photo` is the stored photo's size, to check the map against.
pub fn read(xmp: &Xmp, photo: (u32, u32)) -> Result<Option<FloatMap>, String> {
    let Some(data) = xmp.property(GDEPTH_NS, "Data") else {
        return Ok(None);
    };
    let prop = |name| xmp.property(GDEPTH_NS, name);
    let range = Range::parse(prop("Format"), prop("Near"), prop("Far"))
        .map_err(|e| format!("GDepth: {e}"))?;
    let mime = prop("Mime").ok_or("GDepth: no Mime")?;
    let text: String = data.split_ascii_whitespace().collect();
    let bytes = BASE64
        .decode(text)
        .map_err(|e| format!("GDepth:Data is not base64: {e}"))?;
    decode_depth_image(&bytes, mime, range, photo)
        .map(Some)
        .map_err(|e| format!("GDepth: {e}"))
}

/// Encodes `rgb` as a JPEG carrying `depth` (same size, larger = farther) as a
/// GDepth RangeInverse 16-bit PNG in extended XMP, as Google depth photos do.
pub fn encode_depth_photo(rgb: &RgbImage, depth: &FloatMap) -> Result<Vec<u8>, ImageError> {
    let finite = depth
        .pixels()
        .map(|p| p[0])
        .filter(|d| d.is_finite() && *d > 0.0);
    let (near, far) = finite.fold((f32::MAX, 0.0f32), |(lo, hi), d| (lo.min(d), hi.max(d)));
    let (near, far) = if far > near { (near, far) } else { (1.0, 2.0) };
    let format = RangeFormat::Inverse;
    let values: Vec<u16> = depth
        .pixels()
        .map(|p| (format.value(p[0], near, far) * 65535.0).round() as u16)
        .collect();
    let mut png = Vec::new();
    PngEncoder::new(&mut png).write_image(
        u16_bytes(&values).as_slice(),
        depth.width(),
        depth.height(),
        image::ExtendedColorType::L16,
    )?;
    let extended = packet(&format!(
        r#"<rdf:Description rdf:about="" xmlns:GDepth="{GDEPTH_NS}" GDepth:Data="{}"/>"#,
        BASE64.encode(&png)
    ));
    let standard = packet(&format!(
        r#"<rdf:Description rdf:about="" xmlns:GDepth="{GDEPTH_NS}" xmlns:xmpNote="{NOTE_NS}" GDepth:Format="{}" GDepth:Near="{near}" GDepth:Far="{far}" GDepth:Mime="image/png" xmpNote:HasExtendedXMP="{}"/>"#,
        format.name(),
        md5_hex(extended.as_bytes())
    ));
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY).encode_image(rgb)?;
    Ok(insert_segments(
        &jpeg,
        &xmp_segments(&standard, Some(&extended)),
    ))
}

/// 16-bit samples as the native-endian bytes that `ImageEncoder` expects for L16.
fn u16_bytes(values: &[u16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_ne_bytes()).collect()
}

/// An XMP packet around one `rdf:Description`.
fn packet(description: &str) -> String {
    format!(
        r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">{description}</rdf:RDF></x:xmpmeta>"#
    )
}

#[cfg(test)]
mod tests {
    use super::super::xmp::{EXTENDED_CHUNK, EXTENDED_SIGNATURE, STANDARD_SIGNATURE};
    use super::super::{read_embedded_depth, EmbeddedFormat};
    use super::*;
    use md5::Digest;
    use std::path::Path;

    /// Depth with near and far planes and a ramp, 1.5 to 9 units.
    fn scene_depth(w: u32, h: u32) -> FloatMap {
        FloatMap::from_fn(w, h, |x, y| {
            let ramp = 1.5 + 7.5 * (x as f32 / (w - 1) as f32);
            image::Luma([if y < h / 3 {
                1.5
            } else if y > 2 * h / 3 {
                9.0
            } else {
                ramp
            }])
        })
    }

    /// Textured colour that makes the PNG incompressible enough to need several segments.
    fn noisy(w: u32, h: u32) -> (RgbImage, FloatMap) {
        let rgb = RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 7) as u8, (y * 3) as u8, 90]));
        let mut depth = scene_depth(w, h);
        for (i, p) in depth.pixels_mut().enumerate() {
            p[0] *= 1.0 + 0.05 * (((i as u32).wrapping_mul(2654435761) >> 16) as f32 / 65535.0);
        }
        (rgb, depth)
    }

    #[test]
    fn depth_photo_round_trip_within_quantisation() {
        let (rgb, depth) = noisy(320, 240);
        let jpeg = encode_depth_photo(&rgb, &depth).unwrap();
        let extended_segments = jpeg
            .windows(EXTENDED_SIGNATURE.len())
            .filter(|w| *w == EXTENDED_SIGNATURE)
            .count();
        assert!(extended_segments >= 2, "PNG should span segments");
        let photo = image::load_from_memory(&jpeg).unwrap();
        assert_eq!((photo.width(), photo.height()), (320, 240));
        let read = read_embedded_depth(&jpeg, Path::new("rt.jpg"), (320, 240))
            .unwrap()
            .unwrap();
        assert_eq!(read.format, EmbeddedFormat::Gdepth);
        assert_eq!(read.depth.dimensions(), depth.dimensions());
        // One 16-bit step of RangeInverse spans Δd = d²·(1/near − 1/far)/65535,
        // at most 9.45²·(1/1.5 − 1/9.45)/65535 ≈ 7.6e-4 here; half a step is the bound.
        for (a, b) in read.depth.pixels().zip(depth.pixels()) {
            let step = b[0] * b[0] * (1.0 / 1.5 - 1.0 / 9.45) / 65535.0;
            assert!(
                (a[0] - b[0]).abs() <= 0.5 * step + 1e-5,
                "{} vs {}",
                a[0],
                b[0]
            );
        }
    }

    /// A 1×400,000 depth map (a few KB of PNG) in a 32×24 photo is refused from
    /// its header, before it is decoded or resized to the photo.
    #[test]
    fn depth_map_of_another_aspect_is_refused() {
        let depth = FloatMap::from_pixel(1, 400_000, image::Luma([2.0]));
        let jpeg = encode_depth_photo(&RgbImage::new(32, 24), &depth).unwrap();
        let err = read_embedded_depth(&jpeg, Path::new("tall.jpg"), (32, 24)).unwrap_err();
        assert!(err.to_string().contains("aspect ratios differ"), "{err}");
    }

    /// A depth photo built by hand from Google's published layout
    /// (developers.google.com/depthmap-metadata): properties as child elements
    /// in the standard packet, an 8-bit RangeLinear JPEG depth map in extended
    /// XMP split into chunks of our own choosing, GUID = MD5 of the packet.
    #[test]
    fn hand_built_google_depth_photo_reads() {
        let (w, h) = (40u32, 30u32);
        let levels = FloatMap::from_fn(w, h, |x, _| image::Luma([if x < 20 { 0.0 } else { 1.0 }]));
        let gray = image::GrayImage::from_fn(w, h, |x, y| {
            image::Luma([(levels.get_pixel(x, y)[0] * 255.0) as u8])
        });
        let mut depth_jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut depth_jpeg, 100)
            .encode_image(&gray)
            .unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&depth_jpeg);
        // Line-wrapped base64, as some writers emit.
        let wrapped: Vec<&str> = b64
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        let extended = format!(
            "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n  <rdf:Description rdf:about=\"\"\n    xmlns:GDepth=\"http://ns.google.com/photos/1.0/depthmap/\"\n    GDepth:Data=\"{}\"/>\n </rdf:RDF>\n</x:xmpmeta>",
            wrapped.join("\n")
        );
        let digest = md5::Md5::digest(extended.as_bytes());
        let guid: String = digest.iter().map(|b| format!("{b:02X}")).collect();
        let standard = format!(
            "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n  <rdf:Description rdf:about=\"\" xmlns:GDepth=\"http://ns.google.com/photos/1.0/depthmap/\" xmlns:xmpNote=\"http://ns.adobe.com/xmp/note/\">\n   <GDepth:Format>RangeLinear</GDepth:Format>\n   <GDepth:Near>2.0</GDepth:Near>\n   <GDepth:Far>6.0</GDepth:Far>\n   <GDepth:Mime>image/jpeg</GDepth:Mime>\n   <xmpNote:HasExtendedXMP>{guid}</xmpNote:HasExtendedXMP>\n  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>"
        );
        let segment = |payload: Vec<u8>| {
            let mut s = vec![0xFF, 0xE1];
            s.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
            s.extend(payload);
            s
        };
        let mut app1 = vec![segment([STANDARD_SIGNATURE, standard.as_bytes()].concat())];
        let chunk = 200.min(EXTENDED_CHUNK);
        for (k, part) in extended.as_bytes().chunks(chunk).enumerate() {
            app1.push(segment(
                [
                    EXTENDED_SIGNATURE,
                    guid.as_bytes(),
                    &(extended.len() as u32).to_be_bytes(),
                    &((k * chunk) as u32).to_be_bytes(),
                    part,
                ]
                .concat(),
            ));
        }
        assert!(app1.len() > 3);
        let mut main = Vec::new();
        JpegEncoder::new(&mut main)
            .encode_image(&RgbImage::new(w, h))
            .unwrap();
        // SOI, then the XMP segments, then the rest of the encoder's stream.
        let file = [&main[..2], &app1.concat(), &main[2..]].concat();
        let read = read_embedded_depth(&file, Path::new("hand.jpg"), (w, h))
            .unwrap()
            .unwrap();
        assert_eq!(read.depth.dimensions(), (w, h));
        // Left half 0 → near = 2, right half 255 → far = 6 (away from the JPEG-blurred step).
        let d = |x, y| read.depth.get_pixel(x, y)[0];
        assert!((d(5, 15) - 2.0).abs() < 0.05, "{}", d(5, 15));
        assert!((d(35, 15) - 6.0).abs() < 0.05, "{}", d(35, 15));
    }
}
