//! The platforms ECE, CCE Administration and the other products run on:
//! Windows IIS ([`iis`]) and what every HTTP server of the deployment
//! shares ([`http`]); SQL Server's login and the AWDB query over TDS
//! ([`sql_server`]); Cisco Unified OS, the appliance platform of Finesse,
//! IdS and CUIC ([`vos`]).

pub mod http;
pub mod iis;
pub mod sql_server;
pub mod vos;
