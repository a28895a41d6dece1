//! The restore spec: YAML in, validated operations out, with every mistake located.

mod drills;
mod external;
pub mod fleet;
mod interp;
mod lower;
mod moved;
mod names;
mod recovery;
mod resolve;
mod secrets;
mod var_errors;

pub use crate::syntax::cx::COMMON_KEYS;
pub use crate::syntax::value::{MAX_TIMEOUT, parse_timeout};
use crate::syntax::{cx as bodies, obj, suggest, value};
pub use crate::syntax::{diagnostic, yaml};
pub use diagnostic::{Code, Diagnostic, DiagnosticView, Report, Span};
pub use lower::lower;
pub use moved::Moved;
pub use suggest::did_you_mean;

use crate::kinds::{OpSpec, Service};
use serde::Serialize;
use std::collections::BTreeMap;

/// The spec format this engine reads (`version:`).
pub const SPEC_VERSION: i64 = 1;

/// A validated spec. Operations are keyed by name, so iteration is in name order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Spec {
    pub cloud: CloudSpec,
    /// Variables after `--var` overrides, rendered as strings.
    pub vars: BTreeMap<String, String>,
    pub ops: BTreeMap<String, OpDecl>,
    /// Operations whose body did not lower: kept for their ordering edges, so that a cycle
    /// through them is still reported alongside their other errors.
    pub broken: BTreeMap<String, BrokenOp>,
    /// `secrets:`: where each named secret comes from (never its value).
    pub secrets: BTreeMap<String, SecretSource>,
    /// `drills:`, by name.
    pub drills: BTreeMap<String, crate::drill::DrillDecl>,
    /// Operations written with `for_each:`: each fleet's name and its instances (`NAME[KEY]`),
    /// which are in `ops` as plain operations. A name here stands for all of them wherever
    /// operations are named (`depends_on`, drills, targeting).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub fleets: BTreeMap<String, Vec<String>>,
    /// `moved:`: old name -> new name, so that state follows a rename.
    pub moved: Vec<Moved>,
    /// Operation -> its point in time as written, when that had an offset other than UTC.
    pub written_times: BTreeMap<String, String>,
    /// Operations whose `restore_time` is `latest` or `random_within D`: chosen against the
    /// cloud when the plan is made (`drill::recovery`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub recovery: BTreeMap<String, crate::drill::recovery::RecoveryChoice>,
}

impl Spec {
    /// The operations `name` stands for: a fleet's instances, else `name` itself.
    pub fn expand_name<'a>(&'a self, name: &'a str) -> Vec<&'a str> {
        match self.fleets.get(name) {
            Some(members) => members.iter().map(String::as_str).collect(),
            None => vec![name],
        }
    }
}

/// Where a secret's value is read from, at submit time and in memory only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretSource {
    /// An environment variable.
    Env(String),
    /// A file whose contents (without a trailing newline) are the value.
    File(String),
}

/// What is known of an operation whose body has errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenOp {
    pub span: Span,
    pub depends_on: Vec<(String, Span)>,
    pub references: Vec<Reference>,
}

/// `cloud:`; credentials never live here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CloudSpec {
    pub region: Option<String>,
    pub project_id: Option<String>,
    pub endpoints: BTreeMap<Service, String>,
}

/// One entry of `restores:`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpDecl {
    pub name: String,
    pub spec: OpSpec,
    /// Where the name is written (the operation's anchor for messages).
    pub span: Span,
    pub depends_on: Vec<(String, Span)>,
    /// `${restores.OTHER...}` uses inside this operation.
    pub references: Vec<Reference>,
    pub allow_overwrite_source: bool,
    /// `timeout:`: how long apply waits for this restore before it stops waiting.
    pub timeout: Option<std::time::Duration>,
    /// ID value -> first place it is written in this operation.
    pub id_spans: BTreeMap<String, Span>,
}

/// One use of another operation's field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reference {
    pub op: String,
    /// Dotted field path, e.g. `target.instance_id`.
    pub path: String,
    pub span: Span,
}

/// Inputs to loading besides the text.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--var NAME=VALUE` overrides.
    pub vars: BTreeMap<String, String>,
    /// Kinds declared by plugins (built-in kinds need no declaration here).
    pub kinds: Vec<crate::kinds::KindDecl>,
    /// Checks one probe of `drills:` (the engine does no I/O, so the probe crate's parser is
    /// handed in): `Err((path below the probe, message))`. `None` accepts any mapping.
    pub probe_check: Option<ProbeCheck>,
}

/// See [`LoadOptions::probe_check`].
pub type ProbeCheck = fn(&serde_json::Value) -> Result<(), (String, String)>;
