//! The `mysql` probe: one query on the restored MySQL/MariaDB, held to an expectation.

use std::fmt::Write as _;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder, Row, Value};

use super::expect::Observed;
use super::result::Outcome;
use super::spec::MysqlCheck;
use crate::target::Target;

/// Rows shown in a result's output.
const SHOWN_ROWS: usize = 20;
/// Rows read at most: enough for `non-empty` and counts, without streaming a whole table.
const READ_ROWS: u64 = 10_000;

pub(crate) async fn check(c: &MysqlCheck, target: &Target) -> Outcome {
    let opts = OptsBuilder::default()
        .ip_or_hostname(target.host.clone())
        .tcp_port(target.port)
        .prefer_socket(false)
        .user(Some(target.user.clone().unwrap_or_else(|| "root".into())))
        .pass(target.password.as_ref().map(|p| p.expose().to_owned()))
        .db_name(c.database.clone());
    let mut conn = match Conn::new(opts).await {
        Ok(conn) => conn,
        Err(e) => {
            return Outcome::error(format!(
                "cannot connect to {}:{}: {e}",
                target.host, target.port
            ));
        }
    };
    let outcome = query(&mut conn, c).await;
    // A failed goodbye does not change what the query found.
    let _ = conn.disconnect().await;
    outcome
}

async fn query(conn: &mut Conn, c: &MysqlCheck) -> Outcome {
    let mut result = match conn.query_iter(c.query.as_str()).await {
        Ok(r) => r,
        Err(e) => return Outcome::error(format!("query failed: {e}")),
    };
    let columns: Vec<String> = result
        .columns_ref()
        .iter()
        .map(|col| col.name_str().into_owned())
        .collect();
    let mut shown: Vec<Vec<String>> = Vec::new();
    let mut count: u64 = 0;
    let mut scalar = None;
    let mut more = false;
    loop {
        match result.next().await {
            Ok(Some(row)) => {
                let cells = cells(row);
                if count == 0 {
                    scalar = cells.last().cloned().flatten();
                }
                if shown.len() < SHOWN_ROWS {
                    shown.push(
                        cells
                            .into_iter()
                            .map(|c| c.unwrap_or_else(|| "NULL".into()))
                            .collect(),
                    );
                }
                count += 1;
                if count >= READ_ROWS {
                    more = true;
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => return Outcome::error(format!("reading rows failed: {e}")),
        }
    }
    drop(result);
    let mut output = render(&columns, &shown);
    if count > shown.len() as u64 {
        let at_least = if more { "at least " } else { "" };
        let _ = writeln!(
            output,
            "… {at_least}{count} rows in all, {} shown",
            shown.len()
        );
    }
    let seen = Observed { count, scalar };
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

fn cells(row: Row) -> Vec<Option<String>> {
    row.unwrap().into_iter().map(cell).collect()
}

fn cell(v: Value) -> Option<String> {
    Some(match v {
        Value::NULL => return None,
        Value::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
        Value::Int(n) => n.to_string(),
        Value::UInt(n) => n.to_string(),
        Value::Float(x) => x.to_string(),
        Value::Double(x) => x.to_string(),
        Value::Date(year, month, day, hour, minute, second, micros) => {
            format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}.{micros:06}")
        }
        Value::Time(negative, days, hours, minutes, seconds, micros) => {
            let sign = if negative { "-" } else { "" };
            let hours = u32::from(hours) + days * 24;
            format!("{sign}{hours}:{minutes:02}:{seconds:02}.{micros:06}")
        }
    })
}

/// Rows as tab-separated lines under a header: plain text that survives every report format.
fn render(columns: &[String], rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    if !columns.is_empty() {
        out.push_str(&columns.join("\t"));
        out.push('\n');
    }
    for row in rows {
        out.push_str(&row.join("\t"));
        out.push('\n');
    }
    out
}
