package sim

// A NodeID names a cluster member. It is a plain string, so partitioners in other packages
// satisfy Partitioner without importing this one.
type NodeID = string

// A Partitioner maps a key to the node that owns it. Owner depends only on the key and the
// membership the partitioner was built with: no clock, no randomness. A membership change
// builds a new partitioner, and the keys that move are those whose owner differs.
type Partitioner interface {
	Owner(key string) NodeID
}
