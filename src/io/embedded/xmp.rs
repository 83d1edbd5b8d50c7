//! XMP in JPEG files: finding the standard and extended packets in APP1
//! segments (Adobe XMP Specification Part 3, §1.1.3), looking properties up,
//! and building the segments again for writing.

use md5::{Digest, Md5};

/// Signature that opens the APP1 segment holding the standard XMP packet.
pub const STANDARD_SIGNATURE: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
/// Signature that opens each APP1 segment holding part of the extended XMP.
pub const EXTENDED_SIGNATURE: &[u8] = b"http://ns.adobe.com/xmp/extension/\0";
/// Namespace of `xmpNote:HasExtendedXMP`, which names the extended packet's GUID.
pub const NOTE_NS: &str = "http://ns.adobe.com/xmp/note/";

/// JPEG APP1 marker.
const APP1: u8 = 0xE1;
/// Largest payload of one marker segment (its 16-bit length counts itself).
const MAX_SEGMENT_PAYLOAD: usize = 65533;
/// Bytes of an extended segment's header after the signature: GUID, full length, offset.
const EXTENDED_HEADER: usize = 32 + 4 + 4;
/// Largest extended XMP chunk in one segment.
pub const EXTENDED_CHUNK: usize = MAX_SEGMENT_PAYLOAD - 35 - EXTENDED_HEADER;
/// Largest standard XMP packet.
pub const STANDARD_MAX: usize = MAX_SEGMENT_PAYLOAD - 29;

/// Why the XMP of a JPEG cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum XmpError {
    #[error("XMP is not well-formed XML: {0}")]
    Xml(String),
    #[error("XMP names extended XMP {guid} but {detail}")]
    Extended { guid: String, detail: String },
}

/// One marker segment of a JPEG header.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    pub marker: u8,
    /// Offset of the segment's 0xFF byte in the file.
    pub offset: usize,
    /// Payload after the length field.
    pub data: &'a [u8],
}

/// The marker segments before the first scan of a JPEG (empty if `bytes` is
/// not a JPEG); stops quietly at the first malformed segment.
pub fn header_segments(bytes: &[u8]) -> Vec<Segment<'_>> {
    let mut segments = Vec::new();
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return segments;
    }
    let mut pos = 2;
    while pos + 4 <= bytes.len() && bytes[pos] == 0xFF {
        let marker = bytes[pos + 1];
        if marker == 0xFF {
            pos += 1;
            continue;
        }
        if marker == 0xDA || marker == 0xD9 {
            break;
        }
        if (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            pos += 2;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([bytes[pos + 2], bytes[pos + 3]]));
        let end = pos + 2 + len;
        if len < 2 || end > bytes.len() {
            break;
        }
        segments.push(Segment {
            marker,
            offset: pos,
            data: &bytes[pos + 4..end],
        });
        pos = end;
    }
    segments
}

/// The XMP packets of a JPEG: the standard one and, when it names one, the
/// reassembled extended one.
#[derive(Debug, Clone, Default)]
pub struct XmpPackets {
    pub standard: String,
    pub extended: Option<String>,
}

/// Reads the XMP packets of a JPEG; None when it has no standard XMP.
pub fn read_xmp(bytes: &[u8]) -> Result<Option<XmpPackets>, XmpError> {
    let segments = header_segments(bytes);
    let Some(standard) = segments
        .iter()
        .filter(|s| s.marker == APP1)
        .find_map(|s| s.data.strip_prefix(STANDARD_SIGNATURE))
    else {
        return Ok(None);
    };
    let standard = String::from_utf8_lossy(standard).into_owned();
    let guid = {
        let doc = parse(&standard)?;
        Xmp { docs: vec![doc] }
            .property(NOTE_NS, "HasExtendedXMP")
            .map(str::to_owned)
    };
    let extended = match guid {
        Some(guid) => Some(assemble_extended(&segments, &guid)?),
        None => None,
    };
    Ok(Some(XmpPackets { standard, extended }))
}

