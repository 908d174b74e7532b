package node

import "github.com/credmesh/credmesh/api"

// storeHealth is the store's integrity for status: a read that met
// corruption returned an error to its caller and marked the store
// unhealthy (chain/store/health.go).
func (n *Node) storeHealth() api.StoreHealth {
	h := n.store.Health()
	out := api.StoreHealth{Healthy: h.Healthy, Corruptions: h.Corruptions}
	if h.Err != nil {
		out.Error = h.Err.Error()
	}
	return out
}

// storeHealthy is the store_healthy gauge.
func (n *Node) storeHealthy() float64 {
	if n.store.Health().Healthy {
		return 1
	}
	return 0
}
