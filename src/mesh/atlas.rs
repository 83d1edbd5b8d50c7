//! The texture atlas: the mesh's surfaces laid out on canvas-sized pages (at
//! most one node per pixel per page), the pages cut into tiles, and only the
//! tiles that hold something packed into one texture. The renderer and the
//! GLB both draw their colour from it. A merged block never spans two tiles,
//! so its texture is one contiguous picture of its surface.

use crate::filter::colour::to_channel;
use crate::grid::{grid_neighbours, propagate_mean};
use crate::ldi::{Ldi, DOWN, LEFT, NONE, RIGHT, UP};
use crate::mesh::node_triangles;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder, RgbImage};
use rayon::prelude::*;

/// Side of a tile in pixels; also the largest merged block, so that a block
/// lies in one tile.
pub(crate) const TILE: usize = 32;

/// Texels of colour padding around each tile's content, against bilinear bleeding.
const PADDING: usize = 2;

/// Side of a tile's place in the atlas: the tile, one more row and column
/// (the first of its right and lower neighbours, where a block or cell on
/// the tile's last pixels has its far corners) and the padding.
const SLOT: usize = TILE + 1 + 2 * PADDING;

/// A triangle corner: (page, canvas pixel); the page's node there is the corner's.
pub(crate) type Corner = (u32, u32);

/// One TILE×TILE square of a page.
#[derive(Debug, Clone)]
pub(crate) struct Tile {
    pub(crate) page: u32,
    /// Canvas pixel of the top-left corner.
    pub(crate) origin: (usize, usize),
    /// Node per pixel (row-major), NONE where the page is free.
    nodes: Vec<u32>,
    /// Per row, bit x set where the fully linked cell whose top-left node is
    /// at that pixel was placed on this page.
    cells: [u32; TILE],
}

impl Tile {
    /// Whether the fully linked cell at tile pixel (x, y) was placed here.
    pub(crate) fn has_cell(&self, x: usize, y: usize) -> bool {
        self.cells[y] >> x & 1 == 1
    }
}

/// Units of the mesh placed on pages: fully linked cells (their two
/// triangles) and every other face, each with all its corners on one page.
#[derive(Debug, Clone, Default)]
pub(crate) struct Layout {
    width: usize,
    height: usize,
    tiles_across: usize,
    /// Per page, per tile position (row-major): index into `tiles`, or NONE.
    pages: Vec<Vec<u32>>,
    pub(crate) tiles: Vec<Tile>,
    /// The mesh faces outside fully linked cells, as corners.
    pub(crate) triangles: Vec<[Corner; 3]>,
}

impl Layout {
    /// Places every fully linked cell and every other face that `build_mesh`
    /// makes of `ldi` on the first page where its nodes' pixels are free or
    /// already theirs.
    fn new(ldi: &Ldi) -> Layout {
        let tiles_across = ldi.width.div_ceil(TILE);
        let mut layout = Layout {
            width: ldi.width,
            height: ldi.height,
            tiles_across,
            pages: Vec::new(),
            tiles: Vec::new(),
            triangles: Vec::new(),
        };
        // The other faces need only the LDI: they are found beside the
        // serial placing of the cells.
        let ((), lone) = rayon::join(|| layout.place_cells(ldi), || lone_triangles(ldi));
        for nodes in lone {
            let spots = nodes.map(|n| {
                let pixel = ldi.pixel[n as usize] as usize;
                (pixel % ldi.width, pixel / ldi.width)
            });
            let page = layout.place(&nodes, &spots);
            let corners = nodes.map(|n| (page, ldi.pixel[n as usize]));
            // The triangle's texels lie in the tile of its top-left bound.
            let (x, y) = layout.top_left(&corners);
            layout.tile_or_new(page, x, y);
            layout.triangles.push(corners);
        }
        layout
    }

