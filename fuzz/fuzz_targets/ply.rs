//! PLY reader: any bytes give a mesh or an error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = photo3d::mesh::ply::read_ply(&mut std::io::Cursor::new(data));
});
