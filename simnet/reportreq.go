package simnet

import "fmt"

// consentRef is the made-up consent reference of report n of member peer.
func consentRef(peer, n int) string { return fmt.Sprintf("consent-%d-%d", peer, n) }
