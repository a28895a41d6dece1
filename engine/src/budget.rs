//! `SharedBudget`: a request budget kept outside the process, so that every process of one cloud user shares it.
//
// The trait lives in the engine because neither side may depend on the other: the providers
// ask it for slots (and must not depend on the state crate), the state crate keeps it in
// PostgreSQL (and must not depend on the providers' HTTP stack). The CLI wires the two.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// What one process asks the shared budget for: one call of one API.
#[derive(Debug, Clone, Copy)]
pub struct BudgetAsk<'a> {
    /// Hash of (credential identity, region, service, API): never the credential itself.
    pub key: &'a str,
    /// For `rewind status`: the service and route template the key stands for.
    pub service: &'a str,
    pub api: &'a str,
    /// Calls allowed per `window` (the configured limit of the API).
    pub limit: u32,
    /// The window the limit counts in, in real time (a rehearsal's is shorter).
    pub window: Duration,
    /// A restore POST or a DELETE: it goes before every other process's reads.
    pub submit: bool,
    /// A poll of a job whose expected end has passed: it goes before every other process's
    /// reads that are not due, but never before a submit.
    pub due: bool,
}

/// Why a process is told to wait: its own rate, or something another process caused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitCause {
    /// The shared rate has no slot before then (every process's calls count).
    Rate,
    /// A 429's `Retry-After`, seen by some process, pauses the API for all.
    Paused,
    /// Another process's submit waits for the next slot; reads let it go first.
    Submit,
    /// Another process's due poll waits for the next slot; reads that are not due let it go
    /// first.
    Due,
}

impl WaitCause {
    pub fn as_str(self) -> &'static str {
        match self {
            WaitCause::Rate => "the shared rate",
            WaitCause::Paused => "a Retry-After",
            WaitCause::Submit => "another process's submit",
            WaitCause::Due => "another process's due poll",
        }
    }
}

/// The budget's answer to one ask.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BudgetAnswer {
    /// A slot is reserved: send after `delay` (at most one emission interval).
    Go { delay: Duration },
    /// No slot now: ask again after `wait`. `others` processes used the key lately.
    Wait {
        wait: Duration,
        cause: WaitCause,
        others: u32,
    },
}

pub type BudgetFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send + 'a>>;

/// A budget shared between processes (PostgreSQL: `rewind_state::postgres::PgBudget`).
/// Every method is one round trip; an error means "not shared this time": the caller keeps
/// its own budget and logs it.
pub trait SharedBudget: Send + Sync + std::fmt::Debug {
    /// Reserves one call of `ask.key`, or says how long to wait.
    fn take<'a>(&'a self, ask: BudgetAsk<'a>) -> BudgetFuture<'a, BudgetAnswer>;
    /// A 429 was answered for `ask.key`: lower its rate for every process and pause the API
    /// for `retry_after`.
    fn throttled<'a>(&'a self, ask: BudgetAsk<'a>, retry_after: Duration) -> BudgetFuture<'a, ()>;
}
