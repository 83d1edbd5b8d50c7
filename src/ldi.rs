//! Layered depth image: nodes with colour and depth at pixel positions, several
//! per pixel where inpainting added hidden layers, joined by 4-neighbour links.
//!
//! Stored as a struct of flat arrays indexed by node id; each pixel keeps the
//! head of a singly linked list of its layers, so adding a layer allocates nothing
//! per node.

use crate::edges::Cuts;
use rayon::prelude::*;

/// Marks a missing link or list end.
pub const NONE: u32 = u32::MAX;

/// Link directions, in the order of `Ldi::links` entries.
pub const LEFT: usize = 0;
pub const RIGHT: usize = 1;
pub const UP: usize = 2;
pub const DOWN: usize = 3;

/// The direction that points back.
pub const fn opposite(dir: usize) -> usize {
    dir ^ 1
}

/// Where a node came from; the values are the reference's PLY alpha labels.
pub mod origin {
    /// A pixel of the photo.
    pub const ORIGINAL: u8 = 1;
    /// Background synthesized behind a discontinuity in the first pass.
    pub const INPAINTED: u8 = 2;
    /// Background synthesized in the second pass.
    pub const INPAINTED_2: u8 = 3;
    /// Scene extrapolated beyond the photo's border.
    pub const EXTRAPOLATED: u8 = 5;
}

#[derive(Debug, Clone)]
pub struct Ldi {
    /// Canvas size in pixels, frame included.
    pub width: usize,
    pub height: usize,
    /// Width of the extrapolated frame around the photo.
    pub frame: usize,
    pub pixel: Vec<u32>,
    pub depth: Vec<f32>,
    pub colour: Vec<[u8; 3]>,
    pub links: Vec<[u32; 4]>,
    pub origin: Vec<u8>,
    /// Next layer at the same pixel, or NONE.
    pub next_layer: Vec<u32>,
    /// First (visible) layer of each pixel, or NONE.
    pub first_layer: Vec<u32>,
}

impl Ldi {
    /// One layer from a dense canvas: node i sits at pixel i, linked to its
    /// 4-neighbours except across cut links.
    pub fn from_grid(
        depth: &[f32],
        colour: &[[u8; 3]],
        origin: &[u8],
        cuts: &Cuts,
        frame: usize,
    ) -> Ldi {
        let (w, h) = (cuts.width, cuts.height);
        let links = with_room((0..w * h).into_par_iter().map(|i| {
            let (x, y) = (i % w, i / w);
            // A link to each 4-neighbour on the canvas that no cut parts.
            let to = |linked: bool, n: usize| if linked { n as u32 } else { NONE };
            let mut l = [NONE; 4];
            l[LEFT] = to(x > 0 && !cuts.right[i - 1], i.wrapping_sub(1));
            l[RIGHT] = to(x + 1 < w && !cuts.right[i], i + 1);
            l[UP] = to(y > 0 && !cuts.down[i - w], i.wrapping_sub(w));
            l[DOWN] = to(y + 1 < h && !cuts.down[i], i + w);
            l
        }));
        // Canvases of large photos are hundreds of megabytes: copied in parallel.
        Ldi {
            width: w,
            height: h,
            frame,
            pixel: with_room((0..(w * h) as u32).into_par_iter()),
            depth: with_room(depth.par_iter().copied()),
            colour: with_room(colour.par_iter().copied()),
            links,
            origin: with_room(origin.par_iter().copied()),
            next_layer: with_room(rayon::iter::repeat_n(NONE, w * h)),
            first_layer: (0..(w * h) as u32).into_par_iter().collect(),
        }
    }

    pub fn node_count(&self) -> usize {
        self.depth.len()
    }

    /// Canvas position (x, y) of a node.
    pub fn position(&self, node: usize) -> (usize, usize) {
        let p = self.pixel[node] as usize;
        (p % self.width, p / self.width)
    }

