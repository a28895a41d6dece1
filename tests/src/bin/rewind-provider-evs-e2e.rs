//! The EVS plugin, built inside the test package so end-to-end tests can run and kill it.

fn main() -> std::process::ExitCode {
    rewind_provider_evs::run()
}
