//! The mesh the renderer draws: the layered mesh with flat, fully linked
//! regions merged into large textured blocks (the GLB's decimation at its
//! finest tolerance) and the faces along cuts kept with their vertex colours.
//! Far fewer triangles to set up per frame; the same picture, since a block's
//! texture holds exactly the node colours its cells carried.

use super::camera::Camera;
use super::reveal::{node_needs, Reach};
use crate::ldi::{origin, Ldi, NONE};
use crate::mesh::atlas::{Atlas, Corner, Layout, TILE};
use crate::mesh::decimate::{decimate, finest_tolerance, SPOT};
use crate::mesh::{edge_offset, node_position, Mesh};
use crate::prepare::Intrinsics;
use image::RgbImage;
use rayon::prelude::*;
use std::collections::HashMap;

/// [`RenderMesh::block`] of a face in no merged block.
pub const NO_BLOCK: u32 = u32::MAX;

/// How a triangle gets its colour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Paint {
    /// Read from the layers' atlas, at the point where the photo's camera
    /// sees it (see [`PhotoCamera`]) moved by `offset` texels: the
    /// triangle's tile lies on the atlas as on the canvas.
    Texture { held: Held, offset: [f32; 2] },
    /// Colours of its corners, interpolated across it.
    Colours([[u8; 3]; 3]),
    /// Read from [`RenderMesh::photo`] where the photo's camera sees it: the
    /// triangle's surface is the photo itself, drawn at the photo's detail.
    Photo { held: Held },
}

/// Per texel coordinate (u, then v), the range a triangle's texture reads
/// are held in: the hull of its corners' texels, rounded inwards to whole
/// texels. Every texel in it is a node of the triangle's own surface;
/// corners on a surface's border lie half a texel out, where the surface's
/// last texel is held.
pub type Held = [[f32; 2]; 2];

/// The hull of texel coordinates `uv`, rounded inwards (see [`Held`]).
fn held(uv: [[f32; 2]; 3]) -> Held {
    [0, 1].map(|k| {
        let lo = uv.iter().map(|c| c[k]).fold(f32::INFINITY, f32::min).ceil();
        let hi = uv
            .iter()
            .map(|c| c[k])
            .fold(f32::NEG_INFINITY, f32::max)
            .floor();
        [lo, hi.max(lo)]
    })
}

/// The working photo's camera, which textured faces read through: the
/// texel of a point is where this camera saw it, so each frame shades a
/// pixel by carrying its point back into the photo, with no set-up per
/// triangle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhotoCamera {
    pub intrinsics: Intrinsics,
    /// [`RenderMesh::photo`]'s texels per working pixel, across and down.
    pub photo_scale: [f32; 2],
}

impl Default for PhotoCamera {
    /// Unit focal lengths about the origin, for meshes without textured faces.
    fn default() -> Self {
        PhotoCamera {
            intrinsics: Intrinsics {
                fx: 1.0,
                fy: 1.0,
                cx: 0.0,
                cy: 0.0,
                hfov: 1.0,
                vfov: 1.0,
            },
            photo_scale: [1.0; 2],
        }
    }
}

/// Most faces in a [`Cluster`]: a [`SPOT`] square of single cells.
const CLUSTER_FACES: usize = 2 * SPOT * SPOT;

/// A run of consecutive faces that lie near one another, and the bounds of
/// their vertices as seen from the photo's camera: the renderer bins faces
/// and skips hidden ones a cluster at a time.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// First face and one past the last.
    pub faces: [u32; 2],
    /// Least and greatest of the vertices' (x/z, y/z, 1/z): a piece of the
    /// photo's view frustum, far tighter around a surface seen at a slant or
    /// spanning depths than a box in x, y, z. NaN where a vertex is not in
    /// front of the photo's camera.
    pub lo: [f32; 3],
    pub hi: [f32; 3],
}

impl Cluster {
    /// The cluster of faces `first..end` of `faces`.
    pub(crate) fn of(
        positions: &[[f32; 3]],
        faces: &[[u32; 3]],
        [first, end]: [usize; 2],
    ) -> Cluster {
        let (mut lo, mut hi) = ([f32::INFINITY; 3], [f32::NEG_INFINITY; 3]);
        for &v in faces[first..end].iter().flatten() {
            let [x, y, z] = positions[v as usize];
            if !(z > 0.0 && z.is_finite()) {
                (lo, hi) = ([f32::NAN; 3], [f32::NAN; 3]);
                break;
            }
            let ray = [x / z, y / z, 1.0 / z];
            for k in 0..3 {
                lo[k] = lo[k].min(ray[k]);
                hi[k] = hi[k].max(ray[k]);
            }
        }
        Cluster {
            faces: [first as u32, end as u32],
            lo,
            hi,
        }
    }
}

