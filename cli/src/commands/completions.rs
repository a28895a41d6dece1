//! `rewind completions SHELL`, and the completer the scripts call back: restore names from spec and state.

use crate::args::{Cli, CompletionShell, CompletionsArgs, Global};
use crate::error::CliError;
use crate::printer::Printer;
use clap::{CommandFactory, FromArgMatches};
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};
use clap_complete::env::{CompleteEnv, Shells};
use rewind_providers::env::COMPLETE;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};

pub fn exec(args: &CompletionsArgs, printer: &Printer) -> Result<ExitCode, CliError> {
    let name = match args.shell {
        CompletionShell::Bash => "bash",
        CompletionShell::Zsh => "zsh",
        CompletionShell::Fish => "fish",
        CompletionShell::Powershell => "powershell",
    };
    let shells = Shells::builtins();
    let shell = shells
        .completer(name)
        .ok_or_else(|| CliError::msg(format!("no completion support for {name}")))?;
    // The script calls this very binary back, so completions match the installed version
    // even when another `rewind` comes first on a PATH.
    let completer = std::env::current_exe()
        .ok()
        .and_then(|p| p.to_str().map(str::to_owned))
        .unwrap_or_else(|| "rewind".to_owned());
    let mut script = Vec::new();
    shell
        .write_registration(COMPLETE, "rewind", "rewind", &completer, &mut script)
        .map_err(|e| CliError::msg(format!("cannot write the {name} script: {e}")))?;
    printer.out(&String::from_utf8_lossy(&script));
    Ok(ExitCode::SUCCESS)
}

/// Answers a shell's completion request (`REWIND_COMPLETE=<shell> rewind -- WORDS...`), or
/// returns `None` for an ordinary run.
pub fn complete_if_asked(args: &[OsString]) -> Option<ExitCode> {
    let asked = std::env::var_os(COMPLETE).is_some_and(|v| !v.is_empty() && v != "0");
    if !asked {
        return None;
    }
    let words: Vec<OsString> = args
        .iter()
        .skip_while(|a| a.as_os_str() != "--")
        .skip(1)
        .cloned()
        .collect();
    let context = Arc::new(Context::new(words));
    let current_dir = std::env::current_dir().ok();
    let completed = CompleteEnv::with_factory(move || command(&context))
        .var(COMPLETE)
        .try_complete(args.iter().cloned(), current_dir.as_deref());
    match completed {
        Ok(true) => Some(ExitCode::SUCCESS),
        Ok(false) => None,
        Err(e) => {
            let _ = e.print();
            Some(ExitCode::from(1))
        }
    }
}

/// The clap definitions with the restore-name completer attached where a name is expected.
pub fn command(context: &Arc<Context>) -> clap::Command {
    let names = {
        let context = Arc::clone(context);
        ArgValueCandidates::new(move || context.candidates())
    };
    let drills = {
        let context = Arc::clone(context);
        ArgValueCandidates::new(move || context.drill_candidates())
    };
    // Targeting also takes a fleet's name, for all of its instances.
    let fleets = {
        let context = Arc::clone(context);
        ArgValueCandidates::new(move || context.targeting_candidates())
    };
    let resubmit = |c: clap::Command| {
        ["target", "exclude", "replace"].into_iter().fold(
            c.mut_arg("resubmit", |a| a.add(names.clone())),
            |c, flag| c.mut_arg(flag, |a| a.add(fleets.clone())),
        )
    };
    let name = |c: clap::Command| c.mut_arg("name", |a| a.add(names.clone()));
    let moved = |c: clap::Command| {
        c.mut_arg("old", |a| a.add(names.clone()))
            .mut_arg("new", |a| a.add(names.clone()))
    };
    let drill = |c: clap::Command| c.mut_arg("name", |a| a.add(drills.clone()));
    Cli::command()
        .mut_subcommand("plan", resubmit)
        .mut_subcommand("apply", resubmit)
        .mut_subcommand("output", name)
        .mut_subcommand("state", |c| {
            c.mut_subcommand("show", name)
                .mut_subcommand("rm", name)
                .mut_subcommand("mv", moved)
        })
        .mut_subcommand("drill", |c| drill(c).mut_subcommand("history", drill))
}

/// The words being completed, and the names found for them (looked up once, on first need).
#[derive(Debug)]
pub struct Context {
    words: Vec<OsString>,
    /// (name, help) pairs.
    names: OnceLock<Vec<(String, String)>>,
    /// The spec's drills, as (name, help) pairs.
    drills: OnceLock<Vec<(String, String)>>,
}

