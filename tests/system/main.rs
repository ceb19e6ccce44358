//! System tests of the marketplace node.

mod after_award;
mod api;
mod auction_restart;
mod crash;
mod demo_history;
mod edge;
mod failover;
mod helpers;
mod inquiry_sealing;
mod journal_files;
mod logins;
mod markets;
mod nats;
mod outage;
mod persistence;
mod prices_restart;
mod production;
mod publication;
mod security_log;
mod statistics;
