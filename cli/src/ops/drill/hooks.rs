//! Apply's progress during a drill: passed on to the terminal or JSON hooks, and each restore
//! that succeeds handed to the probes at once, so its RTO ends when its own probes pass.

use rewind_engine::apply::{ApplyHooks, Event};
use std::collections::BTreeMap;
use tokio::sync::mpsc::UnboundedSender;

pub struct DrillHooks<'a> {
    pub inner: &'a mut dyn ApplyHooks,
    /// Closed (dropped) when apply returns: the probes then know no restore is left.
    pub succeeded: Option<UnboundedSender<String>>,
    /// Operation name to the cloud job (or restore) it followed, for the audit trail.
    pub jobs: BTreeMap<String, String>,
}

impl ApplyHooks for DrillHooks<'_> {
    fn on_event(&mut self, event: &Event) {
        self.inner.on_event(event);
        match event {
            Event::Submitted { name, handle }
            | Event::Reconciled {
                name,
                handle: Some(handle),
            } => {
                self.jobs.insert(name.clone(), handle.clone());
            }
            Event::Succeeded { name, .. } => {
                if let Some(tx) = &self.succeeded {
                    // A closed receiver means the probes stopped early; apply goes on.
                    let _ = tx.send(name.clone());
                }
            }
            _ => {}
        }
    }
}
