package cluster

import (
	"strconv"
	"strings"

	"github.com/kvplace/kvplace/slot"
)

// clusterCommand answers CLUSTER <subcommand> (clusterCommand in cluster.c), with Redis's
// error messages.
func (n *Node) clusterCommand(a []string) Reply {
	if len(a) < 2 {
		return errReply("ERR wrong number of arguments for 'cluster' command")
	}
	sub := strings.ToLower(a[1])
	argc := len(a)
	syntax := func() Reply {
		return errorf("ERR unknown subcommand or wrong number of arguments for '%.128s'. Try %s HELP.", a[1], strings.ToUpper(a[0]))
	}
	switch {
	case sub == "meet" && (argc == 4 || argc == 5):
		port, err := strconv.ParseInt(a[3], 10, 64)
		if err != nil {
			return errorf("ERR Invalid TCP base port specified: %s", a[3])
		}
		cport := port + clusterPortIncrement
		if argc == 5 {
			if cport, err = strconv.ParseInt(a[4], 10, 64); err != nil {
				return errorf("ERR Invalid TCP bus port specified: %s", a[4])
			}
		}
		if !validIP(a[2]) || port <= 0 || port > 65535 || cport <= 0 || cport > 65535 {
			return errorf("ERR Invalid node address specified: %s:%s", a[2], a[3])
		}
		n.startHandshake(a[2], int(port), int(cport))
		return okReply()
	case sub == "nodes" && argc == 2:
		return bulkReply(n.clusterNodes())
	case sub == "myid" && argc == 2:
		return bulkReply(n.myself.name)
	case sub == "slots" && argc == 2:
		return n.clusterSlots()
	case sub == "info" && argc == 2:
		return bulkReply(n.clusterInfo())
	case sub == "keyslot" && argc == 3:
		return intReply(int64(slot.Of(a[2])))
	case sub == "countkeysinslot" && argc == 3:
		s, ok := atoiArg(a[2])
		if !ok {
			return errReply("ERR value is not an integer or out of range")
		}
		if s < 0 || s >= slot.Count {
			return errReply("ERR Invalid slot")
		}
		return intReply(int64(n.db.countInSlot(int(s))))
	case sub == "getkeysinslot" && argc == 4:
		s, ok1 := atoiArg(a[2])
		count, ok2 := atoiArg(a[3])
		if !ok1 || !ok2 {
			return errReply("ERR value is not an integer or out of range")
		}
		if s < 0 || s >= slot.Count || count < 0 {
			return errReply("ERR Invalid slot or number of keys")
		}
		var out []Reply
		for _, k := range n.db.inSlot(int(s), int(min(count, int64(n.db.countInSlot(int(s)))))) {
			out = append(out, bulkReply(k))
		}
		return arrayReply(out...)
	case sub == "handoff-done":
		return n.handoffDone(a)
	case (sub == "addslots" || sub == "delslots") && argc >= 3:
		var slots []int
		for _, arg := range a[2:] {
			s, ok := slotArg(arg)
			if !ok {
				return errReply("ERR Invalid or out of range slot")
			}
			slots = append(slots, s)
		}
		return n.updateSlots(slots, sub == "delslots")
	case (sub == "addslotsrange" || sub == "delslotsrange") && argc >= 4:
		if argc%2 == 1 {
			return errorf("ERR wrong number of arguments for 'cluster|%s' command", sub)
		}
		var slots []int
		for i := 2; i < argc; i += 2 {
			lo, ok1 := slotArg(a[i])
			hi, ok2 := slotArg(a[i+1])
			if !ok1 || !ok2 {
				return errReply("ERR Invalid or out of range slot")
			}
			if lo > hi {
				return errorf("ERR start slot number %d is greater than end slot number %d", lo, hi)
			}
			for s := lo; s <= hi; s++ {
				slots = append(slots, s)
			}
		}
		return n.updateSlots(slots, sub == "delslotsrange")
	case sub == "flushslots" && argc == 2:
		if n.db.len() != 0 {
			return errReply("ERR DB must be empty to perform CLUSTER FLUSHSLOTS.")
		}
		n.delNodeSlots(n.myself)
		n.todo |= todoUpdateState
		return okReply()
	case sub == "setslot" && argc >= 4:
		return n.setSlot(a)
	case sub == "bumpepoch" && argc == 2:
		if n.bumpEpoch() {
			return statusReply("BUMPED " + strconv.FormatUint(n.myself.configEpoch, 10))
		}
		return statusReply("STILL " + strconv.FormatUint(n.myself.configEpoch, 10))
	case sub == "forget" && argc == 3:
		p := n.lookupName(a[2])
		switch {
		case p == nil:
			return errorf("ERR Unknown node %s", a[2])
		case p == n.myself:
			return errReply("ERR I tried hard but I can't forget myself...")
		case n.myself.isSlave() && n.myself.master == p:
			return errReply("ERR Can't forget my master!")
		}
		n.blacklist[p.nid] = n.now/1000 + blacklistTTL
		n.delPeer(p)
		n.todo |= todoUpdateState
		return okReply()
	case sub == "replicate" && argc == 3:
		p := n.lookupName(a[2])
		switch {
		case p == nil:
			return errorf("ERR Unknown node %s", a[2])
		case p == n.myself:
			return errReply("ERR Can't replicate myself")
		case p.isSlave():
			return errReply("ERR I can only replicate a master, not a replica.")
		case n.myself.isMaster() && (n.myself.numslots != 0 || n.db.len() != 0):
			return errReply("ERR To set a master the node must be empty and without assigned slots.")
		}
		n.setMaster(p)
		n.todo |= todoUpdateState
		return okReply()
	case (sub == "replicas" || sub == "slaves") && argc == 3:
		p := n.lookupName(a[2])
		if p == nil {
			return errorf("ERR Unknown node %s", a[2])
		}
		if p.isSlave() {
			return errReply("ERR The specified node is not a master")
		}
		var out []Reply
		for _, r := range p.replicas {
			out = append(out, bulkReply(n.nodeLine(r)))
		}
		return arrayReply(out...)
	case sub == "count-failure-reports" && argc == 3:
		p := n.lookupName(a[2])
		if p == nil {
			return errorf("ERR Unknown node %s", a[2])
		}
		return intReply(int64(n.failureReports(p)))
	case sub == "failover" && (argc == 2 || argc == 3):
		force, takeover := false, false
		if argc == 3 {
			switch strings.ToLower(a[2]) {
			case "force":
				force = true
			case "takeover":
				force, takeover = true, true
			default:
				return errReply("ERR syntax error")
			}
		}
		switch {
		case n.myself.isMaster():
			return errReply("ERR You should send CLUSTER FAILOVER to a replica")
		case n.myself.master == nil:
			return errReply("ERR I'm a replica but my master is unknown to me")
		case !force && (n.myself.master.failed() || n.myself.master.link == nil):
			return errReply("ERR Master is down or failed, please use CLUSTER FAILOVER FORCE")
		}
		n.resetManualFailover()
		n.mfEnd = n.now + mfTimeout
		switch {
		case takeover:
			n.logf("Taking over the master (user request).")
			n.bumpEpoch()
			n.failoverReplaceYourMaster()
		case force:
			n.logf("Forced failover user request accepted.")
			n.mfCanStart = true
		default:
			n.logf("Manual failover user request accepted.")
			if m := n.myself.master; m.link != nil {
				n.send(m, n.header(mMFStart))
			}
		}
		return okReply()
	case sub == "set-config-epoch" && argc == 3:
		epoch, ok := atoiArg(a[2])
		switch {
		case !ok:
			return errReply("ERR value is not an integer or out of range")
		case epoch < 0:
			return errorf("ERR Invalid config epoch specified: %d", epoch)
		case len(n.order) > 1:
			return errReply("ERR The user can assign a config epoch only when the node does not know any other node.")
		case n.myself.configEpoch != 0:
			return errReply("ERR Node config epoch is already non-zero")
		}
		n.myself.configEpoch = uint64(epoch)
		n.logf("configEpoch set to %d via CLUSTER SET-CONFIG-EPOCH", epoch)
		n.currentEpoch = max(n.currentEpoch, uint64(epoch))
		n.todo |= todoUpdateState
		return okReply()
	case sub == "reset" && (argc == 2 || argc == 3):
		hard := false
		if argc == 3 {
			switch strings.ToLower(a[2]) {
			case "hard":
				hard = true
			case "soft":
			default:
				return errReply("ERR syntax error")
			}
		}
		if n.myself.isMaster() && n.db.len() != 0 {
			return errReply("ERR CLUSTER RESET can't be called with master nodes containing keys")
		}
		n.reset(hard)
		return okReply()
	case sub == "saveconfig" && argc == 2:
		return okReply()
	}
	return syntax()
}

