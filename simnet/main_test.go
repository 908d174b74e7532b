package simnet

import (
	"net/http"
	_ "net/http/pprof"
	"os"
	"testing"
)

// TestMain serves net/http/pprof on CREDMESH_SIM_PPROF (a loopback
// host:port such as 127.0.0.1:6060) when set, to look into a long run.
// The server runs outside every synctest bubble.
func TestMain(m *testing.M) {
	if addr := os.Getenv("CREDMESH_SIM_PPROF"); addr != "" {
		go http.ListenAndServe(addr, nil)
	}
	os.Exit(m.Run())
}