/// Joins the extended XMP chunks tagged with `guid` and checks their MD5 against it.
fn assemble_extended(segments: &[Segment], guid: &str) -> Result<String, XmpError> {
    let fail = |detail: String| XmpError::Extended {
        guid: guid.to_string(),
        detail,
    };
    let mut chunks: Vec<(usize, usize, &[u8])> = segments
        .iter()
        .filter(|s| s.marker == APP1)
        .filter_map(|s| s.data.strip_prefix(EXTENDED_SIGNATURE))
        .filter(|d| d.len() >= EXTENDED_HEADER && d[..32].eq_ignore_ascii_case(guid.as_bytes()))
        .map(|d| (be32(&d[32..36]), be32(&d[36..40]), &d[EXTENDED_HEADER..]))
        .collect();
    if chunks.is_empty() {
        return Err(fail("the file holds no part of it".into()));
    }
    chunks.sort_by_key(|c| c.1);
    let full = chunks[0].0;
    let mut joined = Vec::with_capacity(full.min(64 << 20));
    for &(total, offset, data) in &chunks {
        if total != full || offset != joined.len() {
            return Err(fail(format!(
                "its parts do not join up (part at byte {offset} of {total}, expected byte {} of {full})",
                joined.len()
            )));
        }
        joined.extend_from_slice(data);
    }
    if joined.len() != full {
        return Err(fail(format!(
            "only {} of its {full} bytes are present",
            joined.len()
        )));
    }
    if !md5_hex(&joined).eq_ignore_ascii_case(guid) {
        return Err(fail("its MD5 digest differs (corrupt data)".into()));
    }
    String::from_utf8(joined).map_err(|_| fail("it is not UTF-8 text".into()))
}

fn be32(b: &[u8]) -> usize {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize
}

/// MD5 of `data` as 32 upper-case hex digits: the GUID of an extended XMP packet.
pub fn md5_hex(data: &[u8]) -> String {
    Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

fn parse(text: &str) -> Result<roxmltree::Document<'_>, XmpError> {
    roxmltree::Document::parse(text).map_err(|e| XmpError::Xml(e.to_string()))
}

/// Parsed XMP packets, searched together for properties.
pub struct Xmp<'a> {
    docs: Vec<roxmltree::Document<'a>>,
}

impl<'a> Xmp<'a> {
    /// Parses the standard and any extended packet.
    pub fn parse(packets: &'a XmpPackets) -> Result<Xmp<'a>, XmpError> {
        let mut docs = vec![parse(&packets.standard)?];
        if let Some(extended) = &packets.extended {
            docs.push(parse(extended)?);
        }
        Ok(Xmp { docs })
    }

    /// The first value of property `ns:name`, written either as an attribute or as an element.
    pub fn property(&self, ns: &str, name: &str) -> Option<&str> {
        self.docs
            .iter()
            .flat_map(|d| d.descendants())
            .find_map(|n| node_property(n, ns, name))
    }

    /// Elements named `ns:name`, in document order.
    pub fn elements<'s>(
        &'s self,
        ns: &'s str,
        name: &'s str,
    ) -> impl Iterator<Item = roxmltree::Node<'s, 'a>> + 's {
        self.docs
            .iter()
            .flat_map(|d| d.descendants())
            .filter(move |n| n.is_element() && n.has_tag_name((ns, name)))
    }
}

/// Property `ns:name` of `node`: its attribute, or the text of a child element.
pub fn node_property<'a>(node: roxmltree::Node<'a, '_>, ns: &str, name: &str) -> Option<&'a str> {
    if !node.is_element() {
        return None;
    }
    if let Some(value) = node.attribute((ns, name)) {
        return Some(value.trim());
    }
    node.children()
        .find(|c| c.is_element() && c.has_tag_name((ns, name)))
        .and_then(|c| c.text())
        .map(str::trim)
}

/// APP1 segments (marker, length and payload) holding `standard` and, split
/// into chunks, `extended`; the standard packet must name the extended one's GUID.
pub fn xmp_segments(standard: &str, extended: Option<&str>) -> Vec<Vec<u8>> {
    let mut segments = vec![app1(&[STANDARD_SIGNATURE, standard.as_bytes()])];
    if let Some(extended) = extended {
        let bytes = extended.as_bytes();
        let guid = md5_hex(bytes);
        let total = (bytes.len() as u32).to_be_bytes();
        for (k, chunk) in bytes.chunks(EXTENDED_CHUNK).enumerate() {
            let offset = ((k * EXTENDED_CHUNK) as u32).to_be_bytes();
            segments.push(app1(&[
                EXTENDED_SIGNATURE,
                guid.as_bytes(),
                &total,
                &offset,
                chunk,
            ]));
        }
    }
    segments
}

