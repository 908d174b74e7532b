// Package chaintest makes realistic keys, entries and chains for the tests
// and benchmarks of chain and the packages built on it. Everything it makes
// is deterministic in its arguments, except the nonces of sealed payments.
package chaintest