    /// Places every fully linked cell of `ldi`, in node order.
    fn place_cells(&mut self, ldi: &Ldi) {
        for v in 0..ldi.node_count() {
            if let Some(corners) = full_cell(ldi, v) {
                let pixel = ldi.pixel[v] as usize;
                let (x, y) = (pixel % ldi.width, pixel / ldi.width);
                let tile = if x % TILE + 1 < TILE && y % TILE + 1 < TILE {
                    self.place_inside_tile(&corners, x, y)
                } else {
                    // Links join 4-adjacent pixels: the corners' pixels follow from v's.
                    let spots = [(x, y), (x + 1, y), (x, y + 1), (x + 1, y + 1)];
                    let page = self.place(&corners, &spots);
                    self.tile_or_new(page, x, y)
                };
                let (x0, y0) = self.tiles[tile].origin;
                self.tiles[tile].cells[y - y0] |= 1 << (x - x0);
            }
        }
    }

    /// [`Layout::place`] for a cell whose top-left corner is at (x, y) and
    /// whose four pixels lie in one tile (most cells): that tile is looked up
    /// once per page instead of once per corner. Returns the tile.
    fn place_inside_tile(&mut self, corners: &[u32; 4], x: usize, y: usize) -> usize {
        let position = self.tile_position(x, y);
        let first = (y % TILE) * TILE + x % TILE;
        let at = [first, first + 1, first + TILE, first + TILE + 1];
        let fits = |tile: u32| {
            tile == NONE
                || at.iter().zip(corners).all(|(&i, &n)| {
                    let held = self.tiles[tile as usize].nodes[i];
                    held == NONE || held == n
                })
        };
        let page = match self.pages.iter().position(|page| fits(page[position])) {
            Some(p) => p as u32,
            None => self.new_page(),
        };
        let tile = self.tile_or_new(page, x, y);
        for (i, &n) in at.iter().zip(corners) {
            self.tiles[tile].nodes[*i] = n;
        }
        tile
    }

    /// Canvas width in pixels.
    pub(crate) fn width(&self) -> usize {
        self.width
    }

    pub(crate) fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Node at canvas pixel (x, y) of `page`, or NONE (also off the canvas).
    pub(crate) fn node(&self, page: u32, x: usize, y: usize) -> u32 {
        if x >= self.width || y >= self.height {
            return NONE;
        }
        match self.pages[page as usize][self.tile_position(x, y)] {
            NONE => NONE,
            t => self.tiles[t as usize].nodes[(y % TILE) * TILE + x % TILE],
        }
    }

    /// Node at pixel (x, y) of `tile`, up to TILE (the first row and column
    /// of the tiles beside it): the tile's own pixels are read from it
    /// without looking up the page's tile.
    pub(crate) fn node_in_tile(&self, tile: &Tile, x: usize, y: usize) -> u32 {
        if x < TILE && y < TILE {
            tile.nodes[y * TILE + x]
        } else {
            self.node(tile.page, tile.origin.0 + x, tile.origin.1 + y)
        }
    }

    /// The corner's node.
    pub(crate) fn node_of(&self, (page, pixel): Corner) -> u32 {
        let pixel = pixel as usize;
        self.node(page, pixel % self.width, pixel / self.width)
    }

    /// Index of the tile whose texels hold triangle `t`: that of its
    /// top-left bound, on its page.
    pub(crate) fn unit(&self, t: &[Corner; 3]) -> usize {
        let (x, y) = self.top_left(t);
        self.pages[t[0].0 as usize][self.tile_position(x, y)] as usize
    }

    /// The canvas pixels (x0..=x1, y0..=y1) the corners of `t` span.
    pub(crate) fn pixel_bounds(&self, t: &[Corner; 3]) -> [std::ops::RangeInclusive<usize>; 2] {
        let w = self.width;
        let xs = t.map(|c| c.1 as usize % w);
        let ys = t.map(|c| c.1 as usize / w);
        let span = |v: [usize; 3]| v[0].min(v[1]).min(v[2])..=v[0].max(v[1]).max(v[2]);
        [span(xs), span(ys)]
    }

    /// The smallest x and smallest y of the corners.
    fn top_left(&self, t: &[Corner; 3]) -> (usize, usize) {
        let [xs, ys] = self.pixel_bounds(t);
        (*xs.start(), *ys.start())
    }

    fn tile_position(&self, x: usize, y: usize) -> usize {
        (y / TILE) * self.tiles_across + x / TILE
    }

    /// Position of canvas `pixel` within tile `tile` (up to TILE: the apron).
    pub(crate) fn in_tile(&self, tile: usize, pixel: usize) -> (usize, usize) {
        let (x0, y0) = self.tiles[tile].origin;
        (pixel % self.width - x0, pixel / self.width - y0)
    }

