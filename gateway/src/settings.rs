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
    /// The sealing key file of inquiry quotes, outside the data folder.
    pub sealing_key_file: Option<PathBuf>,
    /// The token signing key file, the same for every node of a market.
    pub token_key_file: Option<PathBuf>,
    /// The engine task.
    #[serde(default)]
    pub engine: EngineSettings,
    /// Thresholds of the early warnings (rules P-1 to P-5).
    #[serde(default)]
    pub analytics: AnalyticsSettings,
    /// Limits against a hostile participant (rule U-5).
    #[serde(default)]
    pub limits: LimitSettings,
}

/// Request rates and queue shares in a file; each defaults to `crate::http::LimitsConfig`'s.
#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    /// Requests per second from one address.
    pub requests_per_second: Option<u32>,
    /// Requests one address may make at once above the rate.
    pub request_burst: Option<u32>,
    /// Commands per second from one participant.
    pub commands_per_second: Option<u32>,
    /// Commands one participant may send at once above the rate.
    pub command_burst: Option<u32>,
    /// Commands one participant may have waiting for the engine at once.
    pub in_flight: Option<usize>,
    /// Live connections one participant may hold open at once.
    pub sockets_per_participant: Option<usize>,
}

/// Thresholds of the early warnings in a file, in the units an officer uses; each defaults to
/// `engine::analytics::Thresholds::default()`, where the reasons for the defaults are written.
#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AnalyticsSettings {
    /// Days of trades a reference price spans.
    pub window_days: Option<i64>,
    /// Fewest prices before prices are judged.
    pub min_samples: Option<usize>,
    /// A trade this many percent above the upper quartile is abnormal.
    pub high_margin_percent: Option<i64>,
    /// A bid this many percent below the lower quartile is abnormally low.
    pub low_margin_percent: Option<i64>,
    /// The public-tender threshold, yuan, such as "4000000.00".
    pub tender_threshold: Option<String>,
    /// Days within which orders passing the direct-order limit count as split.
    pub split_window_days: Option<i64>,
    /// Bids within this many basis points count as near-identical.
    pub identical_basis_points: Option<i64>,
    /// Auctions in a row that make a rotation.
    pub rotation_auctions: Option<usize>,
    /// Fewest bidders a deal should have had.
    pub min_bidders: Option<u32>,
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

    /// The early warnings' thresholds, the file's over the defaults.
    pub fn thresholds(&self) -> anyhow::Result<engine::analytics::Thresholds> {
        let d = engine::analytics::Thresholds::default();
        let a = &self.analytics;
        let tender_threshold = match a.tender_threshold.as_deref() {
            Some(text) => engine::types::Amount::parse(text)
                .map_err(|e| anyhow::anyhow!("analytics.tender_threshold: {e}"))?,
            None => d.tender_threshold,
        };
        Ok(engine::analytics::Thresholds {
            window_days: a.window_days.unwrap_or(d.window_days),
            min_samples: a.min_samples.unwrap_or(d.min_samples),
            high_margin_bp: a.high_margin_percent.map_or(d.high_margin_bp, |p| p * 100),
            low_margin_bp: a.low_margin_percent.map_or(d.low_margin_bp, |p| p * 100),
            tender_threshold,
            split_window_days: a.split_window_days.unwrap_or(d.split_window_days),
            identical_bp: a.identical_basis_points.unwrap_or(d.identical_bp),
            rotation_auctions: a.rotation_auctions.unwrap_or(d.rotation_auctions),
            min_bidders: a.min_bidders.unwrap_or(d.min_bidders),
        })
    }

    /// The limits, the file's over the defaults.
    pub fn limits(&self) -> crate::http::LimitsConfig {
        let defaults = crate::http::LimitsConfig::default();
        let l = &self.limits;
        crate::http::LimitsConfig {
            requests_per_second: l.requests_per_second.unwrap_or(defaults.requests_per_second),
            request_burst: l.request_burst.unwrap_or(defaults.request_burst),
            commands_per_second: l.commands_per_second.unwrap_or(defaults.commands_per_second),
            command_burst: l.command_burst.unwrap_or(defaults.command_burst),
            in_flight: l.in_flight.unwrap_or(defaults.in_flight),
            sockets_per_participant: l
                .sockets_per_participant
                .unwrap_or(defaults.sockets_per_participant),
        }
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
        let file: FileSettings = toml::from_str("[limits]\nsockets_per_participant = 4\n").unwrap();
        assert_eq!(file.limits().sockets_per_participant, 4);
        assert_eq!(file.limits().in_flight, crate::http::LimitsConfig::default().in_flight);
    }
}
