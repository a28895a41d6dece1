//! `rewind init` end to end against its in-process simulator: written specs validate and apply, runs are byte-identical, files are not overwritten.

use std::path::{Path, PathBuf};
use std::process::Command;

const DDM: &str = "1f5c9fd6cd984056ba89c8c87cc03278in09";

#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::Builder::new()
                .prefix("rewind-init-test-")
                .tempdir()
                .expect("temp dir"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_rewind"))
            .args(args)
            .current_dir(self.path())
            .env_clear()
            .env("NO_COLOR", "1")
            .env("HOME", self.path())
            .env("REWIND_NODE_PASSWORD", "Init-Test-Pa55word!")
            .output()
            .expect("run rewind");
        Run {
            code: out.status.code().expect("exited, not killed"),
            stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        }
    }
}

/// A minute an hour ago: inside the simulated week-long window.
fn recent() -> String {
    let now = jiff::Timestamp::now().as_second();
    let at = (now - 3600) / 60 * 60;
    jiff::Timestamp::from_second(at).expect("time").to_string()
}

fn init_ddm(sb: &Sandbox, at: &str, extra: &[&str]) -> Run {
    let mut args = vec!["init", "ddm", "--simulate", "--instance", DDM, "--at", at];
    args.extend_from_slice(extra);
    sb.run(&args)
}

