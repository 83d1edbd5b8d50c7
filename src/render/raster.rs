//! CPU rasterizer: z-buffered, supersampled, perspective-correct texture and
//! vertex colours, parallel over horizontal bands of the frame.
//!
//! Faces come in clusters of neighbours (`RenderMesh::clusters`): each
//! frame finds where every cluster falls on screen and bins the clusters by
//! band in parallel chunks, so every band still draws its triangles in face
//! order (identical frames whatever the thread count). A cluster hidden
//! whole behind the photo's own surface is skipped without touching its
//! faces. Each band is drawn into a small per-thread buffer holding, per
//! sample, the nearest inverse depth and which triangle it belongs to;
//! resolving a pixel then shades each triangle it sees once, at the centroid
//! of that triangle's samples there (inside the triangle, so texture reads
//! stay on its surface), weighted by its share of the samples; a pixel that
//! only the faces of one merged block see, or of merged blocks of one kind
//! at one depth, is one surface, shaded once at its centre. Shading costs
//! one colour per pixel and triangle, not one per sample. A `Renderer` keeps
//! the per-frame buffers between the frames of a video.

use super::camera::Camera;
use super::holes::{fill_uncovered, Coverage};
use super::surface::{Cluster, Held, Paint, PhotoCamera, RenderMesh, NO_BLOCK};
use image::RgbImage;
use rayon::prelude::*;
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Colour where no surface is hit (the reference's grey canvas).
pub const BACKGROUND: [u8; 3] = [128, 128, 128];
/// Sub-sample steps per sample of the fixed-point edge functions.
const SUBSAMPLE: f32 = 16.0;
/// Vertices farther off screen than this many samples are not drawn, so that
/// fixed-point coordinates fit an i32 and their products an i64.
const MAX_SAMPLE_COORD: f32 = (1 << 24) as f32;
/// Surfaces closer than this to the camera are not drawn.
const NEAR_PLANE: f32 = 1e-3;
/// Output rows per band; each band is one parallel task. Fewer faces span
/// two bands than with 16 (3 % less CPU per frame on a real depth map's
/// million triangles; the same on coffee's); 8 was slower.
const BAND_OUT_ROWS: usize = 32;
/// Clusters per binning chunk; each chunk is one parallel task.
const CHUNK_CLUSTERS: usize = 1 << 11;
/// Most samples per side (the resolve is compiled for each count).
const MAX_SAMPLES: u32 = 4;
/// Triangle id of a sample no triangle covers.
const NO_TRIANGLE: u32 = u32::MAX;

/// A vertex on the supersampled screen.
#[derive(Clone, Copy, Default)]
struct ScreenVertex {
    x: f32,
    y: f32,
    inv_z: f32,
    /// (x, y) snapped to the fixed-point sub-sample grid.
    fixed: [i32; 2],
}

impl ScreenVertex {
    /// The vertex at supersampled (x, y) with inverse depth `inv_z`.
    fn at(x: f32, y: f32, inv_z: f32) -> ScreenVertex {
        let fixed = [x, y].map(|c| floor(c * SUBSAMPLE + 0.5) as i32);
        ScreenVertex { x, y, inv_z, fixed }
    }
}

/// Cluster indices of one chunk of the mesh's clusters, grouped by band in order.
#[derive(Default)]
struct Bins {
    /// `per_band[b]` holds the clusters that may touch band b.
    per_band: Vec<Vec<u32>>,
}

/// Where a cluster falls on the supersampled screen: bounds of its
/// projection (a little wide, against rounding) and its nearest inverse
/// depth. Every face of the cluster lies within.
#[derive(Clone, Copy)]
struct Footprint {
    x: [f32; 2],
    y: [f32; 2],
    nearest: f32,
}

/// Buffers reused from frame to frame.
#[derive(Default)]
pub struct Renderer {
    screen: Vec<ScreenVertex>,
    /// Per cluster of the mesh: its footprint, or None where it reaches
    /// behind the near plane or off the sample grid.
    footprints: Vec<Option<Footprint>>,
    /// Per supersampled row: its band (a table spares a division per face).
    band_of_row: Vec<u32>,
    bins: Vec<Bins>,
    /// Per output pixel: samples that hit a surface, and their mean inverse depth.
    hits: Vec<u16>,
    inv_z: Vec<f32>,
}

/// Renders `mesh` from `camera`, `samples` × `samples` per pixel.
pub fn render(mesh: &RenderMesh, camera: &Camera, samples: u32) -> RgbImage {
    Renderer::default().render(mesh, camera, samples)
}

/// Renders like `render`, but leaves `background` where no surface is hit
/// (so that coverage can be measured).
pub fn render_over(
    mesh: &RenderMesh,
    camera: &Camera,
    samples: u32,
    background: [u8; 3],
) -> RgbImage {
    Renderer::default().render_over(mesh, camera, samples, background)
}

impl Renderer {
    /// Renders `mesh` from `camera`, `samples` × `samples` per pixel; pixels
    /// that see no surface are filled from the surfaces around them.
    pub fn render(&mut self, mesh: &RenderMesh, camera: &Camera, samples: u32) -> RgbImage {
        let mut image = self.render_over(mesh, camera, samples, BACKGROUND);
        let s = samples_per_side(samples) as u16;
        let coverage = Coverage {
            hits: &self.hits,
            inv_z: &self.inv_z,
            full: s * s,
        };
        fill_uncovered(&mut image, &coverage, BACKGROUND);
        image
    }

    /// Per output pixel of the last render: how many samples hit a surface.
    pub fn hits(&self) -> &[u16] {
        &self.hits
    }

    /// Renders like `render`, but leaves `background` where no surface is hit.
    pub fn render_over(
        &mut self,
        mesh: &RenderMesh,
        camera: &Camera,
        samples: u32,
        background: [u8; 3],
    ) -> RgbImage {
        self.draw(mesh, camera, samples, Some(background))
    }

    /// Per output pixel, how many of its samples see a surface from `camera`:
    /// a render without the colours, for coverage searches.
    pub fn cover(&mut self, mesh: &RenderMesh, camera: &Camera, samples: u32) -> &[u16] {
        self.draw(mesh, camera, samples, None);
        &self.hits
    }

    /// Draws the frame; shades it over `background` when one is given,
    /// otherwise only counts the samples that hit (and returns a black image).
    fn draw(
        &mut self,
        mesh: &RenderMesh,
        camera: &Camera,
        samples: u32,
        background: Option<[u8; 3]>,
    ) -> RgbImage {
        let s = samples_per_side(samples) as usize;
        let (w, h) = (camera.width as usize * s, camera.height as usize * s);
        let band_rows = BAND_OUT_ROWS * s;
        let band_count = h.div_ceil(band_rows).max(1);
        let (faces, vertices) = mesh.drawn(camera);
        project(
            &mesh.positions[..vertices],
            camera,
            s as f32,
            &mut self.screen,
        );
        self.bin(&mesh.clusters, camera, faces, s, band_rows, band_count);
        let mut out = RgbImage::new(camera.width, camera.height);
        let out_w = camera.width as usize;
        // Not cleared: the resolve writes every pixel's.
        self.hits.resize(out_w * camera.height as usize, 0);
        self.inv_z.resize(out_w * camera.height as usize, 0.0);
        let band_pixels = (out_w * BAND_OUT_ROWS).max(1);
        let (screen, bins, footprints) = (&self.screen, &self.bins, &self.footprints);
        let occluders = mesh.occluders;
        let reprojection = Reprojection::new(camera, s as f32, &mesh.photo_camera);
        let last_texels = [last_texel(mesh.atlas.texture()), last_texel(&mesh.photo)];
        // Counting hits needs no depth order: a face only over samples
        // already hit, however near, changes no count.
        let depth_order = |nearest: f32| if background.is_some() { nearest } else { 0.0 };
        let resolve_band = match s {
            1 => resolve::<1>,
            2 => resolve::<2>,
            3 => resolve::<3>,
            _ => resolve::<4>,
        };
        out.par_chunks_mut(band_pixels * 3)
            .zip(self.hits.par_chunks_mut(band_pixels))
            .zip(self.inv_z.par_chunks_mut(band_pixels))
            .enumerate()
            .for_each_init(
                || {
                    (
                        Vec::new(),
                        Vec::new(),
                        ResolveScratch::default(),
                        Vec::new(),
                    )
                },
                |(ids, depth, scratch, farthest), (band, ((rows_out, hits), inv_z))| {
                    let y0 = band * band_rows;
                    let rows = band_rows.min(h - y0);
                    ids.clear();
                    ids.resize(band_samples(w, rows), NO_TRIANGLE);
                    depth.clear();
                    depth.resize(band_samples(w, rows), 0f32);
                    let mut target = Band {
                        ids,
                        depth,
                        w,
                        y0,
                        rows,
                    };
                    // Clusters, and so face ids, ascend through the chunks:
                    // the occluders come first.
                    let mut tiles = None;
                    for &c in bins.iter().flat_map(|chunk| &chunk.per_band[band]) {
                        let [first, end] = mesh.clusters[c as usize].faces.map(|f| f as usize);
                        if let Some(print) = footprints[c as usize] {
                            let Some(bounds) = target.samples_within(print.x, print.y) else {
                                continue;
                            };
                            // Hidden whole: every face would be culled below.
                            if first >= occluders
                                && hidden(
                                    &mut tiles,
                                    &target,
                                    farthest,
                                    depth_order(print.nearest),
                                    bounds,
                                )
                            {
                                continue;
                            }
                        }
                        for t in first..end.min(faces) {
                            let v = mesh.faces[t].map(|i| screen[i as usize]);
                            // A corner `project` could not place.
                            if v.iter().any(|v| v.inv_z == 0.0) {
                                continue;
                            }
                            let Some(bounds) = target.samples_under(v) else {
                                continue;
                            };
                            if t >= occluders
                                && hidden(
                                    &mut tiles,
                                    &target,
                                    farthest,
                                    depth_order(nearest(v)),
                                    bounds,
                                )
                            {
                                continue;
                            }
                            draw_triangle(v, t as u32, bounds, target.reborrow());
                        }
                    }
                    if let Some(tiles) = tiles {
                        *farthest = tiles.farthest;
                    }
                    let resolved = Resolved {
                        colour: rows_out,
                        hits,
                        inv_z,
                    };
                    let shading = background.map(|colour| Shading {
                        mesh,
                        screen,
                        background: colour.map(f32::from),
                        reprojection,
                        last_texels,
                    });
                    resolve_band(
                        &target,
                        Blocks {
                            of_face: &mesh.block,
                            occluders,
                        },
                        shading.as_ref(),
                        scratch,
                        resolved,
                        out_w,
                    );
                },
            );
        out
    }

    /// Finds the footprints of the clusters holding the first `faces` faces
    /// and groups the clusters by the bands they may cover, chunk by chunk
    /// in parallel. A cluster without a footprint goes to every band.
    fn bin(
        &mut self,
        clusters: &[Cluster],
        camera: &Camera,
        faces: usize,
        s: usize,
        band_rows: usize,
        band_count: usize,
    ) {
        let clusters = &clusters[..clusters.partition_point(|c| (c.faces[0] as usize) < faces)];
        let identity = camera.rotation == super::camera::IDENTITY;
        self.footprints.clear();
        self.footprints.par_extend(
            clusters
                .par_iter()
                .map(|c| footprint(c, camera, identity, s as f32)),
        );
        let chunks = clusters.len().div_ceil(CHUNK_CLUSTERS);
        self.bins.resize_with(chunks, Bins::default);
        let h = camera.height as usize * s;
        self.band_of_row.clear();
        self.band_of_row
            .extend((0..h).map(|y| (y / band_rows) as u32));
        let band_of_row = &self.band_of_row;
        self.footprints
            .par_chunks(CHUNK_CLUSTERS)
            .zip(self.bins.par_iter_mut())
            .enumerate()
            .for_each(|(chunk, (prints, bins))| {
                bins.per_band.resize_with(band_count, Vec::new);
                bins.per_band.iter_mut().for_each(Vec::clear);
                let first = (chunk * CHUNK_CLUSTERS) as u32;
                for (k, print) in prints.iter().enumerate() {
                    let bands = match print {
                        Some(print) => {
                            let (y0, y1) = sample_span(print.y[0], print.y[1], h);
                            if y0 > y1 {
                                continue;
                            }
                            band_of_row[y0 as usize]..=band_of_row[y1 as usize]
                        }
                        None => 0..=band_count as u32 - 1,
                    };
                    for b in bands {
                        bins.per_band[b as usize].push(first + k as u32);
                    }
                }
            });
    }
}

/// `samples` limited to 1..=[`MAX_SAMPLES`].
fn samples_per_side(samples: u32) -> u32 {
    samples.clamp(1, MAX_SAMPLES)
}

/// Projects vertices to supersampled pixel coordinates; vertices behind the
/// near plane or off any finite position get inv_z = 0, and their triangles
/// are skipped.
fn project(positions: &[[f32; 3]], camera: &Camera, s: f32, screen: &mut Vec<ScreenVertex>) {
    let identity = camera.rotation == super::camera::IDENTITY;
    screen.resize(positions.len(), ScreenVertex::default());
    #[cfg(target_arch = "x86_64")]
    let avx2 = std::is_x86_feature_detected!("avx2");
    screen
        .par_chunks_mut(PROJECT_CHUNK)
        .zip(positions.par_chunks(PROJECT_CHUNK))
        .for_each(|(out, positions)| {
            #[cfg(target_arch = "x86_64")]
            let done = if avx2 {
                // SAFETY: the processor has AVX2.
                unsafe { project_eights_avx2(positions, camera, identity, s, out) }
            } else {
                0
            };
            #[cfg(not(target_arch = "x86_64"))]
            let done = 0;
            for (v, p) in out[done..].iter_mut().zip(&positions[done..]) {
                *v = project_one(p, camera, identity, s);
            }
        });
}

/// Vertices per parallel task of `project`.
const PROJECT_CHUNK: usize = 1 << 12;

/// `project` for one vertex.
fn project_one(p: &[f32; 3], camera: &Camera, identity: bool, s: f32) -> ScreenVertex {
    match on_screen(p, camera, identity, s) {
        Some([x, y, inv_z]) => ScreenVertex::at(x, y, inv_z),
        None => ScreenVertex::default(),
    }
}

/// `project`'s work eight vertices at a time in AVX2 registers, up to the
/// last whole eight; returns how many it placed. Every lane does
/// `on_screen`'s and `ScreenVertex::at`'s arithmetic in their order, so the
/// vertices are identical to the bit (about 2 % of a frame's CPU less).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn project_eights_avx2(
    positions: &[[f32; 3]],
    camera: &Camera,
    identity: bool,
    s: f32,
    out: &mut [ScreenVertex],
) -> usize {
    let (t, r) = (camera.translation, camera.rotation);
    let splat = _mm256_set1_ps;
    let eights = positions.len().min(out.len()) / 8 * 8;
    for (out, p) in out[..eights]
        .chunks_exact_mut(8)
        .zip(positions.chunks_exact(8))
    {
        let p = p.as_flattened();
        // SAFETY: each load reads four of `p`'s 24 f32.
        let load = |at: usize| unsafe { _mm_loadu_ps(p[at..at + 4].as_ptr()) };
        // Vertices 0-3 in the low halves, 4-7 in the high ones.
        let m03 = _mm256_setr_m128(load(0), load(12));
        let m14 = _mm256_setr_m128(load(4), load(16));
        let m25 = _mm256_setr_m128(load(8), load(20));
        let xy = _mm256_shuffle_ps::<0b10_01_11_10>(m14, m25);
        let yz = _mm256_shuffle_ps::<0b01_00_10_01>(m03, m14);
        let c = [
            _mm256_add_ps(_mm256_shuffle_ps::<0b10_00_11_00>(m03, xy), splat(t[0])),
            _mm256_add_ps(_mm256_shuffle_ps::<0b11_01_10_00>(yz, xy), splat(t[1])),
            _mm256_add_ps(_mm256_shuffle_ps::<0b11_00_11_01>(yz, m25), splat(t[2])),
        ];
        let [x, y, z] = if identity {
            c
        } else {
            r.map(|row| {
                let xy = _mm256_add_ps(
                    _mm256_mul_ps(splat(row[0]), c[0]),
                    _mm256_mul_ps(splat(row[1]), c[1]),
                );
                _mm256_add_ps(xy, _mm256_mul_ps(splat(row[2]), c[2]))
            })
        };
        let inv_z = _mm256_div_ps(splat(1.0), z);
        let on_screen = |v: __m256, f: f32, centre: f32| {
            let seen = _mm256_mul_ps(_mm256_mul_ps(splat(f), v), inv_z);
            _mm256_mul_ps(_mm256_add_ps(seen, splat(centre)), splat(s))
        };
        let (x, y) = (
            on_screen(x, camera.fx, camera.cx),
            on_screen(y, camera.fy, camera.cy),
        );
        // Both compares are false for NaN, as `on_screen`'s.
        let on_grid = |v: __m256| {
            let size = _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(i32::MAX)));
            _mm256_cmp_ps::<_CMP_LT_OQ>(size, splat(MAX_SAMPLE_COORD))
        };
        let placed = _mm256_and_ps(
            _mm256_cmp_ps::<_CMP_GT_OQ>(z, splat(NEAR_PLANE)),
            _mm256_and_ps(on_grid(x), on_grid(y)),
        );
        // Exact: placed coordinates times SUBSAMPLE stay far inside an i32.
        let fixed = |v: __m256| {
            let snapped = _mm256_add_ps(_mm256_mul_ps(v, splat(SUBSAMPLE)), splat(0.5));
            let fixed = _mm256_cvttps_epi32(_mm256_floor_ps(snapped));
            let mut lanes = [0i32; 8];
            // SAFETY: `lanes` holds eight i32.
            unsafe {
                let placed = _mm256_and_si256(fixed, _mm256_castps_si256(placed));
                _mm256_storeu_si256(lanes.as_mut_ptr().cast(), placed);
            }
            lanes
        };
        // Unplaced vertices are all zeros, as `ScreenVertex::default`.
        let lanes = |v: __m256| {
            let mut lanes = [0f32; 8];
            // SAFETY: `lanes` holds eight f32.
            unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), _mm256_and_ps(v, placed)) };
            lanes
        };
        let (xs, ys, ws, fx, fy) = (lanes(x), lanes(y), lanes(inv_z), fixed(x), fixed(y));
        for (k, v) in out.iter_mut().enumerate() {
            *v = ScreenVertex {
                x: xs[k],
                y: ys[k],
                inv_z: ws[k],
                fixed: [fx[k], fy[k]],
            };
        }
    }
    eights
}

