//! Use cases: the rules that need state and transactions. Each call opens one
//! transaction, so a change and its side records commit or vanish together.
//! Speaks domain types; knows nothing of gRPC or SQL.

mod housekeeping;
mod resources;

pub use housekeeping::REQUEST_ID_RETENTION;
pub use resources::{Call, ListRequest, ListResult, Resources};

use crate::domain::channel::Channel;
use crate::domain::customer::Customer;
use crate::domain::listing::PageTokens;
use crate::domain::resource::Timestamp;
use crate::error::Error;
use crate::store::{self, Store};

/// Every use case of the service, sharing one store.
#[derive(Clone)]
pub struct Services {
    pub customers: Resources<Customer>,
    pub channels: Resources<Channel>,
    store: Store,
}

impl Services {
    /// Builds the use cases over a migrated store.
    pub async fn new(store: Store) -> Result<Self, Error> {
        let tokens = PageTokens::new(store::page_token_key(&store).await?);
        Ok(Services {
            customers: Resources::new(store.clone(), tokens.clone()),
            channels: Resources::new(store.clone(), tokens),
            store,
        })
    }

    /// Runs the periodic clean-up as of `now`; returns how many records went.
    pub async fn housekeeping(&self, now: Timestamp) -> Result<u64, Error> {
        housekeeping::forget_old_requests(&self.store, now).await
    }

    /// Whether storage answers, for health reporting.
    pub async fn check_storage(&self) -> Result<(), Error> {
        self.store.ping().await
    }
}
