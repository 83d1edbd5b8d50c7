//! PLY mesh files in the reference's layout (header comments H, W, hFov, vFov;
//! vertices x y z red green blue alpha; triangle faces), binary or ASCII.

use super::Mesh;
use std::io::{self, BufRead, Write};

/// Writes `mesh` as PLY; binary little-endian unless `ascii`.
pub fn write_ply(mesh: &Mesh, out: &mut impl Write, ascii: bool) -> io::Result<()> {
    let format = if ascii {
        "ascii"
    } else {
        "binary_little_endian"
    };
    write!(
        out,
        "ply\nformat {format} 1.0\ncomment H {}\ncomment W {}\ncomment hFov {}\ncomment vFov {}\n\
         element vertex {}\nproperty float x\nproperty float y\nproperty float z\n\
         property uchar red\nproperty uchar green\nproperty uchar blue\nproperty uchar alpha\n\
         element face {}\nproperty list uchar int vertex_index\nend_header\n",
        mesh.height,
        mesh.width,
        mesh.hfov,
        mesh.vfov,
        mesh.positions.len(),
        mesh.faces.len()
    )?;
    let vertices = mesh.positions.iter().zip(&mesh.colours).zip(&mesh.labels);
    if ascii {
        for ((p, c), a) in vertices {
            writeln!(
                out,
                "{} {} {} {} {} {} {}",
                p[0], p[1], p[2], c[0], c[1], c[2], a
            )?;
        }
        for f in &mesh.faces {
            writeln!(out, "3 {} {} {}", f[0], f[1], f[2])?;
        }
    } else {
        let mut record = [0u8; 16];
        for ((p, c), a) in vertices {
            for (k, v) in p.iter().enumerate() {
                record[4 * k..4 * k + 4].copy_from_slice(&v.to_le_bytes());
            }
            record[12..15].copy_from_slice(c);
            record[15] = *a;
            out.write_all(&record)?;
        }
        let mut face = [0u8; 13];
        face[0] = 3;
        for f in &mesh.faces {
            for (k, v) in f.iter().enumerate() {
                face[1 + 4 * k..5 + 4 * k].copy_from_slice(&v.to_le_bytes());
            }
            out.write_all(&face)?;
        }
    }
    Ok(())
}

/// Why a PLY could not be read: one line without the file name.
#[derive(Debug, thiserror::Error)]
pub enum PlyError {
    /// The header or body is not what this layout writes, or is damaged.
    #[error("{0}")]
    Invalid(String),
}

/// Reads a PLY written in this layout (by us or by the reference).
pub fn read_ply(input: &mut impl BufRead) -> Result<Mesh, PlyError> {
    parse_ply(input).map_err(PlyError::Invalid)
}

/// `read_ply` with the reason as text.
fn parse_ply(input: &mut impl BufRead) -> Result<Mesh, String> {
    let mut mesh = Mesh::default();
    let mut binary = false;
    let (mut vertices, mut faces) = (0usize, 0usize);
    let mut line = String::new();
    let mut first = true;
    loop {
        line.clear();
        if input.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            return Err("header ends before end_header".into());
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if first {
            if words != ["ply"] {
                return Err("not a PLY file".into());
            }
            first = false;
            continue;
        }
        match words.as_slice() {
            ["format", "ascii", _] => binary = false,
            ["format", "binary_little_endian", _] => binary = true,
            ["format", other, _] => return Err(format!("unsupported PLY format {other}")),
            ["comment", "H", v] => mesh.height = parse(v)?,
            ["comment", "W", v] => mesh.width = parse(v)?,
            ["comment", "hFov", v] => mesh.hfov = parse(v)?,
            ["comment", "vFov", v] => mesh.vfov = parse(v)?,
            ["element", "vertex", n] => vertices = parse(n)?,
            ["element", "face", n] => faces = parse(n)?,
            ["end_header"] => break,
            _ => {}
        }
    }
    const LIMIT: usize = 1 << 28;
    if vertices > LIMIT || faces > LIMIT {
        return Err(format!(
            "{vertices} vertices and {faces} faces are over the size limit"
        ));
    }
    if binary {
        read_binary_body(input, &mut mesh, vertices, faces)?;
    } else {
        read_ascii_body(input, &mut mesh, vertices, faces)?;
    }
    Ok(mesh)
}

fn parse<T: std::str::FromStr>(word: &str) -> Result<T, String> {
    word.parse()
        .map_err(|_| format!("bad number '{word}' in PLY"))
}

