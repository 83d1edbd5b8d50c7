//! TEMP STUB
use std::path::Path;
#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    #[error("{0}")]
    Bad(String),
}
pub struct Mp4Writer {
    dir: std::path::PathBuf,
    n: usize,
}
impl Mp4Writer {
    pub fn create(path: &Path, _w: u32, _h: u32, _fps: u32) -> Result<Self, VideoError> {
        std::fs::write(path, b"stub").map_err(|e| VideoError::Bad(e.to_string()))?;
        Ok(Mp4Writer {
            dir: path.to_path_buf(),
            n: 0,
        })
    }
    pub fn push(&mut self, frame: &image::RgbImage) -> Result<(), VideoError> {
        if self.n % 60 == 0 {
            frame
                .save(self.dir.with_extension(format!("{}.png", self.n)))
                .map_err(|e| VideoError::Bad(e.to_string()))?;
        }
        self.n += 1;
        Ok(())
    }
    pub fn finish(self) -> Result<(), VideoError> {
        Ok(())
    }
}
