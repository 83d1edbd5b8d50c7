//! Monocular depth from published ONNX models, run by tract (pure Rust): the
//! photo is resized and normalised as each model was trained, and the model's
//! relative inverse depth is resized back to the photo.

use crate::depth::onnx_graph::{normalises_input, onnx_reader, IMAGENET_MEAN};
use crate::grid::resize_map;
use crate::map::FloatMap;
use image::{imageops, imageops::FilterType, RgbImage};
use std::path::{Path, PathBuf};
use tract_onnx::prelude::*;

/// ImageNet channel deviations, which both model families normalise with.
const IMAGENET_STD: [f32; 3] = [0.229, 0.224, 0.225];

/// The families of models whose input and output conventions are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    /// Depth Anything V2 (Hugging Face export: `pixel_values` [1,3,H,W] with H, W
    /// multiples of 14 → `predicted_depth` [1,H,W]).
    DepthAnythingV2,
    /// MiDaS v2.1 small (official export: fixed [1,3,256,256] → [1,256,256]).
    MidasV21Small,
}

impl Architecture {
    /// Network input size (width, height) for a photo of `width`×`height`.
    pub fn input_size(self, width: u32, height: u32) -> (u32, u32) {
        match self {
            // preprocessor_config.json: size 518×518, keep_aspect_ratio, ensure_multiple_of 14;
            // then at most MAX_PATCHES patches, so a panorama is shrunk, not made a huge input.
            Architecture::DepthAnythingV2 => cap_patches(
                keep_aspect_multiple(width, height, 518, 14),
                14,
                MAX_PATCHES,
            ),
            // The ONNX graph has a fixed input; the photo is squashed to it.
            Architecture::MidasV21Small => (256, 256),
        }
    }
}

/// Most 14×14 patches given to Depth Anything: four times a 518×518 input
/// (e.g. 2072×518), enough for any photo up to 4:1; attention cost grows with
/// the square of the patch count, so longer panoramas are shrunk to this.
const MAX_PATCHES: u32 = 4 * 37 * 37;

/// `size` (multiples of `patch`) shrunk, keeping its aspect, to at most
/// `max_patches` patches.
fn cap_patches(size: (u32, u32), patch: u32, max_patches: u32) -> (u32, u32) {
    let patches = (size.0 / patch) as f64 * (size.1 / patch) as f64;
    if patches <= max_patches as f64 {
        return size;
    }
    let scale = (max_patches as f64 / patches).sqrt();
    let side = |s: u32| ((s / patch) as f64 * scale).floor().max(1.0) as u32 * patch;
    (side(size.0), side(size.1))
}

/// The output size rule of the DPT image processor: scale both sides by the
/// one of target/width, target/height that is closer to 1, then round each
/// side to a multiple of `multiple` (half to even, as Python's `round`).
fn keep_aspect_multiple(width: u32, height: u32, target: u32, multiple: u32) -> (u32, u32) {
    let scale_w = target as f64 / width.max(1) as f64;
    let scale_h = target as f64 / height.max(1) as f64;
    let scale = if (1.0 - scale_w).abs() < (1.0 - scale_h).abs() {
        scale_w
    } else {
        scale_h
    };
    let m = multiple as f64;
    let side = |s: u32| (((s as f64 * scale) / m).round_ties_even() * m).max(m) as u32;
    (side(width), side(height))
}

/// A model chosen for a run: its registry name, its file and its conventions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFile {
    pub name: String,
    pub path: PathBuf,
    pub architecture: Architecture,
}

/// Why a model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum NeuralError {
    #[error("{path}: cannot load ONNX model: {message}")]
    Load { path: PathBuf, message: String },
    #[error("{path}: inference failed: {message}")]
    Run { path: PathBuf, message: String },
    #[error("{path}: unexpected output: {message}")]
    Output { path: PathBuf, message: String },
}

/// A parsed model, ready to be sized for a photo and run.
pub struct NeuralModel {
    architecture: Architecture,
    path: PathBuf,
    model: InferenceModel,
    /// The graph subtracts the ImageNet means itself (MiDaS's export): feed it
    /// plain [0, 1] RGB.
    normalised_in_graph: bool,
}

