package rediscli

import (
	"slices"
	"strconv"
	"strings"

	"github.com/kvplace/kvplace/sim/cluster"
	"github.com/kvplace/kvplace/slot"
)

// Fix is `redis-cli --cluster fix addr`: the check of Check, and for every open slot
// (MIGRATING or IMPORTING somewhere, or keys on a node that does not own it) the repair
// redis-cli 7.0 makes (clusterManagerFixOpenSlot), then for the slots no master serves the
// coverage repair (clusterManagerFixSlotsCoverage). redis-cli asks before each kind of
// coverage repair even with --cluster-yes; Fix answers yes, and prints the prompt followed
// by "yes" as a terminal shows it.
func (cli *CLI) Fix(addr string) error {
	// As clusterManagerCommandFix: the check, with fixing on.
	cli.fixing, cli.aborted = true, false
	defer func() { cli.fixing = false }()
	err := cli.Check(addr)
	if cli.aborted {
		return ErrCLI
	}
	return err
}

// refuseUnreachable is redis-cli's refusal to fix what while masters are unreachable,
// unless --cluster-fix-with-unreachable-masters: it prints the warning and exits.
func (cli *CLI) refuseUnreachable(what string) bool {
	if cli.unreachable == 0 || cli.FixWithUnreachableMasters {
		return false
	}
	cli.printf("*** Fixing %s with %d unreachable masters is dangerous: redis-cli will assume that slots about masters that are not reachable are not covered, and will try to reassign them to the reachable nodes. This can cause data loss and is rarely what you want to do. If you really want to proceed use the --cluster-fix-with-unreachable-masters option.\n", what, cli.unreachable)
	cli.aborted = true
	return true
}

