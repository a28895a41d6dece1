//! What apply reports while it runs: one event type, one hook trait (terminal, JSON, tests).

use super::ApplyOutcome;
use crate::plan::Action;
use crate::provider::Percent;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A record dropped because the operation left the spec.
    Forgot {
        name: String,
    },
    /// A record renamed to follow its operation's new name (`moved:`, a detected rename).
    Moved {
        from: String,
        to: String,
    },
    /// Work on an operation began (a submit, a re-attach or a reconcile).
    Started {
        name: String,
        action: Action,
    },
    /// The cloud accepted the restore.
    Submitted {
        name: String,
        handle: String,
    },
    /// An ambiguous submit was matched to a job in the cloud (or not).
    Reconciled {
        name: String,
        handle: Option<String>,
    },
    Progress {
        name: String,
        percent: Option<Percent>,
        /// The earliest the job can end, from now (see `PollPolicy::earliest_end`).
        eta_ms: Option<u64>,
    },
    /// Apply stopped waiting at the operation's timeout; the job keeps running.
    TimedOut {
        name: String,
        message: String,
    },
    Succeeded {
        name: String,
        elapsed_ms: u64,
        /// What the operation reported: the instance it restored into, job IDs, and for a
        /// create the new instance's ID, address and port. Never a secret.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        outputs: BTreeMap<String, String>,
    },
    Failed {
        name: String,
        reason: String,
    },
    Skipped {
        name: String,
        because: String,
    },
    /// Reconcile found nothing: the restore may or may not have run.
    Unknown {
        name: String,
        reason: String,
    },
    /// A poll or reconcile failed; apply keeps trying (or gives up, `gave_up`).
    Warning {
        name: String,
        message: String,
        gave_up: bool,
    },
    /// Cancel requested: these restores keep running in the cloud.
    Interrupted {
        running: Vec<String>,
    },
    Finished {
        outcome: ApplyOutcome,
    },
}

impl Event {
    pub fn name(&self) -> Option<&str> {
        match self {
            Event::Forgot { name }
            | Event::Moved { to: name, .. }
            | Event::Started { name, .. }
            | Event::Submitted { name, .. }
            | Event::Reconciled { name, .. }
            | Event::Progress { name, .. }
            | Event::Succeeded { name, .. }
            | Event::Failed { name, .. }
            | Event::Skipped { name, .. }
            | Event::Unknown { name, .. }
            | Event::Warning { name, .. }
            | Event::TimedOut { name, .. } => Some(name),
            Event::Interrupted { .. } | Event::Finished { .. } => None,
        }
    }
}

/// Receives every event, in order, from the single apply loop.
pub trait ApplyHooks: Send {
    fn on_event(&mut self, event: &Event);
}

/// Keeps every event; for tests and for callers that render afterwards.
#[derive(Debug, Default)]
pub struct RecordingHooks {
    pub events: Vec<Event>,
}

impl ApplyHooks for RecordingHooks {
    fn on_event(&mut self, event: &Event) {
        self.events.push(event.clone());
    }
}
