//! `GET api/list/v1/{path}`: a Vault LIST in pages, and `GET api/search/v1/{path}`: a
//! search through sub-folders, streamed as it goes.

use crate::{
    error::ApiError,
    listing_cache::{filtered, sort_folders_first, Match},
    session::CurrentSession,
    state::AppState,
    vault::VaultToken,
    vault_path::{encode_segment, VaultPath},
};
use axum::{
    body::Body,
    extract::{OriginalUri, Query, State},
    http::header,
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use std::{
    collections::VecDeque,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::mpsc;
use tokio_stream::StreamExt as _;
use vaultdeck_app::wire::listing::{
    ListingPage, SearchDone, SearchEvent, SearchProgress, StopReason,
};

#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    offset: usize,
    #[serde(default = "default_limit")]
    limit: usize,
    #[serde(default)]
    filter: String,
    #[serde(default = "default_match", rename = "match")]
    how: Match,
    /// Ask Vault again even if a recent listing is kept.
    #[serde(default)]
    refresh: bool,
}

fn default_limit() -> usize {
    200
}

fn default_match() -> Match {
    Match::Contains
}

const MAX_PAGE: usize = 1000;

/// The Vault path after `prefix`, as a folder (ending in `/`), percent-encoded one way
/// (`%62ig` is `big`): it names the folder in the listing cache.
fn folder_path(uri: &axum::http::Uri, prefix: &str) -> Result<String, ApiError> {
    let path = uri.path().strip_prefix(prefix).ok_or(ApiError::NotFound)?;
    let folder = if path.ends_with('/') {
        path.to_string()
    } else {
        format!("{path}/")
    };
    Ok(VaultPath::parse(&folder)?.encoded())
}

/// LISTs a folder in Vault: its keys, or none (Vault answers an empty LIST with 404).
async fn list_in_vault(
    state: &AppState,
    token: Option<&VaultToken>,
    folder: &str,
) -> Result<Vec<String>, ApiError> {
    state.vault.list(token, folder).await
}

pub async fn list_page(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let folder = folder_path(&uri, &state.api_prefix("list/v1/"))?;
    let token = session.as_ref().map(|s| &s.record.token);
    // Per session: what one user may list says nothing about another.
    let owner = session
        .as_ref()
        .map(|s| s.id.storage_key())
        .unwrap_or_else(|| "anonymous".into());
    let cache_key = format!("{owner}\n{folder}");
    if query.refresh {
        state.listings.forget(&cache_key);
    }
    let started = Instant::now();
    let keys = match state.listings.get(&cache_key) {
        Some(keys) => keys,
        None => {
            let mut keys = list_in_vault(&state, token, &folder).await?;
            sort_folders_first(&mut keys);
            let keys = Arc::new(keys);
            state.listings.put(cache_key, keys.clone());
            keys
        }
    };
    let matching = filtered(&keys, &query.filter, query.how);
    let limit = query.limit.clamp(1, MAX_PAGE);
    let page: Vec<&str> = matching
        .iter()
        .skip(query.offset)
        .take(limit)
        .copied()
        .collect();
    let body = ListingPage {
        total: matching.len(),
        folders: matching.iter().filter(|k| k.ends_with('/')).count(),
        unfiltered: keys.len(),
        offset: query.offset,
        keys: page.into_iter().map(str::to_string).collect(),
        took_ms: started.elapsed().as_millis() as u64,
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

#[derive(Deserialize)]
pub struct SearchQuery {
    q: String,
    #[serde(default = "default_depth")]
    depth: usize,
    #[serde(default = "default_results")]
    limit: usize,
    #[serde(default = "default_seconds")]
    seconds: u64,
}

fn default_depth() -> usize {
    6
}
fn default_results() -> usize {
    500
}
fn default_seconds() -> u64 {
    15
}

/// How many searches run at once, across every user. Each one LISTs folder after folder for
/// up to a minute, outside the request timeout, holding one of the connections to Vault at a
/// time: left unbounded, searches alone could hold every connection.
const MOST_SEARCHES: usize = 8;
static SEARCHES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(MOST_SEARCHES);

/// Bounds no request may exceed.
const MAX_DEPTH: usize = 20;
const MAX_RESULTS: usize = 5000;
const MAX_SECONDS: u64 = 60;

/// Searches `path` and its sub-folders (breadth first) for keys whose path contains `q`,
/// streaming one JSON object per line: `{"match": "a/b/c"}` as found, `{"progress": …}`
/// now and then, and `{"done": …}` with why it stopped. Folders the token may not LIST are
/// counted, not entered. Closing the connection stops the search.
pub async fn search_folders(
    State(state): State<AppState>,
    CurrentSession(session): CurrentSession,
    OriginalUri(uri): OriginalUri,
    Query(query): Query<SearchQuery>,
) -> Result<Response, ApiError> {
    let root = folder_path(&uri, &state.api_prefix("search/v1/"))?;
    if query.q.trim().is_empty() {
        return Err(ApiError::BadRequest("a search needs some text (q)".into()));
    }
    let bounds = Bounds {
        needle: query.q.trim().to_lowercase(),
        depth: query.depth.clamp(1, MAX_DEPTH),
        limit: query.limit.clamp(1, MAX_RESULTS),
        deadline: Duration::from_secs(query.seconds.clamp(1, MAX_SECONDS)),
    };
    let running = SEARCHES.try_acquire().map_err(|_| {
        ApiError::Unavailable("Other searches are running; try again in a few seconds.".into())
    })?;
    // The first LIST answers before streaming starts, so a refusal is a proper status.
    let first = list_in_vault(&state, session.as_ref().map(|s| &s.record.token), &root).await?;
    let (lines, receiver) = mpsc::channel::<String>(64);
    let token = session.map(|s| s.record.token.clone());
    tokio::spawn(async move {
        search(state, token, root, first, bounds, lines).await;
        drop(running);
    });
    let stream = tokio_stream::wrappers::ReceiverStream::new(receiver)
        .map(|line| Ok::<_, std::convert::Infallible>(format!("{line}\n")));
    Response::builder()
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::from_stream(stream))
        .map_err(|e| ApiError::Internal(e.to_string()))
}

struct Bounds {
    needle: String,
    depth: usize,
    limit: usize,
    deadline: Duration,
}

async fn search(
    state: AppState,
    token: Option<VaultToken>,
    root: String,
    first: Vec<String>,
    bounds: Bounds,
    lines: mpsc::Sender<String>,
) {
    let started = Instant::now();
    let give_up = started + bounds.deadline + READ_GRACE;
    let mut progress = SearchProgress {
        folders: 1,
        ..SearchProgress::default()
    };
    // (path relative to the root, depth, its keys once listed)
    let mut queue: VecDeque<(String, usize, Option<Vec<String>>)> =
        VecDeque::from([(String::new(), 1, Some(first))]);
    let mut reason = StopReason::Complete;
    'walk: while let Some((relative, depth, listed)) = queue.pop_front() {
        if started.elapsed() > bounds.deadline {
            reason = StopReason::Time;
            break;
        }
        let keys = match listed {
            Some(keys) => keys,
            None => match list_in_vault(
                &state,
                token.as_ref(),
                &format!("{root}{}", encoded(&relative)),
            )
            .await
            {
                Ok(keys) => {
                    progress.folders += 1;
                    keys
                }
                Err(_) => {
                    progress.denied += 1;
                    continue;
                }
            },
        };
        for key in keys {
            let path = format!("{relative}{key}");
            if key.ends_with('/') {
                if depth < bounds.depth {
                    queue.push_back((path.clone(), depth + 1, None));
                } else if reason == StopReason::Complete {
                    reason = StopReason::Depth;
                }
            }
            if path.to_lowercase().contains(&bounds.needle) {
                progress.matches += 1;
                if !send(&lines, SearchEvent::Match(path), give_up).await {
                    return; // the browser went away: stop asking Vault
                }
                if progress.matches >= bounds.limit {
                    reason = StopReason::Limit;
                    break 'walk;
                }
            }
        }
        if progress.folders.is_multiple_of(25)
            && !send(&lines, SearchEvent::Progress(progress.clone()), give_up).await
        {
            return;
        }
    }
    let done = SearchDone {
        matches: progress.matches,
        folders: progress.folders,
        denied: progress.denied,
        stopped: reason,
        took_ms: started.elapsed().as_millis() as u64,
    };
    send(&lines, SearchEvent::Done(done), give_up).await;
}

/// A folder path made of Vault's keys (names, `a%41/b c/`) as URL text to follow `root`.
fn encoded(relative: &str) -> String {
    relative
        .split_inclusive('/')
        .map(|folder| format!("{}/", encode_segment(folder.trim_end_matches('/'))))
        .collect()
}

/// How long past its deadline a search waits for the browser to take its last lines.
const READ_GRACE: Duration = Duration::from_secs(10);

/// Sends one line; whether the browser is still there to read it. A browser that stops
/// reading (the lines queued, the connection open) is given up on at `give_up`: the search
/// does not wait for it, with its token, for as long as the connection lasts.
async fn send(lines: &mpsc::Sender<String>, event: SearchEvent, give_up: Instant) -> bool {
    let line = serde_json::to_string(&event).expect("search events serialize");
    let sent = tokio::time::timeout_at(give_up.into(), lines.send(line)).await;
    matches!(sent, Ok(Ok(())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_browser_that_stops_reading_is_given_up_on() {
        let (lines, _unread) = mpsc::channel(1);
        let give_up = Instant::now() + Duration::from_millis(50);
        let event = || SearchEvent::Progress(SearchProgress::default());
        assert!(send(&lines, event(), give_up).await, "one line is queued");
        assert!(
            !send(&lines, event(), give_up).await,
            "the queue is full and nobody reads"
        );
    }
}