// fixOpenSlot is clusterManagerFixOpenSlot: find the owner (the only master that has the
// slot or keys in it, else the one with the most keys), make every other claimant an
// importing node, then move the keys by the first case that applies. It reports whether
// the slot was fixed.
func (cli *CLI) fixOpenSlot(nodes []*mnode, s int) bool {
	if cli.refuseUnreachable("open slots") {
		return false
	}
	cli.printf(">>> Fixing open slot %d\n", s)
	slotArg := strconv.Itoa(s)
	// keysIn is CLUSTER COUNTKEYSINSLOT on n; -1 when it failed, after printing why.
	keysIn := func(n *mnode) int64 {
		r, ok := cli.do(n, "CLUSTER", "COUNTKEYSINSLOT", slotArg)
		if !ok || r.IsError() {
			cli.replyError(n, r)
			return -1
		}
		return r.Int
	}
	// run sends a command that must succeed.
	run := func(n *mnode, args ...string) bool {
		r, ok := cli.do(n, args...)
		if !ok || r.IsError() {
			cli.replyError(n, r)
			return false
		}
		return true
	}
	delSlot := func(n *mnode) bool { return cli.delSlot(n, s) }
	openOn := func(list [][2]string) (string, bool) {
		for _, m := range list {
			if m[0] == slotArg {
				return m[1], true
			}
		}
		return "", false
	}

	var owners, migrating, importing []*mnode
	for _, n := range nodes {
		if n.slave {
			continue
		}
		if n.slots.Has(s) {
			owners = append(owners, n)
			continue
		}
		k := keysIn(n)
		if k < 0 {
			return false
		}
		if k > 0 {
			cli.printf("*** Found keys about slot %d in non-owner node %s!\n", s, n.addr())
			owners = append(owners, n)
		}
	}
	var owner *mnode
	if len(owners) == 1 {
		owner = owners[0]
	}
	var migStr, impStr []string
	for _, n := range nodes {
		if n.slave {
			continue
		}
		if _, ok := openOn(n.migrating); ok {
			migrating, migStr = append(migrating, n), append(migStr, n.addr())
			continue
		}
		if _, ok := openOn(n.importing); ok {
			importing, impStr = append(importing, n), append(impStr, n.addr())
			continue
		}
		if n != owner {
			k := keysIn(n)
			if k < 0 {
				return false
			}
			if k > 0 {
				cli.printf("*** Found keys about slot %d in node %s!\n", s, n.addr())
				importing, impStr = append(importing, n), append(impStr, n.addr())
			}
		}
	}
	if len(migStr) > 0 {
		cli.printf("Set as migrating in: %s\n", strings.Join(migStr, ","))
	}
	if len(impStr) > 0 {
		cli.printf("Set as importing in: %s\n", strings.Join(impStr, ","))
	}
	without := func(list []*mnode, n *mnode) []*mnode {
		return slices.DeleteFunc(slices.Clone(list), func(m *mnode) bool { return m == n })
	}

	if owner == nil {
		cli.printf(">>> No single clear owner for the slot, selecting an owner by # of keys...\n")
		if owner = cli.mostKeys(nodes, s); owner == nil {
			cli.printf("[ERR] Can't select a slot owner. Impossible to fix.\n")
			return false
		}
		cli.printf("*** Configuring %s as the slot owner\n", owner.addr())
		if !run(owner, "CLUSTER", "SETSLOT", slotArg, "STABLE") || !cli.setSlotOwner(owner, s, leaveOpen) {
			return false
		}
		migrating, importing = without(migrating, owner), without(importing, owner)
	}
	if len(owners) > 1 {
		for _, n := range owners {
			if n == owner {
				continue
			}
			if !delSlot(n) {
				return false
			}
			n.slots.Remove(s)
			if !run(n, "CLUSTER", "SETSLOT", slotArg, "NODE", owner.name) ||
				!run(n, "CLUSTER", "SETSLOT", slotArg, "IMPORTING", owner.name) {
				return false
			}
			importing = append(without(importing, n), n)
			migrating = without(migrating, n)
		}
	}

	switch {
	case len(migrating) == 1 && len(importing) == 1:
		src, dst := migrating[0], importing[0]
		cli.printf(">>> Case 1: Moving slot %d from %s to %s\n", s, src.addr(), dst.addr())
		return cli.moveSlot(nodes, src, dst, s, moveOpts{Verbose: true, Update: true}) == nil
	case len(migrating) == 0 && len(importing) > 0:
		cli.printf(">>> Case 2: Moving all the %d slot keys to its owner %s\n", s, owner.addr())
		for _, n := range importing {
			if n == owner {
				continue
			}
			if cli.moveSlot(nodes, n, owner, s, moveOpts{Verbose: true, Cold: true}) != nil {
				return false
			}
			cli.printf(">>> Setting %d as STABLE in %s\n", s, n.addr())
			if !run(n, "CLUSTER", "SETSLOT", slotArg, "STABLE") {
				return false
			}
		}
		for _, n := range nodes {
			if n == owner || n.slave {
				continue
			}
			if !run(n, "CLUSTER", "SETSLOT", slotArg, "NODE", owner.name) {
				return false
			}
		}
		return true
	case len(migrating) == 1 && len(importing) > 1:
		src := migrating[0]
		target, _ := openOn(src.migrating)
		var dst *mnode
		for _, n := range importing {
			if keysIn(n) > 0 {
				return cli.cannotFix(migStr, impStr, owner)
			}
			if n.name == target {
				dst = n
			}
		}
		if dst != nil {
			cli.printf(">>> Case 3: Moving slot %d from %s to %s and closing it on all the other importing nodes.\n", s, src.addr(), dst.addr())
			if cli.moveSlot(nodes, src, dst, s, moveOpts{Verbose: true}) != nil {
				return false
			}
			for _, n := range importing {
				if n != dst && !run(n, "CLUSTER", "SETSLOT", slotArg, "STABLE") {
					return false
				}
			}
			return true
		}
		cli.printf(">>> Case 3: Closing slot %d on both migrating and importing nodes.\n", s)
		for _, n := range append([]*mnode{src}, importing...) {
			if !run(n, "CLUSTER", "SETSLOT", slotArg, "STABLE") {
				return false
			}
		}
		return true
	}
	closeIt := len(importing) == 0 && len(migrating) == 1
	if closeIt && owner != migrating[0] {
		r, ok := cli.do(migrating[0], "CLUSTER", "GETKEYSINSLOT", slotArg, "10")
		if !ok || r.IsError() {
			cli.replyError(migrating[0], r)
			return false
		}
		closeIt = len(r.Array) == 0
	}
	if !closeIt {
		return cli.cannotFix(migStr, impStr, owner)
	}
	n := migrating[0]
	cli.printf(">>> Case 4: Closing slot %d on %s\n", s, n.addr())
	return run(n, "CLUSTER", "SETSLOT", slotArg, "STABLE")
}

