//! Reading user-supplied depth maps (NPY, PFM, OpenEXR, 16/8-bit grayscale images) into a
//! [`FloatMap`], and writing depth maps in those formats. This file picks the
//! parser by content; each format has its own file.
//!
//! Every parser here takes untrusted bytes: sizes are checked (with overflow-checked
//! arithmetic) against both the data actually present and [`MAX_DEPTH_PIXELS`] before
//! anything is allocated, and no input can make them panic.

mod checks;
mod exr;
mod gray;
mod npy;
mod pfm;
mod png16;
mod write;

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::map::FloatMap;
use checks::MAX_DEPTH_FILE_BYTES;
pub use checks::{check_finite, count_non_finite, DepthFileError, MAX_DEPTH_PIXELS};
pub use exr::{parse_exr, EXR_MAGIC};
use gray::parse_depth_image;
pub use npy::parse_npy;
pub use pfm::parse_pfm;
pub use png16::write_depth_png16;
pub use write::{write_depth_map, DepthFormat, DepthUnits};

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

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Luma};

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
