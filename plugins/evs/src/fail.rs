//! A method's failure and the protocol's JSON-RPC error codes.

/// JSON-RPC error codes of the protocol.
pub const REJECTED: i64 = -32001;
pub const FAILED: i64 = -32000;

/// A method's failure: a protocol error code and a message.
#[derive(Debug)]
pub struct Fail {
    pub code: i64,
    pub message: String,
}

impl Fail {
    pub fn failed(message: impl Into<String>) -> Fail {
        Fail {
            code: FAILED,
            message: message.into(),
        }
    }
}
