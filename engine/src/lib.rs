//! rewind's engine: a restore spec becomes a graph, a plan and an apply, with no I/O of its own.
//!
//! # A guided tour
//!
//! Data flows one way through the modules, like a compiler pipeline:
//!
//! 1. [`spec`] reads YAML (through serde-saphyr, in [`spec::yaml`] only) into a located tree,
//!    then *lowers* it into validated operations, collecting every [`spec::Diagnostic`] with
//!    its file:line:column instead of stopping at the first.
//! 2. [`kinds`] knows the six restore kinds: their typed bodies ([`kinds::OpSpec`]), the exact
//!    request each API expects ([`kinds::ApiRequest`]) and what each reads and overwrites
//!    ([`kinds::Footprint`]).
//! 3. [`graph`] turns operations into a petgraph DAG. Edges come from `depends_on`, from
//!    `${restores.X...}` references and from footprints; each edge keeps its reason.
//! 4. [`plan`] diffs the graph against recorded [`state`] into actions (`+ restore`,
//!    `~ rerun`, ...), names every overwritten target, and can be saved and checked for staleness.
//! 5. [`apply`] walks the plan as a ready queue and drives each operation through a
//!    [`provider::Provider`]; one loop owns the state and reports through [`apply::ApplyHooks`].
//!
//! The engine owns the traits ([`state::StateStore`], [`provider::Provider`]); other crates
//! implement them: `rewind-state` (sled), `rewind-providers` (OTC HTTP), and `rewind-cli`
//! which is the only crate that prints.

pub mod apply;
pub mod budget;
pub mod compile;
pub mod drill;
pub mod graph;
pub mod kinds;
pub mod ops;
pub mod plan;
pub mod preflight;
pub mod provider;
pub mod schema;
pub mod spec;
pub mod state;
pub mod status;
pub mod syntax;
