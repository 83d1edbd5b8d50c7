//! The mesh the renderer draws: the layered mesh with flat, fully linked
//! regions merged into large textured blocks (the GLB's decimation at its
//! finest tolerance) and the faces along cuts kept with their vertex colours.
//! Far fewer triangles to set up per frame; the same picture, since a block's
//! texture holds exactly the node colours its cells carried.

use crate::ldi::{Ldi, NONE};
use crate::mesh::atlas::{assign_pages, Atlas};
use crate::mesh::decimate::decimate;
use crate::mesh::{edge_offset, vertex_nodes, vertex_of_node, Mesh};
use crate::prepare::Intrinsics;
use image::RgbImage;

/// How a triangle gets its colour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Paint {
    /// Texel coordinates of its corners (texel centres at integers). Every
    /// texel in their hull, rounded inwards to whole texels, is a node of the
    /// triangle's own surface; corners on a surface's border lie half a texel
    /// out, where the surface's last texel is held.
    Texture([[f32; 2]; 3]),
    /// Colours of its corners, interpolated across it.
    Colours([[u8; 3]; 3]),
}

/// Triangles in the camera frame (+X right, +Y down, +Z forward), each with its paint.
#[derive(Debug, Clone)]
pub struct RenderMesh {
    pub positions: Vec<[f32; 3]>,
    pub faces: Vec<[u32; 3]>,
    /// Per face.
    pub paint: Vec<Paint>,
    pub texture: RgbImage,
}

impl RenderMesh {
    /// Every face of `mesh` as it is, with its vertex colours.
    pub fn coloured(mesh: &Mesh) -> RenderMesh {
        RenderMesh {
            positions: mesh.positions.clone(),
            faces: mesh.faces.clone(),
            paint: mesh
                .faces
                .iter()
                .map(|f| Paint::Colours(f.map(|v| mesh.colours[v as usize])))
                .collect(),
            texture: RgbImage::new(0, 0),
        }
    }

