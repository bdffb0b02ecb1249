//! One cluster for all the tests of a test binary: it starts with the first test that asks
//! for it and stops when the last one lets go (also when a test panics), so a file of tests
//! pays the start-up once and leaves no processes or directories behind. Tests keep apart by
//! using namespaces of their own. The first caller's options decide how it starts.

use crate::{Options, TestCluster};
use anyhow::Result;
use std::sync::{Arc, Mutex};

struct Slot {
    cluster: Option<Arc<TestCluster>>,
    users: usize,
}

static SLOT: Mutex<Slot> = Mutex::new(Slot {
    cluster: None,
    users: 0,
});
/// Serialises starting, so that two tests do not start two clusters.
static STARTING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A test's hold on the shared cluster.
pub struct SharedCluster(Arc<TestCluster>);

impl std::ops::Deref for SharedCluster {
    type Target = TestCluster;
    fn deref(&self) -> &TestCluster {
        &self.0
    }
}

impl Drop for SharedCluster {
    fn drop(&mut self) {
        let last = {
            let mut slot = SLOT.lock().unwrap_or_else(|e| e.into_inner());
            slot.users -= 1;
            if slot.users == 0 {
                slot.cluster.take()
            } else {
                None
            }
        };
        // The cluster stops when this guard's own reference goes, right after.
        drop(last);
    }
}

/// The shared cluster, started with `options` if it is not running.
pub async fn shared(options: Options) -> Result<SharedCluster> {
    let _starting = STARTING.lock().await;
    {
        let mut slot = SLOT.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(cluster) = &slot.cluster {
            let cluster = cluster.clone();
            slot.users += 1;
            return Ok(SharedCluster(cluster));
        }
    }
    let cluster = Arc::new(TestCluster::start_with(options).await?);
    let mut slot = SLOT.lock().unwrap_or_else(|e| e.into_inner());
    slot.cluster = Some(cluster.clone());
    slot.users += 1;
    Ok(SharedCluster(cluster))
}
