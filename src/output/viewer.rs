//! One self-contained `viewer.html`: the GLB embedded as base64 and a small
//! WebGL loader and camera of our own, so the 3D photo opens from disk with no
//! network. Its camera is the reference's (pinhole, centre at −t).

use crate::mesh::glb::MAX_SHIFT;

/// The page, with placeholders filled by `viewer_html`.
const TEMPLATE: &str = include_str!("viewer.html");
/// Largest camera shift per axis that drags and tilt reach (scene units): twice
/// the reference's x/y amplitude, its full z amplitude.
pub const LIMITS: [f32; 3] = [0.03, 0.03, MAX_SHIFT];
/// Auto-play amplitudes: the reference's circle video.
pub const CIRCLE: [f32; 3] = [-0.015, -0.015, -0.05];
/// Seconds of one auto-play loop (240 frames at 40 fps, as the reference's video).
pub const PERIOD: f32 = 6.0;

/// The viewer page for `glb` (bytes from `encode_glb`), titled `title`.
pub fn viewer_html(glb: &[u8], title: &str) -> String {
    TEMPLATE
        .replace("__TITLE__", &escape_html(title))
        .replace("__LIMITS__", &format!("{LIMITS:?}"))
        .replace("__CIRCLE__", &format!("{CIRCLE:?}"))
        .replace("__PERIOD__", &format!("{PERIOD:?}"))
        .replace("__GLB_BASE64__", &base64(glb))
}

/// Text safe inside an HTML element.
fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Standard base64 with padding (RFC 4648), for embedding bytes in the page.
fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn page_has_no_placeholders_or_external_resources() {
        let page = viewer_html(b"glTF", "a <b> & c");
        assert!(!page.contains("__"), "unfilled placeholder");
        assert!(page.contains("a &lt;b&gt; &amp; c"));
        assert!(page.contains(&base64(b"glTF")));
        for external in ["http://", "https://", "src=\"", "<link"] {
            assert!(!page.contains(external), "page refers to {external}");
        }
    }
}