/// Supersampled screen position and inverse depth of point `p`, or None
/// behind the near plane or off the sample grid. `identity`: whether the
/// camera is unrotated.
#[inline(always)]
fn on_screen(p: &[f32; 3], camera: &Camera, identity: bool, s: f32) -> Option<[f32; 3]> {
    let (t, r) = (camera.translation, camera.rotation);
    let c = [p[0] + t[0], p[1] + t[1], p[2] + t[2]];
    // The identity skips the products so that unrotated views stay bit-exact.
    let [x, y, z] = if identity {
        c
    } else {
        r.map(|row| row[0] * c[0] + row[1] * c[1] + row[2] * c[2])
    };
    let inv_z = 1.0 / z;
    let x = (camera.fx * x * inv_z + camera.cx) * s;
    let y = (camera.fy * y * inv_z + camera.cy) * s;
    // Also keeps NaN, which would saturate to 0 in the integer casts of binning.
    let on_grid = |c: f32| c.abs() < MAX_SAMPLE_COORD;
    (z > NEAR_PLANE && on_grid(x) && on_grid(y)).then_some([x, y, inv_z])
}

/// Where `cluster`'s piece of frustum falls on the supersampled screen, or
/// None where a corner of it does not (see `on_screen`). The piece is the
/// projective image of a box; seen by a camera with the whole of it in
/// front, it lies within its corners' bounds, and inverse depth peaks at a
/// corner. The margins cover the rounding of each vertex's own projection.
fn footprint(cluster: &Cluster, camera: &Camera, identity: bool, s: f32) -> Option<Footprint> {
    let ([x, y], nearest) = if identity {
        unrotated_bounds(cluster, camera, s)?
    } else {
        corner_bounds(cluster, camera, s)?
    };
    let widen = |[lo, hi]: [f32; 2]| {
        let margin = 0.05 + 1e-5 * lo.abs().max(hi.abs());
        [lo - margin, hi + margin]
    };
    Some(Footprint {
        x: widen(x),
        y: widen(y),
        nearest: nearest * (1.0 + 1e-4),
    })
}

/// Screen bounds and nearest inverse depth of `cluster`'s corners from any camera.
fn corner_bounds(cluster: &Cluster, camera: &Camera, s: f32) -> Option<([[f32; 2]; 2], f32)> {
    let (lo, hi) = (cluster.lo, cluster.hi);
    let mut bounds = [[f32::INFINITY, f32::NEG_INFINITY]; 2];
    let mut nearest = 0f32;
    for corner in 0..8 {
        let pick = |k: usize| if corner >> k & 1 == 0 { lo[k] } else { hi[k] };
        let z = 1.0 / pick(2);
        let point = [pick(0) * z, pick(1) * z, z];
        let [x, y, inv_z] = on_screen(&point, camera, false, s)?;
        for (b, c) in bounds.iter_mut().zip([x, y]) {
            *b = [b[0].min(c), b[1].max(c)];
        }
        nearest = nearest.max(inv_z);
    }
    Some((bounds, nearest))
}

/// `corner_bounds` for an unrotated camera, in two divisions instead of
/// eight: a point (u, v, d) = (x/z, y/z, 1/z) lands at
/// fx·(u + tx·d)/(1 + tz·d) + cx across (and likewise down), monotonic in u
/// and in d, so each bound is at a corner, taken as each depth's extremes.
fn unrotated_bounds(cluster: &Cluster, camera: &Camera, s: f32) -> Option<([[f32; 2]; 2], f32)> {
    let (lo, hi, t) = (cluster.lo, cluster.hi, camera.translation);
    let mut bounds = [[f32::INFINITY, f32::NEG_INFINITY]; 2];
    let mut nearest = 0f32;
    for d in [lo[2], hi[2]] {
        let w = 1.0 / (1.0 + t[2] * d);
        // Camera depth 1/(d·w) beyond the near plane; false for NaN.
        if !(d * w > 0.0 && d * w < 1.0 / NEAR_PLANE) {
            return None;
        }
        let focal = [camera.fx, camera.fy];
        let centre = [camera.cx, camera.cy];
        for k in 0..2 {
            let at = |u: f32| (focal[k] * (u + t[k] * d) * w + centre[k]) * s;
            let (a, b) = (at(lo[k]), at(hi[k]));
            bounds[k] = [bounds[k][0].min(a.min(b)), bounds[k][1].max(a.max(b))];
        }
        nearest = nearest.max(d * w);
    }
    let on_grid = |[a, b]: [f32; 2]| a.abs() < MAX_SAMPLE_COORD && b.abs() < MAX_SAMPLE_COORD;
    (on_grid(bounds[0]) && on_grid(bounds[1])).then_some((bounds, nearest))
}

/// Sample indices whose centres (index + 0.5) lie in [lo, hi], clipped to 0..n;
/// empty when first > last.
fn sample_span(lo: f32, hi: f32, n: usize) -> (i64, i64) {
    let first = ceil(lo - 0.5).max(0);
    let last = floor(hi - 0.5).min(n as i64 - 1);
    (first, last)
}

/// Largest of three finite values, as one compare per pair (`f32::max`
/// also handles NaN, which costs several instructions in this hot path).
fn max3(a: f32, b: f32, c: f32) -> f32 {
    let m = if a > b { a } else { b };
    if m > c {
        m
    } else {
        c
    }
}

/// `x.floor()` as an integer without a libm call (baseline x86-64 has no
/// rounding instruction); saturates like `as`.
fn floor(x: f32) -> i64 {
    let t = x as i64;
    t - i64::from((t as f32) > x)
}

/// `x.ceil()` as an integer without a libm call; saturates like `as`.
fn ceil(x: f32) -> i64 {
    let t = x as i64;
    t + i64::from((t as f32) < x)
}

/// Samples past a band's last one, so that a group of four samples starting
/// on any sample, and the same four of the next row, can be read and
/// written whole: a row and three samples.
fn band_samples(w: usize, rows: usize) -> usize {
    w * (rows + 1) + 3
}

/// One band of the supersampled frame being drawn.
struct Band<'a> {
    /// Per sample: the triangle nearest so far, and its inverse depth (0: none);
    /// spare samples follow the band's (`band_samples`).
    ids: &'a mut [u32],
    depth: &'a mut [f32],
    w: usize,
    /// First supersampled row of the band, and its row count.
    y0: usize,
    rows: usize,
}

impl Band<'_> {
    /// Where row `y`'s inverse depths and ids start.
    fn row_starts(&mut self, y: usize) -> (*mut f32, *mut u32) {
        let at = y * self.w;
        (self.depth[at..].as_mut_ptr(), self.ids[at..].as_mut_ptr())
    }

    fn reborrow(&mut self) -> Band<'_> {
        Band {
            ids: self.ids,
            depth: self.depth,
            ..*self
        }
    }

    /// First and last sample column and row (within the band) of triangle
    /// `v`'s bounds on the fixed-point grid its edges are drawn on, or None
    /// when they hold no sample of the band. Float bounds could leave out a
    /// sample on the triangle's edge, and converting them per face cost
    /// more than these integer steps.
    fn samples_under(&self, v: [ScreenVertex; 3]) -> Option<[i64; 4]> {
        let [a, b, c] = v.map(|v| v.fixed.map(i64::from));
        let step = SUBSAMPLE as i64;
        // Samples whose centres (k·step + step/2) lie in coordinate k of the
        // corners, less `offset`, clipped to 0..n.
        let span = |k: usize, offset: i64, n: usize| {
            let lo = a[k].min(b[k]).min(c[k]) - offset - step / 2;
            let hi = a[k].max(b[k]).max(c[k]) - offset - step / 2;
            let first = (lo + step - 1).div_euclid(step).max(0);
            (first, hi.div_euclid(step).min(n as i64 - 1))
        };
        let (x0, x1) = span(0, 0, self.w);
        let (y0, y1) = span(1, self.y0 as i64 * step, self.rows);
        (x0 <= x1 && y0 <= y1).then_some([x0, x1, y0, y1])
    }

    /// First and last sample column and row (within the band) whose centres
    /// lie in screen bounds `x` × `y`, or None when there is none.
    fn samples_within(&self, x: [f32; 2], y: [f32; 2]) -> Option<[i64; 4]> {
        let (x0, x1) = sample_span(x[0], x[1], self.w);
        let y0 = self.y0 as f32;
        let (y0, y1) = sample_span(y[0] - y0, y[1] - y0, self.rows);
        (x0 <= x1 && y0 <= y1).then_some([x0, x1, y0, y1])
    }
}

/// Samples per side of the tiles over which drawn depth is summarised for culling.
const CULL_TILE: usize = 8;

/// Per tile of a band's samples, the smallest inverse depth drawn (0 where
/// any sample is still empty): a triangle nearer nowhere than that is hidden.
struct FarthestPerTile {
    farthest: Vec<f32>,
    columns: usize,
}

impl FarthestPerTile {
    /// The tiles of `band` as drawn so far, in `buffer`'s storage.
    fn of(band: &Band, mut buffer: Vec<f32>) -> FarthestPerTile {
        let columns = band.w.div_ceil(CULL_TILE);
        buffer.clear();
        buffer.resize(columns * band.rows.div_ceil(CULL_TILE), f32::INFINITY);
        let samples = &band.depth[..band.w * band.rows];
        let nearer = |m: f32, d: f32| if d < m { d } else { m };
        // Per column, the nearest over a tile's rows (a pass the compiler
        // vectorises: 2-4 % of a frame's CPU against going tile by tile),
        // then per tile over its columns.
        let mut per_column = vec![f32::INFINITY; band.w];
        for (tiles, rows) in buffer
            .chunks_mut(columns)
            .zip(samples.chunks(band.w * CULL_TILE))
        {
            per_column.fill(f32::INFINITY);
            for row in rows.chunks(band.w) {
                for (m, &d) in per_column.iter_mut().zip(row) {
                    *m = nearer(*m, d);
                }
            }
            for (tile, column) in tiles.iter_mut().zip(per_column.chunks(CULL_TILE)) {
                *tile = column.iter().fold(f32::INFINITY, |m, &d| nearer(m, d));
            }
        }
        FarthestPerTile {
            farthest: buffer,
            columns,
        }
    }

    /// Whether a surface no nearer than inverse depth `nearest`, over the
    /// band's samples `bounds` (`Band::samples_within`), lies behind what is
    /// drawn in every tile they touch.
    fn hides(&self, nearest: f32, [x0, x1, y0, y1]: [i64; 4]) -> bool {
        let (tx0, tx1) = (x0 as usize / CULL_TILE, x1 as usize / CULL_TILE);
        (y0 as usize / CULL_TILE..=y1 as usize / CULL_TILE).all(|ty| {
            self.farthest[ty * self.columns + tx0..=ty * self.columns + tx1]
                .iter()
                .all(|&d| d > nearest)
        })
    }
}

/// Whether a surface no nearer than `nearest` over `band`'s samples `bounds`
/// lies behind what is drawn there; the tiles are summarised on first use
/// (after the occluders), in `buffer`'s storage.
fn hidden(
    tiles: &mut Option<FarthestPerTile>,
    band: &Band,
    buffer: &mut Vec<f32>,
    nearest: f32,
    bounds: [i64; 4],
) -> bool {
    tiles
        .get_or_insert_with(|| FarthestPerTile::of(band, std::mem::take(buffer)))
        .hides(nearest, bounds)
}

/// Triangle `v`'s nearest inverse depth (at a corner: inverse depth is linear
/// on screen), with a margin for the rounding of the depth stepped across it.
fn nearest(v: [ScreenVertex; 3]) -> f32 {
    let [a, b, c] = v;
    max3(a.inv_z, b.inv_z, c.inv_z) * (1.0 + 1e-5)
}

/// Edge function of the directed edge p→q at point s, in fixed point: twice
/// the signed area of (p, q, s). Exact, so the two triangles sharing an edge
/// get exactly opposite values and no sample falls between them.
fn edge(p: [i64; 2], q: [i64; 2], s: [i64; 2]) -> i64 {
    (q[0] - p[0]) * (s[1] - p[1]) - (q[1] - p[1]) * (s[0] - p[0])
}

/// Marks the samples of triangle `id` inside a band where it is the nearest
/// surface. Samples on an edge belong to both triangles that share it.
/// `bounds`: the band's samples under the triangle (`Band::samples_under`).
fn draw_triangle(v: [ScreenVertex; 3], id: u32, bounds: [i64; 4], band: Band) {
    let [x0, x1, y0, y1] = bounds;
    let Some((edges, depth)) = stepped(v, [x0, y0 + band.y0 as i64]) else {
        return;
    };
    let bounds = [x0 as usize, x1 as usize, y0 as usize, y1 as usize];
    // The span reaches as far as the steps after the last group and rows.
    #[cfg(target_arch = "x86_64")]
    if edges.fit_i32([x1 - x0 + 4, y1 - y0 + 2]) {
        if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512vl") {
            // SAFETY: the processor has AVX-512 (F and VL) and so AVX2.
            unsafe { draw_pairs_avx512(&edges, &depth, id, bounds, band) };
        } else if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2.
            unsafe { draw_pairs_avx2(&edges, &depth, id, bounds, band) };
        } else {
            // SAFETY: SSE2 is part of every x86-64 processor.
            unsafe { draw_groups_sse2(&edges, &depth, id, bounds, band) };
        }
        return;
    }
    draw_samples(&edges, &depth, id, bounds, band);
}

/// Triangle `v`'s edge functions and inverse depth, stepped from sample
/// `first` (column, row of the frame); None when it has no area.
fn stepped(v: [ScreenVertex; 3], first: [i64; 2]) -> Option<(SteppedEdges, DepthPlane)> {
    let [a, b, c] = v;
    let fixed = |v: ScreenVertex| [i64::from(v.fixed[0]), i64::from(v.fixed[1])];
    let (pa, pb, pc) = (fixed(a), fixed(b), fixed(c));
    let area = edge(pa, pb, pc);
    if area == 0 {
        return None;
    }
    // Edge functions made non-negative inside whatever the winding.
    let sign = area.signum();
    let step = SUBSAMPLE as i64;
    let centre = [first[0] * step + step / 2, first[1] * step + step / 2];
    let edges = SteppedEdges {
        first: [
            edge(pb, pc, centre) * sign,
            edge(pc, pa, centre) * sign,
            edge(pa, pb, centre) * sign,
        ],
        dx: [
            (pb[1] - pc[1]) * step * sign,
            (pc[1] - pa[1]) * step * sign,
            (pa[1] - pb[1]) * step * sign,
        ],
        dy: [
            (pc[0] - pb[0]) * step * sign,
            (pa[0] - pc[0]) * step * sign,
            (pb[0] - pa[0]) * step * sign,
        ],
    };
    let depth = DepthPlane::of([a.inv_z, b.inv_z, c.inv_z], area.abs(), &edges);
    Some((edges, depth))
}

/// A triangle's three edge functions (non-negative inside) at its first
/// sample, and how they change per sample along x and along y.
struct SteppedEdges {
    first: [i64; 3],
    dx: [i64; 3],
    dy: [i64; 3],
}

impl SteppedEdges {
    /// Whether every value within `span` samples along x and y of the first
    /// fits an i32: all but triangles about a thousand samples across.
    #[cfg(target_arch = "x86_64")]
    fn fit_i32(&self, span: [i64; 2]) -> bool {
        (0..3).all(|k| {
            let reach =
                self.first[k].abs() + self.dx[k].abs() * span[0] + self.dy[k].abs() * span[1];
            reach <= i64::from(i32::MAX)
        })
    }

    /// The edge functions at the first sample of row `y` after the first.
    fn row(&self, y: usize) -> [i64; 3] {
        let y = y as i64;
        [
            self.first[0] + self.dy[0] * y,
            self.first[1] + self.dy[1] * y,
            self.first[2] + self.dy[2] * y,
        ]
    }
}

/// A triangle's inverse depth in terms of its edge functions: the corners'
/// inverse depths weighted by the edges opposite them, over the doubled area.
struct DepthPlane {
    corners: [f32; 3],
    inv_area: f32,
    /// Step per sample along x.
    dx: f32,
}

