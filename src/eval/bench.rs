//! `photo3d eval DIR`: the view-synthesis scores over a folder of stereo scenes
//! (the real-scene benchmark), with means over the tuning scenes and, apart,
//! over the held-out ones.

use super::{Evaluation, METHODS};
use crate::map::FloatMap;
use image::RgbImage;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One scene folder holding `left.png`, `right.png` and `disp.pfm`.
#[derive(Debug, Clone)]
pub struct SceneSpec {
    pub name: String,
    pub dir: PathBuf,
    pub held_out: bool,
}

/// A loaded stereo pair with the left view's disparity in pixels.
pub struct SceneData {
    pub left: RgbImage,
    pub right: RgbImage,
    pub disparity: FloatMap,
}

/// Why a benchmark folder could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{}: cannot read: {detail}", path.display())]
    Read { path: PathBuf, detail: String },
    #[error("{}: bad scenes.json: {detail}", path.display())]
    BadIndex { path: PathBuf, detail: String },
    #[error("{}: no scene folders (with left.png, right.png, disp.pfm) and no scenes.json", path.display())]
    NoScenes { path: PathBuf },
}

#[derive(Deserialize)]
struct Index {
    scenes: Vec<IndexEntry>,
}

#[derive(Deserialize)]
struct IndexEntry {
    name: String,
    #[serde(default)]
    held_out: bool,
}

/// The scenes of `dir`: those `scenes.json` lists (under `dir/scenes/`), else every
/// sub-folder that holds a `left.png`, by name, none held out.
pub fn discover(dir: &Path) -> Result<Vec<SceneSpec>, BenchError> {
    let index = dir.join("scenes.json");
    if index.is_file() {
        let text = std::fs::read_to_string(&index).map_err(|e| BenchError::Read {
            path: index.clone(),
            detail: e.to_string(),
        })?;
        let parsed: Index = serde_json::from_str(&text).map_err(|e| BenchError::BadIndex {
            path: index.clone(),
            detail: e.to_string(),
        })?;
        return Ok(parsed
            .scenes
            .into_iter()
            .map(|e| SceneSpec {
                dir: dir.join("scenes").join(&e.name),
                name: e.name,
                held_out: e.held_out,
            })
            .collect());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| BenchError::Read {
        path: dir.into(),
        detail: e.to_string(),
    })?;
    let mut scenes: Vec<SceneSpec> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("left.png").is_file())
        .map(|p| SceneSpec {
            name: p
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into()),
            dir: p,
            held_out: false,
        })
        .collect();
    scenes.sort_by(|a, b| a.name.cmp(&b.name));
    if scenes.is_empty() {
        return Err(BenchError::NoScenes { path: dir.into() });
    }
    Ok(scenes)
}

/// Loads a scene folder's `left.png`, `right.png` and `disp.pfm`.
pub fn load_scene(dir: &Path) -> Result<SceneData, BenchError> {
    let read_error = |path: PathBuf, e: &dyn std::fmt::Display| BenchError::Read {
        path,
        detail: e.to_string(),
    };
    let photo = |name: &str| {
        let path = dir.join(name);
        crate::io::photo::load_photo(&path)
            .map(|p| p.rgb)
            .map_err(|e| read_error(path, &e))
    };
    let disp_path = dir.join("disp.pfm");
    Ok(SceneData {
        left: photo("left.png")?,
        right: photo("right.png")?,
        disparity: crate::io::depth::read_depth_file(&disp_path)
            .map_err(|e| read_error(disp_path.clone(), &e))?,
    })
}

/// One scene's scores.
#[derive(Debug, Clone, Serialize)]
pub struct SceneResult {
    pub name: String,
    pub held_out: bool,
    pub evaluation: Evaluation,
}

/// Mean scores of one method over a set of scenes (PSNR means in dB).
#[derive(Debug, Clone, Serialize)]
pub struct MethodMean {
    pub method: &'static str,
    pub psnr_all: f64,
    pub psnr_covered: f64,
    pub psnr_disoccluded: f64,
    pub ssim_disoccluded: f64,
    pub gradient_disoccluded: f64,
}

/// Every scene's scores with the means over tuning scenes and held-out scenes apart.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub scenes: Vec<SceneResult>,
    pub mean: Vec<MethodMean>,
    pub held_out_mean: Vec<MethodMean>,
}

