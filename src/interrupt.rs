//! Ctrl-C and SIGTERM: a process-wide flag that the pipeline checks between
//! stages and frames, so an interrupted run stops at a safe point and its
//! staged output folder is removed instead of being left half-written.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Exit status of a run stopped by SIGINT or SIGTERM (128 + SIGINT, as shells report it).
pub const EXIT_CODE: u8 = 130;

/// Installs the SIGINT/SIGTERM handler that raises the flag; a second signal
/// ends the process at once. Also makes a full disk (or a file-size limit)
/// an ordinary write error rather than a fatal SIGXFSZ.
pub fn install_handler() -> Result<(), ctrlc::Error> {
    ignore_file_size_signal();
    ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(i32::from(EXIT_CODE));
        }
    })
}

/// True once an interruption was requested.
pub fn requested() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
#[error("interrupted; no output was kept")]
pub struct Interrupted;

/// `Err(Interrupted)` once an interruption was requested; called at safe points.
pub fn check() -> Result<(), Interrupted> {
    if requested() {
        Err(Interrupted)
    } else {
        Ok(())
    }
}

/// Writes past RLIMIT_FSIZE then fail with EFBIG, reported like any write error.
#[cfg(unix)]
fn ignore_file_size_signal() {
    // SAFETY: setting a signal's disposition to SIG_IGN installs no handler code
    // and is async-signal-safe; nothing else in the process handles SIGXFSZ.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

#[cfg(not(unix))]
fn ignore_file_size_signal() {}
