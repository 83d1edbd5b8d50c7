//! All-or-nothing output folders: results are written into a hidden staging
//! folder beside the target and renamed into place only when complete.

use std::path::{Path, PathBuf};

/// A staging folder that becomes `target` on `commit` and vanishes if dropped.
pub struct StagedDir {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl StagedDir {
    /// Creates an empty staging folder next to `target` (its parent is created).
    pub fn create(target: &Path) -> std::io::Result<StagedDir> {
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging)?;
        }
        std::fs::create_dir(&staging)?;
        Ok(StagedDir {
            target: target.to_path_buf(),
            staging,
            committed: false,
        })
    }

    /// Where outputs are written until commit.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// The folder the outputs end up in.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Replaces `target` (and any earlier result there: a folder, a file or a
    /// symlink, which is removed, never followed) with the staged folder. A
    /// stale `.<name>.old` left by a crashed run is removed first.
    pub fn commit(mut self) -> std::io::Result<()> {
        let old = self.staging.with_extension("old");
        remove_entry(&old)?;
        if move_aside(&self.target, &old)? {
            std::fs::rename(&self.staging, &self.target)?;
            remove_entry(&old)?;
        } else {
            std::fs::rename(&self.staging, &self.target)?;
        }
        self.committed = true;
        Ok(())
    }
}

/// Moves whatever is at `path` (without following a symlink) to `aside`;
/// false when nothing is there.
fn move_aside(path: &Path, aside: &Path) -> std::io::Result<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => std::fs::rename(path, aside).map(|_| true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Removes a folder, file or symlink (not its target) at `path`, if any.
fn remove_entry(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// An output file that could not be written (one line naming it).
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot write: {detail}")]
pub struct WriteError {
    pub path: String,
    pub detail: String,
}

/// Writes a file through a temporary file in the same folder, renamed into
/// place when `write` succeeds, so a failed write never leaves a partial file.
pub fn write_atomic<E: std::fmt::Display>(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), WriteError> {
    let shown = path.display();
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = parent.join(format!(".{name}.partial-{}", std::process::id()));
    let failed = |e: &dyn std::fmt::Display| WriteError {
        path: shown.to_string(),
        detail: e.to_string(),
    };
    let written = write(&temp)
        .map_err(|e| failed(&e))
        .and_then(|_| std::fs::rename(&temp, path).map_err(|e| failed(&e)));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// Writes a PNG atomically (see `write_atomic`).
pub fn save_png_atomic(image: &image::RgbImage, path: &Path) -> Result<(), WriteError> {
    write_atomic(path, |temp| {
        image.save_with_format(temp, image::ImageFormat::Png)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_stage_leaves_nothing_and_commit_replaces() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("photo");
        {
            let stage = StagedDir::create(&target).unwrap();
            std::fs::write(stage.path().join("a.txt"), "x").unwrap();
        }
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("old.txt"), "old").unwrap();
        let stage = StagedDir::create(&target).unwrap();
        std::fs::write(stage.path().join("new.txt"), "new").unwrap();
        stage.commit().unwrap();
        assert!(target.join("new.txt").exists() && !target.join("old.txt").exists());
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);
    }

    /// OUT/<name> as a file, as a symlink (whose target must survive) or with
    /// a stale `.<name>.old` folder beside it: commit still replaces it.
    #[test]
    fn commit_replaces_a_file_a_symlink_and_ignores_stale_old() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("photo");
        let commit = || {
            let stage = StagedDir::create(&target).unwrap();
            std::fs::write(stage.path().join("new.txt"), "new").unwrap();
            stage.commit().unwrap();
            assert!(target.join("new.txt").is_file());
        };
        std::fs::write(&target, "a file").unwrap();
        commit();
        let stale = root.path().join(".photo.old");
        std::fs::create_dir(&stale).unwrap();
        std::fs::write(stale.join("junk"), "x").unwrap();
        commit();
        assert!(!stale.exists());
        #[cfg(unix)]
        {
            let elsewhere = root.path().join("elsewhere");
            std::fs::create_dir(&elsewhere).unwrap();
            std::fs::write(elsewhere.join("keep.txt"), "keep").unwrap();
            std::fs::remove_dir_all(&target).unwrap();
            std::os::unix::fs::symlink(&elsewhere, &target).unwrap();
            commit();
            assert!(elsewhere.join("keep.txt").is_file());
            assert!(!std::fs::symlink_metadata(&target).unwrap().is_symlink());
        }
    }
}
