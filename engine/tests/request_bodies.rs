//! Each kind renders exactly the request body documented on its API page (compared as JSON).

use rewind_engine::compile::compile;
use rewind_engine::spec::LoadOptions;
use serde_json::{Value, json};

/// Compiles a one-operation spec and returns the (path, body) it would send.
fn render(yaml: &str) -> (String, Value) {
    let compiled = compile("t.yaml", yaml, &LoadOptions::default())
        .unwrap_or_else(|r| panic!("{}", r.plain()));
    let op = compiled.spec.ops.values().next().expect("one operation");
    let req = op.spec.request();
    assert_eq!(req.method, "POST");
    (req.path, req.body)
}

#[test]
fn ddm_restore_matches_the_documented_example() {
    let (path, body) = render(
        r"
restores:
  x:
    kind: ddm.restore
    instance_id: 1f5c9fd6cd984056ba89c8c87cc03278in09
    source: { instance_id: 733c7e8d73a54c27b8308ec784a8be8cin09, restore_time: 1747732352076 }
    target: { instance_id: 2f0324a93859487eb5566d75951fcd2din09 }
    data_node_relations:
      - source_instance_id: 7edae0250ebc464897bd92b8d3e8b769in01
        target_instance_id: f4e2949e9b9b4d60b42c89ed39bfe34cin01
",
    );
    assert_eq!(
        path,
        "/v3/{project_id}/instances/1f5c9fd6cd984056ba89c8c87cc03278in09/backups/recovery"
    );
    assert_eq!(
        body,
        json!({
          "source": {"instance_id": "733c7e8d73a54c27b8308ec784a8be8cin09", "restore_time": 1_747_732_352_076_i64},
          "target": {"instance_id": "2f0324a93859487eb5566d75951fcd2din09"},
          "data_node_relations": [
            {"source_instance_id": "7edae0250ebc464897bd92b8d3e8b769in01",
             "target_instance_id": "f4e2949e9b9b4d60b42c89ed39bfe34cin01"}
          ]
        })
    );
}

#[test]
fn ddm_restore_path_defaults_to_the_source_instance() {
    let (path, _) = render(
        r"
restores:
  x:
    kind: ddm.restore
    source: { instance_id: 733c7e8d73a54c27b8308ec784a8be8cin09, restore_time: 1747732352076 }
    target: { instance_id: 2f0324a93859487eb5566d75951fcd2din09 }
    data_node_relations: [{source_instance_id: 7edae0250ebc464897bd92b8d3e8b769in01, target_instance_id: f4e2949e9b9b4d60b42c89ed39bfe34cin01}]
",
    );
    assert_eq!(
        path,
        "/v3/{project_id}/instances/733c7e8d73a54c27b8308ec784a8be8cin09/backups/recovery"
    );
}

#[test]
fn ddm_metadata_restore_matches_the_documented_example() {
    let (path, body) = render(
        r"
restores:
  x:
    kind: ddm.metadata_restore
    instance_id: 1f5c9fd6cd984056ba89c8c87cc03278in09
    source: { backup_id: defa45b24d314e878fde930a61732e9dbr09 }
    target:
      instance_id: 2f0324a93859487eb5566d75951fcd2din09
      data_nodes: [f4e2949e9b9b4d60b42c89ed39bfe34cin01]
",
    );
    assert_eq!(
        path,
        "/v3/{project_id}/instances/1f5c9fd6cd984056ba89c8c87cc03278in09/backups/metadata-recovery"
    );
    assert_eq!(
        body,
        json!({"source": {"backup_id": "defa45b24d314e878fde930a61732e9dbr09"},
               "target": {"instance_id": "2f0324a93859487eb5566d75951fcd2din09",
                          "data_nodes": ["f4e2949e9b9b4d60b42c89ed39bfe34cin01"]}})
    );
}

#[test]
fn rds_restore_to_the_original_matches_the_documented_example() {
    let (path, body) = render(
        r"
restores:
  x:
    kind: rds.restore
    allow_overwrite_source: true
    source: { instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01, type: timestamp, restore_time: 1532001446987 }
    target: { instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01 }
",
    );
    assert_eq!(path, "/v3/{project_id}/instances/recovery");
    assert_eq!(
        body,
        json!({"source": {"instance_id": "d8e6ca5a624745bcb546a227aa3ae1cfin01", "type": "timestamp", "restore_time": 1_532_001_446_987_i64},
               "target": {"instance_id": "d8e6ca5a624745bcb546a227aa3ae1cfin01"}})
    );
}

