package main

import (
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/credmesh/credmesh/chain/store"
	"github.com/credmesh/credmesh/config"
	"github.com/credmesh/credmesh/p2p"
)

// startHint words the start-up failures an operator meets most in the
// terms of what to do: a second peer on one home, and a listen address
// that is taken, named with where it was set (config.toml, a CREDMESH_
// variable or a flag).
func startHint(err error, h config.Home, cfg config.Config, src config.Sources) error {
	if errors.Is(err, store.ErrInUse) {
		who := "another credmesh peer"
		if pid := lockHolder(h.DataDir()); pid > 0 {
			who = fmt.Sprintf("another credmesh peer (pid %d)", pid)
		}
		return &hinted{msg: fmt.Sprintf("%s is running on %s: stop it first, or give this one a home of its own", who, h), err: err}
	}
	var le *p2p.ListenError
	if errors.As(err, &le) {
		return fmt.Errorf("%w; p2p.listen %s: change it, or stop what holds the port", err, src.Of("p2p.listen", h.ConfigPath()))
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "listen" {
		return fmt.Errorf("%w; api.listen (%s) %s: change it, or stop what holds the port", err, cfg.API.Listen, src.Of("api.listen", h.ConfigPath()))
	}
	return err
}

// warnGenesisForm warns when the home's genesis file is not byte for byte
// what credmesh writes: its hash, the network's identity, then differs
// from that of a member holding the file as written, and the two are on
// different networks (see config/genesis_form.go).
func warnGenesisForm(w io.Writer, h config.Home, g *config.Genesis) {
	canon, diff := g.FormDifference()
	if diff == "" {
		return
	}
	hash := g.Hash()
	fmt.Fprintf(w, "credmesh: warning: %s is not byte for byte as credmesh writes it (%s): its hash %x is this network's identity, "+
		"so a member whose copy is as credmesh wrote it (hash %x) is on another network; compare `credmesh genesis show` with the other members\n",
		h.GenesisPath(), diff, hash[:8], canon[:8])
}

// hinted is an error shown as msg alone, which says all the operator
// needs; errors.Is still finds the cause.
type hinted struct {
	msg string
	err error
}

func (e *hinted) Error() string { return e.msg }
func (e *hinted) Unwrap() error { return e.err }
