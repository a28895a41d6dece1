//! The README's recipes for `rewind drill --due`: the systemd units pass
//! `systemd-analyze verify` (where it is installed), the CronJob forbids concurrent jobs, and
//! every recipe calls `rewind drill --due`.
#![allow(
    clippy::print_stderr,
    reason = "a skipped check says so in the test output"
)]

use rewind_tests::{repo_root, rewind_bin};
use std::collections::BTreeMap;
use std::process::Command;

/// Fenced blocks of the README whose first line is `# PATH`: file name to body.
fn recipes() -> BTreeMap<String, String> {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README");
    let mut out = BTreeMap::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if !line.starts_with("```") || line.len() == 3 {
            continue;
        }
        let body: Vec<&str> = lines
            .by_ref()
            .take_while(|l| !l.starts_with("```"))
            .collect();
        if let Some(path) = body.first().and_then(|f| f.strip_prefix("# "))
            && !path.contains(' ')
            && let Some(name) = path.rsplit('/').next()
        {
            out.insert(name.to_owned(), body[1..].join("\n") + "\n");
        }
    }
    out
}

fn yaml(text: &str) -> serde_json::Value {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn the_systemd_units_verify() {
    let r = recipes();
    let (Some(service), Some(timer)) = (r.get("rewind-drill.service"), r.get("rewind-drill.timer"))
    else {
        panic!("the README has no systemd recipe: {:?}", r.keys());
    };
    assert!(service.contains("ExecStart=/usr/local/bin/rewind drill --due"));
    let Ok(analyze) = which("systemd-analyze") else {
        eprintln!("skipped: systemd-analyze is not installed");
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let bin = rewind_bin();
    std::fs::write(
        dir.path().join("rewind-drill.service"),
        service.replace("/usr/local/bin/rewind", &bin.to_string_lossy()),
    )
    .expect("write");
    std::fs::write(dir.path().join("rewind-drill.timer"), timer).expect("write");
    let out = Command::new(analyze)
        .arg("verify")
        .arg(dir.path().join("rewind-drill.service"))
        .arg(dir.path().join("rewind-drill.timer"))
        .output()
        .expect("systemd-analyze runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("rewind-drill"), "{stderr}");
}

fn which(name: &str) -> Result<std::path::PathBuf, ()> {
    let path = std::env::var_os("PATH").ok_or(())?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or(())
}

#[test]
fn the_cronjob_forbids_concurrency_and_every_recipe_calls_due() {
    let r = recipes();
    let cron = yaml(
        r.get("rewind-drill-cronjob.yaml")
            .expect("a CronJob recipe"),
    );
    assert_eq!(cron["kind"], "CronJob");
    assert_eq!(cron["spec"]["concurrencyPolicy"], "Forbid");
    let args = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"];
    assert_eq!(args[0], "drill");
    assert_eq!(args[1], "--due");

    let ci = yaml(r.get("rewind-drill.yml").expect("a CI recipe"));
    assert!(ci["on"]["schedule"][0]["cron"].is_string(), "{ci}");
    let steps = ci["jobs"]["due"]["steps"].as_array().expect("steps");
    assert!(
        steps.iter().any(|s| s["run"]
            .as_str()
            .is_some_and(|r| r.starts_with("rewind drill --due"))),
        "{ci}"
    );
    for (name, body) in &r {
        if name.starts_with("rewind-drill") && name != "rewind-drill.timer" {
            assert!(
                body.contains("REWIND_STATE") || body.contains("EnvironmentFile"),
                "{name}"
            );
        }
    }
}
