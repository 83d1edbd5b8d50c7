//! MPO stereo files (CIPA DC-007 Multi-Picture Format): the first JPEG's APP2
//! "MPF" segment indexes every image of the file; the two "disparity" images
//! of a 3D camera are its left and right views.

use crate::io::embedded::xmp::header_segments;

/// APP2 marker, which carries the MP Extensions.
const APP2: u8 = 0xE2;
/// MP Entry tag of the MP Index IFD.
const TAG_MP_ENTRY: u16 = 0xB002;
/// MP type code of a multi-frame disparity image (one view of a stereo pair).
const TYPE_DISPARITY: u32 = 0x020002;

/// The two views of a stereo MPO, as JPEG bytes.
#[derive(Debug, Clone, Copy)]
pub struct StereoMpo<'a> {
    pub left: &'a [u8],
    pub right: &'a [u8],
}

/// The left and right views of an MPO; None when the file has no MP index or
/// its index lists fewer than two disparity images (e.g. only a preview).
/// A malformed index is an error that says what is wrong.
pub fn split_stereo_mpo(file: &[u8]) -> Result<Option<StereoMpo<'_>>, MpoError> {
    split(file).map_err(MpoError::Malformed)
}

/// Why an MPO index cannot be used (one line).
#[derive(Debug, thiserror::Error)]
pub enum MpoError {
    #[error("{0}")]
    Malformed(String),
}

/// `split_stereo_mpo` with the reason as text.
fn split(file: &[u8]) -> Result<Option<StereoMpo<'_>>, String> {
    let Some(segment) = header_segments(file)
        .into_iter()
        .find(|s| s.marker == APP2 && s.data.starts_with(b"MPF\0"))
    else {
        return Ok(None);
    };
    // Offsets in the index count from the MP header, just after "MPF\0".
    let base = segment.offset + 4 + 4;
    let header = &segment.data[4..];
    let entries = mp_entries(header)?;
    let mut views = Vec::new();
    for (k, &(attribute, size, offset)) in entries.iter().enumerate() {
        if attribute & 0x00FF_FFFF != TYPE_DISPARITY {
            continue;
        }
        let start = if k == 0 { 0 } else { base + offset };
        let image = start
            .checked_add(size)
            .and_then(|end| file.get(start..end))
            .ok_or_else(|| {
                format!(
                    "image {} ({size} bytes at byte {start}) lies beyond the end of the file ({} bytes)",
                    k + 1,
                    file.len()
                )
            })?;
        if !image.starts_with(&[0xFF, 0xD8]) {
            return Err(format!("image {} at byte {start} is not a JPEG", k + 1));
        }
        views.push(image);
    }
    Ok(match views[..] {
        [left, right, ..] => Some(StereoMpo { left, right }),
        _ => None,
    })
}

/// (attribute, size, offset) of every MP Entry in the MP Index IFD.
fn mp_entries(header: &[u8]) -> Result<Vec<(u32, usize, usize)>, String> {
    let little = match header.get(..4) {
        Some(b"II*\0") => true,
        Some(b"MM\0*") => false,
        _ => return Err("MP header has no byte-order mark".into()),
    };
    let short = |at: usize| -> Result<u16, String> {
        header
            .get(at..at + 2)
            .map(|b| {
                let b = [b[0], b[1]];
                if little {
                    u16::from_le_bytes(b)
                } else {
                    u16::from_be_bytes(b)
                }
            })
            .ok_or_else(|| "MP index is cut short".to_string())
    };
    let long = |at: usize| -> Result<u32, String> {
        header
            .get(at..at + 4)
            .map(|b| {
                let b = [b[0], b[1], b[2], b[3]];
                if little {
                    u32::from_le_bytes(b)
                } else {
                    u32::from_be_bytes(b)
                }
            })
            .ok_or_else(|| "MP index is cut short".to_string())
    };
    let ifd = long(4)? as usize;
    let count = usize::from(short(ifd)?);
    for k in 0..count {
        let at = ifd + 2 + 12 * k;
        if short(at)? != TAG_MP_ENTRY {
            continue;
        }
        let bytes = long(at + 4)? as usize;
        let offset = long(at + 8)? as usize;
        if !bytes.is_multiple_of(16) || bytes == 0 {
            return Err(format!(
                "MP Entry holds {bytes} bytes, not a multiple of 16"
            ));
        }
        return (0..bytes / 16)
            .map(|i| {
                let e = offset + 16 * i;
                Ok((long(e)?, long(e + 4)? as usize, long(e + 8)? as usize))
            })
            .collect();
    }
    Err("MP index has no MP Entry".into())
}

