//! How the process's heap hands memory back and forth with the kernel.

/// Keeps freed memory in the heap for the next allocation instead of
/// unmapping it. A large photo's stages allocate and free arrays of hundreds
/// of megabytes one after another; glibc maps each such array afresh, and
/// faulting in its zeroed pages is dear. Keeping them cut a 12 or 24 MP
/// scene build by 1–16 % in alternated runs, for 12–16 % more peak memory
/// (BENCHMARKS.md, thirty-first session).
///
/// All threads share the one heap: glibc gives worker threads heaps of their
/// own, and unmaps each 64 MB piece of them once it is empty, whatever the
/// trim threshold. One heap took a 12 MP run's peak memory from 2.5 to
/// 2.2 GB and its video from 76–81 to 45–49 s, with no cost measurable at
/// 960 px (BENCHMARKS.md, thirty-third session).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(crate) fn reuse_freed_memory() {
    // SAFETY: mallopt only sets allocator parameters; it runs before any
    // other thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_MAX, 0);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Other allocators keep their own policy.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn reuse_freed_memory() {}
