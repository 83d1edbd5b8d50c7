//! OpenEXR depth maps: header size checks before decoding, then the depth
//! channel choice; any bytes give a map or an error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let _ = photo3d::io::depth::parse_exr(data, Path::new("fuzz.exr"));
});
