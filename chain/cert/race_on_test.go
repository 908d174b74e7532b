//go:build race

package cert_test

// raceEnabled: the race detector slows signature checks tenfold; the
// byte-by-byte test then makes one change per byte instead of three.
const raceEnabled = true
