//! What one query's Flink calls share: the DLI client, the `[flink]` settings and the
//! warnings gathered for the client.

use std::sync::Mutex;

use crate::dli::DliClient;
use crate::errors::Notice;

use super::config::FlinkConfig;

/// What one query's Flink calls need: the client, the settings, and where warnings go.
#[derive(Debug)]
pub struct FlinkRun {
    pub client: DliClient,
    pub cfg: FlinkConfig,
    pub(super) notices: Mutex<Vec<Notice>>,
}

impl FlinkRun {
    pub fn notice(&self, n: Notice) {
        if let Ok(mut v) = self.notices.lock() {
            v.push(n);
        }
    }

    /// The warnings gathered so far (taken).
    pub fn take_notices(&self) -> Vec<Notice> {
        self.notices
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }
}
