//! A drill's `notify:` webhook: when it fires (failure, recovery, every run) and the payload in
//! each format (generic JSON, or what Slack, Mattermost and Teams incoming webhooks accept).

use crate::kinds::SecretRef;
use serde::Serialize;
use serde_json::{Value, json};

/// `notify: { url, format, when }` on a drill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotifyDecl {
    pub url: NotifyUrl,
    pub format: NotifyFormat,
    /// `when: always`: also after every passing run, not only on failure and recovery.
    pub always: bool,
}

/// The webhook's address: written in the spec, or a secret (most webhook URLs are one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyUrl {
    Literal(String),
    Secret(SecretRef),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyFormat {
    Generic,
    Slack,
    Mattermost,
    Teams,
}

impl NotifyFormat {
    pub const NAMES: [&'static str; 4] = ["generic", "slack", "mattermost", "teams"];

    pub fn parse(text: &str) -> Option<NotifyFormat> {
        Some(match text {
            "generic" => NotifyFormat::Generic,
            "slack" => NotifyFormat::Slack,
            "mattermost" => NotifyFormat::Mattermost,
            "teams" => NotifyFormat::Teams,
            _ => return None,
        })
    }
}

/// Why a webhook is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Failed,
    /// Passed after the drill's previous finished run failed.
    Recovered,
    Passed,
}

/// Whether a run that `passed` (after a previous finished run that `previous_passed`, if any)
/// sends a webhook, and as what.
pub fn verdict(decl: &NotifyDecl, passed: bool, previous_passed: Option<bool>) -> Option<Verdict> {
    match (passed, previous_passed) {
        (false, _) => Some(Verdict::Failed),
        (true, Some(false)) => Some(Verdict::Recovered),
        (true, _) if decl.always => Some(Verdict::Passed),
        (true, _) => None,
    }
}

/// What a webhook says about one run: verdict, figures against budgets, where the report is,
/// and the run's audit data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotifyEvent {
    pub drill: String,
    pub verdict: Verdict,
    pub run: u64,
    pub rto_ms: Option<u64>,
    pub rto_budget_ms: Option<u64>,
    pub rpo_ms: Option<u64>,
    pub rpo_budget_ms: Option<u64>,
    pub report_dir: Option<String>,
    pub failures: Vec<String>,
    pub approver: String,
    pub spec_file: String,
    pub git_commit: Option<String>,
    pub git_dirty: Option<bool>,
    pub spec_digest: String,
    pub plan_digest: String,
    /// Epoch ms.
    pub started_at: i64,
    pub finished_at: Option<i64>,
}

/// A duration as people read it (the drill reports' form): `3.5s`, `10m 21s`, `2h 00m`.
fn show(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..60 => {
            #[allow(clippy::cast_precision_loss)]
            let secs = ms as f64 / 1000.0;
            format!("{secs:.1}s")
        }
        60..3_600 => format!("{}m {:02}s", s / 60, s % 60),
        3_600..86_400 => format!("{}h {:02}m", s / 3_600, (s % 3_600) / 60),
        _ => format!("{}d {:02}h", s / 86_400, (s % 86_400) / 3_600),
    }
}

fn figure(ms: Option<u64>, budget: Option<u64>) -> String {
    match (ms, budget) {
        (Some(m), Some(b)) => format!("{} (budget {})", show(m), show(b)),
        (Some(m), None) => show(m),
        (None, Some(b)) => format!("not measured (budget {})", show(b)),
        (None, None) => "not measured".to_owned(),
    }
}

/// One line for chat formats: `Drill nightly FAILED (run 7): RTO …, RPO …`.
pub fn headline(e: &NotifyEvent) -> String {
    let word = match e.verdict {
        Verdict::Failed => "FAILED",
        Verdict::Recovered => "RECOVERED (passed after a failure)",
        Verdict::Passed => "passed",
    };
    format!(
        "Drill {} {word} (run {}): RTO {}, RPO {}",
        e.drill,
        e.run,
        figure(e.rto_ms, e.rto_budget_ms),
        figure(e.rpo_ms, e.rpo_budget_ms)
    )
}

