//! The depth-source chain: a named source, or the first that applies of
//! file → embedded → stereo → neural, else the classical estimate.

use crate::depth::neural::ModelFile;
use crate::depth::neural::NeuralModel;
use crate::depth::stereo::stereo_disparity;
use crate::depth::stereo::StereoParams;
use crate::depth::{
    classical_depth, depth_from_file, neural_depth, DepthError, DepthEstimate, DepthKind,
    DepthSource, HolePolicy,
};
use crate::io::embedded::{orient_map, read_embedded_depth};
use crate::io::mpo::split_stereo_mpo;
use crate::io::photo::{decode_photo, load_photo, Photo};
use crate::progress::Event;
use image::RgbImage;
use std::cell::RefCell;
use std::path::{Path, PathBuf};

/// Where depth comes from: the options of the depth-source chain.
#[derive(Debug, Clone, Default)]
pub struct DepthOptions {
    /// A user depth map; without it the classical estimate is used.
    pub depth_file: Option<PathBuf>,
    pub depth_kind: Option<DepthKind>,
    pub depth_holes: HolePolicy,
    /// The named depth source; None tries file, embedded, stereo, neural, classical in turn.
    pub depth_source: Option<SourceChoice>,
    /// The right view of a stereo pair whose left view is the photo.
    pub right_photo: Option<PathBuf>,
    /// The photo is a side-by-side stereo image (left view | right view).
    pub stereo_sbs: bool,
    pub stereo: StereoParams,
    /// A neural model to estimate depth with when no depth file is given.
    pub neural: Option<NeuralChoice>,
}

/// The model for the neural source: ready to load, or why it cannot be had
/// (the chain then says so in one warning and goes on to the classical estimate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NeuralChoice {
    Ready(ModelFile),
    Unavailable { name: String, why: String },
}

/// A depth source as named by `--depth-source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceChoice {
    File,
    Embedded,
    Stereo,
    Neural,
    Classical,
}

/// The order in which sources are tried when none is named, before the
/// classical estimate, which always applies.
pub const CHAIN: [SourceChoice; 4] = [
    SourceChoice::File,
    SourceChoice::Embedded,
    SourceChoice::Stereo,
    SourceChoice::Neural,
];

/// How the two views of a stereo pair were given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StereoInput {
    /// The two images of an MPO file.
    Mpo,
    /// The left and right halves of one image.
    SideBySide,
    /// The photo and `--right FILE`.
    TwoFiles,
}

/// The photo the pipeline works on (the left half of a side-by-side image)
/// and its depth from the named source or the first that applies.
pub fn choose_depth(
    path: &Path,
    photo: Photo,
    options: &DepthOptions,
    observer: &mut dyn FnMut(Event),
) -> Result<(RgbImage, DepthEstimate), DepthError> {
    let ctx = Context::new(path, photo, options, observer)?;
    let estimate = match options.depth_source {
        // A named model that fails falls back with a warning, as when unnamed.
        Some(SourceChoice::Neural) if options.neural.is_some() => ctx
            .try_source(SourceChoice::Neural)?
            .unwrap_or_else(|| classical_depth(&ctx.rgb)),
        Some(choice) => ctx
            .try_source(choice)?
            .ok_or_else(|| ctx.not_applicable(choice))?,
        None => CHAIN
            .iter()
            .find_map(|&choice| ctx.try_source(choice).transpose())
            .unwrap_or_else(|| Ok(classical_depth(&ctx.rgb)))?,
    };
    Ok((ctx.rgb, estimate))
}

/// What the sources look at.
struct Context<'a> {
    path: &'a Path,
    options: &'a DepthOptions,
    /// The working photo: the whole photo, or the left half of a side-by-side one.
    rgb: RgbImage,
    orientation: u8,
    /// The right half of a side-by-side photo.
    sbs_right: Option<RgbImage>,
    /// Where warnings go (a model that fails to load).
    observer: RefCell<&'a mut dyn FnMut(Event)>,
}

impl<'a> Context<'a> {
    fn new(
        path: &'a Path,
        photo: Photo,
        options: &'a DepthOptions,
        observer: &'a mut dyn FnMut(Event),
    ) -> Result<Self, DepthError> {
        let (rgb, sbs_right) = if options.stereo_sbs {
            let (w, h) = photo.rgb.dimensions();
            if w < 32 {
                return Err(DepthError::input(
                    path,
                    "too narrow to be a side-by-side stereo image",
                ));
            }
            let half = w / 2;
            let left = image::imageops::crop_imm(&photo.rgb, 0, 0, half, h).to_image();
            let right = image::imageops::crop_imm(&photo.rgb, w - half, 0, half, h).to_image();
            (left, Some(right))
        } else {
            (photo.rgb, None)
        };
        Ok(Context {
            path,
            options,
            rgb,
            orientation: photo.orientation_applied,
            sbs_right,
            observer: RefCell::new(observer),
        })
    }

