//! The `rewind-provider-evs` executable: the plugin's protocol loop on stdin/stdout.

fn main() -> std::process::ExitCode {
    rewind_provider_evs::run()
}
