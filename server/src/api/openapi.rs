//! `GET /api/openapi.json`: the OpenAPI 3 document of the whole API, merged from each resource
//! module's `Doc`.

use crate::http::{AppState, ErrorBody, Json};
use axum::Router;
use axum::routing::get;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(openapi_json))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Fieldline API",
        description = "Office API of Fieldline, the offline-first field work order service. \
                       Sign in with POST /api/v1/auth/login and send the access token as \
                       `Authorization: Bearer <token>`. Errors are \
                       `{\"error\": {\"code\", \"message\", \"field\"?, \"rule\"?}}`."
    ),
    paths(openapi_json),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth)
)]
struct BaseDoc;

/// Declares the `bearer` security scheme the endpoints' `security(("bearer" = []))` refer to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The whole API's OpenAPI document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = BaseDoc::openapi();
    doc.merge(super::auth::Doc::openapi());
    doc.merge(super::me::Doc::openapi());
    doc.merge(super::users::Doc::openapi());
    doc.merge(super::premises::Doc::openapi());
    doc.merge(super::accounts::Doc::openapi());
    doc.merge(super::meters::Doc::openapi());
    doc.merge(super::routes::Doc::openapi());
    doc.merge(super::orders::Doc::openapi());
    doc.merge(super::follow_ups::Doc::openapi());
    doc.merge(super::corrections::Doc::openapi());
    doc.merge(super::re_reads::Doc::openapi());
    doc.merge(super::reference::Doc::openapi());
    doc.merge(super::devices::Doc::openapi());
    doc.merge(super::quarantine::Doc::openapi());
    doc.merge(super::sync::Doc::openapi());
    doc.merge(super::ws::Doc::openapi());
    doc.merge(super::health::Doc::openapi());
    doc
}

/// The OpenAPI document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "operations",
    responses((status = 200, description = "OpenAPI 3 document", body = Object)))]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}
