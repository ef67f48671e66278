//! ccelab's harness: the `ccelab` command line, the topology builder
//! ([`topology`], [`topology_file`]), the running lab ([`lab`]), its control
//! API ([`control`]) and the scenario runner ([`scenario`]), on top of the
//! emulators of `ccelab-emulators`.

pub mod actions;
pub mod chromium;
pub mod cli;
pub mod container;
pub mod control;
pub mod deploy;
pub mod exec;
pub mod graph;
pub mod lab;
pub mod located;
pub mod registry;
pub mod reproduce;
pub mod scenario;
pub mod topology;
pub mod topology_file;
