//! Reading photos and depth maps, and writing outputs safely.

pub mod depth;
pub mod embedded;
pub mod mpo;
pub mod photo;
pub mod staging;

/// Serialises a path as text, invalid UTF-8 replaced by U+FFFD, so that
/// report.json can be written for any file name the system allows.
pub fn serialize_path_lossy<S: serde::Serializer>(
    path: &std::path::Path,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&path.to_string_lossy())
}

/// [`serialize_path_lossy`] for an optional path.
pub fn serialize_optional_path_lossy<S: serde::Serializer>(
    path: &Option<std::path::PathBuf>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match path {
        Some(path) => serialize_path_lossy(path, serializer),
        None => serializer.serialize_none(),
    }
}
