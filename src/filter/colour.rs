//! Colour conversion: sRGB to CIE Lab, the perceptual space colour distances
//! use, and float channels back to 8 bits.

/// sRGB (0..255) to CIE Lab (D65), the perceptual space all colour distances use.
pub fn srgb_to_lab(c: [f32; 3]) -> [f32; 3] {
    let lin = |v: f32| {
        let v = (v / 255.0).clamp(0.0, 1.0);
        if v <= 0.040_45 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let (r, g, b) = (lin(c[0]), lin(c[1]), lin(c[2]));
    let x = (0.412_4 * r + 0.357_6 * g + 0.180_5 * b) / 0.950_47;
    let y = 0.212_6 * r + 0.715_2 * g + 0.072_2 * b;
    let z = (0.019_3 * r + 0.119_2 * g + 0.950_5 * b) / 1.088_83;
    let f = |t: f32| {
        if t > 0.008_856 {
            t.cbrt()
        } else {
            7.787 * t + 16.0 / 116.0
        }
    };
    let (fx, fy, fz) = (f(x), f(y), f(z));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// `v` rounded half away from zero and clamped to 0..=255 (NaN to 0): the
/// same as `v.round().clamp(0.0, 255.0) as u8`, without the libm call that
/// `round` compiles to on baseline x86-64, where the atlas and the
/// inpainting make tens of millions of channels.
pub fn to_channel(v: f32) -> u8 {
    let v = v.clamp(0.0, 255.0);
    // Below 2^23 the fraction is exact, so `>= 0.5` is the tie rule.
    let whole = v as u32;
    (whole + u32::from(v - whole as f32 >= 0.5)) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_round_half_away_from_zero_and_clamp() {
        let mut values = vec![
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            -0.0,
            255.49,
            255.5,
        ];
        // Every float from -2 to 258 in steps that hit the halves and their
        // neighbours, with the floats just below and above each half.
        for i in -400..=51_600 {
            let v = i as f32 / 200.0;
            values.extend([v, v.next_down(), v.next_up()]);
        }
        for v in values {
            assert_eq!(to_channel(v), v.round().clamp(0.0, 255.0) as u8, "{v}");
        }
    }
}
