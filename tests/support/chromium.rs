//! Finding Debian's Chromium (or a compatible browser) for the headless tests;
//! included by path from the tests that need it.

use std::path::PathBuf;

/// The first of `chromium`, `chromium-browser`, `google-chrome` on `PATH`.
pub fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}
