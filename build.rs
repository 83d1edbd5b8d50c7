//! Warns when `nasm` is missing: openh264-sys2 then quietly builds only its C
//! kernels, and videos encode about 2x slower.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PATH");
    let nasm = Command::new("nasm").arg("-v").output();
    if !nasm.is_ok_and(|out| out.status.success()) {
        println!(
            "cargo:warning=nasm is not installed: the H.264 encoder builds without its \
             assembly and encodes about 2x slower (install nasm, then run \
             `cargo clean -p openh264-sys2` and build again)"
        );
    }
}