// cannotFix prints redis-cli's message for an open slot none of its cases handles.
func (cli *CLI) cannotFix(migStr, impStr []string, owner *mnode) bool {
	cli.printf("[ERR] Sorry, redis-cli can't fix this slot yet (work in progress). Slot is set as migrating in %s, as importing in %s, owner is %s\n",
		strings.Join(migStr, ","), strings.Join(impStr, ","), owner.addr())
	return false
}

// served reports whether n's CLUSTER SLOTS gives slot s an owner (clusterManagerGetSlotOwner
// finding one); known is false when n did not answer.
func (cli *CLI) served(n *mnode, s int) (served, known bool) {
	r, ok := cli.do(n, "CLUSTER", "SLOTS")
	if !ok || r.Kind != cluster.Array {
		return false, false
	}
	return slices.ContainsFunc(r.Array, func(rng cluster.Reply) bool {
		return len(rng.Array) >= 2 && int64(s) >= rng.Array[0].Int && int64(s) <= rng.Array[1].Int
	}), true
}

// delSlot is clusterManagerDelSlot ignoring "already unassigned": an error is no failure
// when n's CLUSTER SLOTS shows no owner for the slot.
func (cli *CLI) delSlot(n *mnode, s int) bool {
	r, ok := cli.do(n, "CLUSTER", "DELSLOTS", strconv.Itoa(s))
	if ok && !r.IsError() {
		return true
	}
	if served, known := cli.served(n, s); known && !served {
		return true
	}
	cli.replyError(n, r)
	return false
}

// Whether setSlotOwner also closes the slot (its do_clear argument).
type slotState uint8

const (
	leaveOpen slotState = iota
	closeSlot           // SETSLOT STABLE as well
)

// setSlotOwner is clusterManagerSetSlotOwner: n takes slot s in one MULTI/EXEC (DELSLOTS,
// ADDSLOTS, with closeSlot SETSLOT STABLE, then BUMPEPOCH). As clusterManagerOnSetOwnerErr,
// only ADDSLOTS failing is an error: DELSLOTS of a slot n does not have fails harmlessly.
func (cli *CLI) setSlotOwner(n *mnode, s int, state slotState) bool {
	clear := state == closeSlot
	arg := strconv.Itoa(s)
	cmds := [][]string{{"MULTI"}, {"CLUSTER", "DELSLOTS", arg}, {"CLUSTER", "ADDSLOTS", arg}}
	if clear {
		cmds = append(cmds, []string{"CLUSTER", "SETSLOT", arg, "STABLE"})
	}
	cmds = append(cmds, []string{"CLUSTER", "BUMPEPOCH"}, []string{"EXEC"})
	var r cluster.Reply
	for _, c := range cmds {
		var ok bool
		if r, ok = cli.do(n, c...); !ok || r.IsError() {
			cli.replyError(n, r)
			return false
		}
	}
	success := true
	for i, e := range r.Array {
		if e.IsError() && i == 1 {
			cli.replyError(n, e)
			success = false
		}
	}
	if success {
		n.slots.Add(s)
	}
	return success
}