    /// Nodes at a pixel, visible layer first.
    pub fn layers(&self, pixel: usize) -> Layers<'_> {
        Layers {
            ldi: self,
            next: self.first_layer[pixel],
        }
    }

    /// Appends a node as the last layer of `pixel`; returns its id.
    pub fn push_node(&mut self, pixel: usize, depth: f32, colour: [u8; 3], origin: u8) -> u32 {
        let id = self.depth.len() as u32;
        self.pixel.push(pixel as u32);
        self.depth.push(depth);
        self.colour.push(colour);
        self.links.push([NONE; 4]);
        self.origin.push(origin);
        self.next_layer.push(NONE);
        match self.layers(pixel).last() {
            Some(last) => self.next_layer[last as usize] = id,
            None => self.first_layer[pixel] = id,
        }
        id
    }

    /// Links two nodes at 4-adjacent pixels if both free slots allow it.
    pub fn try_link(&mut self, a: u32, b: u32, dir_from_a: usize) -> bool {
        let back = opposite(dir_from_a);
        if self.links[a as usize][dir_from_a] == NONE && self.links[b as usize][back] == NONE {
            self.links[a as usize][dir_from_a] = b;
            self.links[b as usize][back] = a;
            true
        } else {
            false
        }
    }

    /// Linked neighbours of a node with their directions.
    pub fn linked(&self, node: usize) -> impl Iterator<Item = (usize, u32)> + '_ {
        self.links[node]
            .iter()
            .enumerate()
            .filter(|(_, &n)| n != NONE)
            .map(|(d, &n)| (d, n))
    }
}

/// The items of `grid` in a vector with room for as many more nodes: the
/// hidden layers are pushed one node at a time, and growing a vector of a
/// large photo's nodes would copy them all into fresh memory, whose pages are
/// dear to fault in. Room never written costs address space only.
fn with_room<T: Send>(grid: impl IndexedParallelIterator<Item = T>) -> Vec<T> {
    let mut nodes = Vec::with_capacity(2 * grid.len());
    nodes.par_extend(grid);
    nodes
}

/// Iterator over the layers at one pixel.
pub struct Layers<'a> {
    ldi: &'a Ldi,
    next: u32,
}

impl Iterator for Layers<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.next == NONE {
            return None;
        }
        let current = self.next;
        self.next = self.ldi.next_layer[current as usize];
        Some(current)
    }
}

/// The pixel next to `i` in direction `dir`, if inside the canvas.
pub fn neighbour_pixel(i: usize, dir: usize, w: usize, h: usize) -> Option<usize> {
    let (x, y) = (i % w, i / w);
    match dir {
        LEFT => (x > 0).then(|| i - 1),
        RIGHT => (x + 1 < w).then(|| i + 1),
        UP => (y > 0).then(|| i - w),
        _ => (y + 1 < h).then(|| i + w),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edges::find_cuts;

    #[test]
    fn grid_links_respect_cuts_and_layers_chain() {
        let (w, h) = (4, 3);
        let depth: Vec<f32> = (0..w * h)
            .map(|i| if i % w < 2 { 1.0 } else { 5.0 })
            .collect();
        let cuts = find_cuts(&depth, w, h, 0.04, crate::edges::CutRule::Jump);
        let mut ldi = Ldi::from_grid(
            &depth,
            &vec![[0; 3]; w * h],
            &vec![origin::ORIGINAL; w * h],
            &cuts,
            0,
        );
        assert_eq!(ldi.links[0], [NONE, 1, NONE, 4]);
        assert_eq!(ldi.links[1][RIGHT], NONE, "cut across the jump");
        let a = ldi.push_node(1, 5.0, [9; 3], origin::INPAINTED);
        let b = ldi.push_node(1, 6.0, [9; 3], origin::INPAINTED);
        assert_eq!(ldi.layers(1).collect::<Vec<_>>(), vec![1, a, b]);
        assert!(ldi.try_link(a, 2, RIGHT));
        assert!(!ldi.try_link(b, 2, RIGHT), "slot already taken");
        assert_eq!(ldi.links[2][LEFT], a);
    }

    #[test]
    fn as_many_hidden_nodes_as_grid_nodes_are_pushed_in_place() {
        let (w, h) = (5, 4);
        let depth = vec![2.0; w * h];
        let cuts = find_cuts(&depth, w, h, 0.04, crate::edges::CutRule::Jump);
        let mut ldi = Ldi::from_grid(&depth, &[[0; 3]; 20], &[origin::ORIGINAL; 20], &cuts, 0);
        let places = |ldi: &Ldi| {
            [
                ldi.pixel.as_ptr() as usize,
                ldi.depth.as_ptr() as usize,
                ldi.colour.as_ptr() as usize,
                ldi.links.as_ptr() as usize,
                ldi.origin.as_ptr() as usize,
                ldi.next_layer.as_ptr() as usize,
            ]
        };
        let before = places(&ldi);
        for pixel in 0..w * h {
            ldi.push_node(pixel, 3.0, [1; 3], origin::INPAINTED);
        }
        assert_eq!(places(&ldi), before, "a node array was copied");
        assert_eq!(ldi.node_count(), 2 * w * h);
    }
}
