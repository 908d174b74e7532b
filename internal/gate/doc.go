// Package gate lets a service refuse new work once it begins to stop and
// wait for the work already admitted, so that what the work uses (the
// store, above all) is closed only after the last user is gone.
//
// Every handler a peer runs outside its own goroutines — libp2p stream
// handlers, pubsub validators — calls Enter first and, when it is let in,
// Leave when done. Close shuts the gate and waits:
//
//	if !g.Enter() {
//		s.Reset() // shutting down
//		return
//	}
//	defer g.Leave()
//
// Removing a stream handler from a host does not wait for the handlers
// already running, and pubsub runs validators on goroutines of its own;
// without a gate they could use a closed Pebble database, which panics.
package gate
