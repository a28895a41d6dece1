//! Probe definitions and their parsing from the JSON value a spec's `drills:` section lowers to.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value};

use super::expect::Expect;

/// Which kind of probe produced a result.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ProbeKind {
    Mysql,
    Redis,
    Tcp,
    Exec,
}

impl ProbeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mysql => "mysql",
            Self::Redis => "redis",
            Self::Tcp => "tcp",
            Self::Exec => "exec",
        }
    }
}

impl std::fmt::Display for ProbeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How long a probe may run when its definition sets no `timeout:`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest `timeout:` a probe accepts: a drill that waits longer is not measuring an RTO.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(6 * 3600);

/// What a probe that does not hold does to the drill.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    /// The drill fails (the default).
    #[default]
    Fail,
    /// The result is reported as a warning; the drill goes on and can still pass.
    Warn,
}

/// One probe: a name, a check, a timeout and an on-error policy.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeSpec {
    pub name: String,
    pub timeout: Duration,
    pub on_error: OnError,
    pub check: Check,
}

/// The typed check a probe runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    Mysql(MysqlCheck),
    Redis(RedisCheck),
    Tcp(TcpCheck),
    Exec(ExecCheck),
}

impl Check {
    pub fn kind(&self) -> ProbeKind {
        match self {
            Self::Mysql(_) => ProbeKind::Mysql,
            Self::Redis(_) => ProbeKind::Redis,
            Self::Tcp(_) => ProbeKind::Tcp,
            Self::Exec(_) => ProbeKind::Exec,
        }
    }
}

/// `mysql:` one query, and what its result must show.
#[derive(Debug, Clone, PartialEq)]
pub struct MysqlCheck {
    /// The default database for the session (`USE`), if any.
    pub database: Option<String>,
    pub query: String,
    pub expect: Expect,
}

/// `redis:` one command (argv), and what its reply must show.
#[derive(Debug, Clone, PartialEq)]
pub struct RedisCheck {
    /// The logical database (`SELECT`); 0 when unset.
    pub db: i64,
    /// The command and its arguments, e.g. `["DBSIZE"]` or `["EXISTS", "drill:marker"]`.
    pub command: Vec<String>,
    pub expect: Expect,
}

/// `tcp:` the port accepts a connection.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TcpCheck {
    /// A port other than the target's own (e.g. a DDS secondary's).
    pub port: Option<u16>,
}

/// `exec:` a command that is given the target as `REWIND_TARGET_*` environment variables.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecCheck {
    /// The program and its arguments. A single string is run by `sh -c`.
    pub command: Vec<String>,
    /// More environment variables for the command (never a secret: those come from the target).
    pub env: BTreeMap<String, String>,
    /// The working directory; the drill's own when unset.
    pub cwd: Option<String>,
}

/// A probe definition that does not parse: where (`probes[2].mysql.expect`-style path below
/// the probe) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ProbeSpecError {
    pub path: String,
    pub message: String,
}

fn err(path: impl Into<String>, message: impl Into<String>) -> ProbeSpecError {
    ProbeSpecError {
        path: path.into(),
        message: message.into(),
    }
}

const KINDS: [&str; 4] = ["mysql", "redis", "tcp", "exec"];
pub(crate) const MYSQL_FIELDS: &[&str] = &["database", "query", "expect"];
pub(crate) const REDIS_FIELDS: &[&str] = &["db", "command", "expect", "key_exists"];
pub(crate) const TCP_FIELDS: &[&str] = &["port"];
pub(crate) const EXEC_FIELDS: &[&str] = &["command", "env", "cwd"];

