//! Root passwords in create bodies: taken out before parsing and checked per engine, never echoed.

use serde_json::Value;

/// Removes `password` from a JSON object body, so nothing downstream (parse errors included)
/// can quote it. The messages name the field, never its value.
pub(crate) fn take_password(body: &mut Value) -> Result<String, String> {
    let Some(map) = body.as_object_mut() else {
        return Err("The request body must be a JSON object.".to_owned());
    };
    match map.remove("password") {
        Some(Value::String(p)) => Ok(p),
        None | Some(Value::Null) => Err("password is required.".to_owned()),
        Some(_) => Err("password must be a string.".to_owned()),
    }
}

/// The special characters each RDS engine accepts (`restoring_data_to_a_new_db_instance.rst`).
fn rds_specials(engine: &str) -> &'static str {
    match engine {
        "postgresql" => "~!@#$%^*-_=+?,",
        "sqlserver" => "~!@#$%^*-_+?,",
        _ => "~!@#$%^*-_=+?,()&",
    }
}

/// 8 to 32 characters of at least three kinds (upper, lower, digit, special), and no
/// character outside them. The reason never contains the password.
pub(crate) fn check_rds_password(password: &str, engine: &str) -> Result<(), String> {
    check(password, rds_specials(engine), 8, 32, 3)
}

/// DDS: 8 to 32 characters of upper, lower, digits and `~!@#%^*-_=+?` (all four kinds), per
/// `creating_a_db_instance.rst`.
pub(crate) fn check_dds_password(password: &str) -> Result<(), String> {
    check(password, "~!@#%^*-_=+?", 8, 32, 4)
}

fn check(
    password: &str,
    specials: &str,
    min: usize,
    max: usize,
    kinds: usize,
) -> Result<(), String> {
    let len = password.chars().count();
    if !(min..=max).contains(&len) {
        return Err(format!("it must be {min} to {max} characters long."));
    }
    if password
        .chars()
        .any(|c| !c.is_ascii_alphanumeric() && !specials.contains(c))
    {
        return Err(format!(
            "it may contain only letters, digits and the special characters {specials}"
        ));
    }
    let has = |f: &dyn Fn(char) -> bool| usize::from(password.chars().any(f));
    let found = has(&|c| c.is_ascii_uppercase())
        + has(&|c| c.is_ascii_lowercase())
        + has(&|c| c.is_ascii_digit())
        + has(&|c| specials.contains(c));
    if found < kinds {
        return Err(format!(
            "it must contain at least {kinds} of: uppercase letters, lowercase letters, digits, \
             special characters ({specials})."
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_differ_in_their_special_characters() {
        assert!(check_rds_password("Demo@12345678", "mysql").is_ok());
        assert!(check_rds_password("Demo(12345678", "mysql").is_ok());
        assert!(check_rds_password("Demo(12345678", "postgresql").is_err());
        assert!(check_rds_password("Demo=12345678", "postgresql").is_ok());
        assert!(check_rds_password("Demo=12345678", "sqlserver").is_err());
        assert!(check_rds_password("short1A", "mysql").is_err());
        assert!(check_rds_password("alllowercase", "mysql").is_err());
    }

    #[test]
    fn reasons_never_quote_the_password() {
        for p in ["Hunter2\u{e9}xx", "hunter", "hunterhunter"] {
            let why = check_rds_password(p, "mysql").unwrap_err();
            assert!(!why.contains(p), "{why}");
        }
        let mut body = serde_json::json!({ "password": 12345 });
        assert_eq!(
            take_password(&mut body).unwrap_err(),
            "password must be a string."
        );
    }
}
