//! The `rewind` command, built inside the test package so end-to-end tests can run and kill it.

fn main() -> std::process::ExitCode {
    rewind_cli::run(std::env::args_os())
}
