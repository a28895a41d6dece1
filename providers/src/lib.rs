//! The OTC HTTP client (auth, signing, endpoints, retries, errors) and the five service providers.
//
// # Tour
//
// - `config` resolves a `CloudConfig` from the spec's `cloud:` settings, the environment
//   (every name in `env`) and `clouds.yaml` (`clouds_yaml`). Credentials live only in
//   `Secret`, which never prints.
// - `client::Client` is the one place that speaks HTTP: it authenticates (token, AK/SK
//   `signer`, IAM password token via `iam`), picks each service's `endpoint`, retries
//   reads and only provably-unexecuted submits (`retry`), and parses every error body into
//   an `ApiError`.
// - One module per service implements the engine's `Provider`: `rds`, `ddm` (both DDM
//   kinds), `taurusdb`, `cbr` and `dcs`. They share only the client, plus the job shape
//   of the DBS family (`job`), wire timestamps (`wire_time`) and check helpers (`check`).
// - `connect` builds a `Cloud`, which hands the CLI one provider per service.

pub mod api_error;
pub mod batch;
pub mod budget;
pub mod cbr;
pub mod check;
pub mod client;
pub mod cloud;
pub mod clouds_yaml;
pub mod config;
pub mod create;
pub mod dbs;
pub mod dcs;
pub mod ddm;
pub mod dds;
pub mod discover;
pub mod endpoint;
pub mod env;
pub mod external;
pub mod gaussdb;
pub mod iam;
pub mod instances;
pub mod job;
pub mod latest;
pub mod query;
pub mod rank;
pub mod rds;
pub mod rds_new;
pub mod rds_recycle;
pub mod rds_tables;
pub mod retry;
pub mod signer;
pub mod skew;
pub mod taurusdb;
pub mod wire_time;

pub use api_error::{ApiError, ErrorShape};
pub use budget::{Budget, RateLimits};
pub use client::{Client, ClientError};
pub use cloud::{Cloud, connect};
pub use config::{CloudConfig, CloudSettings, ConfigError, Credentials};
pub use endpoint::{Endpoint, EndpointError};
pub use retry::RetryPolicy;
pub use rewind_base::Secret;