impl NeuralModel {
    /// Parses the ONNX file at `path`.
    pub fn load(path: &Path, architecture: Architecture) -> Result<NeuralModel, NeuralError> {
        let load_err = |e: TractError| NeuralError::Load {
            path: path.to_path_buf(),
            message: one_line(&e),
        };
        let reader = onnx_reader();
        let proto = reader.proto_model_for_path(path).map_err(load_err)?;
        // External weights are resolved beside the model file, as tract's own loader does.
        let dir = path.parent().and_then(Path::to_str);
        let normalised_in_graph = proto
            .graph
            .as_ref()
            .is_some_and(|graph| normalises_input(graph, dir));
        let parsed = reader.parse(&proto, dir).map_err(load_err)?;
        if !parsed.unresolved_inputs.is_empty() {
            return Err(NeuralError::Load {
                path: path.to_path_buf(),
                message: format!("unresolved inputs {:?}", parsed.unresolved_inputs),
            });
        }
        Ok(NeuralModel {
            architecture,
            path: path.to_path_buf(),
            model: parsed.model,
            normalised_in_graph,
        })
    }

    /// Whether the graph normalises its input itself.
    pub fn normalised_in_graph(&self) -> bool {
        self.normalised_in_graph
    }

    /// Relative inverse depth (larger = nearer) at the photo's size.
    pub fn estimate(&self, rgb: &RgbImage) -> Result<FloatMap, NeuralError> {
        let (width, height) = rgb.dimensions();
        let (iw, ih) = self.architecture.input_size(width, height);
        let input = input_tensor(rgb, iw, ih, !self.normalised_in_graph);
        let output = self.infer(input, iw, ih)?;
        let map = output_map(output).map_err(|message| NeuralError::Output {
            path: self.path.clone(),
            message,
        })?;
        Ok(resize_map(&map, width, height))
    }

    /// Optimises the graph for a [1,3,`ih`,`iw`] input and runs it once.
    fn infer(&self, input: Tensor, iw: u32, ih: u32) -> Result<Tensor, NeuralError> {
        let run_err = |e: TractError| NeuralError::Run {
            path: self.path.clone(),
            message: one_line(&e),
        };
        let shape = [1, 3, ih as usize, iw as usize];
        let plan = self
            .model
            .clone()
            .with_input_fact(0, f32::fact(shape).into())
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(run_err)?;
        let mut outputs = plan.run(tvec!(input.into())).map_err(run_err)?;
        if outputs.is_empty() {
            return Err(NeuralError::Output {
                path: self.path.clone(),
                message: "the model has no output".into(),
            });
        }
        Ok(outputs.swap_remove(0).into_tensor())
    }
}

/// The photo resized bicubically to `iw`×`ih`, scaled to [0, 1] and, when
/// `normalise`, normalised per channel, as an NCHW tensor [1,3,ih,iw].
pub fn input_tensor(rgb: &RgbImage, iw: u32, ih: u32, normalise: bool) -> Tensor {
    let resized;
    let image = if rgb.dimensions() == (iw, ih) {
        rgb
    } else {
        resized = imageops::resize(rgb, iw, ih, FilterType::CatmullRom);
        &resized
    };
    let shape = (1, 3, ih as usize, iw as usize);
    tract_ndarray::Array4::from_shape_fn(shape, |(_, c, y, x)| {
        let value = image.get_pixel(x as u32, y as u32)[c] as f32 / 255.0;
        if normalise {
            (value - IMAGENET_MEAN[c]) / IMAGENET_STD[c]
        } else {
            value
        }
    })
    .into()
}

/// The model output as a map: its last two axes are height and width, the
/// others must be 1; every value must be finite.
fn output_map(output: Tensor) -> Result<FloatMap, String> {
    let shape = output.shape().to_vec();
    let (oh, ow) = match shape.as_slice() {
        [lead @ .., h, w] if lead.iter().all(|&d| d == 1) && *h > 0 && *w > 0 => (*h, *w),
        _ => return Err(format!("shape {shape:?} is not [1,H,W]")),
    };
    let values: Vec<f32> = output
        .to_plain_array_view::<f32>()
        .map_err(|_| format!("type {:?} is not f32", output.datum_type()))?
        .iter()
        .copied()
        .collect();
    let bad = values.iter().filter(|v| !v.is_finite()).count();
    if bad > 0 {
        return Err(format!("{bad} non-finite values"));
    }
    FloatMap::from_raw(ow as u32, oh as u32, values)
        .ok_or_else(|| format!("shape {shape:?} does not match its data"))
}