func slotArg(s string) (int, bool) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 || v >= slot.Count {
		return 0, false
	}
	return int(v), true
}

func validIP(ip string) bool {
	parts := strings.Split(ip, ".")
	if len(parts) != 4 {
		return strings.Contains(ip, ":") // IPv6: accepted as written
	}
	for _, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || v > 255 {
			return false
		}
	}
	return true
}

// updateSlots is ADDSLOTS/DELSLOTS (checkSlotAssignmentsOrReply + clusterUpdateSlots).
func (n *Node) updateSlots(slots []int, del bool) Reply {
	seen := map[int]bool{}
	for _, s := range slots {
		if del && n.slots[s] == nil {
			return errorf("ERR Slot %d is already unassigned", s)
		}
		if !del && n.slots[s] != nil {
			return errorf("ERR Slot %d is already busy", s)
		}
		if seen[s] {
			return errorf("ERR Slot %d specified multiple times", s)
		}
		seen[s] = true
	}
	for _, s := range slots {
		delete(n.importing, s)
		if del {
			n.delSlot(s)
		} else {
			n.addSlot(n.myself, s)
		}
	}
	n.todo |= todoUpdateState
	return okReply()
}

// setSlot is CLUSTER SETSLOT <slot> IMPORTING|MIGRATING <id> | STABLE | NODE <id>.
func (n *Node) setSlot(a []string) Reply {
	if n.myself.isSlave() {
		return errReply("ERR Please use SETSLOT only with masters.")
	}
	s, ok := slotArg(a[2])
	if !ok {
		return errReply("ERR Invalid or out of range slot")
	}
	action := strings.ToLower(a[3])
	switch {
	case action == "migrating" && len(a) == 5:
		if n.slots[s] != n.myself {
			return errorf("ERR I'm not the owner of hash slot %d", s)
		}
		p := n.lookupName(a[4])
		if p == nil {
			return errorf("ERR I don't know about node %s", a[4])
		}
		if p.isSlave() {
			return errReply("ERR Target node is not a master")
		}
		n.migrating[s] = p
	case action == "importing" && len(a) == 5:
		if n.slots[s] == n.myself {
			return errorf("ERR I'm already the owner of hash slot %d", s)
		}
		p := n.lookupName(a[4])
		if p == nil {
			return errorf("ERR I don't know about node %s", a[4])
		}
		if p.isSlave() {
			return errReply("ERR Target node is not a master")
		}
		n.importing[s] = p
	case action == "stable" && len(a) == 4:
		delete(n.importing, s)
		delete(n.migrating, s)
	case action == "node" && len(a) == 5:
		p := n.lookupName(a[4])
		if p == nil {
			return errorf("ERR Unknown node %s", a[4])
		}
		if p.isSlave() {
			return errReply("ERR Target node is not a master")
		}
		if n.slots[s] == n.myself && p != n.myself && n.db.countInSlot(s) != 0 {
			return errorf("ERR Can't assign hashslot %d to a different node while I still hold keys for this hash slot.", s)
		}
		if n.db.countInSlot(s) == 0 && n.migrating[s] != nil {
			delete(n.migrating, s)
		}
		wasMine := n.slots[s] == n.myself
		n.delSlot(s)
		n.addSlot(p, s)
		if wasMine && p != n.myself && n.myself.numslots == 0 && n.cfg.AllowReplicaMigration {
			n.logf("Configuration change detected. Reconfiguring myself as a replica of %s", p.name)
			n.setMaster(p)
		}
		if p == n.myself && n.importing[s] != nil {
			if n.bumpEpoch() {
				n.logf("configEpoch updated after importing slot %d", s)
			}
			delete(n.importing, s)
			n.broadcastPong(broadcastAll)
		}
	default:
		return errReply("ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP")
	}
	n.todo |= todoUpdateState
	return okReply()
}

