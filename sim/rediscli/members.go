package rediscli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kvplace/kvplace/slot"
)

// AddMember adds the node at newAddr as a master (redis-cli --cluster add-node) and gives it
// the lowest free token, in a cluster with a Placement. The others learn of the new member
// by gossip, as they learn of any slot claim, and hand it its keys.
func (cli *CLI) AddMember(newAddr, existing string) error {
	if cli.c.Placement == nil {
		return fmt.Errorf("add member %s: the cluster places keys by slots; use add-node and reshard", newAddr)
	}
	if err := cli.AddNode(newAddr, existing, AddNodeOptions{}); err != nil {
		return err
	}
	// The token waits until the new node knows every member and says cluster_state:ok:
	// before, it would take keys while refusing requests, and judge where keys were from
	// a partial membership.
	newProc, _ := cli.c.Process(newAddr)
	cli.printf(">>> kvplace: waiting for %s to join and report cluster_state:ok\n", newAddr)
	deadline := cli.c.Sim.Now().Add(10 * time.Minute)
	for {
		nodes, err := cli.load(existing)
		if err != nil {
			return err
		}
		if p := newProc; p.Up() && p.Node().State() == "ok" && cli.c.Knows(p.Node().ID()) && p.Node().Known() == len(nodes) {
			break
		}
		if cli.c.Sim.Now() > deadline {
			return fmt.Errorf("add member %s: not joined after 10 minutes", newAddr)
		}
		cli.c.Sim.RunFor(100 * time.Millisecond)
	}
	nodes, err := cli.load(existing)
	if err != nil {
		return err
	}
	var used slot.Set
	for _, m := range nodes {
		used.AddSet(m.slots)
	}
	token := 0
	for used.Has(token) {
		token++
	}
	n, err := newMnode(newAddr)
	if err != nil {
		return err
	}
	cli.printf(">>> kvplace: giving token %d to %s\n", token, newAddr)
	if r, ok := cli.do(n, "CLUSTER", "ADDSLOTS", strconv.Itoa(token)); !ok || r.IsError() {
		cli.replyError(n, r)
		return ErrCLI
	}
	// Then, as redis-cli does after moving a slot, every master is told the new owner at
	// once, so that their memberships change within milliseconds of each other and not
	// over the seconds the new node's pings take to reach them all (replicas refuse
	// SETSLOT and learn it from their masters).
	for _, m := range nodes {
		if m.slave {
			continue
		}
		if r, ok := cli.do(m, "CLUSTER", "SETSLOT", strconv.Itoa(token), "NODE", newProc.Node().ID()); !ok || r.IsError() {
			cli.replyError(m, r)
			return ErrCLI
		}
	}
	return nil
}

// RemoveMember takes the master idOrAddr out of the membership of a cluster with a
// Placement, waits until it has handed off every key, and then deletes it (redis-cli
// --cluster del-node). Its tokens are removed with CLUSTER DELSLOTS on every node, on itself
// first, so that none of its pings claims them again.
func (cli *CLI) RemoveMember(addr, idOrAddr string) error {
	if cli.c.Placement == nil {
		return fmt.Errorf("remove member %s: the cluster places keys by slots; reshard its slots away and use del-node", idOrAddr)
	}
	nodes, err := cli.load(addr)
	if err != nil {
		return err
	}
	victim := byName(nodes, resolve(nodes, idOrAddr))
	if victim == nil {
		cli.printf("[ERR] No such node ID %s\n", idOrAddr)
		return ErrCLI
	}
	args := []string{"CLUSTER", "DELSLOTS"}
	for s := range victim.slots.All() {
		args = append(args, strconv.Itoa(s))
	}
	cli.printf(">>> kvplace: taking tokens %s from %s\n", strings.Join(args[2:], ","), victim.addr())
	if len(args) > 2 {
		others := slices.DeleteFunc(slices.Clone(nodes), func(m *mnode) bool { return m == victim })
		for _, m := range append([]*mnode{victim}, others...) {
			if r, ok := cli.do(m, args...); !ok || r.IsError() {
				cli.replyError(m, r)
				return ErrCLI
			}
		}
	}
	cli.printf(">>> kvplace: waiting for %s to hand off its keys\n", victim.addr())
	p, _ := cli.c.Process(victim.addr())
	deadline := cli.c.Sim.Now().Add(10 * time.Minute)
	for p.Up() && (p.Node().Keys() > 0 || p.Node().Handoff()) {
		if cli.c.Sim.Now() > deadline {
			return fmt.Errorf("remove member %s: %d keys not handed off after 10 minutes", victim.addr(), p.Node().Keys())
		}
		cli.c.Sim.RunFor(100 * time.Millisecond)
	}
	return cli.DelNode(addr, victim.name)
}
