//! Novel views of the mesh: cameras, camera paths and a CPU rasterizer.

pub mod camera;
pub mod holes;
pub mod parallax;
pub mod path;
pub mod raster;
pub mod repeats;
pub mod reveal;
pub mod surface;

pub use camera::{dolly_zoom, Camera};
pub use raster::{render, Renderer};
pub use surface::{Photo, RenderMesh};
