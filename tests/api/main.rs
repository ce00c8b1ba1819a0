//! The integration suite: each test starts the real server on port 0 with a
//! fresh database and calls it through the generated clients. Every test in
//! `db_tests!` runs on SQLite and, when CRM_TEST_POSTGRES_URL is set, on
//! PostgreSQL too (a fresh database per test).

#[macro_use]
mod support;

mod analysis;
mod calendars;
mod channels;
mod complaints;
mod customer_batches;
mod customers;
mod events;
mod housekeeping;
mod layering;
mod leases;
mod lifecycle;
mod listing;
mod lookup;
mod migrations;
mod mutations;
mod purchases;
mod registration;
mod relay;
mod rows;
mod server;
mod service_levels;
mod snapshots;
mod streams;
mod summaries;
mod targets;
