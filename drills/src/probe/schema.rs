//! The JSON Schema of one probe, for the spec schema's `drills:` section.

use serde_json::{Value, json};

/// JSON Schema (draft 2020-12) of one probe mapping, as [`super::ProbeSpec::from_value`]
/// accepts it; the spec schema embeds it (e.g. under `$defs/Probe`).
pub fn probe_schema() -> Value {
    let expect = json!({
        "description": "= N, >= N, > N, <= N, < N, non-empty, or checksum = VALUE; a bare number means = N",
        "oneOf": [
            {"type": "string", "pattern": "^\\s*(((==?|>=?|<=?)\\s*-?\\d+)|-?\\d+|non-?empty|[cC][hH][eE][cC][kK][sS][uU][mM]\\s*==?\\s*\\S.*)\\s*$"},
            {"type": "integer"}
        ]
    });
    let argv = json!({
        "oneOf": [
            {"type": "string", "minLength": 1},
            {"type": "array", "minItems": 1, "items": {"type": ["string", "number"]}}
        ]
    });
    let kind = |name: &str, body: Value| json!({"required": [name], "properties": {name: body}});
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Probe",
        "description": "A verification probe run against a restored scratch target.",
        "type": "object",
        "required": ["name"],
        "additionalProperties": false,
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "timeout": {
                "description": "A duration such as 30s or 2m (100ms to 6h), or whole seconds; default 30s.",
                "type": ["string", "integer"]
            },
            "on_error": {"enum": ["fail", "warn"], "default": "fail"},
            "mysql": {
                "type": "object",
                "additionalProperties": false,
                "required": ["query", "expect"],
                "properties": {
                    "database": {"type": "string", "minLength": 1},
                    "query": {"type": "string", "minLength": 1},
                    "expect": expect
                }
            },
            "redis": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "db": {"type": "integer", "minimum": 0, "maximum": 65535},
                    "command": argv,
                    "expect": expect,
                    "key_exists": {"type": "string", "minLength": 1}
                },
                "oneOf": [
                    {"required": ["command", "expect"], "not": {"required": ["key_exists"]}},
                    {"required": ["key_exists"], "not": {"anyOf": [{"required": ["command"]}, {"required": ["expect"]}]}}
                ]
            },
            "tcp": {
                "type": ["object", "null", "boolean"],
                "additionalProperties": false,
                "properties": {"port": {"type": "integer", "minimum": 1, "maximum": 65535}}
            },
            "exec": {
                "type": "object",
                "additionalProperties": false,
                "required": ["command"],
                "properties": {
                    "command": argv,
                    "env": {
                        "type": "object",
                        "propertyNames": {"not": {"pattern": "^REWIND_TARGET_"}},
                        "additionalProperties": {"type": ["string", "number", "boolean"]}
                    },
                    "cwd": {"type": "string", "minLength": 1}
                }
            }
        },
        "oneOf": [kind("mysql", json!({})), kind("redis", json!({})), kind("tcp", json!({})), kind("exec", json!({}))]
    })
}

#[cfg(test)]
mod tests {
    use super::super::spec::{EXEC_FIELDS, MYSQL_FIELDS, REDIS_FIELDS, TCP_FIELDS};
    use super::*;

    #[test]
    fn schema_fields_match_the_parser() {
        let schema = probe_schema();
        for (kind, fields) in [
            ("mysql", MYSQL_FIELDS),
            ("redis", REDIS_FIELDS),
            ("tcp", TCP_FIELDS),
            ("exec", EXEC_FIELDS),
        ] {
            let props = schema
                .pointer(&format!("/properties/{kind}/properties"))
                .and_then(Value::as_object)
                .expect("kind properties");
            let mut in_schema: Vec<&str> = props.keys().map(String::as_str).collect();
            let mut parsed: Vec<&str> = fields.to_vec();
            in_schema.sort_unstable();
            parsed.sort_unstable();
            assert_eq!(in_schema, parsed, "{kind}");
        }
    }
}
