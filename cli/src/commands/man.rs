//! `rewind man`: one roff page, rewind(1), generated from the clap definitions.

use crate::args::Cli;
use crate::error::CliError;
use crate::printer::Printer;
use clap::CommandFactory;
use roff::{Roff, bold, italic, roman};
use std::process::ExitCode;

pub fn exec(printer: &Printer) -> Result<ExitCode, CliError> {
    let page = render().map_err(|e| CliError::msg(format!("cannot render the man page: {e}")))?;
    printer.out(&page);
    Ok(ExitCode::SUCCESS)
}

/// The whole page: clap_mangen's sections for `rewind` itself, then one subsection per
/// command (nested ones too), so `man rewind` is the single place to read.
pub fn render() -> std::io::Result<String> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let version = super::version::LONG;
    let man = clap_mangen::Man::new(cmd.clone())
        .date(super::version::BUILD_DATE)
        .source(format!("rewind {}", super::version::VERSION))
        .manual("rewind manual");
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    // Ragged right and no hyphenation: justified examples read as `rewind         init`.
    out.extend_from_slice(b".ad l\n.nh\n");
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    let mut roff = Roff::new();
    roff.control("SH", ["COMMANDS"]);
    for sub in visible(&cmd) {
        command_section(&mut roff, sub);
    }
    roff.control("SH", ["EXIT STATUS AND CREDENTIALS"]);
    if let Some(after) = cmd.get_after_help() {
        lines(&mut roff, &after.to_string());
    }
    environment(&mut roff);
    roff.control("SH", ["VERSION"]);
    roff.text([roman(version)]);
    roff.control("SH", ["SEE ALSO"]);
    roff.text([roman(
        "The README of rewind: the spec format, credentials, state and shell completions.",
    )]);
    roff.to_writer(&mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Every variable rewind reads, what it sets, and where it is documented.
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "REWIND_STATE",
        "State: a directory or a postgres:// URL (like --state).",
    ),
    (
        "REWIND_PARALLELISM",
        "How many restores may run at once (like --parallelism).",
    ),
    (
        "REWIND_LOCK_LEASE",
        "Lease of a PostgreSQL state lock, in seconds.",
    ),
    (
        "REWIND_LOG",
        "Log filter for stderr, e.g. rewind=debug; secrets are redacted.",
    ),
    (
        "REWIND_ENDPOINT_RDS, _DDM, _TAURUSDB, _CBR, _DCS, _DDS, _EVS",
        "Override a service endpoint (_EVS: read by the EVS provider).",
    ),
    (
        "REWIND_PLUGIN_TIMEOUT",
        "How long an external provider may take to answer.",
    ),
    (
        "REWIND_COMPLETE",
        "Set by the completion scripts when they ask for candidates.",
    ),
    (
        "OS_CLOUD, OS_CLIENT_CONFIG_FILE, OS_CLIENT_SECURE_FILE",
        "Which clouds.yaml entry and files hold the credentials.",
    ),
    (
        "OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_USER_DOMAIN_NAME, OS_DOMAIN_NAME",
        "Password credentials.",
    ),
    (
        "OS_ACCESS_KEY, OS_SECRET_KEY, OS_SECURITY_TOKEN",
        "AK/SK credentials.",
    ),
    ("OS_AUTH_TOKEN, OS_TOKEN", "A token from elsewhere."),
    (
        "OS_PROJECT_ID, OS_PROJECT_NAME, OS_REGION_NAME",
        "The project and region, unless the spec's cloud: names them.",
    ),
    ("NO_COLOR", "No ANSI colors in the output."),
    (
        "Variables named in a spec's secrets:",
        "Read at apply time for the secrets they hold, never written anywhere.",
    ),
];

fn environment(roff: &mut Roff) {
    roff.control("SH", ["ENVIRONMENT"]);
    for (name, what) in ENVIRONMENT {
        roff.control("TP", []);
        roff.text([bold(*name)]);
        roff.text([roman(*what)]);
    }
}

fn visible(cmd: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    cmd.get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
}

fn command_section(roff: &mut Roff, cmd: &clap::Command) {
    let name = cmd.get_bin_name().unwrap_or_else(|| cmd.get_name());
    roff.control("SS", [name]);
    if let Some(about) = cmd.get_long_about().or_else(|| cmd.get_about()) {
        lines(roff, &about.to_string());
    }
    let usage = cmd.clone().render_usage().to_string();
    let usage = usage.trim().trim_start_matches("Usage:").trim();
    roff.control("PP", []);
    roff.text([bold(usage)]);
    for arg in cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_global_set() && a.get_id() != "help")
    {
        roff.control("TP", []);
        roff.text([bold(arg_label(arg))]);
        let mut help = arg
            .get_long_help()
            .or_else(|| arg.get_help())
            .map(ToString::to_string)
            .unwrap_or_default();
        // clap drops the final period of one-sentence help; the page reads as prose.
        if !help.is_empty() && !help.ends_with('.') {
            help.push('.');
        }
        let mut text = vec![roman(help)];
        let values: Vec<String> = arg
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| v.get_name().to_owned())
            .collect();
        if !values.is_empty() {
            text.push(roman(" Values: "));
            text.push(italic(values.join(", ")));
            text.push(roman("."));
        }
        let defaults: Vec<String> = arg
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .collect();
        let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values());
        if takes_value && !defaults.is_empty() {
            text.push(roman(format!(" [default: {}]", defaults.join(", "))));
        }
        roff.text(text);
    }
    if let Some(after) = cmd.get_after_help() {
        roff.control("PP", []);
        lines(roff, &after.to_string());
    }
    for sub in visible(cmd) {
        command_section(roff, sub);
    }
}

/// `-f, --file <FILE>` or `<NAME>`, as `--help` shows it.
fn arg_label(arg: &clap::Arg) -> String {
    let value = arg
        .get_value_names()
        .and_then(|v| v.first())
        .map_or_else(|| arg.get_id().as_str().to_uppercase(), ToString::to_string);
    if arg.is_positional() {
        return format!("<{value}>");
    }
    let mut names = Vec::new();
    if let Some(short) = arg.get_short() {
        names.push(format!("-{short}"));
    }
    if let Some(long) = arg.get_long() {
        names.push(format!("--{long}"));
    }
    let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values());
    if takes_value {
        format!("{} <{value}>", names.join(", "))
    } else {
        names.join(", ")
    }
}

/// Multi-line help text: a blank line starts a new paragraph; indented lines (examples)
/// stay exactly as typed, unfilled.
fn lines(roff: &mut Roff, text: &str) {
    let mut verbatim = false;
    for line in text.lines() {
        let indented = line.starts_with(' ');
        if indented != verbatim && !line.trim().is_empty() {
            roff.control(if indented { "nf" } else { "fi" }, []);
            verbatim = indented;
        }
        if line.trim().is_empty() {
            if verbatim {
                roff.control("fi", []);
                verbatim = false;
            }
            roff.control("PP", []);
        } else {
            roff.text([roman(line)]);
        }
    }
    if verbatim {
        roff.control("fi", []);
    }
}
