//! Reading user-supplied depth maps (NPY, PFM, OpenEXR, 16/8-bit grayscale images) into a
//! [`FloatMap`], and writing depth maps as normalised 16-bit PNGs.
//!
//! Every parser here takes untrusted bytes: sizes are checked (with overflow-checked
//! arithmetic) against both the data actually present and [`MAX_DEPTH_PIXELS`] before
//! anything is allocated, and no input can make them panic.

use std::fs::File;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use super::depth_exr::{parse_exr, EXR_MAGIC};
use image::{DynamicImage, ImageBuffer, ImageDecoder, ImageFormat, ImageReader, Limits, Luma};

/// A dense row-major map of one f32 per pixel (depth, disparity, weights…).
pub type FloatMap = image::ImageBuffer<image::Luma<f32>, Vec<f32>>;

/// Largest depth map accepted, in pixels (same limit as for photos).
pub const MAX_DEPTH_PIXELS: u64 = 100_000_000;

/// Largest depth file read into memory: 100 Mpx of float64 plus room for a header.
const MAX_DEPTH_FILE_BYTES: u64 = MAX_DEPTH_PIXELS * 8 + (1 << 20);

/// Longest NPY header accepted; numpy writes well under 1 KiB.
const MAX_NPY_HEADER: usize = 1 << 20;

/// Why a depth map could not be read or written; every message is one line naming the file.
#[derive(Debug, thiserror::Error)]
pub enum DepthFileError {
    /// The path does not exist.
    #[error("{}: no such file", path.display())]
    NotFound { path: PathBuf },
    /// The file could not be read (or is a directory).
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The output could not be written.
    #[error("{}: cannot write: {detail}", path.display())]
    Write { path: PathBuf, detail: String },
    /// The file is zero bytes long.
    #[error("{}: empty file (0 bytes)", path.display())]
    Empty { path: PathBuf },
    /// The file is larger than any depth map we accept.
    #[error("{}: file is {bytes} bytes, too large for a depth map", path.display())]
    FileTooLarge { path: PathBuf, bytes: u64 },
    /// Neither NPY, PFM nor an image format the image crate knows.
    #[error("{}: not a depth map (expected .npy, .pfm, .exr or a grayscale PNG/TIFF)", path.display())]
    UnknownFormat { path: PathBuf },
    /// The NPY preamble or header dictionary is malformed.
    #[error("{}: bad NPY header: {detail}", path.display())]
    BadNpyHeader { path: PathBuf, detail: String },
    /// The NPY element type is not one we convert.
    #[error("{}: unsupported dtype '{dtype}'", path.display())]
    UnsupportedDtype { path: PathBuf, dtype: String },
    /// The array is not a single 2-D plane.
    #[error(
        "{}: unsupported shape {shape} (expected (H, W), (H, W, 1) or (1, H, W))",
        path.display()
    )]
    UnsupportedShape { path: PathBuf, shape: String },
    /// The PFM header is malformed.
    #[error("{}: bad PFM header: {detail}", path.display())]
    BadPfmHeader { path: PathBuf, detail: String },
    /// Fewer values than the header announces.
    #[error(
        "{}: truncated: header says {width}×{height}, found {found} of {expected} values",
        path.display()
    )]
    Truncated {
        path: PathBuf,
        width: u64,
        height: u64,
        found: u64,
        expected: u64,
    },
    /// More data than the header announces, so the header cannot be trusted.
    #[error(
        "{}: size mismatch: header says {width}×{height} ({expected} bytes of data) but the file has {found} bytes of data",
        path.display()
    )]
    SizeMismatch {
        path: PathBuf,
        width: u64,
        height: u64,
        expected: u64,
        found: u64,
    },
    /// The header announces more than [`MAX_DEPTH_PIXELS`] pixels.
    #[error(
        "{}: depth map is {width}×{height}, over the {} megapixel limit",
        path.display(),
        MAX_DEPTH_PIXELS / 1_000_000
    )]
    TooLarge {
        path: PathBuf,
        width: u64,
        height: u64,
    },
    /// Non-finite values where the caller does not allow holes (see [`check_finite`]).
    #[error(
        "{}: {nan} NaN and {inf} infinite values (use --depth-holes fill to treat them as holes)",
        path.display()
    )]
    NonFinite {
        path: PathBuf,
        nan: usize,
        inf: usize,
    },
    /// A colour image whose channels differ, e.g. a colour-mapped depth visualisation.
    #[error(
        "{}: depth image is colour ({color}); expected a single-channel grayscale depth map",
        path.display()
    )]
    ColourImage { path: PathBuf, color: String },
    /// The image crate could not decode the depth image.
    #[error("{}: cannot decode depth image: {detail}", path.display())]
    Image { path: PathBuf, detail: String },
}

/// Reads a depth map, choosing the parser from the content: NPY magic, PFM magic, or
/// else any grayscale image the image crate decodes (raw values, e.g. 0..65535 for PNG16).
/// NaN/inf values are kept; use [`count_non_finite`] or [`check_finite`] to decide on them.
pub fn read_depth_file(path: &Path) -> Result<FloatMap, DepthFileError> {
    let read_error = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => DepthFileError::NotFound { path: path.into() },
        _ => DepthFileError::Read {
            path: path.into(),
            source: e,
        },
    };
    let file = File::open(path).map_err(read_error)?;
    let len = file.metadata().map_err(read_error)?.len();
    if len > MAX_DEPTH_FILE_BYTES {
        return Err(DepthFileError::FileTooLarge {
            path: path.into(),
            bytes: len,
        });
    }
    let mut bytes = Vec::new();
    // `take` guards against a file that grows between the size check and the read.
    file.take(MAX_DEPTH_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    parse_depth_bytes(&bytes, path)
}

