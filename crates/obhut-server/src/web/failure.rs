//! Errors of a page handler by conversion: a handler returns [`PageResult`], and `?` on a
//! service result (through [`OrFail::or_fail`]) answers with the error page in the layout and
//! language of the signed-in user, as `IntoResponse` does for the JSON API's problems.

use super::session::Web;
use crate::error::ServiceError;
use axum::response::{IntoResponse, Response};

/// A page that could not be shown, already rendered: the error page for a service error.
#[derive(Debug)]
pub struct Failure(Box<Response>);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// What a page handler answers: the page, or the page that says why not.
pub type PageResult = Result<Response, Failure>;

/// Turns a service's refusal into the error page of the user asking.
pub trait OrFail<T> {
    fn or_fail(self, web: &Web) -> Result<T, Failure>;
}

impl<T> OrFail<T> for Result<T, ServiceError> {
    fn or_fail(self, web: &Web) -> Result<T, Failure> {
        self.map_err(|e| web.failure(e))
    }
}

impl Web {
    /// The error page for a service error, as the `Err` of a [`PageResult`].
    pub fn failure(&self, e: ServiceError) -> Failure {
        Failure(Box::new(self.fail(e)))
    }
}