/// The photo larger than the working size, for the surfaces that are the
/// photo itself.
pub struct Photo<'a> {
    /// The photo at the working size: the colours of the LDI's original nodes.
    pub working: &'a RgbImage,
    /// The photo at the larger size.
    pub image: RgbImage,
}

/// Triangles in the camera frame (+X right, +Y down, +Z forward), each with its paint.
#[derive(Debug, Clone)]
pub struct RenderMesh {
    pub positions: Vec<[f32; 3]>,
    pub faces: Vec<[u32; 3]>,
    /// Per face.
    pub paint: Vec<Paint>,
    /// Where `Paint::Texture` reads; the GLB draws its colour from it too.
    pub atlas: Atlas,
    /// Where `Paint::Photo` reads (empty when no triangle does).
    pub photo: RgbImage,
    /// Where the textured faces' points were seen from.
    pub photo_camera: PhotoCamera,
    /// Faces `0..occluders` are the photo's own surface, which hides most of
    /// the rest: the renderer draws them first and skips later faces that
    /// lie behind everything drawn where they fall.
    pub occluders: usize,
    /// Per face, ascending: the reach a camera needs before the face can
    /// show (see [`super::reveal`]); empty when every face is always drawn.
    pub needs: Vec<f32>,
    /// Per face: how many vertices the faces up to it use (vertices are
    /// numbered by first use).
    pub vertex_end: Vec<u32>,
    /// Per face: the merged block it belongs to, or [`NO_BLOCK`]. A block's
    /// faces are one smooth surface reading one stretch of texture, so a
    /// pixel that only they share may be shaded from any one of them.
    pub block: Vec<u32>,
    /// What a camera's reach is measured against.
    pub reach: Reach,
    /// Every face in order, in runs that lie together.
    pub clusters: Vec<Cluster>,
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
            atlas: Atlas::default(),
            photo: RgbImage::new(0, 0),
            photo_camera: PhotoCamera::default(),
            occluders: 0,
            needs: Vec::new(),
            vertex_end: Vec::new(),
            block: vec![NO_BLOCK; mesh.faces.len()],
            reach: Reach::default(),
            // Faces of `build_mesh` follow their nodes, which neighbour one another.
            clusters: clusters(&mesh.positions, &mesh.faces, std::iter::once(0)),
        }
    }

    /// How many faces and vertices, from the first, `camera` may see: the
    /// faces that need more reach than it has are hidden from it.
    pub fn drawn(&self, camera: &Camera) -> (usize, usize) {
        if self.needs.is_empty() {
            return (self.faces.len(), self.positions.len());
        }
        let reach = self.reach.of(camera);
        let faces = self.needs.partition_point(|&need| need <= reach);
        let vertices = faces.checked_sub(1).map_or(0, |last| self.vertex_end[last]);
        (faces, vertices as usize)
    }

    /// The decimated mesh of the mesh that `build_mesh` makes of `ldi`:
    /// merged blocks textured from the layers' atlas (of any size: the WebGL
    /// limit on the GLB's atlas does not apply), faces along cuts coloured as
    /// in that mesh. With `photo`, blocks whose every node is the working
    /// photo's own pixel are drawn from `photo.image` instead.
    pub fn decimated(ldi: &Ldi, k: &Intrinsics, photo: Option<Photo>) -> RenderMesh {
        // The atlas's layout is placed serially: the per-node needs run beside it.
        let (atlas, (node_needs, reach)) = rayon::join(
            || Atlas::new(ldi),
            || node_needs(ldi, k, finest_tolerance(k)),
        );
        let position = |node: u32| node_position(ldi, k, node as usize);
        let needs = Needs {
            layout: &atlas.layout,
            of_node: &node_needs,
        };
        // No triangle budget: the finest tolerance only.
        let triangles = decimate(ldi, &atlas.layout, k, usize::MAX);
        // Parts made in parallel, tile by tile; a vertex on a tile's border is
        // repeated in each tile that uses it (same position: no crack).
        let lone = Part::coloured(ldi, &needs, triangles.lone, &position);
        let photo_of = photo.as_ref().map(|p| PhotoMap::new(ldi, p));
        let tiles: Vec<Part> = (triangles.blocks.par_iter().enumerate())
            .zip(&triangles.block_sizes)
            .map(|((unit, ts), sizes)| {
                let tile = TileBlocks {
                    unit,
                    triangles: ts,
                    block_sizes: sizes,
                };
                Part::textured(ldi, &atlas, &needs, photo_of.as_ref(), tile, &position)
            })
            .collect();
        let parts: Vec<Part> = std::iter::once(lone).chain(tiles).collect();
        drop(triangles);
        let mut out = assemble(&parts);
        out.reach = reach;
        out.atlas = atlas;
        out.photo_camera = PhotoCamera {
            intrinsics: *k,
            photo_scale: photo_of.as_ref().map_or([1.0; 2], |p| p.scale),
        };
        out.photo = photo.map(|p| p.image).unwrap_or_default();
        out
    }
}