    /// The decimated mesh of `mesh` (made by `build_mesh` from `ldi`): merged
    /// blocks textured from the layers' atlas (of any size: the WebGL limit on
    /// the GLB's atlas does not apply), faces along cuts coloured as in `mesh`.
    /// A mesh that `ldi` did not make is drawn undecimated.
    pub fn decimated(ldi: &Ldi, mesh: &Mesh, k: &Intrinsics) -> RenderMesh {
        let order = vertex_nodes(ldi);
        if order.len() != mesh.positions.len() {
            return RenderMesh::coloured(mesh);
        }
        let layout = assign_pages(ldi, mesh, &order);
        let mut atlas = Atlas::pack(ldi, &layout);
        atlas.paint(ldi, &layout, false);
        // No triangle budget: the finest tolerance only.
        let triangles = decimate(ldi, &layout, k, usize::MAX);
        let vertex_of_node = vertex_of_node(ldi, &order);
        let mut positions = Vec::new();
        // Render vertex of each mesh vertex, made when first used.
        let mut used = vec![NONE; mesh.positions.len()];
        let mut vertex = |node: u32| {
            let v = vertex_of_node[node as usize] as usize;
            if used[v] == NONE {
                used[v] = positions.len() as u32;
                positions.push(mesh.positions[v]);
            }
            used[v]
        };
        let mut faces = Vec::with_capacity(triangles.len());
        let mut paint = Vec::with_capacity(triangles.len());
        let lone = triangles.lone.iter().map(|t| (t, false));
        for (t, is_block) in lone.chain(triangles.blocks.iter().map(|t| (t, true))) {
            let nodes = t.map(|(page, pixel)| layout.pages[page as usize][pixel as usize]);
            faces.push(nodes.map(&mut vertex));
            paint.push(if is_block {
                // Where a corner's vertex moved to its pixel's border, so does
                // its texture coordinate: the texture follows the geometry.
                Paint::Texture([0, 1, 2].map(|i| {
                    let [u, v] = atlas.texel(t[i], ldi.width);
                    let [dx, dy] = edge_offset(&ldi.links[nodes[i] as usize]);
                    [u + dx, v + dy]
                }))
            } else {
                Paint::Colours(nodes.map(|n| ldi.colour[n as usize]))
            });
        }
        RenderMesh {
            positions,
            faces,
            paint,
            texture: atlas.image,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edges::{find_cuts, CutRule};
    use crate::ldi::origin;
    use crate::mesh::build_mesh;
    use crate::render::raster::render_over;
    use crate::render::Camera;

    /// A 48×40 scene: a tilted far plane with a near square in front, both
    /// in smooth colour ramps.
    fn scene() -> (Ldi, Mesh, Intrinsics) {
        let (w, h) = (48, 40);
        let depth: Vec<f32> = (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                if (14..30).contains(&x) && (12..26).contains(&y) {
                    2.0
                } else {
                    6.0 + 0.02 * y as f32
                }
            })
            .collect();
        let colour: Vec<[u8; 3]> = (0..w * h)
            .map(|i| [(i % w * 5) as u8, (i / w * 6) as u8, 90])
            .collect();
        let cuts = find_cuts(&depth, w, h, 0.04, CutRule::Jump);
        let ldi = Ldi::from_grid(&depth, &colour, &vec![origin::ORIGINAL; w * h], &cuts, 0);
        let k = Intrinsics::reference((48, 40), (48, 40));
        let mesh = build_mesh(&ldi, &k, (48, 40));
        (ldi, mesh, k)
    }

    #[test]
    fn decimated_mesh_draws_the_picture_of_the_full_one_with_fewer_triangles() {
        let (ldi, mesh, k) = scene();
        let full = RenderMesh::coloured(&mesh);
        let decimated = RenderMesh::decimated(&ldi, &mesh, &k);
        assert!(
            decimated.faces.len() * 4 < full.faces.len(),
            "{} of {} faces",
            decimated.faces.len(),
            full.faces.len()
        );
        assert!(decimated
            .paint
            .iter()
            .any(|p| matches!(p, Paint::Texture(_))));
        let camera = Camera::original(&k, 48, 40);
        for pose in [[0.0; 3], [0.04, -0.02, 0.0], [0.0, 0.0, 0.05]] {
            let view = camera.posed(pose, 1.0);
            let a = render_over(&full, &view, 2, [0; 3]);
            let b = render_over(&decimated, &view, 2, [0; 3]);
            let worst = a
                .pixels()
                .zip(b.pixels())
                .flat_map(|(p, q)| (0..3).map(move |c| p.0[c].abs_diff(q.0[c])))
                .max()
                .unwrap();
            // Ramps of 5 and 6 levels per pixel: a pixel's colour may differ by
            // less than one step (bilinear against two-triangle interpolation).
            assert!(worst <= 4, "{pose:?}: largest difference {worst}");
        }
    }

    #[test]
    fn unmoved_camera_reproduces_the_photo() {
        let (ldi, mesh, k) = scene();
        let decimated = RenderMesh::decimated(&ldi, &mesh, &k);
        let img = render_over(&decimated, &Camera::original(&k, 48, 40), 2, [0; 3]);
        // Pixels beside a cut or the frame end on a vertex moved to their
        // border (`edge_offset`), as in the full mesh; all others are the photo's.
        let away = |v: u32, lo: u32, hi: u32| v + 2 < lo || v > hi + 1;
        let mut checked = 0;
        for (x, y, p) in img.enumerate_pixels() {
            let inner = (2..46).contains(&x) && (2..38).contains(&y);
            if inner && (away(x, 14, 29) || away(y, 12, 25)) {
                assert_eq!(p.0, ldi.colour[(y * 48 + x) as usize], "pixel {x},{y}");
                checked += 1;
            }
        }
        assert!(checked > 1000, "{checked}");
    }
}
