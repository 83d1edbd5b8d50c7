//! Context-aware layered inpainting: behind every near-side discontinuity,
//! new background nodes whose depth and colour come from the background
//! context only, merged into the LDI as a new layer. A second pass does the
//! same behind discontinuities inside the new layers (nested occlusions).

pub mod border;
pub mod colour;
pub mod fill;
pub mod region;

use crate::edges::{continuous, CutRule, DisjointSets, EdgeMap};
use crate::ldi::{neighbour_pixel, opposite, origin, Ldi, NONE};
use region::{Region, RegionGrower, Thickness};
use std::sync::mpsc;

/// Settings of both inpainting passes.
#[derive(Debug, Clone, Copy)]
pub struct InpaintParams {
    pub first: Thickness,
    pub second: Thickness,
    /// Disparity jump (normalised scale) above which new nodes are not linked.
    pub threshold: f32,
    /// Curves of at most this many nodes get no second-pass region.
    pub min_curve: usize,
    /// The rule the cuts were found by: under the jump rule, a node across a
    /// one-link spur seeds no context (see `RegionGrower`).
    pub cut_rule: CutRule,
}

/// What the inpainting passes did.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct InpaintStats {
    /// Discontinuity curves considered in the first pass.
    pub edges: usize,
    /// Curves with background behind them that got a region.
    pub regions: usize,
    /// Nodes added by the first pass.
    pub new_nodes: usize,
    /// Curves inside the new layers handled by the second pass.
    pub second_pass_edges: usize,
    /// Nodes added by the second pass.
    pub second_pass_nodes: usize,
}

/// Both passes: behind the photo's discontinuities, then behind those the
/// first pass created inside its own layers.
pub fn inpaint_layers(ldi: &mut Ldi, edges: &EdgeMap, params: &InpaintParams) -> InpaintStats {
    let curves: Vec<Vec<u32>> = edges
        .curves()
        .iter()
        .map(|curve| {
            curve
                .iter()
                .map(|&p| ldi.first_layer[p])
                .filter(|&n| n != NONE)
                .collect()
        })
        .collect();
    let first_new = ldi.node_count();
    let mut fills = FillVotes::new(first_new);
    let (regions, new_nodes) = inpaint_pass(
        ldi,
        &mut fills,
        &curves,
        params.first,
        None,
        origin::INPAINTED,
        params,
    );
    let (inner, short): (Vec<Vec<u32>>, Vec<Vec<u32>>) =
        layer_edges(ldi, first_new, params.threshold)
            .into_iter()
            .partition(|c| c.len() > params.min_curve);
    for &node in short.iter().flatten() {
        close_seam(ldi, node as usize, params.threshold);
    }
    let (_, second_nodes) = inpaint_pass(
        ldi,
        &mut fills,
        &inner,
        params.second,
        Some(origin::INPAINTED),
        origin::INPAINTED_2,
        params,
    );
    InpaintStats {
        edges: edges.count,
        regions,
        new_nodes,
        second_pass_edges: inner.len(),
        second_pass_nodes: second_nodes,
    }
}

/// One pass over `curves` (near-side nodes): regions, depth and colour fill in
/// parallel, then merging. Returns (regions, nodes added).
fn inpaint_pass(
    ldi: &mut Ldi,
    votes: &mut FillVotes,
    curves: &[Vec<u32>],
    thickness: Thickness,
    mask_origin: Option<u8>,
    label: u8,
    params: &InpaintParams,
) -> (usize, usize) {
    let threshold = params.threshold;
    let shared: &Ldi = ldi;
    let mut grower = RegionGrower::new(shared, mask_origin, params.cut_rule);
    // Regions grow one after another (the grower carries state from one to
    // the next), and each is filled as a task of its own once grown: the
    // other cores fill while this one grows.
    let (sender, receiver) = mpsc::channel();
    rayon::scope(|scope| {
        let regions = curves
            .iter()
            .filter_map(|nodes| grower.grow(shared, nodes, thickness));
        for (index, region) in regions.enumerate() {
            let sender = sender.clone();
            scope.spawn(move |_| {
                let depth = fill::fill_depth(&region, shared, threshold);
                let colour = colour::fill_colour(&region, shared, &depth);
                let fill = Fill::of(&region, &depth, &colour, shared.width);
                // The receiver outlives the scope, so the send cannot fail.
                let _ = sender.send((index, fill));
            });
        }
    });
    drop(sender);
    let mut filled: Vec<_> = receiver.into_iter().collect();
    filled.sort_unstable_by_key(|fill| fill.0);
    let mut added = 0;
    for (_, fill) in &filled {
        added += merge_fill(ldi, votes, fill, label, threshold);
    }
    (filled.len(), added)
}