/// Same dispatch as [`read_depth_file`] on bytes already in memory; `name` is for messages.
pub fn parse_depth_bytes(bytes: &[u8], name: &Path) -> Result<FloatMap, DepthFileError> {
    if bytes.is_empty() {
        Err(DepthFileError::Empty { path: name.into() })
    } else if bytes.starts_with(b"\x93NUMPY") {
        parse_npy(bytes, name)
    } else if bytes.starts_with(b"Pf") || bytes.starts_with(b"PF") {
        parse_pfm(bytes, name)
    } else if bytes.starts_with(&EXR_MAGIC) {
        parse_exr(bytes, name)
    } else {
        parse_depth_image(bytes, name)
    }
}

/// Element types of NPY arrays that we convert to f32.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Float,
    Unsigned,
    Signed,
}

/// A value in the NPY header dictionary (a tiny subset of Python literals).
#[derive(Debug)]
enum PyValue {
    Str(String),
    Bool(bool),
    Int(u64),
    Tuple(Vec<PyValue>),
    /// Contents are parsed (to find where the list ends) but not kept.
    List,
}

/// Parses a `.npy` file (format versions 1.0, 2.0, 3.0) holding one 2-D plane of
/// float32/64, (u)int8/16/32/64 in either byte order, C or Fortran order.
pub fn parse_npy(bytes: &[u8], name: &Path) -> Result<FloatMap, DepthFileError> {
    let bad = |detail: &str| DepthFileError::BadNpyHeader {
        path: name.into(),
        detail: detail.into(),
    };
    if !bytes.starts_with(b"\x93NUMPY") {
        return Err(bad("missing \\x93NUMPY magic"));
    }
    let (Some(&major), Some(&minor)) = (bytes.get(6), bytes.get(7)) else {
        return Err(bad("file ends inside the preamble"));
    };
    let (header_len, header_start) = match major {
        1 => match bytes.get(8..10) {
            Some(b) => (usize::from(u16::from_le_bytes([b[0], b[1]])), 10usize),
            None => return Err(bad("file ends inside the preamble")),
        },
        2 | 3 => match bytes.get(8..12) {
            Some(b) => {
                let n = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                (usize::try_from(n).unwrap_or(usize::MAX), 12usize)
            }
            None => return Err(bad("file ends inside the preamble")),
        },
        _ => return Err(bad(&format!("unsupported format version {major}.{minor}"))),
    };
    if header_len > MAX_NPY_HEADER {
        return Err(bad(&format!(
            "header length {header_len} is implausibly large"
        )));
    }
    let data_start = header_start + header_len;
    let header = bytes
        .get(header_start..data_start)
        .ok_or_else(|| bad(&format!("file ends inside the {header_len}-byte header")))?;
    let header = std::str::from_utf8(header).map_err(|_| bad("header is not text"))?;

    let dict = parse_py_dict(header).map_err(|e| bad(&e))?;
    let mut descr = None;
    let mut fortran = None;
    let mut shape = None;
    for (key, value) in dict {
        match (key.as_str(), value) {
            ("descr", PyValue::Str(s)) => descr = Some(s),
            ("descr", _) => {
                return Err(DepthFileError::UnsupportedDtype {
                    path: name.into(),
                    dtype: "structured".into(),
                })
            }
            ("fortran_order", PyValue::Bool(b)) => fortran = Some(b),
            ("shape", PyValue::Tuple(items)) => {
                let dims = items
                    .into_iter()
                    .map(|v| match v {
                        PyValue::Int(n) => Ok(n),
                        _ => Err(bad("shape holds something other than integers")),
                    })
                    .collect::<Result<Vec<u64>, _>>()?;
                shape = Some(dims);
            }
            ("fortran_order" | "shape", _) => {
                return Err(bad(&format!("'{key}' has the wrong type")));
            }
            _ => {} // unknown keys are ignored, as numpy does
        }
    }
    let descr = descr.ok_or_else(|| bad("no 'descr' key"))?;
    let fortran = fortran.ok_or_else(|| bad("no 'fortran_order' key"))?;
    let shape = shape.ok_or_else(|| bad("no 'shape' key"))?;

    let (little, kind, size) =
        parse_dtype(&descr).ok_or_else(|| DepthFileError::UnsupportedDtype {
            path: name.into(),
            dtype: descr.clone(),
        })?;
    let shape_text = format_shape(&shape);
    let (height, width) = plane_dims(&shape).ok_or_else(|| DepthFileError::UnsupportedShape {
        path: name.into(),
        shape: shape_text,
    })?;
    let count = checked_pixels(width, height, name)?;
    let data = bytes.get(data_start..).unwrap_or(&[]);
    let needed = count * size; // count ≤ 1e8 and size ≤ 8: cannot overflow
    if data.len() < needed {
        return Err(DepthFileError::Truncated {
            path: name.into(),
            width: width as u64,
            height: height as u64,
            found: (data.len() / size) as u64,
            expected: count as u64,
        });
    }
    if data.len() > needed {
        return Err(DepthFileError::SizeMismatch {
            path: name.into(),
            width: width as u64,
            height: height as u64,
            expected: needed as u64,
            found: data.len() as u64,
        });
    }

    let values: Vec<f32> = data
        .chunks_exact(size)
        .map(|c| decode_element(c, little, kind))
        .collect();
    let values = if fortran && width > 1 && height > 1 {
        // Column-major: element (row r, column c) is at c * height + r.
        let mut out = Vec::with_capacity(count);
        for r in 0..height {
            out.extend((0..width).map(|c| values[c * height + r]));
        }
        out
    } else {
        values
    };
    make_map(width, height, values, name)
}

