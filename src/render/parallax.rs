//! Safe parallax: how far a camera path can be scaled before a frame looks
//! past everything the 3D photo holds (an empty patch, which the renderer can
//! only fill by smearing the surfaces around it).

use super::raster::Renderer;
use super::surface::RenderMesh;
use super::Camera;

/// How much of a path's motion to use.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Parallax {
    /// The largest amount up to 1 that leaves no hole in any frame.
    #[default]
    Auto,
    /// This multiple of the path's motion, whatever it uncovers.
    Amount(f32),
}

/// Side of the square of empty pixels that counts as a hole at full size;
/// thinner cracks are filled unnoticed.
pub const HOLE_SIDE: usize = 5;

/// The low-resolution search renders at 1/`SEARCH_DIVISOR` of the size and
/// counts a 2×2 block of empty pixels as a hole there (about 4 px at full
/// size, stricter than [`HOLE_SIDE`], to make up for the coarser look).
const SEARCH_DIVISOR: u32 = 2;
const SEARCH_HOLE_SIDE: usize = 2;

/// The search looks at every `SEARCH_STRIDE`-th frame and the last: frames
/// that close apart uncover nearly the same thing, and the search's hole is
/// smaller than a full-size one, which covers what lies between.
const SEARCH_STRIDE: usize = 4;

/// Bisection steps below the full amount: the answer is within 1/64.
const SEARCH_STEPS: usize = 6;

/// True when some `side`×`side` square of `hits` (row-major, `width` wide) is all zero.
pub fn has_hole(hits: &[u16], width: usize, side: usize) -> bool {
    if width == 0 || side == 0 {
        return false;
    }
    let height = hits.len() / width;
    // Per column, the run of empty pixels ending at the current row.
    let mut run = vec![0usize; width];
    for y in 0..height {
        let mut wide = 0;
        for x in 0..width {
            run[x] = if hits[y * width + x] == 0 {
                run[x] + 1
            } else {
                0
            };
            wide = if run[x] >= side { wide + 1 } else { 0 };
            if wide >= side {
                return true;
            }
        }
    }
    false
}

/// The camera at 1/`divisor` of its size, seeing the same view.
fn shrunk(camera: &Camera, divisor: u32) -> Camera {
    let d = divisor as f32;
    Camera {
        width: (camera.width / divisor).max(1),
        height: (camera.height / divisor).max(1),
        fx: camera.fx / d,
        fy: camera.fy / d,
        cx: camera.cx / d,
        cy: camera.cy / d,
        ..*camera
    }
}

/// True when no sampled camera of `cameras` sees a hole (cheap
/// low-resolution renders of every `SEARCH_STRIDE`-th frame and the last).
fn all_covered(renderer: &mut Renderer, mesh: &RenderMesh, cameras: &[Camera]) -> bool {
    let last = cameras.len().saturating_sub(1);
    let mut sampled = (0..cameras.len()).filter(|k| k % SEARCH_STRIDE == 0 || *k == last);
    sampled.all(|k| {
        let small = shrunk(&cameras[k], SEARCH_DIVISOR);
        let hits = renderer.cover(mesh, &small, 1);
        !has_hole(hits, small.width as usize, SEARCH_HOLE_SIDE)
    })
}

/// The largest scale in [0, 1] of a path's motion for which no frame has a
/// hole, by bisection; `cameras(scale)` gives the path's frames at a scale.
pub fn safe_scale(mesh: &RenderMesh, cameras: &dyn Fn(f32) -> Vec<Camera>) -> f32 {
    let mut renderer = Renderer::default();
    if all_covered(&mut renderer, mesh, &cameras(1.0)) {
        return 1.0;
    }
    let (mut lo, mut hi) = (0.0f32, 1.0f32);
    for _ in 0..SEARCH_STEPS {
        let mid = (lo + hi) / 2.0;
        if all_covered(&mut renderer, mesh, &cameras(mid)) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holes_need_a_full_square() {
        let w = 8;
        let mut hits = vec![1u16; w * 8];
        // A 4-wide, 5-tall gap and a 1-px crack are no 5×5 hole.
        for y in 1..6 {
            for x in 2..6 {
                hits[y * w + x] = 0;
            }
            hits[y * w + 7] = 0;
        }
        assert!(!has_hole(&hits, w, 5));
        assert!(has_hole(&hits, w, 4));
        // Closing the gap between them makes a 6×5 empty block.
        for y in 1..6 {
            hits[y * w + 6] = 0;
        }
        assert!(has_hole(&hits, w, 5));
    }
}