impl DepthPlane {
    fn of(corners: [f32; 3], area: i64, edges: &SteppedEdges) -> DepthPlane {
        let plane = DepthPlane {
            corners,
            inv_area: 1.0 / area as f32,
            dx: 0.0,
        };
        DepthPlane {
            dx: plane.at(edges.dx),
            ..plane
        }
    }

    /// The inverse depth where the edge functions are `e`.
    fn at(&self, e: [i64; 3]) -> f32 {
        let c = self.corners;
        (e[0] as f32 * c[0] + e[1] as f32 * c[1] + e[2] as f32 * c[2]) * self.inv_area
    }
}

/// `draw_triangle`'s sample loop: `[x0, x1, y0, y1]` are the band's samples
/// under the triangle.
fn draw_samples(
    edges: &SteppedEdges,
    depth: &DepthPlane,
    id: u32,
    [x0, x1, y0, y1]: [usize; 4],
    band: Band,
) {
    let dx = edges.dx;
    for y in y0..=y1 {
        let mut e = edges.row(y - y0);
        let mut inv_z = depth.at(e);
        let row = y * band.w;
        for x in x0..=x1 {
            if (e[0] | e[1] | e[2]) >= 0 && inv_z > band.depth[row + x] {
                band.depth[row + x] = inv_z;
                band.ids[row + x] = id;
            }
            e = [e[0] + dx[0], e[1] + dx[1], e[2] + dx[2]];
            inv_z += depth.dx;
        }
    }
}

/// `draw_samples` four samples at a time in SSE2 registers, for edges that
/// fit i32 over the bounds (`SteppedEdges::fit_i32`): about 10 % less CPU
/// per frame than the scalar loop on a photo's mesh.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn draw_groups_sse2(
    edges: &SteppedEdges,
    depth: &DepthPlane,
    id: u32,
    [x0, x1, y0, y1]: [usize; 4],
    band: Band,
) {
    let lanes = _mm_setr_epi32(0, 1, 2, 3);
    let lane_dx = edges.dx.map(|d| {
        let d = d as i32;
        _mm_setr_epi32(0, d, 2 * d, 3 * d)
    });
    let group_dx = edges.dx.map(|d| _mm_set1_epi32(4 * d as i32));
    let dz = depth.dx;
    let lane_dz = _mm_setr_ps(0.0, dz, 2.0 * dz, 3.0 * dz);
    let group_dz = _mm_set1_ps(4.0 * dz);
    let ids = _mm_set1_epi32(id as i32);
    for y in y0..=y1 {
        let row_e = edges.row(y - y0);
        let mut z = _mm_add_ps(_mm_set1_ps(depth.at(row_e)), lane_dz);
        let start = |k: usize| _mm_add_epi32(_mm_set1_epi32(row_e[k] as i32), lane_dx[k]);
        let mut e = [start(0), start(1), start(2)];
        let row = y * band.w;
        for x in (x0..=x1).step_by(4) {
            // Lanes past the bounds are left as they are.
            let within = _mm_cmpgt_epi32(_mm_set1_epi32((x1 - x) as i32 + 1), lanes);
            let signs = _mm_or_si128(_mm_or_si128(e[0], e[1]), e[2]);
            let inside = _mm_and_si128(within, _mm_cmpgt_epi32(signs, _mm_set1_epi32(-1)));
            // Four samples are there: the band ends late (`band_samples`).
            let depth = &mut band.depth[row + x..][..4];
            let drawn = &mut band.ids[row + x..][..4];
            // SAFETY: both slices hold four elements.
            let (d, i) = unsafe {
                (
                    _mm_loadu_ps(depth.as_ptr()),
                    _mm_loadu_si128(drawn.as_ptr().cast()),
                )
            };
            let nearer = _mm_and_si128(inside, _mm_castps_si128(_mm_cmpgt_ps(z, d)));
            let pick = |new: __m128i, old: __m128i| {
                _mm_or_si128(_mm_and_si128(nearer, new), _mm_andnot_si128(nearer, old))
            };
            let d = _mm_castsi128_ps(pick(_mm_castps_si128(z), _mm_castps_si128(d)));
            // SAFETY: as above.
            unsafe {
                _mm_storeu_ps(depth.as_mut_ptr(), d);
                _mm_storeu_si128(drawn.as_mut_ptr().cast(), pick(ids, i));
            }
            e = [
                _mm_add_epi32(e[0], group_dx[0]),
                _mm_add_epi32(e[1], group_dx[1]),
                _mm_add_epi32(e[2], group_dx[2]),
            ];
            z = _mm_add_ps(z, group_dz);
        }
    }
}

/// A triangle's edge functions and inverse depth over pairs of rows of
/// samples, four samples of each row in one AVX2 register (the upper row
/// in the low half). Each lane does the arithmetic of `draw_groups_sse2`,
/// so the two draw identical samples; the rows start from edge values
/// stepped in registers rather than recomputed per row in scalar code,
/// which was over a third of the kernel's time.
#[cfg(target_arch = "x86_64")]
struct RowPairs {
    /// Per edge, its value at the first sample of the next two rows.
    row_e: [__m256i; 3],
    /// Per edge, its step over two rows.
    rows_dy: [__m256i; 3],
    /// Per edge, its steps to each lane of a group and from group to group.
    lane_dx: [__m256i; 3],
    group_dx: [__m256i; 3],
    /// The inverse depth's steps to each lane and from group to group.
    lane_dz: __m256,
    group_dz: __m256,
    /// `DepthPlane`'s corners and its inverse area.
    corners: [__m256; 3],
    inv_area: __m256,
    /// Per lane of a row's first group, how many samples of the row are
    /// left from it on.
    span: __m256i,
}

/// One group of [`RowPairs`]: its edge values, its inverse depths, and per
/// lane how many samples of the row are left from it on (none where the
/// lane lies past the bounds).
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct PairGroup {
    e: [__m256i; 3],
    z: __m256,
    left: __m256i,
}

#[cfg(target_arch = "x86_64")]
impl RowPairs {
    /// Set up from the triangle's first sample on, over the band's samples
    /// from column x0 to x1 and down to row y1. Panics unless the band's
    /// buffers hold what the kernels reach: four samples from the last
    /// group of the row after the last.
    #[target_feature(enable = "avx2")]
    fn new(
        edges: &SteppedEdges,
        depth: &DepthPlane,
        [x0, x1, y1]: [usize; 3],
        band: &Band,
    ) -> RowPairs {
        let end = (y1 + 1) * band.w + x1 + 4;
        assert!(end <= band.depth.len() && end <= band.ids.len());
        let columns = x1 - x0 + 1;
        let lanes = _mm256_setr_epi32(0, 1, 2, 3, 0, 1, 2, 3);
        let dz = depth.dx;
        // `fit_i32` keeps every value within the bounds in an i32.
        let pair = |upper: i32, lower: i32| {
            _mm256_setr_m128i(_mm_set1_epi32(upper), _mm_set1_epi32(lower))
        };
        RowPairs {
            row_e: [0, 1, 2].map(|k| {
                let first = edges.first[k] as i32;
                pair(first, first.wrapping_add(edges.dy[k] as i32))
            }),
            rows_dy: edges.dy.map(|d| _mm256_set1_epi32(2 * d as i32)),
            lane_dx: edges
                .dx
                .map(|d| _mm256_mullo_epi32(lanes, _mm256_set1_epi32(d as i32))),
            group_dx: edges.dx.map(|d| _mm256_set1_epi32(4 * d as i32)),
            lane_dz: _mm256_setr_ps(0.0, dz, 2.0 * dz, 3.0 * dz, 0.0, dz, 2.0 * dz, 3.0 * dz),
            group_dz: _mm256_set1_ps(4.0 * dz),
            corners: depth.corners.map(|c| _mm256_set1_ps(c)),
            inv_area: _mm256_set1_ps(depth.inv_area),
            span: _mm256_sub_epi32(_mm256_set1_epi32(columns as i32), lanes),
        }
    }

    /// The first group of the next two rows (the lower one left out unless
    /// `lower`), and steps on to the two after.
    #[target_feature(enable = "avx2")]
    fn next_rows(&mut self, lower: bool) -> PairGroup {
        // `DepthPlane::at` for both rows, in its order of operations.
        let e = self.row_e.map(|e| _mm256_cvtepi32_ps(e));
        let plane = _mm256_add_ps(
            _mm256_add_ps(
                _mm256_mul_ps(e[0], self.corners[0]),
                _mm256_mul_ps(e[1], self.corners[1]),
            ),
            _mm256_mul_ps(e[2], self.corners[2]),
        );
        let group = PairGroup {
            e: [0, 1, 2].map(|k| _mm256_add_epi32(self.row_e[k], self.lane_dx[k])),
            z: _mm256_add_ps(_mm256_mul_ps(plane, self.inv_area), self.lane_dz),
            left: if lower {
                self.span
            } else {
                _mm256_blend_epi32::<0b1111_0000>(self.span, _mm256_setzero_si256())
            },
        };
        self.row_e = [0, 1, 2].map(|k| _mm256_add_epi32(self.row_e[k], self.rows_dy[k]));
        group
    }

    /// The group four samples along from `g`.
    #[target_feature(enable = "avx2")]
    fn step(&self, g: PairGroup) -> PairGroup {
        PairGroup {
            e: [0, 1, 2].map(|k| _mm256_add_epi32(g.e[k], self.group_dx[k])),
            z: _mm256_add_ps(g.z, self.group_dz),
            left: _mm256_sub_epi32(g.left, _mm256_set1_epi32(4)),
        }
    }
}

/// `draw_groups_sse2` on two rows at once ([`RowPairs`]): a triangle about
/// a pixel tall takes one step per group of columns instead of two or three.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn draw_pairs_avx2(
    edges: &SteppedEdges,
    depth: &DepthPlane,
    id: u32,
    [x0, x1, y0, y1]: [usize; 4],
    mut band: Band,
) {
    let ids = _mm256_set1_epi32(id as i32);
    let mut pairs = RowPairs::new(edges, depth, [x0, x1, y1], &band);
    for y in (y0..=y1).step_by(2) {
        let mut g = pairs.next_rows(y < y1);
        let (depths, drawn) = band.row_starts(y);
        // A `while` rather than a `step_by`, whose bounds checks cost a few per cent here.
        let mut x = x0;
        while x <= x1 {
            // Lanes past the bounds are left as they are.
            let within = _mm256_cmpgt_epi32(g.left, _mm256_setzero_si256());
            let outside =
                _mm256_srai_epi32::<31>(_mm256_or_si256(_mm256_or_si256(g.e[0], g.e[1]), g.e[2]));
            let inside = _mm256_andnot_si256(outside, within);
            // Groups that draw nothing (nearly half of them) skip the reads and writes.
            if _mm256_testz_si256(inside, inside) == 0 {
                // SAFETY: `RowPairs::new` checked that the four samples from x of both
                // rows lie in the band's buffers.
                unsafe {
                    let (depth_at, ids_at) = (depths.add(x), drawn.add(x));
                    let d = _mm256_loadu2_m128(depth_at.add(band.w), depth_at);
                    let i = _mm256_loadu2_m128i(ids_at.add(band.w).cast(), ids_at.cast());
                    let nearer = _mm256_and_ps(
                        _mm256_castsi256_ps(inside),
                        _mm256_cmp_ps::<_CMP_GT_OQ>(g.z, d),
                    );
                    _mm256_storeu2_m128(
                        depth_at.add(band.w),
                        depth_at,
                        _mm256_blendv_ps(d, g.z, nearer),
                    );
                    let i = _mm256_blendv_epi8(i, ids, _mm256_castps_si256(nearer));
                    _mm256_storeu2_m128i(ids_at.add(band.w).cast(), ids_at.cast(), i);
                }
            }
            g = pairs.step(g);
            x += 4;
        }
    }
}

/// `draw_pairs_avx2` with AVX-512's masks: the nearer samples are stored
/// under a mask, so the drawn ids are not read back and nothing is blended
/// (3–6 % less CPU per frame on coffee than `draw_pairs_avx2`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx512f,avx512vl")]
fn draw_pairs_avx512(
    edges: &SteppedEdges,
    depth: &DepthPlane,
    id: u32,
    [x0, x1, y0, y1]: [usize; 4],
    mut band: Band,
) {
    let ids = _mm_set1_epi32(id as i32);
    let mut pairs = RowPairs::new(edges, depth, [x0, x1, y1], &band);
    for y in (y0..=y1).step_by(2) {
        let mut g = pairs.next_rows(y < y1);
        let (depths, drawn) = band.row_starts(y);
        let mut x = x0;
        while x <= x1 {
            let within = _mm256_cmpgt_epi32_mask(g.left, _mm256_setzero_si256());
            let signs = _mm256_or_si256(_mm256_or_si256(g.e[0], g.e[1]), g.e[2]);
            let inside = _mm256_mask_cmpgt_epi32_mask(within, signs, _mm256_set1_epi32(-1));
            // Groups that draw nothing (nearly half of them) skip the reads and writes.
            if inside != 0 {
                // SAFETY: `RowPairs::new` checked that the four samples from x of both
                // rows lie in the band's buffers.
                unsafe {
                    let (depth_at, ids_at) = (depths.add(x), drawn.add(x));
                    let d = _mm256_loadu2_m128(depth_at.add(band.w), depth_at);
                    let nearer = _mm256_mask_cmp_ps_mask::<_CMP_GT_OQ>(inside, g.z, d);
                    let (upper, lower) = (nearer & 0xf, nearer >> 4);
                    _mm_mask_storeu_ps(depth_at, upper, _mm256_castps256_ps128(g.z));
                    _mm_mask_storeu_ps(
                        depth_at.add(band.w),
                        lower,
                        _mm256_extractf128_ps::<1>(g.z),
                    );
                    _mm_mask_storeu_epi32(ids_at.cast(), upper, ids);
                    _mm_mask_storeu_epi32(ids_at.add(band.w).cast(), lower, ids);
                }
            }
            g = pairs.step(g);
            x += 4;
        }
    }
}

/// What shading a triangle needs: its corners on screen and its paint.
struct Shading<'a> {
    mesh: &'a RenderMesh,
    screen: &'a [ScreenVertex],
    background: [f32; 3],
    reprojection: Reprojection,
    /// The `last_texel` of the atlas, then of the photo.
    last_texels: [[f32; 2]; 2],
}

impl<'a> Shading<'a> {
    /// How textured triangle `t` reads its texture; None for vertex colours.
    #[inline(always)]
    fn texel_map(&self, t: u32) -> Option<TexelMap<'a>> {
        let (mesh, [atlas, photo]) = (self.mesh, self.last_texels);
        let (texture, held, last, scale, offset) = match mesh.paint[t as usize] {
            Paint::Colours(_) => return None,
            Paint::Texture { held, offset } => {
                (mesh.atlas.texture(), held, atlas, [1.0; 2], offset)
            }
            Paint::Photo { held } => {
                let scale = mesh.photo_camera.photo_scale;
                (&mesh.photo, held, photo, scale, [-0.5; 2])
            }
        };
        Some(TexelMap {
            reads: TexelReads {
                texels: Texels::of(texture),
                scale,
                offset,
            },
            bounds: texel_bounds(held, last),
        })
    }

    /// Triangle `t`'s [`TexelMap::bounds`] where it reads its texture as
    /// `paint` does (the same texture, scale and offset), so that one run
    /// of pixels may read for both; None where it reads otherwise.
    #[inline(always)]
    fn bounds_alike(&self, paint: &Paint, t: u32) -> Option<[[f32; 2]; 2]> {
        let [atlas, photo] = self.last_texels;
        match (paint, &self.mesh.paint[t as usize]) {
            (Paint::Texture { offset: p, .. }, Paint::Texture { held, offset }) if p == offset => {
                Some(texel_bounds(*held, atlas))
            }
            (Paint::Photo { .. }, Paint::Photo { held }) => Some(texel_bounds(*held, photo)),
            _ => None,
        }
    }

    /// The colour of triangle `t` at supersampled point (x, y), where its
    /// inverse depth is `inv_z`.
    fn colour(&self, recent: &mut RecentPlanes, t: u32, [x, y]: [f32; 2], inv_z: f32) -> [f32; 3] {
        match self.texel_map(t) {
            Some(map) => map.colour(self.reprojection.at(x, y, inv_z)),
            None => recent.plane(self, t, x, y).colour(x, y),
        }
    }

    /// Vertex-coloured triangle `t`'s colour plane, set up at supersampled point (x0, y0).
    // Hot: written without array `map`s, which the compiler leaves as calls here.
    fn plane(&self, t: u32, x0: f32, y0: f32) -> Plane {
        let mesh = self.mesh;
        // Textured triangles are shaded through `texel_map` instead.
        let Paint::Colours(colours) = &mesh.paint[t as usize] else {
            return Plane::UNSET;
        };
        let [ia, ib, ic] = mesh.faces[t as usize];
        let (a, b, c) = (
            self.screen[ia as usize],
            self.screen[ib as usize],
            self.screen[ic as usize],
        );
        // Edge functions at (x0, y0) and their steps along x and y.
        let e = [
            (b.x - x0) * (c.y - y0) - (b.y - y0) * (c.x - x0),
            (c.x - x0) * (a.y - y0) - (c.y - y0) * (a.x - x0),
            (a.x - x0) * (b.y - y0) - (a.y - y0) * (b.x - x0),
        ];
        let ex = [b.y - c.y, c.y - a.y, a.y - b.y];
        let ey = [c.x - b.x, a.x - c.x, b.x - a.x];
        // Perspective-correct interpolation: an attribute is Σ eᵢ·wᵢ·attrᵢ
        // over Σ eᵢ·wᵢ (the area cancels out), both affine on screen.
        let w = [a.inv_z, b.inv_z, c.inv_z];
        let affine = |attr: [f32; 3]| {
            let (p0, p1, p2) = (w[0] * attr[0], w[1] * attr[1], w[2] * attr[2]);
            [
                e[0] * p0 + e[1] * p1 + e[2] * p2,
                ex[0] * p0 + ex[1] * p1 + ex[2] * p2,
                ey[0] * p0 + ey[1] * p1 + ey[2] * p2,
            ]
        };
        let channel = |k: usize| {
            let [ca, cb, cc] = colours;
            affine([f32::from(ca[k]), f32::from(cb[k]), f32::from(cc[k])])
        };
        Plane {
            origin: [x0, y0],
            numerators: [channel(0), channel(1), channel(2)],
            denominator: affine([1.0; 3]),
        }
    }
}