    /// The tile of `page` holding pixel (x, y), made empty if there is none.
    fn tile_or_new(&mut self, page: u32, x: usize, y: usize) -> usize {
        let position = self.tile_position(x, y);
        let index = &mut self.pages[page as usize][position];
        if *index == NONE {
            *index = self.tiles.len() as u32;
            self.tiles.push(Tile {
                page,
                origin: (x / TILE * TILE, y / TILE * TILE),
                nodes: vec![NONE; TILE * TILE],
                cells: [0; TILE],
            });
        }
        *index as usize
    }

    /// Adds an empty page; returns its index.
    fn new_page(&mut self) -> u32 {
        let tiles_down = self.height.div_ceil(TILE);
        self.pages.push(vec![NONE; self.tiles_across * tiles_down]);
        self.pages.len() as u32 - 1
    }

    /// Claims the nodes' pixels (canvas pixel (x, y) of each node in `spots`)
    /// on the first page that can hold them all; returns its index.
    fn place<const N: usize>(&mut self, nodes: &[u32; N], spots: &[(usize, usize); N]) -> u32 {
        let fits = |page: u32| {
            nodes.iter().zip(spots).all(|(&n, &(x, y))| {
                let held = self.node(page, x, y);
                held == NONE || held == n
            })
        };
        let page = match (0..self.pages.len() as u32).find(|&p| fits(p)) {
            Some(p) => p,
            None => self.new_page(),
        };
        for (&n, &(x, y)) in nodes.iter().zip(spots) {
            let tile = self.tile_or_new(page, x, y);
            self.tiles[tile].nodes[(y % TILE) * TILE + x % TILE] = n;
        }
        page
    }
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

/// The faces `build_mesh` makes of `ldi` outside fully linked cells, in node
/// order. Most nodes lie inside a surface that continues on the grid all
/// around them ([`PlainGrid::surrounds`]): they make no such face, and that
/// is decided from a byte per pixel instead of their neighbours' links.
fn lone_triangles(ldi: &Ldi) -> Vec<[u32; 3]> {
    let grid = PlainGrid::of(ldi);
    (0..ldi.node_count())
        .into_par_iter()
        .filter(|&v| !grid.surrounds(v))
        .flat_map_iter(|v| node_triangles(ldi, v))
        .filter(|&nodes| !in_full_cell(ldi, nodes))
        .collect()
}

/// Which grid nodes (node i at pixel i, as [`Ldi::from_grid`] numbers them)
/// lie off the canvas border and link to the grid nodes of their four
/// neighbours and to nothing else.
struct PlainGrid {
    plain: Vec<bool>,
    width: usize,
}

impl PlainGrid {
    fn of(ldi: &Ldi) -> PlainGrid {
        let (w, h) = (ldi.width, ldi.height);
        let mut plain = vec![false; w * h];
        plain
            .par_chunks_mut(w.max(1))
            .enumerate()
            .for_each(|(y, row)| {
                if y == 0 || y + 1 == h {
                    return;
                }
                for (x, plain) in row.iter_mut().enumerate().take(w - 1).skip(1) {
                    let v = y * w + x;
                    let l = ldi.links[v].map(|n| n as usize);
                    *plain =
                        l[LEFT] == v - 1 && l[RIGHT] == v + 1 && l[UP] == v - w && l[DOWN] == v + w;
                }
            });
        PlainGrid { plain, width: w }
    }

