//! Textured glTF 2.0 binary (GLB) of the layered mesh, for standard glTF
//! viewers and our web viewer. Colour lives in an atlas texture whose pages are
//! canvas-sized pictures of the LDI's layers, so UVs follow from node pixel
//! positions; flat, fully linked regions are merged into larger quads under a
//! triangle budget; every layer is kept and no triangle spans a cut.

use super::{vertex_nodes, Mesh};
use crate::grid::{grid_neighbours, propagate_mean};
use crate::ldi::{Ldi, DOWN, LEFT, NONE, RIGHT, UP};
use crate::prepare::Intrinsics;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};
use serde_json::json;

/// Default triangle budget: a 960 px photo gives a GLB of a few megabytes.
pub const DEFAULT_TRIANGLES: usize = 250_000;
/// Camera shift (scene units) at which merged surfaces are held to `PIXEL_ERROR`;
/// the largest shift of the reference's paths and of the web viewer.
pub const MAX_SHIFT: f32 = 0.05;
/// On-screen deviation (pixels) a merge may cause at `MAX_SHIFT` while the
/// budget allows; the tolerance doubles until the budget is met.
const PIXEL_ERROR: f32 = 0.25;
/// Largest merged block side, in cells.
const MAX_BLOCK: usize = 32;
/// Texels of colour padding around each page's content, against bilinear bleeding.
const PADDING: usize = 2;
/// Tolerance doublings tried before merging regardless of flatness.
const MAX_DOUBLINGS: usize = 16;
/// Largest atlas side most WebGL implementations accept.
const MAX_ATLAS_SIDE: usize = 8192;

