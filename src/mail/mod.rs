//! Mail: notices to application owners, written to an outbox in the same transaction as
//! their cause and delivered by a worker.

pub mod notices;