/// The last texel coordinates (u, v) that reads of `texture` are held at:
/// short of its last texel, so that its right and lower neighbours
/// (weighted 0 there) can be read.
fn last_texel(texture: &RgbImage) -> [f32; 2] {
    let last = |n: u32| (n as f32 - 1.0 - 1.0 / 256.0).clamp(0.0, MAX_TEXEL);
    [last(texture.width()), last(texture.height())]
}

/// The range that texel reads of a triangle held in `held` stay in, on a
/// texture whose `last_texel` is `last`.
#[inline(always)]
fn texel_bounds(held: Held, last: [f32; 2]) -> [[f32; 2]; 2] {
    let bound = |[lo, hi]: [f32; 2], last: f32| [lo.max(0.0).min(last), hi.max(0.0).min(last)];
    [bound(held[0], last[0]), bound(held[1], last[1])]
}

/// Carries a point of the frame back to where the photo's camera saw it
/// (working pixels, centres at +½): the point's x·d, y·d and d there are
/// affine in the supersampled screen position and inverse depth.
#[derive(Clone, Copy)]
struct Reprojection {
    /// Per output, its factors of (x, y, 1, inverse depth).
    rows: [[f32; 4]; 3],
}

impl Reprojection {
    fn new(camera: &Camera, s: f32, photo: &PhotoCamera) -> Reprojection {
        // The ray through supersampled (x, y) at depth 1, in the camera's frame.
        let (ax, bx) = (1.0 / (s * camera.fx), -camera.cx / camera.fx);
        let (ay, by) = (1.0 / (s * camera.fy), -camera.cy / camera.fy);
        let (r, t) = (camera.rotation, camera.translation);
        // The camera sees point p at R·(p + t), so p = Rᵀ·ray/w − t, and p·w
        // is affine in (x, y, 1, w).
        let axis = |i: usize| {
            [
                r[0][i] * ax,
                r[1][i] * ay,
                r[0][i] * bx + r[1][i] * by + r[2][i],
                -t[i],
            ]
        };
        let (px, py, pz) = (axis(0), axis(1), axis(2));
        let seen = |p: [f32; 4], f: f32, c: f32| [0, 1, 2, 3].map(|k| f * p[k] + c * pz[k]);
        let k = &photo.intrinsics;
        Reprojection {
            rows: [seen(px, k.fx, k.cx), seen(py, k.fy, k.cy), pz],
        }
    }

    /// Where the photo's camera saw the point at supersampled (x, y) and
    /// inverse depth w.
    #[inline(always)]
    fn at(&self, x: f32, y: f32, w: f32) -> [f32; 2] {
        let affine = |r: &[f32; 4]| r[0] * x + r[1] * y + r[2] + r[3] * w;
        let d = 1.0 / affine(&self.rows[2]);
        [affine(&self.rows[0]) * d, affine(&self.rows[1]) * d]
    }
}

/// How the textured triangles of one texture and placing read it: at the
/// point where the photo's camera saw it, times `scale`, plus `offset`.
#[derive(Clone, Copy)]
struct TexelReads<'a> {
    texels: Texels<'a>,
    scale: [f32; 2],
    offset: [f32; 2],
}

/// How one textured triangle reads its texture: as `reads`, held in its own texels.
#[derive(Clone, Copy)]
struct TexelMap<'a> {
    reads: TexelReads<'a>,
    /// Per texel coordinate, the range it is held in.
    bounds: [[f32; 2]; 2],
}

impl TexelMap<'_> {
    /// The colour, in levels, where the photo's camera saw `point`.
    #[inline(always)]
    fn colour(&self, point: [f32; 2]) -> [f32; 3] {
        let [r, g, b] = self.reads.texels.bilinear(self.texel(point));
        let level = 1.0 / TEXEL_ONE as f32;
        [r as f32 * level, g as f32 * level, b as f32 * level]
    }

    /// The texel coordinates of photo point `point`, held in the surface's
    /// own texels, in 1/256 texel.
    #[inline(always)]
    fn texel(&self, point: [f32; 2]) -> [u32; 2] {
        self.reads.texel(point, self.bounds)
    }
}

impl TexelReads<'_> {
    /// The texel coordinates of photo point `point`, held in `bounds` (per
    /// coordinate), in 1/256 texel.
    #[inline(always)]
    fn texel(&self, point: [f32; 2], bounds: [[f32; 2]; 2]) -> [u32; 2] {
        [0, 1].map(|k| hold(point[k] * self.scale[k] + self.offset[k], bounds[k]))
    }

    /// Writes the colours of a run of pixels whose centres lie at (x, y),
    /// (x + step, y), … with inverse depths `inv_z` into pixels `first`… of
    /// `row` (three bytes per pixel), each held in its own `bounds`. It may
    /// also write bytes of up to five pixels past the run, as if the run went
    /// on: the caller shades those after.
    #[inline(always)]
    fn shade_run(
        &self,
        to_photo: &Reprojection,
        [x, y, step]: [f32; 3],
        inv_z: &[f32],
        bounds: &RunBounds,
        row: &mut [u8],
        first: usize,
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2.
            unsafe { self.shade_run_avx2(to_photo, [x, y, step], inv_z, bounds, row, first) };
            return;
        }
        let out = &mut row[3 * first..][..3 * inv_z.len()];
        for (k, (pixel, &w)) in out.chunks_exact_mut(3).zip(inv_z).enumerate() {
            let texel = self.texel(to_photo.at(x + k as f32 * step, y, w), bounds.of(k));
            pixel.copy_from_slice(&self.texels.bilinear_levels(texel));
        }
    }

    /// `shade_run` with texel coordinates, reads and blends kept in
    /// registers: coordinates eight pixels at a time, blends four at a time.
    /// Storing the coordinates and reloading them lane by lane cost more
    /// than the blend.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn shade_run_avx2(
        &self,
        to_photo: &Reprojection,
        [x, y, step]: [f32; 3],
        inv_z: &[f32],
        bounds: &RunBounds,
        row: &mut [u8],
        first: usize,
    ) {
        for (chunk, depths) in inv_z.chunks(RUN_LANES).enumerate() {
            let points = RunPoints {
                x: x + (chunk * RUN_LANES) as f32 * step,
                y,
                step,
                w: run_depths(depths),
            };
            let held = bounds.lanes_avx2(chunk * RUN_LANES);
            let [us, vs] = self.texel_lanes_avx2(to_photo, points, held);
            let halves = [
                (_mm256_castsi256_si128(us), _mm256_castsi256_si128(vs)),
                (
                    _mm256_extracti128_si256::<1>(us),
                    _mm256_extracti128_si256::<1>(vs),
                ),
            ];
            let start = first + chunk * RUN_LANES;
            for (half, (us, vs)) in halves.into_iter().enumerate() {
                let pixels = depths.len().saturating_sub(4 * half).min(4);
                if pixels == 0 {
                    break;
                }
                self.shade_four(us, vs, &mut row[3 * (start + 4 * half)..], pixels);
            }
        }
    }

    /// Writes the blends at four texels (u and v one per lane) as the first
    /// `pixels` pixels of `out`; with room, as sixteen bytes.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    #[inline]
    fn shade_four(&self, us: __m128i, vs: __m128i, out: &mut [u8], pixels: usize) {
        let Some(levels) = self.texels.bilinear4_avx2(us, vs) else {
            let (mut u, mut v) = ([0u32; 4], [0u32; 4]);
            // SAFETY: `u` and `v` hold four u32 each.
            unsafe {
                _mm_storeu_si128(u.as_mut_ptr().cast(), us);
                _mm_storeu_si128(v.as_mut_ptr().cast(), vs);
            }
            for (k, pixel) in out.chunks_exact_mut(3).take(pixels).enumerate() {
                pixel.copy_from_slice(&self.texels.bilinear_levels([u[k], v[k]]));
            }
            return;
        };
        match out.get_mut(..16) {
            // SAFETY: `sixteen` holds sixteen bytes.
            Some(sixteen) => unsafe { _mm_storeu_si128(sixteen.as_mut_ptr().cast(), levels) },
            None => {
                let mut bytes = [0u8; 16];
                // SAFETY: as above.
                unsafe { _mm_storeu_si128(bytes.as_mut_ptr().cast(), levels) };
                out[..3 * pixels].copy_from_slice(&bytes[..3 * pixels]);
            }
        }
    }

    /// The u and the v of `texel` at each of `points`, one point per lane
    /// held in its lane of `bounds` (low and high, per coordinate), equal to
    /// `texel` to the bit. The compiler turned a scalar loop's holds into a
    /// branch per lane, which cost 2 % of a frame's CPU.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    #[inline]
    fn texel_lanes_avx2(
        &self,
        to_photo: &Reprojection,
        points: RunPoints,
        bounds: [[__m256; 2]; 2],
    ) -> [__m256i; 2] {
        let RunPoints { x, y, step, w } = points;
        let lanes = _mm256_setr_ps(0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0);
        let xs = _mm256_add_ps(
            _mm256_set1_ps(x),
            _mm256_mul_ps(lanes, _mm256_set1_ps(step)),
        );
        // SAFETY: `w` holds eight f32.
        let ws = unsafe { _mm256_loadu_ps(w.as_ptr()) };
        // Summed in `Reprojection::at`'s order, so that each lane equals `texel`.
        let affine = |r: &[f32; 4]| {
            let along = _mm256_add_ps(
                _mm256_mul_ps(_mm256_set1_ps(r[0]), xs),
                _mm256_set1_ps(r[1] * y),
            );
            _mm256_add_ps(
                _mm256_add_ps(along, _mm256_set1_ps(r[2])),
                _mm256_mul_ps(_mm256_set1_ps(r[3]), ws),
            )
        };
        let rows = &to_photo.rows;
        let d = _mm256_div_ps(_mm256_set1_ps(1.0), affine(&rows[2]));
        let held = |k: usize| {
            let point = _mm256_mul_ps(affine(&rows[k]), d);
            let c = _mm256_add_ps(
                _mm256_mul_ps(point, _mm256_set1_ps(self.scale[k])),
                _mm256_set1_ps(self.offset[k]),
            );
            // max and min pass their second operand where the first is NaN.
            let [lo, hi] = bounds[k];
            let c = _mm256_min_ps(_mm256_max_ps(c, lo), hi);
            let biased = _mm256_add_ps(
                _mm256_mul_ps(c, _mm256_set1_ps(256.0)),
                _mm256_set1_ps(ROUNDING_BIAS),
            );
            _mm256_and_si256(
                _mm256_castps_si256(biased),
                _mm256_set1_epi32((1 << 22) - 1),
            )
        };
        [held(0), held(1)]
    }
}

/// Texel coordinate `c` held in `[lo, hi]`, in 1/256 texel.
#[inline(always)]
fn hold(c: f32, [lo, hi]: [f32; 2]) -> u32 {
    // Compares rather than `f32::max`/`min`, which cost extra
    // instructions for NaN (a NaN takes the lower bound here).
    let c = if c > lo { c } else { lo };
    let c = if c < hi { c } else { hi };
    // Rounded to the nearest integer by adding 1.5·2^23, which leaves it
    // in the low mantissa bits: unlike an `as` cast, this vectorises.
    // Exact while c·256 < 2^22, which `MAX_TEXEL` keeps.
    (c * 256.0 + ROUNDING_BIAS).to_bits() & ((1 << 22) - 1)
}

/// Per pixel of a run, the range its triangle's texel reads are held in
/// (see [`TexelMap::bounds`]), as the low and high u, then v, each list
/// padded to whole `RUN_LANES` with the run's last: a run's triangles may
/// change from pixel to pixel.
#[derive(Default)]
struct RunBounds {
    lists: [Vec<f32>; 4],
}

impl RunBounds {
    /// Gathers the bounds of the run from the first of `ids` (a textured
    /// triangle) on: the pixels whose triangles read their texture as the
    /// first's does. Returns the run's length.
    #[inline(always)]
    fn gather(&mut self, shading: &Shading, ids: &[u32]) -> usize {
        // `fill` writes whole lanes, up to `RUN_LANES` past the last id.
        let room = ids.len() + RUN_LANES;
        for list in &mut self.lists {
            if list.len() < room {
                list.resize(room, 0.0);
            }
        }
        let paint = &shading.mesh.paint[ids[0] as usize];
        let mut len = 0;
        while let Some(bounds) = ids
            .get(len)
            .filter(|&&id| id != NO_TRIANGLE)
            .and_then(|&id| shading.bounds_alike(paint, id))
        {
            let id = ids[len];
            let end = len + ids[len..].iter().take_while(|&&i| i == id).count();
            self.fill(len, end, bounds);
            len = end;
        }
        // The lanes past the run's end.
        self.fill(len, len, self.of(len - 1));
        len
    }

    /// Sets the bounds of pixels `from..end` to `bounds`, and of up to
    /// `RUN_LANES` pixels past it, in whole lanes (which cost less than
    /// stopping at the end): later pixels overwrite them.
    #[inline(always)]
    fn fill(&mut self, from: usize, end: usize, [[lo_u, hi_u], [lo_v, hi_v]]: [[f32; 2]; 2]) {
        for (list, value) in self.lists.iter_mut().zip([lo_u, hi_u, lo_v, hi_v]) {
            let mut k = from;
            loop {
                list[k..k + RUN_LANES].copy_from_slice(&[value; RUN_LANES]);
                k += RUN_LANES;
                if k >= end {
                    break;
                }
            }
        }
    }

    /// Pixel `k`'s bounds, per texel coordinate.
    #[inline(always)]
    fn of(&self, k: usize) -> [[f32; 2]; 2] {
        let [a, b, c, d] = &self.lists;
        [[a[k], b[k]], [c[k], d[k]]]
    }

    /// The bounds of pixels `from..from + RUN_LANES`, one per lane.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    #[inline]
    fn lanes_avx2(&self, from: usize) -> [[__m256; 2]; 2] {
        let [a, b, c, d] = self.lists.each_ref().map(|list| {
            let eight = &list[from..from + RUN_LANES];
            // SAFETY: `eight` holds eight f32.
            unsafe { _mm256_loadu_ps(eight.as_ptr()) }
        });
        [[a, b], [c, d]]
    }
}

/// `RUN_LANES` points of a run: from supersampled (x, y) on, `step` apart
/// along x, at inverse depths `w`.
#[derive(Clone, Copy)]
struct RunPoints {
    x: f32,
    y: f32,
    step: f32,
    w: [f32; RUN_LANES],
}

/// The inverse depths of up to `RUN_LANES` pixels of a run, as lanes: those
/// past the run's end repeat its last depth.
#[inline(always)]
fn run_depths(depths: &[f32]) -> [f32; RUN_LANES] {
    std::array::from_fn(|k| depths[k.min(depths.len() - 1)])
}

/// A vertex-coloured triangle's colour anywhere on screen: each channel is
/// a ratio of two functions affine in (x, y), set up once and kept while
/// nearby pixels see the same triangle.
#[derive(Clone)]
struct Plane {
    origin: [f32; 2],
    /// Value at the origin and steps per sample along x and y of each
    /// channel's numerator.
    numerators: [[f32; 3]; 3],
    denominator: [f32; 3],
}

impl Plane {
    /// A placeholder for slots not yet set up.
    const UNSET: Plane = Plane {
        origin: [0.0; 2],
        numerators: [[0.0; 3]; 3],
        denominator: [1.0, 0.0, 0.0],
    };

    /// The colour at supersampled point (x, y), in levels.
    #[inline(always)]
    fn colour(&self, x: f32, y: f32) -> [f32; 3] {
        let (dx, dy) = (x - self.origin[0], y - self.origin[1]);
        let affine = |f: &[f32; 3]| f[0] + f[1] * dx + f[2] * dy;
        let norm = 1.0 / affine(&self.denominator);
        let at = |k: usize| affine(&self.numerators[k]) * norm;
        [at(0), at(1), at(2)]
    }

    /// Writes the colours of a run of pixels whose centres lie at (x, y),
    /// (x + step, y), … into `out` (three bytes per pixel).
    #[inline(always)]
    fn shade_run(&self, x: f32, y: f32, step: f32, out: &mut [u8]) {
        for (k, pixel) in out.chunks_exact_mut(3).enumerate() {
            write_levels(pixel, self.colour(x + k as f32 * step, y));
        }
    }
}