impl ProbeSpec {
    /// Parses one probe. Paths in errors are relative to the probe (`name`, `mysql.expect`…);
    /// the caller prefixes its own location.
    pub fn from_value(value: &Value) -> Result<Self, ProbeSpecError> {
        let obj = value
            .as_object()
            .ok_or_else(|| err(".", "a probe is a mapping"))?;
        for key in obj.keys() {
            if !matches!(key.as_str(), "name" | "timeout" | "on_error")
                && !KINDS.contains(&key.as_str())
            {
                return Err(err(
                    key.as_str(),
                    "unknown field (expected name, timeout, on_error and one of mysql, redis, tcp, exec)",
                ));
            }
        }
        let name = match obj.get("name") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(_) => return Err(err("name", "must be a non-empty string")),
            None => return Err(err("name", "is required")),
        };
        let timeout = match obj.get("timeout") {
            None => DEFAULT_TIMEOUT,
            Some(v) => parse_timeout(v).map_err(|m| err("timeout", m))?,
        };
        let on_error = match obj.get("on_error") {
            None => OnError::Fail,
            Some(Value::String(s)) if s == "fail" => OnError::Fail,
            Some(Value::String(s)) if s == "warn" => OnError::Warn,
            Some(_) => return Err(err("on_error", "must be `fail` or `warn`")),
        };
        let present: Vec<&str> = KINDS
            .iter()
            .copied()
            .filter(|k| obj.contains_key(*k))
            .collect();
        let kind = match present.as_slice() {
            [one] => *one,
            [] => return Err(err(".", "needs one of mysql, redis, tcp, exec")),
            many => {
                return Err(err(
                    many[1],
                    format!("a probe has one kind; found {}", many.join(", ")),
                ));
            }
        };
        let body = &obj[kind];
        let check = match kind {
            "mysql" => Check::Mysql(mysql(body)?),
            "redis" => Check::Redis(redis(body)?),
            "tcp" => Check::Tcp(tcp(body)?),
            _ => Check::Exec(exec(body)?),
        };
        Ok(Self {
            name,
            timeout,
            on_error,
            check,
        })
    }

    /// Parses a list of probes; an error's path starts with the index (`[1].redis.expect`).
    pub fn list_from_value(value: &Value) -> Result<Vec<Self>, ProbeSpecError> {
        let items = value
            .as_array()
            .ok_or_else(|| err(".", "probes are a list"))?;
        let mut out: Vec<Self> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let spec =
                Self::from_value(item).map_err(|e| err(format!("[{i}].{}", e.path), e.message))?;
            if out.iter().any(|p| p.name == spec.name) {
                return Err(err(
                    format!("[{i}].name"),
                    format!("`{}` is used by another probe", spec.name),
                ));
            }
            out.push(spec);
        }
        Ok(out)
    }
}

fn parse_timeout(v: &Value) -> Result<Duration, String> {
    let d = match v {
        Value::Number(n) => n
            .as_u64()
            .map(Duration::from_secs)
            .ok_or("must be whole seconds or a duration like `30s`")?,
        Value::String(s) => {
            let d: jiff::SignedDuration = s
                .trim()
                .parse()
                .map_err(|_| format!("`{s}` is not a duration"))?;
            Duration::try_from(d).map_err(|_| format!("`{s}` is negative"))?
        }
        _ => return Err("must be a duration like `30s`".into()),
    };
    if d < Duration::from_millis(100) || d > MAX_TIMEOUT {
        return Err("is out of range (100ms to 6h)".into());
    }
    Ok(d)
}

fn fields<'a>(
    body: &'a Value,
    kind: &str,
    allowed: &[&str],
) -> Result<&'a Map<String, Value>, ProbeSpecError> {
    let obj = body
        .as_object()
        .ok_or_else(|| err(kind, "must be a mapping"))?;
    if let Some(k) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(err(
            format!("{kind}.{k}"),
            format!("unknown field (expected {})", allowed.join(", ")),
        ));
    }
    Ok(obj)
}

fn string(
    obj: &Map<String, Value>,
    kind: &str,
    key: &str,
) -> Result<Option<String>, ProbeSpecError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
        Some(_) => Err(err(format!("{kind}.{key}"), "must be a non-empty string")),
    }
}

fn expect(obj: &Map<String, Value>, kind: &str) -> Result<Option<Expect>, ProbeSpecError> {
    obj.get("expect")
        .map(|v| Expect::from_value(v).map_err(|m| err(format!("{kind}.expect"), m)))
        .transpose()
}

fn mysql(body: &Value) -> Result<MysqlCheck, ProbeSpecError> {
    let obj = fields(body, "mysql", MYSQL_FIELDS)?;
    let query = string(obj, "mysql", "query")?.ok_or_else(|| err("mysql.query", "is required"))?;
    let expect = expect(obj, "mysql")?.ok_or_else(|| err("mysql.expect", "is required"))?;
    Ok(MysqlCheck {
        database: string(obj, "mysql", "database")?,
        query,
        expect,
    })
}

fn redis(body: &Value) -> Result<RedisCheck, ProbeSpecError> {
    let obj = fields(body, "redis", REDIS_FIELDS)?;
    let db = match obj.get("db") {
        None => 0,
        Some(v) => v
            .as_i64()
            .filter(|d| (0..=65_535).contains(d))
            .ok_or_else(|| err("redis.db", "must be a database number"))?,
    };
    let command = match obj.get("command") {
        None => None,
        Some(v) => Some(argv(v).map_err(|m| err("redis.command", m))?),
    };
    let key = string(obj, "redis", "key_exists")?;
    let expect = expect(obj, "redis")?;
    match (command, key, expect) {
        (Some(command), None, Some(expect)) => Ok(RedisCheck {
            db,
            command,
            expect,
        }),
        (Some(_), None, None) => Err(err("redis.expect", "is required with `command`")),
        (None, Some(key), None) => Ok(RedisCheck {
            db,
            command: vec!["EXISTS".into(), key],
            expect: Expect::Eq(1),
        }),
        (None, Some(_), Some(_)) => Err(err("redis.expect", "`key_exists` takes no `expect`")),
        (Some(_), Some(_), _) => Err(err(
            "redis.key_exists",
            "use either `command` or `key_exists`",
        )),
        (None, None, _) => Err(err(
            "redis",
            "needs `command` and `expect`, or `key_exists`",
        )),
    }
}