#[test]
fn ddm_new_writes_a_spec_with_outputs_and_secrets_that_validates_and_applies() {
    let sb = Sandbox::new();
    let at = recent();
    let run = init_ddm(&sb, &at, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    // Written from the simulator, the spec's next step is a rehearsal.
    assert!(
        run.stderr
            .contains("then `rewind plan -f restore.yaml --simulate`"),
        "{run:?}"
    );
    let text = std::fs::read_to_string(sb.file("restore.yaml")).expect("written");
    // Two look-alike data node restores are written as one `for_each`: it is shorter.
    assert_eq!(text.matches("kind: rds.restore_new").count(), 1, "{text}");
    assert!(text.contains("for_each: \"${var.data_nodes}\""), "{text}");
    assert!(text.contains("restores.data-nodes["), "{text}");
    assert_eq!(text.matches("${restores.").count(), 2, "{text}");
    assert!(text.contains("kind: ddm.metadata_restore"), "{text}");
    assert!(
        text.contains("password: \"${secrets.node_password}\""),
        "{text}"
    );
    assert!(text.contains("env: REWIND_NODE_PASSWORD"), "{text}");
    assert!(text.contains("/backups/related-dn?restore_time="), "{text}");
    assert!(text.contains(&format!("at: \"{at}\"")), "{text}");
    // Its IDs are the simulator's: the next step it suggests is a rehearsal, not the cloud.
    assert!(
        text.contains("Check it, then: rewind validate && rewind plan --simulate\n"),
        "{text}"
    );
    assert!(
        run.stderr
            .contains("then `rewind plan -f restore.yaml --simulate`"),
        "{run:?}"
    );

    let validate = sb.run(&["validate"]);
    assert_eq!(validate.code, 0, "{validate:?}\n{text}");
    let apply = sb.run(&["apply", "--simulate", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{apply:?}\n{text}");
}

#[test]
fn ddm_existing_targets_validate_and_apply() {
    let sb = Sandbox::new();
    let run = init_ddm(
        &sb,
        &recent(),
        &["--targets", "existing", "-o", "existing.yaml"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let text = std::fs::read_to_string(sb.file("existing.yaml")).expect("written");
    // One `for_each` when that is shorter than the two restores written out.
    let folded = text.contains("for_each: \"${var.data_nodes}\"");
    let restores = if folded { 1 } else { 2 };
    assert_eq!(
        text.matches("kind: rds.restore\n").count(),
        restores,
        "{text}"
    );
    assert!(
        text.contains("restorable-data-node?source_dn_instance_id="),
        "{text}"
    );
    assert!(!text.contains("secrets:"), "{text}");
    let validate = sb.run(&["validate", "-f", "existing.yaml"]);
    assert_eq!(validate.code, 0, "{validate:?}\n{text}");
    let apply = sb.run(&[
        "apply",
        "-f",
        "existing.yaml",
        "--simulate",
        "--auto-approve",
    ]);
    assert_eq!(apply.code, 0, "{apply:?}\n{text}");
}

#[test]
fn refuses_to_overwrite_without_force_and_is_deterministic() {
    let sb = Sandbox::new();
    let at = recent();
    assert_eq!(init_ddm(&sb, &at, &[]).code, 0);
    let first = std::fs::read(sb.file("restore.yaml")).expect("written");

    let again = init_ddm(&sb, &at, &[]);
    assert_eq!(again.code, 1, "{again:?}");
    assert!(again.stderr.contains("restore.yaml exists"), "{again:?}");
    assert!(again.stderr.contains("--force"), "{again:?}");
    assert_eq!(std::fs::read(sb.file("restore.yaml")).expect("kept"), first);

    let forced = init_ddm(&sb, &at, &["--force"]);
    assert_eq!(forced.code, 0, "{forced:?}");
    assert_eq!(
        std::fs::read(sb.file("restore.yaml")).expect("rewritten"),
        first
    );

    let printed = init_ddm(&sb, &at, &["-o", "-"]);
    assert_eq!(printed.code, 0, "{printed:?}");
    assert_eq!(printed.stdout.as_bytes(), first.as_slice());
}

#[test]
fn a_time_outside_the_window_is_a_clear_error() {
    let sb = Sandbox::new();
    // Older than any cloud keeps (RDS: 732 days), so outside every rehearsal window too.
    let old = jiff::Timestamp::now().as_second() - 800 * 86_400;
    let at = jiff::Timestamp::from_second(old).expect("time").to_string();
    let run = init_ddm(&sb, &at, &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("is outside the restorable window of DDM instance"),
        "{run:?}"
    );
    // `init ddm` refuses --backup latest, so the hint does not offer it.
    assert!(
        run.stderr.contains("hint: pick a time inside the window\n"),
        "{run:?}"
    );
    assert!(!sb.file("restore.yaml").exists());
}

#[test]
fn usage_mistakes_exit_1_like_every_command() {
    let sb = Sandbox::new();
    for args in [
        &[
            "init",
            "ddm",
            "--simulate",
            "--instance",
            DDM,
            "--backup",
            "latest",
        ][..],
        &["init", "ddm", "--simulate", "--instance", DDM][..],
        &[
            "init",
            "dcs",
            "--simulate",
            "--instance",
            "x",
            "--at",
            "2026-11-30T02:00:00Z",
        ][..],
        &[
            "init",
            "rds",
            "--simulate",
            "--instance",
            "x",
            "--at",
            "yesterday",
        ][..],
        &["init", "ddm", "--at", "2026-11-30T02:00:00Z"][..],
    ] {
        let run = sb.run(args);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert!(run.stderr.contains("--"), "{args:?}: {run:?}");
    }
    // A time of day alone is explained, not left to the parser's words.
    let run = sb.run(&[
        "init",
        "rds",
        "--simulate",
        "--instance",
        "x",
        "--at",
        "02:00",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("without a date"), "{run:?}");
    assert!(!run.stderr.contains("four digit"), "{run:?}");
}

#[test]
fn single_restores_from_the_newest_backup_validate() {
    let sb = Sandbox::new();
    let rds = "d8e6ca5a624745bcb546a227aa3ae1cfin01";
    let target = "3b65c609427c4b20bc0ae93e161dc7adin01";
    let cases: [(&str, Vec<&str>); 3] = [
        (
            "rds.yaml",
            vec![
                "init",
                "rds",
                "--simulate",
                "--instance",
                rds,
                "--backup",
                "latest",
                "--targets",
                "existing",
                "--target",
                target,
                "-o",
                "rds.yaml",
            ],
        ),
        (
            "dcs.yaml",
            vec![
                "init",
                "dcs",
                "--simulate",
                "--instance",
                "3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77",
                "--backup",
                "latest",
                "-o",
                "dcs.yaml",
            ],
        ),
        (
            "cbr.yaml",
            vec![
                "init",
                "cbr",
                "--simulate",
                "--instance",
                "94eba8b2-acc9-4d82-badc-127144cc5526",
                "--backup",
                "latest",
                "-o",
                "cbr.yaml",
            ],
        ),
    ];
    for (file, args) in cases {
        let run = sb.run(&args);
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        let text = std::fs::read_to_string(sb.file(file)).expect("written");
        assert!(text.contains("backup_id:"), "{text}");
        let validate = sb.run(&["validate", "-f", file]);
        assert_eq!(validate.code, 0, "{validate:?}\n{text}");
    }
    // Existing targets are never guessed.
    let run = sb.run(&[
        "init",
        "rds",
        "--simulate",
        "--instance",
        rds,
        "--backup",
        "latest",
        "--targets",
        "existing",
        "-o",
        "-",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("--target ID"), "{run:?}");
}

#[test]
fn help_teaches_with_examples() {
    let run = Sandbox::new().run(&["init", "--help"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("Examples:"), "{run:?}");
    assert!(run.stdout.contains("rewind init ddm --instance"), "{run:?}");
    assert!(run.stdout.contains("--targets existing"), "{run:?}");
}

#[test]
fn dds_new_from_a_point_in_time_validates_and_applies() {
    let sb = Sandbox::new();
    let at = recent();
    let source = "d5833c2854a4486cb7960f829269e211in02";
    let run = sb.run(&[
        "init",
        "dds",
        "--simulate",
        "--instance",
        source,
        "--at",
        &at,
        "-o",
        "dds.yaml",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let text = std::fs::read_to_string(sb.file("dds.yaml")).expect("written");
    assert!(text.contains("kind: dds.restore_new"), "{text}");
    assert!(text.contains("${secrets.node_password}"), "{text}");
    let validate = sb.run(&["validate", "-f", "dds.yaml"]);
    assert_eq!(validate.code, 0, "{validate:?}\n{text}");
    let apply = sb.run(&["apply", "-f", "dds.yaml", "--simulate", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{apply:?}\n{text}");
}
