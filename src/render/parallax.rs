//! Safe parallax: how far a camera path can be scaled before a frame looks
//! past everything the 3D photo holds (an empty patch, which the renderer can
//! only fill by smearing the surfaces around it).

use super::raster::Renderer;
use super::repeats::earlier_twins;
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

/// The answer is a multiple of 1/`SEARCH_GRID`.
const SEARCH_GRID: u32 = 64;

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

/// Whether one frame of a path, at one scale, is free of holes (a cheap
/// low-resolution render).
struct FrameCheck<'a> {
    renderer: Renderer,
    mesh: &'a RenderMesh,
    cameras: &'a dyn Fn(f32) -> Vec<Camera>,
    /// The path's frames at the grid scale checked last.
    scaled: (u32, Vec<Camera>),
}

impl FrameCheck<'_> {
    fn covered(&mut self, frame: usize, grid_scale: u32) -> bool {
        if self.scaled.0 != grid_scale {
            let scale = grid_scale as f32 / SEARCH_GRID as f32;
            self.scaled = (grid_scale, (self.cameras)(scale));
        }
        let small = shrunk(&self.scaled.1[frame], SEARCH_DIVISOR);
        let hits = self.renderer.cover(self.mesh, &small, 1);
        !has_hole(hits, small.width as usize, SEARCH_HOLE_SIDE)
    }

    /// The largest grid scale below `failing` at which `frame` is covered.
    fn bisect(&mut self, frame: usize, failing: u32) -> u32 {
        let (mut lo, mut hi) = (0, failing);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if self.covered(frame, mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

/// The largest scale in [0, 1] (a multiple of 1/64) of a path's motion for
/// which no frame has a hole; `cameras(scale)` gives the path's frames at a
/// scale. A frame's hole mostly grows with the motion, so the answer is
/// taken as the least of the frames' own answers: each sampled frame is
/// checked at the answer so far and, where it shows a hole, bisected alone
/// below it. The frames that move farthest go first, as they usually set the
/// answer. Coverage is not quite monotonic in the scale, so a frame that
/// failed once may fail again lower down: those frames are settled among
/// themselves before the others are checked, and frames passed at a larger
/// scale are checked again at the final one. A sampled frame whose camera
/// repeats an earlier sampled one's (a swing's way back) is not checked.
pub fn safe_scale(mesh: &RenderMesh, cameras: &dyn Fn(f32) -> Vec<Camera>) -> f32 {
    let full = cameras(1.0);
    let frames = full.len();
    let last = frames.saturating_sub(1);
    let sampled: Vec<usize> = (0..frames)
        .filter(|k| k % SEARCH_STRIDE == 0 || *k == last)
        .collect();
    // A frame that repeats a sampled one's camera shows what it shows.
    let twins = earlier_twins(&sampled.iter().map(|&k| full[k]).collect::<Vec<_>>());
    let mut order: Vec<usize> = (sampled.iter().zip(twins))
        .filter_map(|(&k, twin)| twin.is_none().then_some(k))
        .collect();
    let reach = |k: &usize| {
        let [x, y, z] = full[*k].translation;
        x * x + y * y + z * z
    };
    order.sort_by(|a, b| reach(b).total_cmp(&reach(a)));

    let mut search = Search {
        check: FrameCheck {
            renderer: Renderer::default(),
            mesh,
            cameras,
            scaled: (SEARCH_GRID, full),
        },
        scale: SEARCH_GRID,
        passed_at: vec![None; frames],
    };
    let mut failed: Vec<usize> = Vec::new();
    loop {
        while failed.iter().any(|&k| search.lowers(k)) {}
        match order.iter().position(|&k| search.lowers(k)) {
            Some(i) => failed.push(order.remove(i)),
            None => return search.scale as f32 / SEARCH_GRID as f32,
        }
    }
}

/// The state of [`safe_scale`]: the answer so far and the scale each frame
/// last passed at.
struct Search<'a> {
    check: FrameCheck<'a>,
    scale: u32,
    passed_at: Vec<Option<u32>>,
}

impl Search<'_> {
    /// Checks `frame` at the answer so far unless it passed there already;
    /// where it shows a hole, lowers the answer to its own. True when the
    /// answer dropped.
    fn lowers(&mut self, frame: usize) -> bool {
        if self.scale == 0 || self.passed_at[frame] == Some(self.scale) {
            return false;
        }
        let dropped = !self.check.covered(frame, self.scale);
        if dropped {
            self.scale = self.check.bisect(frame, self.scale);
        }
        self.passed_at[frame] = Some(self.scale);
        dropped
    }
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