fn tcp(body: &Value) -> Result<TcpCheck, ProbeSpecError> {
    if body.is_null() || body == &Value::Bool(true) {
        return Ok(TcpCheck::default());
    }
    let obj = fields(body, "tcp", TCP_FIELDS)?;
    let port = match obj.get("port") {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|p| u16::try_from(p).ok())
                .filter(|p| *p > 0)
                .ok_or_else(|| err("tcp.port", "must be a port number (1-65535)"))?,
        ),
    };
    Ok(TcpCheck { port })
}

fn exec(body: &Value) -> Result<ExecCheck, ProbeSpecError> {
    let obj = fields(body, "exec", EXEC_FIELDS)?;
    let command = match obj.get("command") {
        None => return Err(err("exec.command", "is required")),
        Some(Value::String(s)) if !s.trim().is_empty() => vec!["sh".into(), "-c".into(), s.clone()],
        Some(v @ Value::Array(_)) => argv(v).map_err(|m| err("exec.command", m))?,
        Some(_) => {
            return Err(err(
                "exec.command",
                "must be a string (run by `sh -c`) or a list",
            ));
        }
    };
    let mut env = BTreeMap::new();
    if let Some(v) = obj.get("env") {
        let map = v
            .as_object()
            .ok_or_else(|| err("exec.env", "must be a mapping"))?;
        for (k, v) in map {
            if k.is_empty() || k.contains('=') || k.starts_with("REWIND_TARGET_") {
                return Err(err(
                    format!("exec.env.{k}"),
                    "is not a name the probe may set",
                ));
            }
            let v = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err(err(format!("exec.env.{k}"), "must be a string")),
            };
            env.insert(k.clone(), v);
        }
    }
    Ok(ExecCheck {
        command,
        env,
        cwd: string(obj, "exec", "cwd")?,
    })
}

/// A command as a list of strings, or one string split on whitespace (redis only).
fn argv(v: &Value) -> Result<Vec<String>, String> {
    let out: Vec<String> = match v {
        Value::String(s) => s.split_whitespace().map(str::to_owned).collect(),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err("every argument must be a string".to_owned()),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err("must be a string or a list of strings".into()),
    };
    if out.first().is_none_or(String::is_empty) {
        return Err("is empty".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_each_kind() {
        let list = json!([
            {"name": "rows", "timeout": "10s", "mysql": {"database": "shop", "query": "SELECT COUNT(*) FROM t", "expect": "= 3"}},
            {"name": "keys", "on_error": "warn", "redis": {"command": "DBSIZE", "expect": ">= 1"}},
            {"name": "marker", "redis": {"key_exists": "drill:marker", "db": 2}},
            {"name": "port", "tcp": {}},
            {"name": "smoke", "exec": {"command": ["./check", "-v"], "env": {"MODE": "fast"}}},
        ]);
        let p = ProbeSpec::list_from_value(&list).expect("parses");
        assert_eq!(p[0].timeout, Duration::from_secs(10));
        assert_eq!(p[1].on_error, OnError::Warn);
        assert_eq!(p[1].timeout, DEFAULT_TIMEOUT);
        assert_eq!(
            p[2].check,
            Check::Redis(RedisCheck {
                db: 2,
                command: vec!["EXISTS".into(), "drill:marker".into()],
                expect: Expect::Eq(1)
            })
        );
        assert_eq!(p[3].check, Check::Tcp(TcpCheck { port: None }));
        assert!(
            matches!(&p[4].check, Check::Exec(e) if e.command == ["./check", "-v"] && e.env["MODE"] == "fast")
        );
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (
                json!([{"name": "a", "mysql": {"query": "SELECT 1"}}]),
                "[0].mysql.expect",
            ),
            (
                json!([{"name": "a", "tcp": {}, "exec": {"command": "true"}}]),
                "[0].exec",
            ),
            (json!([{"name": "a", "tcp": {"prot": 1}}]), "[0].tcp.prot"),
            (
                json!([{"name": "a", "timeout": "soon", "tcp": {}}]),
                "[0].timeout",
            ),
            (
                json!([{"name": "a", "tcp": {}}, {"name": "a", "tcp": {}}]),
                "[1].name",
            ),
            (
                json!([{"name": "a", "exec": {"command": "x", "env": {"REWIND_TARGET_HOST": "h"}}}]),
                "[0].exec.env.REWIND_TARGET_HOST",
            ),
            (
                json!([{"name": "a", "on_error": "ignore", "tcp": {}}]),
                "[0].on_error",
            ),
        ];
        for (v, path) in cases {
            let e = ProbeSpec::list_from_value(&v).expect_err("must fail");
            assert_eq!(e.path, path, "{e}");
        }
    }
}
