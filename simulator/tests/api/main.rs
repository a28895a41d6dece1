//! One integration-test binary for the simulator: every service over real HTTP on loopback.

mod admin;
mod auth;
mod catalog;
mod cbr;
mod dcs;
mod ddm;
mod dds;
mod docs_shape;
mod faults;
mod flow;
mod gaussdb;
mod iam;
mod rds;
mod rds_new;
mod rds_recycle;
mod rds_tables;
mod readme;
mod shape_new;
mod taurusdb;
mod util;