/// One render mesh of `parts`: the photo's own surface first, then the rest
/// by the reach they need, in steps of [`NEED_STEP`] (each step in part order,
/// which keeps nearby faces together); vertices numbered by first use.
fn assemble(parts: &[Part]) -> RenderMesh {
    let mut steps: Vec<Vec<(u32, u32)>> = Vec::new();
    let mut front = Vec::new();
    for (p, part) in parts.iter().enumerate() {
        for (k, &need) in part.need.iter().enumerate() {
            if part.front[k] {
                front.push((p as u32, k as u32));
            } else {
                let step = need_step(need);
                if steps.len() <= step {
                    steps.resize_with(step + 1, Vec::new);
                }
                steps[step].push((p as u32, k as u32));
            }
        }
    }
    let occluders = front.len();
    // Groups: the front, then each step; the front's step of need is 0.
    let order = std::iter::once((0, front))
        .chain(steps.into_iter().enumerate())
        .enumerate()
        .flat_map(|(group, (step, faces))| faces.into_iter().map(move |f| (group, step, f)));
    let bases = starts(parts.iter().map(|part| part.positions.len()));
    // Block numbers made global: each part's follow the previous part's.
    let block_bases = starts(parts.iter().map(|part| part.blocks as usize));
    let mut new_index = vec![NONE; parts.iter().map(|p| p.positions.len()).sum()];
    let faces = parts.iter().map(|p| p.faces.len()).sum();
    let mut out = RenderMesh {
        positions: Vec::new(),
        faces: Vec::with_capacity(faces),
        paint: Vec::with_capacity(faces),
        atlas: Atlas::default(),
        photo: RgbImage::new(0, 0),
        photo_camera: PhotoCamera::default(),
        occluders,
        needs: Vec::with_capacity(faces),
        vertex_end: Vec::with_capacity(faces),
        block: Vec::with_capacity(faces),
        reach: Reach::default(),
        clusters: Vec::new(),
    };
    // Where the faces of another spot, part or group begin.
    let mut starts = Vec::new();
    let mut last = None;
    for (group, step, (p, k)) in order {
        let at = Some((group, p, parts[p as usize].spot[k as usize]));
        if last != at {
            starts.push(out.faces.len());
            last = at;
        }
        let (part, base) = (&parts[p as usize], bases[p as usize]);
        let face = part.faces[k as usize].map(|v| {
            let slot = &mut new_index[base + v as usize];
            if *slot == NONE {
                *slot = out.positions.len() as u32;
                out.positions.push(part.positions[v as usize]);
            }
            *slot
        });
        out.faces.push(face);
        out.paint.push(part.paint[k as usize]);
        out.needs.push(step_need(step));
        out.vertex_end.push(out.positions.len() as u32);
        out.block.push(match part.block[k as usize] {
            NO_BLOCK => NO_BLOCK,
            b => block_bases[p as usize] as u32 + b,
        });
    }
    out.clusters = clusters(&out.positions, &out.faces, starts.into_iter());
    out
}

