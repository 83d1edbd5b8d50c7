//! Why a GLB could not be made.

use crate::mesh::atlas::AtlasTooLarge;

/// Why a GLB could not be made.
#[derive(Debug, thiserror::Error)]
pub enum GlbError {
    #[error("mesh has {mesh} vertices but the layered depth image has {ldi} nodes")]
    Mismatch { mesh: usize, ldi: usize },
    #[error("mesh has no triangles")]
    Empty,
    #[error(transparent)]
    AtlasTooLarge(#[from] AtlasTooLarge),
    #[error("cannot encode the texture atlas: {0}")]
    Texture(#[from] image::ImageError),
}
