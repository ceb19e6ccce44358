//! The storefront (docs/DESIGN.md, Interfaces): the static pages under `storefront/`, compiled into the binary
//! so `cargo run --release` needs nothing else, served at `/`. Plain ES modules, no build step.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Every file of the storefront: its path under `/`, its type and its bytes.
const FILES: &[(&str, &str, &str)] = &[
    ("index.html", "text/html; charset=utf-8", include_str!("../../../storefront/index.html")),
    ("style.css", "text/css; charset=utf-8", include_str!("../../../storefront/style.css")),
    ("js/app.js", JS, include_str!("../../../storefront/js/app.js")),
    ("js/api.js", JS, include_str!("../../../storefront/js/api.js")),
    ("js/live.js", JS, include_str!("../../../storefront/js/live.js")),
    ("js/money.js", JS, include_str!("../../../storefront/js/money.js")),
    ("js/ui.js", JS, include_str!("../../../storefront/js/ui.js")),
    ("js/purchaser.js", JS, include_str!("../../../storefront/js/purchaser.js")),
    ("js/supplier.js", JS, include_str!("../../../storefront/js/supplier.js")),
    ("js/overseer.js", JS, include_str!("../../../storefront/js/overseer.js")),
    ("js/auction.js", JS, include_str!("../../../storefront/js/auction.js")),
    ("js/chart.js", JS, include_str!("../../../storefront/js/chart.js")),
    ("js/inquiry.js", JS, include_str!("../../../storefront/js/inquiry.js")),
    ("js/negotiation.js", JS, include_str!("../../../storefront/js/negotiation.js")),
    ("js/award.js", JS, include_str!("../../../storefront/js/award.js")),
    ("js/public.js", JS, include_str!("../../../storefront/js/public.js")),
];

const JS: &str = "text/javascript; charset=utf-8";

fn file(path: &str) -> Response {
    let Some((_, kind, body)) = FILES.iter().find(|(p, _, _)| *p == path) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let mut response = (*body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    // The pages change with the binary; the browser checks back each time.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:",
        ),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// `GET /`: the storefront's page.
pub async fn index() -> Response {
    file("index.html")
}

/// `GET /style.css`.
pub async fn style() -> Response {
    file("style.css")
}

/// `GET /js/{module}`.
pub async fn script(Path(module): Path<String>) -> Response {
    file(&format!("js/{module}"))
}
