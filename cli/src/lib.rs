//! The `rewind` command line: flags in, engine calls, and the only crate that prints.

mod args;
mod commands;
mod error;
mod load;
mod ops;
mod plugins;
mod printer;
mod render;
mod secrets;
mod session;
pub mod settings;
pub mod simulate;
mod stop;
mod words;

pub use error::CliError;

use args::{Cli, Command};
use clap::Parser;
use printer::Printer;
use session::Session;
use std::ffi::OsString;
use std::process::ExitCode;

/// Runs `rewind` with these arguments and returns the exit status.
pub fn run<I: IntoIterator<Item = OsString>>(args: I) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().collect();
    if let Some(code) = commands::completions::complete_if_asked(&args) {
        return code;
    }
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            if e.kind() == clap::error::ErrorKind::DisplayVersion && wants_json(&args) {
                Printer::new(true, false, true, false).out(&commands::version::json().to_string());
                return ExitCode::SUCCESS;
            }
            let _ = e.print();
            // clap's own usage status is 2, which `plan --detailed-exitcode` reserves for
            // "changes pending": every error is 1 here.
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(1),
            };
        }
    };
    let printer = Printer::new(
        cli.global.json,
        cli.global.quiet,
        cli.global.no_color,
        cli.global.verbose,
    );
    init_logging(cli.global.verbose);
    // Decided once, before any plugin starts: a rehearsal's plugins never see a real
    // credential (docs/PROVIDER_PROTOCOL.md, "Rehearsal").
    rewind_providers::external::set_rehearsal(rehearsing(&cli.command));
    // The command's inputs (settings, plugins, spec, state place), each read at most once.
    let session = Session::new(cli.global);
    let s = &session;
    let result = match cli.command {
        Command::Validate => commands::validate::exec(s, &printer),
        Command::Plan(a) => commands::plan::exec(s, &a, &printer),
        Command::Apply(a) => commands::apply::exec(s, &a, &printer),
        Command::Graph(a) => commands::graph::exec(s, &a, &printer),
        Command::State(c) => commands::state::exec(s, &c, &printer),
        Command::Show(a) => commands::show::exec(&a, &printer),
        Command::History(a) => commands::history::exec(s, &a, &printer),
        Command::Status => commands::status::exec(s, &printer),
        Command::Output(a) => commands::output::exec(s, &a, &printer),
        Command::Sim(a) => commands::sim::exec(s, &a, &printer),
        Command::Completions(a) => commands::completions::exec(&a, &printer),
        Command::Man => commands::man::exec(&printer),
        Command::Version => Ok(commands::version::exec(&printer)),
        Command::Schema => commands::schema::exec(s, &printer),
        Command::Providers => commands::providers::exec(s, &printer),
        Command::Init(a) => commands::init::exec(&a, &printer),
        Command::Drill(a) => commands::drill::exec(s, &a, &printer),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            render::errors::print(&e, &printer);
            ExitCode::from(1)
        }
    }
}

/// Whether the command is a rehearsal (`--simulate`).
fn rehearsing(command: &Command) -> bool {
    match command {
        Command::Plan(a) => a.sim.simulate,
        Command::Apply(a) => a.sim.simulate,
        Command::Init(a) => a.simulate,
        Command::Drill(a) => match &a.command {
            Some(args::DrillCommand::Cleanup { sim, .. }) => sim.simulate,
            _ => a.run.sim.simulate,
        },
        _ => false,
    }
}

/// `--json` among the flags (before any `--`): clap answers `--version` before parsing it.
fn wants_json(args: &[OsString]) -> bool {
    args.iter()
        .skip(1)
        .take_while(|a| a.as_os_str() != "--")
        .any(|a| a.as_os_str() == "--json")
}

/// Logs go to stderr only when REWIND_LOG asks for them, or with `-v` the waits that other
/// processes sharing the request budget caused; secrets are redacted at the source.
fn init_logging(verbose: bool) {
    let filter = match std::env::var(rewind_providers::env::LOG) {
        Ok(filter) => filter,
        Err(_) if verbose => "rewind::budget=info".to_owned(),
        Err(_) => return,
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .try_init();
}
