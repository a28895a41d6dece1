//! What a command can fail with; rendered once, by `render::errors`.

use rewind_engine::spec::Report;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Located spec or settings problems.
    #[error("{0}")]
    Spec(Report),
    /// Anything else, with advice.
    #[error("{message}")]
    Message {
        message: String,
        hint: Option<String>,
    },
}

impl CliError {
    pub fn msg(message: impl Into<String>) -> Self {
        CliError::Message {
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        CliError::Message {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }
}

impl From<Report> for CliError {
    fn from(r: Report) -> Self {
        CliError::Spec(r)
    }
}

impl From<rewind_engine::state::StateError> for CliError {
    fn from(e: rewind_engine::state::StateError) -> Self {
        use rewind_engine::state::StateError;
        match &e {
            // A PostgreSQL holder is described with its lease and lock ID; a sled one is an
            // OS file lock, which dies with its process.
            StateError::Locked { holder } if holder.contains("force-unlock") => CliError::hint(
                e.to_string(),
                "wait for that rewind to finish; if its process is gone, the lock frees itself when its lease expires, or release it now with the `rewind state force-unlock` command above",
            ),
            StateError::Locked { .. } => CliError::hint(
                e.to_string(),
                "wait for that rewind to finish; if its process is gone, its file lock went with it and a retry succeeds",
            ),
            // A damaged or unwritable state: the message already names the state, the
            // backup and the way back.
            StateError::Storage(m) if m.starts_with("the state at ") => CliError::msg(m.clone()),
            _ => CliError::msg(e.to_string()),
        }
    }
}