/// Decodes one NPY element of `c.len()` bytes to f32 (f64/int64 lose precision, as expected).
fn decode_element(c: &[u8], little: bool, kind: Kind) -> f32 {
    let mut buf = [0u8; 8];
    let n = c.len().min(8);
    buf[..n].copy_from_slice(&c[..n]);
    if !little {
        buf[..n].reverse();
    }
    // `buf` now holds the value little-endian in its first `n` bytes.
    match (kind, n) {
        (Kind::Float, 4) => f32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]),
        (Kind::Float, _) => f64::from_le_bytes(buf) as f32,
        (Kind::Unsigned, _) => u64::from_le_bytes(buf) as f32,
        (Kind::Signed, _) => {
            // Sign-extend from n bytes.
            let shift = 64 - 8 * n as u32;
            ((i64::from_le_bytes(buf) << shift) >> shift) as f32
        }
    }
}

/// Parses a numpy dtype string such as `<f4` into (little endian?, kind, item size).
fn parse_dtype(descr: &str) -> Option<(bool, Kind, usize)> {
    let mut chars = descr.chars();
    let order = chars.next()?;
    let kind = match chars.next()? {
        'f' => Kind::Float,
        'u' => Kind::Unsigned,
        'i' => Kind::Signed,
        _ => return None,
    };
    let size: usize = chars.as_str().parse().ok()?;
    let valid = match kind {
        Kind::Float => matches!(size, 4 | 8),
        Kind::Unsigned | Kind::Signed => matches!(size, 1 | 2 | 4 | 8),
    };
    let little = match order {
        '<' => true,
        '>' => false,
        '=' => cfg!(target_endian = "little"),
        '|' if size == 1 => true,
        _ => return None,
    };
    valid.then_some((little, kind, size))
}

/// Reduces an NPY shape to (height, width): leading and trailing axes of length 1 are
/// dropped while more than two axes remain, so (H, W, 1), (1, H, W) and (1, 1, H, W) work.
fn plane_dims(shape: &[u64]) -> Option<(usize, usize)> {
    let mut dims = shape;
    while dims.len() > 2 && dims.first() == Some(&1) {
        dims = &dims[1..];
    }
    while dims.len() > 2 && dims.last() == Some(&1) {
        dims = &dims[..dims.len() - 1];
    }
    match dims {
        [h, w] => Some((usize::try_from(*h).ok()?, usize::try_from(*w).ok()?)),
        _ => None,
    }
}

/// Python-style rendering of a shape for messages: `(3, 4)`, `(5,)`, `()`.
fn format_shape(shape: &[u64]) -> String {
    let parts: Vec<String> = shape.iter().map(u64::to_string).collect();
    match parts.len() {
        1 => format!("({},)", parts[0]),
        _ => format!("({})", parts.join(", ")),
    }
}

/// Parses the NPY header: a Python dict literal of strings, booleans, ints, tuples and lists.
fn parse_py_dict(text: &str) -> Result<Vec<(String, PyValue)>, String> {
    let mut p = PyParser {
        s: text.as_bytes(),
        pos: 0,
    };
    p.skip_ws();
    p.expect(b'{')?;
    let mut entries = Vec::new();
    loop {
        p.skip_ws();
        if p.eat(b'}') {
            break;
        }
        let key = match p.value(0)? {
            PyValue::Str(s) => s,
            _ => return Err("dictionary key is not a string".into()),
        };
        p.skip_ws();
        p.expect(b':')?;
        p.skip_ws();
        let value = p.value(0)?;
        entries.push((key, value));
        p.skip_ws();
        if !p.eat(b',') {
            p.skip_ws();
            p.expect(b'}')?;
            break;
        }
    }
    p.skip_ws();
    if p.pos != p.s.len() {
        return Err("unexpected text after the dictionary".into());
    }
    Ok(entries)
}

