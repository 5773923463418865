//! The `scopegate` command's library half: loading an engine (catalogues +
//! scope map) from files, and the offline `check` and `policy test`
//! commands, so tests drive exactly what the binary runs.

#[cfg(unix)]
pub mod agent_run;
pub mod approval_steps;
pub mod approvals;
pub mod check;
pub mod config;
pub mod config_check;
pub mod dashboard_settings;
pub mod data_lock;
pub mod engine;
pub mod fixtures;
pub mod log_format;
pub mod log_writer;
pub mod output;
pub mod policy_diff;
pub mod policy_test;
pub mod private;
pub mod shared_resolutions;
pub mod sink;
