//! Files made from the 3D photo: videos and stereo views.

pub mod stereo;
pub mod video;
