//! Wires the request budget shared through a PostgreSQL state into the providers' configuration.

use crate::settings::Settings;
use rewind_providers::CloudConfig;
use std::sync::Arc;

/// With a PostgreSQL state (and `[rate_limits] shared` not `false`), every request of this
/// process draws from the budget that every process of the cloud user shares in that
/// database. A rehearsal keeps its own: its simulator is its own cloud. When the database
/// cannot be reached the process paces itself alone and says so.
pub async fn attach(
    mut config: CloudConfig,
    settings: &Settings,
    rehearsal: bool,
    command: &str,
) -> CloudConfig {
    let rewind_state::Location::Postgres { url, .. } = &settings.state else {
        return config;
    };
    let wanted =
        !rehearsal && config.rate_limits.enabled && settings.rate_limits.shared != Some(false);
    if !wanted {
        return config;
    }
    let who = rewind_state::postgres::budget::process_name(command);
    match rewind_state::postgres::PgBudget::connect(url, who).await {
        Ok(budget) => {
            config.rate_limits.shared = Some(rewind_providers::budget::Shared(Arc::new(budget)));
        }
        Err(e) => {
            tracing::warn!(error = %e, "the shared request budget is unavailable; this process paces itself alone");
        }
    }
    config
}
