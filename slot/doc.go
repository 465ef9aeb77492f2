// Package slot is Redis Cluster's key placement: 16384 hash slots, the table of who
// serves each, and the plans redis-cli --cluster makes to change that table.
//
// A key's slot is the CRC-16/XMODEM of the key (or of its {hash tag}) masked to 14 bits,
// exactly what CLUSTER KEYSLOT answers:
//
//	slot.Of("k1")                    // 12706
//	slot.Of("{user1000}.following")  // 3443, the slot of "user1000"
//
// Ownership is not a function of membership, as it is for a hash ring: it is an explicit
// Table that changes only by planned moves. The planners reproduce redis-cli 7's
// arithmetic slot for slot, float32 rounding included:
//
//	plan, _ := slot.PlanCreate(addrs, 1, nil)            // --cluster create ... --cluster-replicas 1
//	moves, _ := slot.PlanReshard(layout, []string{"all"}, newID, 4096) // --cluster reshard
//	rb, _ := slot.PlanRebalance(layout, slot.RebalanceOptions{Threshold: slot.DefaultThreshold})
//	report := slot.Check(layout)                          // open slots and coverage
//
// Errors carry redis-cli's own words where redis-cli has words for the mistake.
//
// The package is pure: no clock, no randomness of its own (create's anti-affinity swaps take
// a Rand), no I/O.
package slot