/// Writes a colour's channels rounded to levels 0..=255 into `pixel`.
// Hot: written without array `map`s, which the compiler leaves as calls here.
#[inline(always)]
fn write_levels(pixel: &mut [u8], colour: [f32; 3]) {
    for (level, c) in pixel.iter_mut().zip(colour) {
        *level = (c + 0.5).clamp(0.0, 255.0) as u8;
    }
}

/// Planes of the triangles shaded lately in a band, one slot per triangle
/// id modulo the slot count: a pixel mostly sees the triangles that its
/// neighbours in this row and the rows above saw (a few rows per triangle).
#[derive(Default)]
struct RecentPlanes {
    ids: Vec<u32>,
    planes: Vec<Plane>,
}

/// Slots of `RecentPlanes` (a power of two): a row of 960 pixels sees a few
/// hundred triangles.
const PLANE_SLOTS: usize = 1024;

impl RecentPlanes {
    /// Empties the slots for a new band (bands set up their own planes, so
    /// that frames do not depend on how bands are shared among threads).
    fn clear(&mut self) {
        self.ids.clear();
        self.ids.resize(PLANE_SLOTS, NO_TRIANGLE);
        self.planes.resize(PLANE_SLOTS, Plane::UNSET);
    }

    /// Triangle `t`'s plane, set up at supersampled point (x, y) if it is
    /// not at hand.
    #[inline(always)]
    fn plane(&mut self, shading: &Shading, t: u32, x: f32, y: f32) -> &Plane {
        let k = t as usize % PLANE_SLOTS;
        if self.ids[k] != t {
            self.planes[k] = shading.plane(t, x, y);
            self.ids[k] = t;
        }
        &self.planes[k]
    }
}

/// Pixels of a run whose texel coordinates are computed together (one AVX2
/// register; runs average about 8 pixels).
const RUN_LANES: usize = 8;

/// Added to a float below 2^22 to round it to an integer in its mantissa.
const ROUNDING_BIAS: f32 = 12_582_912.0;

/// Largest texel coordinate a plane reads (1/256 texel short of 2^14, so
/// that it stays below 2^22 in 1/256 texel). Textures are narrower: the
/// atlas of a 100-megapixel working size is about 13,000 texels wide.
const MAX_TEXEL: f32 = 16_384.0 - 1.0 / 256.0;

/// One level in the fixed point of `Texels::bilinear`'s channels.
const TEXEL_ONE: u32 = 1 << 16;

/// A texture as bilinear reads take it.
#[derive(Clone, Copy)]
struct Texels<'a> {
    raw: &'a [u8],
    width: usize,
    /// Offsets of the right and lower neighbour of a texel (0 in a texture
    /// one texel wide or high).
    right: usize,
    down: usize,
}

impl<'a> Texels<'a> {
    fn of(texture: &'a RgbImage) -> Self {
        let (w, h) = (texture.width() as usize, texture.height() as usize);
        Texels {
            raw: texture.as_raw(),
            width: w,
            right: if w > 1 { 3 } else { 0 },
            down: if h > 1 { 3 * w } else { 0 },
        }
    }

    /// The texture at texel coordinates (u, v) in 1/256 texel, texel
    /// centres at whole texels, in 1/`TEXEL_ONE` levels. The coordinates
    /// must leave room for the right and lower neighbour (see
    /// `Shading::textured_plane`); elsewhere the colour is black.
    // Hot: integer weights; red and blue are blended together, 32 bits apart
    // in a u64; the four texels are read as two slices, so one bounds check each.
    #[inline(always)]
    fn bilinear(&self, [u, v]: [u32; 2]) -> [u32; 3] {
        let (x0, y0) = ((u >> 8) as usize, (v >> 8) as usize);
        let (fx, fy) = (u & 255, v & 255);
        let i = 3 * (y0 * self.width + x0);
        let (Some(top), Some(bottom)) = (
            self.raw.get(i..i + self.right + 3),
            self.raw.get(i + self.down..i + self.down + self.right + 3),
        ) else {
            return [0; 3];
        };
        let r = self.right;
        let red_blue = |t: &[u8]| u64::from(t[0]) | u64::from(t[2]) << 32;
        let blend = |a: u64, b: u64, f: u32| a * u64::from(256 - f) + b * u64::from(f);
        let upper = blend(red_blue(top), red_blue(&top[r..]), fx);
        let lower = blend(red_blue(bottom), red_blue(&bottom[r..]), fx);
        let rb = blend(upper, lower, fy);
        let green = |t: &[u8]| u32::from(t[1]) * (256 - fx) + u32::from(t[r + 1]) * fx;
        let g = green(top) * (256 - fy) + green(bottom) * fy;
        [rb as u32, g, (rb >> 32) as u32]
    }

    /// `bilinear` rounded to levels; on x86-64 in SSE2 registers where the
    /// 8 bytes from each of its upper and lower left texels can be read
    /// (everywhere but a texture's last texels): the scalar blend cost
    /// about a sixth of a frame's CPU.
    #[inline(always)]
    fn bilinear_levels(&self, texel: [u32; 2]) -> [u8; 3] {
        // SAFETY: SSE2 is part of every x86-64 processor.
        #[cfg(target_arch = "x86_64")]
        if let Some(levels) = unsafe { self.bilinear_sse2(texel) } {
            return levels;
        }
        let [r, g, b] = self.bilinear(texel);
        let round = |c: u32| ((c + TEXEL_ONE / 2) / TEXEL_ONE) as u8;
        [round(r), round(g), round(b)]
    }

    /// `bilinear_levels` with the four texels' channels blended side by side
    /// in 16-bit lanes: first the rows (in 1/128 level, to fit `madd`'s
    /// signed lanes), then the columns, as pairs multiplied and added.
    /// Within one level of the scalar blend (the halving loses 1/256 level).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "sse2")]
    #[inline]
    fn bilinear_sse2(&self, [u, v]: [u32; 2]) -> Option<[u8; 3]> {
        if self.right != 3 {
            return None;
        }
        let (x0, y0) = ((u >> 8) as usize, (v >> 8) as usize);
        let (fx, fy) = ((u & 255) as i16, (v & 255) as i16);
        let i = 3 * (y0 * self.width + x0);
        // Red, green, blue of the left texel, of the right one, then two spare bytes.
        let eight = |at: usize| -> Option<__m128i> {
            let bytes: [u8; 8] = self.raw.get(at..at + 8)?.try_into().ok()?;
            Some(_mm_cvtsi64_si128(i64::from_le_bytes(bytes)))
        };
        let zero = _mm_setzero_si128();
        let top = _mm_unpacklo_epi8(eight(i)?, zero);
        let bottom = _mm_unpacklo_epi8(eight(i + self.down)?, zero);
        // At most 255·256 per lane, so the unsigned sum does not wrap.
        let rows = _mm_add_epi16(
            _mm_mullo_epi16(top, _mm_set1_epi16(256 - fy)),
            _mm_mullo_epi16(bottom, _mm_set1_epi16(fy)),
        );
        let rows = _mm_srli_epi16::<1>(rows);
        // Each channel of the left texel beside the same of the right one.
        let pairs = _mm_unpacklo_epi16(rows, _mm_srli_si128::<6>(rows));
        let weights = _mm_set1_epi32(i32::from(fx) << 16 | (256 - i32::from(fx)));
        let blended = _mm_madd_epi16(pairs, weights);
        let levels = _mm_srli_epi32::<15>(_mm_add_epi32(blended, _mm_set1_epi32(1 << 14)));
        let bytes = _mm_packus_epi16(_mm_packs_epi32(levels, levels), zero);
        let [r, g, b, _] = _mm_cvtsi128_si32(bytes).to_le_bytes();
        Some([r, g, b])
    }

    /// `bilinear_levels` at four texels (u and v one per lane), as four
    /// pixels of three bytes in the low twelve bytes, two texels to an AVX2
    /// register whose 128-bit halves do `bilinear_sse2`'s arithmetic, so the
    /// levels are the same: about 3 % less CPU per frame than blending one
    /// at a time. None where a read would pass the texture's end (the
    /// caller blends those one at a time).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn bilinear4_avx2(&self, us: __m128i, vs: __m128i) -> Option<__m128i> {
        // Below 2^15 texels wide the offsets fit an i32: coordinates stay below 2^14.
        if self.right != 3 || self.width >= 1 << 15 {
            return None;
        }
        let x0 = _mm_srli_epi32::<8>(us);
        let at = _mm_add_epi32(
            _mm_mullo_epi32(
                _mm_srli_epi32::<8>(vs),
                _mm_set1_epi32(3 * self.width as i32),
            ),
            _mm_add_epi32(x0, _mm_add_epi32(x0, x0)),
        );
        // The last offset whose reads end within `raw`.
        let limit = self
            .raw
            .len()
            .checked_sub(self.down + 8)?
            .min(i32::MAX as usize);
        if _mm_movemask_epi8(_mm_cmpgt_epi32(at, _mm_set1_epi32(limit as i32))) != 0 {
            return None;
        }
        let at = [
            _mm_cvtsi128_si32(at),
            _mm_extract_epi32::<1>(at),
            _mm_extract_epi32::<2>(at),
            _mm_extract_epi32::<3>(at),
        ]
        .map(|offset| offset as u32 as usize);
        // Eight bytes from the upper left texel of pixel k, then eight from its lower left.
        let texels = |k: usize| {
            // SAFETY: both reads end within `raw` (checked above).
            unsafe {
                let top = _mm_loadl_epi64(self.raw.as_ptr().add(at[k]).cast());
                let bottom = _mm_loadl_epi64(self.raw.as_ptr().add(at[k] + self.down).cast());
                _mm_unpacklo_epi64(top, bottom)
            }
        };
        let (fx, fy) = (
            _mm_and_si128(us, _mm_set1_epi32(255)),
            _mm_and_si128(vs, _mm_set1_epi32(255)),
        );
        // Per pixel, its weights as 16-bit pairs: fy twice, and 256 - fx below fx.
        let fy = _mm_or_si128(fy, _mm_slli_epi32::<16>(fy));
        let fx = _mm_or_si128(
            _mm_slli_epi32::<16>(fx),
            _mm_sub_epi32(_mm_set1_epi32(256), fx),
        );
        // Pixel k's `weights` in every lane of the lower half, pixel k + 1's in the upper.
        let halves = |weights: __m128i, k: i32| {
            let lanes = _mm256_setr_epi32(k, k, k, k, k + 1, k + 1, k + 1, k + 1);
            _mm256_permutevar8x32_epi32(_mm256_castsi128_si256(weights), lanes)
        };
        let zero = _mm256_setzero_si256();
        let pair = |k: usize| {
            let both = _mm256_set_m128i(texels(k + 1), texels(k));
            let (top, bottom) = (
                _mm256_unpacklo_epi8(both, zero),
                _mm256_unpackhi_epi8(both, zero),
            );
            let fy = halves(fy, k as i32);
            let rows = _mm256_add_epi16(
                _mm256_mullo_epi16(top, _mm256_sub_epi16(_mm256_set1_epi16(256), fy)),
                _mm256_mullo_epi16(bottom, fy),
            );
            let rows = _mm256_srli_epi16::<1>(rows);
            let pairs = _mm256_unpacklo_epi16(rows, _mm256_srli_si256::<6>(rows));
            let blended = _mm256_madd_epi16(pairs, halves(fx, k as i32));
            _mm256_srli_epi32::<15>(_mm256_add_epi32(blended, _mm256_set1_epi32(1 << 14)))
        };
        // Lane halves hold pixels 0 and 2, then 1 and 3.
        let bytes = _mm256_packus_epi16(_mm256_packs_epi32(pair(0), pair(2)), zero);
        let (low, high) = (
            _mm256_castsi256_si128(bytes),
            _mm256_extracti128_si256::<1>(bytes),
        );
        let rgbx = _mm_unpacklo_epi32(low, high);
        Some(_mm_shuffle_epi8(
            rgbx,
            _mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1),
        ))
    }
}

/// Output rows of one band: colour, and what the fill of empty pixels needs.
struct Resolved<'a> {
    colour: &'a mut [u8],
    hits: &'a mut [u16],
    inv_z: &'a mut [f32],
}

/// The samples of one pixel that one triangle holds: how many, and the sum
/// of their positions.
#[derive(Clone, Copy)]
struct Group {
    id: u32,
    count: u32,
    x: f32,
    y: f32,
    /// The sum of the samples' inverse depths.
    inv_z: f32,
}

/// Per pixel of output row `y` of a band: the samples that hit a surface,
/// their mean inverse depth (0 if none), and in `single` a triangle to shade
/// the whole pixel from: the one that holds every sample, or one of the
/// triangles of a merged block (`block`, per face) that holds every sample
/// (`NO_TRIANGLE` where no such triangle is).
fn summarise_row<const S: usize>(
    band: &Band,
    blocks: Blocks,
    y: usize,
    hits: &mut [u16],
    inv_z: &mut [f32],
    single: &mut [u32],
) {
    let sw = band.w;
    let rows = &band.ids[y * S * sw..][..S * sw];
    let depths = &band.depth[y * S * sw..][..S * sw];
    #[cfg(target_arch = "x86_64")]
    let done = if S == 2 && std::is_x86_feature_detected!("avx2") {
        let (ids, two_rows) = (rows.split_at(sw), depths.split_at(sw));
        // SAFETY: the processor has AVX2.
        unsafe { summarise_quads_avx2(ids, two_rows, blocks, hits, inv_z, single) }
    } else {
        0
    };
    #[cfg(not(target_arch = "x86_64"))]
    let done = 0;
    summarise_pixels::<S>((rows, depths), blocks, done, hits, inv_z, single);
}

/// `summarise_row`'s work from pixel `from` on, one pixel at a time;
/// `samples`: the ids and depths of the pixels' `S` rows of samples.
#[inline(always)]
fn summarise_pixels<const S: usize>(
    (rows, depths): (&[u32], &[f32]),
    blocks: Blocks,
    from: usize,
    hits: &mut [u16],
    inv_z: &mut [f32],
    single: &mut [u32],
) {
    let sw = rows.len() / S;
    let pixels = hits
        .iter_mut()
        .zip(inv_z)
        .zip(single)
        .enumerate()
        .skip(from);
    for (x, ((hits, inv_z), single)) in pixels {
        let id = rows[x * S];
        let (mut count, mut sum, mut same) = (0u16, 0f32, true);
        for sy in 0..S {
            let at = sy * sw + x * S;
            for (&i, &d) in rows[at..at + S].iter().zip(&depths[at..at + S]) {
                // Undrawn samples keep inverse depth 0; drawn ones are above it.
                count += u16::from(d > 0.0);
                sum += d;
                same &= i == id;
            }
        }
        *hits = count;
        *inv_z = match count {
            0 => 0.0,
            // The same quotient as dividing (by a power of two), without a
            // division's latency for most pixels: it was 40 % of this loop.
            c if c.is_power_of_two() => sum * f32::from_bits((127 - c.trailing_zeros()) << 23),
            c => sum / f32::from(c),
        };
        *single = if same || one_surface::<S>(blocks, (rows, depths), x) {
            id
        } else {
            NO_TRIANGLE
        };
    }
}

/// In the summaries of two samples per pixel side, a pixel's two samples of
/// a row sit in lanes 2p and 2p + 1: each lane's value swapped with its
/// pixel's other lane.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn swap(v: __m256i) -> __m256i {
    _mm256_shuffle_epi32::<0b10_11_00_01>(v)
}

/// [`swap`] for floats.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn swap_ps(v: __m256) -> __m256 {
    _mm256_permute_ps::<0b10_11_00_01>(v)
}

/// The value of each pixel's first lane (2p) in both of its lanes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn pixel_first(v: __m256i) -> __m256i {
    _mm256_shuffle_epi32::<0b10_10_00_00>(v)
}

/// `summarise_row` for two samples per pixel side, four pixels at a time in
/// AVX2 registers, up to the row's last whole four; returns how many pixels
/// it summarised. Pixels that no one triangle holds whole go through
/// [`one_surface_quads`] (looking up the blocks of their faces), four at a
/// time. The sums run in the same order as `summarise_pixels`'s, so the mean
/// depths are identical.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn summarise_quads_avx2(
    ids: (&[u32], &[u32]),
    depths: (&[f32], &[f32]),
    blocks: Blocks,
    hits: &mut [u16],
    inv_z: &mut [f32],
    single: &mut [u32],
) -> usize {
    let pixels = hits.len().min(inv_z.len()).min(single.len()) / 4 * 4;
    let even_lanes = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
    let low_half = |v: __m256i| _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(v, even_lanes));
    for x in (0..pixels).step_by(4) {
        let load = |row: &[u32]| {
            let eight = &row[2 * x..][..8];
            // SAFETY: `eight` holds eight u32.
            unsafe { _mm256_loadu_si256(eight.as_ptr().cast()) }
        };
        let load_ps = |row: &[f32]| {
            let eight = &row[2 * x..][..8];
            // SAFETY: `eight` holds eight f32.
            unsafe { _mm256_loadu_ps(eight.as_ptr()) }
        };
        let (upper, lower) = (load(ids.0), load(ids.1));
        let first = pixel_first(upper);
        let equal = _mm256_and_si256(
            _mm256_cmpeq_epi32(upper, first),
            _mm256_cmpeq_epi32(lower, first),
        );
        let same = _mm256_and_si256(equal, swap(equal));
        let (d0, d1) = (load_ps(depths.0), load_ps(depths.1));
        let sum = _mm256_add_ps(
            _mm256_add_ps(_mm256_add_ps(d0, swap_ps(d0)), d1),
            swap_ps(d1),
        );
        // Undrawn samples keep inverse depth 0; drawn ones are above it.
        let drawn = |d: __m256| {
            let drawn = _mm256_castps_si256(_mm256_cmp_ps::<_CMP_GT_OQ>(d, _mm256_setzero_ps()));
            _mm256_add_epi32(drawn, swap(drawn))
        };
        let count = _mm256_sub_epi32(
            _mm256_setzero_si256(),
            _mm256_add_epi32(drawn(d0), drawn(d1)),
        );
        // The same quotient as `summarise_pixels`', which multiplies by the
        // (exact) reciprocal where the count is a power of two.
        let mean = _mm256_div_ps(sum, _mm256_cvtepi32_ps(count));
        let hit = _mm256_xor_si256(
            _mm256_cmpeq_epi32(count, _mm256_setzero_si256()),
            _mm256_set1_epi32(-1),
        );
        let mean = _mm256_and_si256(_mm256_castps_si256(mean), hit);
        let all = _mm256_set1_epi32(-1);
        let same = if _mm256_movemask_epi8(same) == -1 {
            same
        } else {
            _mm256_or_si256(same, one_surface_quads(blocks, (upper, lower), (d0, d1)))
        };
        // NO_TRIANGLE has every bit set.
        let one = _mm256_or_si256(first, _mm256_xor_si256(same, all));
        let (count, mean, one) = (low_half(count), low_half(mean), low_half(one));
        // SAFETY: each slice holds four elements from x.
        unsafe {
            _mm_storel_epi64(
                hits[x..][..4].as_mut_ptr().cast(),
                _mm_packus_epi32(count, count),
            );
            _mm_storeu_si128(inv_z[x..][..4].as_mut_ptr().cast(), mean);
            _mm_storeu_si128(single[x..][..4].as_mut_ptr().cast(), one);
        }
    }
    pixels
}

