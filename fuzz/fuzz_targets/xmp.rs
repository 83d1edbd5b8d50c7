//! XMP in JPEG APP1 segments: the standard packet, the extended packet's
//! chunks (GUID, offsets, MD5) and the XML parse of both; any bytes give
//! packets, None or an error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use photo3d::io::embedded::xmp::{read_xmp, Xmp, NOTE_NS};

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(packets)) = read_xmp(data) {
        if let Ok(xmp) = Xmp::parse(&packets) {
            let _ = xmp.property(NOTE_NS, "HasExtendedXMP");
        }
    }
});