/// Joins two JPEG views into a stereo MPO as 3D cameras write it: an APP2
/// MP index (big-endian, two disparity entries) in the first, the second appended.
pub fn encode_stereo_mpo(left: &[u8], right: &[u8]) -> Vec<u8> {
    // Segment: FFE2, length, "MPF\0", header (8), IFD count (2), 3 entries (36),
    // next IFD (4), then 2 MP entries (32).
    let ifd_len = 2 + 3 * 12 + 4;
    let entries_at = 8 + ifd_len;
    let payload_len = 4 + entries_at + 32;
    let first_len = left.len() + 2 + 2 + payload_len;
    let mut mpf = vec![0xFF, APP2];
    mpf.extend_from_slice(&((payload_len + 2) as u16).to_be_bytes());
    mpf.extend_from_slice(b"MPF\0MM\0*");
    mpf.extend_from_slice(&8u32.to_be_bytes());
    mpf.extend_from_slice(&3u16.to_be_bytes());
    let tag = |t: u16, ty: u16, n: u32, v: u32| {
        [
            &t.to_be_bytes()[..],
            &ty.to_be_bytes(),
            &n.to_be_bytes(),
            &v.to_be_bytes(),
        ]
        .concat()
    };
    mpf.extend(tag(0xB000, 7, 4, u32::from_be_bytes(*b"0100")));
    mpf.extend(tag(0xB001, 4, 1, 2));
    mpf.extend(tag(TAG_MP_ENTRY, 7, 32, entries_at as u32));
    mpf.extend_from_slice(&0u32.to_be_bytes());
    // The MP header starts after FFD8, FFE2, length and "MPF\0" of the first image.
    let right_offset = first_len - (2 + 4 + 4);
    for (attr, size, offset) in [
        (0x2002_0002u32, first_len as u32, 0u32),
        (0x0002_0002, right.len() as u32, right_offset as u32),
    ] {
        mpf.extend_from_slice(&attr.to_be_bytes());
        mpf.extend_from_slice(&size.to_be_bytes());
        mpf.extend_from_slice(&offset.to_be_bytes());
        mpf.extend_from_slice(&[0; 4]);
    }
    let (soi, rest) = left.split_at(left.len().min(2));
    let first = [soi, &mpf, rest].concat();
    debug_assert_eq!(first.len(), first_len);
    [first, right.to_vec()].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(rgb: [u8; 3]) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(24, 16, image::Rgb(rgb));
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new(&mut out)
            .encode_image(&img)
            .unwrap();
        out
    }

    #[test]
    fn mpo_splits_into_left_and_right_jpegs() {
        let (left, right) = (jpeg([200, 0, 0]), jpeg([0, 0, 200]));
        let file = encode_stereo_mpo(&left, &right);
        let views = split_stereo_mpo(&file).unwrap().unwrap();
        assert_eq!(views.right, &right[..]);
        let l = image::load_from_memory(views.left).unwrap().to_rgb8();
        let r = image::load_from_memory(views.right).unwrap().to_rgb8();
        assert!(l.get_pixel(3, 3)[0] > 150 && r.get_pixel(3, 3)[2] > 150);
    }

    #[test]
    fn corrupt_mpo_is_an_error_and_plain_jpeg_is_none() {
        let file = encode_stereo_mpo(&jpeg([1, 2, 3]), &jpeg([4, 5, 6]));
        let cut = &file[..file.len() - 100];
        let err = split_stereo_mpo(cut).unwrap_err().to_string();
        assert!(err.contains("beyond the end"), "{err}");
        let right_len = jpeg([4, 5, 6]).len();
        let mut shifted = file.clone();
        shifted.insert(file.len() - right_len, 0);
        let err = split_stereo_mpo(&shifted).unwrap_err().to_string();
        assert!(err.contains("is not a JPEG"), "{err}");
        let mut bad_order = file.clone();
        let at = bad_order.windows(4).position(|w| w == b"MM\0*").unwrap();
        bad_order[at] = b'X';
        assert!(split_stereo_mpo(&bad_order)
            .unwrap_err()
            .to_string()
            .contains("byte-order"));
        assert!(split_stereo_mpo(&jpeg([9, 9, 9])).unwrap().is_none());
    }
}
