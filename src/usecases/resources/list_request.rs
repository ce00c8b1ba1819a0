//! List requests: every parameter checked against the list's schema at
//! once, and the page token decoded for exactly the request it was issued
//! for.

use crate::domain::filter::{self, Filter, Schema};
use crate::domain::listing::{self, Cursor, OrderBy, Orderable, PageTokens};
use crate::domain::resource::Resource;
use crate::error::{Error, Violations};

/// A list request as received, before validation.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    pub filter: String,
    pub order_by: String,
    pub page_size: i32,
    pub page_token: String,
    pub show_deleted: bool,
}

/// A list request after validation, with what its page tokens are bound to.
pub(in crate::usecases) struct ListParams {
    pub filter: Option<Filter>,
    pub order: OrderBy,
    pub page_size: u64,
    pub after: Option<Cursor>,
    pub binding: String,
}

impl ListRequest {
    /// Checks every list parameter against the list's schema, reporting all
    /// bad ones at once, and decodes the page token for this exact request
    /// (`collection` names the listed collection, parent included).
    pub(in crate::usecases) fn validate(
        &self,
        collection: &str,
        schema: &Schema,
        orderable: Orderable,
        tokens: &PageTokens,
    ) -> Result<ListParams, Error> {
        let mut v = Violations::new();
        let filter = v.check(
            "filter",
            filter::parse(&self.filter, schema).map_err(|e| e.message),
        );
        let order = v.check("order_by", OrderBy::parse(&self.order_by, orderable));
        let page_size = v.check("page_size", listing::page_size(self.page_size));
        let (Some(filter), Some(order), Some(page_size)) = (filter, order, page_size) else {
            return Err(v.into_error());
        };
        let binding = listing::binding(collection, &self.filter, &order, self.show_deleted);
        let after = match self.page_token.as_str() {
            "" => None,
            token => Some(
                tokens
                    .decode(token, &binding)
                    .map_err(|description| Error::invalid("page_token", description))?,
            ),
        };
        Ok(ListParams {
            filter,
            order,
            page_size,
            after,
            binding,
        })
    }
}

#[derive(Debug, Clone)]
pub struct ListResult<T> {
    pub items: Vec<Resource<T>>,
    /// Empty on the last page.
    pub next_page_token: String,
}
