//! Android Dynamic Depth 1.0: media items concatenated after the primary JPEG,
//! listed in order by the XMP `Container:Directory`, one of them the depth map
//! described by `Camera:DepthMap` (Format, Near, Far).

use super::range::{decode_depth_image, Range};
use super::xmp::{node_property, Xmp};
use crate::map::FloatMap;

/// Container and Item namespaces of Dynamic Depth 1.0, then of the older GContainer.
const CONTAINERS: [(&str, &str); 2] = [
    (
        "http://ns.google.com/photos/dd/1.0/container/",
        "http://ns.google.com/photos/dd/1.0/item/",
    ),
    (
        "http://ns.google.com/photos/1.0/container/",
        "http://ns.google.com/photos/1.0/container/item/",
    ),
];
/// Namespace of the depth map's properties.
pub const DEPTHMAP_NS: &str = "http://ns.google.com/photos/dd/1.0/depthmap/";

/// One entry of the container directory.
#[derive(Debug, Clone, Default)]
struct Item {
    mime: String,
    semantic: String,
    length: usize,
    padding: usize,
    uri: Option<String>,
}

/// The Dynamic Depth map of a JPEG file as real depth; None when the container
/// directory lists no depth item. `photo` is the stored photo's size.
pub fn read(xmp: &Xmp, file: &[u8], photo: (u32, u32)) -> Result<Option<FloatMap>, String> {
    let items = directory(xmp)?;
    if !items.iter().any(|i| i.semantic == "Depth") {
        return Ok(None);
    }
    let prop = |name| xmp.property(DEPTHMAP_NS, name);
    let range = Range::parse(prop("Format"), prop("Near"), prop("Far"))
        .map_err(|e| format!("Dynamic Depth map: {e}"))?;
    let wanted = |i: &Item| match prop("DepthURI") {
        Some(uri) => i.uri.as_deref() == Some(uri),
        None => i.semantic == "Depth",
    };
    // The primary image comes first; every later item sits, in order, at the file's end.
    let overflow =
        || "Container Item:Length and Item:Padding add up past any file size".to_string();
    let appended = items
        .iter()
        .skip(1)
        .try_fold(0usize, |sum, i| {
            sum.checked_add(i.length)?.checked_add(i.padding)
        })
        .ok_or_else(overflow)?;
    let mut start = file.len().checked_sub(appended).ok_or_else(|| {
        format!(
            "Container directory lists {appended} appended bytes but the file has {}",
            file.len()
        )
    })?;
    for item in items.iter().skip(1) {
        if wanted(item) {
            // `start + length` stays within the file: all appended items fit after `start`.
            let bytes = &file[start..start + item.length];
            if !has_magic(bytes, &item.mime) {
                return Err(format!(
                    "the {} depth item is not at byte {start} where the Container directory puts it",
                    item.mime
                ));
            }
            return decode_depth_image(bytes, &item.mime, range, photo)
                .map(Some)
                .map_err(|e| format!("Dynamic Depth: {e}"));
        }
        start += item.length + item.padding; // cannot overflow: `appended` did not
    }
    Err("DepthMap:DepthURI names no item of the Container directory".into())
}

/// The container directory's items in order.
fn directory(xmp: &Xmp) -> Result<Vec<Item>, String> {
    for (container_ns, item_ns) in CONTAINERS {
        let mut items = Vec::new();
        for node in xmp.elements(container_ns, "Item") {
            let text = |name| node_property(node, item_ns, name);
            let number = |name| -> Result<usize, String> {
                text(name).map_or(Ok(0), |t| {
                    t.parse()
                        .map_err(|_| format!("Container Item:{name} \"{t}\" is not a byte count"))
                })
            };
            items.push(Item {
                mime: text("Mime").unwrap_or_default().to_string(),
                semantic: text("Semantic").unwrap_or_default().to_string(),
                length: number("Length")?,
                padding: number("Padding")?,
                uri: text("DataURI").map(str::to_string),
            });
        }
        if !items.is_empty() {
            return Ok(items);
        }
    }
    Ok(Vec::new())
}

