// Package node wires one running peer together: the store, the builder of
// our own chain, the p2p network, the query protocol and the HTTP API.
//
// Open a home with LoadOptions, create the node with New and call Run; it
// returns when its context ends (SIGINT, SIGTERM) after a clean shutdown:
// the API stops taking requests, whatever is pending is sealed into a last
// block and published, the network closes and the store is closed. Anything
// accepted but not yet sealed when the process is killed stays in the
// durable pending pool and is sealed at the next start.
//
// Run's loop owns the order of I/O: a block the builder hands out is
// already persisted, and the loop publishes it, so nothing is published
// that is not on disk.
package node
