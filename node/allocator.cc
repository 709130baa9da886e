// cairnd's memory allocator is jemalloc (linked in node/CMakeLists.txt), set up here.
//
// Why not glibc's: a validator allocates a mix of megabyte buffers (blocks, batches,
// sync windows) and millions of small protobuf objects across a dozen threads. Under
// steady load glibc's heap fragments: in a 1,500 tx/s soak the core thread spent a third
// of its time in malloc and free (_int_malloc's bin walks, malloc_consolidate), its CPU
// a transaction grew by 70-140% over seven minutes, and the chain fell from 19 to 4 blocks a
// second; with jemalloc, the same run held 18 blocks a second (README, Retention). glibc
// also kept bursts of freed memory in idle per-thread arenas (an HTTP/2 reset flood on
// the client port left 1.2 GiB resident), which needed a trimming thread.
//
// The settings: background threads return freed pages to the system even from arenas
// no thread touches any more (the flood's), after a second unused (dirty_decay_ms), so
// memory a block builds and drops every few tens of milliseconds is reused, not faulted
// in again, and a burst's is gone within seconds. jemalloc reads this symbol at start.
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's interface.
const char* malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
}
