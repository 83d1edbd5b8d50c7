//! Textured glTF 2.0 binary (GLB) of the layered mesh, for standard glTF
//! viewers and our web viewer. Colour lives in the mesh's atlas (tiles of
//! pictures of the LDI's layers, so UVs follow from node pixel positions);
//! flat, fully linked regions are merged into larger quads under a triangle
//! budget; every layer is kept and no triangle spans a cut.

mod error;
mod gltf;

use crate::ldi::Ldi;
use crate::mesh::atlas::Atlas;
use crate::mesh::decimate::decimate;
use crate::mesh::{vertex_count, Mesh};
use crate::prepare::Intrinsics;
pub use error::GlbError;
use error::MAX_ATLAS_SIDE;
use gltf::{assemble, Geometry};

/// Default triangle budget: a 960 px photo gives a GLB of a few megabytes.
pub const DEFAULT_TRIANGLES: usize = 250_000;

/// An encoded GLB and what it holds.
#[derive(Debug, Clone)]
pub struct Glb {
    pub bytes: Vec<u8>,
    pub triangles: usize,
    pub vertices: usize,
    /// Atlas texture size in texels.
    pub atlas: [u32; 2],
    /// Atlas pages (layers of overlapping surfaces).
    pub pages: usize,
}

/// Builds the textured GLB of `mesh` (made by `build_mesh` from `ldi`, its
/// atlas `atlas`) with at most `max_triangles` triangles, or as few as
/// merging every fully linked block up to a tile allows when the budget
/// cannot be met.
pub fn encode_glb(
    ldi: &Ldi,
    mesh: &Mesh,
    atlas: &Atlas,
    k: &Intrinsics,
    max_triangles: usize,
) -> Result<Glb, GlbError> {
    if vertex_count(ldi) != mesh.positions.len() || atlas.layout.tiles.is_empty() {
        return Err(GlbError::Mismatch {
            mesh: mesh.positions.len(),
            ldi: ldi.node_count(),
        });
    }
    let (w, h) = atlas.size();
    if w > MAX_ATLAS_SIDE || h > MAX_ATLAS_SIDE {
        return Err(GlbError::AtlasTooLarge(w, h));
    }
    let triangles = decimate(ldi, &atlas.layout, k, max_triangles);
    if triangles.len() == 0 {
        return Err(GlbError::Empty);
    }
    let geometry = Geometry::new(ldi, k, atlas, &triangles);
    let png = atlas.png()?;
    let bytes = assemble(&geometry, &png, mesh, k, atlas.size());
    Ok(Glb {
        bytes,
        triangles: triangles.len(),
        vertices: geometry.uvs.len(),
        atlas: [w as u32, h as u32],
        pages: atlas.layout.page_count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edges::find_cuts;
    use crate::ldi::origin;
    use crate::ldi::{Ldi, DOWN, RIGHT};
    use crate::mesh::build_mesh;

    /// A one-layer LDI of `depth` whose links are cut where the depth jumps
    /// more than `threshold`, coloured by pixel.
    fn ldi_of(depth: &[f32], w: usize, h: usize, threshold: f32) -> Ldi {
        let cuts = find_cuts(depth, w, h, threshold, crate::edges::CutRule::Jump);
        let colour: Vec<[u8; 3]> = (0..w * h)
            .map(|i| [(i % w * 5) as u8, (i / w * 7) as u8, (i * 13 % 251) as u8])
            .collect();
        Ldi::from_grid(depth, &colour, &vec![origin::ORIGINAL; w * h], &cuts, 0)
    }

    /// The GLB of `mesh` (made from `ldi`) with its own atlas.
    fn encode(ldi: &Ldi, mesh: &Mesh, k: &Intrinsics, budget: usize) -> Glb {
        let atlas = Atlas::new(ldi);
        encode_glb(ldi, mesh, &atlas, k, budget).unwrap()
    }

    struct Parsed {
        positions: Vec<[f32; 3]>,
        uvs: Vec<[f32; 2]>,
        indices: Vec<u32>,
        atlas: image::RgbImage,
    }

    /// Reads back our own GLB layout.
    fn parse(bytes: &[u8]) -> Parsed {
        let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        assert_eq!(&bytes[0..4], b"glTF");
        assert_eq!(word(8), bytes.len());
        let json_len = word(12);
        let doc: serde_json::Value = serde_json::from_slice(&bytes[20..20 + json_len]).unwrap();
        let bin = &bytes[20 + json_len + 8..];
        let view = |i: usize| {
            let v = &doc["bufferViews"][i];
            let start = v["byteOffset"].as_u64().unwrap() as usize;
            &bin[start..start + v["byteLength"].as_u64().unwrap() as usize]
        };
        let floats = |i: usize| -> Vec<f32> {
            view(i)
                .chunks(4)
                .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                .collect()
        };
        Parsed {
            positions: floats(1).chunks(3).map(|c| [c[0], c[1], c[2]]).collect(),
            uvs: floats(2).chunks(2).map(|c| [c[0], c[1]]).collect(),
            indices: view(0)
                .chunks(4)
                .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
                .collect(),
            atlas: image::load_from_memory(view(3)).unwrap().to_rgb8(),
        }
    }

    /// Screen area of triangles seen from the photo's camera, in pixels.
    fn screen_area(points: impl Iterator<Item = [[f32; 3]; 3]>, k: &Intrinsics) -> f64 {
        points
            .map(|t| {
                let p = t.map(|[x, y, z]| (k.fx * x / z, k.fy * y / z));
                let cross =
                    (p[1].0 - p[0].0) * (p[2].1 - p[0].1) - (p[1].1 - p[0].1) * (p[2].0 - p[0].0);
                0.5 * (cross as f64).abs()
            })
            .sum()
    }

    fn glb_triangles(g: &Parsed) -> impl Iterator<Item = [[f32; 3]; 3]> + '_ {
        // Back from glTF's frame to the camera frame.
        g.indices.chunks(3).map(|t| {
            [0, 1, 2].map(|i| {
                let [x, y, z] = g.positions[t[i] as usize];
                [x, -y, -z]
            })
        })
    }

    #[test]
    fn flat_plane_merges_and_texture_holds_vertex_colours() {
        let (w, h) = (65, 49);
        let ldi = ldi_of(&vec![2.0; w * h], w, h, 0.04);
        let k = Intrinsics::reference((65, 49), (65, 49));
        let mesh = build_mesh(&ldi, &k, (65, 49));
        let glb = encode(&ldi, &mesh, &k, DEFAULT_TRIANGLES);
        assert!(
            glb.triangles * 50 < mesh.faces.len(),
            "{} of {} triangles left on a plane",
            glb.triangles,
            mesh.faces.len()
        );
        let g = parse(&glb.bytes);
        assert_eq!(g.indices.len(), 3 * glb.triangles);
        let colour_at: std::collections::HashMap<[u32; 3], [u8; 3]> = mesh
            .positions
            .iter()
            .zip(&mesh.colours)
            .map(|(p, &c)| ([p[0], -p[1], -p[2]].map(f32::to_bits), c))
            .collect();
        let (aw, ah) = g.atlas.dimensions();
        for (p, uv) in g.positions.iter().zip(&g.uvs) {
            let (x, y) = ((uv[0] * aw as f32) as u32, (uv[1] * ah as f32) as u32);
            assert_eq!(g.atlas.get_pixel(x, y).0, colour_at[&p.map(f32::to_bits)]);
        }
        // The border vertices sit on the photo's edges: the plane covers all of it.
        let area = screen_area(glb_triangles(&g), &k);
        assert!((area - (65.0 * 49.0)).abs() < 1e-2, "area {area}");
    }

    #[test]
    fn layers_and_cuts_survive_any_budget() {
        let (w, h) = (24, 20);
        let depth: Vec<f32> = (0..w * h)
            .map(|i| if i % w < 12 { 1.0 } else { 8.0 })
            .collect();
        let mut ldi = ldi_of(&depth, w, h, 0.04);
        // A hidden far layer behind the near half's last columns, linked to the far half.
        for y in 0..h {
            let hidden: Vec<u32> = (8..12)
                .map(|x| ldi.push_node(y * w + x, 8.0, [9, 9, 9], origin::INPAINTED))
                .collect();
            for pair in hidden.windows(2) {
                ldi.try_link(pair[0], pair[1], RIGHT);
            }
            ldi.try_link(hidden[3], (y * w + 12) as u32, RIGHT);
            if y > 0 {
                for (x, &n) in (8..12).zip(&hidden) {
                    let above = ldi.layers((y - 1) * w + x).nth(1).unwrap();
                    ldi.try_link(above, n, DOWN);
                }
            }
        }
        let k = Intrinsics::reference((24, 20), (24, 20));
        let mesh = build_mesh(&ldi, &k, (24, 20));
        let full_area = screen_area(
            mesh.faces
                .iter()
                .map(|f| f.map(|v| mesh.positions[v as usize])),
            &k,
        );
        for budget in [DEFAULT_TRIANGLES, 8] {
            let glb = encode(&ldi, &mesh, &k, budget);
            assert!(glb.pages >= 2, "hidden layer needs its own page");
            let g = parse(&glb.bytes);
            for t in glb_triangles(&g) {
                assert!(
                    t.iter().all(|p| p[2] == t[0][2]),
                    "triangle spans the cut: {t:?}"
                );
            }
            let area = screen_area(glb_triangles(&g), &k);
            assert!(
                (area - full_area).abs() < 1e-2,
                "area {area} vs {full_area}"
            );
        }
    }

    #[test]
    fn budget_forces_merging_of_curved_surfaces() {
        let (w, h) = (65, 49);
        // Uncut ripples: no cell is flat at the default tolerance.
        let depth: Vec<f32> = (0..w * h)
            .map(|i| if (i % w + i / w) % 2 == 0 { 1.0 } else { 2.6 })
            .collect();
        let ldi = ldi_of(&depth, w, h, f32::INFINITY);
        let k = Intrinsics::reference((65, 49), (65, 49));
        let mesh = build_mesh(&ldi, &k, (65, 49));
        let exact = encode(&ldi, &mesh, &k, DEFAULT_TRIANGLES);
        assert_eq!(exact.triangles, mesh.faces.len());
        let budget = 200;
        let merged = encode(&ldi, &mesh, &k, budget);
        assert!(merged.triangles <= budget, "{} triangles", merged.triangles);
        let area = screen_area(glb_triangles(&parse(&merged.bytes)), &k);
        assert!((area - 65.0 * 49.0).abs() < 1e-1, "area {area}");
    }

    #[test]
    fn a_budget_a_finite_tolerance_meets_is_not_merged_further() {
        let (w, h) = (65, 49);
        // A bowl: flat enough for blocks to grow as the tolerance does.
        let depth: Vec<f32> = (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f32 - 32.0, (i / w) as f32 - 24.0);
                0.5 + (x * x + y * y) / 160.0
            })
            .collect();
        let ldi = ldi_of(&depth, w, h, f32::INFINITY);
        let k = Intrinsics::reference((65, 49), (65, 49));
        let mesh = build_mesh(&ldi, &k, (65, 49));
        let finest = encode(&ldi, &mesh, &k, usize::MAX).triangles;
        let coarsest = encode(&ldi, &mesh, &k, 1).triangles;
        let budget = finest - 1;
        let merged = encode(&ldi, &mesh, &k, budget).triangles;
        assert!(
            coarsest < merged && merged <= budget,
            "{coarsest} < {merged} <= {budget} (finest {finest})"
        );
    }
}
