//! How the process's heap hands memory back and forth with the kernel.

/// Keeps freed memory in the heap for the next allocation instead of
/// unmapping it. A large photo's stages allocate and free arrays of hundreds
/// of megabytes one after another; glibc maps each such array afresh, and
/// faulting in its zeroed pages cost about a tenth of a 24 MP build
/// (BENCHMARKS.md, thirty-first session). Peak memory grows by about a tenth.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(crate) fn reuse_freed_memory() {
    // SAFETY: mallopt only sets allocator parameters; it runs before any
    // other thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_MAX, 0);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
    }
}

/// Other allocators keep their own policy.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn reuse_freed_memory() {}
