//! PFM (portable float map) files, as Middlebury writes its disparities.

use std::path::Path;

use super::checks::{checked_pixels, make_map, DepthFileError};
use crate::map::FloatMap;

/// Parses a PFM file as Middlebury writes it: `Pf` (1 channel) or `PF` (3 channels, the
/// first is kept), width, height and scale (negative = little endian), then rows from
/// bottom to top. Rows are flipped so row 0 is the top; inf/NaN values are kept as-is and
/// the |scale| factor is not applied.
pub fn parse_pfm(bytes: &[u8], name: &Path) -> Result<FloatMap, DepthFileError> {
    let bad = |detail: String| DepthFileError::BadPfmHeader {
        path: name.into(),
        detail,
    };
    let mut pos = 0usize;
    let mut token = |what: &str| -> Result<&str, DepthFileError> {
        while bytes.get(pos).is_some_and(|b| b.is_ascii_whitespace()) {
            pos += 1;
        }
        let start = pos;
        while bytes.get(pos).is_some_and(|b| !b.is_ascii_whitespace()) && pos - start < 64 {
            pos += 1;
        }
        let text = bytes.get(start..pos).unwrap_or(&[]);
        if text.is_empty() {
            return Err(bad(format!("file ends before the {what}")));
        }
        std::str::from_utf8(text).map_err(|_| bad(format!("the {what} is not text")))
    };
    let channels = match token("magic")? {
        "Pf" => 1usize,
        "PF" => 3,
        other => {
            return Err(bad(format!(
                "magic is '{}', expected Pf or PF",
                other.escape_debug()
            )))
        }
    };
    let width: u64 = token("width")?
        .parse()
        .map_err(|_| bad("width is not a whole number".into()))?;
    let height: u64 = token("height")?
        .parse()
        .map_err(|_| bad("height is not a whole number".into()))?;
    let scale: f64 = token("scale")?
        .parse()
        .map_err(|_| bad("scale is not a number".into()))?;
    if !scale.is_finite() || scale == 0.0 {
        return Err(bad(format!("scale {scale} must be a non-zero number")));
    }
    let little = scale < 0.0;
    // Exactly one whitespace byte ends the header.
    if !bytes.get(pos).is_some_and(|b| b.is_ascii_whitespace()) {
        return Err(bad("no whitespace after the scale".into()));
    }
    pos += 1;

    let (w, h) = (
        usize::try_from(width).unwrap_or(usize::MAX),
        usize::try_from(height).unwrap_or(usize::MAX),
    );
    let pixels = checked_pixels(w, h, name)?;
    let floats = pixels * channels; // ≤ 3e8: cannot overflow
    let needed = floats * 4;
    let mut data = bytes.get(pos..).unwrap_or(&[]);
    // Tolerate a CRLF line ending after the scale: '\r' was taken as the separator.
    if data.len() == needed + 1 && bytes.get(pos - 1) == Some(&b'\r') && data[0] == b'\n' {
        data = &data[1..];
    }
    if data.len() < needed {
        return Err(DepthFileError::Truncated {
            path: name.into(),
            width,
            height,
            found: (data.len() / 4) as u64,
            expected: floats as u64,
        });
    }
    if data.len() > needed {
        return Err(DepthFileError::SizeMismatch {
            path: name.into(),
            width,
            height,
            expected: needed as u64,
            found: data.len() as u64,
        });
    }
    let mut values = Vec::with_capacity(pixels);
    let row_bytes = w * channels * 4;
    for y in (0..h).rev() {
        let row = &data[y * row_bytes..(y + 1) * row_bytes];
        values.extend(row.chunks_exact(channels * 4).map(|px| {
            let b = [px[0], px[1], px[2], px[3]];
            if little {
                f32::from_le_bytes(b)
            } else {
                f32::from_be_bytes(b)
            }
        }));
    }
    make_map(w, h, values, name)
}
