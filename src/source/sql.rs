//! What the SQL kinds share: [`guard`] (one statement per query, and no statement that writes
//! unless `--allow-writes`, checked in each server's own dialect before anything is sent).
//!
//! Below it, what the server kinds (`postgres`, `mysql`) share: [`session`] (the idle pool and
//! the server-side cancel fired when a run is dropped), [`text`] (text-protocol values to
//! [`Cell`](crate::value::Cell)s) and [`errors`] (short, password-free messages).

pub mod errors;
pub mod guard;
pub mod session;
pub mod text;

pub use guard::{Dialect, check};
