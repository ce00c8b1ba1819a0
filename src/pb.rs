//! The generated contract: messages, clients and servers of `crm.v1`, and
//! the encoded descriptor set (with comments) served by reflection.

#![allow(missing_docs, clippy::all, clippy::pedantic)]

tonic::include_proto!("crm.v1");

/// Every file of proto/ and its imports, comments included.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("crm_descriptor");
