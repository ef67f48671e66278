//! The people of the deployment as their tools act: the administrator's
//! browser showing the ECE gadget inside SPOG ([`browser`]).

pub mod browser;
pub mod ece_user;