impl Context {
    pub fn new(words: Vec<OsString>) -> Context {
        Context {
            words,
            names: OnceLock::new(),
            drills: OnceLock::new(),
        }
    }

    fn drill_candidates(&self) -> Vec<CompletionCandidate> {
        self.drills
            .get_or_init(|| drill_names(&self.words))
            .iter()
            .map(|(name, help)| CompletionCandidate::new(name).help(Some(help.clone().into())))
            .collect()
    }

    /// The names, plus each fleet's own name (`NAME` of `NAME[KEY]`).
    fn targeting_candidates(&self) -> Vec<CompletionCandidate> {
        let names = self.names.get_or_init(|| restore_names(&self.words));
        let mut fleets: BTreeMap<&str, usize> = BTreeMap::new();
        for (name, _) in names {
            if let Some((fleet, _)) = name.split_once('[') {
                *fleets.entry(fleet).or_default() += 1;
            }
        }
        let mut out: Vec<CompletionCandidate> = fleets
            .into_iter()
            .map(|(fleet, n)| {
                CompletionCandidate::new(fleet).help(Some(format!("fleet of {n}").into()))
            })
            .collect();
        out.extend(self.candidates());
        out
    }

    fn candidates(&self) -> Vec<CompletionCandidate> {
        self.names
            .get_or_init(|| restore_names(&self.words))
            .iter()
            .map(|(name, help)| CompletionCandidate::new(name).help(Some(help.clone().into())))
            .collect()
    }
}

/// Operation names of the spec the words point at (`-f`, default restore.yaml), and record
/// names of its state, each with what is known of it. Anything unreadable adds nothing:
/// a completion never errors.
fn restore_names(words: &[OsString]) -> Vec<(String, String)> {
    let Some(global) = global_flags(words) else {
        return Vec::new();
    };
    // name -> (kind, status)
    let mut names: BTreeMap<String, (Option<String>, Option<String>)> = BTreeMap::new();
    let session = crate::session::Session::new(global);
    if let Ok(loaded) = session.loaded() {
        for (name, op) in &loaded.compiled.spec.ops {
            names.entry(name.clone()).or_default().0 = Some(op.spec.kind().as_str().to_owned());
        }
    }
    if let Ok(settings) = session.settings(None)
        // Never reach a server, nor create a state directory, just by pressing TAB.
        && let Some(dir) = settings.state.dir().filter(|d| d.is_dir())
        // A snapshot: TAB never takes (or waits for) the lock.
        && let Ok(state) = rewind_state::snapshot::read(&rewind_state::Location::Dir(dir.to_owned()))
        && let Ok(records) = rewind_engine::state::StateStore::list(&state)
    {
        for r in records {
            let entry = names.entry(r.name.clone()).or_default();
            entry.0.get_or_insert_with(|| r.kind.as_str().to_owned());
            entry.1 = Some(r.status.as_str().to_owned());
        }
    }
    names
        .into_iter()
        .map(|(name, (kind, status))| {
            let help = match (kind, status) {
                (Some(k), Some(s)) => format!("{k}, {s}"),
                (Some(k), None) => format!("{k}, not in state"),
                (None, Some(s)) => s,
                (None, None) => String::new(),
            };
            (name, help)
        })
        .collect()
}

/// The drills of the spec the words point at, each with how many operations it runs.
fn drill_names(words: &[OsString]) -> Vec<(String, String)> {
    let Some(global) = global_flags(words) else {
        return Vec::new();
    };
    let session = crate::session::Session::new(global);
    let Ok(loaded) = session.loaded() else {
        return Vec::new();
    };
    let spec = &loaded.compiled.spec;
    spec.drills
        .iter()
        .map(|(name, d)| {
            let n = d.operations.len();
            (name.clone(), format!("drill, {n} operation(s)"))
        })
        .collect()
}

/// The global flags (`-f`, `--state`, `--var`) among the words, however incomplete the line.
fn global_flags(words: &[OsString]) -> Option<Global> {
    let matches = Cli::command()
        .ignore_errors(true)
        .try_get_matches_from(words)
        .ok()?;
    // Global flags are propagated down, so the innermost subcommand sees all of them.
    let mut innermost = &matches;
    while let Some((_, sub)) = innermost.subcommand() {
        innermost = sub;
    }
    Global::from_arg_matches(innermost).ok()
}
