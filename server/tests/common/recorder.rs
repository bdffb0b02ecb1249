//! A recording HTTP server for the security tests: it keeps every request it receives, and
//! either forwards it to a real server (a transparent proxy that lets a test see what the
//! BFF or Vault sent) or answers with a fixed response (a stranger's server, or a slow one
//! — failure injection no real part can produce).

use axum::{body::Bytes, extract::Request, http::StatusCode, response::Response, Router};
use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// The request target as received: path and query, still percent-encoded.
    pub target: String,
    pub authorization: Option<String>,
    pub vault_token: Option<String>,
    pub body: String,
}

/// What the recorder does with a request.
#[derive(Clone)]
pub enum Behaviour {
    /// Forward to this base URL (with `strip` removed from the path first), trusting `ca`.
    Forward {
        to: String,
        strip: String,
        ca_pem: Option<String>,
    },
    /// Forward like `Forward` (nothing stripped), but hold the answer to every request whose
    /// target contains `held` for `delay`: a server that stalls, say, a TokenReview.
    ForwardHolding {
        to: String,
        ca_pem: Option<String>,
        held: String,
        delay: Duration,
    },
    /// Wait, then answer with this status and JSON body.
    Answer {
        status: u16,
        body: String,
        delay: Duration,
    },
    /// Answer every request with a `307 Temporary Redirect` to `location` (what a Vault
    /// standby without request forwarding does, pointing at whatever it was told).
    Redirect { location: String },
}

#[derive(Default)]
struct Counters {
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
}

pub struct Recorder {
    pub url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl Recorder {
    pub async fn start(behaviour: Behaviour) -> Recorder {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let counters = Arc::new(Counters::default());
        let client = match &behaviour {
            Behaviour::Forward {
                ca_pem: Some(ca), ..
            }
            | Behaviour::ForwardHolding {
                ca_pem: Some(ca), ..
            } => reqwest::Client::builder()
                .add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).unwrap())
                .build()
                .unwrap(),
            _ => reqwest::Client::new(),
        };
        let (kept, counted) = (requests.clone(), counters.clone());
        let app = Router::new().fallback(move |request: Request| {
            let (kept, counted, behaviour, client) = (
                kept.clone(),
                counted.clone(),
                behaviour.clone(),
                client.clone(),
            );
            async move { handle(request, kept, counted, behaviour, client).await }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Recorder {
            url,
            requests,
            counters,
            task,
        }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// The most requests that were being answered at the same time.
    pub fn most_in_flight(&self) -> usize {
        self.counters.most_in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(
    request: Request,
    kept: Arc<Mutex<Vec<Recorded>>>,
    counters: Arc<Counters>,
    behaviour: Behaviour,
    client: reqwest::Client,
) -> Response {
    let now = counters.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    counters.most_in_flight.fetch_max(now, Ordering::SeqCst);
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    kept.lock().unwrap().push(Recorded {
        method: parts.method.to_string(),
        target: target.clone(),
        authorization: header("authorization"),
        vault_token: header("x-vault-token"),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let response = match behaviour {
        Behaviour::Answer {
            status,
            body,
            delay,
        } => {
            tokio::time::sleep(delay).await;
            Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body))
                .unwrap()
        }
        Behaviour::Redirect { location } => Response::builder()
            .status(StatusCode::TEMPORARY_REDIRECT)
            .header("location", location)
            .body(axum::body::Body::empty())
            .unwrap(),
        Behaviour::Forward { to, strip, .. } => {
            let Some(rest) = target.strip_prefix(&strip) else {
                return finish(&counters, not_found());
            };
            forward(&client, &parts, &format!("{to}{rest}"), body).await
        }
        Behaviour::ForwardHolding {
            to, held, delay, ..
        } => {
            let answer = forward(&client, &parts, &format!("{to}{target}"), body).await;
            if target.contains(&held) {
                tokio::time::sleep(delay).await;
            }
            answer
        }
    };
    finish(&counters, response)
}

fn finish(counters: &Counters, response: Response) -> Response {
    counters.in_flight.fetch_sub(1, Ordering::SeqCst);
    response
}

fn not_found() -> Response {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .body(axum::body::Body::from("not under the forwarded prefix"))
        .unwrap()
}

async fn forward(
    client: &reqwest::Client,
    parts: &axum::http::request::Parts,
    url: &str,
    body: Bytes,
) -> Response {
    let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes()).unwrap();
    let mut outgoing = client.request(method, url).body(body);
    for name in ["authorization", "x-vault-token", "content-type", "accept"] {
        if let Some(value) = parts.headers.get(name) {
            outgoing = outgoing.header(name, value.as_bytes());
        }
    }
    let answer = outgoing.send().await.unwrap();
    let status = answer.status().as_u16();
    let content_type = answer
        .headers()
        .get("content-type")
        .map(|v| v.as_bytes().to_vec());
    let bytes = answer.bytes().await.unwrap_or_default();
    let mut response = Response::builder().status(status);
    if let Some(content_type) = content_type {
        response = response.header("content-type", content_type);
    }
    response.body(axum::body::Body::from(bytes)).unwrap()
}
