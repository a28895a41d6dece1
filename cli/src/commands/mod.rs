//! One module per subcommand; each `exec` takes the command's [`Session`](crate::session::Session),
//! turns flags into options and calls an operation.

pub mod apply;
pub mod completions;
pub mod drill;
pub mod graph;
pub mod history;
pub mod init;
pub mod man;
pub mod output;
pub mod plan;
pub mod providers;
pub mod schema;
pub mod show;
pub mod sim;
pub mod state;
pub mod status;
pub mod validate;
pub mod version;
