//! All integration tests in one binary: each test binary links the whole
//! library (tract included), so one binary instead of nine saves gigabytes of
//! disk and minutes of linking.

mod cli;
mod common;
mod corpus;
mod depth_sources;
mod eval;
mod glb_viewer;
mod neural;
mod paths;
mod safety;
mod synthetic;
mod video_ffprobe;
