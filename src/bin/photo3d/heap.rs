//! How the process's heap hands memory back and forth with the kernel.

/// Keeps freed memory in the heap for the next allocation instead of
/// unmapping it. A large photo's stages allocate and free arrays of hundreds
/// of megabytes one after another; glibc maps each such array afresh, and
/// faulting in its zeroed pages is dear. Keeping them cut a 12 or 24 MP
/// scene build by 1–16 % in alternated runs, for 12–16 % more peak memory
/// (BENCHMARKS.md, thirty-first session).
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
