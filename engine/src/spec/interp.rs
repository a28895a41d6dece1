//! `${var.NAME}`, `${restores.NAME.path}`, `${secrets.NAME}` and `${env.VAR}` templates.

use crate::syntax::secret_ref::env_name;

/// One piece of a string value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Lit(String),
    Var(String),
    /// `${restores.OP.a.b}`: a field of another operation's spec.
    Ref {
        op: String,
        path: Vec<String>,
    },
    /// `${secrets.NAME}` or `${env.VAR}`, kept as the reference `secrets.NAME` / `env.VAR`.
    Secret(String),
}

/// Splits a string into literal text and `${...}` expressions; `$${` is a literal `${`.
pub fn parse(s: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut lit = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        let after = &rest[i..];
        if let Some(tail) = after.strip_prefix("$${") {
            lit.push_str(&rest[..i]);
            lit.push_str("${");
            rest = tail;
        } else if let Some(body) = after.strip_prefix("${") {
            lit.push_str(&rest[..i]);
            let end = body
                .find('}')
                .ok_or_else(|| "`${` is never closed with `}`".to_owned())?;
            if !lit.is_empty() {
                pieces.push(Piece::Lit(std::mem::take(&mut lit)));
            }
            pieces.push(expression(body[..end].trim())?);
            rest = &body[end + 1..];
        } else {
            lit.push_str(&rest[..=i]);
            rest = &after[1..];
        }
    }
    lit.push_str(rest);
    if !lit.is_empty() {
        pieces.push(Piece::Lit(lit));
    }
    Ok(pieces)
}

fn expression(expr: &str) -> Result<Piece, String> {
    let parts: Vec<&str> = expr.split('.').collect();
    let valid = |p: &&str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    match parts.as_slice() {
        ["var", name] if valid(name) => Ok(Piece::Var((*name).to_owned())),
        ["secrets", name] if valid(name) => Ok(Piece::Secret(format!("secrets.{name}"))),
        ["env", name] if env_name(name) => Ok(Piece::Secret(format!("env.{name}"))),
        ["restores", op, path @ ..]
            if (valid(op) || instance(op, valid)) && !path.is_empty() && path.iter().all(valid) =>
        {
            Ok(Piece::Ref {
                op: (*op).to_owned(),
                path: path.iter().map(|p| (*p).to_owned()).collect(),
            })
        }
        ["each", ..] => Err(format!(
            "`${{{expr}}}` is only defined in an operation with `for_each:`"
        )),
        _ => Err(format!(
            "`${{{expr}}}` is not a reference; use `${{var.NAME}}`, `${{restores.NAME.field.path}}`, `${{secrets.NAME}}` or `${{env.VAR}}`"
        )),
    }
}

/// `NAME[KEY]`: one instance of a `for_each` fleet.
fn instance(op: &str, valid: impl Fn(&&str) -> bool) -> bool {
    op.strip_suffix(']')
        .and_then(|o| o.split_once('['))
        .is_some_and(|(base, key)| valid(&base) && valid(&key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vars_refs_literals_and_escapes() {
        assert_eq!(parse("plain").unwrap(), vec![Piece::Lit("plain".into())]);
        assert_eq!(parse("${var.t}").unwrap(), vec![Piece::Var("t".into())]);
        assert_eq!(
            parse("a-${restores.db-1.target.instance_id}").unwrap(),
            vec![
                Piece::Lit("a-".into()),
                Piece::Ref {
                    op: "db-1".into(),
                    path: vec!["target".into(), "instance_id".into()]
                },
            ]
        );
        assert_eq!(
            parse("cost $5 $${x}").unwrap(),
            vec![Piece::Lit("cost $5 ${x}".into())]
        );
        assert!(parse("${var.t").is_err());
        assert!(parse("${restores.x}").is_err());
        assert_eq!(
            parse("${env.HOME}").unwrap(),
            vec![Piece::Secret("env.HOME".into())]
        );
        assert_eq!(
            parse("${secrets.db}").unwrap(),
            vec![Piece::Secret("secrets.db".into())]
        );
        assert!(parse("${env.1X}").is_err());
    }
}