/// [`one_surface`] for four pixels of two samples per side, in lanes 2p and 2p + 1 of
/// the two rows' ids and inverse depths: all set in the lanes of a pixel that is one surface.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn one_surface_quads(
    blocks: Blocks,
    (upper, lower): (__m256i, __m256i),
    (d0, d1): (__m256, __m256),
) -> __m256i {
    let no_block = _mm256_set1_epi32(NO_BLOCK as i32);
    // Looked up one lane at a time: a gather instruction was 1.4-3 % of a
    // frame's CPU slower on this session's Xeon.
    let block_of = |ids: __m256i| {
        let mut lanes = [0u32; 8];
        // SAFETY: `lanes` holds eight u32.
        unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), ids) };
        let found = lanes.map(|id| blocks.of_face.get(id as usize).copied().unwrap_or(NO_BLOCK));
        // SAFETY: as above.
        unsafe { _mm256_loadu_si256(found.as_ptr().cast()) }
    };
    let (bu, bl) = (block_of(upper), block_of(lower));
    let first = pixel_first(bu);
    let in_first = _mm256_and_si256(_mm256_cmpeq_epi32(bu, first), _mm256_cmpeq_epi32(bl, first));
    let one_block = _mm256_andnot_si256(
        _mm256_cmpeq_epi32(first, no_block),
        _mm256_and_si256(in_first, swap(in_first)),
    );
    // A sample without a block fails one kind whatever it is.
    let occluders = _mm256_set1_epi32(blocks.occluders as i32);
    let (ou, ol) = (
        _mm256_cmpgt_epi32(occluders, upper),
        _mm256_cmpgt_epi32(occluders, lower),
    );
    let front = pixel_first(ou);
    let unblocked = _mm256_or_si256(
        _mm256_cmpeq_epi32(bu, no_block),
        _mm256_cmpeq_epi32(bl, no_block),
    );
    let kind = _mm256_andnot_si256(
        unblocked,
        _mm256_and_si256(_mm256_cmpeq_epi32(ou, front), _mm256_cmpeq_epi32(ol, front)),
    );
    let one_kind = _mm256_and_si256(kind, swap(kind));
    let (near, far) = (_mm256_max_ps(d0, d1), _mm256_min_ps(d0, d1));
    let (near, far) = (
        _mm256_max_ps(_mm256_max_ps(near, swap_ps(near)), _mm256_setzero_ps()),
        _mm256_min_ps(far, swap_ps(far)),
    );
    let close = _mm256_cmp_ps::<_CMP_LE_OQ>(
        _mm256_sub_ps(near, far),
        _mm256_mul_ps(_mm256_set1_ps(SAME_SURFACE), near),
    );
    _mm256_or_si256(
        one_block,
        _mm256_and_si256(one_kind, _mm256_castps_si256(close)),
    )
}

/// Per face of a render mesh, its merged block (or `NO_BLOCK`), and how many
/// faces from the first are the photo's own surface.
#[derive(Clone, Copy)]
struct Blocks<'a> {
    of_face: &'a [u32],
    occluders: usize,
}

/// Largest spread of inverse depth, relative to the nearest, between the
/// samples of a pixel that [`one_surface`] takes for one surface: a slope
/// across a pixel stays far below it, a jump between layers far above.
const SAME_SURFACE: f32 = 0.01;

/// Whether pixel x's samples (`S` rows of `S`, in rows of ids and inverse
/// depths `sw` long) all lie on merged blocks of one continuous surface:
/// one block, or blocks of one kind (the photo's own surface, or hidden
/// layers) at one depth. Block faces read their texture
/// continuously across their edges, so shading the pixel from one of them
/// differs only by how far it reaches past its edge (under half a pixel).
fn one_surface<const S: usize>(blocks: Blocks, (rows, depths): (&[u32], &[f32]), x: usize) -> bool {
    let sw = rows.len() / S;
    let of = |id: u32| blocks.of_face.get(id as usize).copied().unwrap_or(NO_BLOCK);
    let first = of(rows[x * S]);
    let occluder = |id: u32| (id as usize) < blocks.occluders;
    let front = occluder(rows[x * S]);
    let (mut one_block, mut one_kind) = (first != NO_BLOCK, true);
    let (mut near, mut far) = (0f32, f32::INFINITY);
    for sy in 0..S {
        let at = sy * sw + x * S;
        for (&id, &d) in rows[at..at + S].iter().zip(&depths[at..at + S]) {
            let b = of(id);
            one_block &= b == first;
            one_kind &= b != NO_BLOCK && occluder(id) == front;
            (near, far) = (near.max(d), far.min(d));
        }
    }
    one_block || (one_kind && near - far <= SAME_SURFACE * near)
}

/// Resolves a band's samples into its output rows: per pixel, the samples
/// that hit a surface and their mean inverse depth, and with `shading` the
/// colour, each triangle the pixel sees shaded once at the centroid of its
/// samples and weighted by their number. Runs of pixels that one triangle
/// holds entirely are shaded together. `S`: samples per pixel side.
fn resolve<const S: usize>(
    band: &Band,
    blocks: Blocks,
    shading: Option<&Shading>,
    scratch: &mut ResolveScratch,
    out: Resolved,
    width: usize,
) {
    let half = 0.5 * S as f32;
    let ResolveScratch {
        groups,
        single,
        recent,
        run_bounds,
    } = scratch;
    recent.clear();
    single.clear();
    single.resize(width, NO_TRIANGLE);
    for (y, row) in out.colour.chunks_mut(width * 3).enumerate() {
        let hits = &mut out.hits[y * width..][..width];
        let inv_z = &mut out.inv_z[y * width..][..width];
        summarise_row::<S>(band, blocks, y, hits, inv_z, single);
        let Some(shading) = shading else {
            continue;
        };
        let centre_y = (band.y0 + y * S) as f32 + half;
        let mut x = 0;
        while x < width {
            let id = single[x];
            if id == NO_TRIANGLE {
                let colour = mixed_colour::<S>(band, shading, recent, groups, x, y);
                write_levels(&mut row[3 * x..3 * x + 3], colour);
                x += 1;
                continue;
            }
            // The common case: one triangle holds every sample of a run of
            // pixels; textured triangles that read alike share a run.
            let centre_x = (x * S) as f32 + half;
            let step = S as f32;
            let end = match shading.texel_map(id) {
                Some(map) => {
                    let end = x + run_bounds.gather(shading, &single[x..]);
                    let (to_photo, points) = (&shading.reprojection, [centre_x, centre_y, step]);
                    let reads = &map.reads;
                    reads.shade_run(to_photo, points, &inv_z[x..end], run_bounds, row, x);
                    end
                }
                None => {
                    let end = x + single[x..].iter().take_while(|&&i| i == id).count();
                    let plane = recent.plane(shading, id, centre_x, centre_y);
                    plane.shade_run(centre_x, centre_y, step, &mut row[3 * x..3 * end]);
                    end
                }
            };
            x = end;
        }
    }
}

/// The colour of pixel (x, y) of a band whose samples several triangles (or
/// none) hold: each triangle shaded once at the centroid of its samples,
/// weighted by their number.
fn mixed_colour<const S: usize>(
    band: &Band,
    shading: &Shading,
    recent: &mut RecentPlanes,
    groups: &mut Vec<Group>,
    x: usize,
    y: usize,
) -> [f32; 3] {
    groups.clear();
    for sy in 0..S {
        let base = (y * S + sy) * band.w + x * S;
        let py = (band.y0 + y * S + sy) as f32;
        let samples = band.ids[base..base + S]
            .iter()
            .zip(&band.depth[base..base + S]);
        for (sx, (&id, &inv_z)) in samples.enumerate() {
            let px = (x * S + sx) as f32;
            match groups.iter_mut().find(|g| g.id == id) {
                Some(g) => {
                    g.count += 1;
                    g.x += px;
                    g.y += py;
                    g.inv_z += inv_z;
                }
                None => groups.push(Group {
                    id,
                    count: 1,
                    x: px,
                    y: py,
                    inv_z,
                }),
            }
        }
    }
    let mut sum = [0f32; 3];
    for g in groups.iter() {
        let colour = if g.id == NO_TRIANGLE {
            shading.background
        } else {
            // Sample centres are at index + ½; inverse depth is affine on
            // screen, so its mean is its value at the centroid.
            let n = g.count as f32;
            let centroid = [g.x / n + 0.5, g.y / n + 0.5];
            shading.colour(recent, g.id, centroid, g.inv_z / n)
        };
        for k in 0..3 {
            sum[k] += g.count as f32 * colour[k];
        }
    }
    let norm = 1.0 / (S * S) as f32;
    [sum[0] * norm, sum[1] * norm, sum[2] * norm]
}

/// Per-thread buffers of `resolve`.
#[derive(Default)]
struct ResolveScratch {
    groups: Vec<Group>,
    single: Vec<u32>,
    recent: RecentPlanes,
    run_bounds: RunBounds,
}

#[cfg(test)]
mod tests {
    use super::*;

    type Parts = (Vec<[f32; 3]>, Vec<[u8; 3]>, Vec<[u32; 3]>);

    /// Two triangles covering a square of side 2·half at depth z, in one colour.
    fn square(z: f32, half: f32, colour: [u8; 3], base: u32) -> Parts {
        let p = vec![
            [-half, -half, z],
            [half, -half, z],
            [-half, half, z],
            [half, half, z],
        ];
        let f = vec![[base, base + 2, base + 1], [base + 1, base + 2, base + 3]];
        (p, vec![colour; 4], f)
    }

    /// A vertex-coloured mesh of the parts.
    fn mesh_of((positions, colours, faces): Parts) -> RenderMesh {
        RenderMesh::coloured(&crate::mesh::Mesh {
            labels: vec![1; positions.len()],
            positions,
            colours,
            faces,
            width: 40,
            height: 40,
            hfov: 1.0,
            vfov: 1.0,
        })
    }

    fn camera() -> Camera {
        Camera {
            width: 40,
            height: 40,
            fx: 20.0,
            fy: 20.0,
            cx: 20.0,
            cy: 20.0,
            translation: [0.0; 3],
            rotation: crate::render::camera::IDENTITY,
        }
    }

    #[test]
    fn nearer_surface_wins_and_background_is_grey() {
        let (mut pos, mut col, mut faces) = square(4.0, 2.0, [255, 0, 0], 0);
        let (p2, c2, f2) = square(2.0, 0.5, [0, 0, 255], 4);
        pos.extend(p2);
        col.extend(c2);
        faces.extend(f2);
        // Far square drawn last must not cover the near one.
        faces.reverse();
        let mesh = mesh_of((pos, col, faces));
        let img = render_over(&mesh, &camera(), 2, BACKGROUND);
        assert_eq!(img.get_pixel(20, 20).0, [0, 0, 255]);
        assert_eq!(img.get_pixel(20, 27).0, [255, 0, 0]);
        assert_eq!(img.get_pixel(0, 0).0, BACKGROUND);
    }

    #[test]
    fn render_fills_only_what_render_over_leaves_empty() {
        // A square covering the middle of the frame only.
        let mesh = mesh_of(square(2.0, 0.5, [200, 40, 40], 0));
        for samples in [1, 2, 3] {
            let bare = render_over(&mesh, &camera(), samples, BACKGROUND);
            let filled = render(&mesh, &camera(), samples);
            assert_eq!(bare.get_pixel(20, 20), filled.get_pixel(20, 20));
            assert_eq!(bare.get_pixel(0, 0).0, BACKGROUND);
            assert!(filled.pixels().all(|p| p.0 != BACKGROUND), "{samples}");
            assert_eq!(filled.get_pixel(0, 0).0, [200, 40, 40]);
        }
    }

    /// An n×n grid of quads (two triangles each) covering a square of side
    /// 2·half at depth z, with colours varying across it.
    fn grid(n: u32, half: f32, z: f32) -> Parts {
        let side = n + 1;
        let mut positions = Vec::new();
        let mut colours = Vec::new();
        for j in 0..side {
            for i in 0..side {
                let (u, v) = (i as f32 / n as f32, j as f32 / n as f32);
                positions.push([half * (2.0 * u - 1.0), half * (2.0 * v - 1.0), z]);
                colours.push([(255.0 * u) as u8, (255.0 * v) as u8, 90]);
            }
        }
        let mut faces = Vec::new();
        for j in 0..n {
            for i in 0..n {
                let k = j * side + i;
                faces.push([k, k + side, k + 1]);
                faces.push([k + 1, k + side, k + side + 1]);
            }
        }
        (positions, colours, faces)
    }

    #[test]
    fn shared_edges_leave_no_crack_and_colours_follow_the_grid() {
        // 37 quads per side put the shared edges at uneven sample positions.
        let mesh = mesh_of(grid(37, 1.0, 2.0));
        let mut renderer = Renderer::default();
        for samples in [1, 2, 3] {
            let img = renderer.render_over(&mesh, &camera(), samples, [0; 3]);
            let full = (samples * samples) as u16;
            // The square spans pixels 10..30; its border pixels are partly covered.
            for y in 11..29 {
                for x in 11..29 {
                    assert_eq!(renderer.hits()[y * 40 + x], full, "{samples} {x},{y}");
                }
            }
            // Red grows left to right, green top to bottom, as the vertex colours.
            let (left, right) = (img.get_pixel(12, 20).0, img.get_pixel(27, 20).0);
            assert!(left[0] + 150 < right[0], "{left:?} {right:?}");
            let (top, bottom) = (img.get_pixel(20, 12).0, img.get_pixel(20, 27).0);
            assert!(top[1] + 150 < bottom[1], "{top:?} {bottom:?}");
            assert_eq!(renderer.hits()[5 * 40 + 5], 0);
        }
    }

    #[test]
    fn cover_counts_the_hits_of_a_render() {
        let mesh = mesh_of(grid(37, 0.6, 2.0));
        let moved = camera().posed([0.1, -0.05, 0.0], 1.0);
        let mut renderer = Renderer::default();
        for samples in [1, 2, 3] {
            renderer.render_over(&mesh, &moved, samples, [0; 3]);
            let rendered = renderer.hits().to_vec();
            assert!(rendered.contains(&0) && rendered.iter().any(|&h| h > 0));
            assert_eq!(renderer.cover(&mesh, &moved, samples), &rendered[..]);
        }
    }

    #[test]
    fn cover_counts_the_hits_of_a_render_where_later_faces_lie_nearer() {
        // A far grid drawn first, and a near square half over it and half
        // past its edge, which a coverage render skips only where the grid
        // has hit every sample.
        let (mut pos, mut col, mut faces) = grid(24, 0.6, 4.0);
        let occluders = faces.len();
        let (p2, c2, f2) = square(2.0, 0.25, [250, 250, 250], pos.len() as u32);
        pos.extend(p2.iter().map(|[x, y, z]| [x + 0.3, y + 0.1, *z]));
        col.extend(c2);
        faces.extend(f2);
        let mut mesh = mesh_of((pos, col, faces));
        mesh.occluders = occluders;
        let mut grid_only = mesh.clone();
        grid_only.faces.truncate(occluders);
        grid_only.paint.truncate(occluders);
        grid_only
            .clusters
            .retain(|c| (c.faces[0] as usize) < occluders);
        let moved = camera().posed([0.02, -0.01, 0.0], 1.0);
        let mut renderer = Renderer::default();
        for samples in [1, 2] {
            renderer.render_over(&mesh, &moved, samples, [0; 3]);
            let rendered = renderer.hits().to_vec();
            renderer.render_over(&grid_only, &moved, samples, [0; 3]);
            assert_ne!(renderer.hits(), &rendered[..], "the square adds no hit");
            assert_eq!(renderer.cover(&mesh, &moved, samples), &rendered[..]);
        }
    }

