//! RGB frames converted to the YUV 4:2:0 planes the H.264 encoder takes.

use image::RgbImage;
use openh264::formats::YUVSource;

/// One I420 frame, reused across pushes to avoid a per-frame allocation.
pub(super) struct Yuv420 {
    pub(super) width: usize,
    pub(super) height: usize,
    pub(super) y: Vec<u8>,
    pub(super) u: Vec<u8>,
    pub(super) v: Vec<u8>,
}

impl Yuv420 {
    pub(super) fn new(width: usize, height: usize) -> Self {
        let chroma = (width / 2) * (height / 2);
        Self {
            width,
            height,
            y: vec![0; width * height],
            u: vec![128; chroma],
            v: vec![128; chroma],
        }
    }

    /// Converts sRGB to BT.709 limited-range YCbCr 4:2:0 (chroma from the 2x2 average), rounded,
    /// matching the BT.709 colour description written into the stream.
    pub(super) fn fill_from_rgb(&mut self, rgb: &RgbImage) {
        // 16.16 fixed point: 219/255 * (0.2126, 0.7152, 0.0722), 224/255 * chroma rows.
        const YR: i32 = 11966;
        const YG: i32 = 40254;
        const YB: i32 = 4064;
        const UR: i32 = -6596;
        const UG: i32 = -22188;
        const UB: i32 = 28784;
        const VR: i32 = 28784;
        const VG: i32 = -26145;
        const VB: i32 = -2639;
        let w = self.width;
        let src = rgb.as_raw();
        let row_bytes = w * 3;
        for ((rows, yrows), (urow, vrow)) in src
            .chunks_exact(2 * row_bytes)
            .zip(self.y.chunks_exact_mut(2 * w))
            .zip(
                self.u
                    .chunks_exact_mut(w / 2)
                    .zip(self.v.chunks_exact_mut(w / 2)),
            )
        {
            let (top, bottom) = rows.split_at(row_bytes);
            let (ytop, ybottom) = yrows.split_at_mut(w);
            for x in 0..w / 2 {
                let mut sum = [0i32; 3];
                for (row, yrow) in [(top, &mut *ytop), (bottom, &mut *ybottom)] {
                    for dx in 0..2 {
                        let p = &row[(2 * x + dx) * 3..(2 * x + dx) * 3 + 3];
                        let (r, g, b) = (i32::from(p[0]), i32::from(p[1]), i32::from(p[2]));
                        yrow[2 * x + dx] =
                            ((YR * r + YG * g + YB * b + (16 << 16) + (1 << 15)) >> 16) as u8;
                        sum[0] += r;
                        sum[1] += g;
                        sum[2] += b;
                    }
                }
                let [r, g, b] = sum;
                urow[x] = ((UR * r + UG * g + UB * b + (128 << 18) + (1 << 17)) >> 18).clamp(0, 255)
                    as u8;
                vrow[x] = ((VR * r + VG * g + VB * b + (128 << 18) + (1 << 17)) >> 18).clamp(0, 255)
                    as u8;
            }
        }
    }
}

impl YUVSource for Yuv420 {
    fn dimensions(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    fn strides(&self) -> (usize, usize, usize) {
        (self.width, self.width / 2, self.width / 2)
    }

    fn y(&self) -> &[u8] {
        &self.y
    }

    fn u(&self) -> &[u8] {
        &self.u
    }

    fn v(&self) -> &[u8] {
        &self.v
    }
}
