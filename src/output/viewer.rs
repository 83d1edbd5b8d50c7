//! One self-contained `viewer.html`: the GLB embedded as base64 and a small
//! WebGL loader and camera of our own, so the 3D photo opens from disk with no
//! network. Its camera is the reference's (pinhole, centre at −t).

use crate::mesh::decimate::MAX_SHIFT;
use crate::render::Camera;
use serde::Serialize;

/// The page, with placeholders filled by `viewer_html`.
const TEMPLATE: &str = include_str!("viewer.html");
/// Largest camera shift per axis that drags and tilt reach (scene units) at full
/// parallax: twice the reference's x/y amplitude, its full z amplitude. The page
/// scales it by the run's smallest safe parallax.
pub const LIMITS: [f32; 3] = [0.03, 0.03, MAX_SHIFT];
/// Auto-play amplitudes at full parallax: the reference's circle video. The
/// page scales them by the run's smallest safe parallax, as the drag.
pub const CIRCLE: [f32; 3] = [-0.015, -0.015, -0.05];
/// Seconds of one auto-play loop (240 frames at 40 fps, as the reference's video).
pub const PERIOD: f32 = 6.0;

/// One camera path of the run for the page to play in a loop.
#[derive(Debug, Clone, Serialize)]
pub struct ViewerPath {
    pub name: String,
    pub fps: u32,
    /// Per frame: translation (3), world-to-camera rotation by rows (9), and
    /// the focal length relative to the photo's.
    pub frames: Vec<[f32; 13]>,
}

impl ViewerPath {
    /// The path `name` through `cameras`, whose focal lengths are relative to `photo_fx`.
    pub fn new(name: &str, fps: u32, cameras: &[Camera], photo_fx: f32) -> ViewerPath {
        let frames = cameras
            .iter()
            .map(|c| {
                let mut frame = [0.0; 13];
                frame[..3].copy_from_slice(&c.translation);
                frame[3..12].copy_from_slice(c.rotation.as_flattened());
                frame[12] = c.fx / photo_fx;
                frame
            })
            .collect();
        ViewerPath {
            name: name.to_string(),
            fps,
            frames,
        }
    }
}

/// The viewer page for `glb` (bytes from `encode_glb`), titled `title`, its drag
/// and auto-play circle limited to `safe_parallax` of [`LIMITS`] and
/// [`CIRCLE`], playing `paths` on request.
pub fn viewer_html(glb: &[u8], title: &str, safe_parallax: f32, paths: &[ViewerPath]) -> String {
    let safe = safe_parallax.clamp(0.0, 1.0);
    let limits = LIMITS.map(|l| l * safe);
    let circle = CIRCLE.map(|c| c * safe);
    // JSON is valid JavaScript; "</" is escaped so no name can end the script.
    let paths = serde_json::to_string(paths)
        .unwrap_or_else(|_| "[]".to_string())
        .replace("</", "<\\/");
    TEMPLATE
        .replace("__TITLE__", &escape_html(title))
        .replace("__LIMITS__", &format!("{limits:?}"))
        .replace("__PATHS__", &paths)
        .replace("__CIRCLE__", &format!("{circle:?}"))
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
        let page = viewer_html(b"glTF", "a <b> & c", 1.0, &[]);
        assert!(!page.contains("__"), "unfilled placeholder");
        assert!(page.contains("a &lt;b&gt; &amp; c"));
        assert!(page.contains(&base64(b"glTF")));
        for external in ["http://", "https://", "src=\"", "<link"] {
            assert!(!page.contains(external), "page refers to {external}");
        }
    }
}

#[cfg(test)]
mod motion_tests {
    use super::*;
    use crate::render::camera::IDENTITY;

    #[test]
    fn page_scales_the_drag_and_embeds_the_paths() {
        let camera = Camera {
            width: 4,
            height: 2,
            fx: 6.0,
            fy: 6.0,
            cx: 2.0,
            cy: 1.0,
            translation: [0.5, -0.25, 0.125],
            rotation: IDENTITY,
        };
        let path = ViewerPath::new("swing</script>", 30, &[camera], 3.0);
        assert_eq!(
            path.frames[0],
            [0.5, -0.25, 0.125, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 2.0]
        );
        let page = viewer_html(b"glTF", "t", 0.5, &[path]);
        let half = LIMITS.map(|l| l * 0.5);
        assert!(page.contains(&format!("const LIMIT = {half:?};")));
        let circle = CIRCLE.map(|c| c * 0.5);
        assert!(page.contains(&format!("const CIRCLE = {circle:?};")));
        assert!(page.contains("\"name\":\"swing<\\/script>\""));
        assert!(page.contains("[0.5,-0.25,0.125,1.0,0.0,0.0,0.0,1.0,0.0,0.0,0.0,1.0,2.0]"));
    }
}
