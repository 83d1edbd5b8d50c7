//! Generic filters used across stages: blurs, colour conversion and hole filling.
//! Leaves of the module graph: they know maps and grids, nothing of the pipeline.

pub mod blur;
pub mod colour;
pub mod fill;
