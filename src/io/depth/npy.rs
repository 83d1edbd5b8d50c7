//! NPY arrays (numpy's `.npy`), with a small parser for the header dictionary.

use std::path::Path;

use super::checks::{checked_pixels, make_map, DepthFileError};
use crate::map::FloatMap;

/// Longest NPY header accepted; numpy writes well under 1 KiB.
const MAX_NPY_HEADER: usize = 1 << 20;

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
