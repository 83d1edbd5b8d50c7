//! Photo decoding (format sniffing, size limits, JPEG truncation check, orientation).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if let Ok(photo) = photo3d::io::photo::decode_photo(data, Path::new("fuzz.jpg")) {
        assert!(photo.rgb.width() > 0 && photo.rgb.height() > 0);
    }
});
