//! Files made from the 3D photo: videos, stereo views and the web viewer.

pub mod motion;
pub mod stereo;
pub mod video;
pub mod viewer;
