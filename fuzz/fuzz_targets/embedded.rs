//! Depth embedded in a JPEG: XMP, then GDepth (base64 depth image, range
//! properties) or Dynamic Depth (container items appended to the file), for a
//! 64×48 photo; any bytes give a map, None or an error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let _ = photo3d::io::embedded::read_embedded_depth(data, Path::new("fuzz.jpg"), (64, 48));
});
