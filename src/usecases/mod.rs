//! Use cases: the rules that need state and transactions. Each call opens one
//! transaction, so a change and its side records commit or vanish together.
//! Speaks domain types; knows nothing of gRPC or SQL.

mod resources;

pub use resources::{Call, ListRequest, ListResult, Resources};

use crate::domain::channel::Channel;
use crate::domain::customer::Customer;
use crate::domain::listing::PageTokens;
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

    /// Whether storage answers, for health reporting.
    pub async fn check_storage(&self) -> Result<(), Error> {
        self.store.ping().await
    }
}
