//! The ID rules of the services whose restore bodies the shared lowering reads (RDS, DDS).

use crate::syntax::cx::Cx;
use crate::syntax::diagnostic::{Code, Diagnostic, Span};
use crate::syntax::obj::Obj;
use crate::syntax::value::{IdShape, InstanceService, check_id, is_unknown};
use crate::syntax::yaml::Value;

/// Which service's ID rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Svc {
    Rds,
    Dds,
}

impl Svc {
    pub fn instance(self) -> IdShape {
        IdShape::Instance(match self {
            Svc::Rds => InstanceService::Rds,
            Svc::Dds => InstanceService::Dds,
        })
    }

    /// The API pages' own examples use UUIDs for backup IDs besides the `...brNN` form
    /// the list APIs return (and DDS a 36-character hex form), so all of them are accepted.
    fn backup_ok(self, id: &str) -> bool {
        let at = Span::new(0, 0, 1, 1);
        if check_id(id, at, "", IdShape::Uuid).is_ok() {
            return true;
        }
        match self {
            Svc::Rds => check_id(id, at, "", IdShape::Backup).is_ok(),
            Svc::Dds => {
                id.len() == 36
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
                    && id.as_bytes()[..32].iter().all(u8::is_ascii_hexdigit)
            }
        }
    }

    fn backup_hint(self) -> &'static str {
        match self {
            Svc::Rds => {
                "RDS backup IDs are 32 lowercase hex characters plus `brNN` (37a3d791431045a782d72496d384150abr01), or a UUID"
            }
            Svc::Dds => {
                "DDS backup IDs are 32 lowercase hex characters plus 4 letters or digits (43e4feaab48f11e89039fa163ebaa7e4br01), or a UUID"
            }
        }
    }
}

impl Cx<'_> {
    /// An optional backup ID; `Some(None)` when absent, `None` when present but invalid.
    #[allow(clippy::option_option)]
    pub fn opt_backup(&mut self, o: &Obj, key: &str, svc: Svc) -> Option<Option<String>> {
        if o.get(key).is_none_or(|n| matches!(n.value, Value::Null)) {
            return Some(None);
        }
        let (v, span) = o.opt_str(key, self.diags)?;
        // `latest`: kept as written; `spec::recovery` records the choice and the plan pins
        // the newest finished backup.
        if v == crate::syntax::cx::LATEST {
            return Some(Some(v));
        }
        if is_unknown(&v) || svc.backup_ok(&v) {
            self.id_spans.entry(v.clone()).or_insert(span);
            return Some(Some(v));
        }
        self.diags.push(
            Diagnostic::new(
                Code::BadId,
                format!("`{}` = {v:?} is not a backup ID", o.child_path(key)),
            )
            .at(span)
            .with_hint(svc.backup_hint()),
        );
        None
    }
}
