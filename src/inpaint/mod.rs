//! Context-aware layered inpainting: behind every near-side discontinuity,
//! new background nodes whose depth and colour come from the background
//! context only, merged into the LDI as a new layer.

pub mod border;
pub mod colour;
pub mod fill;
pub mod region;

use crate::edges::EdgeMap;
use crate::ldi::{neighbour_pixel, origin, Ldi, NONE};
use rayon::prelude::*;
use region::{Region, RegionGrower, Thickness};

/// What one inpainting pass did.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct InpaintStats {
    /// Discontinuity curves considered.
    pub edges: usize,
    /// Curves with background behind them that got a region.
    pub regions: usize,
    /// Nodes added to the LDI.
    pub new_nodes: usize,
}

/// Synthesizes the hidden background behind every curve of `edges` (whose
/// pixels are visible-layer nodes) and links it into the LDI.
pub fn inpaint_pass(ldi: &mut Ldi, edges: &EdgeMap, thickness: Thickness) -> InpaintStats {
    let mut grower = RegionGrower::new(ldi);
    let regions: Vec<Region> = edges
        .curves()
        .iter()
        .filter_map(|curve| {
            let nodes: Vec<u32> = curve
                .iter()
                .map(|&p| ldi.first_layer[p])
                .filter(|&n| n != NONE)
                .collect();
            grower.grow(ldi, &nodes, thickness)
        })
        .collect();
    let shared: &Ldi = ldi;
    let fills: Vec<(Vec<f32>, Vec<[u8; 3]>)> = regions
        .par_iter()
        .map(|region| {
            let depth = fill::fill_depth(region, shared);
            let colour = colour::fill_colour(region, shared, &depth);
            (depth, colour)
        })
        .collect();
    let mut stats = InpaintStats {
        edges: edges.count,
        regions: regions.len(),
        new_nodes: 0,
    };
    for (region, (depth, colour)) in regions.iter().zip(&fills) {
        stats.new_nodes += merge_region(ldi, region, depth, colour, origin::INPAINTED);
    }
    stats
}

/// Adds one node per filled hole pixel and links it to its filled neighbours
/// and to adjacent context nodes. Returns the number of nodes added.
fn merge_region(
    ldi: &mut Ldi,
    region: &Region,
    depth: &[f32],
    colour: &[[u8; 3]],
    label: u8,
) -> usize {
    let (w, h) = (region.width, region.height);
    let mut new_node = vec![NONE; w * h];
    for i in (0..w * h).filter(|&i| region.is_hole(i) && depth[i].is_finite()) {
        let pixel = region.canvas_pixel(i, ldi.width);
        new_node[i] = ldi.push_node(pixel, depth[i], colour[i], label);
    }
    for i in (0..w * h).filter(|&i| new_node[i] != NONE) {
        for dir in 0..4 {
            let Some(j) = neighbour_pixel(i, dir, w, h) else {
                continue;
            };
            let other = if new_node[j] != NONE {
                new_node[j]
            } else {
                region.context[j]
            };
            if other != NONE {
                ldi.try_link(new_node[i], other, dir);
            }
        }
    }
    new_node.iter().filter(|&&n| n != NONE).count()
}
