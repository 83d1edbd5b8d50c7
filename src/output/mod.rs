//! Files made from the 3D photo: videos.

pub mod video;
