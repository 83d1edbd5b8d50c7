//! photo3d: one photo in, a layered, inpainted 3D photo out.
//!
//! The pipeline (see `pipeline`) runs: load → depth → prepare → sharpen →
//! discontinuities → layered depth image → inpainting → mesh → outputs.
//! Every stage is a plain function over plain data, usable without the CLI.

pub mod bench;
pub mod config;
pub mod depth;
pub mod edges;
pub mod error;
pub mod eval;
pub mod filter;
pub mod grid;
pub mod inpaint;
pub mod interrupt;
pub mod io;
pub mod ldi;
pub mod map;
pub mod mesh;
pub mod message;
pub mod models;
pub mod output;
pub mod pipeline;
pub mod prepare;
pub mod progress;
pub mod render;
pub mod scene;

pub use error::Error;
