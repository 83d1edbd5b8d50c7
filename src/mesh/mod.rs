//! Triangle mesh of an LDI: one vertex per node, triangles over linked quads.

pub mod atlas;
pub(crate) mod decimate;
pub mod glb;
pub mod ply;

use crate::ldi::{Ldi, DOWN, LEFT, NONE, RIGHT, UP};
use crate::prepare::Intrinsics;
use rayon::prelude::*;

/// A vertex-coloured triangle mesh in the camera frame (+X right, +Y down, +Z forward).
#[derive(Debug, Clone, Default)]
pub struct Mesh {
    pub positions: Vec<[f32; 3]>,
    pub colours: Vec<[u8; 3]>,
    /// Node origin per vertex (the reference's PLY alpha label).
    pub labels: Vec<u8>,
    pub faces: Vec<[u32; 3]>,
    /// Working image size without the extrapolated frame.
    pub width: u32,
    pub height: u32,
    pub hfov: f32,
    pub vfov: f32,
}

/// Back-projects every node with its depth; vertices are ordered by pixel,
/// then layer, as the reference writes them; faces by node.
pub fn build_mesh(ldi: &Ldi, k: &Intrinsics, image_size: (u32, u32)) -> Mesh {
    let order = vertex_nodes(ldi);
    let vertex_of = vertex_of_node(ldi, &order);
    let positions = (order.par_iter())
        .map(|&node| node_position(ldi, k, node as usize))
        .collect();
    Mesh {
        positions,
        colours: order.par_iter().map(|&n| ldi.colour[n as usize]).collect(),
        labels: order.par_iter().map(|&n| ldi.origin[n as usize]).collect(),
        faces: faces(ldi, &vertex_of),
        width: image_size.0,
        height: image_size.1,
        hfov: k.hfov,
        vfov: k.vfov,
    }
}

/// Where `node` lies in the camera frame: its pixel's centre, moved by
/// [`edge_offset`], back-projected with its depth (the mesh's vertex of it).
pub(crate) fn node_position(ldi: &Ldi, k: &Intrinsics, node: usize) -> [f32; 3] {
    let frame = ldi.frame as f32;
    let (x, y) = ldi.position(node);
    let z = ldi.depth[node];
    let [dx, dy] = edge_offset(&ldi.links[node]);
    let c = x as f32 - frame + 0.5 + dx;
    let r = y as f32 - frame + 0.5 + dy;
    [z * (c - k.cx) / k.fx, z * (r - k.cy) / k.fy, z]
}

/// The triangles of every node's quads in node order, as vertex indices;
/// made in parallel runs of nodes written straight into their place. Each
/// node's corner triangles are decided once ([`quad_mask`]); the masks size
/// the runs and then say which triangles to write.
fn faces(ldi: &Ldi, vertex_of: &[u32]) -> Vec<[u32; 3]> {
    const RUN: usize = 1 << 14;
    let masks: Vec<u8> = (0..ldi.node_count())
        .into_par_iter()
        .map(|v| quad_mask(ldi, v))
        .collect();
    let counts: Vec<usize> = (masks.par_chunks(RUN))
        .map(|run| run.iter().map(|m| m.count_ones() as usize).sum())
        .collect();
    let mut faces = vec![[0u32; 3]; counts.iter().sum()];
    let mut slices = Vec::with_capacity(counts.len());
    let mut rest = faces.as_mut_slice();
    for &count in &counts {
        let (head, tail) = rest.split_at_mut(count);
        slices.push(head);
        rest = tail;
    }
    (slices
        .into_par_iter()
        .zip(masks.par_chunks(RUN))
        .enumerate())
    .for_each(|(run, (out, run_masks))| {
        let first = run * RUN;
        let triangles = (run_masks.iter().enumerate())
            .flat_map(|(k, &mask)| quad_triangles(ldi, first + k, mask));
        for (slot, t) in out.iter_mut().zip(triangles) {
            *slot = t.map(|v| vertex_of[v as usize]);
        }
    });
    faces
}