/// Why a GLB could not be made.
#[derive(Debug, thiserror::Error)]
pub enum GlbError {
    #[error("mesh has {mesh} vertices but the layered depth image has {ldi} nodes")]
    Mismatch { mesh: usize, ldi: usize },
    #[error("mesh has no triangles")]
    Empty,
    #[error("texture atlas of {0}×{1} texels exceeds {MAX_ATLAS_SIDE} per side")]
    AtlasTooLarge(usize, usize),
    #[error("cannot encode the texture atlas: {0}")]
    Texture(#[from] image::ImageError),
}

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

/// Builds the textured GLB of `mesh` (made by `build_mesh` from `ldi`) with at
/// most `max_triangles` triangles, or as few as merging every fully linked
/// block up to `MAX_BLOCK` allows when the budget cannot be met.
pub fn encode_glb(
    ldi: &Ldi,
    mesh: &Mesh,
    k: &Intrinsics,
    max_triangles: usize,
) -> Result<Glb, GlbError> {
    let order = vertex_nodes(ldi);
    if order.len() != mesh.positions.len() {
        return Err(GlbError::Mismatch {
            mesh: mesh.positions.len(),
            ldi: ldi.node_count(),
        });
    }
    let layout = assign_pages(ldi, mesh, &order);
    let triangles = decimate(ldi, &layout, k, max_triangles);
    if triangles.is_empty() {
        return Err(GlbError::Empty);
    }
    let mut vertex_of_node = vec![NONE; ldi.node_count()];
    for (v, &n) in order.iter().enumerate() {
        vertex_of_node[n as usize] = v as u32;
    }
    let atlas = Atlas::pack(ldi, &layout)?;
    let geometry = Geometry::new(ldi, mesh, &layout, &vertex_of_node, &atlas, &triangles);
    let png = atlas.png()?;
    let bytes = assemble(&geometry, &png, mesh, k, atlas.size);
    Ok(Glb {
        bytes,
        triangles: triangles.len(),
        vertices: geometry.uvs.len(),
        atlas: [atlas.size.0 as u32, atlas.size.1 as u32],
        pages: layout.pages.len(),
    })
}

/// A triangle corner: (page, canvas pixel); the page's texel there names the node.
type Corner = (u32, u32);

/// Units of the mesh placed on atlas pages.
struct Layout {
    /// Per page, the node whose colour each canvas pixel holds, or NONE.
    pages: Vec<Vec<u32>>,
    /// Fully linked cells as (page, top-left pixel).
    cells: Vec<(u32, u32)>,
    /// The remaining mesh faces, as corners.
    triangles: Vec<[Corner; 3]>,
}

/// Places every fully linked cell and every other mesh face on the first page
/// where its nodes' pixels are free or already theirs, so each page holds at
/// most one node per pixel and a unit's corners share one page.
fn assign_pages(ldi: &Ldi, mesh: &Mesh, order: &[u32]) -> Layout {
    let mut layout = Layout {
        pages: Vec::new(),
        cells: Vec::new(),
        triangles: Vec::new(),
    };
    for v in 0..ldi.node_count() {
        if let Some(corners) = full_cell(ldi, v) {
            let page = place(&mut layout.pages, ldi, &corners);
            layout.cells.push((page, ldi.pixel[v]));
        }
    }
    for face in &mesh.faces {
        let nodes = face.map(|v| order[v as usize]);
        if !in_full_cell(ldi, nodes) {
            let page = place(&mut layout.pages, ldi, &nodes);
            layout
                .triangles
                .push(nodes.map(|n| (page, ldi.pixel[n as usize])));
        }
    }
    layout
}

/// Corners [top-left, top-right, bottom-left, bottom-right] of the cell whose
/// top-left node is `v`, if all four of its sides are linked.
fn full_cell(ldi: &Ldi, v: usize) -> Option<[u32; 4]> {
    let (r, d) = (ldi.links[v][RIGHT], ldi.links[v][DOWN]);
    if r == NONE || d == NONE {
        return None;
    }
    let q = ldi.links[r as usize][DOWN];
    (q != NONE && ldi.links[d as usize][RIGHT] == q).then_some([v as u32, r, d, q])
}

/// Whether a mesh face is one of the two triangles `build_mesh` makes of a
/// fully linked cell (top-left [v, down, right] or bottom-right [q, up, left]).
fn in_full_cell(ldi: &Ldi, [a, b, c]: [u32; 3]) -> bool {
    let l = &ldi.links[a as usize];
    if l[DOWN] == b && l[RIGHT] == c {
        return full_cell(ldi, a as usize).is_some();
    }
    if l[UP] == b && l[LEFT] == c {
        let v = ldi.links[b as usize][LEFT];
        return v != NONE && ldi.links[c as usize][UP] == v;
    }
    false
}

/// Claims the nodes' pixels on the first page that can hold them all; returns its index.
fn place(pages: &mut Vec<Vec<u32>>, ldi: &Ldi, nodes: &[u32]) -> u32 {
    let fits = |page: &[u32]| {
        nodes.iter().all(|&n| {
            let t = page[ldi.pixel[n as usize] as usize];
            t == NONE || t == n
        })
    };
    let index = match pages.iter().position(|p| fits(p)) {
        Some(i) => i,
        None => {
            pages.push(vec![NONE; ldi.width * ldi.height]);
            pages.len() - 1
        }
    };
    for &n in nodes {
        pages[index][ldi.pixel[n as usize] as usize] = n;
    }
    index as u32
}

/// Merges flat regions until the triangle count fits `max_triangles` (or no
/// more merging is possible) and returns the triangles.
fn decimate(ldi: &Ldi, layout: &Layout, k: &Intrinsics, max_triangles: usize) -> Vec<[Corner; 3]> {
    // Inverse depth error that moves a point by PIXEL_ERROR at the largest shift.
    let mut tol = PIXEL_ERROR / (k.fx.max(k.fy) * MAX_SHIFT);
    let mut doublings = 0;
    loop {
        let triangles = triangulate(ldi, layout, tol);
        if triangles.len() <= max_triangles || tol.is_infinite() {
            return triangles;
        }
        doublings += 1;
        tol = if doublings >= MAX_DOUBLINGS {
            f32::INFINITY
        } else {
            tol * 2.0
        };
    }
}

/// All triangles with cells merged into quadtree blocks where inverse depth
/// departs from the block's two-triangle surface by at most `tol`.
fn triangulate(ldi: &Ldi, layout: &Layout, tol: f32) -> Vec<[Corner; 3]> {
    let (w, h) = (ldi.width, ldi.height);
    let mut out = Vec::new();
    for (p, page) in layout.pages.iter().enumerate() {
        let mut leaf = vec![0u8; w * h];
        for &(_, pixel) in layout.cells.iter().filter(|c| c.0 == p as u32) {
            leaf[pixel as usize] = 1;
        }
        merge_blocks(ldi, page, &mut leaf, w, h, tol);
        let mut used = vec![false; w * h];
        let leaves: Vec<(usize, usize)> = (0..w * h)
            .filter(|&i| leaf[i] > 0)
            .map(|i| (i, leaf[i] as usize))
            .collect();
        for &(i, s) in &leaves {
            for (dx, dy) in [(0, 0), (s, 0), (0, s), (s, s)] {
                used[i + dy * w + dx] = true;
            }
        }
        let lone = layout.triangles.iter().filter(|t| t[0].0 == p as u32);
        for t in lone.clone() {
            for &(_, pixel) in t {
                used[pixel as usize] = true;
            }
        }
        out.extend(lone.copied());
        for (i, s) in leaves {
            block_triangles(p as u32, i, s, w, &used, &mut out);
        }
    }
    out
}

/// Grows quadtree leaves (side per top-left pixel, 0 where none) of one page
/// by joining four equal flat neighbours, up to `MAX_BLOCK`.
fn merge_blocks(ldi: &Ldi, page: &[u32], leaf: &mut [u8], w: usize, h: usize, tol: f32) {
    let mut s = 2;
    while s <= MAX_BLOCK {
        let half = s / 2;
        for by in (0..h.saturating_sub(s)).step_by(s) {
            for bx in (0..w.saturating_sub(s)).step_by(s) {
                let i = by * w + bx;
                let quads = [i, i + half, i + half * w, i + half * w + half];
                if quads.iter().all(|&q| leaf[q] as usize == half)
                    && is_flat(ldi, page, w, i, s, tol)
                {
                    quads.iter().for_each(|&q| leaf[q] = 0);
                    leaf[i] = s as u8;
                }
            }
        }
        s *= 2;
    }
}

/// Whether every node of the s×s block at pixel `i` lies within `tol` (inverse
/// depth) of the block's two triangles, split like `build_mesh` splits a cell.
fn is_flat(ldi: &Ldi, page: &[u32], w: usize, i: usize, s: usize, tol: f32) -> bool {
    if tol.is_infinite() {
        return true;
    }
    let inv = |x: usize, y: usize| 1.0 / ldi.depth[page[i + y * w + x] as usize];
    let (f00, f10, f01, f11) = (inv(0, 0), inv(s, 0), inv(0, s), inv(s, s));
    let sf = s as f32;
    (0..=s).all(|y| {
        (0..=s).all(|x| {
            let (u, v) = (x as f32 / sf, y as f32 / sf);
            let fit = if u + v <= 1.0 {
                f00 + (f10 - f00) * u + (f01 - f00) * v
            } else {
                f11 + (f01 - f11) * (1.0 - u) + (f10 - f11) * (1.0 - v)
            };
            (inv(x, y) - fit).abs() <= tol
        })
    })
}

/// Triangles of one leaf: its two cell triangles, or, where neighbours use
/// points along its sides, a fan from its centre through all of them so no
/// crack opens at T-junctions.
fn block_triangles(
    page: u32,
    i: usize,
    s: usize,
    w: usize,
    used: &[bool],
    out: &mut Vec<[Corner; 3]>,
) {
    let at = |x: usize, y: usize| (page, (i + y * w + x) as u32);
    let mut ring = Vec::with_capacity(4 * s);
    ring.extend((0..s).map(|x| (x, 0)));
    ring.extend((0..s).map(|y| (s, y)));
    ring.extend((0..s).map(|x| (s - x, s)));
    ring.extend((0..s).map(|y| (0, s - y)));
    ring.retain(|&(x, y)| used[i + y * w + x]);
    if ring.len() == 4 {
        let [tl, tr, br, bl] = [at(0, 0), at(s, 0), at(s, s), at(0, s)];
        out.push([tl, bl, tr]);
        out.push([br, tr, bl]);
        return;
    }
    let centre = at(s / 2, s / 2);
    for k in 0..ring.len() {
        let (a, b) = (ring[k], ring[(k + 1) % ring.len()]);
        out.push([centre, at(b.0, b.1), at(a.0, a.1)]);
    }
}

/// The atlas: every page's occupied rectangle packed on shelves.
struct Atlas {
    size: (usize, usize),
    /// Per page: source rectangle origin in canvas pixels and its place in the atlas.
    rects: Vec<PageRect>,
    image: image::RgbImage,
}

#[derive(Clone, Copy)]
struct PageRect {
    src: (usize, usize),
    dst: (usize, usize),
    size: (usize, usize),
}

impl Atlas {
    fn pack(ldi: &Ldi, layout: &Layout) -> Result<Atlas, GlbError> {
        let (w, h) = (ldi.width, ldi.height);
        let mut rects: Vec<PageRect> = layout
            .pages
            .iter()
            .map(|page| {
                let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
                for (p, _) in page.iter().enumerate().filter(|(_, &n)| n != NONE) {
                    let (x, y) = (p % w, p / w);
                    (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
                }
                let src = (x0.saturating_sub(PADDING), y0.saturating_sub(PADDING));
                let end = ((x1 + PADDING + 1).min(w), (y1 + PADDING + 1).min(h));
                PageRect {
                    src,
                    dst: (0, 0),
                    size: (end.0 - src.0, end.1 - src.1),
                }
            })
            .collect();
        let area: usize = rects.iter().map(|r| r.size.0 * r.size.1).sum();
        let widest = rects.iter().map(|r| r.size.0).max().unwrap_or(1);
        let width = widest.max((area as f64).sqrt().ceil() as usize);
        let (mut x, mut y, mut shelf) = (0, 0, 0);
        for r in &mut rects {
            if x + r.size.0 > width {
                (x, y, shelf) = (0, y + shelf, 0);
            }
            r.dst = (x, y);
            x += r.size.0;
            shelf = shelf.max(r.size.1);
        }
        let size = (width, y + shelf);
        if size.0 > MAX_ATLAS_SIDE || size.1 > MAX_ATLAS_SIDE {
            return Err(GlbError::AtlasTooLarge(size.0, size.1));
        }
        let image = paint(ldi, layout, &rects, size);
        Ok(Atlas { size, rects, image })
    }

    /// Texture coordinate of a corner: the centre of its texel.
    fn uv(&self, (page, pixel): Corner, canvas_width: usize) -> [f32; 2] {
        let r = self.rects[page as usize];
        let (x, y) = (pixel as usize % canvas_width, pixel as usize / canvas_width);
        [
            ((r.dst.0 + x - r.src.0) as f32 + 0.5) / self.size.0 as f32,
            ((r.dst.1 + y - r.src.1) as f32 + 0.5) / self.size.1 as f32,
        ]
    }

    fn png(&self) -> Result<Vec<u8>, GlbError> {
        let mut png = Vec::new();
        PngEncoder::new_with_quality(&mut png, CompressionType::Fast, FilterType::Adaptive)
            .write_image(
                self.image.as_raw(),
                self.size.0 as u32,
                self.size.1 as u32,
                ExtendedColorType::Rgb8,
            )?;
        Ok(png)
    }
}

/// Draws each page's node colours into the atlas and pads them by `PADDING`
/// texels of continued colour so bilinear sampling near edges stays on-surface.
fn paint(ldi: &Ldi, layout: &Layout, rects: &[PageRect], size: (usize, usize)) -> image::RgbImage {
    let (aw, ah) = size;
    let mut values = vec![[0f32; 3]; aw * ah];
    let mut known = vec![false; aw * ah];
    for (page, r) in layout.pages.iter().zip(rects) {
        for y in 0..r.size.1 {
            for x in 0..r.size.0 {
                let n = page[(r.src.1 + y) * ldi.width + r.src.0 + x];
                if n != NONE {
                    let a = (r.dst.1 + y) * aw + r.dst.0 + x;
                    values[a] = ldi.color[n as usize].map(f32::from);
                    known[a] = true;
                }
            }
        }
    }
    let mut target = known.clone();
    for _ in 0..PADDING {
        let grown: Vec<usize> = (0..aw * ah)
            .filter(|&i| !target[i] && grid_neighbours(i, aw, ah).any(|n| target[n]))
            .collect();
        grown.into_iter().for_each(|i| target[i] = true);
    }
    propagate_mean(aw, ah, &mut values, &mut known, &target);
    let mut image = image::RgbImage::from_pixel(aw as u32, ah as u32, image::Rgb([128; 3]));
    for (i, px) in image.pixels_mut().enumerate() {
        if known[i] {
            px.0 = values[i].map(|v| v.round().clamp(0.0, 255.0) as u8);
        }
    }
    image
}

/// Vertex and index arrays in glTF's frame (+Y up, camera looking down −Z).
struct Geometry {
    positions: Vec<[f32; 3]>,
    uvs: Vec<[f32; 2]>,
    indices: Vec<u32>,
}

impl Geometry {
    /// One vertex per used (page, pixel) corner, so a node on two pages gets two UVs.
    fn new(
        ldi: &Ldi,
        mesh: &Mesh,
        layout: &Layout,
        vertex_of_node: &[u32],
        atlas: &Atlas,
        triangles: &[[Corner; 3]],
    ) -> Geometry {
        let canvas = ldi.width * ldi.height;
        let mut index_of = vec![NONE; atlas.rects.len() * canvas];
        let mut g = Geometry {
            positions: Vec::new(),
            uvs: Vec::new(),
            indices: Vec::with_capacity(3 * triangles.len()),
        };
        for t in triangles {
            for &(page, pixel) in t {
                let slot = page as usize * canvas + pixel as usize;
                if index_of[slot] == NONE {
                    index_of[slot] = g.positions.len() as u32;
                    let node = layout.pages[page as usize][pixel as usize] as usize;
                    let p = mesh.positions[vertex_of_node[node] as usize];
                    g.positions.push([p[0], -p[1], -p[2]]);
                    g.uvs.push(atlas.uv((page, pixel), ldi.width));
                }
                g.indices.push(index_of[slot]);
            }
        }
        g
    }
}

/// Lays out the binary chunk (indices, positions, UVs, PNG, each 4-byte
/// aligned), writes the JSON and joins both into a GLB.
fn assemble(
    g: &Geometry,
    png: &[u8],
    mesh: &Mesh,
    k: &Intrinsics,
    atlas: (usize, usize),
) -> Vec<u8> {
    let mut bin = Vec::new();
    let view = |bin: &mut Vec<u8>, bytes: &[u8], target: Option<u32>| {
        let offset = bin.len();
        bin.extend_from_slice(bytes);
        bin.resize(bin.len().next_multiple_of(4), 0);
        let mut v = json!({"buffer": 0, "byteOffset": offset, "byteLength": bytes.len()});
        if let Some(t) = target {
            v["target"] = json!(t);
        }
        v
    };
    let indices: Vec<u8> = g.indices.iter().flat_map(|i| i.to_le_bytes()).collect();
    let positions: Vec<u8> = g
        .positions
        .iter()
        .flatten()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let uvs: Vec<u8> = g
        .uvs
        .iter()
        .flatten()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let views = [
        view(&mut bin, &indices, Some(34963)),
        view(&mut bin, &positions, Some(34962)),
        view(&mut bin, &uvs, Some(34962)),
        view(&mut bin, png, None),
    ];
    let (lo, hi) = bounds(&g.positions);
    let doc = json!({
        "asset": {"version": "2.0", "generator": concat!("photo3d ", env!("CARGO_PKG_VERSION"))},
        "extensionsUsed": ["KHR_materials_unlit"],
        "scene": 0,
        "scenes": [{"nodes": [0, 1]}],
        "nodes": [
            {"mesh": 0, "name": "photo"},
            {"camera": 0, "name": "photo camera"}
        ],
        "cameras": [{"type": "perspective", "perspective": {
            "yfov": mesh.vfov, "aspectRatio": mesh.width as f32 / mesh.height.max(1) as f32,
            "znear": 0.01
        }}],
        "meshes": [{"primitives": [{
            "attributes": {"POSITION": 1, "TEXCOORD_0": 2},
            "indices": 0, "material": 0, "mode": 4
        }]}],
        "materials": [{
            "pbrMetallicRoughness": {"baseColorTexture": {"index": 0}, "metallicFactor": 0.0, "roughnessFactor": 1.0},
            "doubleSided": true,
            "extensions": {"KHR_materials_unlit": {}}
        }],
        "textures": [{"sampler": 0, "source": 0}],
        "samplers": [{"magFilter": 9729, "minFilter": 9729, "wrapS": 33071, "wrapT": 33071}],
        "images": [{"bufferView": 3, "mimeType": "image/png"}],
        "accessors": [
            {"bufferView": 0, "componentType": 5125, "count": g.indices.len(), "type": "SCALAR"},
            {"bufferView": 1, "componentType": 5126, "count": g.positions.len(), "type": "VEC3", "min": lo, "max": hi},
            {"bufferView": 2, "componentType": 5126, "count": g.uvs.len(), "type": "VEC2"}
        ],
        "bufferViews": views,
        "buffers": [{"byteLength": bin.len()}],
        "extras": {"photo3d": {
            "width": mesh.width, "height": mesh.height,
            "fx": k.fx, "fy": k.fy, "cx": k.cx, "cy": k.cy,
            "atlas": [atlas.0, atlas.1]
        }}
    });
    let mut text = doc.to_string().into_bytes();
    text.resize(text.len().next_multiple_of(4), b' ');
    let total = 12 + 8 + text.len() + 8 + bin.len();
    let mut out = Vec::with_capacity(total);
    for word in [
        0x4654_6C67u32,
        2,
        total as u32,
        text.len() as u32,
        0x4E4F_534A,
    ] {
        out.extend_from_slice(&word.to_le_bytes());
    }
    out.extend_from_slice(&text);
    for word in [bin.len() as u32, 0x004E_4942] {
        out.extend_from_slice(&word.to_le_bytes());
    }
    out.extend_from_slice(&bin);
    out
}

/// Component-wise minimum and maximum, as glTF requires for POSITION.
fn bounds(points: &[[f32; 3]]) -> ([f32; 3], [f32; 3]) {
    points.iter().fold(
        ([f32::INFINITY; 3], [f32::NEG_INFINITY; 3]),
        |(lo, hi), p| {
            (
                [0, 1, 2].map(|i| lo[i].min(p[i])),
                [0, 1, 2].map(|i| hi[i].max(p[i])),
            )
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edges::find_cuts;
    use crate::ldi::origin;
    use crate::mesh::build_mesh;

    /// A one-layer LDI of `depth` whose links are cut where the depth jumps
    /// more than `threshold`, coloured by pixel.
    fn ldi_of(depth: &[f32], w: usize, h: usize, threshold: f32) -> Ldi {
        let cuts = find_cuts(depth, w, h, threshold);
        let color: Vec<[u8; 3]> = (0..w * h)
            .map(|i| [(i % w * 5) as u8, (i / w * 7) as u8, (i * 13 % 251) as u8])
            .collect();
        Ldi::from_grid(depth, &color, &vec![origin::ORIGINAL; w * h], &cuts, 0)
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
        let glb = encode_glb(&ldi, &mesh, &k, DEFAULT_TRIANGLES).unwrap();
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
            .zip(&mesh.colors)
            .map(|(p, &c)| ([p[0], -p[1], -p[2]].map(f32::to_bits), c))
            .collect();
        let (aw, ah) = g.atlas.dimensions();
        for (p, uv) in g.positions.iter().zip(&g.uvs) {
            let (x, y) = ((uv[0] * aw as f32) as u32, (uv[1] * ah as f32) as u32);
            assert_eq!(g.atlas.get_pixel(x, y).0, colour_at[&p.map(f32::to_bits)]);
        }
        let area = screen_area(glb_triangles(&g), &k);
        assert!((area - (64.0 * 48.0)).abs() < 1e-2, "area {area}");
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
            let glb = encode_glb(&ldi, &mesh, &k, budget).unwrap();
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
            .map(|i| if (i % w + i / w) % 2 == 0 { 2.0 } else { 2.6 })
            .collect();
        let ldi = ldi_of(&depth, w, h, f32::INFINITY);
        let k = Intrinsics::reference((65, 49), (65, 49));
        let mesh = build_mesh(&ldi, &k, (65, 49));
        let exact = encode_glb(&ldi, &mesh, &k, DEFAULT_TRIANGLES).unwrap();
        assert_eq!(exact.triangles, mesh.faces.len());
        let budget = 200;
        let merged = encode_glb(&ldi, &mesh, &k, budget).unwrap();
        assert!(merged.triangles <= budget, "{} triangles", merged.triangles);
        let area = screen_area(glb_triangles(&parse(&merged.bytes)), &k);
        assert!((area - 64.0 * 48.0).abs() < 1e-1, "area {area}");
    }
}
