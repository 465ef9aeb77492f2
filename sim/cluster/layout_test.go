package cluster

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

// TestPeerLayout: what gossip and cron read for every peer is in its first 64 bytes, and
// a peer is 256 bytes, so that the allocator puts each on a cache-line boundary.
func TestPeerLayout(t *testing.T) {
	var p peer
	assert.Equal(t, uintptr(256), unsafe.Sizeof(p))
	for name, end := range map[string]uintptr{
		"flags":            unsafe.Offsetof(p.flags) + unsafe.Sizeof(p.flags),
		"gport":            unsafe.Offsetof(p.gport) + unsafe.Sizeof(p.gport),
		"gcport":           unsafe.Offsetof(p.gcport) + unsafe.Sizeof(p.gcport),
		"gip":              unsafe.Offsetof(p.gip) + unsafe.Sizeof(p.gip),
		"nid":              unsafe.Offsetof(p.nid) + unsafe.Sizeof(p.nid),
		"dataReceived":     unsafe.Offsetof(p.dataReceived) + unsafe.Sizeof(p.dataReceived),
		"lastInPingGossip": unsafe.Offsetof(p.lastInPingGossip) + unsafe.Sizeof(p.lastInPingGossip),
		"link":             unsafe.Offsetof(p.link) + unsafe.Sizeof(p.link),
		"fails":            unsafe.Offsetof(p.fails) + unsafe.Sizeof(p.fails),
		"numslots":         unsafe.Offsetof(p.numslots) + unsafe.Sizeof(p.numslots),
		"nrep":             unsafe.Offsetof(p.nrep) + unsafe.Sizeof(p.nrep),
	} {
		assert.LessOrEqual(t, end, uintptr(64), name)
	}
	assert.Equal(t, uintptr(24), unsafe.Sizeof(gossipEntry{}), "a gossip entry holds no pointer and no padding to speak of")
}