/// Colours that the fills of overlapping regions gave each synthesized node.
/// Regions of neighbouring cuts overlap and continue the same background, so
/// a pixel they share gets one node (on the Art scene, 2 M pairs of nodes at
/// one pixel had lain within a jump of each other) whose colour is the mean
/// of their fills: independent guesses of the same unseen surface err less
/// on average.
struct FillVotes {
    /// Id of the first synthesized node.
    first: usize,
    /// Per synthesized node: colour sums and the number of fills summed.
    sums: Vec<([u32; 3], u32)>,
}

impl FillVotes {
    fn new(first: usize) -> Self {
        FillVotes {
            first,
            sums: Vec::new(),
        }
    }

    /// A synthesized node at `pixel` on the surface of a new fill of `depth`, if any.
    fn node_at(&self, ldi: &Ldi, pixel: usize, depth: f32, threshold: f32) -> Option<u32> {
        ldi.layers(pixel).find(|&m| {
            m as usize >= self.first && continuous(ldi.depth[m as usize], depth, threshold)
        })
    }

    /// A new synthesized node.
    fn push(&mut self, ldi: &mut Ldi, pixel: usize, depth: f32, colour: [u8; 3], label: u8) -> u32 {
        let node = ldi.push_node(pixel, depth, colour, label);
        debug_assert_eq!(node as usize, self.first + self.sums.len());
        self.sums.push((colour.map(u32::from), 1));
        node
    }

    /// Adds another fill's colour to `node` and sets its colour to the mean.
    fn add(&mut self, ldi: &mut Ldi, node: u32, colour: [u8; 3]) {
        let (sum, count) = &mut self.sums[node as usize - self.first];
        *count += 1;
        for (s, c) in sum.iter_mut().zip(colour) {
            *s += u32::from(c);
        }
        let count = *count;
        ldi.colour[node as usize] = sum.map(|s| ((s + count / 2) / count) as u8);
    }
}

/// What merging takes from a filled region, without the region's
/// patch-sized arrays: all fills wait for the merge, which goes in region
/// order, and at 12 MP the patches of a pass cover 18 M pixels against
/// 1.7 M holes.
struct Fill {
    width: usize,
    height: usize,
    /// The patch pixels the merge changes, in patch order.
    changes: Vec<Change>,
}

/// One patch pixel's change to the LDI.
enum Change {
    /// A hole pixel the fill gave a finite depth: a node at canvas `pixel`
    /// (patch pixel `at`), next to the context nodes `beside` on the patch
    /// (NONE where there is none).
    Node {
        at: u32,
        pixel: u32,
        depth: f32,
        colour: [u8; 3],
        beside: [u32; 4],
    },
    /// A band pixel: its context node takes the fill's colour.
    Recolour { node: u32, colour: [u8; 3] },
}

impl Fill {
    /// The changes of `region` filled with `depth` and `colour` (per patch pixel).
    fn of(region: &Region, depth: &[f32], colour: &[[u8; 3]], canvas_width: usize) -> Fill {
        let (w, h) = (region.width, region.height);
        let context_beside = |i: usize, dir: usize| {
            neighbour_pixel(i, dir, w, h).map_or(NONE, |j| region.context[j])
        };
        let changes = (0..w * h)
            .filter_map(|i| {
                if region.is_hole(i) && depth[i].is_finite() {
                    Some(Change::Node {
                        at: i as u32,
                        pixel: region.canvas_pixel(i, canvas_width) as u32,
                        depth: depth[i],
                        colour: colour[i],
                        beside: std::array::from_fn(|dir| context_beside(i, dir)),
                    })
                } else if region.band[i] {
                    Some(Change::Recolour {
                        node: region.context[i],
                        colour: colour[i],
                    })
                } else {
                    None
                }
            })
            .collect();
        Fill {
            width: w,
            height: h,
            changes,
        }
    }
}

/// Gives each filled hole pixel a node (a new one, or the synthesized node
/// already there on the same surface, see [`FillVotes`]), links it to its
/// filled neighbours (the fill is smooth) and to adjacent context nodes on
/// the same surface, and recolours the band.
/// Returns the number of nodes added.
fn merge_fill(
    ldi: &mut Ldi,
    votes: &mut FillVotes,
    fill: &Fill,
    label: u8,
    threshold: f32,
) -> usize {
    let (w, h) = (fill.width, fill.height);
    let mut new_node = vec![NONE; w * h];
    let mut added = 0;
    for change in &fill.changes {
        match *change {
            Change::Node {
                at,
                pixel,
                depth,
                colour,
                ..
            } => {
                let pixel = pixel as usize;
                new_node[at as usize] = match votes.node_at(ldi, pixel, depth, threshold) {
                    Some(node) => {
                        votes.add(ldi, node, colour);
                        node
                    }
                    None => {
                        added += 1;
                        votes.push(ldi, pixel, depth, colour, label)
                    }
                };
            }
            Change::Recolour { node, colour } => ldi.colour[node as usize] = colour,
        }
    }
    for change in &fill.changes {
        let Change::Node { at, beside, .. } = *change else {
            continue;
        };
        let node = new_node[at as usize];
        for (dir, context) in beside.into_iter().enumerate() {
            let Some(j) = neighbour_pixel(at as usize, dir, w, h) else {
                continue;
            };
            if new_node[j] != NONE {
                ldi.try_link(node, new_node[j], dir);
            } else if context != NONE
                && continuous(
                    ldi.depth[node as usize],
                    ldi.depth[context as usize],
                    threshold,
                )
            {
                ldi.try_link(node, context, dir);
            }
        }
    }
    added
}

