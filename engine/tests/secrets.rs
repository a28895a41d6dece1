//! Secrets: references only, in sensitive fields only, resolved at submit time in memory.

use rewind_engine::compile::compile;
use rewind_engine::kinds::{KindDecl, OpSpec, Secret, SecretRef};
use rewind_engine::plan;
use rewind_engine::provider::Operation;
use rewind_engine::spec::LoadOptions;
use serde_json::json;

fn vault_kind() -> KindDecl {
    KindDecl {
        name: "vault.restore".to_owned(),
        description: "test".to_owned(),
        schema: json!({
            "type": "object",
            "properties": {
                "target": { "type": "string" },
                "token": { "type": "string", "sensitive": true }
            },
            "required": ["target", "token"]
        }),
        footprint: Vec::new(),
        outputs: Vec::new(),
        provider: Some("vault".to_owned()),
    }
}

fn load(text: &str) -> Result<rewind_engine::compile::Compiled, rewind_engine::spec::Report> {
    let opts = LoadOptions {
        kinds: vec![vault_kind()],
        ..LoadOptions::default()
    };
    compile("restore.yaml", text, &opts)
}

fn vault(token: &str) -> String {
    format!(
        "version: 1\nsecrets:\n  vault_token: {{ env: VAULT_TOKEN }}\nrestores:\n  v:\n    kind: vault.restore\n    target: t1\n    token: \"{token}\"\n"
    )
}

#[test]
fn a_plugin_secret_is_a_reference_sent_only_on_the_wire() {
    let c = load(&vault("${secrets.vault_token}")).unwrap_or_else(|r| panic!("{}", r.plain()));
    let op = &c.spec.ops["v"];
    let refs = op.spec.secret_refs();
    assert_eq!(refs.len(), 1);
    assert_eq!(refs[0].0, "/token");
    assert_eq!(refs[0].1.name, "secrets.vault_token");
    let mut wire = Operation::new("v".to_owned(), op.spec.clone(), op.spec.request());
    wire.secrets
        .insert("/token".to_owned(), Secret::new("s3cr3t-value".to_owned()));
    assert_eq!(wire.wire_body()["token"], "s3cr3t-value");
    let shown = serde_json::to_string(&wire).unwrap();
    assert!(!shown.contains("s3cr3t-value"), "{shown}");
    assert!(!format!("{wire:?}").contains("s3cr3t-value"));
}

#[test]
fn the_older_env_form_and_the_env_reference_both_work() {
    for token in ["env:VAULT_TOKEN", "${env.VAULT_TOKEN}"] {
        let c = load(&vault(token)).unwrap_or_else(|r| panic!("{token}: {}", r.plain()));
        let refs = c.spec.ops["v"].spec.secret_refs();
        assert_eq!(
            refs[0].1,
            SecretRef {
                name: "env.VAULT_TOKEN".to_owned()
            },
            "{token}"
        );
    }
}

#[test]
fn a_literal_secret_and_a_secret_out_of_place_are_located_errors() {
    let Err(report) = load(&vault("hunter2")) else {
        panic!("refused")
    };
    let plain = report.plain();
    assert!(plain.contains("restore.yaml:8:12"), "{plain}");
    assert!(plain.contains("sensitive"), "{plain}");
    assert!(plain.contains("token"), "{plain}");

    let text =
        vault("${secrets.vault_token}").replace("target: t1", "target: \"${secrets.vault_token}\"");
    let Err(report) = load(&text) else {
        panic!("refused")
    };
    let plain = report.plain();
    assert!(
        plain.contains("`target` is not a sensitive field"),
        "{plain}"
    );
    assert!(plain.contains("restore.yaml:7:13"), "{plain}");

    let Err(report) = load(&vault("${secrets.valt_token}")) else {
        panic!("refused")
    };
    let plain = report.plain();
    assert!(plain.contains("unknown secret `valt_token`"), "{plain}");
    assert!(plain.contains("did you mean `vault_token`?"), "{plain}");

    let text = vault("${secrets.vault_token}").replace("{ env: VAULT_TOKEN }", "hunter2");
    let Err(report) = load(&text) else {
        panic!("refused")
    };
    let plain = report.plain();
    assert!(
        plain.contains("`secrets.vault_token` is a literal"),
        "{plain}"
    );
}

#[test]
fn the_digest_covers_the_secret_name_not_its_value() {
    let a = load(&vault("${secrets.vault_token}")).unwrap();
    let b = load(&vault("${env.OTHER_TOKEN}")).unwrap();
    let digest = |c: &rewind_engine::compile::Compiled| {
        let spec: &OpSpec = &c.spec.ops["v"].spec;
        plan::inputs_digest(spec, &spec.request())
    };
    assert_ne!(digest(&a), digest(&b));
    assert_eq!(
        digest(&a),
        digest(&load(&vault("${secrets.vault_token}")).unwrap())
    );
}
