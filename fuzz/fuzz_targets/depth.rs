//! Depth-file parsing (NPY header and body, PFM, grayscale images), chosen by
//! magic as for `--depth`: any bytes give a map or an error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let _ = photo3d::io::depth::parse_depth_bytes(data, Path::new("fuzz.depth"));
});
