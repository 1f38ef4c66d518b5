//! Freed memory handed back to the system after the few operations that hold a whole area's
//! worth of temporaries at once: an import, a first sync, the areas loaded at start, a ward
//! merge. Everything else frees little at a time and leaves it to the allocator.

/// Hands back now the pages freed so far. `kdcd`'s allocator, mimalloc (`main.rs`), hands
/// back freed pages a second later but only when it next allocates or frees on that thread —
/// which an idle daemon may not do for hours (it stayed at 59–63 MB after an import of 3,000
/// households, 33–36 MB with this call); glibc's, which this library's tests run on, keeps
/// them in its arenas. Costs a few milliseconds: callers run it on a blocking thread after
/// the answer is ready (a runtime being dropped waits for it), never per request.
pub fn release_freed() {
    // SAFETY: mi_collect walks only mimalloc's own structures and may be called at any time,
    // from any thread; with another global allocator it has nothing to hand back.
    unsafe { libmimalloc_sys::mi_collect(true) };
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim walks only glibc's own heap and may be called at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}