/// Cursor over the header text for [`parse_py_dict`].
struct PyParser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl PyParser<'_> {
    /// Skips spaces, tabs and newlines (numpy pads the header with spaces and a final '\n').
    fn skip_ws(&mut self) {
        while self
            .s
            .get(self.pos)
            .is_some_and(|b| b.is_ascii_whitespace())
        {
            self.pos += 1;
        }
    }

    /// The unparsed remainder.
    fn rest(&self) -> &[u8] {
        self.s.get(self.pos..).unwrap_or(&[])
    }

    /// Consumes `b` if it is next.
    fn eat(&mut self, b: u8) -> bool {
        let hit = self.s.get(self.pos) == Some(&b);
        if hit {
            self.pos += 1;
        }
        hit
    }

    /// Consumes `b` or reports what was found instead.
    fn expect(&mut self, b: u8) -> Result<(), String> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(format!("expected '{}' at offset {}", b as char, self.pos))
        }
    }

    /// Parses one literal; `depth` bounds nesting so hostile input cannot overflow the stack.
    fn value(&mut self, depth: usize) -> Result<PyValue, String> {
        if depth > 16 {
            return Err("nesting too deep".into());
        }
        match self.s.get(self.pos) {
            Some(&q @ (b'\'' | b'"')) => {
                self.pos += 1;
                let start = self.pos;
                while self.s.get(self.pos).is_some_and(|&b| b != q) {
                    self.pos += 1;
                }
                let text = self.s.get(start..self.pos).unwrap_or(&[]);
                self.expect(q)?;
                Ok(PyValue::Str(String::from_utf8_lossy(text).into_owned()))
            }
            Some(&open @ (b'(' | b'[')) => {
                self.pos += 1;
                let close = if open == b'(' { b')' } else { b']' };
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    if self.eat(close) {
                        break;
                    }
                    items.push(self.value(depth + 1)?);
                    self.skip_ws();
                    if !self.eat(b',') {
                        self.skip_ws();
                        self.expect(close)?;
                        break;
                    }
                }
                Ok(if open == b'(' {
                    PyValue::Tuple(items)
                } else {
                    PyValue::List
                })
            }
            Some(b'0'..=b'9') => {
                let mut n: u64 = 0;
                while let Some(&d @ b'0'..=b'9') = self.s.get(self.pos) {
                    n = n
                        .checked_mul(10)
                        .and_then(|n| n.checked_add(u64::from(d - b'0')))
                        .ok_or("integer too large")?;
                    self.pos += 1;
                }
                self.eat(b'L'); // Python 2 long suffix, written by old numpy
                Ok(PyValue::Int(n))
            }
            _ if self.rest().starts_with(b"True") => {
                self.pos += 4;
                Ok(PyValue::Bool(true))
            }
            _ if self.rest().starts_with(b"False") => {
                self.pos += 5;
                Ok(PyValue::Bool(false))
            }
            _ => Err(format!("unexpected text at offset {}", self.pos)),
        }
    }
}

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

/// Decodes a grayscale depth image (PNG, TIFF…) via the image crate, as raw values:
/// 0..65535 for 16-bit, 0..255 for 8-bit. Alpha is ignored; RGB is accepted only when
/// every pixel is gray (R = G = B), so colour-mapped visualisations are refused.
fn parse_depth_image(bytes: &[u8], name: &Path) -> Result<FloatMap, DepthFileError> {
    let image_err = |e: image::ImageError| DepthFileError::Image {
        path: name.into(),
        detail: e
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    };
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| DepthFileError::Read {
            path: name.into(),
            source: e,
        })?;
    if reader.format().is_none() {
        return Err(DepthFileError::UnknownFormat { path: name.into() });
    }
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DEPTH_PIXELS * 16);
    reader.limits(limits);
    let decoder = reader.into_decoder().map_err(image_err)?;
    let (w, h) = decoder.dimensions();
    checked_pixels(w as usize, h as usize, name)?;
    let image = DynamicImage::from_decoder(decoder).map_err(image_err)?;

    let colour = |color: image::ColorType| DepthFileError::ColourImage {
        path: name.into(),
        color: format!("{color:?}"),
    };
    let values: Vec<f32> =
        match &image {
            DynamicImage::ImageLuma8(i) => i.pixels().map(|p| f32::from(p.0[0])).collect(),
            DynamicImage::ImageLumaA8(i) => i.pixels().map(|p| f32::from(p.0[0])).collect(),
            DynamicImage::ImageLuma16(i) => i.pixels().map(|p| f32::from(p.0[0])).collect(),
            DynamicImage::ImageLumaA16(i) => i.pixels().map(|p| f32::from(p.0[0])).collect(),
            DynamicImage::ImageRgb8(i) => gray_channel(i.pixels().map(|p| p.0), f32::from)
                .ok_or_else(|| colour(image.color()))?,
            DynamicImage::ImageRgba8(i) => gray_channel(i.pixels().map(|p| p.0), f32::from)
                .ok_or_else(|| colour(image.color()))?,
            DynamicImage::ImageRgb16(i) => gray_channel(i.pixels().map(|p| p.0), f32::from)
                .ok_or_else(|| colour(image.color()))?,
            DynamicImage::ImageRgba16(i) => gray_channel(i.pixels().map(|p| p.0), f32::from)
                .ok_or_else(|| colour(image.color()))?,
            DynamicImage::ImageRgb32F(i) => {
                gray_channel(i.pixels().map(|p| p.0), |v| v).ok_or_else(|| colour(image.color()))?
            }
            DynamicImage::ImageRgba32F(i) => {
                gray_channel(i.pixels().map(|p| p.0), |v| v).ok_or_else(|| colour(image.color()))?
            }
            other => return Err(colour(other.color())),
        };
    make_map(w as usize, h as usize, values, name)
}

/// Returns the first channel if every pixel has equal R, G, B (alpha ignored), else None.
fn gray_channel<T: PartialEq + Copy, const N: usize>(
    pixels: impl Iterator<Item = [T; N]>,
    to_f32: impl Fn(T) -> f32,
) -> Option<Vec<f32>> {
    let mut out = Vec::new();
    for p in pixels {
        // N is 3 or 4 here; `get` keeps this total for any N.
        let (r, g, b) = (p.first()?, p.get(1)?, p.get(2)?);
        // Compare bit patterns via to_f32 so NaN in float images still counts as gray.
        let (fr, fg, fb) = (to_f32(*r), to_f32(*g), to_f32(*b));
        if !((r == g && g == b) || fr.to_bits() == fg.to_bits() && fg.to_bits() == fb.to_bits()) {
            return None;
        }
        out.push(fr);
    }
    Some(out)
}