    /// Depth from one source; None when it does not apply to this photo.
    fn try_source(&self, choice: SourceChoice) -> Result<Option<DepthEstimate>, DepthError> {
        match choice {
            SourceChoice::File => self.file(),
            SourceChoice::Embedded => self.embedded(),
            SourceChoice::Stereo => self.stereo(),
            SourceChoice::Neural => Ok(self.neural()),
            SourceChoice::Classical => Ok(Some(classical_depth(&self.rgb))),
        }
    }

    fn not_applicable(&self, choice: SourceChoice) -> DepthError {
        let why = match choice {
            SourceChoice::File => "--depth-source file needs --depth FILE",
            SourceChoice::Embedded => {
                "--depth-source embedded: the photo carries no depth (GDepth or Dynamic Depth XMP)"
            }
            SourceChoice::Stereo => {
                "--depth-source stereo: the photo is no stereo MPO; give --right FILE or --stereo-sbs"
            }
            SourceChoice::Neural => "--depth-source neural needs --model NAME (see photo3d models list)",
            SourceChoice::Classical => "the classical estimate always applies",
        };
        DepthError::input(self.path, why)
    }

    /// Depth from the chosen network; a model that cannot be had, loaded or run
    /// gives one warning and the next source is used.
    fn neural(&self) -> Option<DepthEstimate> {
        let estimate = match self.options.neural.as_ref()? {
            NeuralChoice::Ready(model) => NeuralModel::load(&model.path, model.architecture)
                .and_then(|loaded| neural_depth(&self.rgb, &loaded, &model.name))
                .map_err(|e| e.to_string()),
            NeuralChoice::Unavailable { name, why } => Err(format!("model {name}: {why}")),
        };
        match estimate {
            Ok(estimate) => Some(estimate),
            Err(why) => {
                self.warn(&format!("{why}; using the classical estimate"));
                None
            }
        }
    }

    fn warn(&self, line: &str) {
        (self.observer.borrow_mut())(Event::Warning(line));
    }

    /// A source whose data in the photo is malformed: an error when the source
    /// was named, else one warning and the next source of the chain.
    fn skip_malformed(&self, error: DepthError) -> Result<Option<DepthEstimate>, DepthError> {
        if self.options.depth_source.is_some() {
            return Err(error);
        }
        self.warn(&format!("{error}; trying the next depth source"));
        Ok(None)
    }

    fn file(&self) -> Result<Option<DepthEstimate>, DepthError> {
        let Some(file) = &self.options.depth_file else {
            return Ok(None);
        };
        let kind = self.options.depth_kind.unwrap_or(DepthKind::Disparity);
        Ok(Some(depth_from_file(
            file,
            kind,
            self.rgb.dimensions(),
            self.options.depth_holes,
        )?))
    }

    fn bytes(&self) -> Result<Vec<u8>, DepthError> {
        std::fs::read(self.path)
            .map_err(|e| DepthError::input(self.path, format!("cannot read: {e}")))
    }

    fn embedded(&self) -> Result<Option<DepthEstimate>, DepthError> {
        if self.sbs_right.is_some() {
            return Ok(None);
        }
        let (w, h) = self.rgb.dimensions();
        // The map is stored like the photo, before EXIF orientation 5 to 8 swapped its sides.
        let stored = if self.orientation >= 5 {
            (h, w)
        } else {
            (w, h)
        };
        let found = match read_embedded_depth(&self.bytes()?, self.path, stored) {
            Ok(Some(found)) => found,
            Ok(None) => return Ok(None),
            Err(e) => return self.skip_malformed(e.into()),
        };
        Ok(Some(DepthEstimate {
            map: orient_map(found.depth, self.orientation),
            kind: DepthKind::Depth,
            source: DepthSource::Embedded {
                format: found.format,
            },
        }))
    }

    fn stereo(&self) -> Result<Option<DepthEstimate>, DepthError> {
        let (input, right_path, left, right) = if let Some(right) = &self.sbs_right {
            (
                StereoInput::SideBySide,
                None,
                self.rgb.clone(),
                right.clone(),
            )
        } else if let Some(right_path) = &self.options.right_photo {
            let right = load_photo(right_path)?.rgb;
            (
                StereoInput::TwoFiles,
                Some(right_path.clone()),
                self.rgb.clone(),
                right,
            )
        } else {
            let bytes = self.bytes()?;
            let views = match split_stereo_mpo(&bytes) {
                Ok(Some(views)) => views,
                Ok(None) => return Ok(None),
                Err(e) => {
                    return self
                        .skip_malformed(DepthError::input(self.path, format!("corrupt MPO: {e}")))
                }
            };
            let view = |bytes: &[u8], name: &str| {
                decode_photo(
                    bytes,
                    &PathBuf::from(format!("{} ({name} view)", self.path.display())),
                )
                .map(|p| p.rgb)
            };
            (
                StereoInput::Mpo,
                None,
                view(views.left, "left")?,
                view(views.right, "right")?,
            )
        };
        let map = stereo_disparity(&left, &right, &self.options.stereo)
            .map_err(|e| DepthError::input(right_path.as_deref().unwrap_or(self.path), e))?;
        Ok(Some(DepthEstimate {
            map,
            kind: DepthKind::Disparity,
            source: DepthSource::Stereo {
                input,
                right: right_path,
            },
        }))
    }
}