#[test]
fn rds_time_in_rfc3339_goes_out_as_integer_millis() {
    let (_, body) = render(
        r"
restores:
  x:
    kind: rds.restore
    source: { instance_id: d8e6ca5a624745bcb546a227aa3ae1cfin01, restore_time: '2018-07-19T11:57:26.987Z' }
    target: { instance_id: 3b65c609427c4b20bc0ae93e161dc7adin01 }
",
    );
    assert_eq!(body["source"]["restore_time"], json!(1_532_001_446_987_i64));
    assert_eq!(
        body["source"]["type"],
        json!("timestamp"),
        "type is inferred from restore_time"
    );
}

#[test]
fn taurusdb_restores_match_the_seed_examples() {
    let (path, body) = render(
        r"
restores:
  x:
    kind: taurusdb.restore
    target_instance_id: 7033e7c3cf93438797d44ad7ae0a7d95in07
    source_instance_id: 690e08a7c3854c218df0e59de3b0c6cein07
    backup_id: 7ffbf305376b4cbea0ae491257b6aaf9br07
    type: backup
",
    );
    assert_eq!(path, "/v3/{project_id}/instances/restore");
    assert_eq!(
        body,
        json!({"target_instance_id": "7033e7c3cf93438797d44ad7ae0a7d95in07", "source_instance_id": "690e08a7c3854c218df0e59de3b0c6cein07",
               "backup_id": "7ffbf305376b4cbea0ae491257b6aaf9br07", "type": "backup"})
    );
    let (_, body) = render(
        r"
restores:
  x:
    kind: taurusdb.restore
    target_instance_id: 7033e7c3cf93438797d44ad7ae0a7d95in07
    source_instance_id: 690e08a7c3854c218df0e59de3b0c6cein07
    restore_time: 1673852043000
",
    );
    assert_eq!(
        body,
        json!({"target_instance_id": "7033e7c3cf93438797d44ad7ae0a7d95in07", "source_instance_id": "690e08a7c3854c218df0e59de3b0c6cein07",
               "restore_time": 1_673_852_043_000_i64, "type": "timestamp"})
    );
}

#[test]
fn cbr_restore_matches_the_documented_example_and_always_sends_power_on() {
    let (path, body) = render(
        r"
restores:
  x:
    kind: cbr.restore
    backup_id: 6df2b54c-dd62-4059-a07c-1b8f24f2725d
    server_id: 94eba8b2-acc9-4d82-badc-127144cc5526
    mappings:
      - backup_id: 5d822633-2bbf-4af8-a16e-5ab1c7705235
        volume_id: eccbcfdd-f843-4bbb-b2c0-a5ce861f9376
",
    );
    assert_eq!(
        path,
        "/v3/{project_id}/backups/6df2b54c-dd62-4059-a07c-1b8f24f2725d/restore"
    );
    assert_eq!(
        body,
        json!({"restore": {"mappings": [{"backup_id": "5d822633-2bbf-4af8-a16e-5ab1c7705235",
                                         "volume_id": "eccbcfdd-f843-4bbb-b2c0-a5ce861f9376"}],
                           "power_on": true, "server_id": "94eba8b2-acc9-4d82-badc-127144cc5526"}})
    );
    let (_, body) = render(
        r"
restores:
  x:
    kind: cbr.restore
    backup_id: 6df2b54c-dd62-4059-a07c-1b8f24f2725d
    volume_id: eccbcfdd-f843-4bbb-b2c0-a5ce861f9376
    power_on: false
",
    );
    assert_eq!(
        body,
        json!({"restore": {"power_on": false, "volume_id": "eccbcfdd-f843-4bbb-b2c0-a5ce861f9376"}}),
        "power_on: false must be sent, not omitted"
    );
}

#[test]
fn dcs_restore_matches_the_documented_example() {
    let (path, body) = render(
        r"
restores:
  x:
    kind: dcs.restore
    instance_id: 3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77
    backup_id: 8ba256cb-e5ac-44f6-a3da-c03d8f0e5029
    remark: restore instance
",
    );
    assert_eq!(
        path,
        "/v2/{project_id}/instances/3c49d6b8-9ccb-4d6b-a1c5-8c3e6b1f2a77/restores"
    );
    assert_eq!(
        body,
        json!({"backup_id": "8ba256cb-e5ac-44f6-a3da-c03d8f0e5029", "remark": "restore instance"})
    );
}