/// Checks `width × height` against overflow and [`MAX_DEPTH_PIXELS`], returning the count.
pub(crate) fn checked_pixels(
    width: usize,
    height: usize,
    name: &Path,
) -> Result<usize, DepthFileError> {
    let too_large = || DepthFileError::TooLarge {
        path: name.into(),
        width: width as u64,
        height: height as u64,
    };
    let count = width.checked_mul(height).ok_or_else(too_large)?;
    if count as u64 > MAX_DEPTH_PIXELS
        || u32::try_from(width).is_err()
        || u32::try_from(height).is_err()
    {
        return Err(too_large());
    }
    Ok(count)
}

/// Wraps row-major values into a [`FloatMap`] (sizes were checked by the caller).
pub(crate) fn make_map(
    width: usize,
    height: usize,
    values: Vec<f32>,
    name: &Path,
) -> Result<FloatMap, DepthFileError> {
    let (Ok(w), Ok(h)) = (u32::try_from(width), u32::try_from(height)) else {
        return Err(DepthFileError::TooLarge {
            path: name.into(),
            width: width as u64,
            height: height as u64,
        });
    };
    ImageBuffer::from_raw(w, h, values).ok_or_else(|| DepthFileError::Image {
        path: name.into(),
        detail: "internal size mismatch".into(),
    })
}

/// Writes `map` as a 16-bit grayscale PNG, min–max normalised over its finite values to
/// 0..65535 (a constant map, or one with no finite value, becomes all zeros; NaN/inf
/// become 0). Writes `path` directly: the caller handles any atomic rename.
pub fn write_depth_png16(map: &FloatMap, path: &Path) -> Result<(), DepthFileError> {
    let (w, h) = map.dimensions();
    if w == 0 || h == 0 {
        return Err(DepthFileError::Write {
            path: path.into(),
            detail: format!("cannot write an empty {w}×{h} depth map as PNG"),
        });
    }
    let (lo, hi) = map
        .as_raw()
        .iter()
        .filter(|v| v.is_finite())
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let range = f64::from(hi) - f64::from(lo);
    let data: Vec<u16> = map
        .as_raw()
        .iter()
        .map(|&v| {
            if v.is_finite() && range > 0.0 {
                // In 0..=65535 by construction; `as` saturates anyway.
                ((f64::from(v) - f64::from(lo)) / range * 65_535.0).round() as u16
            } else {
                0
            }
        })
        .collect();
    let img: ImageBuffer<Luma<u16>, Vec<u16>> =
        ImageBuffer::from_raw(w, h, data).ok_or_else(|| DepthFileError::Write {
            path: path.into(),
            detail: "internal size mismatch".into(),
        })?;
    img.save_with_format(path, ImageFormat::Png)
        .map_err(|e| DepthFileError::Write {
            path: path.into(),
            detail: e
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        })
}

/// Counts non-finite values as (NaN, ±infinity).
pub fn count_non_finite(map: &FloatMap) -> (usize, usize) {
    map.as_raw().iter().fold((0, 0), |(nan, inf), v| {
        (
            nan + usize::from(v.is_nan()),
            inf + usize::from(v.is_infinite()),
        )
    })
}