// startHandshake adds a node to meet (clusterStartHandshake), unless one is already being
// met at that address.
func (n *Node) startHandshake(ip string, port, cport int) {
	for _, p := range n.order {
		if p.inHandshake() && p.ip == ip && p.port == port && p.cport == cport {
			return
		}
	}
	p := n.newPeer(randomName(n.ctx.Rand), flagHandshake|flagMeet)
	n.setAddr(p, ip, port, cport)
	n.addPeer(p)
}

// reset is CLUSTER RESET (clusterReset): forget every node and slot; a hard reset also
// takes a new name and zeroes the epochs.
func (n *Node) reset(hard bool) {
	if n.myself.isSlave() {
		n.setAsMaster(n.myself)
		n.repl.unsetMaster(n)
		n.db.flush()
	}
	n.migrating = map[int]*peer{}
	n.importing = map[int]*peer{}
	n.resetManualFailover()
	for j := range slot.Count {
		n.delSlot(j)
	}
	for _, p := range append([]*peer(nil), n.order...) {
		if p != n.myself {
			n.freeLink(p)
			n.delPeer(p)
		}
	}
	if hard {
		n.currentEpoch, n.lastVoteEpoch = 0, 0
		n.myself.configEpoch = 0
		n.renamePeer(n.myself, randomName(n.ctx.Rand))
	}
	n.todo |= todoUpdateState
}
