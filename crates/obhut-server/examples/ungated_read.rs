//! The other side of the gate's cost in the load benchmark (`bench/load.sh`): the same read of
//! one contact by id — SQLite point read, key unwrap, decryption, the API's JSON — served with
//! no authentication, no policy decision, no purpose binding and no access log. A benchmark
//! baseline only: it is an example, never part of the product, and it binds to loopback.
//! Usage: ungated_read DATA_DIR [ADDR]

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::extract::{Path, State};
use axum::routing::get;
use axum::Json;
use obhut_core::ids::ContactId;
use obhut_server::services::contact_view::ContactOut;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = std::env::args().nth(1).expect("usage: ungated_read DATA_DIR [ADDR]");
    let addr = std::env::args().nth(2).unwrap_or_else(|| "127.0.0.1:18082".into());
    let cfg = obhut_server::config::Config::load(None, Some(std::path::Path::new(&dir)))?;
    let app = obhut_server::App::open(cfg).await?;
    let router = axum::Router::new()
        .route(
            "/api/v1/contacts/{id}",
            get(|State(app): State<obhut_server::App>, Path(id): Path<String>| async move {
                let id = ContactId::parse(&id).expect("id");
                let r = obhut_store::contacts::read_contact(&app.store, id).await.expect("read").expect("found");
                Json(ContactOut::from_record(&r, None))
            }),
        )
        .with_state(app);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, router).await?;
    Ok(())
}