/// The clusters of `faces`: each run from one of `starts` (ascending, the
/// first 0) to the next, cut into pieces of at most [`CLUSTER_FACES`].
fn clusters(
    positions: &[[f32; 3]],
    faces: &[[u32; 3]],
    starts: impl Iterator<Item = usize>,
) -> Vec<Cluster> {
    let ends = starts.skip(1).chain(std::iter::once(faces.len()));
    let mut out = Vec::with_capacity(faces.len() / CLUSTER_FACES + 1);
    let mut first = 0;
    for end in ends {
        for piece in (first..end).step_by(CLUSTER_FACES) {
            let piece_end = (piece + CLUSTER_FACES).min(end);
            out.push(Cluster::of(positions, faces, [piece, piece_end]));
        }
        first = end;
    }
    out
}

/// Ratio of successive steps of need that `assemble` sorts faces into.
const NEED_STEP: f32 = 1.25;

/// The step of need `need`: 0 below 1, then one per factor of NEED_STEP.
fn need_step(need: f32) -> usize {
    if need < 1.0 {
        0
    } else {
        (need.ln() / NEED_STEP.ln()).min(200.0) as usize + 1
    }
}

/// The least need of a face in `step` (a face is drawn when its step's
/// least need is within reach).
fn step_need(step: usize) -> f32 {
    if step == 0 {
        0.0
    } else {
        NEED_STEP.powi(step as i32 - 1)
    }
}

/// The reach each face needs: the least of its nodes' on its page.
struct Needs<'a> {
    layout: &'a Layout,
    of_node: &'a [f32],
}

impl Needs<'_> {
    /// The least need of the page's nodes within triangle `t`'s pixel
    /// bounds (every node of a block's surface under it, and maybe a few more).
    fn of(&self, t: &[Corner; 3]) -> f32 {
        let [xs, ys] = self.layout.pixel_bounds(t);
        let mut least = f32::INFINITY;
        for y in ys {
            for x in xs.clone() {
                let n = self.layout.node(t[0].0, x, y);
                if n != NONE {
                    least = least.min(self.of_node[n as usize]);
                }
            }
        }
        least
    }
}

/// Some triangles of a render mesh, with their own vertices.
struct Part {
    positions: Vec<[f32; 3]>,
    faces: Vec<[u32; 3]>,
    paint: Vec<Paint>,
    /// Per face: whether its corners are all the photo's own pixels.
    front: Vec<bool>,
    /// Per face: the reach a camera needs before it can show.
    need: Vec<f32>,
    /// Per face: its merged block, numbered within the part (or `NO_BLOCK`).
    block: Vec<u32>,
    /// Per face: the [`SPOT`] square it lies in, numbered within the part.
    spot: Vec<u32>,
    /// Merged blocks in the part.
    blocks: u32,
}

/// The merged blocks of one atlas tile.
struct TileBlocks<'a> {
    unit: usize,
    triangles: &'a [[Corner; 3]],
    /// Triangles per block, in order (`Triangles::block_sizes`).
    block_sizes: &'a [u32],
}

impl Part {
    /// An empty part with room for `faces` faces and `vertices` vertices:
    /// growing a few thousand parts' arrays by doubling cost a tenth of a
    /// large photo's decimate stage in reallocations.
    fn with_room(faces: usize, vertices: usize) -> Part {
        Part {
            positions: Vec::with_capacity(vertices),
            faces: Vec::with_capacity(faces),
            paint: Vec::with_capacity(faces),
            front: Vec::with_capacity(faces),
            need: Vec::with_capacity(faces),
            block: Vec::with_capacity(faces),
            spot: Vec::with_capacity(faces),
            blocks: 0,
        }
    }

    /// Faces along cuts with their nodes' colours, [`SPOT`] square by square.
    fn coloured(
        ldi: &Ldi,
        needs: &Needs,
        triangles: &[[Corner; 3]],
        position: &impl Fn(u32) -> [f32; 3],
    ) -> Part {
        let width = needs.layout.width();
        // Each triangle with its first corner's square.
        let mut sorted: Vec<_> = (triangles.iter())
            .map(|t @ &[(page, pixel), ..]| {
                let (x, y) = (pixel as usize % width, pixel as usize / width);
                ((page, y / SPOT, x / SPOT), t)
            })
            .collect();
        sorted.sort_by_key(|&(square, _)| square);
        let mut part = Part::with_room(triangles.len(), triangles.len());
        let mut vertex_of: HashMap<u32, u32> = HashMap::new();
        let mut spot = 0;
        for (k, &(square, t)) in sorted.iter().enumerate() {
            if k > 0 && sorted[k - 1].0 != square {
                spot += 1;
            }
            part.spot.push(spot);
            let nodes = t.map(|c| needs.layout.node_of(c));
            let face = nodes.map(|n| part.vertex(vertex_of.entry(n).or_insert(NONE), n, position));
            let paint = Paint::Colours(nodes.map(|n| ldi.colour[n as usize]));
            part.push(ldi, face, nodes, paint, needs.of(t));
            part.block.push(NO_BLOCK);
        }
        part
    }

