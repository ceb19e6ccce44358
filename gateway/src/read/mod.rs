//! Read models: reads never enter the engine queue (ARCHITECTURE 9). The replica is a second engine
//! fed with the released (durable) commands in order: the engine is deterministic, so it reaches the
//! very state the engine task had at each released sequence, and serves every query the engine's
//! accessors answer, stamped with the sequence it is at.

mod replica;

pub use replica::Replica;
