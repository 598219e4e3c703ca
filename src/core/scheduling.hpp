#pragma once

namespace crm::core {

/// Puts the calling thread under SCHED_BATCH (Linux); threads it starts afterwards inherit it.
/// A batch thread that wakes up (a request arrived, PostgreSQL answered) does not preempt the
/// thread running on that core, PostgreSQL's or the client's, but waits for its turn. Requests
/// pass between threads several times each, and each preemption was a context switch: under
/// load, up to 20 % (about 9 %) more contact reads per second with less CPU per request in both the server
/// and PostgreSQL (docs/operations.md). Returns false, with errno set, when the system refuses.
bool useBatchScheduling();

}  // namespace crm::core
