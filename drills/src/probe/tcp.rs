//! The `tcp` probe: the restored instance's port accepts a connection.

use super::result::Outcome;
use super::spec::TcpCheck;
use crate::target::Target;

pub(crate) async fn check(c: &TcpCheck, target: &Target) -> Outcome {
    let port = c.port.unwrap_or(target.port);
    match tokio::net::TcpStream::connect((target.host.as_str(), port)).await {
        Ok(stream) => {
            let peer = stream
                .peer_addr()
                .map_or_else(|_| format!("{}:{port}", target.host), |a| a.to_string());
            Outcome {
                passed: true,
                detail: format!("{peer} accepts connections"),
                output: String::new(),
            }
        }
        Err(e) => Outcome::error(format!("{}:{port} refuses connections: {e}", target.host)),
    }
}
