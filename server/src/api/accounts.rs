//! `POST /api/v1/accounts/{id}/payments`: the office posts a payment to an account; open
//! disconnects of an account that is no longer past due are cancelled (`customer_paid`) and
//! their crews are poked to sync.

use super::premises::AccountView;
use crate::auth::AuthUser;
use crate::http::{ApiError, ApiResult, AppState, ErrorBody, Json, Path};
use crate::orders::payments::{self, PaymentRequest};
use crate::store::StoreError;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use fieldline_core::Role;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/accounts/{id}/payments", post(post_payment))
}

/// OpenAPI paths of this module.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(post_payment),
    components(schemas(PaymentRequest, PaymentPostedView))
)]
pub struct Doc;

/// What posting a payment did.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentPostedView {
    /// The payment's id.
    pub payment_id: Uuid,
    /// The account after the payment.
    pub account: AccountView,
    /// The disconnect orders it cancelled (`customer_paid`).
    pub cancelled_orders: Vec<Uuid>,
}

/// Posts a payment to an account (dispatcher, supervisor, admin).
#[utoipa::path(
    post,
    path = "/api/v1/accounts/{id}/payments",
    tag = "accounts",
    params(("id" = Uuid, Path, description = "Account id")),
    request_body = PaymentRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Posted; the account after it and the disconnects it cancelled", body = PaymentPostedView),
        (status = 400, description = "Not an account id", body = ErrorBody),
        (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
        (status = 403, description = "Not a dispatcher, supervisor or admin", body = ErrorBody),
        (status = 404, description = "No such account in your utility", body = ErrorBody),
        (status = 409, description = "That reference was already posted to the account", body = ErrorBody),
        (status = 422, description = "Amount out of range or reference too long", body = ErrorBody),
    )
)]
pub async fn post_payment(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    Json(body): Json<PaymentRequest>,
) -> ApiResult<(StatusCode, Json<PaymentPostedView>)> {
    auth.require(&[Role::Dispatcher, Role::Supervisor, Role::Admin])?;
    let Ok(account_id) = id.parse::<Uuid>() else {
        return Err(ApiError::bad_request(
            "invalid_path",
            format!("`{id}` is not an account id (a UUID)"),
        ));
    };
    match state.store.get_account(auth.utility_id, account_id).await {
        Ok(_) => {}
        Err(StoreError::NotFound) => {
            return Err(ApiError::not_found(
                "no account with that id in your utility",
            ));
        }
        Err(other) => return Err(other.into()),
    }
    let by = state.store.get_user(auth.utility_id, auth.user_id).await?;
    let reference = crate::reference::current(state.store.as_ref(), auth.utility_id).await?;
    let posted = payments::post_payment(
        state.store.as_ref(),
        auth.utility_id,
        &by,
        account_id,
        body,
        &reference,
        state.now(),
    )
    .await?;
    state
        .push
        .poke_for_changes(auth.utility_id, &posted.assignees)
        .await;
    Ok((
        StatusCode::CREATED,
        Json(PaymentPostedView {
            payment_id: posted.payment_id,
            account: posted.account.into(),
            cancelled_orders: posted.cancelled,
        }),
    ))
}
