//! glTF 2.0 assembly: vertex, UV and index buffers and the JSON that ties them into one GLB.

use crate::ldi::Ldi;
use crate::mesh::atlas::Atlas;
use crate::mesh::decimate::Triangles;
use crate::mesh::{node_position, Mesh};
use crate::prepare::Intrinsics;
use serde_json::json;
use std::collections::HashMap;

/// Vertex and index arrays in glTF's frame (+Y up, camera looking down −Z).
pub(super) struct Geometry {
    pub(super) positions: Vec<[f32; 3]>,
    pub(super) uvs: Vec<[f32; 2]>,
    pub(super) indices: Vec<u32>,
}

impl Geometry {
    /// One vertex per used corner of each atlas tile, so a node on two
    /// pages or on a tile's border gets two UVs.
    pub(super) fn new(ldi: &Ldi, k: &Intrinsics, atlas: &Atlas, triangles: &Triangles) -> Geometry {
        let layout = &atlas.layout;
        let mut index_of: HashMap<(usize, u32), u32> = HashMap::new();
        let mut g = Geometry {
            positions: Vec::new(),
            uvs: Vec::new(),
            indices: Vec::with_capacity(3 * triangles.len()),
        };
        let lone = triangles.lone.iter().map(|t| (layout.unit(t), t));
        let blocks = triangles.blocks.iter().enumerate();
        let blocks = blocks.flat_map(|(unit, ts)| ts.iter().map(move |t| (unit, t)));
        for (unit, t) in lone.chain(blocks) {
            for &corner in t {
                let index = *index_of.entry((unit, corner.1)).or_insert_with(|| {
                    let p = node_position(ldi, k, layout.node_of(corner) as usize);
                    g.positions.push([p[0], -p[1], -p[2]]);
                    g.uvs.push(atlas.uv(corner, unit));
                    g.positions.len() as u32 - 1
                });
                g.indices.push(index);
            }
        }
        g
    }
}

/// Lays out the binary chunk (indices, positions, UVs, PNG, each 4-byte
/// aligned), writes the JSON and joins both into a GLB.
pub(super) fn assemble(
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
pub(super) fn bounds(points: &[[f32; 3]]) -> ([f32; 3], [f32; 3]) {
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