    /// Whether node `v`, its four neighbours and its up-right and down-left
    /// neighbours are all plain. Then the quads around `v` close as grid
    /// squares: its only corner triangles are the top-left and bottom-right
    /// ones, and each lies in a fully linked cell. Decided from bytes, not
    /// from links.
    fn surrounds(&self, v: usize) -> bool {
        let (plain, w) = (&self.plain, self.width);
        // A plain node is off the border, so its neighbours are on the canvas.
        v < plain.len()
            && plain[v]
            && [v - 1, v + 1, v - w, v + w, v - w + 1, v + w - 1]
                .iter()
                .all(|&p| plain[p])
    }
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

/// The layout of a mesh's surfaces and their colour packed into one texture,
/// one slot per tile.
#[derive(Debug, Clone, Default)]
pub struct Atlas {
    pub(crate) layout: Layout,
    /// Slots per atlas row.
    columns: usize,
    image: RgbImage,
}

impl Atlas {
    /// The atlas of the mesh that `build_mesh` makes of `ldi`.
    pub fn new(ldi: &Ldi) -> Atlas {
        let layout = Layout::new(ldi);
        let slots = layout.tiles.len();
        let columns = (slots as f64).sqrt().ceil().max(1.0) as usize;
        let rows = slots.div_ceil(columns);
        let mut image = RgbImage::new((columns * SLOT) as u32, (rows * SLOT) as u32);
        let stride = columns * SLOT * 3;
        // Each task paints one row of slots straight into the image.
        let slot_rows = image.par_chunks_mut(stride * SLOT);
        slot_rows
            .zip(layout.tiles.par_chunks(columns))
            .for_each(|(band, tiles)| {
                for (column, tile) in tiles.iter().enumerate() {
                    let texels = paint_slot(ldi, &layout, tile);
                    for (y, row) in texels.chunks(SLOT).enumerate() {
                        let start = y * stride + column * SLOT * 3;
                        band[start..start + SLOT * 3].copy_from_slice(row.as_flattened());
                    }
                }
            });
        Atlas {
            layout,
            columns,
            image,
        }
    }

    /// Texture size in texels.
    pub fn size(&self) -> (usize, usize) {
        (self.image.width() as usize, self.image.height() as usize)
    }

    pub(crate) fn texture(&self) -> &RgbImage {
        &self.image
    }

    /// Where a corner's texel is in the atlas (texel units, centres at
    /// integers), in the slot of tile `unit` (from [`Layout::unit`]).
    pub(crate) fn texel(&self, (_, pixel): Corner, unit: usize) -> [f32; 2] {
        let (x, y) = self.layout.in_tile(unit, pixel as usize);
        [
            (unit % self.columns * SLOT + PADDING + x) as f32,
            (unit / self.columns * SLOT + PADDING + y) as f32,
        ]
    }

    /// Texture coordinate of a corner in [0, 1]: the centre of its texel.
    pub(crate) fn uv(&self, corner: Corner, unit: usize) -> [f32; 2] {
        let [x, y] = self.texel(corner, unit);
        let (w, h) = self.size();
        [(x + 0.5) / w as f32, (y + 0.5) / h as f32]
    }