// fixSlotsCoverage is clusterManagerFixSlotsCoverage: every slot no master serves goes,
// if no master has keys in it, to a random master; if one has, to that one; if several
// have, to the one with the most, the others' keys moving there. redis-cli takes the slots
// in its hash table's order (slot.CLIOrder) and draws the random master from the clock,
// the simulation from cli.Rand (or, if nil, from the simulation's stream "redis-cli fix").
// It returns the slots fixed, or -1 after an error.
func (cli *CLI) fixSlotsCoverage(nodes []*mnode, covered slot.Set) int {
	if cli.refuseUnreachable("slots coverage") {
		return -1
	}
	cli.printf(">>> Fixing slots coverage...\n")
	var masters []*mnode
	for _, n := range nodes {
		if !n.slave && n.replicate == "" {
			masters = append(masters, n)
		}
	}
	var uncovered []int
	withKeys := map[int][]*mnode{}
	for s := range slot.Count {
		if covered.Has(s) {
			continue
		}
		uncovered = append(uncovered, s)
		for _, n := range masters {
			r, ok := cli.do(n, "CLUSTER", "GETKEYSINSLOT", strconv.Itoa(s), "1")
			if !ok || r.IsError() {
				cli.replyError(n, r)
				return -1
			}
			if len(r.Array) > 0 {
				withKeys[s] = append(withKeys[s], n)
			}
		}
	}
	var none, single, multi []int
	for _, s := range slot.CLIOrder(uncovered) {
		switch len(withKeys[s]) {
		case 0:
			none = append(none, s)
		case 1:
			single = append(single, s)
		default:
			multi = append(multi, s)
		}
	}
	list := func(slots []int) string {
		var set slot.Set
		for _, s := range slots {
			set.Add(s)
		}
		return set.Bracketed()
	}
	rnd := cli.Rand
	if rnd == nil {
		st := cli.c.Sim.Stream("redis-cli fix")
		rnd = st.Rand()
	}
	fixed := 0
	// cover gives each slot to the master pick chooses, after redis-cli's question.
	cover := func(slots []int, what, question string, pick func(s int) *mnode) bool {
		if len(slots) == 0 {
			return true
		}
		cli.printf("The following uncovered slots have %s:\n%s\n", what, list(slots))
		cli.printf("%s (type 'yes' to accept): yes\n", question)
		for _, s := range slots {
			n := pick(s)
			cli.printf(">>> Covering slot %d with %s\n", s, n.addr())
			if !cli.setSlotOwner(n, s, leaveOpen) {
				return false
			}
			fixed++
		}
		return true
	}
	var notReplicas []*mnode // clusterManagerNodeMasterRandom counts every node not a replica
	for _, n := range nodes {
		if !n.slave {
			notReplicas = append(notReplicas, n)
		}
	}
	if !cover(none, "no keys across the cluster", "Fix these slots by covering with a random node?",
		func(int) *mnode { return notReplicas[rnd.IntN(len(notReplicas))] }) ||
		!cover(single, "keys in just one node", "Fix these slots by covering with those nodes?",
			func(s int) *mnode { return withKeys[s][0] }) {
		return -1
	}
	if len(multi) > 0 {
		cli.printf("The following uncovered slots have keys in multiple nodes:\n%s\n", list(multi))
		cli.printf("Fix these slots by moving keys into a single node? (type 'yes' to accept): yes\n")
		for _, s := range multi {
			arg := strconv.Itoa(s)
			target := cli.mostKeys(withKeys[s], s)
			if target == nil {
				return -1
			}
			cli.printf(">>> Covering slot %d moving keys to %s\n", s, target.addr())
			if !cli.setSlotOwner(target, s, closeSlot) {
				return -1
			}
			for _, src := range withKeys[s] {
				if src == target {
					continue
				}
				for _, args := range [][]string{
					{"CLUSTER", "SETSLOT", arg, "NODE", target.name},
					{"CLUSTER", "SETSLOT", arg, "IMPORTING", target.name},
				} {
					if r, ok := cli.do(src, args...); !ok || r.IsError() {
						cli.replyError(src, r)
						return -1
					}
				}
				if cli.moveSlot(nodes, src, target, s, moveOpts{Verbose: true, Cold: true}) != nil {
					return -1
				}
				if r, ok := cli.do(src, "CLUSTER", "SETSLOT", arg, "STABLE"); !ok || r.IsError() {
					cli.replyError(src, r)
					return -1
				}
			}
			fixed++
		}
	}
	return fixed
}

