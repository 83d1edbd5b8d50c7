//! MPO stereo files: the MPF APP2 segment's TIFF-style index and the image
//! offsets it names; any bytes give two views, None or an error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = photo3d::io::mpo::split_stereo_mpo(data);
});
