// Records the compiler's version for bench-tokio -version, so that the
// comparison's page can name the toolchain that built the Rust side.
use std::process::Command;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_default();
    println!("cargo:rustc-env=RUSTC_VERSION={}", version.trim());
    println!("cargo:rerun-if-changed=build.rs");
}
