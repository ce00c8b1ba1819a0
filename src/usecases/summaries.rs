//! Segment summaries of customers (SummarizeCustomers): one read
//! transaction, one grouped query in the store, the totals and shares put
//! together in the domain. Nothing is written.

use crate::domain::customer::summary::{self, MAX_GROUPS, Summary, SummaryQuery};
use crate::error::Error;
use crate::store::{self, Store};

/// Customer counts and net purchase value by segment.
#[derive(Clone)]
pub struct CustomerSummaries {
    store: Store,
}

impl CustomerSummaries {
    pub(super) fn new(store: Store) -> Self {
        CustomerSummaries { store }
    }

    /// The summary of `query`, read in one snapshot. More than
    /// [`MAX_GROUPS`] groups is refused rather than answered in part.
    pub async fn summarize(&self, query: &SummaryQuery) -> Result<Summary, Error> {
        let tx = self.store.read().await?;
        // One group beyond the limit tells that the limit is passed.
        let sums = store::summarize_customers(&tx, query, MAX_GROUPS as u64 + 1).await?;
        if sums.len() > MAX_GROUPS {
            return Err(Error::LimitReached {
                reason: "TOO_MANY_GROUPS",
                description: format!(
                    "more than {MAX_GROUPS} groups; narrow the filter or group by fewer fields"
                ),
            });
        }
        summary::summarize(&query.currency_code, sums)
    }
}
