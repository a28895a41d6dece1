//! The `rewind` binary: everything lives in the library so tests can run commands in-process.

fn main() -> std::process::ExitCode {
    rewind_cli::run(std::env::args_os())
}