/// Fails with [`DepthFileError::NonFinite`] if `map` holds any NaN or infinity; for callers
/// that do not treat such values as holes.
pub fn check_finite(map: &FloatMap, name: &Path) -> Result<(), DepthFileError> {
    match count_non_finite(map) {
        (0, 0) => Ok(()),
        (nan, inf) => Err(DepthFileError::NonFinite {
            path: name.into(),
            nan,
            inf,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name() -> &'static Path {
        Path::new("d.npy")
    }

    /// Builds an NPY file: preamble for `version`, dict padded to 64 bytes, then `data`.
    fn npy(version: u8, dict: &str, data: &[u8]) -> Vec<u8> {
        let prefix = if version == 1 { 10 } else { 12 };
        let mut header = dict.to_string();
        let pad = (64 - (prefix + header.len() + 1) % 64) % 64;
        header.push_str(&" ".repeat(pad));
        header.push('\n');
        let mut out = b"\x93NUMPY".to_vec();
        out.extend_from_slice(&[version, 0]);
        if version == 1 {
            out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        }
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    fn dict(descr: &str, fortran: bool, shape: &str) -> String {
        let f = if fortran { "True" } else { "False" };
        format!("{{'descr': '{descr}', 'fortran_order': {f}, 'shape': {shape}, }}")
    }

    /// 2×3 test values, row-major: [[0, 1, 2], [10, 11, 12]].
    const VALS: [f32; 6] = [0.0, 1.0, 2.0, 10.0, 11.0, 12.0];

    fn check_vals(map: &FloatMap) {
        assert_eq!(map.dimensions(), (3, 2));
        assert_eq!(map.as_raw(), &VALS.to_vec());
        assert_eq!(map.get_pixel(2, 1).0[0], 12.0);
    }

    #[test]
    fn npy_float_and_int_dtypes_both_endians() {
        type Enc = fn(f32) -> Vec<u8>;
        let cases: [(&str, Enc); 10] = [
            ("<f4", |v| v.to_le_bytes().to_vec()),
            (">f4", |v| v.to_be_bytes().to_vec()),
            ("<f8", |v| f64::from(v).to_le_bytes().to_vec()),
            (">f8", |v| f64::from(v).to_be_bytes().to_vec()),
            ("<u2", |v| (v as u16).to_le_bytes().to_vec()),
            (">u2", |v| (v as u16).to_be_bytes().to_vec()),
            ("|u1", |v| vec![v as u8]),
            ("<i4", |v| (v as i32).to_le_bytes().to_vec()),
            ("<i8", |v| (v as i64).to_le_bytes().to_vec()),
            (">i8", |v| (v as i64).to_be_bytes().to_vec()),
        ];
        for (descr, enc) in cases {
            let data: Vec<u8> = VALS.iter().flat_map(|&v| enc(v)).collect();
            let map = parse_npy(&npy(1, &dict(descr, false, "(2, 3)"), &data), name())
                .unwrap_or_else(|e| panic!("{descr}: {e}"));
            check_vals(&map);
        }
    }

    #[test]
    fn npy_negative_ints_and_large_u16() {
        let data: Vec<u8> = [-5i32, 7].iter().flat_map(|v| v.to_be_bytes()).collect();
        let map = parse_npy(&npy(1, &dict(">i4", false, "(1, 2)"), &data), name()).unwrap();
        assert_eq!(map.as_raw(), &vec![-5.0, 7.0]);
        let data: Vec<u8> = 65_535u16.to_le_bytes().to_vec();
        let map = parse_npy(&npy(1, &dict("<u2", false, "(1, 1)"), &data), name()).unwrap();
        assert_eq!(map.as_raw(), &vec![65_535.0]);
    }

    #[test]
    fn npy_versions_and_shapes() {
        let data: Vec<u8> = VALS.iter().flat_map(|v| v.to_le_bytes()).collect();
        for version in [1, 2, 3] {
            for shape in ["(2, 3)", "(2, 3, 1)", "(1, 2, 3)", "(1, 1, 2, 3)", "(2,3)"] {
                let map = parse_npy(&npy(version, &dict("<f4", false, shape), &data), name())
                    .unwrap_or_else(|e| panic!("v{version} {shape}: {e}"));
                check_vals(&map);
            }
        }
    }

    #[test]
    fn npy_header_in_any_key_order_and_quoting() {
        let data: Vec<u8> = VALS.iter().flat_map(|v| v.to_le_bytes()).collect();
        for d in [
            "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}",
            "{\"descr\":\"<f4\",\"shape\":(2L,3L),\"fortran_order\":False,}",
            "{ 'fortran_order' : False , 'descr' : '<f4' , 'shape' : ( 2 , 3 , ) }",
        ] {
            let map = parse_npy(&npy(1, d, &data), name()).unwrap_or_else(|e| panic!("{d}: {e}"));
            check_vals(&map);
        }
    }

    #[test]
    fn npy_fortran_order_is_transposed() {
        // Column-major storage of [[0, 1, 2], [10, 11, 12]].
        let col_major = [0.0f32, 10.0, 1.0, 11.0, 2.0, 12.0];
        let data: Vec<u8> = col_major.iter().flat_map(|v| v.to_le_bytes()).collect();
        let map = parse_npy(&npy(1, &dict("<f4", true, "(2, 3)"), &data), name()).unwrap();
        check_vals(&map);
        let map = parse_npy(&npy(2, &dict("<f4", true, "(2, 3, 1)"), &data), name()).unwrap();
        check_vals(&map);
    }

    #[test]
    fn npy_bad_inputs() {
        let data: Vec<u8> = VALS.iter().flat_map(|v| v.to_le_bytes()).collect();
        let good = npy(1, &dict("<f4", false, "(2, 3)"), &data);

        // Truncated data.
        let err = parse_npy(&good[..good.len() - 5], name()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "d.npy: truncated: header says 3×2, found 4 of 6 values"
        );
        // Extra data: the shape does not match.
        let mut long = good.clone();
        long.extend_from_slice(&[0; 8]);
        assert!(matches!(
            parse_npy(&long, name()),
            Err(DepthFileError::SizeMismatch { .. })
        ));
        // Shape mismatch the other way round.
        let err = parse_npy(&npy(1, &dict("<f4", false, "(3, 3)"), &data), name()).unwrap_err();
        assert!(matches!(err, DepthFileError::Truncated { .. }), "{err}");
        // Unsupported dtype and shapes.
        let err = parse_npy(&npy(1, &dict("<c8", false, "(2, 3)"), &data), name()).unwrap_err();
        assert_eq!(err.to_string(), "d.npy: unsupported dtype '<c8'");
        for shape in ["(6,)", "()", "(2, 3, 3)", "(3, 2, 3)"] {
            let err = parse_npy(&npy(1, &dict("<f4", false, shape), &data), name()).unwrap_err();
            assert!(
                matches!(err, DepthFileError::UnsupportedShape { .. }),
                "{shape}: {err}"
            );
        }
        // Huge claimed shape: refused before allocating, no overflow.
        for shape in [
            "(100000, 100000)",
            "(18446744073709551615, 18446744073709551615)",
        ] {
            let err = parse_npy(&npy(1, &dict("<f8", false, shape), &data), name()).unwrap_err();
            assert!(
                matches!(err, DepthFileError::TooLarge { .. }),
                "{shape}: {err}"
            );
        }
        let err = parse_npy(
            &npy(1, &dict("<f8", false, "(99999999999999999999, 1)"), &data),
            name(),
        )
        .unwrap_err();
        assert!(matches!(err, DepthFileError::BadNpyHeader { .. }), "{err}");
        // Missing keys, bad syntax, bad version, bad magic, empty.
        for d in [
            "{'descr': '<f4', 'shape': (2, 3)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)",
            "{'descr': '<f4' 'fortran_order': False, 'shape': (2, 3)}",
            "{'descr': <f4, 'fortran_order': False, 'shape': (2, 3)}",
            "{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}",
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        ] {
            let err = parse_npy(&npy(1, d, &data), name()).unwrap_err();
            assert!(
                matches!(err, DepthFileError::BadNpyHeader { .. }),
                "{d}: {err}"
            );
        }
        let mut v9 = good.clone();
        v9[6] = 9;
        assert!(parse_npy(&v9, name())
            .unwrap_err()
            .to_string()
            .contains("version 9.0"));
        assert!(parse_npy(b"\x93NUMPX\x01\x00", name()).is_err());
        assert!(parse_npy(b"", name()).is_err());
        // Header length pointing past the end of the file.
        let mut lying = good.clone();
        lying[8..10].copy_from_slice(&60_000u16.to_le_bytes());
        assert!(matches!(
            parse_npy(&lying, name()),
            Err(DepthFileError::BadNpyHeader { .. })
        ));
    }

    #[test]
    fn npy_empty_plane_is_allowed() {
        let map = parse_npy(&npy(1, &dict("<f4", false, "(0, 5)"), &[]), name()).unwrap();
        assert_eq!(map.dimensions(), (5, 0));
    }

    /// Builds a Pf file with rows given top-to-bottom, written bottom-to-top as PFM requires.
    fn pfm(rows: &[&[f32]], little: bool, header_extra: &str) -> Vec<u8> {
        let (w, h) = (rows[0].len(), rows.len());
        let scale = if little { "-1.0" } else { "1.0" };
        let mut out = format!("Pf{header_extra}\n{w} {h}\n{scale}\n").into_bytes();
        for row in rows.iter().rev() {
            for v in *row {
                out.extend_from_slice(&if little {
                    v.to_le_bytes()
                } else {
                    v.to_be_bytes()
                });
            }
        }
        out
    }

    #[test]
    fn pfm_both_endians_with_row_flip() {
        let rows: [&[f32]; 2] = [&[1.5, 2.0, 3.0], &[4.0, 5.0, f32::INFINITY]];
        for little in [true, false] {
            let map = parse_pfm(&pfm(&rows, little, ""), Path::new("d.pfm")).unwrap();
            assert_eq!(map.dimensions(), (3, 2));
            assert_eq!(map.get_pixel(0, 0).0[0], 1.5, "top-left (little={little})");
            assert_eq!(map.get_pixel(2, 0).0[0], 3.0);
            assert_eq!(map.get_pixel(0, 1).0[0], 4.0);
            assert!(map.get_pixel(2, 1).0[0].is_infinite(), "inf must be kept");
            assert_eq!(count_non_finite(&map), (0, 1));
        }
    }

    #[test]
    fn pfm_whitespace_tolerance_and_colour() {
        let mut bytes = b"Pf \n 2\t1 \n-0.5\n".to_vec();
        bytes.extend_from_slice(&7f32.to_le_bytes());
        bytes.extend_from_slice(&8f32.to_le_bytes());
        let map = parse_pfm(&bytes, Path::new("d.pfm")).unwrap();
        assert_eq!(map.as_raw(), &vec![7.0, 8.0]);

        // CRLF after the scale.
        let mut bytes = b"Pf\r\n1 1\r\n-1\r\n".to_vec();
        bytes.extend_from_slice(&9f32.to_le_bytes());
        assert_eq!(
            parse_pfm(&bytes, Path::new("d.pfm")).unwrap().as_raw(),
            &vec![9.0]
        );

        // PF keeps the first channel.
        let mut bytes = b"PF\n2 1\n1\n".to_vec();
        for v in [1f32, 2., 3., 4., 5., 6.] {
            bytes.extend_from_slice(&v.to_be_bytes());
        }
        let map = parse_pfm(&bytes, Path::new("c.pfm")).unwrap();
        assert_eq!(map.as_raw(), &vec![1.0, 4.0]);
    }

    #[test]
    fn pfm_bad_inputs() {
        let n = Path::new("d.pfm");
        let row = [1.0f32; 640];
        let good = pfm(&[&row, &row, &row], true, "");
        let err = parse_pfm(&good[..good.len() - 6], n).unwrap_err();
        assert_eq!(
            err.to_string(),
            "d.pfm: truncated: header says 640×3, found 1918 of 1920 values"
        );
        let mut long = good.clone();
        long.extend_from_slice(&[0; 4]);
        assert!(matches!(
            parse_pfm(&long, n),
            Err(DepthFileError::SizeMismatch { .. })
        ));
        for header in [
            "P5\n1 1\n-1\n",
            "Pf\n1 1\n0\n",
            "Pf\n1 1\nnan\n",
            "Pf\n-1 1\n-1\n",
            "Pf\n1 x\n-1\n",
            "Pf\n1 1\n",
            "Pf\n1 1\n-1",
            "Pf",
            "",
        ] {
            let err = parse_pfm(header.as_bytes(), n).unwrap_err();
            assert!(
                matches!(err, DepthFileError::BadPfmHeader { .. }),
                "{header:?}: {err}"
            );
        }
        for header in ["Pf\n50000 50000\n-1\n", "Pf\n18446744073709551615 2\n-1\n"] {
            let err = parse_pfm(header.as_bytes(), n).unwrap_err();
            assert!(
                matches!(err, DepthFileError::TooLarge { .. }),
                "{header:?}: {err}"
            );
        }
    }

    #[test]
    fn png16_round_trip_and_dispatch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("depth.png");
        let map = FloatMap::from_raw(3, 2, vec![2.0, 3.0, 4.0, 6.0, 2.5, f32::NAN]).unwrap();
        write_depth_png16(&map, &path).unwrap();
        let back = read_depth_file(&path).unwrap();
        assert_eq!(back.dimensions(), (3, 2));
        // (v - 2) / 4 * 65535, rounded; NaN → 0.
        let expect = [0.0, 16_384.0, 32_768.0, 65_535.0, 8_192.0, 0.0];
        assert_eq!(back.as_raw(), &expect.to_vec());

        let constant = FloatMap::from_pixel(4, 4, Luma([7.0]));
        write_depth_png16(&constant, &path).unwrap();
        assert!(read_depth_file(&path)
            .unwrap()
            .as_raw()
            .iter()
            .all(|&v| v == 0.0));

        assert!(write_depth_png16(&FloatMap::new(0, 3), &path).is_err());

        // Dispatch on content: an NPY and a PFM saved under misleading names.
        let npy_path = dir.path().join("depth.png.bak");
        std::fs::write(
            &npy_path,
            npy(1, &dict("<f4", false, "(1, 1)"), &5f32.to_le_bytes()),
        )
        .unwrap();
        assert_eq!(read_depth_file(&npy_path).unwrap().as_raw(), &vec![5.0]);
        let pfm_path = dir.path().join("depth.npy");
        std::fs::write(&pfm_path, pfm(&[&[f32::NAN]], false, "")).unwrap();
        assert_eq!(
            count_non_finite(&read_depth_file(&pfm_path).unwrap()),
            (1, 0)
        );
    }

    #[test]
    fn eight_bit_and_colour_images() {
        let dir = tempfile::tempdir().unwrap();
        let gray = dir.path().join("g.png");
        image::GrayImage::from_raw(2, 1, vec![3, 250])
            .unwrap()
            .save(&gray)
            .unwrap();
        assert_eq!(read_depth_file(&gray).unwrap().as_raw(), &vec![3.0, 250.0]);

        let gray_rgb = dir.path().join("grgb.png");
        image::RgbImage::from_raw(1, 1, vec![9, 9, 9])
            .unwrap()
            .save(&gray_rgb)
            .unwrap();
        assert_eq!(read_depth_file(&gray_rgb).unwrap().as_raw(), &vec![9.0]);

        let colour = dir.path().join("viz.png");
        image::RgbImage::from_raw(1, 1, vec![255, 0, 9])
            .unwrap()
            .save(&colour)
            .unwrap();
        let err = read_depth_file(&colour).unwrap_err();
        assert!(matches!(err, DepthFileError::ColourImage { .. }), "{err}");

        let tiff = dir.path().join("d.tif");
        let img: ImageBuffer<Luma<u16>, Vec<u16>> =
            ImageBuffer::from_raw(1, 2, vec![1, 60_000]).unwrap();
        img.save(&tiff).unwrap();
        assert_eq!(
            read_depth_file(&tiff).unwrap().as_raw(),
            &vec![1.0, 60_000.0]
        );
    }

    #[test]
    fn file_level_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.npy");
        assert!(matches!(
            read_depth_file(&missing),
            Err(DepthFileError::NotFound { .. })
        ));
        let empty = dir.path().join("e.npy");
        std::fs::write(&empty, b"").unwrap();
        let err = read_depth_file(&empty).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}: empty file (0 bytes)", empty.display())
        );
        let text = dir.path().join("t.png");
        std::fs::write(&text, b"depth goes here").unwrap();
        assert!(matches!(
            read_depth_file(&text),
            Err(DepthFileError::UnknownFormat { .. })
        ));
        assert!(read_depth_file(dir.path()).is_err());
    }

    #[test]
    fn nan_and_inf_counting_and_check() {
        let map = FloatMap::from_raw(
            2,
            3,
            vec![
                f32::NAN,
                1.0,
                f32::INFINITY,
                f32::NEG_INFINITY,
                f32::NAN,
                f32::NAN,
            ],
        )
        .unwrap();
        assert_eq!(count_non_finite(&map), (3, 2));
        let err = check_finite(&map, name()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "d.npy: 3 NaN and 2 infinite values (use --depth-holes fill to treat them as holes)"
        );
        assert!(check_finite(&FloatMap::new(2, 2), name()).is_ok());
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let data: Vec<u8> = VALS.iter().flat_map(|v| v.to_le_bytes()).collect();
        let samples = [
            npy(1, &dict("<f4", true, "(2, 3)"), &data),
            npy(2, &dict(">i8", false, "(1, 2, 3)"), &[0; 48]),
            pfm(&[&[1.0, 2.0], &[3.0, 4.0]], false, ""),
            b"PF\n1 1\n-1\n\0\0\0\0\0\0\0\0\0\0\0\0".to_vec(),
        ];
        for bytes in &samples {
            for cut in 0..=bytes.len() {
                let _ = parse_depth_bytes(&bytes[..cut], name());
            }
            for i in 0..bytes.len() {
                for flip in [0x01u8, 0x80, 0xFF] {
                    let mut b = bytes.clone();
                    b[i] ^= flip;
                    let _ = parse_depth_bytes(&b, name());
                }
            }
        }
        // A simple xorshift stream of junk, including under each magic.
        let mut s = 0x2545_F491_4F6C_DD1Du64;
        for round in 0..2000 {
            let mut junk: Vec<u8> = match round % 3 {
                0 => b"\x93NUMPY".to_vec(),
                1 => b"Pf".to_vec(),
                _ => Vec::new(),
            };
            for _ in 0..(round % 97) {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                junk.push((s >> 24) as u8);
            }
            let _ = parse_depth_bytes(&junk, name());
        }
    }
}
