//! Live feeds over WebSocket (docs/DESIGN.md, Runtime and Interfaces): the hub turns released (durable) events into
//! per-topic views and fans them out; each message carries its topic, the engine sequence and a
//! gap-free per-topic counter. A subscriber that falls behind is told it lagged and sent a fresh
//! snapshot; it never slows the engine or other subscribers, since every topic is a bounded
//! broadcast and every client has its own send task.
//!
//! Topics: `offers:<product>` and `trades:<category>` for anyone logged in; `budget:<purchaser>`
//! and `orders:<purchaser>` for that purchasing unit only; `auction:<id>` and `inquiry:<id>` for
//! those the deal's room admits.

mod hub;
mod socket;
mod topic;

pub use hub::MAX_SOCKETS_PER_PARTICIPANT;
pub use hub::{Delivery, Hub};
pub use socket::{MAX_CLIENT_MESSAGE, MAX_SUBSCRIPTIONS_PER_SOCKET, serve};
pub use topic::{BadTopic, MAX_TOPIC_LEN, Topic, bidder_topic, purchaser_topic};
