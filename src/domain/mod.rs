//! The customer-relationship domain in plain Rust: types that only hold valid
//! values, and the rules and formulas over them. No IO, no async, no tonic, no
//! sea-orm: everything here is unit-tested without a runtime.

#[macro_use]
mod closed_enum;

pub mod business_time;
pub mod calendar;
pub mod channel;
pub mod complaint;
pub mod customer;
pub mod event;
pub mod filter;
pub mod input;
pub mod listing;
pub mod money;
pub mod patch;
pub mod purchase;
pub mod resource;
pub mod service_level;
pub mod text;

pub use closed_enum::ClosedEnum;