    pub(crate) fn png(&self) -> Result<Vec<u8>, image::ImageError> {
        let mut png = Vec::new();
        PngEncoder::new_with_quality(&mut png, CompressionType::Fast, FilterType::Adaptive)
            .write_image(
                self.image.as_raw(),
                self.image.width(),
                self.image.height(),
                ExtendedColorType::Rgb8,
            )?;
        Ok(png)
    }
}

/// The texels of a tile's slot: its nodes' colours (with the first row and
/// column of its neighbours), padded by `PADDING` texels of continued colour
/// so that bilinear sampling near a surface's edge stays on that surface;
/// grey elsewhere.
fn paint_slot(ldi: &Ldi, layout: &Layout, tile: &Tile) -> Vec<[u8; 3]> {
    let nodes: Vec<u32> = (0..=TILE)
        .flat_map(|y| (0..=TILE).map(move |x| layout.node_in_tile(tile, x, y)))
        .collect();
    let colours = (nodes.iter()).map(|&n| (n != NONE).then(|| ldi.colour[n as usize]));
    if nodes.contains(&NONE) {
        paint_any_slot(colours)
    } else {
        paint_whole_slot(colours.flatten())
    }
}

/// Side of a tile with its apron (the first row and column of its neighbours).
const APRON: usize = TILE + 1;

/// [`paint_slot`] of a tile whose texels are given row by row (apron
/// included, None where the page has no node).
fn paint_any_slot(colours: impl Iterator<Item = Option<[u8; 3]>>) -> Vec<[u8; 3]> {
    let mut values = vec![[0f32; 3]; SLOT * SLOT];
    let mut known = vec![false; SLOT * SLOT];
    for (k, colour) in colours.enumerate() {
        if let Some(colour) = colour {
            let i = (k / APRON + PADDING) * SLOT + k % APRON + PADDING;
            values[i] = colour.map(f32::from);
            known[i] = true;
        }
    }
    let mut target = known.clone();
    for _ in 0..PADDING {
        let grown: Vec<usize> = (0..SLOT * SLOT)
            .filter(|&i| !target[i] && grid_neighbours(i, SLOT, SLOT).any(|n| target[n]))
            .collect();
        grown.into_iter().for_each(|i| target[i] = true);
    }
    propagate_mean(SLOT, SLOT, &mut values, &mut known, &target);
    values
        .iter()
        .zip(&known)
        .map(|(v, &k)| if k { v.map(to_channel) } else { [128; 3] })
        .collect()
}

/// [`paint_any_slot`] of a tile whose every texel holds a node (most tiles of
/// the photo's own page), without its growing: there the padding repeats the
/// border rows and columns outward, and the texel diagonal to each corner,
/// the mean of two repeats of that corner, is the corner's colour.
fn paint_whole_slot(colours: impl Iterator<Item = [u8; 3]>) -> Vec<[u8; 3]> {
    let mut texels = vec![[128; 3]; SLOT * SLOT];
    let at = |x: usize, y: usize| y * SLOT + x;
    for (k, colour) in colours.enumerate() {
        texels[at(k % APRON + PADDING, k / APRON + PADDING)] = colour;
    }
    let (first, last) = (PADDING, PADDING + TILE);
    for d in 1..=PADDING {
        for i in first..=last {
            texels[at(i, first - d)] = texels[at(i, first)];
            texels[at(i, last + d)] = texels[at(i, last)];
            texels[at(first - d, i)] = texels[at(first, i)];
            texels[at(last + d, i)] = texels[at(last, i)];
        }
    }
    for (x, y, dx, dy) in [
        (first, first, 0, 0),
        (last, first, 2, 0),
        (first, last, 0, 2),
        (last, last, 2, 2),
    ] {
        texels[at(x + dx - 1, y + dy - 1)] = texels[at(x, y)];
    }
    texels
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edges::{find_cuts, CutRule};
    use crate::ldi::origin;
    use crate::mesh::quad_mask;

    /// Three tiles across, two down; a cut down column 40 with a hidden
    /// strip of four columns behind it (columns 36..40), in the middle tile only.
    fn cut_with_hidden_strip() -> (Ldi, usize) {
        let (w, h) = (80, 50);
        let depth: Vec<f32> = (0..w * h)
            .map(|i| if i % w < 40 { 1.0 } else { 6.0 })
            .collect();
        let colour: Vec<[u8; 3]> = (0..w * h)
            .map(|i| [(i % w * 3) as u8, (i / w * 5) as u8, (i * 7 % 251) as u8])
            .collect();
        let cuts = find_cuts(&depth, w, h, 0.04, CutRule::Jump);
        let mut ldi = Ldi::from_grid(&depth, &colour, &vec![origin::ORIGINAL; w * h], &cuts, 0);
        let mut above: Vec<u32> = Vec::new();
        for y in 0..h {
            let strip: Vec<u32> = (36..40)
                .map(|x| ldi.push_node(y * w + x, 6.0, [200, 10, (y * 4) as u8], 0))
                .collect();
            for pair in strip.windows(2) {
                ldi.try_link(pair[0], pair[1], RIGHT);
            }
            for (&a, &b) in above.iter().zip(&strip) {
                ldi.try_link(a, b, DOWN);
            }
            above = strip;
        }
        (ldi, w)
    }

    #[test]
    fn only_tiles_with_content_are_packed_and_each_texel_is_its_nodes_colour() {
        let (ldi, w) = cut_with_hidden_strip();
        let atlas = Atlas::new(&ldi);
        let layout = &atlas.layout;
        assert_eq!(layout.page_count(), 2);
        // Page 0 has all six tiles; the strip lies in the tiles of column 32..64.
        let hidden: Vec<&Tile> = layout.tiles.iter().filter(|t| t.page == 1).collect();
        assert_eq!(hidden.len(), 2, "tiles of the hidden page");
        assert!(hidden.iter().all(|t| t.origin.0 == 32));
        let (aw, ah) = atlas.size();
        assert!(aw * ah <= 9 * SLOT * SLOT, "atlas {aw}x{ah}");
        // Every corner of every placed unit reads its node's colour.
        let texel_colour = |corner: Corner, unit: usize| {
            let [x, y] = atlas.texel(corner, unit);
            atlas.texture().get_pixel(x as u32, y as u32).0
        };
        let mut checked = 0;
        for (unit, tile) in layout.tiles.iter().enumerate() {
            for (x, y) in (0..TILE * TILE).map(|i| (i % TILE, i / TILE)) {
                if tile.has_cell(x, y) {
                    for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                        let (px, py) = (tile.origin.0 + x + dx, tile.origin.1 + y + dy);
                        let corner = (tile.page, (py * w + px) as u32);
                        let n = layout.node_of(corner) as usize;
                        assert_eq!(texel_colour(corner, unit), ldi.colour[n]);
                        checked += 1;
                    }
                }
            }
        }
        for t in &layout.triangles {
            for &c in t {
                let n = layout.node_of(c) as usize;
                assert_eq!(texel_colour(c, layout.unit(t)), ldi.colour[n]);
            }
        }
        assert!(checked > 4 * 3000, "{checked} corners");
    }