    #[test]
    fn faces_behind_the_occluders_are_culled_without_changing_the_frame() {
        // A near square in front of a far grid that shows around it.
        let (mut pos, mut col, mut faces) = square(2.0, 0.4, [250, 250, 250], 0);
        let (p2, c2, f2) = grid(24, 1.5, 4.0);
        let base = pos.len() as u32;
        pos.extend(p2);
        col.extend(c2);
        faces.extend(f2.iter().map(|f| f.map(|v| v + base)));
        let mut culled = mesh_of((pos, col, faces));
        let plain = culled.clone();
        culled.occluders = 2;
        let moved = camera().posed([0.05, 0.03, 0.0], 1.0);
        for samples in [1, 2] {
            assert_eq!(
                render(&culled, &moved, samples),
                render(&plain, &moved, samples)
            );
        }
    }

    #[test]
    fn a_cluster_hidden_whole_is_skipped_without_changing_the_frame() {
        // A near square hiding a small far grid, beside a far grid that shows.
        let (mut pos, mut col, mut faces) = square(2.0, 0.6, [250, 250, 250], 0);
        for (x, half) in [(0.0, 0.3), (1.2, 0.4)] {
            let (p2, c2, f2) = grid(10, half, 4.0);
            let base = pos.len() as u32;
            pos.extend(p2.iter().map(|p| [p[0] + x, p[1], p[2]]));
            col.extend(c2);
            faces.extend(f2.iter().map(|f| f.map(|v| v + base)));
        }
        let plain = mesh_of((pos, col, faces));
        let mut culled = plain.clone();
        culled.occluders = 2;
        // Clusters that start with the grids' first faces.
        culled.clusters = [0, 2, 202, 402]
            .windows(2)
            .map(|w| Cluster::of(&culled.positions, &culled.faces, [w[0], w[1]]))
            .collect();
        let moved = camera().posed([0.02, 0.01, 0.0], 1.0);
        let mut renderer = Renderer::default();
        for samples in [1, 2] {
            let frame = renderer.render(&culled, &moved, samples);
            assert_eq!(frame, render(&plain, &moved, samples));
            // The small grid's footprint lies inside the square's, behind it.
            let [square, hidden, shown] = [0, 1, 2].map(|c| renderer.footprints[c].unwrap());
            let within = |a: [f32; 2], b: [f32; 2]| b[0] < a[0] && a[1] < b[1];
            assert!(within(hidden.x, square.x) && within(hidden.y, square.y));
            assert!(hidden.nearest < 0.6 * square.nearest);
            assert!(!within(shown.x, square.x), "{:?}", shown.x);
        }
    }

