//! The one error an app sees. Each variant is something the app can act on; the core's
//! [`ClientError`] is folded into it here, at the one seam.

use fieldline_core::client::ClientError;

use crate::types::Need;

/// Why a call failed. Nothing a failed call wrote is half-written, and no field work is lost.
#[derive(Debug, Clone, PartialEq, thiserror::Error, uniffi::Error)]
pub enum FieldlineError {
    /// The server could not be reached or did not answer in time. Work is kept: retry later.
    #[error("network: {detail}")]
    Network {
        /// What failed.
        detail: String,
    },
    /// Nobody is signed in, or the sign-in expired or was refused. Work is kept: sign in again
    /// as the same user.
    #[error("sign in again: {detail}")]
    Unauthorized {
        /// What happened.
        detail: String,
    },
    /// The rules refused the action; nothing was written. Show `detail` next to `field`.
    #[error("refused by {rule} on {field}: {detail}")]
    Validation {
        /// Stable rule id (`cycle_read.full_scale`, `common.started_before_complete`).
        rule: String,
        /// The input to fix (`readings[0].value`, `photos`).
        field: String,
        /// What to do, in words a crew understands (never reveals a hidden limit).
        detail: String,
        /// What the crew must supply to go on (a blind re-key, a photo...), when that is the way.
        needs: Option<Need>,
    },
    /// The order was taken from this user or is no longer on this device: refresh the list.
    #[error("conflict: {detail}")]
    Conflict {
        /// What happened.
        detail: String,
    },
    /// The server no longer accepts this app version. Work is kept: update the app.
    #[error("update the app: {detail}")]
    UpdateRequired {
        /// The server's word.
        detail: String,
    },
    /// The device database or secure storage failed.
    #[error("storage: {detail}")]
    Storage {
        /// What failed.
        detail: String,
    },
    /// Anything else (a server answer this app cannot read, a bug).
    #[error("{detail}")]
    Other {
        /// What happened.
        detail: String,
    },
}

/// The kind of a [`FieldlineError`], for places that carry a failure as data (sync state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum FailureKind {
    /// See [`FieldlineError::Network`].
    Network,
    /// See [`FieldlineError::Unauthorized`].
    Unauthorized,
    /// See [`FieldlineError::Validation`].
    Validation,
    /// See [`FieldlineError::Conflict`].
    Conflict,
    /// See [`FieldlineError::UpdateRequired`].
    UpdateRequired,
    /// See [`FieldlineError::Storage`].
    Storage,
    /// See [`FieldlineError::Other`].
    Other,
}

impl FieldlineError {
    /// The variant without its data.
    pub fn kind(&self) -> FailureKind {
        match self {
            FieldlineError::Network { .. } => FailureKind::Network,
            FieldlineError::Unauthorized { .. } => FailureKind::Unauthorized,
            FieldlineError::Validation { .. } => FailureKind::Validation,
            FieldlineError::Conflict { .. } => FailureKind::Conflict,
            FieldlineError::UpdateRequired { .. } => FailureKind::UpdateRequired,
            FieldlineError::Storage { .. } => FailureKind::Storage,
            FieldlineError::Other { .. } => FailureKind::Other,
        }
    }
}

/// The rule the core uses when an action targets an order taken from the user.
const ORDER_REVOKED_RULE: &str = "device.order_revoked";

impl From<ClientError> for FieldlineError {
    fn from(err: ClientError) -> Self {
        match err {
            ClientError::Network(detail) => FieldlineError::Network { detail },
            ClientError::Unauthorized(detail) => FieldlineError::Unauthorized { detail },
            ClientError::UpdateRequired(detail) => FieldlineError::UpdateRequired { detail },
            ClientError::Refused(refusal) if refusal.rule == ORDER_REVOKED_RULE => {
                FieldlineError::Conflict {
                    detail: refusal.message,
                }
            }
            ClientError::Refused(refusal) => FieldlineError::Validation {
                rule: refusal.rule,
                field: refusal.field,
                detail: refusal.message,
                needs: refusal.needs.map(Need::from),
            },
            ClientError::NotFound(detail) => FieldlineError::Conflict { detail },
            ClientError::Storage(detail) => FieldlineError::Storage { detail },
            ClientError::Protocol(detail) => FieldlineError::Other {
                detail: format!("protocol: {detail}"),
            },
            ClientError::Other(detail) => FieldlineError::Other { detail },
        }
    }
}

/// A foreign callback that threw (or a panic across it) surfaces as `Other`.
impl From<uniffi::UnexpectedUniFFICallbackError> for FieldlineError {
    fn from(err: uniffi::UnexpectedUniFFICallbackError) -> Self {
        FieldlineError::Other {
            detail: format!("an app callback failed: {}", err.reason),
        }
    }
}

/// What the core sees when an app's secret store fails.
impl From<FieldlineError> for ClientError {
    fn from(err: FieldlineError) -> Self {
        ClientError::Storage(format!("secure storage: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldline_core::outcome::{Need as CoreNeed, Refusal};

    #[test]
    fn a_refusal_becomes_validation_with_rule_field_and_need() {
        let err = FieldlineError::from(ClientError::Refused(
            Refusal::new("cycle_read.limits", "readings[0].confirmation", "re-key it")
                .needing(CoreNeed::BlindConfirmation),
        ));
        assert_eq!(
            err,
            FieldlineError::Validation {
                rule: "cycle_read.limits".into(),
                field: "readings[0].confirmation".into(),
                detail: "re-key it".into(),
                needs: Some(Need::BlindConfirmation),
            }
        );
    }

    #[test]
    fn a_revoked_order_or_a_missing_one_is_a_conflict() {
        let revoked = FieldlineError::from(ClientError::Refused(Refusal::new(
            ORDER_REVOKED_RULE,
            "order",
            "taken from you",
        )));
        assert_eq!(revoked.kind(), FailureKind::Conflict);
        let missing = FieldlineError::from(ClientError::NotFound("gone".into()));
        assert_eq!(missing.kind(), FailureKind::Conflict);
    }

    #[test]
    fn every_client_error_maps_to_the_variant_an_app_acts_on() {
        let cases = [
            (ClientError::Network("x".into()), FailureKind::Network),
            (
                ClientError::Unauthorized("x".into()),
                FailureKind::Unauthorized,
            ),
            (
                ClientError::UpdateRequired("x".into()),
                FailureKind::UpdateRequired,
            ),
            (ClientError::Storage("x".into()), FailureKind::Storage),
            (ClientError::Protocol("x".into()), FailureKind::Other),
            (ClientError::Other("x".into()), FailureKind::Other),
        ];
        for (err, kind) in cases {
            assert_eq!(FieldlineError::from(err).kind(), kind);
        }
    }
}
