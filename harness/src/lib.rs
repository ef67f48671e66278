//! ccelab's harness: the `ccelab` command line and (as they land) the
//! topology builder, the scenario runner and the control API, on top of the
//! emulators of `ccelab-emulators`.

pub mod cli;
pub mod control;
pub mod lab;
pub mod topology;
pub mod topology_file;
