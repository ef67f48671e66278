//! The platforms ECE, CCE Administration and the other products run on:
//! Windows IIS ([`iis`]) and what every HTTP server of the deployment
//! shares ([`http`]).

pub mod http;
pub mod iis;
