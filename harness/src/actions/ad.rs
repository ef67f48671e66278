//! The AD domain controller: its LDAP policy (KB4520412 "Require signing":
//! F15; anonymous operations: F16) and bind failures of one account (the
//! `data` codes of AD's result 49).

use ccelab_emulators::ad_dc::{BindFault, DomainController};

use super::{ActionError, Outcome};
use crate::lab::Lab;

fn dc(lab: &Lab) -> Result<&DomainController, ActionError> {
    lab.dc()
        .ok_or_else(|| ActionError::Invalid("this topology has no AD DC".into()))
}

/// `ad-policy`: changes the given settings; shows the policy now in force.
pub(super) fn policy(
    lab: &Lab,
    require_signing: Option<bool>,
    allow_anonymous: Option<bool>,
) -> Result<Outcome, ActionError> {
    let dc = dc(lab)?;
    dc.update_policy(|p| {
        if let Some(v) = require_signing {
            p.require_signing = v;
        }
        if let Some(v) = allow_anonymous {
            p.allow_anonymous = v;
        }
    });
    let p = dc.policy();
    Ok(Outcome::ok("policy saved").with_data(serde_json::json!({
        "require_signing": p.require_signing,
        "allow_anonymous": p.allow_anonymous,
    })))
}

/// `ad-fault`: `user`'s binds fail with AD's `data` code (`none`: they work again).
pub(super) fn fault(lab: &Lab, user: &str, fault: &str) -> Result<Outcome, ActionError> {
    let dc = dc(lab)?;
    let f = match fault {
        "" | "none" => None,
        other => Some(BindFault::parse(other).ok_or_else(|| {
            ActionError::Invalid(format!(
                "unknown fault `{other}` (525, 52e, 530, 531, 532, 533, 701, 773, 775 or none)"
            ))
        })?),
    };
    dc.update_directory(|d| d.set_bind_fault(user, f))
        .map_err(|e| ActionError::Invalid(e.to_string()))?;
    Ok(Outcome::ok(format!("{user}: fault {fault}")))
}