/// Near-side discontinuity curves among the nodes added since `first`: nodes
/// with an open side facing a farther node across a jump, grouped along links.
fn layer_edges(ldi: &Ldi, first: usize, threshold: f32) -> Vec<Vec<u32>> {
    let count = ldi.node_count() - first;
    let near: Vec<bool> = (first..ldi.node_count())
        .map(|n| faces_farther_node(ldi, n, threshold))
        .collect();
    let mut sets = DisjointSets::new(count);
    for local in (0..count).filter(|&k| near[k]) {
        for (_, m) in ldi.linked(first + local) {
            let m = m as usize;
            if m >= first && near[m - first] {
                sets.union(local, m - first);
            }
        }
    }
    let mut slot = vec![usize::MAX; count];
    let mut curves: Vec<Vec<u32>> = Vec::new();
    for local in (0..count).filter(|&k| near[k]) {
        let root = sets.find(local);
        if slot[root] == usize::MAX {
            slot[root] = curves.len();
            curves.push(Vec::new());
        }
        curves[slot[root]].push((first + local) as u32);
    }
    curves
}

/// Largest jump, in thresholds, that [`close_seam`] links across. Chelsea's
/// seam beside the right eye is 3.7. Unbounded, the closing also bridged
/// true steps of measured maps: the real-scene benchmark's disoccluded PSNR
/// fell 0.1 dB on the tuning scenes and 0.3 dB on the held-out ones.
const SEAM_JUMPS: f32 = 4.0;

/// Links `node` on each open side to the nearest farther node across a jump
/// of at most `SEAM_JUMPS` thresholds that is open towards it. A short curve
/// inside the new layers is the fill's depth noise, like a short edge in the
/// photo, and gets no second-pass region; left open, it shows as a crack
/// wherever the view reveals it.
fn close_seam(ldi: &mut Ldi, node: usize, threshold: f32) {
    for dir in 0..4 {
        if ldi.links[node][dir] != NONE {
            continue;
        }
        let depth = |m: u32| ldi.depth[m as usize];
        let nearest = farther_across(ldi, node, dir, threshold)
            .filter(|&m| continuous(depth(m), ldi.depth[node], SEAM_JUMPS * threshold))
            .min_by(|&a, &b| depth(a).total_cmp(&depth(b)));
        if let Some(m) = nearest {
            ldi.try_link(node as u32, m, dir);
        }
    }
}

/// Whether `node` has an unlinked side facing a [`farther_across`] node.
fn faces_farther_node(ldi: &Ldi, node: usize, threshold: f32) -> bool {
    (0..4).any(|dir| {
        ldi.links[node][dir] == NONE && farther_across(ldi, node, dir, threshold).next().is_some()
    })
}

