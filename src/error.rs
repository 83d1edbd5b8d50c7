//! The crate's error type: every variant prints as one line naming the file.

use crate::message::one_line;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Photo(#[from] crate::io::photo::PhotoError),
    #[error(transparent)]
    Depth(#[from] crate::depth::DepthError),
    #[error(transparent)]
    DepthFile(#[from] crate::io::depth::DepthFileError),
    #[error(transparent)]
    Embedded(#[from] crate::io::embedded::EmbeddedError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Video(#[from] crate::output::video::VideoError),
    #[error(transparent)]
    Interrupted(#[from] crate::interrupt::Interrupted),
    #[error("{path}: {message}")]
    Output { path: String, message: String },
    #[error("{path}: {message}")]
    Input { path: String, message: String },
}

impl Error {
    /// An output that could not be written.
    pub fn output(path: &Path, err: impl std::fmt::Display) -> Error {
        Error::Output {
            path: path.display().to_string(),
            message: one_line(err),
        }
    }

    /// An input that cannot be used.
    pub fn input(path: &Path, message: impl std::fmt::Display) -> Error {
        Error::Input {
            path: path.display().to_string(),
            message: one_line(message),
        }
    }
}