/// Whether `bytes` start like a file of type `mime`.
fn has_magic(bytes: &[u8], mime: &str) -> bool {
    match mime {
        "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8]),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::super::range::RangeFormat;
    use super::super::xmp::{insert_segments, xmp_segments};
    use super::super::{read_embedded_depth, EmbeddedFormat};
    use image::codecs::jpeg::JpegEncoder;
    use image::codecs::png::PngEncoder;
    use image::ImageEncoder;
    use std::path::Path;

    /// A Dynamic Depth JPEG built by hand after the spec's depth-photo profile:
    /// primary JPEG, then a confidence PNG, then the 16-bit depth PNG.
    /// `padding` is the confidence item's `Item:Padding` text (3 bytes are written).
    fn dynamic_depth_file(
        depth_values: &[u16],
        w: u32,
        h: u32,
        uri_in_map: bool,
        padding: &str,
    ) -> Vec<u8> {
        let mut depth_png = Vec::new();
        let raw: Vec<u8> = depth_values.iter().flat_map(|v| v.to_ne_bytes()).collect();
        PngEncoder::new(&mut depth_png)
            .write_image(&raw, w, h, image::ExtendedColorType::L16)
            .unwrap();
        let mut confidence = Vec::new();
        PngEncoder::new(&mut confidence)
            .write_image(
                &vec![255u8; (w * h) as usize],
                w,
                h,
                image::ExtendedColorType::L8,
            )
            .unwrap();
        let uri = if uri_in_map {
            "<DepthMap:DepthURI>android/depthmap</DepthMap:DepthURI>"
        } else {
            ""
        };
        let xmp = format!(
            r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:Device="http://ns.google.com/photos/dd/1.0/device/" xmlns:Container="http://ns.google.com/photos/dd/1.0/container/" xmlns:Item="http://ns.google.com/photos/dd/1.0/item/" xmlns:Camera="http://ns.google.com/photos/dd/1.0/camera/" xmlns:DepthMap="http://ns.google.com/photos/dd/1.0/depthmap/" xmlns:Profile="http://ns.google.com/photos/dd/1.0/profile/">
 <Device:Profiles><rdf:Seq><rdf:li rdf:parseType="Resource"><Profile:Type>DepthPhoto</Profile:Type></rdf:li></rdf:Seq></Device:Profiles>
 <Device:Cameras><rdf:Seq><rdf:li rdf:parseType="Resource"><Device:Camera rdf:parseType="Resource">
  <Camera:DepthMap rdf:parseType="Resource">
   <DepthMap:Format>RangeLinear</DepthMap:Format><DepthMap:Near>0.25</DepthMap:Near><DepthMap:Far>4.25</DepthMap:Far><DepthMap:Units>Meters</DepthMap:Units>{uri}
  </Camera:DepthMap></Device:Camera></rdf:li></rdf:Seq></Device:Cameras>
 <Device:Container><Container:Directory><rdf:Seq>
  <rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" Item:Semantic="Primary"/></rdf:li>
  <rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/png" Item:Semantic="Confidence" Item:Length="{}" Item:Padding="{padding}" Item:DataURI="android/confidencemap"/></rdf:li>
  <rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/png" Item:Semantic="Depth" Item:Length="{}" Item:DataURI="android/depthmap"/></rdf:li>
 </rdf:Seq></Container:Directory></Device:Container>
</rdf:Description></rdf:RDF></x:xmpmeta>"#,
            confidence.len(),
            depth_png.len()
        );
        let mut primary = Vec::new();
        JpegEncoder::new(&mut primary)
            .encode_image(&image::RgbImage::new(w, h))
            .unwrap();
        let mut file = insert_segments(&primary, &xmp_segments(&xmp, None));
        file.extend_from_slice(&confidence);
        file.extend_from_slice(&[0, 0, 0]);
        file.extend_from_slice(&depth_png);
        file
    }

    #[test]
    fn depth_item_is_found_after_the_primary_and_converted() {
        let (w, h) = (16, 8);
        let values: Vec<u16> = (0..w * h).map(|i| ((i % w) * 4369) as u16).collect();
        for uri_in_map in [false, true] {
            let file = dynamic_depth_file(&values, w, h, uri_in_map, "3");
            let read = read_embedded_depth(&file, Path::new("dd.jpg"), (w, h))
                .unwrap()
                .unwrap();
            assert_eq!(read.format, EmbeddedFormat::DynamicDepth);
            for (x, p) in read.depth.pixels().take(w as usize).enumerate() {
                let want = RangeFormat::Linear.depth(values[x] as f32 / 65535.0, 0.25, 4.25);
                assert!((p[0] - want).abs() < 1e-5, "x={x}: {} vs {want}", p[0]);
            }
        }
    }

    #[test]
    fn overflowing_item_length_and_padding_are_an_error_not_a_panic() {
        let values = vec![1000u16; 64];
        let file = dynamic_depth_file(&values, 8, 8, false, &usize::MAX.to_string());
        let err = read_embedded_depth(&file, Path::new("dd.jpg"), (8, 8)).unwrap_err();
        assert!(err.to_string().contains("Item:Padding"), "{err}");
    }

    #[test]
    fn truncated_container_is_an_error() {
        let values = vec![1000u16; 64];
        let file = dynamic_depth_file(&values, 8, 8, false, "3");
        let cut = &file[..file.len() - 40];
        let err = read_embedded_depth(cut, Path::new("dd.jpg"), (8, 8)).unwrap_err();
        assert!(
            err.to_string().starts_with("dd.jpg: embedded depth:"),
            "{err}"
        );
    }
}
