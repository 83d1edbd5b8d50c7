//! Reading photos and depth maps, and writing outputs safely.

pub mod depth_exr;
pub mod depth_file;
pub mod dynamic_depth;
pub mod embedded;
pub mod gdepth;
pub mod mpo;
pub mod photo;
pub mod staging;
pub mod xmp;
