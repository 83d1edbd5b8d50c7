//! Error messages as one line, so every error prints on one line naming its file.

/// Folds a multi-line message into one line.
pub fn one_line(message: impl std::fmt::Display) -> String {
    message
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
