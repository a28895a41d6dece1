//! The signals that stop a run cleanly: Ctrl-C (SIGINT), SIGTERM and SIGHUP, all one path.
//
// systemd, Kubernetes and CI runners stop a job with SIGTERM, and a closed terminal sends
// SIGHUP; each must leave the state as a Ctrl-C does (handles recorded, lock released,
// history marked), not die on the spot.

use std::io;

/// Which stop signal arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    Interrupt,
    Terminate,
    Hangup,
}

impl StopSignal {
    /// How the user would name it.
    pub fn name(self) -> &'static str {
        match self {
            StopSignal::Interrupt => "Ctrl-C",
            StopSignal::Terminate => "SIGTERM",
            StopSignal::Hangup => "SIGHUP",
        }
    }

    /// The shell's exit status for a process ended by this signal (128 + its number).
    pub fn exit_code(self) -> i32 {
        match self {
            StopSignal::Interrupt => 130,
            StopSignal::Terminate => 143,
            StopSignal::Hangup => 129,
        }
    }
}

/// Listens for every stop signal from the moment it is made, so that one arriving between
/// two waits is not lost.
pub struct StopSignals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    hup: tokio::signal::unix::Signal,
}

impl StopSignals {
    /// Installs the handlers. Must run inside a tokio runtime.
    pub fn new() -> io::Result<StopSignals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(StopSignals {
                int: signal(SignalKind::interrupt())?,
                term: signal(SignalKind::terminate())?,
                hup: signal(SignalKind::hangup())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(StopSignals {})
        }
    }

    /// The next stop signal; `None` if none can arrive any more.
    pub async fn next(&mut self) -> Option<StopSignal> {
        #[cfg(unix)]
        {
            tokio::select! {
                s = self.int.recv() => s.map(|()| StopSignal::Interrupt),
                s = self.term.recv() => s.map(|()| StopSignal::Terminate),
                s = self.hup.recv() => s.map(|()| StopSignal::Hangup),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c()
                .await
                .ok()
                .map(|()| StopSignal::Interrupt)
        }
    }
}

/// Spawns the watcher of a run: on the first stop signal it prints `stopping` (with the
/// signal's name) and sends the cancel request; on a second one it exits at once, with the
/// shell's status for that signal. Handlers are installed before this returns.
pub fn watch(
    printer: crate::printer::Printer,
    stopping: impl Fn(StopSignal) -> String + Send + 'static,
    cancel: tokio::sync::watch::Sender<bool>,
) -> tokio::task::JoinHandle<()> {
    let signals = StopSignals::new();
    tokio::spawn(async move {
        let mut signals = match signals {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM/SIGHUP; Ctrl-C only");
                if tokio::signal::ctrl_c().await.is_ok() {
                    printer.info(&stopping(StopSignal::Interrupt));
                    let _ = cancel.send(true);
                    if tokio::signal::ctrl_c().await.is_ok() {
                        std::process::exit(StopSignal::Interrupt.exit_code());
                    }
                }
                return;
            }
        };
        if let Some(first) = signals.next().await {
            printer.info(&stopping(first));
            let _ = cancel.send(true);
            if let Some(second) = signals.next().await {
                // State is flushed after every transition, so leaving now loses nothing
                // that was not already recorded.
                std::process::exit(second.exit_code());
            }
        }
    })
}
