//! The baseline of the load benchmark: a bare axum JSON endpoint with no database, no
//! auth and no audit, served beside Obhut so both are measured in one run (`bench/load.sh`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::routing::get;
use axum::Json;

#[derive(serde::Serialize)]
struct Contact {
    id: &'static str,
    given_name: &'static str,
    family_name: &'static str,
    email: &'static str,
    phone: &'static str,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:18081".into());
    let app = axum::Router::new().route(
        "/contact",
        get(|| async {
            Json(Contact {
                id: "0190f0c8-0000-7000-8000-000000000000",
                given_name: "Erika",
                family_name: "Mustermann",
                email: "erika@example.org",
                phone: "+49301234567",
            })
        }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("bare JSON endpoint on http://{addr}/contact");
    axum::serve(listener, app).await
}
