//! The service layer's one error type; `api::problem` turns it into RFC 9457 responses.

use obhut_core::ValidationErrors;
use obhut_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("invalid input: {0}")]
    Validation(ValidationErrors),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The record existed and was erased (Art. 17): 410 rather than 404.
    #[error("{0}")]
    Gone(String),
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// Processing of the contact is restricted (Art. 18): it is only stored.
    #[error("{0}")]
    Restricted(String),
    #[error("not signed in")]
    Unauthorized,
    #[error("{0}")]
    Conflict(String),
    #[error("too many attempts; try again in {0} seconds")]
    RateLimited(u64),
    #[error("the database is unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal(String),
}

impl From<ValidationErrors> for ServiceError {
    fn from(e: ValidationErrors) -> Self {
        Self::Validation(e)
    }
}

/// A database error outside the store's own functions (a transaction's commit, say) is a
/// store error; `?` converts it.
impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::from(e).into()
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::NotFound(what),
            StoreError::Conflict { .. } => Self::Conflict(e.to_string()),
            StoreError::Invalid(m) => Self::Validation(ValidationErrors::single("", m)),
            StoreError::Connect { .. } => Self::Unavailable,
            StoreError::Db(sqlx::Error::PoolTimedOut) | StoreError::Db(sqlx::Error::Io(_)) => Self::Unavailable,
            StoreError::Db(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => {
                Self::Validation(ValidationErrors::single("", "a referenced record does not exist"))
            }
            other => {
                // Store errors never carry personal values: ids and SQL messages only.
                tracing::error!(error = %other, "store error");
                Self::Internal(other.to_string())
            }
        }
    }
}

impl ServiceError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(ValidationErrors::single(field, message))
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;