    /// The blocks of an atlas tile, textured from its slot, or from the
    /// photo where they are the photo itself.
    fn textured(
        ldi: &Ldi,
        atlas: &Atlas,
        needs: &Needs,
        photo: Option<&PhotoMap>,
        tile: TileBlocks,
        position: &impl Fn(u32) -> [f32; 3],
    ) -> Part {
        let layout = &atlas.layout;
        let unit = tile.unit;
        let faces = tile.triangles.len();
        let mut part = Part::with_room(faces, (3 * faces).min((TILE + 1) * (TILE + 1)));
        // Vertex per tile pixel (with the neighbours' first row and column).
        let mut vertex_of = [NONE; (TILE + 1) * (TILE + 1)];
        let block_of = (tile.block_sizes.iter().enumerate())
            .flat_map(|(b, &size)| std::iter::repeat_n(b as u32, size as usize));
        let mut spot = (NO_BLOCK, 0);
        for (&t, block) in tile.triangles.iter().zip(block_of) {
            // A block's spot: the square of its first triangle's first corner.
            if spot.0 != block {
                let (x, y) = layout.in_tile(unit, t[0].1 as usize);
                spot = (block, (y / SPOT * (TILE / SPOT + 1) + x / SPOT) as u32);
            }
            part.spot.push(spot.1);
            let nodes = t.map(|c| layout.node_of(c));
            let face = [0, 1, 2].map(|i| {
                let (x, y) = layout.in_tile(unit, t[i].1 as usize);
                part.vertex(&mut vertex_of[y * (TILE + 1) + x], nodes[i], position)
            });
            // Where a corner's vertex moved to its pixel's border, so does
            // its texture coordinate: the texture follows the geometry.
            let offsets = nodes.map(|n| edge_offset(&ldi.links[n as usize]));
            let paint = match photo {
                Some(photo) if photo.holds(ldi, layout, &t) => Paint::Photo {
                    held: held([0, 1, 2].map(|i| photo.texel(t[i].1 as usize, offsets[i]))),
                },
                _ => Paint::Texture {
                    held: held([0, 1, 2].map(|i| {
                        let [u, v] = atlas.texel(t[i], unit);
                        [u + offsets[i][0], v + offsets[i][1]]
                    })),
                    offset: atlas_offset(ldi, atlas, t[0], unit),
                },
            };
            part.push(ldi, face, nodes, paint, needs.of(&t));
            part.block.push(block);
        }
        part.blocks = tile.block_sizes.len() as u32;
        part
    }

    /// Adds face `face` of LDI nodes `nodes`, painted with `paint`, that
    /// shows only to cameras of at least reach `need`.
    fn push(&mut self, ldi: &Ldi, face: [u32; 3], nodes: [u32; 3], paint: Paint, need: f32) {
        self.faces.push(face);
        self.paint.push(paint);
        self.need.push(need);
        self.front.push(
            nodes
                .iter()
                .all(|&n| ldi.origin[n as usize] == origin::ORIGINAL),
        );
    }

    /// The vertex of `node` held in `slot`, made on first use.
    fn vertex(&mut self, slot: &mut u32, node: u32, position: &impl Fn(u32) -> [f32; 3]) -> u32 {
        if *slot == NONE {
            *slot = self.positions.len() as u32;
            self.positions.push(position(node));
        }
        *slot
    }
}

/// What a tile's atlas texels add to the point where the photo's camera
/// saw them.
fn atlas_offset(ldi: &Ldi, atlas: &Atlas, corner: Corner, unit: usize) -> [f32; 2] {
    let [u, v] = atlas.texel(corner, unit);
    let [x, y] = seen_at(ldi.frame, ldi.width, corner.1 as usize, [0.0; 2]);
    [u - x, v - y]
}

