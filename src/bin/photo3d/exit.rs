//! How commands end: an error printed as one line and the exit code, with
//! Ctrl-C handled for commands that write one file.

use photo3d::interrupt;
use std::process::ExitCode;

/// Runs a command that writes one file under the Ctrl-C handler: an
/// interruption before the write ends it with exit code 130 and nothing
/// written; one during the (atomic) write lets the write finish.
pub(crate) fn single_output(command: impl FnOnce() -> Result<(), String>) -> ExitCode {
    if let Err(e) = interrupt::install_handler() {
        eprintln!("warning: Ctrl-C may leave a temporary file: {e}");
    }
    match command() {
        Err(message) if interrupt::requested() => {
            eprintln!("error: {message}");
            ExitCode::from(interrupt::EXIT_CODE)
        }
        result => exit_code(result),
    }
}

/// The last safe point before a command's output is written.
pub(crate) fn before_writing() -> Result<(), String> {
    interrupt::check().map_err(|e| e.to_string())
}

/// Success, or the error printed as one line and failure.
pub(crate) fn exit_code(result: Result<(), impl std::fmt::Display>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
