//! `rewind status` as data: a pure projection of the newest run, the records and the journal's
//! newest entries onto each operation's progress, the run's percent and an ETA.
//!
//! The CLI renders a [`Progress`]. Its `sections` are open-ended (title and lines), so a
//! later source of facts about a running apply, such as per-API request budgets, adds a
//! section without changing this shape or its renderers.

use crate::state::{JournalEntry, OpRecord, RunEntry, Status};
use serde::Serialize;

/// Where one operation of a run stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpProgress {
    pub name: String,
    /// `waiting` (not yet touched by this run), or the record's status.
    pub status: String,
    /// The cloud job (or restore) being followed.
    pub job: Option<String>,
    /// Epoch ms of the submit, when this run made one.
    pub submitted_at: Option<i64>,
    /// Epoch ms of the record's last change.
    pub updated_at: Option<i64>,
}

/// Extra lines under a title, e.g. a future "Request budgets" block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    pub title: String,
    pub lines: Vec<String>,
}

/// One run's progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    pub run: u64,
    pub command: String,
    pub spec_file: String,
    pub approver: String,
    pub started_at: i64,
    /// `running`, or how the run ended.
    pub outcome: String,
    /// Whether a process is working on the run now (it holds the state's lock).
    pub live: bool,
    pub operations: Vec<OpProgress>,
    /// Operations that ended (succeeded or failed), of `operations`.
    pub done: usize,
    /// 0 to 100, by operations ended.
    pub percent: u32,
    /// Seconds until the last operation is expected to end, at the rate operations have
    /// ended so far. `None` until one has ended, or once the run is over.
    pub eta_seconds: Option<u64>,
    /// The run's journal entries among the newest, newest last.
    pub recent: Vec<JournalEntry>,
    pub sections: Vec<Section>,
    /// A rehearsal (`--simulate`): its jobs ran in the simulator.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub simulated: bool,
}

/// How many journal entries `recent` keeps.
pub const RECENT: usize = 10;

/// The progress of `run` as of `now` (epoch ms). `live`: whether its process still holds the
/// lock.
pub fn project(
    run: &RunEntry,
    records: &[OpRecord],
    journal_tail: &[JournalEntry],
    live: bool,
    now: i64,
) -> Progress {
    let touched = |r: &OpRecord| r.updated_at >= run.started_at;
    // Runs written before `planned` existed: whatever the run has touched.
    let names: Vec<String> = if run.planned.is_empty() {
        records
            .iter()
            .filter(|r| touched(r))
            .map(|r| r.name.clone())
            .collect()
    } else {
        run.planned.clone()
    };
    let operations: Vec<OpProgress> = names
        .iter()
        .map(|name| {
            let record = records
                .iter()
                .find(|r| &r.name == name)
                .filter(|r| touched(r));
            OpProgress {
                name: name.clone(),
                status: record.map_or_else(|| "waiting".to_owned(), |r| r.status.to_string()),
                job: record
                    .and_then(|r| r.handle.as_ref())
                    .map(|h| h.id().to_owned()),
                submitted_at: record
                    .and_then(|r| r.submitted_at)
                    .filter(|t| *t >= run.started_at),
                updated_at: record.map(|r| r.updated_at),
            }
        })
        .collect();
    let ended = |o: &&OpProgress| {
        o.status == Status::Succeeded.as_str() || o.status == Status::Failed.as_str()
    };
    let done = operations.iter().filter(ended).count();
    let total = operations.len();
    let percent = (done * 100)
        .checked_div(total)
        .map_or(100, |p| u32::try_from(p).unwrap_or(100));
    let running = run.outcome == "running";
    // The rate so far (operations ended per second, with whatever parallelism the run had)
    // applied to those left.
    let eta_seconds = (running && done > 0 && done < total).then(|| {
        let elapsed = u64::try_from((now - run.started_at).max(0)).unwrap_or(0) / 1000;
        elapsed * (total - done) as u64 / done as u64
    });
    let mut recent: Vec<JournalEntry> = journal_tail
        .iter()
        .filter(|j| j.at >= run.started_at)
        .cloned()
        .collect();
    let skip = recent.len().saturating_sub(RECENT);
    recent.drain(..skip);
    Progress {
        run: run.id,
        command: run.command.clone(),
        spec_file: run.spec_file.clone(),
        approver: run.approver.clone(),
        started_at: run.started_at,
        outcome: run.outcome.clone(),
        live,
        operations,
        done,
        percent,
        eta_seconds,
        recent,
        sections: Vec::new(),
        simulated: run.simulated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::{ApiRequest, Kind, Service};
    use std::collections::BTreeMap;

    fn record(name: &str, status: Status, updated_at: i64) -> OpRecord {
        OpRecord {
            version: crate::state::RECORD_VERSION,
            name: name.to_owned(),
            kind: Kind::RdsRestore,
            inputs_digest: String::new(),
            request: ApiRequest {
                service: Service::Rds,
                method: "POST".to_owned(),
                path: "/".to_owned(),
                body: serde_json::Value::Null,
            },
            status,
            handle: None,
            attempts: 1,
            submitted_at: Some(updated_at),
            created_at: updated_at,
            updated_at,
            outputs: BTreeMap::new(),
            last_error: None,
        }
    }

    fn run(planned: &[&str]) -> RunEntry {
        RunEntry {
            id: 4,
            command: "apply".to_owned(),
            spec_file: "restore.yaml".to_owned(),
            git_commit: None,
            git_dirty: None,
            spec_digest: String::new(),
            plan_digest: String::new(),
            approver: "a@b".to_owned(),
            started_at: 1_000_000,
            finished_at: None,
            jobs: BTreeMap::new(),
            outcome: "running".to_owned(),
            drill: None,
            planned: planned.iter().map(|s| (*s).to_owned()).collect(),
            simulated: false,
        }
    }

    #[test]
    fn percent_and_eta_come_from_the_operations_ended_in_this_run() {
        let records = [
            record("a", Status::Succeeded, 1_060_000),
            record("b", Status::Running, 1_010_000),
            // Succeeded in an earlier run: this run has not touched it yet.
            record("c", Status::Succeeded, 10),
        ];
        let p = project(&run(&["a", "b", "c", "d"]), &records, &[], true, 1_120_000);
        let status: Vec<&str> = p.operations.iter().map(|o| o.status.as_str()).collect();
        assert_eq!(status, ["succeeded", "running", "waiting", "waiting"]);
        assert_eq!((p.done, p.percent), (1, 25));
        // One ended in 120 s, three left: 360 s at that rate.
        assert_eq!(p.eta_seconds, Some(360));
        let over = RunEntry {
            outcome: "complete".to_owned(),
            ..run(&["a"])
        };
        let p = project(&over, &records, &[], false, 2_000_000);
        assert_eq!((p.percent, p.eta_seconds), (100, None));
    }
}
