//! The layered, inpainted 3D photo that the pipeline builds and every output
//! (videos, stereo views, viewer) is made from.

use crate::inpaint::InpaintStats;
use crate::ldi::Ldi;
use crate::map::FloatMap;
use crate::mesh::Mesh;
use crate::prepare::Prepared;
use crate::render::RenderMesh;
use serde::Serialize;

/// The layered, inpainted 3D photo.
#[derive(Debug, Clone)]
pub struct Scene {
    pub prepared: Prepared,
    /// Depth after sharpening, at the working size.
    pub sharpened: FloatMap,
    pub ldi: Ldi,
    pub mesh: Mesh,
    /// What the videos, stereo views and previews draw: `mesh` decimated.
    pub render_mesh: RenderMesh,
    /// Frame size of the videos (see `pipeline::video_frame_size`).
    pub video_size: (u32, u32),
    pub stats: SceneStats,
}

/// Counts describing a scene, for the report.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct SceneStats {
    pub cut_links: usize,
    pub discontinuities: usize,
    pub inpaint: InpaintStats,
    pub vertices: usize,
    pub faces: usize,
    pub added_vertices: usize,
}