/// Where the photo's camera saw the centre of canvas `pixel` (of a canvas
/// `width` wide with a `frame` around the photo) moved by `offset` pixels:
/// working-photo pixels, centres at +½.
fn seen_at(frame: usize, width: usize, pixel: usize, offset: [f32; 2]) -> [f32; 2] {
    let at = |p: usize, k: usize| p as f32 - frame as f32 + 0.5 + offset[k];
    [at(pixel % width, 0), at(pixel / width, 1)]
}

/// Where canvas pixels of an LDI fall in a larger photo, and which nodes are
/// the working photo's own pixels.
struct PhotoMap<'a> {
    working: &'a RgbImage,
    frame: usize,
    canvas_width: usize,
    /// Photo texels per working pixel, across and down.
    scale: [f32; 2],
}

impl PhotoMap<'_> {
    fn new<'a>(ldi: &Ldi, photo: &'a Photo) -> PhotoMap<'a> {
        let (w, h) = photo.working.dimensions();
        let (pw, ph) = photo.image.dimensions();
        PhotoMap {
            working: photo.working,
            frame: ldi.frame,
            canvas_width: ldi.width,
            scale: [pw as f32 / w.max(1) as f32, ph as f32 / h.max(1) as f32],
        }
    }

    /// Photo texel coordinates (centres at integers) of canvas `pixel`'s
    /// centre moved by `offset` pixels.
    fn texel(&self, pixel: usize, offset: [f32; 2]) -> [f32; 2] {
        let seen = seen_at(self.frame, self.canvas_width, pixel, offset);
        [0, 1].map(|k| seen[k] * self.scale[k] - 0.5)
    }

    /// Whether every node of the page within triangle `t`'s pixel bounds is
    /// an original node with the working photo's colour at its pixel.
    fn holds(&self, ldi: &Ldi, layout: &Layout, t: &[Corner; 3]) -> bool {
        let [xs, ys] = layout.pixel_bounds(t);
        ys.into_iter().all(|y| {
            xs.clone().all(|x| {
                let n = layout.node(t[0].0, x, y) as usize;
                let (px, py) = (x.wrapping_sub(self.frame), y.wrapping_sub(self.frame));
                n < ldi.node_count()
                    && ldi.origin[n] == origin::ORIGINAL
                    && px < self.working.width() as usize
                    && py < self.working.height() as usize
                    && self.working.get_pixel(px as u32, py as u32).0 == ldi.colour[n]
            })
        })
    }
}

