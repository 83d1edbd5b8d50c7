//! Novel views of the mesh: camera paths and a CPU rasterizer.

pub mod camera;
pub mod holes;
pub mod raster;

pub use camera::{dolly_zoom, trajectory, Camera};
pub use raster::{render, Renderer};