fn details(e: &NotifyEvent) -> String {
    let mut lines = Vec::new();
    for f in &e.failures {
        lines.push(format!("- {f}"));
    }
    if let Some(d) = &e.report_dir {
        lines.push(format!("Report: {d}"));
    }
    let commit = match (&e.git_commit, e.git_dirty) {
        (Some(c), Some(true)) => format!("{c} (uncommitted changes)"),
        (Some(c), _) => c.clone(),
        (None, _) => "(not in a git repository)".to_owned(),
    };
    let commit = if e.git_commit.is_some() {
        format!(" at {commit}")
    } else {
        format!(" {commit}")
    };
    lines.push(format!(
        "Spec {}{commit}, sha256 {}; plan sha256 {}; by {}",
        e.spec_file, e.spec_digest, e.plan_digest, e.approver
    ));
    lines.join("\n")
}

/// The request body for `format`.
pub fn payload(format: NotifyFormat, e: &NotifyEvent) -> Value {
    match format {
        NotifyFormat::Generic => json!({"format_version": 1, "event": "drill", "drill": e}),
        // Mattermost's incoming webhooks take Slack's `text`.
        NotifyFormat::Slack | NotifyFormat::Mattermost => {
            json!({"text": format!("{}\n{}", headline(e), details(e))})
        }
        NotifyFormat::Teams => json!({
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": headline(e),
            "themeColor": if e.verdict == Verdict::Failed { "D00000" } else { "2EB886" },
            "title": headline(e),
            "text": details(e).replace('\n', "\n\n"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(always: bool) -> NotifyDecl {
        NotifyDecl {
            url: NotifyUrl::Literal("http://127.0.0.1:1/hook".into()),
            format: NotifyFormat::Generic,
            always,
        }
    }

    #[test]
    fn failures_and_recoveries_are_sent_and_passes_only_with_always() {
        assert_eq!(verdict(&decl(false), false, None), Some(Verdict::Failed));
        assert_eq!(
            verdict(&decl(false), false, Some(false)),
            Some(Verdict::Failed)
        );
        assert_eq!(
            verdict(&decl(false), true, Some(false)),
            Some(Verdict::Recovered)
        );
        assert_eq!(verdict(&decl(false), true, Some(true)), None);
        assert_eq!(verdict(&decl(false), true, None), None);
        assert_eq!(
            verdict(&decl(true), true, Some(true)),
            Some(Verdict::Passed)
        );
    }

    #[test]
    fn each_format_carries_the_verdict_and_figures() {
        let e = NotifyEvent {
            drill: "nightly".into(),
            verdict: Verdict::Failed,
            run: 7,
            rto_ms: Some(3_500),
            rto_budget_ms: Some(3_000),
            rpo_ms: None,
            rpo_budget_ms: None,
            report_dir: Some("/r/run-0007".into()),
            failures: vec!["RTO budget missed by 0.5s".into()],
            approver: "ci@runner".into(),
            spec_file: "restore.yaml".into(),
            git_commit: Some("abc123".into()),
            git_dirty: Some(false),
            spec_digest: "d1".into(),
            plan_digest: "d2".into(),
            started_at: 1,
            finished_at: Some(2),
        };
        let generic = payload(NotifyFormat::Generic, &e);
        assert_eq!(generic["drill"]["verdict"], "failed");
        assert_eq!(generic["drill"]["rto_ms"], 3_500);
        for f in [NotifyFormat::Slack, NotifyFormat::Mattermost] {
            let text = payload(f, &e)["text"].as_str().expect("text").to_owned();
            assert!(
                text.starts_with("Drill nightly FAILED (run 7): RTO 3.5s (budget 3.0s)"),
                "{text}"
            );
            assert!(
                text.contains("/r/run-0007") && text.contains("abc123"),
                "{text}"
            );
        }
        // Minutes and hours read as such, not as thousands of seconds.
        let long = NotifyEvent {
            rto_ms: Some(621_000),
            rto_budget_ms: Some(7_200_000),
            git_commit: None,
            ..e.clone()
        };
        let text = payload(NotifyFormat::Slack, &long)["text"]
            .as_str()
            .expect("text")
            .to_owned();
        assert!(
            text.starts_with("Drill nightly FAILED (run 7): RTO 10m 21s (budget 2h 00m)"),
            "{text}"
        );
        assert!(
            text.contains("Spec restore.yaml (not in a git repository), sha256 d1"),
            "{text}"
        );
        let teams = payload(NotifyFormat::Teams, &e);
        assert_eq!(teams["@type"], "MessageCard");
        assert!(
            teams["title"]
                .as_str()
                .is_some_and(|t| t.contains("FAILED"))
        );
    }
}
