// Package devnet runs a whole credmesh network of real peers on this
// machine: each member a home of its own under one directory, each peer a
// real libp2p host on loopback sockets with its own Pebble store, all in
// this process. credmesh demo and end-to-end tests use it.
package devnet