/// A tract error and its causes on one line.
fn one_line(e: &TractError) -> String {
    format!("{e:#}").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_anything_input_is_multiple_of_14_with_shorter_side_518() {
        assert_eq!(
            Architecture::DepthAnythingV2.input_size(1920, 1080),
            (924, 518)
        );
        assert_eq!(
            Architecture::DepthAnythingV2.input_size(1080, 1920),
            (518, 924)
        );
        assert_eq!(
            Architecture::DepthAnythingV2.input_size(518, 518),
            (518, 518)
        );
        // The scale closer to 1 wins: a small photo fits its width, not its height.
        assert_eq!(
            Architecture::DepthAnythingV2.input_size(300, 200),
            (518, 350)
        );
        assert_eq!(
            Architecture::DepthAnythingV2.input_size(37, 1000),
            (14, 518)
        );
        for (w, h) in [(640, 480), (4000, 3000), (1000, 700)] {
            let (iw, ih) = Architecture::DepthAnythingV2.input_size(w, h);
            assert_eq!((iw % 14, ih % 14), (0, 0));
            let aspect = (iw as f64 / ih as f64) / (w as f64 / h as f64);
            assert!((aspect - 1.0).abs() < 0.1, "{w}×{h} → {iw}×{ih}");
        }
        assert_eq!(Architecture::MidasV21Small.input_size(4000, 30), (256, 256));
    }

    #[test]
    fn a_panorama_is_shrunk_to_the_patch_limit() {
        // 60:1 would otherwise be 31080×518, over 82,000 patches.
        for (w, h) in [(60_000, 1000), (1000, 60_000), (100_000, 10)] {
            let (iw, ih) = Architecture::DepthAnythingV2.input_size(w, h);
            assert_eq!((iw % 14, ih % 14), (0, 0), "{w}×{h} → {iw}×{ih}");
            assert!((iw / 14) * (ih / 14) <= MAX_PATCHES, "{w}×{h} → {iw}×{ih}");
        }
        let (iw, ih) = Architecture::DepthAnythingV2.input_size(60_000, 1000);
        assert!(
            (iw as f64 / ih as f64 / 60.0 - 1.0).abs() < 0.1,
            "{iw}×{ih}"
        );
        // Up to 4:1 nothing changes.
        assert_eq!(
            Architecture::DepthAnythingV2.input_size(2072, 518),
            (2072, 518)
        );
    }

    #[test]
    fn input_is_nchw_and_normalised() {
        let rgb = RgbImage::from_fn(4, 2, |x, _| {
            if x < 2 {
                image::Rgb([255, 0, 0])
            } else {
                image::Rgb([0, 0, 255])
            }
        });
        let tensor = input_tensor(&rgb, 4, 2, true);
        assert_eq!(tensor.shape(), &[1, 3, 2, 4]);
        let v = tensor.to_plain_array_view::<f32>().unwrap();
        let red = (1.0 - 0.485) / 0.229;
        let no_blue = -0.406 / 0.225;
        assert!((v[[0, 0, 1, 0]] - red).abs() < 1e-5);
        assert!((v[[0, 2, 1, 3]] - (1.0 - 0.406) / 0.225).abs() < 1e-5);
        assert!((v[[0, 2, 0, 0]] - no_blue).abs() < 1e-5);
    }

    #[test]
    fn output_must_be_one_finite_map() {
        let ok = Tensor::from_shape(&[1, 2, 3], &[0f32, 1., 2., 3., 4., 5.]).unwrap();
        let map = output_map(ok).unwrap();
        assert_eq!(map.dimensions(), (3, 2));
        assert_eq!(map.get_pixel(2, 1)[0], 5.0);
        let two = Tensor::from_shape(&[2, 1, 3], &[0f32; 6]).unwrap();
        assert!(output_map(two).unwrap_err().contains("[2, 1, 3]"));
        let nan = Tensor::from_shape(&[1, 1, 2], &[f32::NAN, 1.0]).unwrap();
        assert!(output_map(nan).unwrap_err().contains("1 non-finite"));
    }
}
