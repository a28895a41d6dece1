//! Apply progress: indicatif bars for people, one JSON event per line for scripts.

use crate::printer::{Printer, Style};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use rewind_engine::apply::{ApplyHooks, Event};
use std::collections::BTreeMap;
use std::time::Duration;

/// Human progress: a line per running restore with % and elapsed time, then a line per result.
pub struct TerminalHooks {
    printer: Printer,
    multi: MultiProgress,
    bars: BTreeMap<String, ProgressBar>,
    /// What each bar says besides its progress ("running (job-1)").
    status: BTreeMap<String, String>,
    /// Simulated seconds per real second: a rehearsal shows durations and ETAs in the
    /// simulator's time, the clock its jobs and budgets run on (1 against the cloud).
    time_scale: f64,
}

/// A real duration in the time of a run whose clock runs `scale` times faster.
fn scaled_ms(ms: u64, scale: f64) -> u64 {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let out = (ms as f64 * scale).clamp(0.0, 1e15) as u64;
    out
}

/// A remaining time for people: `≥ 4m 10s left`, rounded to what matters.
pub fn eta_text(eta_ms: u64) -> String {
    let secs = eta_ms.div_ceil(1000);
    let shown = match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m {:02}s", secs / 60, secs % 60),
        _ => format!("{}h {:02}m", secs / 3600, (secs % 3600) / 60),
    };
    format!("≥ {shown} left")
}

impl TerminalHooks {
    pub fn new(printer: &Printer) -> Self {
        let target = if printer.interactive && !printer.quiet {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        TerminalHooks {
            printer: printer.clone(),
            multi: MultiProgress::with_draw_target(target),
            bars: BTreeMap::new(),
            status: BTreeMap::new(),
            time_scale: 1.0,
        }
    }

    /// Shows durations and ETAs in a rehearsal's simulated time.
    #[must_use]
    pub fn scaled(mut self, time_scale: f64) -> Self {
        self.time_scale = time_scale;
        self
    }

    fn line(&self, text: &str) {
        if self.printer.quiet {
            return;
        }
        if self.printer.interactive {
            let _ = self.multi.println(text);
        } else {
            self.printer.info(text);
        }
    }

    fn finish_bar(&mut self, name: &str) {
        self.status.remove(name);
        if let Some(b) = self.bars.remove(name) {
            b.finish_and_clear();
            self.multi.remove(&b);
        }
    }
}

impl ApplyHooks for TerminalHooks {
    fn on_event(&mut self, event: &Event) {
        let p = self.printer.clone();
        match event {
            Event::Forgot { name } => self.line(&format!(
                "{} {name}: forgotten (no longer in the spec)",
                p.paint("-", Style::Red)
            )),
            Event::Moved { from, to } => self.line(&format!(
                "{} {to}: moved from {from} (renamed in state; nothing restored)",
                p.paint("→", Style::Green)
            )),
            Event::Started { name, action } => {
                let style = ProgressStyle::with_template(
                    "  {spinner} {prefix:<28} {bar:20} {pos:>3}%  {elapsed:>4}  {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar());
                let bar = self.multi.add(ProgressBar::new(100));
                bar.set_style(style);
                bar.set_prefix(name.clone());
                bar.set_message(action.verb().to_owned());
                bar.enable_steady_tick(Duration::from_millis(200));
                self.bars.insert(name.clone(), bar);
            }
            Event::Submitted { name, handle } => {
                let status = format!("running ({handle})");
                if let Some(b) = self.bars.get(name) {
                    b.set_message(status.clone());
                }
                self.status.insert(name.clone(), status);
                self.line(&format!("  {name}: submitted, following {handle}"));
            }
            Event::Reconciled {
                name,
                handle: Some(h),
            } => self.line(&format!(
                "  {name}: found its job {h} in the cloud; following it"
            )),
            Event::Reconciled { .. } => {}
            Event::Progress {
                name,
                percent,
                eta_ms,
            } => {
                if let (Some(b), Some(pct)) = (self.bars.get(name), percent) {
                    b.set_position(u64::from(pct.whole()));
                    let status = self.status.get(name).map_or("running", String::as_str);
                    let eta = eta_ms
                        .map(|ms| format!(", {}", eta_text(scaled_ms(ms, self.time_scale))))
                        .unwrap_or_default();
                    b.set_message(format!("{status}  {pct}{eta}"));
                }
            }
            Event::TimedOut { name, message } => {
                self.finish_bar(name);
                self.line(&format!(
                    "{} {name}: {message}",
                    p.paint("⏱", Style::Yellow)
                ));
            }
            Event::Succeeded {
                name,
                elapsed_ms,
                outputs,
            } => {
                self.finish_bar(name);
                let created = outputs
                    .get("instance_id")
                    .filter(|_| outputs.contains_key("private_ip") || outputs.contains_key("port"))
                    .map(|id| format!(", created {id}"))
                    .unwrap_or_default();
                let simulated = if (self.time_scale - 1.0).abs() > f64::EPSILON {
                    " simulated"
                } else {
                    ""
                };
                self.line(&format!(
                    "{} {name}: restored ({:.1}s{simulated}){created}",
                    p.paint("✓", Style::Green),
                    scaled_ms(*elapsed_ms, self.time_scale) as f64 / 1000.0
                ));
            }
            Event::Failed { name, reason } => {
                self.finish_bar(name);
                self.line(&format!(
                    "{} {name}: failed: {reason}",
                    p.paint("✗", Style::Red)
                ));
            }
            Event::Skipped { name, because } => self.line(&format!(
                "{} {name}: skipped, {because}",
                p.paint("-", Style::Yellow)
            )),
            Event::Unknown { name, reason } => {
                self.finish_bar(name);
                self.line(&format!(
                    "{} {name}: outcome unknown: {reason}",
                    p.paint("?", Style::Red)
                ));
            }
            Event::Warning {
                name,
                message,
                gave_up,
            } => {
                if *gave_up {
                    self.finish_bar(name);
                }
                self.line(&format!(
                    "{} {name}: {message}",
                    p.paint("!", Style::Yellow)
                ));
            }
            Event::Interrupted { running } => {
                for n in running.clone() {
                    self.finish_bar(&n);
                }
            }
            Event::Finished { .. } => {
                let names: Vec<String> = self.bars.keys().cloned().collect();
                for n in names {
                    self.finish_bar(&n);
                }
            }
        }
    }
}

/// `--json`: every event as one line, with the format version and a timestamp.
pub struct JsonHooks {
    printer: Printer,
    time_scale: f64,
}

impl JsonHooks {
    pub fn new(printer: &Printer) -> Self {
        JsonHooks {
            printer: printer.clone(),
            time_scale: 1.0,
        }
    }