/// Where a node sits inside its pixel: at the centre, or half a pixel out
/// towards a side where its surface ends (a cut or the frame) while it goes
/// on across the other side. So a surface covers its edge pixels whole, as the
/// photo does, instead of stopping at their centres: two layers on either side
/// of a cut meet at the pixel border with no gap, and a near object keeps its
/// full width in a new view.
pub(crate) fn edge_offset(links: &[u32; 4]) -> [f32; 2] {
    let side = |minus: usize, plus: usize| match (links[minus] == NONE, links[plus] == NONE) {
        (true, false) => -0.5,
        (false, true) => 0.5,
        _ => 0.0,
    };
    [side(LEFT, RIGHT), side(UP, DOWN)]
}

/// The LDI node of each mesh vertex: pixels in order, visible layer first
/// (the reference's vertex order, which `build_mesh` follows).
pub fn vertex_nodes(ldi: &Ldi) -> Vec<u32> {
    (0..ldi.width * ldi.height)
        .into_par_iter()
        .flat_map_iter(|pixel| ldi.layers(pixel))
        .collect()
}

/// How many vertices [`vertex_nodes`] lists, without listing them.
pub(crate) fn vertex_count(ldi: &Ldi) -> usize {
    (0..ldi.width * ldi.height)
        .into_par_iter()
        .map(|pixel| ldi.layers(pixel).count())
        .sum()
}

/// Per LDI node, its index in `order` (see [`vertex_nodes`]); NONE for a
/// node with no vertex. One pass in order: most writes land in turn, since
/// the photo's own nodes come first and in pixel order.
fn vertex_of_node(ldi: &Ldi, order: &[u32]) -> Vec<u32> {
    let mut vertex_of = vec![NONE; ldi.node_count()];
    for (vertex, &node) in order.iter().enumerate() {
        vertex_of[node as usize] = vertex as u32;
    }
    vertex_of
}

/// Corner triangles of the quads around `node` (the four corners of
/// [`QUAD_CORNERS`], bit k for corner k): every corner whose two links exist
/// gives one, except that a fully linked quad gives only its top-left and
/// bottom-right ones. So no triangle spans a cut and partial quads keep their
/// linked corners.
fn quad_mask(ldi: &Ldi, node: usize) -> u8 {
    let l = &ldi.links[node];
    let (mut mask, mut bit) = (0, 1);
    for (a, b, closing) in QUAD_CORNERS {
        let linked = l[a] != NONE && l[b] != NONE;
        if linked && !closing.is_some_and(|dirs| closes(ldi, node, dirs)) {
            mask |= bit;
        }
        bit <<= 1;
    }
    mask
}

/// Per quad corner: its two links (the triangle joins the node and the nodes
/// they lead to, in this order, so that all wind the same way on screen), and
/// for the two corners that split a quad the other way, the walk that finds
/// the quad fully linked.
const QUAD_CORNERS: [(usize, usize, Option<[usize; 4]>); 4] = [
    (DOWN, RIGHT, None),
    (UP, LEFT, None),
    (LEFT, DOWN, Some([DOWN, LEFT, UP, RIGHT])),
    (RIGHT, UP, Some([UP, RIGHT, DOWN, LEFT])),
];

/// The triangles of `node`'s corners in `mask` (see [`quad_mask`]), all
/// wound the same way on screen.
fn quad_triangles(ldi: &Ldi, node: usize, mask: u8) -> impl Iterator<Item = [u32; 3]> + '_ {
    let l = &ldi.links[node];
    (QUAD_CORNERS.iter().enumerate())
        .filter(move |&(k, _)| mask & (1 << k) != 0)
        .map(move |(_, &(a, b, _))| [node as u32, l[a], l[b]])
}

/// The triangles `build_mesh` makes of `node`'s quads, as node triples.
pub(crate) fn node_triangles(ldi: &Ldi, node: usize) -> impl Iterator<Item = [u32; 3]> + '_ {
    quad_triangles(ldi, node, quad_mask(ldi, node))
}

/// Whether following links in the four directions leads back to `node`.
fn closes(ldi: &Ldi, node: usize, dirs: [usize; 4]) -> bool {
    let mut at = node as u32;
    for dir in dirs {
        at = ldi.links[at as usize][dir];
        if at == NONE {
            return false;
        }
    }
    at as usize == node
}