fn read_binary_body(
    input: &mut impl BufRead,
    mesh: &mut Mesh,
    vertices: usize,
    faces: usize,
) -> Result<(), String> {
    let truncated = |_| "PLY data is truncated".to_string();
    let mut record = [0u8; 16];
    for _ in 0..vertices {
        input.read_exact(&mut record).map_err(truncated)?;
        let f = |k: usize| {
            f32::from_le_bytes([
                record[4 * k],
                record[4 * k + 1],
                record[4 * k + 2],
                record[4 * k + 3],
            ])
        };
        mesh.positions.push([f(0), f(1), f(2)]);
        mesh.colours.push([record[12], record[13], record[14]]);
        mesh.labels.push(record[15]);
    }
    let mut face = [0u8; 13];
    for _ in 0..faces {
        input.read_exact(&mut face).map_err(truncated)?;
        if face[0] != 3 {
            return Err(format!(
                "face with {} corners; only triangles are supported",
                face[0]
            ));
        }
        let v = |k: usize| {
            u32::from_le_bytes([
                face[1 + 4 * k],
                face[2 + 4 * k],
                face[3 + 4 * k],
                face[4 + 4 * k],
            ])
        };
        mesh.faces.push(check_face([v(0), v(1), v(2)], vertices)?);
    }
    Ok(())
}

fn read_ascii_body(
    input: &mut impl BufRead,
    mesh: &mut Mesh,
    vertices: usize,
    faces: usize,
) -> Result<(), String> {
    let mut line = String::new();
    let mut next_line = |line: &mut String| -> Result<(), String> {
        line.clear();
        match input.read_line(line) {
            Ok(0) => Err("PLY data is truncated".into()),
            Ok(_) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    };
    for _ in 0..vertices {
        next_line(&mut line)?;
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() < 7 {
            return Err("vertex line with fewer than 7 values".into());
        }
        mesh.positions
            .push([parse(w[0])?, parse(w[1])?, parse(w[2])?]);
        mesh.colours
            .push([parse(w[3])?, parse(w[4])?, parse(w[5])?]);
        mesh.labels.push(parse(w[6])?);
    }
    for _ in 0..faces {
        next_line(&mut line)?;
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() != 4 || w[0] != "3" {
            return Err("face line is not a triangle".into());
        }
        mesh.faces.push(check_face(
            [parse(w[1])?, parse(w[2])?, parse(w[3])?],
            vertices,
        )?);
    }
    Ok(())
}

fn check_face(face: [u32; 3], vertices: usize) -> Result<[u32; 3], String> {
    if face.iter().any(|&v| v as usize >= vertices) {
        return Err(format!("face {face:?} refers past the {vertices} vertices"));
    }
    Ok(face)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Mesh {
        Mesh {
            positions: vec![[0.0, 0.0, 1.0], [1.0, 0.0, 1.5], [0.0, -1.0, 2.0]],
            colours: vec![[1, 2, 3], [4, 5, 6], [7, 8, 9]],
            labels: vec![1, 2, 5],
            faces: vec![[0, 1, 2]],
            width: 3,
            height: 2,
            hfov: 0.9,
            vfov: 0.6,
        }
    }

    #[test]
    fn binary_and_ascii_round_trip() {
        for ascii in [false, true] {
            let mut bytes = Vec::new();
            write_ply(&sample(), &mut bytes, ascii).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(text.contains("comment H 2\ncomment W 3\ncomment hFov 0.9\n"));
            let back = read_ply(&mut &bytes[..]).unwrap();
            assert_eq!(back.positions, sample().positions);
            assert_eq!(back.colours, sample().colours);
            assert_eq!(back.labels, sample().labels);
            assert_eq!(back.faces, sample().faces);
            assert_eq!((back.width, back.height), (3, 2));
        }
    }

    #[test]
    fn truncated_and_bad_faces_are_errors() {
        let mut bytes = Vec::new();
        write_ply(&sample(), &mut bytes, false).unwrap();
        assert!(read_ply(&mut &bytes[..bytes.len() - 2])
            .unwrap_err()
            .to_string()
            .contains("truncated"));
        let mut bad = sample();
        bad.faces = vec![[0, 1, 7]];
        let mut bytes = Vec::new();
        write_ply(&bad, &mut bytes, true).unwrap();
        assert!(read_ply(&mut &bytes[..])
            .unwrap_err()
            .to_string()
            .contains("refers past"));
        assert!(read_ply(&mut &b"plx\n"[..]).is_err());
    }
}
