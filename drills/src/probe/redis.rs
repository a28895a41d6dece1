//! The `redis` probe: one command on the restored Redis (DCS), held to an expectation.

use redis::{ConnectionAddr, IntoConnectionInfo, RedisConnectionInfo, Value};

use super::expect::Observed;
use super::result::Outcome;
use super::spec::RedisCheck;
use crate::target::Target;

/// Elements of an array reply shown in the output.
const SHOWN_ITEMS: usize = 20;

pub(crate) async fn check(c: &RedisCheck, target: &Target) -> Outcome {
    let mut settings = RedisConnectionInfo::default().set_db(c.db);
    if let Some(user) = &target.user {
        settings = settings.set_username(user);
    }
    if let Some(p) = &target.password {
        settings = settings.set_password(p.expose());
    }
    let info = match ConnectionAddr::Tcp(target.host.clone(), target.port).into_connection_info() {
        Ok(info) => info.set_redis_settings(settings),
        Err(e) => {
            return Outcome::error(format!("bad address {}:{}: {e}", target.host, target.port));
        }
    };
    let client = match redis::Client::open(info) {
        Ok(c) => c,
        Err(e) => {
            return Outcome::error(format!("bad address {}:{}: {e}", target.host, target.port));
        }
    };
    let mut conn = match client.get_multiplexed_async_connection().await {
        Ok(c) => c,
        Err(e) => {
            return Outcome::error(format!(
                "cannot connect to {}:{}: {e}",
                target.host, target.port
            ));
        }
    };
    let mut cmd = redis::cmd(&c.command[0]);
    for arg in &c.command[1..] {
        cmd.arg(arg);
    }
    let reply: Value = match cmd.query_async(&mut conn).await {
        Ok(v) => v,
        Err(e) => return Outcome::error(format!("`{}` failed: {e}", c.command.join(" "))),
    };
    let output = format!("> {}\n{}\n", c.command.join(" "), render(&reply));
    let seen = observe(&reply);
    match c.expect.check(&seen) {
        Ok(found) => Outcome {
            passed: true,
            detail: found,
            output,
        },
        Err(why) => Outcome {
            passed: false,
            detail: why,
            output,
        },
    }
}

fn observe(v: &Value) -> Observed {
    match v {
        Value::Nil => Observed {
            count: 0,
            scalar: None,
        },
        Value::Array(items) | Value::Set(items) | Value::Push { data: items, .. } => Observed {
            count: items.len() as u64,
            scalar: items.first().and_then(scalar),
        },
        Value::Map(pairs) => Observed {
            count: pairs.len() as u64,
            scalar: None,
        },
        Value::BulkString(b) if b.is_empty() => Observed {
            count: 0,
            scalar: Some(String::new()),
        },
        other => Observed {
            count: 1,
            scalar: scalar(other),
        },
    }
}

fn scalar(v: &Value) -> Option<String> {
    Some(match v {
        Value::Int(n) => n.to_string(),
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::Okay => "OK".into(),
        Value::Double(x) => x.to_string(),
        Value::Boolean(b) => {
            if *b {
                "1".into()
            } else {
                "0".into()
            }
        }
        Value::BigNumber(n) => String::from_utf8_lossy(n).into_owned(),
        Value::VerbatimString { text, .. } => text.clone(),
        _ => return None,
    })
}

fn render(v: &Value) -> String {
    match v {
        Value::Nil => "(nil)".into(),
        Value::Array(items) | Value::Set(items) => {
            let mut out: Vec<String> = items
                .iter()
                .take(SHOWN_ITEMS)
                .enumerate()
                .map(|(i, item)| format!("{}) {}", i + 1, render(item)))
                .collect();
            if items.len() > SHOWN_ITEMS {
                out.push(format!("… {} items in all", items.len()));
            }
            if out.is_empty() {
                "(empty array)".into()
            } else {
                out.join("\n")
            }
        }
        Value::ServerError(e) => format!("(error) {e:?}"),
        Value::Int(n) => format!("(integer) {n}"),
        Value::Okay => "OK".into(),
        Value::SimpleString(s) => s.clone(),
        other => scalar(other).map_or_else(|| format!("{other:?}"), |s| format!("{s:?}")),
    }
}
