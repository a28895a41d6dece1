//! The one place that writes to the terminal: quiet, JSON, color and progress decisions live here.
// The workspace denies `print_stdout`/`print_stderr` so that no other module writes to the
// terminal behind the printer's back (quiet, JSON and color are decided here alone).
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the printer is the one writer to the terminal"
)]

use std::io::{IsTerminal, Write};

/// How output should look; built once from the flags.
// Each flag is an independent yes/no the user sets; an enum per flag would add nothing.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone)]
pub struct Printer {
    pub json: bool,
    pub quiet: bool,
    pub color: bool,
    pub verbose: bool,
    /// stderr is a terminal: progress bars and prompts make sense.
    pub interactive: bool,
}

// Every method takes `self` although some need none of its fields: all output goes through
// one printer value, so that the lints against printing elsewhere mean something.
#[allow(clippy::unused_self)]
impl Printer {
    #[allow(clippy::fn_params_excessive_bools)]
    pub fn new(json: bool, quiet: bool, no_color: bool, verbose: bool) -> Self {
        let stdout_tty = std::io::stdout().is_terminal();
        let color = !no_color && stdout_tty && std::env::var_os("NO_COLOR").is_none();
        Printer {
            json,
            quiet,
            color,
            verbose,
            interactive: std::io::stderr().is_terminal() && !json,
        }
    }

    /// Primary output (plans, lists, JSON documents) on stdout.
    pub fn out(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = out.write_all(b"\n");
        }
        let _ = out.flush();
    }

    /// One JSON value per line on stdout.
    pub fn json_line(&self, value: &serde_json::Value) {
        self.out(&value.to_string());
    }

    /// Status and progress on stderr; silenced by `--quiet`.
    pub fn info(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// Errors and warnings on stderr; never silenced.
    pub fn error(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = err.write_all(b"\n");
        }
    }

    pub fn paint(&self, text: &str, style: Style) -> String {
        if !self.color {
            return text.to_owned();
        }
        let code = match style {
            Style::Red => "31",
            Style::Green => "32",
            Style::Yellow => "33",
            Style::Cyan => "36",
            Style::Bold => "1",
            Style::Dim => "2",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    /// Asks a question on the controlling terminal (`/dev/tty`), so that `apply | tee log`
    /// still asks on screen; when stdout is not a terminal, the question and the answer are
    /// also written there, for the log. `None` when there is no terminal to ask.
    pub fn prompt(&self, question: &str) -> Option<String> {
        // Only a person at a terminal is asked: with stdin redirected (scripts, CI, tests)
        // there is nobody to answer, even if a terminal is attached somewhere.
        if !std::io::stdin().is_terminal() {
            return None;
        }
        let answer = ask_tty(question).or_else(|| {
            eprint!("{question}");
            let _ = std::io::stderr().flush();
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).ok()?;
            Some(line.trim().to_owned())
        })?;
        if !std::io::stdout().is_terminal() {
            self.out(&format!("{question}{answer}"));
        }
        Some(answer)
    }
}

/// The question on `/dev/tty` and the answer read from it, whatever stdout and stderr are
/// redirected to; `None` without one (no controlling terminal, or not a Unix).
fn ask_tty(question: &str) -> Option<String> {
    use std::io::{BufRead, Write as _};
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()?;
    let mut writer = tty.try_clone().ok()?;
    writer.write_all(question.as_bytes()).ok()?;
    writer.flush().ok()?;
    let mut line = String::new();
    std::io::BufReader::new(tty).read_line(&mut line).ok()?;
    Some(line.trim().to_owned())
}

#[derive(Debug, Clone, Copy)]
pub enum Style {
    Red,
    Green,
    Yellow,
    Cyan,
    Bold,
    Dim,
}
