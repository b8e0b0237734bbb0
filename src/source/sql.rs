//! What the SQL kinds share: [`guard`] (one statement per query, and no statement that writes
//! unless `--allow-writes`, checked in each server's own dialect before anything is sent).
//!
//! Below it, what the SQL server kinds (`postgres`, `mysql`) share beyond the
//! [`server`](super::server) layer: [`text`] (text-protocol values to
//! [`Cell`](crate::value::Cell)s) and [`errors`] (short, password-free messages from sqlx's
//! errors, sorted into transient and final).

pub mod errors;
pub mod guard;
pub mod text;

pub use guard::{Dialect, check};