impl Mesh {
    /// Number of vertices synthesized by inpainting or extrapolation.
    pub fn added_vertices(&self) -> usize {
        self.labels
            .iter()
            .filter(|&&l| l != crate::ldi::origin::ORIGINAL)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edges::find_cuts;
    use crate::ldi::origin;

    fn ldi_of(depth: &[f32], w: usize, h: usize) -> Ldi {
        let cuts = find_cuts(depth, w, h, 0.04, crate::edges::CutRule::Jump);
        Ldi::from_grid(
            depth,
            &vec![[0; 3]; w * h],
            &vec![origin::ORIGINAL; w * h],
            &cuts,
            0,
        )
    }

    #[test]
    fn flat_grid_gives_two_triangles_per_quad() {
        let (w, h) = (5, 4);
        let ldi = ldi_of(&vec![2.0; w * h], w, h);
        let k = Intrinsics::reference((5, 4), (5, 4));
        let mesh = build_mesh(&ldi, &k, (5, 4));
        assert_eq!(mesh.positions.len(), 20);
        assert_eq!(mesh.faces.len(), 2 * (w - 1) * (h - 1));
        // Pixel (cx - 0.5, cy - 0.5) back-projects onto the optical axis.
        let centre = mesh.positions[(k.cy as usize - 1) * w + k.cx as usize - 1];
        assert!((centre[0] + 0.5 * 2.0 / k.fx).abs() < 1e-6);
        assert_eq!(centre[2], 2.0);
    }

    #[test]
    fn each_node_knows_its_vertex_in_pixel_then_layer_order() {
        let (w, h) = (4, 3);
        let mut ldi = ldi_of(&vec![2.0; w * h], w, h);
        // Hidden layers pushed out of pixel order, two at pixel 5.
        for pixel in [9, 5, 2, 5] {
            ldi.push_node(pixel, 3.0, [0; 3], origin::INPAINTED);
        }
        let order = vertex_nodes(&ldi);
        assert_eq!(order.len(), w * h + 4);
        assert_eq!(vertex_count(&ldi), order.len());
        assert_eq!(&order[2..4], [2, 14]);
        assert_eq!(&order[6..9], [5, 13, 15]);
        assert_eq!(&order[12..14], [9, 12]);
        let vertex_of = vertex_of_node(&ldi, &order);
        for (v, &n) in order.iter().enumerate() {
            assert_eq!(vertex_of[n as usize], v as u32);
        }
    }

    #[test]
    fn no_triangle_spans_a_cut() {
        let (w, h) = (6, 5);
        let depth: Vec<f32> = (0..w * h)
            .map(|i| if i % w < 3 { 1.0 } else { 8.0 })
            .collect();
        let ldi = ldi_of(&depth, w, h);
        let mesh = build_mesh(&ldi, &Intrinsics::reference((6, 5), (6, 5)), (6, 5));
        assert_eq!(mesh.faces.len(), 2 * 2 * (h - 1) + 2 * 2 * (h - 1));
        for f in &mesh.faces {
            let z: Vec<f32> = f.iter().map(|&v| mesh.positions[v as usize][2]).collect();
            assert!(
                z.iter().all(|&d| d == z[0]),
                "triangle spans the jump: {z:?}"
            );
        }
    }

    #[test]
    fn layers_meet_at_the_pixel_border_of_a_cut() {
        let (w, h) = (6, 3);
        let depth: Vec<f32> = (0..w * h)
            .map(|i| if i % w < 3 { 1.0 } else { 8.0 })
            .collect();
        let ldi = ldi_of(&depth, w, h);
        let k = Intrinsics::reference((6, 3), (6, 3));
        let mesh = build_mesh(&ldi, &k, (6, 3));
        // Back to the image column each vertex projects to.
        let column = |v: usize| {
            let p = mesh.positions[v];
            p[0] / p[2] * k.fx + k.cx
        };
        let row: Vec<f32> = (w..2 * w).map(column).collect();
        let expected = [0.0, 1.5, 3.0, 3.0, 4.5, 6.0];
        for (got, want) in row.iter().zip(expected) {
            assert!((got - want).abs() < 1e-4, "{row:?}");
        }
    }
}