    /// A repeatable stream of numbers spread evenly over [0, range).
    fn uniform(mut seed: u32) -> impl FnMut(f32) -> f32 {
        move |range| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 8) as f32 / (1 << 24) as f32 * range
        }
    }

    #[test]
    fn a_cluster_footprint_holds_every_vertex_seen_from_any_camera() {
        let mut next = uniform(777);
        let (mut inside, mut trials, mut unrotated) = (0, 0, 0);
        for _ in 0..200 {
            // A patch of points at a slant and spread in depth.
            let (x, y, z) = (next(4.0) - 2.0, next(4.0) - 2.0, 1.0 + next(6.0));
            let points: Vec<[f32; 3]> = (0..12)
                .map(|_| [x + next(0.5), y + next(0.5), z + next(2.0)])
                .collect();
            let faces: Vec<[u32; 3]> = (0..4).map(|k| [3 * k, 3 * k + 1, 3 * k + 2]).collect();
            let cluster = Cluster::of(&points, &faces, [0, 4]);
            // Every other camera unrotated.
            let angle = if trials % 2 == 0 {
                0.0
            } else {
                next(0.3) - 0.15
            };
            let (c, s) = (angle.cos(), angle.sin());
            let camera = camera()
                .posed([next(0.4) - 0.2, next(0.4) - 0.2, next(0.6) - 0.3], 1.0)
                .rotated(if angle == 0.0 {
                    crate::render::camera::IDENTITY
                } else {
                    [[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]]
                });
            let identity = camera.rotation == crate::render::camera::IDENTITY;
            let Some(print) = footprint(&cluster, &camera, identity, 2.0) else {
                continue;
            };
            trials += 1;
            unrotated += usize::from(identity);
            for p in &points {
                let [px, py, inv_z] = on_screen(p, &camera, identity, 2.0).unwrap();
                assert!(print.x[0] <= px && px <= print.x[1], "{px} {:?}", print.x);
                assert!(print.y[0] <= py && py <= print.y[1], "{py} {:?}", print.y);
                assert!(inv_z <= print.nearest, "{inv_z} {}", print.nearest);
                inside += 1;
            }
        }
        assert!(trials > 150 && inside == 12 * trials, "{trials}");
        assert!(unrotated > 60 && trials - unrotated > 60, "{unrotated}");
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn eight_vertices_project_to_the_bits_of_one_at_a_time() {
        if !has_avx2("the eight-vertex projection") {
            return;
        }
        let mut next = uniform(93);
        // Some behind the camera, some off the sample grid, one NaN.
        let mut positions: Vec<[f32; 3]> = (0..203)
            .map(|_| [next(4.0) - 2.0, next(3.0) - 1.5, next(6.0) - 1.0])
            .collect();
        positions[17] = [1e12, 0.0, 1.0];
        positions[40] = [f32::NAN, 0.0, 1.0];
        let (c, s) = (0.1f32.cos(), 0.1f32.sin());
        let turned = camera().posed([0.1, -0.2, 0.3], 1.0).rotated([
            [c, 0.0, s],
            [0.0, 1.0, 0.0],
            [-s, 0.0, c],
        ]);
        let bits = |v: &ScreenVertex| {
            [
                v.x.to_bits(),
                v.y.to_bits(),
                v.inv_z.to_bits(),
                v.fixed[0] as u32,
                v.fixed[1] as u32,
            ]
        };
        for (camera, identity) in [(camera(), true), (turned, false)] {
            let mut out = vec![ScreenVertex::default(); positions.len()];
            // SAFETY: the processor has AVX2.
            let done = unsafe { project_eights_avx2(&positions, &camera, identity, 2.0, &mut out) };
            assert_eq!(done, 200);
            let mut placed = 0;
            for (p, v) in positions.iter().zip(&out[..done]) {
                let one = project_one(p, &camera, identity, 2.0);
                assert_eq!(bits(v), bits(&one), "{p:?}");
                placed += usize::from(one.inv_z != 0.0);
            }
            assert!(placed > 50 && placed < 190, "{placed}");
        }
    }

    #[test]
    fn each_tile_holds_the_farthest_sample_drawn_in_it() {
        // Neither side a whole number of tiles; some samples left empty.
        let (w, rows) = (37, 21);
        let mut next = uniform(41);
        let mut depth: Vec<f32> = (0..w * rows)
            .map(|i| if i % 97 == 40 { 0.0 } else { 0.2 + next(1.0) })
            .collect();
        let mut ids = vec![0; w * rows];
        let band = Band {
            ids: &mut ids,
            depth: &mut depth,
            w,
            y0: 0,
            rows,
        };
        let tiles = FarthestPerTile::of(&band, vec![7.0; 3]);
        let columns = w.div_ceil(CULL_TILE);
        assert_eq!(tiles.farthest.len(), columns * rows.div_ceil(CULL_TILE));
        for (k, &tile) in tiles.farthest.iter().enumerate() {
            let (tx, ty) = (k % columns * CULL_TILE, k / columns * CULL_TILE);
            let farthest = (ty..(ty + CULL_TILE).min(rows))
                .flat_map(|y| (tx..(tx + CULL_TILE).min(w)).map(move |x| y * w + x))
                .map(|i| band.depth[i])
                .fold(f32::INFINITY, f32::min);
            assert_eq!(tile, farthest, "tile {k}");
        }
        assert!(tiles.farthest.contains(&0.0) && tiles.farthest.iter().any(|&d| d > 0.0));
    }

    #[test]
    fn a_face_is_hidden_only_behind_everything_drawn_under_it() {
        let (w, rows) = (32, 16);
        let mut ids = vec![0; w * rows];
        // Inverse depth 0.5 drawn everywhere but the last tile column.
        let mut depth: Vec<f32> = (0..w * rows)
            .map(|i| if i % w < 24 { 0.5 } else { 0.0 })
            .collect();
        let band = Band {
            ids: &mut ids,
            depth: &mut depth,
            w,
            y0: 0,
            rows,
        };
        let tiles = FarthestPerTile::of(&band, Vec::new());
        let vertex = ScreenVertex::at;
        let at = |x: f32, inv_z: f32| {
            [
                vertex(x, 2.0, inv_z),
                vertex(x + 6.0, 2.0, inv_z),
                vertex(x, 9.0, inv_z),
            ]
        };
        let hidden = |v: [ScreenVertex; 3]| tiles.hides(nearest(v), band.samples_under(v).unwrap());
        assert!(hidden(at(2.0, 0.25)));
        assert!(!hidden(at(2.0, 0.75)));
        // Reaching into the empty tiles.
        assert!(!hidden(at(20.0, 0.25)));
        // Below the band: no sample to draw.
        assert!(band.samples_under([vertex(2.0, 20.0, 1.0); 3]).is_none());
    }

    #[test]
    fn a_renderer_reused_at_another_size_draws_what_a_fresh_one_does() {
        // Two triangles over the whole frame: rows end inside a run.
        let mesh = mesh_of(square(2.0, 8.0, [90, 160, 30], 0));
        let wide = Camera {
            width: 64,
            cx: 32.0,
            ..camera()
        };
        let mut renderer = Renderer::default();
        renderer.render(&mesh, &wide, 2);
        let moved = camera().posed([0.05, 0.0, 0.0], 1.0);
        assert_eq!(renderer.render(&mesh, &moved, 2), render(&mesh, &moved, 2));
    }

    #[test]
    fn a_pixel_is_shaded_from_one_face_only_where_one_surface_holds_every_sample() {
        // Three pixels of 2×2 samples (rows of 6): faces 0 and 1; faces 1
        // and 2; face 0 and an empty sample.
        let rows = [0, 1, 1, 2, 0, NO_TRIANGLE, 1, 1, 2, 2, 0, 0];
        let of_face = [7, 7, 8];
        let blocks = Blocks {
            of_face: &of_face,
            occluders: 3,
        };
        // Faces 1 and 2 lie in two blocks: at one depth they are one surface,
        // across a jump they are not.
        let level = [0.5; 12];
        let mut jump = level;
        jump[3] = 0.4;
        let unmerged = Blocks {
            of_face: &[NO_BLOCK; 3],
            occluders: 3,
        };
        for depths in [&level, &jump] {
            assert!(one_surface::<2>(blocks, (&rows, depths), 0));
            assert!(!one_surface::<2>(blocks, (&rows, depths), 2));
            assert!(!one_surface::<2>(unmerged, (&rows, depths), 0));
        }
        assert!(one_surface::<2>(blocks, (&rows, &level), 1));
        assert!(!one_surface::<2>(blocks, (&rows, &jump), 1));
        // Nor are the photo's surface (face 1) and a hidden one (face 2).
        let split = Blocks {
            of_face: &of_face,
            occluders: 2,
        };
        assert!(!one_surface::<2>(split, (&rows, &level), 1));
        assert!(one_surface::<2>(split, (&rows, &level), 0));
    }

    #[test]
    fn bilinear_reads_texels_and_blends_between_them() {
        let texture = RgbImage::from_fn(3, 2, |x, y| image::Rgb([40 * x as u8, 100 * y as u8, 7]));
        let texels = Texels::of(&texture);
        let level = |c: u32| c as f32 / TEXEL_ONE as f32;
        // On a texel centre: that texel.
        assert_eq!(texels.bilinear([256, 0]).map(level), [40.0, 0.0, 7.0]);
        // Halfway right and a quarter down from texel (1, 0).
        assert_eq!(texels.bilinear([384, 64]).map(level), [60.0, 25.0, 7.0]);
        // A texture one texel wide and high is read without neighbours.
        let one = RgbImage::from_pixel(1, 1, image::Rgb([9, 8, 7]));
        assert_eq!(
            Texels::of(&one).bilinear([0, 0]).map(level),
            [9.0, 8.0, 7.0]
        );
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn four_texels_blend_to_the_levels_of_one_at_a_time() {
        if !std::is_x86_feature_detected!("avx2") {
            return;
        }
        let mut next = uniform(777);
        let texture = RgbImage::from_fn(9, 5, |_, _| image::Rgb([0; 3].map(|_| next(256.0) as u8)));
        let texels = Texels::of(&texture);
        let (mut blended, mut refused) = (0, 0);
        for _ in 0..2000 {
            // Anywhere up to the last texel but one, in 1/256 texel.
            let us: [u32; 4] = std::array::from_fn(|_| next(8.0 * 256.0) as u32);
            let vs: [u32; 4] = std::array::from_fn(|_| next(4.0 * 256.0) as u32);
            let one_at_a_time: Vec<u8> = (0..4)
                .flat_map(|k| texels.bilinear_levels([us[k], vs[k]]))
                .collect();
            let mut four = [0u8; 16];
            // SAFETY: the processor has AVX2; `four` holds sixteen bytes,
            // `us` and `vs` four u32 each.
            let levels = unsafe {
                let lanes = |t: &[u32; 4]| _mm_loadu_si128(t.as_ptr().cast());
                texels.bilinear4_avx2(lanes(&us), lanes(&vs))
            };
            match levels {
                Some(levels) => {
                    // SAFETY: as above.
                    unsafe { _mm_storeu_si128(four.as_mut_ptr().cast(), levels) };
                    assert_eq!(four[..12], one_at_a_time, "{us:?} {vs:?}");
                    blended += 1;
                }
                None => {
                    // Only where a lower texel's eight bytes pass the end.
                    let last = (0..4).map(|k| 3 * ((vs[k] >> 8) * 9 + (us[k] >> 8)) as usize);
                    assert!(last.max().unwrap() + 3 * 9 + 8 > texture.as_raw().len());
                    refused += 1;
                }
            }
        }
        assert!(blended > 1000 && refused > 0, "{blended} {refused}");
    }

    /// Draws `triangles` (corners in samples, inverse depth) into an empty
    /// band with `draw` as `draw_triangle` would; returns its ids and depths.
    #[cfg(target_arch = "x86_64")]
    fn draw_with(
        triangles: &[[[f32; 3]; 3]],
        draw: impl Fn(&SteppedEdges, &DepthPlane, u32, [usize; 4], Band),
    ) -> (Vec<u32>, Vec<f32>) {
        let (w, rows) = (37, 29);
        let mut ids = vec![NO_TRIANGLE; band_samples(w, rows)];
        let mut depth = vec![0f32; band_samples(w, rows)];
        let mut band = Band {
            ids: &mut ids,
            depth: &mut depth,
            w,
            y0: 0,
            rows,
        };
        for (id, corners) in triangles.iter().enumerate() {
            let v = corners.map(|[x, y, inv_z]| ScreenVertex::at(x, y, inv_z));
            let Some([x0, x1, y0, y1]) = band.samples_under(v) else {
                continue;
            };
            let Some((edges, plane)) = stepped(v, [x0, y0]) else {
                continue;
            };
            let bounds = [x0, x1, y0, y1].map(|b| b as usize);
            draw(&edges, &plane, id as u32, bounds, band.reborrow());
        }
        (ids, depth)
    }

    /// Overlapping triangles of both windings, thin and wide, some reaching
    /// past the band's sides (so groups cross its right edge and last row).
    fn overlapping_triangles(size: f32) -> Vec<[[f32; 3]; 3]> {
        let mut next = uniform(12345);
        (0..60)
            .map(|_| {
                let (cx, cy, depth) = (next(45.0) - 4.0, next(35.0) - 3.0, 0.1 + next(1.0));
                [0, 1, 2].map(|_| {
                    [
                        cx + next(size) - size / 2.0,
                        cy + next(size) - size / 2.0,
                        depth + next(0.2),
                    ]
                })
            })
            .collect()
    }

    #[test]
    fn a_triangle_draws_no_sample_outside_the_bounds_it_is_drawn_in() {
        let (w, rows, y0) = (37, 29, 5);
        let mut drawn_any = 0;
        for corners in [overlapping_triangles(3.0), overlapping_triangles(24.0)].concat() {
            let v = corners.map(|[x, y, inv_z]| ScreenVertex::at(x, y + y0 as f32, inv_z));
            let mut ids = vec![NO_TRIANGLE; band_samples(w, rows)];
            let mut depth = vec![0f32; band_samples(w, rows)];
            let band = Band {
                ids: &mut ids,
                depth: &mut depth,
                w,
                y0,
                rows,
            };
            let bounds = band.samples_under(v);
            // Drawn over the whole band, not just within the bounds.
            if let Some((edges, plane)) = stepped(v, [0, y0 as i64]) {
                draw_samples(&edges, &plane, 1, [0, w - 1, 0, rows - 1], band);
            }
            for (k, _) in ids.iter().enumerate().filter(|(_, &id)| id == 1) {
                let (x, y) = ((k % w) as i64, (k / w) as i64);
                let Some([x0, x1, y0, y1]) = bounds else {
                    panic!("sample ({x}, {y}) drawn outside empty bounds");
                };
                assert!(
                    (x0..=x1).contains(&x) && (y0..=y1).contains(&y),
                    "sample ({x}, {y}) outside {bounds:?}"
                );
                drawn_any += 1;
            }
        }
        assert!(drawn_any > 500, "{drawn_any}");
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn four_sample_groups_draw_what_the_sample_loop_draws() {
        let triangles = overlapping_triangles(24.0);
        let scalar = draw_with(&triangles, draw_samples);
        // SAFETY: SSE2 is part of every x86-64 processor.
        let grouped = draw_with(&triangles, |e, d, id, b, band| unsafe {
            draw_groups_sse2(e, d, id, b, band)
        });
        let drawn = scalar.0.iter().filter(|&&id| id != NO_TRIANGLE).count();
        assert!(drawn > 600, "{drawn}");
        assert_eq!(scalar.0, grouped.0);
        for (s, g) in scalar.1.iter().zip(&grouped.1) {
            assert!((s - g).abs() <= 1e-5 * s.abs(), "{s} {g}");
        }
    }

    /// Whether the processor has AVX2; says that `what` goes untested if not.
    #[cfg(target_arch = "x86_64")]
    fn has_avx2(what: &str) -> bool {
        let has = std::is_x86_feature_detected!("avx2");
        if !has {
            eprintln!("no AVX2 here: {what} go untested");
        }
        has
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn two_row_groups_draw_exactly_what_four_sample_groups_draw() {
        if !has_avx2("the two-row groups") {
            return;
        }
        for size in [5.0, 24.0] {
            let triangles = overlapping_triangles(size);
            // SAFETY: SSE2 is part of every x86-64 processor.
            let groups = draw_with(&triangles, |e, d, id, b, band| unsafe {
                draw_groups_sse2(e, d, id, b, band)
            });
            // SAFETY: the processor has AVX2.
            let pairs = draw_with(&triangles, |e, d, id, b, band| unsafe {
                draw_pairs_avx2(e, d, id, b, band)
            });
            let drawn = groups.0.iter().filter(|&&id| id != NO_TRIANGLE).count();
            assert!(drawn > 50, "{drawn}");
            assert_eq!(groups.0, pairs.0);
            assert_eq!(bits(&groups.1), bits(&pairs.1));
            if !has_avx512("the masked two-row groups") {
                continue;
            }
            // SAFETY: the processor has AVX-512 F and VL.
            let masked = draw_with(&triangles, |e, d, id, b, band| unsafe {
                draw_pairs_avx512(e, d, id, b, band)
            });
            assert_eq!(groups.0, masked.0);
            assert_eq!(bits(&groups.1), bits(&masked.1));
        }
    }

    fn bits(depth: &[f32]) -> Vec<u32> {
        depth.iter().map(|d| d.to_bits()).collect()
    }

    /// Whether the processor has AVX-512 F and VL; says that `what` goes untested if not.
    #[cfg(target_arch = "x86_64")]
    fn has_avx512(what: &str) -> bool {
        let has =
            std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512vl");
        if !has {
            eprintln!("no AVX-512 here: {what} go untested");
        }
        has
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn four_pixel_summaries_are_those_of_one_pixel_at_a_time() {
        if !has_avx2("the four-pixel summaries") {
            return;
        }
        // Two rows of samples, two per pixel: few ids, so that pixels are
        // often one triangle's, and undrawn samples (depth 0) now and then.
        let pixels = 203;
        let mut next = uniform(777);
        let (ids, depths): (Vec<u32>, Vec<f32>) = (0..4 * pixels)
            .map(|_| match next(5.0) as u32 {
                0 => (NO_TRIANGLE, 0.0),
                id => (id, 0.1 + next(2.0)),
            })
            .collect();
        let sw = 2 * pixels;
        // Runs of pixels that one triangle holds whole, and pixels undrawn.
        // Runs of pixels that one triangle holds whole, pixels undrawn, and
        // pixels split between faces of one block (1 and 2) or of two
        // blocks of hidden layers (3 and 4) at nearly one depth.
        let pixel = |k: usize| (k % sw) / 2;
        let ids: Vec<u32> = (ids.iter().enumerate())
            .map(|(k, &id)| match pixel(k) {
                x if x % 13 == 5 => NO_TRIANGLE,
                x if x % 8 < 3 => 7,
                x if x % 8 == 3 => 1 + id % 2,
                x if x % 8 == 4 => 3 + id % 2,
                _ => id,
            })
            .collect();
        let depths: Vec<f32> = (depths.iter().zip(&ids).enumerate())
            .map(|(k, (&d, &id))| match pixel(k) {
                _ if id == NO_TRIANGLE => 0.0,
                x if x % 8 == 4 => 1.0 + d / 100.0,
                _ => d.max(0.1),
            })
            .collect();
        // Faces 1 and 2 are the photo's own surface, in one block; 3 and 7
        // share a block of hidden layers, 4 is another; 5 and 6 are in none.
        let of_face = [NO_BLOCK, 0, 0, 1, 2, NO_BLOCK, NO_BLOCK, 1];
        let merged = Blocks {
            of_face: &of_face,
            occluders: 3,
        };
        let unmerged = Blocks {
            of_face: &[],
            occluders: 0,
        };
        let summarise = |quads: bool, blocks: Blocks| {
            let (mut hits, mut inv_z, mut single) =
                (vec![0u16; pixels], vec![0f32; pixels], vec![0u32; pixels]);
            let done = if quads {
                // SAFETY: the processor has AVX2.
                unsafe {
                    summarise_quads_avx2(
                        ids.split_at(sw),
                        depths.split_at(sw),
                        blocks,
                        &mut hits,
                        &mut inv_z,
                        &mut single,
                    )
                }
            } else {
                0
            };
            summarise_pixels::<2>(
                (&ids, &depths),
                blocks,
                done,
                &mut hits,
                &mut inv_z,
                &mut single,
            );
            (
                done,
                hits,
                inv_z.iter().map(|d| d.to_bits()).collect::<Vec<_>>(),
                single,
            )
        };
        let whole = |single: &[u32]| single.iter().filter(|&&id| id != NO_TRIANGLE).count();
        let mut held = [0; 2];
        for (blocks, held) in [unmerged, merged].into_iter().zip(&mut held) {
            let (quads, one_by_one) = (summarise(true, blocks), summarise(false, blocks));
            assert_eq!(quads.0, 200);
            assert_eq!(quads.1, one_by_one.1);
            assert_eq!(quads.2, one_by_one.2);
            assert_eq!(quads.3, one_by_one.3);
            for count in 0..=4 {
                assert!(quads.1.contains(&count), "no pixel with {count} hits");
            }
            *held = whole(&quads.3);
            assert!(*held > 20 && *held < pixels - 20, "{held}");
        }
        // Merged blocks make more pixels one surface.
        assert!(held[1] > held[0] + 10, "{held:?}");
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn texel_coordinates_along_a_run_are_those_of_each_point() {
        if !has_avx2("eight-lane texel coordinates") {
            return;
        }
        let texture = RgbImage::new(40, 30);
        let reads = TexelReads {
            texels: Texels::of(&texture),
            scale: [1.5, 0.75],
            offset: [-0.5, 2.25],
        };
        // Each lane held in its own bounds.
        let lane_bounds = |lane: usize| {
            let k = lane as f32;
            [[2.0 + k, 30.0 - k], [1.0 + 0.5 * k, 20.0 - 2.0 * k]]
        };
        let mut bounds = run_bounds_of(&(0..RUN_LANES).map(lane_bounds).collect::<Vec<_>>());
        let photo = photo_camera([30.0, 28.0, 20.0, 15.0]);
        let moved = Camera::original(&photo.intrinsics, 40, 30).posed([0.1, -0.05, 0.2], 1.0);
        let to_photo = Reprojection::new(&moved, 2.0, &photo);
        let w = [0.5, 0.52, 0.49, 2.0, 0.3, 0.51, 0.47, 1.5];
        // Within the bounds, held at either end, and NaN (held low).
        for (x, y) in [
            (0.5, 0.5),
            (9.25, 3.0),
            (-400.0, 2.0),
            (400.0, 600.0),
            (f32::NAN, 1.0),
        ] {
            let points = RunPoints { x, y, step: 2.0, w };
            let (mut us, mut vs) = ([0u32; RUN_LANES], [0u32; RUN_LANES]);
            // SAFETY: the processor has AVX2; `us` and `vs` hold eight u32 each.
            unsafe {
                let [u, v] = reads.texel_lanes_avx2(&to_photo, points, bounds.lanes_avx2(0));
                _mm256_storeu_si256(us.as_mut_ptr().cast(), u);
                _mm256_storeu_si256(vs.as_mut_ptr().cast(), v);
            }
            for lane in 0..RUN_LANES {
                let at = to_photo.at(x + lane as f32 * 2.0, y, w[lane]);
                let point = reads.texel(at, lane_bounds(lane));
                assert_eq!([us[lane], vs[lane]], point, "{x} {y} {lane}");
            }
        }
        // Lanes past a run's end take its last pixel's bounds.
        bounds = run_bounds_of(&[lane_bounds(3), lane_bounds(5)]);
        assert!((2..RUN_LANES).all(|k| bounds.of(k) == lane_bounds(5)));
    }

    /// The bounds of a run of `bounds.len()` pixels, one per pixel, padded
    /// as `RunBounds::gather` pads them.
    fn run_bounds_of(bounds: &[[[f32; 2]; 2]]) -> RunBounds {
        let mut run = RunBounds {
            lists: std::array::from_fn(|_| vec![0.0; bounds.len() + 2 * RUN_LANES]),
        };
        for (k, &b) in bounds.iter().enumerate() {
            run.fill(k, k + 1, b);
        }
        run
    }

    #[test]
    fn a_run_shades_each_pixel_as_its_own_texel_blend() {
        let mut next = uniform(4242);
        let texture = RgbImage::from_fn(9, 7, |_, _| image::Rgb([0; 3].map(|_| next(256.0) as u8)));
        // Held up to the last texels, whose lower neighbours' reads pass the
        // texture's end and are blended one at a time.
        let last = [8.0 - 1.0 / 256.0, 6.0 - 1.0 / 256.0];
        let reads = TexelReads {
            texels: Texels::of(&texture),
            scale: [0.7, 0.6],
            offset: [-0.5, -0.5],
        };
        // The run's triangles change along it: every third pixel's is held
        // in a few texels.
        let pixel_bounds = |k: usize| match k % 3 {
            1 => [[1.0, 5.0], [2.0, 4.0]],
            _ => [[0.0, last[0]], [0.0, last[1]]],
        };
        let photo = photo_camera([30.0, 30.0, 15.0, 12.0]);
        let moved = Camera::original(&photo.intrinsics, 30, 24).posed([0.05, 0.02, 0.1], 1.0);
        let to_photo = Reprojection::new(&moved, 2.0, &photo);
        let (width, mut last_texels) = (13, 0);
        for (first, len, y) in [
            (0, 13, 3.0),
            (2, 1, 47.0),
            (5, 6, 20.0),
            (9, 4, 47.0),
            (1, 7, 12.5),
        ] {
            let inv_z: Vec<f32> = (0..len).map(|_| 0.5 + next(0.2)).collect();
            let mut row = vec![7u8; 3 * width];
            let x = (2 * first) as f32 + 1.0;
            let bounds = run_bounds_of(&(0..len).map(pixel_bounds).collect::<Vec<_>>());
            reads.shade_run(&to_photo, [x, y, 2.0], &inv_z, &bounds, &mut row, first);
            assert!(row[..3 * first].iter().all(|&b| b == 7), "{first} {len}");
            for (k, &w) in inv_z.iter().enumerate() {
                let texel = reads.texel(to_photo.at(x + 2.0 * k as f32, y, w), pixel_bounds(k));
                let one = reads.texels.bilinear_levels(texel);
                assert_eq!(row[3 * (first + k)..][..3], one, "{first} {len} {k}");
                last_texels += usize::from(texel[0] >> 8 == 7 && texel[1] >> 8 == 5);
            }
        }
        assert!(last_texels > 0);
    }

    #[test]
    fn a_run_joins_the_triangles_that_read_alike_each_held_in_its_own() {
        let (positions, colours, faces) = square(2.0, 1.0, [9; 3], 0);
        let mut mesh = mesh_of((positions, colours, vec![faces[0]; 6]));
        let (a, b) = ([[1.0, 3.0], [2.0, 5.0]], [[4.0, 9.0], [0.0, 1.0]]);
        let texture = |offset| Paint::Texture { held: a, offset };
        mesh.paint = vec![
            Paint::Photo { held: a },
            Paint::Photo { held: b },
            texture([0.0, 0.0]),
            texture([0.0, 0.0]),
            texture([2.0, 0.0]),
            Paint::Colours([[9; 3]; 3]),
        ];
        mesh.photo = RgbImage::new(20, 10);
        let shading = Shading {
            mesh: &mesh,
            screen: &[],
            background: [0.0; 3],
            reprojection: Reprojection {
                rows: [[0.0; 4]; 3],
            },
            last_texels: [last_texel(mesh.atlas.texture()), last_texel(&mesh.photo)],
        };
        let photo_bounds = |held| texel_bounds(held, last_texel(&mesh.photo));
        let mut run = RunBounds::default();
        let none = NO_TRIANGLE;
        // The photo's triangles read alike whatever their held texels; a
        // texture, vertex colours or no triangle end the run.
        for (ids, len) in [
            (vec![0, 0, 1, 1, 1, 0, 2, 0], 6),
            (vec![1, 0, 5, 0], 2),
            (vec![0, 1, none, 1], 2),
            (vec![0; 11], 11),
            (vec![2, 3, 3, 2, 4, 2], 4),
        ] {
            assert_eq!(run.gather(&shading, &ids), len, "{ids:?}");
            if ids[0] > 1 {
                continue;
            }
            for k in 0..len.next_multiple_of(RUN_LANES) {
                let held = if ids[k.min(len - 1)] == 0 { a } else { b };
                assert_eq!(run.of(k), photo_bounds(held), "{ids:?} {k}");
            }
        }
    }

    /// The photo's camera with focal lengths and centre `[fx, fy, cx, cy]`.
    fn photo_camera([fx, fy, cx, cy]: [f32; 4]) -> PhotoCamera {
        let intrinsics = crate::prepare::Intrinsics {
            fx,
            fy,
            cx,
            cy,
            hfov: 1.0,
            vfov: 1.0,
        };
        PhotoCamera {
            intrinsics,
            photo_scale: [1.0; 2],
        }
    }

    #[test]
    fn a_point_carried_back_lands_where_the_photo_saw_it() {
        let photo = photo_camera([500.0, 480.0, 320.0, 240.0]);
        let camera = Camera::original(&photo.intrinsics, 640, 480);
        let moved = camera.posed([0.05, -0.02, 0.1], 1.3);
        let turned = moved.rotated(crate::render::path::rotation([0.05, -0.1, 0.02]));
        for view in [camera, moved, turned] {
            let s = 2.0;
            let to_photo = Reprojection::new(&view, s, &photo);
            for p in [[0.1f32, -0.2, 2.0], [-0.5, 0.3, 4.0], [0.0, 0.0, 1.0]] {
                let [x, y, inv_z] = on_screen(
                    &p,
                    &view,
                    view.rotation == super::super::camera::IDENTITY,
                    s,
                )
                .unwrap();
                let [u, v] = to_photo.at(x, y, inv_z);
                let k = &photo.intrinsics;
                let seen = [k.fx * p[0] / p[2] + k.cx, k.fy * p[1] / p[2] + k.cy];
                assert!(
                    (u - seen[0]).abs() < 1e-3 && (v - seen[1]).abs() < 1e-3,
                    "{p:?}: {u} {v} {seen:?}"
                );
            }
        }
    }

    #[test]
    fn rounded_blend_is_within_a_level_of_the_exact_one_everywhere() {
        // Colours that change by whole levels between texels: the blends
        // fall anywhere between levels.
        let texture = RgbImage::from_fn(7, 5, |x, y| {
            let c = (x * 37 + y * 91) as u8;
            image::Rgb([c, c.wrapping_mul(3), 255 - c])
        });
        let texels = Texels::of(&texture);
        // Over every texel, up to the last ones, where the 8-byte reads of
        // the SSE2 path would run past the texture and the scalar blend
        // takes over.
        for v in (0..=4 * 256).step_by(5) {
            for u in (0..=6 * 256).step_by(7) {
                let exact = texels.bilinear([u, v]).map(|c| c as f32 / TEXEL_ONE as f32);
                let rounded = texels.bilinear_levels([u, v]);
                for (e, r) in exact.into_iter().zip(rounded) {
                    assert!(
                        (e - f32::from(r)).abs() <= 0.5 + 1.0 / 128.0,
                        "{u} {v}: {e} {r}"
                    );
                }
            }
        }
    }

    #[test]
    fn moving_camera_shifts_near_more_than_far() {
        let (pos, col, faces) = square(2.0, 0.26, [255, 255, 255], 0);
        let mesh = mesh_of((pos, col, faces));
        let moved = camera().posed([0.2, 0.0, 0.0], 1.0);
        let img = render_over(&mesh, &moved, 1, BACKGROUND);
        // Unmoved, the square spans pixels 17..=22; x shift = fx * 0.2 / 2 = 2 pixels.
        let cols: Vec<u32> = (0..40)
            .filter(|&x| img.get_pixel(x, 20).0 == [255, 255, 255])
            .collect();
        assert_eq!((cols[0], *cols.last().unwrap()), (19, 24));
    }
}
