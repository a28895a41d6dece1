//! `validate`: offline checks of a rollback body that the schema cannot express.

use serde_json::{Value, json};

/// EVS names disks, snapshots and servers by UUID (`8-4-4-4-12` lowercase hex).
fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_digit() || ('a'..='f').contains(&c),
        })
}

/// A snapshot is never its own disk (error); an ID that is not a UUID is suspicious (warning).
pub fn checks(body: &Value) -> Value {
    let mut checks = vec![json!({
        "name": "snapshot_id names a snapshot, not the disk itself",
        "passed": body["snapshot_id"] != body["volume_id"],
        "observed": body["snapshot_id"],
        "severity": "error",
        "pointer": "/snapshot_id",
    })];
    for key in ["snapshot_id", "volume_id", "server_id"] {
        if let Some(v) = body.get(key) {
            checks.push(json!({
                "name": format!("{key} is a UUID"),
                "passed": v.as_str().is_some_and(is_uuid),
                "observed": v,
                "severity": "warning",
                "pointer": format!("/{key}"),
            }));
        }
    }
    json!({ "checks": checks })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_equal_to_its_disk_fails_and_ids_are_uuids() {
        let id = "5aa119a8-d25b-45a7-8d1b-88e127885635";
        let same = checks(&json!({ "snapshot_id": id, "volume_id": id }));
        assert_eq!(same["checks"][0]["passed"], false);
        let odd = checks(&json!({ "snapshot_id": "x", "volume_id": id }));
        assert_eq!(odd["checks"][0]["passed"], true);
        assert_eq!(odd["checks"][1]["passed"], false);
        assert_eq!(odd["checks"][2]["passed"], true);
    }
}