/// One APP1 segment from payload parts (at most [`MAX_SEGMENT_PAYLOAD`] bytes in all).
fn app1(parts: &[&[u8]]) -> Vec<u8> {
    let len: usize = parts.iter().map(|p| p.len()).sum::<usize>() + 2;
    debug_assert!(len <= MAX_SEGMENT_PAYLOAD + 2);
    let mut out = vec![0xFF, APP1];
    out.extend_from_slice(&(len as u16).to_be_bytes());
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// Inserts marker segments into a JPEG after its SOI and any APP0 (JFIF) segment.
pub fn insert_segments(jpeg: &[u8], segments: &[Vec<u8>]) -> Vec<u8> {
    let at = header_segments(jpeg)
        .iter()
        .take_while(|s| s.marker == 0xE0)
        .last()
        .map_or(2, |s| s.offset + 4 + s.data.len());
    let extra: usize = segments.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(jpeg.len() + extra);
    out.extend_from_slice(&jpeg[..at]);
    for s in segments {
        out.extend_from_slice(s);
    }
    out.extend_from_slice(&jpeg[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_jpeg() -> Vec<u8> {
        let img = image::RgbImage::from_pixel(8, 8, image::Rgb([10, 200, 30]));
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new(&mut out)
            .encode_image(&img)
            .unwrap();
        out
    }

    fn packet(body: &str) -> String {
        format!(
            r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">{body}</rdf:RDF></x:xmpmeta>"#
        )
    }

    #[test]
    fn extended_xmp_split_over_segments_reads_back() {
        let filler = "A".repeat(3 * EXTENDED_CHUNK + 17);
        let extended = packet(&format!(
            r#"<rdf:Description xmlns:t="urn:t/" t:Big="{filler}"/>"#
        ));
        let guid = md5_hex(extended.as_bytes());
        let standard = packet(&format!(
            r#"<rdf:Description xmlns:xmpNote="{NOTE_NS}" xmlns:t="urn:t/" xmpNote:HasExtendedXMP="{guid}"><t:Small>7</t:Small></rdf:Description>"#
        ));
        let segments = xmp_segments(&standard, Some(&extended));
        assert_eq!(segments.len(), 5);
        assert!(segments.iter().all(|s| s.len() <= MAX_SEGMENT_PAYLOAD + 4));
        let jpeg = insert_segments(&tiny_jpeg(), &segments);
        assert!(image::load_from_memory(&jpeg).is_ok());
        let packets = read_xmp(&jpeg).unwrap().unwrap();
        let xmp = Xmp::parse(&packets).unwrap();
        assert_eq!(xmp.property("urn:t/", "Small"), Some("7"));
        assert_eq!(
            xmp.property("urn:t/", "Big").map(str::len),
            Some(filler.len())
        );
    }

    #[test]
    fn missing_or_corrupt_extended_parts_are_errors() {
        let extended = packet(&"B".repeat(2 * EXTENDED_CHUNK));
        let guid = md5_hex(extended.as_bytes());
        let standard = packet(&format!(
            r#"<rdf:Description xmlns:xmpNote="{NOTE_NS}" xmpNote:HasExtendedXMP="{guid}"/>"#
        ));
        let mut segments = xmp_segments(&standard, Some(&extended));
        let dropped = insert_segments(&tiny_jpeg(), &segments[..2]);
        let err = read_xmp(&dropped).unwrap_err().to_string();
        assert!(
            err.contains("do not join up") || err.contains("only"),
            "{err}"
        );
        let last = segments.last_mut().unwrap();
        let n = last.len();
        last[n - 1] ^= 1;
        let flipped = insert_segments(&tiny_jpeg(), &segments);
        assert!(read_xmp(&flipped).unwrap_err().to_string().contains("MD5"));
    }

    #[test]
    fn no_xmp_is_none() {
        assert!(read_xmp(&tiny_jpeg()).unwrap().is_none());
        assert!(read_xmp(b"not a jpeg").unwrap().is_none());
    }
}