    /// A rehearsal's `elapsed_ms` and `eta_ms` are in simulated time, and each event says so.
    #[must_use]
    pub fn scaled(mut self, time_scale: f64) -> Self {
        self.time_scale = time_scale;
        self
    }
}

impl ApplyHooks for JsonHooks {
    fn on_event(&mut self, event: &Event) {
        let mut v = serde_json::to_value(event).unwrap_or_default();
        if let Some(obj) = v.as_object_mut() {
            if (self.time_scale - 1.0).abs() > f64::EPSILON {
                for key in ["elapsed_ms", "eta_ms"] {
                    if let Some(ms) = obj.get(key).and_then(serde_json::Value::as_u64) {
                        obj.insert(key.into(), scaled_ms(ms, self.time_scale).into());
                    }
                }
                obj.insert("simulated".into(), true.into());
            }
            obj.insert("format_version".into(), 1.into());
            obj.insert("time".into(), jiff::Timestamp::now().to_string().into());
        }
        self.printer.json_line(&v);
    }
}

#[cfg(test)]
mod tests {
    use super::eta_text;

    #[test]
    fn remaining_time_reads_as_a_lower_bound() {
        assert_eq!(eta_text(12_300), "≥ 13s left");
        assert_eq!(eta_text(250_000), "≥ 4m 10s left");
        assert_eq!(eta_text(7_260_000), "≥ 2h 01m left");
    }
}