/// Where each of a run of consecutive ranges starts, given their lengths.
fn starts(lengths: impl Iterator<Item = usize>) -> Vec<usize> {
    lengths
        .scan(0, |next, length| {
            let first = *next;
            *next += length;
            Some(first)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edges::{find_cuts, CutRule};
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
    fn faces_of_a_merged_block_share_its_number_and_faces_along_cuts_have_none() {
        let (ldi, _, k) = scene();
        let decimated = RenderMesh::decimated(&ldi, &k, None);
        assert_eq!(decimated.block.len(), decimated.faces.len());
        let mut faces_of: HashMap<u32, Vec<usize>> = HashMap::new();
        for (f, (&block, paint)) in decimated.block.iter().zip(&decimated.paint).enumerate() {
            // Blocks are textured; the faces along cuts keep vertex colours.
            assert_eq!(
                block == NO_BLOCK,
                matches!(paint, Paint::Colours(_)),
                "face {f}"
            );
            if block != NO_BLOCK {
                faces_of.entry(block).or_default().push(f);
            }
        }
        assert!(faces_of.values().any(|faces| faces.len() == 2));
        // A block's faces are one surface: joined through shared edges.
        let share_edge = |f: usize, g: usize| {
            let (a, b) = (decimated.faces[f], decimated.faces[g]);
            a.iter().filter(|v| b.contains(v)).count() == 2
        };
        for faces in faces_of.values() {
            let mut reached = vec![faces[0]];
            let mut k = 0;
            while k < reached.len() {
                let f = reached[k];
                let next: Vec<usize> = (faces.iter().copied())
                    .filter(|&g| !reached.contains(&g) && share_edge(f, g))
                    .collect();
                reached.extend(next);
                k += 1;
            }
            assert!(
                faces.len() >= 2 && reached.len() == faces.len(),
                "{faces:?}"
            );
        }
    }

    #[test]
    fn clusters_run_through_every_face_and_bound_their_vertices() {
        let (ldi, mesh, k) = scene();
        for (render_mesh, decimated) in [
            (RenderMesh::coloured(&mesh), false),
            (RenderMesh::decimated(&ldi, &k, None), true),
        ] {
            let clusters = &render_mesh.clusters;
            assert!(clusters.len() > 2, "{}", clusters.len());
            assert_eq!(clusters[0].faces[0], 0);
            assert_eq!(
                clusters.last().unwrap().faces[1] as usize,
                render_mesh.faces.len()
            );
            for (c, pair) in clusters.iter().zip(clusters.iter().skip(1)) {
                assert_eq!(c.faces[1], pair.faces[0]);
            }
            let mut spread = 0f32;
            for c in clusters {
                let [first, end] = c.faces.map(|f| f as usize);
                assert!(first < end && end - first <= CLUSTER_FACES);
                // The occluders and the rest never share a cluster.
                assert!(end <= render_mesh.occluders || first >= render_mesh.occluders);
                for &v in render_mesh.faces[first..end].iter().flatten() {
                    let [x, y, z] = render_mesh.positions[v as usize];
                    for (k, r) in [x / z, y / z, 1.0 / z].into_iter().enumerate() {
                        assert!(c.lo[k] <= r && r <= c.hi[k]);
                    }
                }
                spread = spread.max(c.hi[0] - c.lo[0]);
            }
            // Merged blocks are listed square by square, and faces along
            // cuts sorted into squares: no cluster reaches across the frame
            // (48 pixels wide; the blocks' tiles are 32).
            if decimated {
                assert!(spread * k.fx <= 32.0, "{}", spread * k.fx);
            }
        }
    }

    #[test]
    fn decimated_mesh_draws_the_picture_of_the_full_one_with_fewer_triangles() {
        let (ldi, mesh, k) = scene();
        let full = RenderMesh::coloured(&mesh);
        let decimated = RenderMesh::decimated(&ldi, &k, None);
        assert!(
            decimated.faces.len() * 4 < full.faces.len(),
            "{} of {} faces",
            decimated.faces.len(),
            full.faces.len()
        );
        assert!(decimated
            .paint
            .iter()
            .any(|p| matches!(p, Paint::Texture { .. })));
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
        let (ldi, _, k) = scene();
        let decimated = RenderMesh::decimated(&ldi, &k, None);
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

    #[test]
    fn surfaces_that_are_the_photo_are_drawn_at_its_own_detail() {
        let (ldi, _, k) = scene();
        // A photo at twice the working size whose every 2x2 block averages
        // to the working photo's pixel, with a checker inside each.
        let large = RgbImage::from_fn(96, 80, |x, y| {
            let base = ldi.colour[(y / 2 * 48 + x / 2) as usize];
            let d: i16 = if (x + y) % 2 == 0 { 12 } else { -12 };
            image::Rgb(base.map(|c| (c as i16 + d).clamp(0, 255) as u8))
        });
        let working =
            RgbImage::from_fn(48, 40, |x, y| image::Rgb(ldi.colour[(y * 48 + x) as usize]));
        let photo = Photo {
            working: &working,
            image: large.clone(),
        };
        let with_photo = RenderMesh::decimated(&ldi, &k, Some(photo));
        assert!(with_photo
            .paint
            .iter()
            .any(|p| matches!(p, Paint::Photo { .. })));
        let without = RenderMesh::decimated(&ldi, &k, None);
        let camera = Camera::original(&k, 48, 40).resized(96, 80);
        let error = |mesh: &RenderMesh| {
            let img = render_over(mesh, &camera, 1, [0; 3]);
            let mut worst = 0;
            // Away from the near square's edges and the frame.
            for (x, y, p) in img.enumerate_pixels() {
                let inside = (4..92).contains(&x) && (4..76).contains(&y);
                let near_edge = (24..64).contains(&x) && (20..56).contains(&y);
                if inside && !near_edge {
                    let q = large.get_pixel(x, y).0;
                    worst = worst.max((0..3).map(|c| p.0[c].abs_diff(q[c])).max().unwrap());
                }
            }
            worst
        };
        let (sharp, soft) = (error(&with_photo), error(&without));
        assert!(sharp <= 2, "drawn from the photo: off by {sharp}");
        assert!(soft >= 10, "drawn from the working size: off by {soft}");
    }
}
