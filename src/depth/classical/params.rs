//! Tuning constants of the classical estimate, in one place so the cues can be tuned together.

/// Longer side of the working image; larger photos are area-averaged down to it.
pub(super) const WORK_SIDE: usize = 384;

/// Photos with a side shorter than this get the ground-plane prior alone.
pub(super) const MIN_SIDE: usize = 8;

/// Target superpixel spacing in working-image pixels.
pub(super) const SP_STEP: usize = 12;

/// SLIC compactness: weight of spatial distance against Lab colour distance.
pub(super) const SLIC_COMPACTNESS: f32 = 10.0;

/// SLIC k-means iterations.
pub(super) const SLIC_ITERS: usize = 8;

/// Disparity of the ground-plane prior at the top row.
pub(super) const GROUND_TOP: f32 = 0.2;

/// Disparity of the ground-plane prior at the bottom row.
pub(super) const GROUND_BOTTOM: f32 = 0.7;

/// Disparity given to sky.
pub(super) const SKY_DISP: f32 = 0.03;

/// How far a foreground object stands in front of the ground at its base.
pub(super) const FG_POP: f32 = 0.3;

/// The least and most disparity of a foreground object's outline.
pub(super) const FG_MIN: f32 = 0.75;

pub(super) const FG_MAX: f32 = 0.9;

/// Extra disparity deep inside a foreground object, rounding it like a bulge.
pub(super) const FG_BULGE: f32 = 0.1;

/// Distance from the outline (fraction of the shorter side) at which the bulge is full.
pub(super) const FG_BULGE_REACH: f32 = 0.25;

/// Foreground objects smaller than this fraction of the image are dropped (speckle).
pub(super) const FG_MIN_AREA: f32 = 0.005;

/// Half-width of the soft band around the foreground threshold. Kept narrow: a wide band
/// lifts fringe superpixels of the background part-way, and after sharpening those ramps
/// become floating islands of background that tear away in the videos (0.08 showed them
/// around the coffee cup; 0.03 leaves far fewer).
pub(super) const FG_BAND: f32 = 0.03;

/// Focus contrast (subject sharpness minus background sharpness) from no trust in the subject
/// and defocus cues to full trust. All-sharp real scenes measure −0.21…+0.13; photos with a
/// shallow depth of field +0.28 (chelsea) and +0.44 (astronaut).
pub(super) const TRUST_FOCUS: [f32; 2] = [0.15, 0.25];

/// Fisher separation of the subject's saliency from the rest, from no trust to full trust.
/// Cluttered real scenes measure 2.8–10.5 (at half, full and double size); a lone subject
/// 15.8 (astronaut) and 18.4 (coffee).
pub(super) const TRUST_SEPARATION: [f32; 2] = [13.0, 16.0];

/// Subject area (fraction of the photo) from full trust down to none: a small blob is an object,
/// a blob over a third of a cluttered scene takes in its back wall (0.07 rocket, 0.36–0.73 real scenes).
pub(super) const TRUST_SMALL: [f32; 2] = [0.25, 0.15];

/// How much farther fully defocused background sits than sharp background.
pub(super) const DEFOCUS_PUSH: f32 = 0.15;

/// Lab colour scale (σ) of geodesic area and smoothness weights (Zhu et al. 2014).
pub(super) const SIGMA_CLR: f32 = 10.0;

/// Lab steps below this are free in geodesic distances (texture noise is not a boundary).
pub(super) const GEO_CLIP: f32 = 1.5;

/// Spatial scale (σ, fraction of the longer side) of the contrast cue.
pub(super) const SIGMA_SPA: f32 = 0.25;

/// Weight of bottom-border superpixels as background evidence (the bottom is often the subject).
pub(super) const BOTTOM_BORDER_WEIGHT: f32 = 0.4;

/// Gauss–Seidel sweeps of the saliency optimisation.
pub(super) const SALIENCY_SWEEPS: usize = 100;

/// Lightness gradient (L units per pixel) below which a pixel carries no defocus evidence.
pub(super) const EDGE_MIN: f32 = 2.0;

/// Total edge strength a superpixel needs for its own focus measure to count.
pub(super) const EDGE_KNOWN: f32 = 40.0;

/// Re-blur gradient ratios read as fully defocused and fully sharp.
pub(super) const FOCUS_BLURRED: f32 = 1.15;

pub(super) const FOCUS_SHARP: f32 = 1.6;

/// Largest Lab step between neighbouring superpixels inside the confident sky.
pub(super) const SKY_STEP: f32 = 12.0;

/// Largest mean lightness gradient of a confident sky superpixel.
pub(super) const SKY_SMOOTH: f32 = 4.0;

/// Largest Lab distance of a pixel from its row's sky colour to count as sky.
pub(super) const SKY_MATCH: f32 = 15.0;

/// Fraction of sky-coloured pixels that makes a superpixel sky.
pub(super) const SKY_FRACTION: f32 = 0.3;

/// Fraction of sky-coloured pixels that lets a superpixel mostly surrounded by sky join it.
pub(super) const SKY_FRACTION_CLOSE: f32 = 0.1;

/// Non-sky pockets enclosed by sky and smaller than this fraction of the image join the sky.
pub(super) const SKY_ISLAND: f32 = 0.002;

/// Sky pieces smaller than this fraction of the image are dropped (sky seen through lattices).
pub(super) const SKY_MIN_AREA: f32 = 0.01;

/// Fraction of a row that must be confident sky for the row's sky colour to be trusted.
pub(super) const SKY_ROW_MIN: f32 = 0.05;

/// Spatial (working pixels) and Lab range scales of the final edge-aware smoothing.
pub(super) const SMOOTH_SPATIAL: f32 = 24.0;

pub(super) const SMOOTH_RANGE: f32 = 12.0;

/// RGB range scale of the joint bilateral upsampling.
pub(super) const UPSAMPLE_RANGE: f32 = 14.0;
