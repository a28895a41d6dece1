//! Stamps the binary with its git commit and build date; never fails a build that has no git.
#![allow(
    clippy::print_stdout,
    reason = "cargo reads a build script's instructions from its stdout"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

const UNKNOWN: &str = "unknown";

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    println!("cargo:rerun-if-changed=build.rs");
    // Reproducible builds pin the date (https://reproducible-builds.org/specs/source-date-epoch/).
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    for path in head_files(&manifest_dir) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    let commit = git(&manifest_dir, &["rev-parse", "--short=12", "HEAD"])
        .unwrap_or_else(|| UNKNOWN.to_owned());
    println!("cargo:rustc-env=REWIND_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=REWIND_BUILD_DATE={}", build_date());
}

/// The output of a successful git command, trimmed; `None` without git, outside a checkout,
/// or on any failure.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (out.status.success() && !text.is_empty()).then(|| text.to_owned())
}

/// The files whose change means a new commit: HEAD and the branch it points at. A worktree's
/// `.git` is a file, so git is asked where they live; without git, `.git/HEAD` if present.
fn head_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Some(git_dir) = git(dir, &["rev-parse", "--absolute-git-dir"]) {
        files.push(Path::new(&git_dir).join("HEAD"));
        let common = git(dir, &["rev-parse", "--git-common-dir"])
            .map_or_else(|| PathBuf::from(&git_dir), |c| dir.join(c));
        if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
            files.push(common.join(branch));
        }
        files.push(common.join("packed-refs"));
    } else {
        for ancestor in dir.ancestors() {
            files.push(ancestor.join(".git/HEAD"));
        }
    }
    // A missing path would make cargo rerun this script on every build.
    files.retain(|p| p.is_file());
    files
}

/// `YYYY-MM-DD` in UTC: from SOURCE_DATE_EPOCH when set, else now.
fn build_date() -> String {
    let at = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|secs| jiff::Timestamp::from_second(secs).ok())
        .unwrap_or_else(jiff::Timestamp::now);
    at.strftime("%Y-%m-%d").to_string()
}
