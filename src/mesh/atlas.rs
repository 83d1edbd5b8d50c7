//! The texture atlas: layers assigned to canvas-sized pages, pages packed into one
//! texture, and their colours painted in. The GLB and the renderer both draw
//! their colour from it.

use crate::grid::{grid_neighbours, propagate_mean};
use crate::ldi::{Ldi, DOWN, LEFT, NONE, RIGHT, UP};
use crate::mesh::Mesh;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};

/// Texels of colour padding around each page's content, against bilinear bleeding.
pub(crate) const PADDING: usize = 2;

/// A triangle corner: (page, canvas pixel); the page's texel there names the node.
pub(crate) type Corner = (u32, u32);

/// Units of the mesh placed on atlas pages.
pub(crate) struct Layout {
    /// Per page, the node whose colour each canvas pixel holds, or NONE.
    pub(crate) pages: Vec<Vec<u32>>,
    /// Fully linked cells as (page, top-left pixel).
    pub(crate) cells: Vec<(u32, u32)>,
    /// The remaining mesh faces, as corners.
    pub(crate) triangles: Vec<[Corner; 3]>,
}

/// Places every fully linked cell and every other mesh face on the first page
/// where its nodes' pixels are free or already theirs, so each page holds at
/// most one node per pixel and a unit's corners share one page.
pub(crate) fn assign_pages(ldi: &Ldi, mesh: &Mesh, order: &[u32]) -> Layout {
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
pub(crate) fn full_cell(ldi: &Ldi, v: usize) -> Option<[u32; 4]> {
    let (r, d) = (ldi.links[v][RIGHT], ldi.links[v][DOWN]);
    if r == NONE || d == NONE {
        return None;
    }
    let q = ldi.links[r as usize][DOWN];
    (q != NONE && ldi.links[d as usize][RIGHT] == q).then_some([v as u32, r, d, q])
}

/// Whether a mesh face is one of the two triangles `build_mesh` makes of a
/// fully linked cell (top-left [v, down, right] or bottom-right [q, up, left]).
pub(crate) fn in_full_cell(ldi: &Ldi, [a, b, c]: [u32; 3]) -> bool {
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
pub(crate) fn place(pages: &mut Vec<Vec<u32>>, ldi: &Ldi, nodes: &[u32]) -> u32 {
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

/// The atlas: every page's occupied rectangle packed on shelves.
pub(crate) struct Atlas {
    pub(crate) size: (usize, usize),
    /// Per page: source rectangle origin in canvas pixels and its place in the atlas.
    pub(crate) rects: Vec<PageRect>,
    /// Empty until [`Atlas::paint`].
    pub(crate) image: image::RgbImage,
}

#[derive(Clone, Copy)]
pub(crate) struct PageRect {
    pub(crate) src: (usize, usize),
    pub(crate) dst: (usize, usize),
    pub(crate) size: (usize, usize),
}

impl Atlas {
    /// Packs the pages; the texture is painted by [`Atlas::paint`], so that
    /// its size can be checked first.
    pub(crate) fn pack(ldi: &Ldi, layout: &Layout) -> Atlas {
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
        Atlas {
            size: (width, y + shelf),
            rects,
            image: image::RgbImage::new(0, 0),
        }
    }

    /// Paints the texture (`padded`: see [`paint`]).
    pub(crate) fn paint(&mut self, ldi: &Ldi, layout: &Layout, padded: bool) {
        self.image = paint(ldi, layout, &self.rects, self.size, padded);
    }

    /// Where a corner's texel is in the atlas, in texels.
    pub(crate) fn texel(&self, (page, pixel): Corner, canvas_width: usize) -> [f32; 2] {
        let r = self.rects[page as usize];
        let (x, y) = (pixel as usize % canvas_width, pixel as usize / canvas_width);
        [
            (r.dst.0 + x - r.src.0) as f32,
            (r.dst.1 + y - r.src.1) as f32,
        ]
    }

    /// Texture coordinate of a corner: the centre of its texel.
    pub(crate) fn uv(&self, corner: Corner, canvas_width: usize) -> [f32; 2] {
        let [x, y] = self.texel(corner, canvas_width);
        [
            (x + 0.5) / self.size.0 as f32,
            (y + 0.5) / self.size.1 as f32,
        ]
    }

    pub(crate) fn png(&self) -> Result<Vec<u8>, image::ImageError> {
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

/// Draws each page's node colours into the atlas; with `padded`, also pads
/// them by `PADDING` texels of continued colour so that bilinear sampling near
/// a surface's edge stays on-surface (the GLB needs it; the renderer clamps
/// its reads to each block's own texels instead).
pub(crate) fn paint(
    ldi: &Ldi,
    layout: &Layout,
    rects: &[PageRect],
    size: (usize, usize),
    padded: bool,
) -> image::RgbImage {
    let (aw, ah) = size;
    // Atlas index and node of every texel a node's colour goes to.
    let texels = layout.pages.iter().zip(rects).flat_map(|(page, r)| {
        (0..r.size.1).flat_map(move |y| {
            (0..r.size.0).filter_map(move |x| {
                let n = page[(r.src.1 + y) * ldi.width + r.src.0 + x];
                (n != NONE).then_some(((r.dst.1 + y) * aw + r.dst.0 + x, n))
            })
        })
    });
    let mut image = image::RgbImage::from_pixel(aw as u32, ah as u32, image::Rgb([128; 3]));
    if !padded {
        let raw: &mut [u8] = &mut image;
        for (a, n) in texels {
            raw[3 * a..3 * a + 3].copy_from_slice(&ldi.colour[n as usize]);
        }
        return image;
    }
    let mut values = vec![[0f32; 3]; aw * ah];
    let mut known = vec![false; aw * ah];
    for (a, n) in texels {
        values[a] = ldi.colour[n as usize].map(f32::from);
        known[a] = true;
    }
    let mut target = known.clone();
    for _ in 0..PADDING {
        let grown: Vec<usize> = (0..aw * ah)
            .filter(|&i| !target[i] && grid_neighbours(i, aw, ah).any(|n| target[n]))
            .collect();
        grown.into_iter().for_each(|i| target[i] = true);
    }
    propagate_mean(aw, ah, &mut values, &mut known, &target);
    for (i, px) in image.pixels_mut().enumerate() {
        if known[i] {
            px.0 = values[i].map(|v| v.round().clamp(0.0, 255.0) as u8);
        }
    }
    image
}
