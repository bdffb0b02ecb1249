//! The BFF's big-folder routes: `api/list/v1/{path}` (a Vault LIST, kept briefly and cut
//! into pages) and `api/search/v1/{path}` (sub-folders searched, streamed as lines).

use super::{encode_query_value, encode_vault_path};
use serde::{Deserialize, Serialize};

/// How a listing's filter matches a key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Match {
    Prefix,
    #[default]
    Contains,
}

/// One page of a folder's keys, folders first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ListingPage {
    /// Keys matching the filter.
    pub total: usize,
    /// How many of those are folders.
    pub folders: usize,
    /// Keys in the folder, filter or not.
    pub unfiltered: usize,
    pub offset: usize,
    pub keys: Vec<String>,
    /// How long the BFF took to answer, Vault included.
    pub took_ms: u64,
}

/// One line of a search's stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchEvent {
    /// A key whose path (relative to the searched folder) contains the text.
    Match(String),
    Progress(SearchProgress),
    /// The last line: how it went and why it stopped.
    Done(SearchDone),
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchProgress {
    pub folders: usize,
    /// Folders the token may not list (counted, not entered).
    pub denied: usize,
    pub matches: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchDone {
    pub matches: usize,
    pub folders: usize,
    pub denied: usize,
    pub stopped: StopReason,
    pub took_ms: u64,
}

/// Why a search ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Everything within the depth was searched.
    Complete,
    /// Deeper folders were not searched.
    Depth,
    /// The result limit was reached.
    Limit,
    /// The time limit was reached.
    Time,
}

/// What to ask of a folder listing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PageRequest<'a> {
    pub offset: usize,
    pub limit: usize,
    pub filter: &'a str,
    pub how: Match,
    /// Ask Vault again instead of using a listing kept from moments ago.
    pub refresh: bool,
}

/// The URLs of these routes, relative to the app's base; `vault_path` is the folder's API
/// path as names are (e.g. `kv/metadata/team a/`), encoded here by `encode_vault_path`.
pub mod urls {
    use super::*;

    pub fn list_page(vault_path: &str, page: &PageRequest<'_>) -> Result<String, String> {
        let how = match page.how {
            Match::Prefix => "prefix",
            Match::Contains => "contains",
        };
        let mut url = format!(
            "api/list/v1/{}?offset={}&limit={}&filter={}&match={how}",
            encode_vault_path(vault_path)?,
            page.offset,
            page.limit,
            encode_query_value(page.filter)
        );
        if page.refresh {
            url.push_str("&refresh=true");
        }
        Ok(url)
    }

    pub fn search(
        vault_path: &str,
        text: &str,
        depth: usize,
        limit: usize,
        seconds: u64,
    ) -> Result<String, String> {
        Ok(format!(
            "api/search/v1/{}?q={}&depth={depth}&limit={limit}&seconds={seconds}",
            encode_vault_path(vault_path)?,
            encode_query_value(text)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_lines_read_as_events() {
        let event: SearchEvent = serde_json::from_str(r#"{"match":"a/b"}"#).unwrap();
        assert_eq!(event, SearchEvent::Match("a/b".into()));
        let done: SearchEvent = serde_json::from_str(
            r#"{"done":{"matches":1,"folders":2,"denied":0,"stopped":"depth","took_ms":5}}"#,
        )
        .unwrap();
        assert!(matches!(
            done,
            SearchEvent::Done(SearchDone {
                stopped: StopReason::Depth,
                ..
            })
        ));
    }

    #[test]
    fn urls_keep_filters_in_one_value() {
        let page = PageRequest {
            offset: 200,
            limit: 200,
            filter: "a&b c",
            how: Match::Prefix,
            refresh: true,
        };
        assert_eq!(
            urls::list_page("kv/metadata/", &page).unwrap(),
            "api/list/v1/kv/metadata/?offset=200&limit=200&filter=a%26b%20c&match=prefix&refresh=true"
        );
    }
}
