//! The audit trail as a whole: verification of its hash chain against the signed head.

use crate::app::App;
use crate::error::ServiceResult;
use crate::gate::{authorize, Action, Actor, Resource};
use obhut_store::audit::Verification;

/// Checks every event of the chain, in one consistent snapshot of the database (writers may
/// go on meanwhile; their events come after the snapshot's head).
pub async fn verify(app: &App, actor: &Actor) -> ServiceResult<Verification> {
    authorize(actor, Action::Read, Resource::Audit)?;
    if let Some(readers) = &app.store.readers {
        return Ok(obhut_store::audit::verify_sqlite(readers, &app.store.crypto)?);
    }
    let mut tx = app.store.begin().await?;
    if app.store.backend == obhut_store::Backend::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(&mut *tx).await.map_err(obhut_store::StoreError::from)?;
    }
    let v = obhut_store::audit::verify(&mut tx, &app.store.crypto).await?;
    tx.rollback().await.map_err(obhut_store::StoreError::from)?;
    Ok(v)
}
