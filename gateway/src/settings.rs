//! Settings from a file, under the command line and the environment: defaults, then the file
//! (`--config`, `APP_CONFIG`, or `marketplace.toml` in the working folder when present), then
//! `APP_...` variables and flags. Secrets (the database URL) are never printed.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use crate::runtime::RuntimeConfig;

/// The file read when none is named and it exists.
pub const DEFAULT_FILE: &str = "marketplace.toml";

/// What a settings file may set; every key is optional.
#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    /// The data folder.
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL URL.
    pub database_url: Option<String>,
    /// Address to listen on.
    pub listen: Option<String>,
    /// Redis for edge nodes and shared sessions (`REDIS_URL` overrides).
    pub redis_url: Option<String>,
    /// The namespace of the market's keys in Redis.
    pub redis_namespace: Option<String>,
    /// The engine task.
    #[serde(default)]
    pub engine: EngineSettings,
}

/// The engine task's settings in a file.
#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EngineSettings {
    /// Queue length before callers are told the marketplace is overloaded.
    pub queue: Option<usize>,
    /// Most commands per fsync.
    pub max_batch: Option<usize>,
    /// Commands between snapshots.
    pub snapshot_every: Option<u64>,
}

impl FileSettings {
    /// Reads `path`, or the default file if it exists, or nothing.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let path = match path {
            Some(path) => path.to_path_buf(),
            None if Path::new(DEFAULT_FILE).exists() => PathBuf::from(DEFAULT_FILE),
            None => return Ok(Self::default()),
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("reading settings from {}", path.display()))
    }

    /// The engine task's settings, the file's over the defaults.
    pub fn runtime(&self) -> RuntimeConfig {
        let defaults = RuntimeConfig::default();
        RuntimeConfig {
            queue: self.engine.queue.unwrap_or(defaults.queue),
            max_batch: self.engine.max_batch.unwrap_or(defaults.max_batch),
            snapshot_every: self.engine.snapshot_every.unwrap_or(defaults.snapshot_every),
            ..defaults
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_settings_file_sets_what_it_names_and_refuses_unknown_keys() {
        let file: FileSettings = toml::from_str(
            "data_dir = \"/var/lib/market\"\nlisten = \"0.0.0.0:80\"\n[engine]\nmax_batch = 64\n",
        )
        .unwrap();
        assert_eq!(file.data_dir, Some(PathBuf::from("/var/lib/market")));
        assert_eq!(file.runtime().max_batch, 64);
        assert_eq!(file.runtime().queue, RuntimeConfig::default().queue);
        assert!(toml::from_str::<FileSettings>("listne = \"x\"").is_err());
    }
}
