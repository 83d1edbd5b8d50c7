//! Reading photos and depth maps, and writing outputs safely.

pub mod depth_file;
pub mod photo;
pub mod staging;
