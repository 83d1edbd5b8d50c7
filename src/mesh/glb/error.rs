//! Why a GLB could not be made, and the atlas size limit behind one of the reasons.

/// Largest atlas side most WebGL implementations accept.
pub(super) const MAX_ATLAS_SIDE: usize = 8192;

/// Why a GLB could not be made.
#[derive(Debug, thiserror::Error)]
pub enum GlbError {
    #[error("mesh has {mesh} vertices but the layered depth image has {ldi} nodes")]
    Mismatch { mesh: usize, ldi: usize },
    #[error("mesh has no triangles")]
    Empty,
    #[error("texture atlas of {0}×{1} texels exceeds {MAX_ATLAS_SIDE} per side")]
    AtlasTooLarge(usize, usize),
    #[error("cannot encode the texture atlas: {0}")]
    Texture(#[from] image::ImageError),
}