/// Per-method means over `scenes`; empty when there are none.
fn means<'a>(scenes: impl Iterator<Item = &'a SceneResult> + Clone) -> Vec<MethodMean> {
    let n = scenes.clone().count();
    if n == 0 {
        return Vec::new();
    }
    METHODS
        .iter()
        .enumerate()
        .map(|(i, &method)| {
            let mean = |f: &dyn Fn(&super::MethodScores) -> f64| {
                scenes
                    .clone()
                    .map(|s| f(&s.evaluation.methods[i]))
                    .sum::<f64>()
                    / n as f64
            };
            MethodMean {
                method,
                psnr_all: mean(&|m| m.all.psnr),
                psnr_covered: mean(&|m| m.covered.psnr),
                psnr_disoccluded: mean(&|m| m.disoccluded.psnr),
                ssim_disoccluded: mean(&|m| m.disoccluded.ssim),
                gradient_disoccluded: mean(&|m| m.gradient_disoccluded),
            }
        })
        .collect()
}

/// Collects scene results into a summary with both means.
pub fn summarize(scenes: Vec<SceneResult>) -> Summary {
    let mean = means(scenes.iter().filter(|s| !s.held_out));
    let held_out_mean = means(scenes.iter().filter(|s| s.held_out));
    Summary {
        scenes,
        mean,
        held_out_mean,
    }
}

/// The summary as text: each scene's table, then the two mean tables.
pub fn summary_table(summary: &Summary) -> String {
    let mut out = String::new();
    for s in &summary.scenes {
        let tag = if s.held_out { " (held out)" } else { "" };
        out += &format!("== {}{tag}\n{}\n", s.name, super::table(&s.evaluation));
    }
    for (title, means) in [
        ("mean over tuning scenes", &summary.mean),
        ("mean over held-out scenes", &summary.held_out_mean),
    ] {
        if means.is_empty() {
            continue;
        }
        out += &format!(
            "== {title}\n{:<21} {:>8} {:>7} {:>7} {:>7} {:>7}\n",
            "method", "PSNR all", "covered", "disocc", "SSIM do", "GMS do"
        );
        for m in means {
            out += &format!(
                "{:<21} {:>8.2} {:>7.2} {:>7.2} {:>7.4} {:>7.4}\n",
                m.method,
                m.psnr_all,
                m.psnr_covered,
                m.psnr_disoccluded,
                m.ssim_disoccluded,
                m.gradient_disoccluded
            );
        }
        out += "\n";
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{MethodScores, Score};

    fn result(name: &str, held_out: bool, psnr: f64) -> SceneResult {
        let score = Score {
            psnr,
            ssim: 0.5,
            pixels: 1,
        };
        let methods = METHODS
            .iter()
            .map(|&method| MethodScores {
                method,
                all: score,
                covered: score,
                disoccluded: score,
                gradient_disoccluded: 0.25,
            })
            .collect();
        SceneResult {
            name: name.into(),
            held_out,
            evaluation: Evaluation {
                width: 1,
                height: 1,
                methods,
            },
        }
    }

    #[test]
    fn held_out_scenes_are_averaged_apart() {
        let s = summarize(vec![
            result("a", false, 20.0),
            result("b", false, 30.0),
            result("c", true, 10.0),
        ]);
        assert_eq!(s.mean.len(), METHODS.len());
        assert_eq!(s.mean[0].psnr_disoccluded, 25.0);
        assert_eq!(s.held_out_mean[0].psnr_all, 10.0);
        assert_eq!(s.held_out_mean[4].gradient_disoccluded, 0.25);
        let text = summary_table(&s);
        assert!(text.contains("== c (held out)") && text.contains("mean over held-out scenes"));
        assert!(summarize(vec![result("a", false, 1.0)])
            .held_out_mean
            .is_empty());
    }

    #[test]
    fn discover_reads_scenes_json_or_scene_folders() {
        let tmp = std::env::temp_dir().join(format!("photo3d-bench-{}", std::process::id()));
        let scene = tmp.join("plain").join("b");
        std::fs::create_dir_all(&scene).unwrap();
        std::fs::write(scene.join("left.png"), b"").unwrap();
        std::fs::create_dir_all(tmp.join("plain").join("a-not-a-scene")).unwrap();
        let found = discover(&tmp.join("plain")).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].name.as_str(), found[0].held_out), ("b", false));
        let indexed = tmp.join("indexed");
        std::fs::create_dir_all(&indexed).unwrap();
        std::fs::write(
            indexed.join("scenes.json"),
            r#"{"scenes":[{"name":"x","held_out":true},{"name":"y","year":2003}]}"#,
        )
        .unwrap();
        let found = discover(&indexed).unwrap();
        assert_eq!(found[0].dir, indexed.join("scenes").join("x"));
        assert!(found[0].held_out && !found[1].held_out);
        std::fs::write(indexed.join("scenes.json"), "{").unwrap();
        assert!(matches!(
            discover(&indexed),
            Err(BenchError::BadIndex { .. })
        ));
        assert!(matches!(
            discover(&tmp.join("indexed").join("none")),
            Err(BenchError::Read { .. })
        ));
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
