//! Context-aware layered inpainting: behind every near-side discontinuity,
//! new background nodes whose depth and colour come from the background
//! context only, merged into the LDI as a new layer. A second pass does the
//! same behind discontinuities inside the new layers (nested occlusions).

pub mod border;
pub mod colour;
pub mod fill;
pub mod region;

use crate::edges::{DisjointSets, EdgeMap};
use crate::ldi::{neighbour_pixel, opposite, origin, Ldi, NONE};
use rayon::prelude::*;
use region::{Region, RegionGrower, Thickness};

/// Settings of both inpainting passes.
#[derive(Debug, Clone, Copy)]
pub struct InpaintParams {
    pub first: Thickness,
    pub second: Thickness,
    /// Disparity jump (normalised scale) above which new nodes are not linked.
    pub threshold: f32,
    /// Curves of at most this many nodes get no second-pass region.
    pub min_curve: usize,
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
    let (regions, new_nodes) = inpaint_pass(
        ldi,
        &curves,
        params.first,
        None,
        origin::INPAINTED,
        params.threshold,
    );
    let inner: Vec<Vec<u32>> = layer_edges(ldi, first_new, params.threshold)
        .into_iter()
        .filter(|c| c.len() > params.min_curve)
        .collect();
    let (_, second_nodes) = inpaint_pass(
        ldi,
        &inner,
        params.second,
        Some(origin::INPAINTED),
        origin::INPAINTED_2,
        params.threshold,
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
    curves: &[Vec<u32>],
    thickness: Thickness,
    mask_origin: Option<u8>,
    label: u8,
    threshold: f32,
) -> (usize, usize) {
    let mut grower = RegionGrower::new(ldi, mask_origin);
    let regions: Vec<Region> = curves
        .iter()
        .filter_map(|nodes| grower.grow(ldi, nodes, thickness))
        .collect();
    let shared: &Ldi = ldi;
    let fills: Vec<(Vec<f32>, Vec<[u8; 3]>)> = regions
        .par_iter()
        .map(|region| {
            let depth = fill::fill_depth(region, shared, threshold);
            let colour = colour::fill_colour(region, shared, &depth);
            (depth, colour)
        })
        .collect();
    let mut added = 0;
    for (region, (depth, colour)) in regions.iter().zip(&fills) {
        added += merge_region(ldi, region, depth, colour, label, threshold);
    }
    (regions.len(), added)
}

/// Whether two depths are close enough in disparity to be one surface.
fn continuous(a: f32, b: f32, threshold: f32) -> bool {
    (1.0 / a - 1.0 / b).abs() <= threshold
}

/// Adds one node per filled hole pixel, links it to its filled neighbours (the
/// fill is smooth) and to adjacent context nodes on the same surface, and
/// recolours the band.
/// Returns the number of nodes added.
fn merge_region(
    ldi: &mut Ldi,
    region: &Region,
    depth: &[f32],
    colour: &[[u8; 3]],
    label: u8,
    threshold: f32,
) -> usize {
    let (w, h) = (region.width, region.height);
    let mut new_node = vec![NONE; w * h];
    for i in 0..w * h {
        if region.is_hole(i) && depth[i].is_finite() {
            let pixel = region.canvas_pixel(i, ldi.width);
            new_node[i] = ldi.push_node(pixel, depth[i], colour[i], label);
        } else if region.band[i] {
            ldi.colour[region.context[i] as usize] = colour[i];
        }
    }
    for i in (0..w * h).filter(|&i| new_node[i] != NONE) {
        for dir in 0..4 {
            let Some(j) = neighbour_pixel(i, dir, w, h) else {
                continue;
            };
            if new_node[j] != NONE {
                ldi.try_link(new_node[i], new_node[j], dir);
            } else if region.context[j] != NONE {
                let (a, b) = (new_node[i] as usize, region.context[j] as usize);
                if continuous(ldi.depth[a], ldi.depth[b], threshold) {
                    ldi.try_link(new_node[i], region.context[j], dir);
                }
            }
        }
    }
    new_node.iter().filter(|&&n| n != NONE).count()
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

/// Whether `node` has an unlinked side whose neighbouring pixel holds a
/// farther node across a jump, itself unlinked towards `node`.
fn faces_farther_node(ldi: &Ldi, node: usize, threshold: f32) -> bool {
    let pixel = ldi.pixel[node] as usize;
    (0..4).any(|dir| {
        ldi.links[node][dir] == NONE
            && neighbour_pixel(pixel, dir, ldi.width, ldi.height).is_some_and(|q| {
                ldi.layers(q).any(|m| {
                    let m = m as usize;
                    ldi.links[m][opposite(dir)] == NONE
                        && ldi.depth[m] > ldi.depth[node]
                        && !continuous(ldi.depth[m], ldi.depth[node], threshold)
                })
            })
    })
}