// checkMultipleOwners is the --cluster-search-multiple-owners part of redis-cli's check:
// a slot's owners are the masters that claim it and those that hold keys of it; with more
// than one it warns and, fixing, makes the one with the most keys the owner
// (clusterManagerFixMultipleSlotOwners). It reports whether no slot has several owners.
func (cli *CLI) checkMultipleOwners(nodes []*mnode) bool {
	cli.printf(">>> Check for multiple slot owners...\n")
	result, multiple := true, 0
	for s := range slot.Count {
		arg := strconv.Itoa(s)
		var owners []*mnode
		for _, n := range nodes {
			if n.slave {
				continue
			}
			if n.slots.Has(s) {
				owners = append(owners, n)
				continue
			}
			// clusterManagerCountKeysInSlot: an error counts as no key.
			if r, ok := cli.do(n, "CLUSTER", "COUNTKEYSINSLOT", arg); ok && r.Kind == cluster.Integer && r.Int > 0 {
				owners = append(owners, n)
			}
		}
		if len(owners) < 2 {
			continue
		}
		result = false
		cli.printf("[WARNING] Slot %d has %d owners:\n", s, len(owners))
		for _, n := range owners {
			cli.printf("    %s\n", n.addr())
		}
		multiple++
		if cli.fixing {
			if result = cli.fixMultipleOwners(nodes, s, owners); !result {
				cli.printf("Failed to fix multiple owners for slot %d\n", s)
				break
			}
			multiple--
		}
	}
	if multiple == 0 {
		cli.printf("[OK] No multiple owners found.\n")
	}
	return result
}

// fixMultipleOwners is clusterManagerFixMultipleSlotOwners: the owner with the most keys
// takes the slot, every other master gives it up, and the keys they hold move to it.
func (cli *CLI) fixMultipleOwners(nodes []*mnode, s int, owners []*mnode) bool {
	cli.printf(">>> Fixing multiple owners for slot %d...\n", s)
	arg := strconv.Itoa(s)
	owner := cli.mostKeys(owners, s)
	if owner == nil {
		owner = owners[0]
	}
	cli.printf(">>> Setting slot %d owner: %s\n", s, owner.addr())
	if !cli.setSlotOwner(owner, s, leaveOpen) {
		return false
	}
	success := true
	for _, n := range nodes {
		if n == owner || n.slave {
			continue
		}
		r, ok := cli.do(n, "CLUSTER", "COUNTKEYSINSLOT", arg)
		if success = ok && r.Kind == cluster.Integer; !success {
			break
		}
		cli.delSlot(n, s)
		n.slots.Remove(s)
		if r2, ok := cli.do(n, "CLUSTER", "SETSLOT", arg, "NODE", owner.name); !ok || r2.IsError() {
			cli.replyError(n, r2)
			return false
		}
		if r.Int > 0 {
			if success = cli.moveSlot(nodes, n, owner, s, moveOpts{Verbose: true, Cold: true}) == nil; !success {
				break
			}
		}
	}
	return success
}

// mostKeys is clusterManagerGetNodeWithMostKeysInSlot: among nodes, the first master with
// the most keys in slot s (CLUSTER COUNTKEYSINSLOT), or nil after printing the error of a
// node that did not answer.
func (cli *CLI) mostKeys(nodes []*mnode, s int) *mnode {
	var best *mnode
	var most int64
	for _, n := range nodes {
		if n.slave || n.replicate != "" {
			continue
		}
		r, ok := cli.do(n, "CLUSTER", "COUNTKEYSINSLOT", strconv.Itoa(s))
		if !ok || r.IsError() {
			cli.replyError(n, r)
			return nil
		}
		if r.Int > most || best == nil {
			best, most = n, r.Int
		}
	}
	return best
}