    /// [`cut_with_hidden_strip`] with the odd links real LDIs have, and some
    /// they should not have.
    fn odd_links() -> (Ldi, usize) {
        let (mut ldi, w) = cut_with_hidden_strip();
        // The strip's last column joins the far side across the cut, as an
        // extended layer does, so grid nodes there link to pushed nodes.
        let pushed = ldi.width * ldi.height;
        let strip_end = |y: usize| (pushed + y * 4 + 3) as u32;
        for y in 10..30 {
            assert!(ldi.try_link(strip_end(y), (y * w + 40) as u32, RIGHT));
        }
        // A cut between rows 45 and 46 that ends inside the surface.
        for x in 5..20 {
            ldi.links[45 * w + x][DOWN] = NONE;
            ldi.links[46 * w + x][UP] = NONE;
        }
        // Links taken away on one side only, and a node linked to a pixel
        // that is not its neighbour.
        ldi.links[20 * w + 60][UP] = NONE;
        ldi.links[30 * w + 70][DOWN] = NONE;
        ldi.links[40 * w + 10][RIGHT] = (40 * w + 12) as u32;
        (ldi, w)
    }

    #[test]
    fn a_whole_slot_is_painted_as_the_growing_paints_it() {
        let colours: Vec<[u8; 3]> = (0..APRON * APRON)
            .map(|i| {
                [
                    (i * 37 % 256) as u8,
                    (i * 101 % 253) as u8,
                    (i % 7 * 40) as u8,
                ]
            })
            .collect();
        let whole = paint_whole_slot(colours.iter().copied());
        assert_eq!(whole, paint_any_slot(colours.iter().map(|&c| Some(c))));
        // The padding is painted, not left grey.
        assert_eq!(whole[SLOT + 1], colours[0]);
        assert_eq!(whole[PADDING * SLOT], colours[0]);
    }

    #[test]
    fn lone_triangles_are_the_faces_outside_full_cells() {
        let (ldi, _) = odd_links();
        let expected: Vec<[u32; 3]> = (0..ldi.node_count())
            .flat_map(|v| node_triangles(&ldi, v))
            .filter(|&nodes| !in_full_cell(&ldi, nodes))
            .collect();
        assert!(expected.len() >= 12, "{} lone triangles", expected.len());
        assert_eq!(lone_triangles(&ldi), expected);
    }

    #[test]
    fn nodes_a_plain_grid_surrounds_have_the_grid_square_corners() {
        let (ldi, w) = odd_links();
        let grid = PlainGrid::of(&ldi);
        let surrounded = (0..ldi.node_count()).filter(|&v| grid.surrounds(v));
        let count = surrounded.clone().count();
        assert!(count > 2000, "{count} surrounded");
        for v in surrounded {
            // Corners 0 and 1 only: the top-left and bottom-right triangles.
            assert_eq!(quad_mask(&ldi, v), 0b0011, "node {v}");
        }
        // Every node next to an odd link is left to the links.
        let odd = [
            20 * w + 60,
            19 * w + 60,
            30 * w + 70,
            40 * w + 10,
            15 * w + 40,
        ];
        for v in odd {
            assert!(!grid.surrounds(v), "node {v}");
        }
    }
}
