//! crm: the system of record for an organisation's relationship with its
//! customers, served over gRPC. See ARCHITECTURE.md for the map.

pub mod app;
pub mod domain;
pub mod error;
pub mod grpc;
pub mod nats;
pub mod pb;
pub mod settings;
pub mod store;
pub mod usecases;
