//! glibc allocator settings for tensor work: keep freed buffers for reuse instead of returning
//! them to the system. A training step frees and reallocates the same tens of megabytes many
//! times; by default each large buffer is a fresh `mmap`, paid again in page faults and zeroing
//! (`sense bench train` measures both settings). On by default: a process that runs only fused
//! steps, as `sense train` does, took 205 SFT steps a minute with glibc's own settings and
//! 263–279 with these (the recipe's model, alternating runs). glibc raises its own mmap and trim
//! thresholds only after freeing a buffer larger than them, which composite ops do and the
//! fused kernels rarely do, so a benchmark process that also runs the composite baseline hides
//! the difference.
#![allow(unsafe_code)]

/// `SENSE_MALLOC=default` keeps glibc's own settings; unset or `tuned`, ours apply.
pub const ENV: &str = "SENSE_MALLOC";

/// Applies the settings once per process when `setting` (the value of `SENSE_MALLOC`, read by
/// the front end: `train` reads no environment) is not `default`. Returns whether they are in
/// effect; later calls return the first call's answer. A no-op off glibc.
pub fn keep_freed_buffers(setting: Option<&str>) -> bool {
    static APPLIED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *APPLIED.get_or_init(|| setting != Some("default") && apply())
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn apply() -> bool {
    // Buffers up to 32 MiB come from the heap; the heap is trimmed only beyond 1 GiB free and
    // grows 64 MiB at a time.
    const SETTINGS: [(libc::c_int, libc::c_int); 3] = [
        (libc::M_MMAP_THRESHOLD, 32 << 20),
        (libc::M_TRIM_THRESHOLD, 1 << 30),
        (libc::M_TOP_PAD, 64 << 20),
    ];
    SETTINGS.iter().all(|&(param, value)| {
        // SAFETY: mallopt only changes allocator tunables; any value is accepted or refused (0).
        unsafe { libc::mallopt(param, value) == 1 }
    })
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn apply() -> bool {
    false
}

#[cfg(test)]
mod tests {
    #[test]
    fn settings_take_effect_on_glibc() {
        let setting = std::env::var(super::ENV).ok();
        let wanted = cfg!(all(target_os = "linux", target_env = "gnu"))
            && setting.as_deref() != Some("default");
        assert_eq!(super::keep_freed_buffers(setting.as_deref()), wanted);
    }
}
