//! Errors of video writing; every message is one line and starts with the file it concerns.

/// Errors of video writing; every message is one line and starts with the file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    #[error("{path}: cannot write video: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: h264 encoding failed: {message}")]
    Encode { path: String, message: String },
    #[error("{path}: mp4 muxing failed: {source}")]
    Mux { path: String, source: ::mp4::Error },
    #[error("{path}: gif encoding failed: {source}")]
    Gif {
        path: String,
        source: ::gif::EncodingError,
    },
    #[error("{path}: {message}")]
    BadSize { path: String, message: String },
}
