package experiments

import (
	"fmt"

	"github.com/kvplace/kvplace/sim/cluster"
)

// placedScheme runs a scheme whose ownership is a function of the membership (a ring,
// hash % N) in the simulated cluster: each master is a member named by a token slot, and
// the cluster's gossip carries the membership (cluster.Placement).
type placedScheme struct{ build cluster.Placement }

func (s placedScheme) placement() cluster.Placement { return s.build }

// grow is kvplace's AddMember: add-node and a token; the members hand keys to it.
func (placedScheme) grow(r *movementRun, p *cluster.Process) error {
	if err := r.cli.AddMember(p.Addr(), r.masters[0].Addr()); err != nil {
		return fmt.Errorf("adding %s: %w", p.Addr(), err)
	}
	return nil
}

// shrink is kvplace's RemoveMember: the token goes, the master hands its keys off and is
// deleted.
func (placedScheme) shrink(r *movementRun, p *cluster.Process, id string) error {
	if err := r.cli.RemoveMember(r.masters[0].Addr(), id); err != nil {
		return fmt.Errorf("removing %s: %w", p.Addr(), err)
	}
	return nil
}
