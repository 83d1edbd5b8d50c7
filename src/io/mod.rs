//! Reading photos and depth maps, and writing outputs safely.

pub mod depth;
pub mod embedded;
pub mod mpo;
pub mod photo;
pub mod staging;