/// The nodes at the pixel beside `node` in direction `dir` that lie farther
/// across a jump and are unlinked towards it.
fn farther_across(
    ldi: &Ldi,
    node: usize,
    dir: usize,
    threshold: f32,
) -> impl Iterator<Item = u32> + '_ {
    let pixel = ldi.pixel[node] as usize;
    neighbour_pixel(pixel, dir, ldi.width, ldi.height)
        .into_iter()
        .flat_map(|q| ldi.layers(q))
        .filter(move |&m| {
            let m = m as usize;
            ldi.links[m][opposite(dir)] == NONE
                && ldi.depth[m] > ldi.depth[node]
                && !continuous(ldi.depth[m], ldi.depth[node], threshold)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ldi::{LEFT, RIGHT};
    use region::{step_edge, step_scene};

    const THICK: Thickness = Thickness {
        background: 3,
        context: 4,
        band: 0,
    };

    /// Regions behind the near-side edge of `step_scene` in rows `rows`.
    fn region(ldi: &Ldi, rows: std::ops::Range<usize>) -> Region {
        RegionGrower::new(ldi, None, CutRule::Jump)
            .grow(ldi, &step_edge(ldi.width, rows), THICK)
            .expect("background behind the edge")
    }

    /// Merges `region` with every hole filled at `depth` in `colour`.
    fn merge(
        ldi: &mut Ldi,
        votes: &mut FillVotes,
        region: &Region,
        depth: f32,
        colour: [u8; 3],
    ) -> usize {
        let n = region.width * region.height;
        let fill = Fill::of(region, &vec![depth; n], &vec![colour; n], ldi.width);
        merge_fill(ldi, votes, &fill, origin::INPAINTED, 0.04)
    }

    fn synthesized(ldi: &Ldi, first: usize, pixel: usize) -> Vec<u32> {
        ldi.layers(pixel).filter(|&m| m as usize >= first).collect()
    }

    /// Two overlapping regions behind the edge of a 16×10 `step_scene` (rows
    /// 0..6 and 4..10), merged in turn with red fills at `depth_a` and green at
    /// `depth_b`: the scene, the regions, the first synthesized id and the
    /// nodes each merge added.
    fn merge_two(depth_a: f32, depth_b: f32) -> (Ldi, [Region; 2], usize, [usize; 2]) {
        let mut ldi = step_scene(16, 10, 10);
        let (a, b) = (region(&ldi, 0..6), region(&ldi, 4..10));
        let first = ldi.node_count();
        let mut votes = FillVotes::new(first);
        let added_a = merge(&mut ldi, &mut votes, &a, depth_a, [200, 0, 0]);
        let added_b = merge(&mut ldi, &mut votes, &b, depth_b, [0, 100, 0]);
        (ldi, [a, b], first, [added_a, added_b])
    }

    #[test]
    fn overlapping_fills_of_one_surface_share_a_node_with_their_mean_colour() {
        let (ldi, [a, b], first, [added_a, added_b]) = merge_two(9.5, 10.0);
        let (w, h) = (ldi.width, ldi.height);
        let holes = |r: &Region| -> Vec<usize> {
            (0..r.width * r.height)
                .filter(|&i| r.is_hole(i))
                .map(|i| r.canvas_pixel(i, w))
                .collect()
        };
        let (in_a, in_b) = (holes(&a), holes(&b));
        let shared = in_a.iter().filter(|p| in_b.contains(p)).count();
        assert!(shared > 0, "the regions must overlap");
        assert_eq!(added_a, in_a.len());
        assert_eq!(added_b, in_b.len() - shared);
        for p in 0..w * h {
            let nodes = synthesized(&ldi, first, p);
            let expected = match (in_a.contains(&p), in_b.contains(&p)) {
                (true, true) => Some([100, 50, 0]),
                (true, false) => Some([200, 0, 0]),
                (false, true) => Some([0, 100, 0]),
                (false, false) => None,
            };
            assert_eq!(nodes.len(), usize::from(expected.is_some()), "pixel {p}");
            if let (Some(&node), Some(colour)) = (nodes.first(), expected) {
                assert_eq!(ldi.colour[node as usize], colour, "pixel {p}");
                // One surface: linked to the synthesized node of every 4-neighbour.
                for dir in 0..4 {
                    if let Some(q) = neighbour_pixel(p, dir, w, h) {
                        if let Some(&m) = synthesized(&ldi, first, q).first() {
                            assert_eq!(ldi.links[node as usize][dir], m, "pixel {p} dir {dir}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn fills_a_jump_apart_keep_their_own_nodes() {
        let (ldi, [a, b], first, [added_a, added_b]) = merge_two(10.0, 5.0);
        let (w, h) = (ldi.width, ldi.height);
        assert_eq!(added_a, a.hole_count());
        assert_eq!(added_b, b.hole_count());
        assert!((0..w * h).any(|p| synthesized(&ldi, first, p).len() == 2));
    }

    #[test]
    fn a_seam_of_a_few_thresholds_is_closed_and_a_step_is_not() {
        // Row 0 jumps 0.09 in disparity between columns 1 and 2 (2.3
        // thresholds), row 1 jumps 0.5; pixel 2 also holds a farther layer.
        let (w, h) = (4, 2);
        let depth = [1.0, 1.0, 1.1, 1.1, 1.0, 1.0, 2.0, 2.0];
        let cuts = crate::edges::find_cuts(&depth, w, h, 0.04, CutRule::Jump);
        let mut ldi = Ldi::from_grid(&depth, &[[0; 3]; 8], &[origin::ORIGINAL; 8], &cuts, 0);
        let farther = ldi.push_node(2, 1.15, [0; 3], origin::INPAINTED);
        assert_eq!((ldi.links[1][RIGHT], ldi.links[5][RIGHT]), (NONE, NONE));
        close_seam(&mut ldi, 1, 0.04);
        close_seam(&mut ldi, 5, 0.04);
        assert_eq!(ldi.links[1][RIGHT], 2, "the nearest node across");
        assert_eq!(ldi.links[farther as usize][LEFT], NONE);
        assert_eq!(
            ldi.links[5][RIGHT], NONE,
            "a step of 12 thresholds stays open"
        );
    }
}
