//! Paging shared by list endpoints (`?limit=&offset=`). Query structs list `limit` and `offset`
//! themselves: `#[serde(flatten)]` breaks number parsing in query strings.

use crate::store::PageRequest;

/// The store's page request for `limit` (default 50, 1..=1000) and `offset` (default 0).
pub fn page_request(limit: Option<u32>, offset: Option<u32>) -> PageRequest {
    PageRequest {
        limit: limit
            .unwrap_or(PageRequest::default().limit)
            .clamp(1, PageRequest::MAX_LIMIT),
        offset: offset.unwrap_or(0),
    }
}
